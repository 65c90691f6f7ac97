"""Audit the locked dependencies for known vulnerabilities with pip-audit, tolerating no network.

pip-audit asks PyPI's vulnerability service about each pinned version. Where that service
cannot be reached (an offline build machine), it reports every dependency as "could not be
audited" and would still exit 0 saying "No known vulnerabilities found": this wrapper says
plainly that the audit was skipped instead. A vulnerability found fails the run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXIT_VULNERABLE = 1


def audit(lock: Path, pip_audit: str) -> int:
    """Audit one lock file; return 0 when clean or unreachable, 1 when a vulnerability is known."""
    command = [pip_audit, "-r", str(lock), "--no-deps", "--disable-pip", "--progress-spinner", "off", "-f", "json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        print(f"audit: {lock}: skipped, pip-audit gave no report ({done.stderr.strip().splitlines()[-1:]})")
        return 0
    dependencies = report["dependencies"]
    audited = [d for d in dependencies if "skip_reason" not in d]
    if not audited:
        print(
            f"audit: {lock}: skipped, the vulnerability database could not be reached "
            f"({len(dependencies)} dependencies unaudited)"
        )
        return 0
    vulnerable = [d for d in audited if d.get("vulns")]
    for dependency in vulnerable:
        ids = ", ".join(v["id"] for v in dependency["vulns"])
        print(f"audit: {dependency['name']} {dependency['version']}: {ids}")
    unaudited = len(dependencies) - len(audited)
    print(f"audit: {lock}: {len(audited)} audited, {unaudited} not found, {len(vulnerable)} vulnerable")
    return EXIT_VULNERABLE if vulnerable else 0


def main(argv: list[str]) -> int:
    pip_audit = str(Path(sys.executable).parent / "pip-audit")
    return max(audit(Path(lock), pip_audit) for lock in argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
