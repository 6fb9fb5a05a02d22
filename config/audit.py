"""`make audit`: pip-audit over the lock file, with a plain verdict.

`python -m config.audit [requirements.lock]` runs
`pip-audit -r <lock> --disable-pip --no-deps` and exits
- 1 when a dependency has a known vulnerability (each is printed with its fix versions);
- 0 with a WARNING line when the vulnerability service cannot be reached (pip-audit then reports
  every dependency as "not found on PyPI" and exits 0, which would read as a clean audit);
- 0 when every dependency was checked and none is vulnerable;
- pip-audit's own exit code (or 2) when it fails for any other reason.
Not part of `make lint`: CI has no route to the vulnerability service (see docs/SECURITY.md).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

NOT_FOUND = "not found on PyPI"
# What pip-audit prints when it cannot reach the service at all (no JSON report then).
NETWORK_ERROR = re.compile(
    r"ConnectionError|ConnectTimeout|ReadTimeout|Max retries exceeded|NameResolutionError|"
    r"Temporary failure in name resolution|Network is unreachable|ProxyError|SSLError",
)


def pip_audit_command(lock: str) -> list[str]:
    """The pip-audit invocation: the hash-pinned lock as is, no resolver, no pip."""
    return [
        sys.executable,
        "-m",
        "pip_audit",
        "-r",
        lock,
        "--disable-pip",
        "--no-deps",
        "--format",
        "json",
        "--progress-spinner",
        "off",
    ]


def verdict(returncode: int, stdout: str, stderr: str) -> tuple[int, list[str]]:
    """The exit code and the lines to print for one pip-audit run."""
    try:
        report: dict[str, Any] = json.loads(stdout)
        dependencies: list[dict[str, Any]] = report["dependencies"]
    except (ValueError, KeyError, TypeError):
        if NETWORK_ERROR.search(stderr):
            return 0, [
                "WARNING: the vulnerability service could not be reached; nothing was audited.",
                *stderr.strip().splitlines()[-1:],
            ]
        return returncode or 2, ["pip-audit failed:", *stderr.strip().splitlines()]

    vulnerable = [dep for dep in dependencies if dep.get("vulns")]
    skipped = [dep for dep in dependencies if dep.get("skip_reason")]
    lines: list[str] = []
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            lines.append(f"VULNERABLE: {dep['name']} {dep['version']}: {vuln['id']} (fix: {fixes})")
    if vulnerable:
        return 1, [*lines, f"{len(vulnerable)} of {len(dependencies)} dependencies are vulnerable."]

    unreachable = all(NOT_FOUND in dep["skip_reason"] for dep in skipped)
    if dependencies and len(skipped) == len(dependencies) and unreachable:
        return 0, [
            f"WARNING: the vulnerability service could not be reached: none of the "
            f"{len(dependencies)} dependencies could be audited (pip-audit: "
            f'"{skipped[0]["skip_reason"]}"). Nothing was checked; run `make audit` where '
            "pypi.org is reachable."
        ]
    for dep in skipped:
        lines.append(f"WARNING: not audited: {dep['skip_reason']}")
    if returncode != 0:
        return returncode, [*lines, "pip-audit failed:", *stderr.strip().splitlines()]
    audited = len(dependencies) - len(skipped)
    return 0, [*lines, f"No known vulnerabilities in {audited} audited dependencies."]


def main(argv: list[str]) -> int:
    """Run pip-audit on the lock file (default requirements.lock) and print the verdict."""
    lock = argv[0] if argv else "requirements.lock"
    result = subprocess.run(  # noqa: S603
        pip_audit_command(lock), capture_output=True, text=True, timeout=900, check=False
    )
    code, lines = verdict(result.returncode, result.stdout, result.stderr)
    for line in lines:
        print(line, file=sys.stderr if code else sys.stdout)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
