"""A tiny run of the benchmark, so that it keeps working (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--persons",
            "300",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads((out / "benchmark.json").read_text())
    assert set(result["steps"]) == {"sample", "baseline", "inspect", "validate", "reconcile"}
    assert all(step["seconds"] > 0 and step["peak_mib"] > 0 for step in result["steps"].values())
    assert result["rows"]["dancu.csv"] > 250
    assert "validate" in done.stdout
