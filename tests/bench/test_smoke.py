"""The benchmark suite still runs: bench/run.py --smoke on tiny data (its own database, gunicorn and worker).
Figures are not checked here — speed is measured by `make bench`, never asserted in a test."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_the_benchmark_suite_runs_on_tiny_data():
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}

    done = subprocess.run(
        [sys.executable, "bench/run.py", "--smoke"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    path = ROOT / done.stdout.strip().rsplit("results: ", 1)[1].strip()
    results = json.loads(path.read_text())
    benches = {row["bench"] for row in results["rows"]}
    assert benches >= {"2", "3", "4", "5", "6", "7", "8"}
    assert results["3_flow"]["errors"] == 0
    assert results["3_flow"]["flows"] > 0
