"""Benchmark cleanse against the least any tool must do: read the CSV, write Parquet.

Each step runs in its own process, so its wall time and peak memory are its own:

    python benchmarks/run.py --persons 1000000 --out bench-out

prints a table and writes ``bench-out/benchmark.json``. Steps so far: generating the
sample, the baseline (pyarrow reads each extract and writes it back as Parquet), and
``cleanse inspect`` (reading every extract through cleanse's chunked reader),
``cleanse validate`` on every extract and ``cleanse reconcile`` on all of them.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

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


def measure(cmd: list[str]) -> dict[str, float]:
    """Run ``cmd`` in a fresh process; return its wall seconds and peak RSS in MiB."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True, check=True
    )
    code, wall, peak = out.stdout.split()
    if int(code) not in (0, 1):  # 1 means "findings", a normal outcome
        raise SystemExit(f"step failed ({code}): {' '.join(cmd)}")
    return {"seconds": float(wall), "peak_mib": int(peak) / 1024}


def run(persons: int, out: Path, seed: int) -> dict[str, object]:
    """Generate the data and time every step; return the results."""
    data = out / f"data-{persons}"
    steps: dict[str, dict[str, float]] = {}
    cleanse = [sys.executable, "-m", "cleanse"]
    steps["sample"] = measure(
        [
            *cleanse,
            "sample",
            "--out",
            str(data),
            "--persons",
            str(persons),
            "--seed",
            str(seed),
            "--quiet",
        ]
    )
    extracts = sorted(data.glob("*.csv"))
    base = {"seconds": 0.0, "peak_mib": 0.0}
    for src in extracts:
        one = measure([sys.executable, "-c", BASELINE, str(src), str(out / f"{src.stem}.parquet")])
        base["seconds"] += one["seconds"]
        base["peak_mib"] = max(base["peak_mib"], one["peak_mib"])
    steps["baseline"] = base
    steps["inspect"] = measure([*cleanse, "inspect", "--json", *map(str, extracts)])
    steps["validate"] = measure(
        [*cleanse, "validate", *map(str, extracts), "--out", str(out / "validate-out"), "--quiet"]
    )
    steps["reconcile"] = measure(
        [*cleanse, "reconcile", *map(str, extracts), "--out", str(out / "reconcile-out"), "--quiet"]
    )
    rows = {p.name: sum(1 for _ in p.open("rb")) - 1 for p in extracts}
    for step in steps.values():
        step["ratio_to_baseline"] = step["seconds"] / base["seconds"] if base["seconds"] else 0.0
    return {
        "persons": persons,
        "rows": rows,
        "machine": {"python": platform.python_version(), "cpus": _cpus()},
        "steps": steps,
        "peak_rss_note": "peak RSS of the step's largest process, in MiB",
        "run_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: run the benchmark and print its table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("bench-out"))
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    result = run(args.persons, args.out, args.seed)
    (args.out / "benchmark.json").write_text(json.dumps(result, indent=2))
    print(f"{'step':<10} {'seconds':>9} {'peak MiB':>9} {'× baseline':>11}")
    for name, step in result["steps"].items():  # type: ignore[union-attr]
        print(
            f"{name:<10} {step['seconds']:>9.2f} {step['peak_mib']:>9.0f} "
            f"{step['ratio_to_baseline']:>11.2f}"
        )
    print(f"rows: {result['rows']}")
    return 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
