# Coveris — every command a developer needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The Python 3.13 interpreter itself (sys.executable), found without trusting a pyenv shim: a
# shell may export PYENV_VERSION for another version, and the shim then answers "python3.13:
# command not found". Candidates: pyenv's 3.13 builds, python3.13 and python3 on PATH (each
# run without PYENV_VERSION), the usual system places. PYTHON=/path/to/python3.13 overrides.
PY313_CANDIDATES = $(wildcard $(or $(PYENV_ROOT),$(HOME)/.pyenv)/versions/3.13*/bin/python3.13) \
	$(shell command -v python3.13 2>/dev/null) $(shell command -v python3 2>/dev/null) \
	/usr/local/bin/python3.13 /usr/bin/python3.13
PY313_CHECK = env -u PYENV_VERSION "$$c" -c 'import sys; assert sys.version_info[:2] == (3, 13); print(sys.executable)' 2>/dev/null
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for c in $(PY313_CANDIDATES); do $(PY313_CHECK) && break; done)
else
PY313_CANDIDATES := $(PYTHON)
override PYTHON := $(shell c="$(PYTHON)"; $(PY313_CHECK))
endif
ifeq ($(strip $(PYTHON)),)
$(error Coveris needs Python 3.13 and found none that runs (tried: $(strip $(PY313_CANDIDATES))). Install it, e.g. `pyenv install 3.13` or your distribution's python3.13 package, or run make PYTHON=/path/to/python3.13)
endif
# uv, pinned: the one on PATH when it is this version, else this version installed with pip into
# .tools/ (from PyPI, like every other package).
UV_VERSION := 0.13.9
UV_TOOL := .tools/uv-$(UV_VERSION)/bin/uv
UV := $(shell if [ "$$(uv --version 2>/dev/null | cut -d' ' -f2)" = "$(UV_VERSION)" ]; then echo uv; else echo $(UV_TOOL); fi)
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1
HOST ?= 127.0.0.1
PORT ?= 8000
# `make run`'s concurrency: uvicorn worker processes, and requests each runs at once (threads).
# 2 × 4 serves a team trying it together while slow reports run; /healthz never waits for them.
WORKERS ?= 2
JOB_WORKERS ?= 1
THREADS ?= 4

.PHONY: help run test test-browser lint schema client audit fmt lock install db-start db-stop db-status bench bench-coverage bench-scale bench-imports bench-healthz bench-events chaos fuzz clean

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(UV_TOOL):
	@echo "==> installing uv $(UV_VERSION) into .tools/"
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target .tools/uv-$(UV_VERSION) "uv==$(UV_VERSION)"

$(VENV)/.synced: requirements.lock requirements-dev.lock .python-version | $(if $(filter uv,$(UV)),,$(UV_TOOL))
	@echo "==> building $(VENV) from requirements-dev.lock with $(PYTHON)"
	@test -x $(PY) || $(UV) venv --quiet --python "$(PYTHON)" $(VENV)
	$(UV) pip sync --quiet --python $(PY) requirements-dev.lock
	@touch $@

install: $(VENV)/.synced ## build .venv from the lock files

SERVE = ASGI_THREADS=$(THREADS) $(PY) -m config.serve --host $(HOST) --port $(PORT) --workers $(WORKERS) --job-workers $(JOB_WORKERS)
run: install ## serve on http://127.0.0.1:8000 (embedded PostgreSQL unless DATABASE_URL is set; WORKERS=2 THREADS=4, JOB_WORKERS=1 task-queue workers)
	@if [ -n "$$DATABASE_URL" ]; then $(SERVE); \
	else $(PY) -m config.devdb run -- env $(SERVE); fi

test: install ## the whole suite with coverage (throwaway embedded PostgreSQL unless DATABASE_URL)
	@if [ -n "$$DATABASE_URL" ]; then $(PY) -m pytest $(PYTEST_ARGS); \
	else $(PY) -m config.devdb test -- $(PY) -m pytest $(PYTEST_ARGS); fi

PYTEST_ARGS ?= --cov --cov-report=term-missing:skip-covered -p no:cacheprovider

BROWSER_RUN = $(PY) -m pytest tests/browser -q -p no:cacheprovider
test-browser: install ## admin and SPA in headless Chromium (/usr/bin/chromium; screenshots in artifacts/)
	@if [ -n "$$DATABASE_URL" ]; then $(BROWSER_RUN); \
	else $(PY) -m config.devdb test -- $(BROWSER_RUN); fi

CHAOS_IMPORT = env CHAOS_IMPORT_ROWS=$${CHAOS_IMPORT_ROWS:-20000} $(PY) -m pytest tests/imports/test_worker.py -q -p no:cacheprovider --no-cov

FUZZ_EXAMPLES ?= 300
FUZZ_RUN = env FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_RANDOM=1 $(PY) -m pytest tests/security/test_fuzz.py -q -p no:cacheprovider
fuzz: install ## Schemathesis, every operation, FUZZ_EXAMPLES (300) examples each and a DEBUG pass of a third, random seed (throwaway DB)
	@if [ -n "$$DATABASE_URL" ]; then $(FUZZ_RUN); \
	else $(PY) -m config.devdb test -- $(FUZZ_RUN); fi

lint: install ## ruff, mypy, import-linter (layers), manage.py check, makemigrations --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py check
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

# The API contract: docs/openapi.yaml is the schema /api/v1/schema/ serves (the test settings'
# URL conf, as served everywhere: no bench routes), written in drf-spectacular's stable order;
# tests/core/test_openapi_file.py fails when the two differ.
SCHEMA_FILE := docs/openapi.yaml
schema: install ## regenerate docs/openapi.yaml, the committed API contract, from the views
	DJANGO_SETTINGS_MODULE=config.settings.test BENCH_VIEWS=false $(PY) manage.py spectacular \
		--validate --fail-on-warn --file $(SCHEMA_FILE)

# TypeScript for the SPA from the committed contract: openapi-typescript writes the types
# (clients/typescript/src/schema.d.ts, generated, not committed), tsc type-checks an example.
CLIENT_DIR := clients/typescript
client: ## TypeScript types from docs/openapi.yaml (openapi-typescript) and tsc on an example (needs npm)
	@command -v npm >/dev/null || { echo "make client needs Node.js 20+ with npm, and npm is not on PATH (e.g. apt-get install nodejs npm, or https://nodejs.org)" >&2; exit 1; }
	@if grep -nE '://|"resolved"' $(CLIENT_DIR)/package-lock.json; then echo "$(CLIENT_DIR)/package-lock.json names a host: run \`npm run lock\` in $(CLIENT_DIR)" >&2; exit 1; fi
	cd $(CLIENT_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	cd $(CLIENT_DIR) && npx --no-install openapi-typescript ../../$(SCHEMA_FILE) --output src/schema.d.ts
	cd $(CLIENT_DIR) && npx --no-install tsc --noEmit -p tsconfig.json

# Not part of lint: it needs pypi.org's vulnerability data, which CI cannot reach (docs/SECURITY.md).
audit: install ## pip-audit on requirements.lock (WARNING, exit 0, if the vulnerability service is unreachable)
	$(PY) -m config.audit requirements.lock

fmt: install ## format and fix what ruff can
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

lock: | $(if $(filter uv,$(UV)),,$(UV_TOOL)) ## re-resolve pyproject.toml into the hash-pinned lock files
	$(UV) lock --python "$(PYTHON)"
	$(UV) export --quiet --no-dev --no-emit-project -o requirements.lock
	$(UV) export --quiet --all-groups --no-emit-project -o requirements-dev.lock

db-start: install ## start the embedded PostgreSQL in .data/postgres and leave it running
	$(PY) -m config.devdb start

db-stop: install ## stop the embedded PostgreSQL
	$(PY) -m config.devdb stop

db-status: install ## is the embedded PostgreSQL running?
	$(PY) -m config.devdb status

bench: install ## load test: uvicorn (2 workers, production settings) vs baselines, gunicorn, make run's settings and COVERAGE_CACHE=off, with wrk (BENCH_ONLY=text: some rows)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	@if [ -n "$$DATABASE_URL" ]; then echo "make bench uses its own embedded database"; fi
	$(PY) bench/load.py --seconds $${BENCH_SECONDS:-5} --rounds $${BENCH_ROUNDS:-5} \
		--run-threads $(THREADS) --only "$${BENCH_ONLY:-}" --write artifacts/bench.md

bench-coverage: install ## coverage summary at 10k employees: API vs selector vs raw SQL (throwaway DB)
	@if [ -n "$$DATABASE_URL" ]; then $(PY) bench/coverage.py; \
	else $(PY) -m config.devdb test -- $(PY) bench/coverage.py; fi

bench-scale: install ## ten times the size: seed 10k and 100k employees, list/detail/audit/summary ratios (BENCH_EMPLOYEES; throwaway DB)
	@if [ -n "$$DATABASE_URL" ]; then $(PY) bench/scale.py --employees $${BENCH_EMPLOYEES:-100000}; \
	else $(PY) -m config.devdb test -- $(PY) bench/scale.py --employees $${BENCH_EMPLOYEES:-100000}; fi

bench-imports: install ## a 100,000-row employee import: dry run and commit rows/s, peak memory (throwaway DB)
	@if [ -n "$$DATABASE_URL" ]; then $(PY) bench/imports.py; \
	else $(PY) -m config.devdb test -- $(PY) bench/imports.py; fi

bench-events: install ## 10,000 events to 3 webhook receivers on 2 workers: deliveries/s, p95 latency from commit (throwaway DB)
	@if [ -n "$$DATABASE_URL" ]; then $(PY) bench/events.py; \
	else $(PY) -m config.devdb test -- $(PY) bench/events.py; fi

bench-healthz: install ## /healthz latency while 260-week supply CSVs stream, and the CSVs' peak memory (own DB)
	$(PY) bench/healthz.py --employees $${BENCH_EMPLOYEES:-1000}

chaos: install ## 40 s of load on 2 uvicorn workers while a worker is killed and PostgreSQL restarts; then a 20,000-row import commit whose worker is SIGKILLed
	$(PY) bench/chaos.py --seconds $${CHAOS_SECONDS:-40}
	@if [ -n "$$DATABASE_URL" ]; then $(CHAOS_IMPORT); \
	else $(PY) -m config.devdb test -- $(CHAOS_IMPORT); fi

clean: ## remove the virtualenv and caches (keeps .data)
	rm -rf $(VENV) .tools .mypy_cache .ruff_cache .pytest_cache .coverage htmlcov
