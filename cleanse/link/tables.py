"""The tables of a reconcile run in SPEC columns (SPEC §5), and its summary.

``persons``, ``links`` and ``review`` from a ``LinkResult``; the values as read that the
findings and discrepancies show (``_raw_values``: a second pass over the extracts, for
the records concerned only); the notes on where linking gave up and the content of
``summary.json``.

May import: the standard library, numpy, pandas, pyarrow, ``cleanse.read``,
``cleanse.rules`` (the order of the cross-file rules), ``cleanse.output`` (the run's
header) and, of ``cleanse.link``, ``persons`` (``LinkResult``), ``records`` and
``weights``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.link.persons import LinkResult
from cleanse.link.records import _STRING
from cleanse.link.weights import METHODS
from cleanse.output import run_header
from cleanse.read import Extract
from cleanse.rules import RECONCILE_ORDER

PERSON_COLUMNS = ["person_id", "source", "row"]
LINK_COLUMNS = [
    "left_source",
    "left_row",
    "right_source",
    "right_row",
    "person_id",
    "method",
    "score",
    "reason",
]
DISCREPANCY_COLUMNS = [
    "person_id",
    "field",
    "left_source",
    "left_row",
    "left_value",
    "right_source",
    "right_row",
    "right_value",
]
RAW_FIELDS = ("id_number", "full_name", "dob", "gender", "benefit_status", "bhxh_code")


def _lookup(raw: pd.DataFrame, records: np.ndarray, name: str) -> np.ndarray:
    """The raw values of ``name`` for these records (None where empty or absent)."""
    if name not in raw.columns or not len(records):
        return np.full(len(records), None, dtype=object)
    values = raw[name].reindex(records)
    if name == "id_number" and "bhxh_code" in raw.columns:
        # An ID carried in the BHXH column (since 08/2025) when the ID column is empty.
        values = values.fillna(raw["bhxh_code"].reindex(records))
    return np.asarray(values.astype(object).where(values.notna(), None), dtype=object)


def _raw_values(
    extracts: Sequence[Extract], records: pd.DataFrame, needed: np.ndarray
) -> pd.DataFrame:
    """The values as read of the compared fields, for the ``needed`` records only."""
    src = records["src"].to_numpy(dtype=np.int64)
    starts = np.searchsorted(src, np.arange(len(extracts)))  # records are in extract order
    frames = []
    for s, ext in enumerate(extracts):
        want = needed[src[needed] == s] if needed.size else needed
        if not want.size:
            continue
        rows = np.sort(records["row"].to_numpy(dtype=np.int64)[want])
        for chunk in ext.chunks():
            lo, hi = chunk.first_row, chunk.first_row + len(chunk.frame)
            sel = rows[(rows >= lo) & (rows < hi)]
            if not sel.size:
                continue
            cols = [c for c in RAW_FIELDS if c in chunk.frame.columns]
            part = chunk.frame.iloc[sel - lo][cols].copy()
            part.index = pd.Index(starts[s] + sel - 1)
            frames.append(part.astype("string"))
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in RAW_FIELDS})
    raw = pd.concat(frames)
    for c in raw.columns:
        raw[c] = raw[c].where(raw[c].str.strip() != "")
    return raw


def _persons(result: LinkResult) -> pd.DataFrame:
    p = result.persons
    return pd.DataFrame(
        {
            "person_id": p["person_id"].astype(_STRING),
            "source": p["source"].astype(str).astype(_STRING),
            "row": p["row"].astype("Int64"),
        }
    )


def _text_at(values: pd.Series, at: np.ndarray | None = None) -> pd.api.extensions.ExtensionArray:
    """``values[at]`` (all of them when ``at`` is None) as Arrow-backed text, taken in
    Arrow: a categorical by its codes, never through a Python string per row."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy(dtype=np.int32)
        cats = pa.array(values.cat.categories.astype(str).tolist(), pa.string())
        picked = codes if at is None else codes[at]
        arr = pc.take(cats, pa.array(picked, mask=picked < 0))
    else:
        picked = values if at is None else values.iloc[at]
        arr = pa.array(picked, pa.string(), from_pandas=True)
    return pd.array(arr, dtype=_STRING)


