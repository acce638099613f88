"""pip-audit gate for `make test`: known vulnerabilities in the pinned runtime requirements fail the build
unless waived with an end date, and so does a dependency pip-audit could not check.

Waivers live in .ci/audit-waivers.json:
  {"vulnerabilities": {"<advisory id>": {"reason": "...", "until": "YYYY-MM-DD"}},
   "unaudited": {"reason": "...", "until": "YYYY-MM-DD"}}
A waiver past its date no longer counts. `unaudited` covers dependencies pip-audit skipped (for example a package
index that does not serve PyPI's JSON API); it never covers a vulnerability that was found.

Usage: audit_gate.py [--report FILE]   (without --report it runs pip-audit on requirements.txt itself)
"""

import argparse
import datetime
import json
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
WAIVERS = Path(__file__).with_name("audit-waivers.json")


def _alive(waiver: dict | None, today: datetime.date) -> bool:
    return bool(waiver) and datetime.date.fromisoformat(waiver["until"]) >= today


def evaluate(report: dict, waivers: dict, today: datetime.date) -> tuple[bool, list[str]]:
    """(passed, lines to print) for a pip-audit JSON report."""
    lines, passed = [], True
    deps = report.get("dependencies", [])
    found = [(d["name"], d["version"], v["id"]) for d in deps for v in d.get("vulns", [])]
    skipped = [d["name"] for d in deps if d.get("skip_reason")]
    for name, version, vuln in found:
        waiver = waivers.get("vulnerabilities", {}).get(vuln)
        if _alive(waiver, today):
            lines.append(f"waived {vuln} in {name} {version} until {waiver['until']}: {waiver['reason']}")
        else:
            passed = False
            lines.append(f"VULNERABLE {name} {version}: {vuln}" + (" (waiver expired)" if waiver else ""))
    if skipped:
        waiver = waivers.get("unaudited")
        head = f"{len(skipped)} of {len(deps)} dependencies could not be audited ({', '.join(skipped[:5])}…)"
        if _alive(waiver, today):
            lines.append(f"{head}: waived until {waiver['until']}: {waiver['reason']}")
        else:
            passed = False
            lines.append(f"{head}: no waiver" + (f" (expired {waiver['until']})" if waiver else ""))
    audited = len(deps) - len(skipped)
    lines.append(f"pip-audit: {audited} audited, {len(found)} known vulnerabilities, {len(skipped)} not audited")
    return passed, lines


def run_pip_audit() -> dict:
    cmd = [sys.executable, "-m", "pip_audit", "-r", str(ROOT / "requirements.txt"), "--no-deps", "--disable-pip",
           "--format", "json", "--progress-spinner", "off"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)  # noqa: S603
    if not done.stdout.strip():
        raise SystemExit(f"pip-audit gave no report (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--report", type=Path)
    args = parser.parse_args()
    report = json.loads(args.report.read_text()) if args.report else run_pip_audit()
    waivers = json.loads(WAIVERS.read_text()) if WAIVERS.exists() else {}
    passed, lines = evaluate(report, waivers, datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date())
    print("\n".join(lines))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
