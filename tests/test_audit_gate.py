"""The pip-audit gate of `make test` (.ci/audit_gate.py): found vulnerabilities and unaudited dependencies fail
the build unless waived, and a waiver past its date no longer counts."""

import datetime
import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("audit_gate", Path(__file__).parent.parent / ".ci" / "audit_gate.py")
gate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gate)

TODAY = datetime.date(2026, 11, 21)
CLEAN = {"name": "django", "version": "5.2", "vulns": []}
VULNERABLE = {"name": "pillow", "version": "1.0", "vulns": [{"id": "PYSEC-2099-1", "fix_versions": ["9.9"]}]}
SKIPPED = {"name": "celery", "skip_reason": "Dependency not found on PyPI and could not be audited: celery (5.5)"}


def waiver(until: str) -> dict:
    return {"reason": "because", "until": until}


def test_a_clean_report_passes():
    passed, lines = gate.evaluate({"dependencies": [CLEAN]}, {}, TODAY)
    assert passed and lines[-1] == "pip-audit: 1 audited, 0 known vulnerabilities, 0 not audited"


@pytest.mark.parametrize(
    ("waivers", "passed"),
    [
        ({}, False),
        ({"vulnerabilities": {"PYSEC-2099-1": waiver("2026-11-21")}}, True),  # last day still counts
        ({"vulnerabilities": {"PYSEC-2099-1": waiver("2026-11-20")}}, False),  # expired
        ({"vulnerabilities": {"PYSEC-2000-9": waiver("2027-01-01")}}, False),  # another advisory
        ({"unaudited": waiver("2027-01-01")}, False),  # never covers a found vulnerability
    ],
)
def test_a_found_vulnerability_fails_unless_that_advisory_is_waived_in_date(waivers, passed):
    ok, lines = gate.evaluate({"dependencies": [CLEAN, VULNERABLE]}, waivers, TODAY)
    assert ok is passed
    assert any("PYSEC-2099-1" in line for line in lines)


@pytest.mark.parametrize(
    ("waivers", "passed", "says"),
    [({}, False, "no waiver"), ({"unaudited": waiver("2026-12-31")}, True, "waived until 2026-12-31"),
     ({"unaudited": waiver("2026-11-01")}, False, "expired 2026-11-01")],
)  # fmt: skip
def test_unaudited_dependencies_need_a_dated_waiver(waivers, passed, says):
    ok, lines = gate.evaluate({"dependencies": [CLEAN, SKIPPED]}, waivers, TODAY)
    assert ok is passed
    assert says in lines[0] and "1 of 2 dependencies could not be audited" in lines[0]


def test_the_committed_waivers_file_is_valid():
    waivers = gate.json.loads(gate.WAIVERS.read_text())
    for entry in [*waivers.get("vulnerabilities", {}).values(), waivers.get("unaudited")]:
        if entry:
            assert entry["reason"].strip() and datetime.date.fromisoformat(entry["until"])