def _pairs(records: pd.DataFrame, result: LinkResult, pairs: pd.DataFrame) -> pd.DataFrame:
    left = pairs["left"].to_numpy(dtype=np.int64)
    right = pairs["right"].to_numpy(dtype=np.int64)
    rows = records["row"].to_numpy(dtype=np.int64)
    out = pd.DataFrame(
        {
            "left_source": _text_at(records["source"], left),
            "left_row": pd.array(rows[left], dtype="Int64"),
            "right_source": _text_at(records["source"], right),
            "right_row": pd.array(rows[right], dtype="Int64"),
            # A review pair's records may be two persons: the left record's person.
            "person_id": _text_at(result.persons["person_id"], left),
            "method": _text_at(pairs["method"]),
            "score": pairs["score"].to_numpy(dtype=np.float64).round(4),
            "reason": _text_at(pairs["reason"]),
        }
    )
    return out[LINK_COLUMNS]


SKIPPED_NOTE = {
    "vi": "liên kết đã bỏ qua {blocks:,} khối quá lớn, gồm {records:,} bản ghi: các bản ghi "
    "này chỉ được so theo các khóa khác, nên có thể còn người trùng chưa liên kết "
    "(chi tiết: summary.json, reconcile.linking)",
    "en": "linking skipped {blocks:,} over-large block(s) holding {records:,} record(s): "
    "those records were compared through other keys only, so some duplicates may be "
    "left unlinked (details: summary.json, reconcile.linking)",
}


def _linking_notes(stats: Mapping[str, Any], lang: str) -> list[str]:
    """Notes for the terminal and the report: where linking gave up (SPEC §4)."""
    skipped = stats.get("blocks_skipped") or {}
    blocks = int(sum(skipped.values())) if isinstance(skipped, Mapping) else 0
    records = int(stats.get("records_in_skipped_blocks") or 0)
    if not blocks:
        return []
    return [SKIPPED_NOTE[lang].format(blocks=blocks, records=records)]


def _summarise(
    extracts: Sequence[Extract],
    rows: np.ndarray,
    tables: dict[str, pd.DataFrame],
    result: LinkResult,
    started: float,
    reference: int | None,
    is_ref: np.ndarray,
    records: pd.DataFrame,
    threshold: float,
    review_threshold: float,
) -> dict[str, Any]:
    """The run's summary.json content."""
    findings = tables["findings"]
    counts = findings.groupby("rule").size() if len(findings) else pd.Series(dtype=int)
    by_rule = {c: int(counts[c]) for c in RECONCILE_ORDER if c in counts.index}
    errors = findings[findings["severity"] == "error"]
    ref_srcs = set(np.unique(records["src"].to_numpy()[is_ref]).tolist())
    links = tables["links"]
    persons = result.persons["person_id"]
    ref_persons = persons[is_ref].nunique() if len(persons) else 0
    return {
        **run_header("reconcile", started),
        "inputs": [
            {
                **ext.describe(),
                "rows": int(rows[i]),
                "reference": i in ref_srcs,
                "findings": int((findings["source"] == ext.name).sum()),
            }
            for i, ext in enumerate(extracts)
        ],
        "reconcile": {
            "reference": [extracts[i].name for i in sorted(ref_srcs)],
            "reference_given": reference is not None,
            "threshold": threshold,
            "review_threshold": review_threshold,
            "records": int(len(records)),
            "persons": int(persons.nunique()),
            "persons_in_reference": int(ref_persons),
            "links": int(len(links)),
            "links_by_method": {m: int((links["method"] == m).sum()) for m in METHODS},
            "review": int(len(tables["review"])),
            "discrepancies": int(len(tables["discrepancies"])),
            "linking": result.stats,
        },
        "counts": {
            "findings": int(len(findings)),
            "by_severity": {
                s: int((findings["severity"] == s).sum()) for s in ("error", "warning")
            },
            "by_rule": by_rule,
            "rows_with_errors": int(errors[["source", "row"]].drop_duplicates().shape[0]),
        },
    }
