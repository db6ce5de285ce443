"""How well ``reconcile`` links, against a sample's truth: the figures linking work is judged by.

    python benchmarks/quality.py DATA OUT [--misses N]

``DATA`` is a ``cleanse sample`` folder (its extracts and ``truth/``), ``OUT`` the folder
``cleanse reconcile`` wrote for it (its ``persons`` and ``findings``, Parquet or CSV).
Printed, and written to ``OUT/quality.json``:

- pairwise precision and recall of the persons, over all pairs and over *cross-source*
  pairs only (two records of different extracts: the links an officer relies on);
- merged persons: predicted persons holding two or more true persons, and how many of
  those join records with different IDs that each agree with their own record;
- ``link.unmatched`` precision (reported records that truly have no reference record);
- ``vital.deceased_active`` recall and precision against the truth's planted findings.

With ``--misses N``, N missed and N false cross-source pairs are printed by kind, as
``source:row`` pairs (no values), to look up in the extracts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def _table(out: Path, name: str) -> pd.DataFrame:
    if (out / f"{name}.parquet").exists():
        frame = pd.read_parquet(out / f"{name}.parquet")
    else:
        frame = pd.read_csv(out / f"{name}.csv", dtype=str, keep_default_na=False)
    return frame.astype({"source": str})


def _c2(n: np.ndarray) -> int:
    n = n.astype(np.int64)
    return int((n * (n - 1) // 2).sum())


def _pairs_within(groups: pd.DataFrame, keys: list[str]) -> tuple[int, int]:
    """(all pairs, cross-source pairs) among records sharing ``keys``."""
    sizes = groups.groupby(keys, observed=True).size().to_numpy()
    per_source = groups.groupby([*keys, "source"], observed=True).size().to_numpy()
    total = _c2(sizes)
    return total, total - _c2(per_source)


def pairwise(both: pd.DataFrame) -> dict[str, float]:
    """Pairwise scores of ``pred`` against ``true`` (columns of ``both``), all and cross."""
    tp, tp_x = _pairs_within(both, ["pred", "true"])
    pp, pp_x = _pairs_within(both, ["pred"])
    tt, tt_x = _pairs_within(both, ["true"])
    out: dict[str, float] = {}
    for tag, t, p, a in (("", tp, pp, tt), ("cross_", tp_x, pp_x, tt_x)):
        precision = t / p if p else 1.0
        recall = t / a if a else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out |= {
            f"{tag}precision": precision,
            f"{tag}recall": recall,
            f"{tag}f1": f1,
            f"{tag}true_pairs": a,
            f"{tag}predicted_pairs": p,
            f"{tag}missed_pairs": a - t,
            f"{tag}false_pairs": p - t,
        }
    return out


def _rule_scores(found: pd.DataFrame, truth: pd.DataFrame, rule: str) -> dict[str, float]:
    got = found[found["rule"] == rule]
    want = truth[(truth["rule"] == rule) & (truth["command"] == "reconcile")]
    g = set(zip(got["source"], got["row"].astype(str), strict=True))
    w = set(zip(want["source"], want["row"].astype(str), strict=True))
    hit = len(g & w)
    return {
        "reported": len(g),
        "planted": len(w),
        "precision": hit / len(g) if g else 1.0,
        "recall": hit / len(w) if w else 1.0,
    }


def evaluate(data: Path, out: Path, misses: int = 0) -> dict[str, object]:
    truth = pd.read_csv(data / "truth" / "persons.csv", dtype=str, keep_default_na=False)
    persons = _table(out, "persons")
    persons["row"] = persons["row"].astype(str)
    both = truth.merge(persons, on=["source", "row"], how="left", validate="one_to_one")
    both = both.rename(columns={"person": "true", "person_id": "pred"})
    missing = both["pred"].isna()
    both.loc[missing, "pred"] = "missing:" + both.index[missing].astype(str)
    result: dict[str, object] = pairwise(both)

    # Predicted persons that hold two or more true persons.
    per = both.groupby("pred", observed=True)["true"].nunique()
    result["merged_persons"] = int((per > 1).sum())

    findings = _table(out, "findings")
    planted = pd.read_csv(data / "truth" / "findings.csv", dtype=str, keep_default_na=False)
    # link.unmatched is right when the record's true person has no reference record.
    ref_people = set(truth.loc[truth["source"] == "dancu.csv", "person"])
    un = findings[findings["rule"] == "link.unmatched"].astype({"row": str})
    un = un.merge(truth, on=["source", "row"], how="left")
    right = (~un["person"].isin(ref_people)).sum()
    result["unmatched"] = {
        "reported": len(un),
        "precision": float(right / len(un)) if len(un) else 1.0,
        "truly_unmatched": int(
            (~truth["person"].isin(ref_people) & (truth["source"] != "dancu.csv")).sum()
        ),
    }
    result["deceased_active"] = _rule_scores(findings, planted, "vital.deceased_active")
    result["id_conflict"] = _rule_scores(findings, planted, "link.id_conflict")
    if misses:
        _print_misses(both, misses)
    return result


def _print_misses(both: pd.DataFrame, k: int) -> None:
    """A few missed and false cross-source pairs, as source:row, for looking up."""
    both = both.assign(key=both["source"] + ":" + both["row"])
    for label, group_by, other in (("missed", "true", "pred"), ("false", "pred", "true")):
        shown = 0
        for _, g in both.groupby(group_by, observed=True):
            if g[other].nunique() < 2 or g["source"].nunique() < 2:
                continue
            parts = [" ".join(sub["key"]) for _, sub in g.groupby(other, observed=True)]
            print(f"{label}: " + " | ".join(parts))
            shown += 1
            if shown >= k:
                break


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--misses", type=int, default=0)
    args = parser.parse_args(argv)
    result = evaluate(args.data, args.out, args.misses)
    (args.out / "quality.json").write_text(json.dumps(result, indent=2) + "\n")
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
