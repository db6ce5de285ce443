"""Benchmark cleanse against the least any tool must do: read the CSV, write Parquet.

Each step runs in its own process, so its wall time and peak memory are its own:

    python benchmarks/run.py --persons 1000000 --out bench-out [--validate-persons 10000000]

prints a table and writes ``bench-out/benchmark.json``. The steps: generating the sample,
the baseline (pyarrow reads each extract and writes it back as Parquet), ``cleanse
inspect`` (reading every extract through cleanse's chunked reader), ``cleanse validate``
on every extract and ``cleanse reconcile`` on all of them.

``reconcile`` is also scored against the sample's truth (``truth/persons.csv``): pairwise
precision, recall and F1 of the persons it finds (``pairwise_scores``).

When Splink is installed (``pip install '.[bench]'``) and ``--no-peer`` is not given, the
step ``splink`` runs ``benchmarks/splink_peer.py``, Splink 5 on DuckDB set up as a
competent user would, on the same four extracts; its clusters are scored the same way and
``reconcile_vs_splink`` is Splink's seconds over reconcile's (above 1: reconcile is faster).

``--validate-persons M`` generates a second sample of M persons and times ``sample_M``,
``baseline_M`` and ``validate_M`` on it; their ratios are to ``baseline_M``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import resource
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent

BASELINE = """
import csv as pycsv, sys, pyarrow as pa, pyarrow.csv as csv, pyarrow.parquet as pq
src, dst = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8-sig", newline="") as fh:
    first = fh.readline()
sep = ";" if first.count(";") > first.count(",") else ","
names = next(pycsv.reader([first], delimiter=sep))
types = {n: pa.string() for n in names}
table = csv.read_csv(src, parse_options=csv.ParseOptions(delimiter=sep, newlines_in_values=True),
                     convert_options=csv.ConvertOptions(column_types=types))
pq.write_table(table, dst)
"""

MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
print(f"{code} {wall:.4f} {peak}")
"""


def measure(cmd: list[str], *, may_fail: bool = False) -> dict[str, float]:
    """Run ``cmd`` in a fresh process; return its wall seconds and peak RSS in MiB.

    A step that exits with anything but 0 or 1 (1 means "findings", a normal outcome)
    stops the benchmark, unless ``may_fail``: then its exit code is in the result as
    ``exit_code``.
    """
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True, check=True
    )
    code, wall, peak = out.stdout.split()
    result = {"seconds": float(wall), "peak_mib": int(peak) / 1024}
    if int(code) not in (0, 1):
        if not may_fail:
            raise SystemExit(f"step failed ({code}): {' '.join(cmd)}")
        result["exit_code"] = int(code)
    return result


def pairwise_scores(pred_labels: object, true_labels: object) -> dict[str, float]:
    """Pairwise precision, recall and F1 of a clustering against the truth, vectorised.

    ``pred_labels[i]`` and ``true_labels[i]`` are record i's predicted and true cluster
    (any hashable values; a missing one, None or NaN, is a cluster of its own). A pair of
    records is predicted when both have one predicted label, true when both have one
    true label. With C(n, 2) = n(n-1)/2: true positives = Σ C(n, 2) over the cells
    (predicted label, true label), predicted pairs = Σ C(n, 2) over predicted clusters,
    true pairs = Σ C(n, 2) over true clusters. With no predicted (true) pair the
    precision (recall) is 1; F1 is 0 when both are 0.
    """
    pred = _codes(pred_labels)
    true = _codes(true_labels)
    if len(pred) != len(true):
        raise ValueError(f"{len(pred)} predicted labels for {len(true)} true ones")
    n_true = int(true.max()) + 1 if len(true) else 1
    cells = np.unique(pred * n_true + true, return_counts=True)[1]
    tp = _pairs(cells)
    predicted = _pairs(np.bincount(pred))
    actual = _pairs(np.bincount(true))
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "true_positive_pairs": tp,
        "predicted_pairs": predicted,
        "true_pairs": actual,
    }


def _codes(labels: object) -> np.ndarray:
    """Labels as int64 codes 0..k-1; each missing label gets a code of its own."""
    codes, uniques = pd.factorize(pd.Series(np.asarray(labels, dtype=object)))
    codes = codes.astype(np.int64)
    missing = codes < 0
    codes[missing] = len(uniques) + np.arange(int(missing.sum()), dtype=np.int64)
    return codes


def _pairs(sizes: np.ndarray) -> int:
    sizes = sizes.astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def score_clusters(clusters: Path, label: str, truth: Path) -> dict[str, float]:
    """Score a ``source,row,<label>`` Parquet file against ``truth/persons.csv``.

    Every record of the truth counts; one the clusters leave out is a cluster of its own.
    """
    true = pacsv.read_csv(
        truth,
        convert_options=pacsv.ConvertOptions(
            column_types={"source": pa.string(), "row": pa.int64(), "person": pa.string()}
        ),
    ).to_pandas()
    pred = pq.read_table(clusters, columns=["source", "row", label]).to_pandas()
    pred["row"] = pred["row"].astype("int64")
    both = true.merge(pred, on=["source", "row"], how="left", validate="one_to_one")
    return pairwise_scores(both[label].to_numpy(dtype=object), both["person"].to_numpy())


