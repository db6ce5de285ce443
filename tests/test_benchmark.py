"""Tiny runs of the benchmark, so that it keeps working (no timing is asserted)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "benchmarks" / "run.py"
STEPS = {
    "sample",
    "baseline",
    "inspect",
    "validate",
    "reconcile",
    "fix",
    "fix_reference",
    "validate_fixed",
}


def _load_run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmark_run", RUN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _load_run()


def _run(out: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    done = subprocess.run(
        [sys.executable, str(RUN), "--persons", "300", "--out", str(out), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done, json.loads((out / "benchmark.json").read_text())


def _assert_scores(step: dict) -> None:
    for key in ("precision", "recall", "f1"):
        assert 0.0 <= step[key] <= 1.0, (key, step[key])


def test_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    done, result = _run(tmp_path / "bench", "--no-peer")
    assert set(result["steps"]) == STEPS
    assert all(step["seconds"] > 0 and step["peak_mib"] > 0 for step in result["steps"].values())
    assert result["rows"]["dancu.csv"] > 250
    assert "validate" in done.stdout
    reconcile = result["steps"]["reconcile"]
    _assert_scores(reconcile)
    assert reconcile["f1"] > 0.9
    assert result["peer"] == "skipped (--no-peer)"
    assert result["reconcile_vs_splink"] is None
    assert "F1" in done.stdout.splitlines()[0]
    assert "peer (splink): skipped" in done.stdout


def test_benchmark_times_validate_on_a_second_sample(tmp_path: Path) -> None:
    done, result = _run(tmp_path / "bench", "--no-peer", "--validate-persons", "400")
    assert set(result["steps"]) == STEPS | {"sample_400", "baseline_400", "validate_400"}
    assert result["steps"]["baseline_400"]["ratio_to_baseline"] == 1.0
    assert result["rows_400"]["dancu.csv"] > result["rows"]["dancu.csv"]
    assert "validate_400" in done.stdout


def test_benchmark_runs_the_splink_peer_at_a_tiny_size(tmp_path: Path) -> None:
    pytest.importorskip("splink")
    done, result = _run(tmp_path / "bench")
    assert set(result["steps"]) == STEPS | {"splink"}
    splink = result["steps"]["splink"]
    _assert_scores(splink)
    assert splink["seconds"] > 0 and splink["peak_mib"] > 0
    assert result["peer"].startswith("splink 5.")
    assert result["reconcile_vs_splink"] > 0
    clusters = tmp_path / "bench" / "splink-out" / "splink.parquet"
    assert bench.pq.read_schema(clusters).names == ["source", "row", "cluster"]
    assert "splink" in done.stdout


def test_pairwise_scores_on_a_hand_made_example() -> None:
    # predicted {0,1} {2,3}; true {0,1,2} {3}: pairs predicted 01, 23; true 01, 02, 12.
    scores = bench.pairwise_scores(["a", "a", "b", "b"], ["x", "x", "x", "y"])
    assert scores["true_positive_pairs"] == 1
    assert scores["predicted_pairs"] == 2
    assert scores["true_pairs"] == 3
    assert scores["precision"] == pytest.approx(1 / 2)
    assert scores["recall"] == pytest.approx(1 / 3)
    assert scores["f1"] == pytest.approx(2 * (1 / 2) * (1 / 3) / (1 / 2 + 1 / 3))


def test_pairwise_scores_edge_cases() -> None:
    perfect = bench.pairwise_scores([1, 1, 2], ["p", "p", "q"])
    assert (perfect["precision"], perfect["recall"], perfect["f1"]) == (1.0, 1.0, 1.0)
    # Missing predicted labels are clusters of their own, not one cluster of "missing".
    apart = bench.pairwise_scores([None, np.nan, None], ["p", "p", "p"])
    assert apart["predicted_pairs"] == 0 and apart["true_pairs"] == 3
    assert (apart["precision"], apart["recall"], apart["f1"]) == (1.0, 0.0, 0.0)
    together = bench.pairwise_scores(np.zeros(1000, dtype=np.int64), np.arange(1000))
    assert together["predicted_pairs"] == 1000 * 999 // 2 and together["f1"] == 0.0
    with pytest.raises(ValueError):
        bench.pairwise_scores([1, 2], [1])


def test_score_clusters_joins_on_source_and_row(tmp_path: Path) -> None:
    import pandas as pd

    truth = tmp_path / "persons.csv"
    pd.DataFrame(
        {"source": ["a.csv", "a.csv", "b.csv"], "row": [1, 2, 1], "person": ["P1", "P1", "P2"]}
    ).to_csv(truth, index=False)
    pred = tmp_path / "pred.parquet"
    # Out of order, and b.csv row 1 left out (a cluster of its own).
    pd.DataFrame({"source": ["a.csv", "a.csv"], "row": [2, 1], "cluster": ["c", "c"]}).to_parquet(
        pred
    )
    scores = bench.score_clusters(pred, "cluster", truth)
    assert scores["f1"] == 1.0 and scores["true_pairs"] == 1


def test_peer_status(monkeypatch: pytest.MonkeyPatch) -> None:
    assert bench.peer_status(True) == "skipped (--no-peer)"
    monkeypatch.setattr(bench.importlib.util, "find_spec", lambda name: None)
    assert bench.peer_status(False) == "not installed"
    line = bench.table(
        {
            "steps": {"baseline": {"seconds": 1.0, "peak_mib": 1.0, "ratio_to_baseline": 1.0}},
            "peer": "not installed",
            "rows": {},
        }
    )
    assert "peer (splink): not installed" in line
