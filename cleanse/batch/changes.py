"""Comparing a job's findings with its previous run's: the ``changes`` table.

Each finding is keyed by the record it is about, not its row (``cleanse.keys.record_keys``:
a keyed digest of the ID number, else the BHXH code, else the folded name and birth date), so a
finding whose row moved persists. ``compare_findings`` says of each finding whether it
is new, persisting or resolved since the previous run (``previous_findings``).

Of the batch package it imports ``folders`` (which run ``latest`` names); of cleanse,
``keys``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cleanse.batch.folders import read_latest
from cleanse.keys import record_keys

__all__ = ["STATUSES", "CHANGE_COLUMNS", "record_keys", "previous_findings", "compare_findings"]

STATUSES = ("new", "persisting", "resolved")
CHANGE_COLUMNS = [
    "status",
    "record",
    "rule",
    "severity",
    "field",
    "occurrence",
    "source",
    "row",
    "previous_source",
    "previous_row",
]


def previous_findings(base: Path) -> tuple[str | None, pd.DataFrame | None]:
    """The previous run's name and its findings as recorded in its ``changes`` table."""
    name = read_latest(base)
    if name is None:
        return None, None
    folder = base / name
    try:
        if (folder / "changes.parquet").exists():
            table = pd.read_parquet(folder / "changes.parquet")
        elif (folder / "changes.csv").exists():
            table = pd.read_csv(folder / "changes.csv", dtype=str, encoding="utf-8-sig")
        else:
            return None, None
    except Exception:  # noqa: BLE001 - a damaged earlier run only loses the comparison
        return None, None
    table = table[table["status"].astype(str) != "resolved"]
    return name, table


def compare_findings(current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """The ``changes`` table: each finding new, persisting or resolved since ``previous``.

    Findings are matched on (record, rule, field) and, when a record has the same finding
    several times (two rows of one person), on its occurrence among them.
    """
    cur = pd.DataFrame(
        {
            "record": current["record"].astype("string"),
            "rule": current["rule"].astype("string"),
            "severity": current["severity"].astype("string"),
            "field": current["field"].astype("string").fillna(""),
            "source": current["source"].astype("string"),
            "row": current["row"].astype("Int64"),
        }
    ).reset_index(drop=True)
    cur["occurrence"] = cur.groupby(["record", "rule", "field"]).cumcount().astype("int64")
    keys = ["record", "rule", "field", "occurrence"]
    if previous is None or not len(previous):
        prev = pd.DataFrame({c: pd.Series(dtype="string") for c in [*keys, "severity"]})
        prev["occurrence"] = prev["occurrence"].astype("int64")
        prev["source"] = pd.Series(dtype="string")
        prev["row"] = pd.Series(dtype="Int64")
    else:
        prev = pd.DataFrame(
            {
                "record": previous["record"].astype("string"),
                "rule": previous["rule"].astype("string"),
                "severity": previous["severity"].astype("string"),
                "field": previous["field"].astype("string").fillna(""),
                "occurrence": previous["occurrence"].astype("int64"),
                "source": previous["source"].astype("string"),
                "row": pd.to_numeric(previous["row"]).astype("Int64"),
            }
        )
    prev = prev.rename(
        columns={"source": "previous_source", "row": "previous_row", "severity": "prev_sev"}
    )
    merged = cur.merge(prev, on=keys, how="outer", indicator=True)
    status = merged["_merge"].map(
        {"both": "persisting", "left_only": "new", "right_only": "resolved"}
    )
    merged["status"] = pd.Series(status.astype(str).to_numpy(), dtype="string")
    merged["severity"] = merged["severity"].fillna(merged["prev_sev"])
    merged["field"] = merged["field"].replace("", pd.NA)
    merged["_order"] = merged["status"].map({s: i for i, s in enumerate(STATUSES)})
    merged = merged.sort_values(
        ["_order", "source", "row", "previous_source", "previous_row", "rule"],
        kind="stable",
        ignore_index=True,
    )
    for col in ("row", "previous_row"):
        merged[col] = merged[col].astype("Int64")
    merged["occurrence"] = merged["occurrence"].astype("int64")
    return merged[CHANGE_COLUMNS]