def _sample(persons: int, data: Path, seed: int) -> dict[str, float]:
    cmd = [sys.executable, "-m", "cleanse", "sample", "--out", str(data)]
    return measure([*cmd, "--persons", str(persons), "--seed", str(seed), "--quiet"])


def _baseline(extracts: list[Path], out: Path, suffix: str = "") -> dict[str, float]:
    base = {"seconds": 0.0, "peak_mib": 0.0}
    for src in extracts:
        dst = out / f"{src.stem}{suffix}.parquet"
        one = measure([sys.executable, "-c", BASELINE, str(src), str(dst)])
        base["seconds"] += one["seconds"]
        base["peak_mib"] = max(base["peak_mib"], one["peak_mib"])
    return base


def _rows(extracts: list[Path]) -> dict[str, int]:
    return {p.name: sum(1 for _ in p.open("rb")) - 1 for p in extracts}


def _ratios(steps: dict[str, dict[str, float]], names: list[str], base: float) -> None:
    for name in names:
        steps[name]["ratio_to_baseline"] = steps[name]["seconds"] / base if base else 0.0


def peer_status(no_peer: bool) -> str | None:
    """None when the Splink peer is to run, else why it is not."""
    if no_peer:
        return "skipped (--no-peer)"
    if importlib.util.find_spec("splink") is None:
        return "not installed"
    return None


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


