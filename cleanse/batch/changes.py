"""Comparing a job's findings with its previous run's: the ``changes`` table.

Each finding is keyed by the record it is about, not its row (``record_keys``: a keyed
digest of the ID number, else the BHXH code, else the folded name and birth date), so a
finding whose row moved persists. ``compare_findings`` says of each finding whether it
is new, persisting or resolved since the previous run (``previous_findings``).

Of the batch package it imports ``folders`` (which run ``latest`` names); of cleanse,
``read``, ``prepare`` and ``secret``, when a run compares.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cleanse.batch.folders import read_latest

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


def record_keys(
    findings: pd.DataFrame,
    paths: Mapping[str, Path],
    read_settings: Mapping[str, Any],
    gender_codes: Mapping[str, str] | None = None,
) -> pd.Series:
    """A keyed digest naming the record of each finding, stable when rows move.

    The record is known by its ID number, else its BHXH code, else its folded name with
    its birth date; a record with none of them falls back to its file and row. The
    digest is HMAC-SHA256 under the installation's key (``cleanse.secret``), so the key
    reveals nothing of the person. Only the rows that have findings are prepared.
    """
    from cleanse.read import open_extract
    from cleanse.secret import keyed_digests

    out = pd.Series(pd.NA, index=findings.index, dtype="string")
    if not len(findings):
        return out
    keyer = _Keyer(gender_codes)
    for source, group in findings.groupby("source", sort=False):
        name = str(source)
        wanted = np.unique(group["row"].dropna().astype("int64").to_numpy())
        if name not in paths or not len(wanted):
            continue
        ext = open_extract(paths[name], **dict(read_settings))
        for chunk in ext.chunks():
            take = np.isin(chunk.rows.to_numpy(), wanted)
            if take.any():
                keyer.add(name, chunk.rows.to_numpy()[take], chunk.frame[take])
    texts = keyer.texts()
    keys = []
    for source, row in zip(
        findings["source"].astype(str), findings["row"].astype("Int64"), strict=True
    ):
        found = texts.get((source, int(row))) if pd.notna(row) else None
        keys.append(found or f"row:{source}:{'' if pd.isna(row) else int(row)}")
    distinct = list(dict.fromkeys(keys))
    digests = dict(zip(distinct, (d[:24] for d in keyed_digests(distinct)), strict=True))
    return pd.Series([digests[k] for k in keys], index=findings.index, dtype="string")


KEY_FIELDS = ("id_number", "bhxh_code", "full_name", "dob")


class _Keyer:
    """Key texts of the rows with findings, prepared many files at a time.

    ``prepare`` costs some milliseconds per call whatever the size, so a job of
    thousands of small files prepares their rows together: only the key fields, each
    file's rows with others that have the same key fields, up to ``limit`` rows a call.
    Each row's companions depend on that row alone, so the keys are those of the files
    prepared one by one.
    """

    def __init__(self, gender_codes: Mapping[str, str] | None, limit: int = 50_000) -> None:
        self.gender_codes = gender_codes
        self.limit = limit
        self.done: dict[tuple[str, int], str] = {}
        # key fields present -> [(source, rows, frame of those fields)], and their rows
        self.waiting: dict[tuple[str, ...], list[tuple[str, np.ndarray, pd.DataFrame]]] = {}
        self.sizes: dict[tuple[str, ...], int] = {}

    def add(self, source: str, rows: np.ndarray, frame: pd.DataFrame) -> None:
        """Queue the rows ``rows`` of ``source`` (``frame`` holds them, in that order)."""
        fields = tuple(f for f in KEY_FIELDS if f in frame.columns)
        part = frame.loc[:, list(fields)].reset_index(drop=True)
        self.waiting.setdefault(fields, []).append((source, rows, part))
        self.sizes[fields] = self.sizes.get(fields, 0) + len(part)
        if self.sizes[fields] >= self.limit:
            self._prepare(fields)

    def texts(self) -> dict[tuple[str, int], str]:
        """``(source, row) -> key text`` for every row queued."""
        for fields in list(self.waiting):
            self._prepare(fields)
        return self.done

    def _prepare(self, fields: tuple[str, ...]) -> None:
        from cleanse.prepare import prepare

        parts = self.waiting.pop(fields, [])
        self.sizes.pop(fields, None)
        if not parts:
            return
        frame = pd.concat([f for _, _, f in parts], ignore_index=True)
        keys = iter(_key_texts(prepare(frame, self.gender_codes)))
        for source, rows, _ in parts:
            for row in rows.tolist():
                self.done[(source, row)] = next(keys)


def _key_texts(prepared: pd.DataFrame) -> list[str]:
    """``id:…``, ``bhxh:…`` or ``name:…|dob`` for each prepared row ("" when none)."""
    ids = prepared["id_digits"].astype("string")
    bhxh = prepared["bhxh_digits"].astype("string")
    name = prepared["name_key"].astype("string")
    dob = prepared["dob_ord"].astype("Int64").astype("string")
    dob = dob.fillna(prepared["dob_year"].astype("Int64").astype("string"))
    dob = dob.fillna(prepared["dob"].astype("string").str.strip() if "dob" in prepared else "")
    named = "name:" + name + "|" + dob.fillna("")
    key = ("id:" + ids).fillna("bhxh:" + bhxh).fillna(named).fillna("")
    return [str(k) for k in key.tolist()]


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
