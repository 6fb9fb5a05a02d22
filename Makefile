# Coveris — every command a developer needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.13 2>/dev/null || command -v python3 2>/dev/null)
# uv from PATH when it works, else a private copy installed with pip into .tools/.
UV := $(shell if command -v uv >/dev/null 2>&1 && uv --version >/dev/null 2>&1; then echo uv; else echo .tools/bin/uv; fi)
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help run test test-browser lint audit fmt lock install db-start db-stop db-status bench bench-coverage chaos fuzz clean

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

.tools/bin/uv:
	@echo "==> installing uv into .tools/ (no uv on PATH)"
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target .tools uv

$(VENV)/.synced: requirements.lock requirements-dev.lock .python-version | $(if $(filter uv,$(UV)),,.tools/bin/uv)
	@echo "==> building $(VENV) from requirements-dev.lock with $(PYTHON)"
	@test -x $(PY) || $(UV) venv --quiet --python "$(PYTHON)" $(VENV)
	$(UV) pip sync --quiet --python $(PY) requirements-dev.lock
	@touch $@

install: $(VENV)/.synced ## build .venv from the lock files

run: install ## serve on http://127.0.0.1:8000 (embedded PostgreSQL unless DATABASE_URL is set)
	@if [ -n "$$DATABASE_URL" ]; then $(PY) -m config.serve --host $(HOST) --port $(PORT); \
	else $(PY) -m config.devdb run -- $(PY) -m config.serve --host $(HOST) --port $(PORT); fi

test: install ## the whole suite with coverage (throwaway embedded PostgreSQL unless DATABASE_URL)
	@if [ -n "$$DATABASE_URL" ]; then $(PY) -m pytest $(PYTEST_ARGS); \
	else $(PY) -m config.devdb test -- $(PY) -m pytest $(PYTEST_ARGS); fi

PYTEST_ARGS ?= --cov --cov-report=term-missing:skip-covered -p no:cacheprovider

BROWSER_RUN = $(PY) -m pytest tests/browser -q -p no:cacheprovider
test-browser: install ## admin and SPA in headless Chromium (/usr/bin/chromium; screenshots in artifacts/)
	@if [ -n "$$DATABASE_URL" ]; then $(BROWSER_RUN); \
	else $(PY) -m config.devdb test -- $(BROWSER_RUN); fi

FUZZ_EXAMPLES ?= 300
FUZZ_RUN = env FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_RANDOM=1 $(PY) -m pytest tests/security/test_fuzz.py -q -p no:cacheprovider
fuzz: install ## Schemathesis, every operation, FUZZ_EXAMPLES (300) examples each, random seed (throwaway DB)
	@if [ -n "$$DATABASE_URL" ]; then $(FUZZ_RUN); \
	else $(PY) -m config.devdb test -- $(FUZZ_RUN); fi

lint: install ## ruff, mypy, import-linter (layers), manage.py check, makemigrations --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py check
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

# Not part of lint: it needs pypi.org's vulnerability data, which CI cannot reach (docs/SECURITY.md).
audit: install ## pip-audit on requirements.lock (WARNING, exit 0, if the vulnerability service is unreachable)
	$(PY) -m config.audit requirements.lock

fmt: install ## format and fix what ruff can
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

lock: | $(if $(filter uv,$(UV)),,.tools/bin/uv) ## re-resolve pyproject.toml into the hash-pinned lock files
	$(UV) lock --python "$(PYTHON)"
	$(UV) export --quiet --no-dev --no-emit-project -o requirements.lock
	$(UV) export --quiet --all-groups --no-emit-project -o requirements-dev.lock

db-start: install ## start the embedded PostgreSQL in .data/postgres and leave it running
	$(PY) -m config.devdb start

db-stop: install ## stop the embedded PostgreSQL
	$(PY) -m config.devdb stop

db-status: install ## is the embedded PostgreSQL running?
	$(PY) -m config.devdb status

bench: install ## load test: uvicorn (2 workers, production settings) vs baselines and gunicorn, with wrk
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	@if [ -n "$$DATABASE_URL" ]; then echo "make bench uses its own embedded database"; fi
	$(PY) bench/load.py --seconds $${BENCH_SECONDS:-5} --rounds $${BENCH_ROUNDS:-5} --write artifacts/bench.md

bench-coverage: install ## coverage summary at 10k employees: API vs selector vs raw SQL (throwaway DB)
	@if [ -n "$$DATABASE_URL" ]; then $(PY) bench/coverage.py; \
	else $(PY) -m config.devdb test -- $(PY) bench/coverage.py; fi

chaos: install ## 40 s of load on 2 uvicorn workers while a worker is killed and PostgreSQL restarts
	$(PY) bench/chaos.py --seconds $${CHAOS_SECONDS:-40}

clean: ## remove the virtualenv and caches (keeps .data)
	rm -rf $(VENV) .tools .mypy_cache .ruff_cache .pytest_cache .coverage htmlcov