def run(
    persons: int,
    out: Path,
    seed: int,
    *,
    peer: bool = True,
    validate_persons: int | None = None,
) -> dict[str, object]:
    """Generate the data and time every step; return the results."""
    data = out / f"data-{persons}"
    steps: dict[str, dict[str, float]] = {}
    cleanse = [sys.executable, "-m", "cleanse"]
    steps["sample"] = _sample(persons, data, seed)
    extracts = sorted(data.glob("*.csv"))
    steps["baseline"] = _baseline(extracts, out)
    steps["inspect"] = measure([*cleanse, "inspect", "--json", *map(str, extracts)])
    steps["validate"] = measure(
        [*cleanse, "validate", *map(str, extracts), "--out", str(out / "validate-out"), "--quiet"]
    )
    steps["reconcile"] = measure(
        [*cleanse, "reconcile", *map(str, extracts), "--out", str(out / "reconcile-out"), "--quiet"]
    )
    truth = data / "truth" / "persons.csv"
    steps["reconcile"].update(
        score_clusters(out / "reconcile-out" / "persons.parquet", "person_id", truth)
    )
    _fix_steps(steps, cleanse, extracts, data, out)
    main_steps = list(steps)

    result: dict[str, object] = {"persons": persons, "rows": _rows(extracts)}
    status = peer_status(not peer)
    if status is None:
        report = out / "splink-out" / "splink.json"
        report.parent.mkdir(parents=True, exist_ok=True)
        report.unlink(missing_ok=True)
        step = measure(
            [sys.executable, str(HERE / "splink_peer.py"), str(data), str(report)], may_fail=True
        )
        if "exit_code" in step or not report.exists():
            status = f"failed (exit code {step.get('exit_code', 0)})"
            result["peer_failed"] = step
        else:
            detail = json.loads(report.read_text())
            step.update(score_clusters(report.with_suffix(".parquet"), "cluster", truth))
            step["stages"] = detail["stages"]
            steps["splink"] = step
            main_steps.append("splink")
            status = f"splink {_version('splink')}, duckdb {_version('duckdb')}"
            result["peer_settings"] = detail["settings"]
    result["peer"] = status
    _ratios(steps, main_steps, steps["baseline"]["seconds"])
    result["reconcile_vs_splink"] = (
        steps["splink"]["seconds"] / steps["reconcile"]["seconds"] if "splink" in steps else None
    )

    if validate_persons:
        m = validate_persons
        big = out / f"data-{m}"
        steps[f"sample_{m}"] = _sample(m, big, seed)
        big_extracts = sorted(big.glob("*.csv"))
        steps[f"baseline_{m}"] = _baseline(big_extracts, out, f"-{m}")
        steps[f"validate_{m}"] = measure(
            [
                *cleanse,
                "validate",
                *map(str, big_extracts),
                "--out",
                str(out / f"validate-out-{m}"),
                "--quiet",
            ]
        )
        names = [f"sample_{m}", f"baseline_{m}", f"validate_{m}"]
        _ratios(steps, names, steps[f"baseline_{m}"]["seconds"])
        result[f"rows_{m}"] = _rows(big_extracts)

    result.update(
        {
            "machine": {"python": platform.python_version(), "cpus": _cpus()},
            "steps": steps,
            "peak_rss_note": "peak RSS of the step's largest process, in MiB",
            "scores_note": "pairwise precision/recall/F1 against truth/persons.csv",
            "reconcile_vs_splink_note": "splink seconds / reconcile seconds",
            "run_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
    )
    return result


def _fix_steps(
    steps: dict[str, dict[str, float]],
    cleanse: list[str],
    extracts: list[Path],
    data: Path,
    out: Path,
) -> None:
    """``fix`` on every extract, ``fix_reference`` on the others against ``dancu.csv``,
    then ``validate_fixed`` on those copies; the counts the fix issue asks for go into
    the ``fix_reference`` step: changes per rule, per synced field, worklist rows per
    action, findings before and after (validate on the inputs and on the fixed copies)."""
    quiet = ["--quiet"]
    steps["fix"] = measure(
        [*cleanse, "fix", *map(str, extracts), "--out", str(out / "fix-out"), *quiet]
    )
    reference = data / "dancu.csv"
    others = [p for p in extracts if p != reference]
    if not reference.exists() or not others:
        return
    fixed_out = out / "fix-reference-out"
    steps["fix_reference"] = measure(
        [*cleanse, "fix", *map(str, others), "--reference", str(reference)]
        + ["--out", str(fixed_out), *quiet]
    )
    copies = sorted((fixed_out / "fixed").glob("*.csv"))
    check = out / "validate-fixed-out"
    steps["validate_fixed"] = measure(
        [*cleanse, "validate", *map(str, copies), "--out", str(check), *quiet]
    )
    steps["fix_reference"].update(fix_counts(fixed_out, out / "validate-out", check, others))


def fix_counts(fixed: Path, before: Path, after: Path, extracts: list[Path]) -> dict[str, object]:
    """What a ``fix --reference`` run did, counted from its tables."""
    changes = pq.read_table(fixed / "changes.parquet").to_pandas()
    worklist = pq.read_table(fixed / "worklist.parquet").to_pandas()
    names = {p.name for p in extracts}
    old = pq.read_table(before / "findings.parquet", columns=["source"]).to_pandas()
    new = pq.read_table(after / "findings.parquet", columns=["source"]).to_pandas()
    synced = changes[changes["evidence"].astype(str).str.contains(".csv", regex=False)]
    return {
        "changed_cells": len(changes),
        "changes_per_rule": changes["rule"].value_counts().to_dict(),
        "synced_per_field": synced["field"].value_counts().to_dict(),
        "worklist_rows": len(worklist),
        "worklist_per_action": _actions(worklist["action"]),
        "validate_findings_before": int(old["source"].isin(names).sum()),
        "validate_findings_after": len(new),
    }


def _actions(action: pd.Series) -> dict[str, int]:
    """Worklist rows per action; a row with two actions counts under each, and the
    month of a "stop payment from month …" is left out so those rows count together."""
    each = action.astype(str).str.split("; ").explode()
    each = each.str.replace(r"\d{2}/\d{4}", "…", regex=True)
    return {str(k): int(v) for k, v in each.value_counts().items()}


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


def table(result: dict[str, object]) -> str:
    """The printed table: one line per step, then the peer's status and the row counts."""
    steps: dict[str, dict[str, float]] = result["steps"]  # type: ignore[assignment]
    width = max(10, *map(len, steps))
    lines = [f"{'step':<{width}} {'seconds':>9} {'peak MiB':>9} {'× baseline':>11} {'F1':>7}"]
    for name, step in steps.items():
        f1 = f"{step['f1']:>7.4f}" if "f1" in step else ""
        lines.append(
            f"{name:<{width}} {step['seconds']:>9.2f} {step['peak_mib']:>9.0f} "
            f"{step['ratio_to_baseline']:>11.2f} {f1}".rstrip()
        )
    if "splink" in steps:
        lines.append(
            f"peer: {result['peer']}; splink ÷ reconcile time: {result['reconcile_vs_splink']:.2f}"
        )
    else:
        lines.append(f"peer (splink): {result['peer']}")
    lines.append(f"rows: {result['rows']}")
    for key, rows in result.items():
        if key.startswith("rows_"):
            lines.append(f"rows ({key.removeprefix('rows_')} persons): {rows}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: run the benchmark and print its table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("bench-out"))
    ap.add_argument(
        "--no-peer", action="store_true", help="do not run the Splink peer even if installed"
    )
    ap.add_argument(
        "--validate-persons",
        type=int,
        metavar="M",
        help="also time validate on a second sample of M persons (step validate_M)",
    )
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    result = run(
        args.persons,
        args.out,
        args.seed,
        peer=not args.no_peer,
        validate_persons=args.validate_persons,
    )
    (args.out / "benchmark.json").write_text(json.dumps(result, indent=2))
    print(table(result))
    return 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
