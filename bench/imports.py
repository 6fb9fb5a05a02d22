"""`make bench-imports`: a large employee import, dry run and commit, in one run.

Writes a CSV of BENCH_ROWS (100,000) new employees in one org unit, then, each in a fresh child
process as a worker runs it (apps.imports.engine, the code the queue's tasks call):
  - the dry run of a tenth of the file and of the whole file (rows/s, peak RSS),
  - the commit of the whole file (rows/s, peak RSS), or of BENCH_COMMIT_ROWS rows when set,
and prints them with the targets of issue 18: dry run >= 1,000 rows/s, commit >= 300 rows/s,
peak worker memory under 300 MB and flat in the file's size. Nothing here fails a build.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coveris_bench .venv/bin/python bench/imports.py
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

ROWS = int(os.environ.get("BENCH_ROWS", "100000"))
COMMIT_ROWS = int(os.environ.get("BENCH_COMMIT_ROWS", str(ROWS)))
UNIT = "BENCH-IMPORT"


def _setup() -> None:
    import django

    django.setup()


def write_csv(path: Path, rows: int, prefix: str) -> int:
    with path.open("w", encoding="utf-8") as out:
        out.write("employee_number,first_name,last_name,email,org_unit,contract_hours,hire_date\n")
        for i in range(rows):
            hours = ("40", "38.5", "32", "20")[i % 4]
            out.write(
                f"{prefix}{i:07d},Ann{i},Archer{i},{prefix.lower()}{i}@example.test,{UNIT},"
                f"{hours},2026-01-05\n"
            )
    return path.stat().st_size


def child(step: str, path: str, import_id: str) -> None:
    """One step of an uploaded import in this process, as a worker runs it: prints
    {"seconds", "rows", "maxrss_mb", "import"} as JSON."""
    _setup()
    from django.db import transaction
    from procrastinate.contrib.django.models import ProcrastinateJob

    from apps.imports import engine, services
    from apps.imports.models import Import

    upload = Import.objects.get(pk=int(import_id))
    started = time.perf_counter()
    if step == "validate":
        upload = engine.validate(upload)
    else:
        with transaction.atomic():
            upload = services.import_commit(upload=upload, partial=False, user=None)
            ProcrastinateJob.objects.filter(args__import_id=upload.pk).delete()
        started = time.perf_counter()
        upload = engine.commit(upload)
    seconds = time.perf_counter() - started
    assert upload.state in ("validated", "committed"), (upload.state, upload.error)
    maxrss_mb = peak_rss_mb()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rows": upload.rows_total,
                "maxrss_mb": maxrss_mb,
                "import": upload.pk,
                "errors": upload.errors,
            }
        )
    )


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: getrusage's ru_maxrss would carry over the
    parent's, which Linux keeps across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _upload(path: Path) -> int:
    """The upload, as the web process takes it (here, not in the measured child)."""
    from django.db import transaction
    from procrastinate.contrib.django.models import ProcrastinateJob

    from apps.imports import services

    with transaction.atomic():
        upload = services.import_create(
            kind="employees", filename=path.name, content=path.read_bytes(), user=None
        )
        ProcrastinateJob.objects.filter(args__import_id=upload.pk).delete()
    return upload.pk


def _run(step: str, path: Path, import_id: int = 0) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", step, str(path), str(import_id)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        sys.exit(f"{step} failed:\n{result.stdout}\n{result.stderr}")
    data: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def main() -> None:
    _setup()
    from django.core.management import call_command

    from apps.org import services
    from apps.org.models import OrgUnit

    call_command("migrate", verbosity=0)
    if not OrgUnit.objects.filter(code=UNIT).exists():
        services.org_unit_create(code=UNIT, name="Benchmark imports")
    prefix = f"B{int(time.time()) % 100000:05d}-"
    workdir = Path(tempfile.mkdtemp(prefix="bench-imports-"))
    small, large, committed = workdir / "small.csv", workdir / "large.csv", workdir / "commit.csv"
    small_bytes = write_csv(small, max(ROWS // 10, 1), prefix + "S")
    large_bytes = write_csv(large, ROWS, prefix + "L")
    print(f"employee import: {ROWS:,} rows ({large_bytes / 1e6:.1f} MB of CSV), one org unit")

    results = []
    dry_runs = (("dry run, a tenth", small, small_bytes), ("dry run", large, large_bytes))
    for label, path, size in dry_runs:
        results.append((label, _run("validate", path, _upload(path)), size))
    if COMMIT_ROWS == ROWS:
        import_id = int(results[-1][1]["import"])
        commit_size = large_bytes
    else:
        commit_size = write_csv(committed, COMMIT_ROWS, prefix + "C")
        import_id = int(_run("validate", committed, _upload(committed))["import"])
    results.append(("commit", _run("commit", large, import_id), commit_size))

    print(f"\n{'step':<18}{'rows':>9}{'s':>9}{'rows/s':>10}{'peak RSS MB':>13}{'file MB':>9}")
    print("-" * 68)
    for label, r, size in results:
        print(
            f"{label:<18}{int(r['rows']):>9,}{r['seconds']:>9.1f}{r['rows'] / r['seconds']:>10,.0f}"
            f"{r['maxrss_mb']:>13.0f}{size / 1e6:>9.1f}"
        )
    tenth, dry, commit = (r for _, r, _ in results)
    dry_rate = dry["rows"] / dry["seconds"]
    commit_rate = commit["rows"] / commit["seconds"]
    peak = max(r["maxrss_mb"] for _, r, _ in results)
    growth = dry["maxrss_mb"] / tenth["maxrss_mb"]

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print("\ntargets:")
    print(f"  dry run >= 1,000 rows/s: {dry_rate:,.0f} — {verdict(dry_rate >= 1000)}")
    print(f"  commit >= 300 rows/s: {commit_rate:,.0f} — {verdict(commit_rate >= 300)}")
    print(f"  peak worker memory < 300 MB: {peak:.0f} MB — {verdict(peak < 300)}")
    print(
        f"  flat in file size: 10× the rows costs {growth:.2f}× the memory — "
        f"{verdict(growth < 1.5)}"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()
