"""The truth files: ``truth/findings.csv`` (what validate and reconcile must find, row by
row), ``truth/persons.csv`` (the person of every row) and ``truth/variations.csv`` (the
deliberate differences), and the spreadsheet twins' ``truth/spreadsheet_*.csv``.

May import ``layout``, ``arrays`` and ``extracts`` (``sheets`` for its type only).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.sample.arrays import _digits
from cleanse.sample.extracts import _Extract, _write_csv
from cleanse.sample.layout import SOURCES

if TYPE_CHECKING:
    from cleanse.sample.sheets import Twins

TRUTH_COLUMNS = ("command", "source", "row", "rule", "field", "suggestion", "related_row")


def _truth_frame(ext: _Extract, rowno: np.ndarray) -> pd.DataFrame:
    parts = []
    for t in ext.truth:
        m = len(t["idx"])
        related = rowno[t["related"]].astype(str) if t["related"] is not None else [""] * m
        parts.append(
            pd.DataFrame(
                {
                    "command": t["command"],
                    "source": ext.name,
                    "row": rowno[t["idx"]],
                    "rule": t["rule"],
                    "field": t["field"],
                    "suggestion": list(t["suggestion"])
                    if t["suggestion"] is not None
                    else [""] * m,
                    "related_row": related,
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _persons_rows(name: str, pid: np.ndarray, width: int) -> dict[str, pa.Array]:
    """The rows of ``truth/persons.csv`` for one extract: the person of each row."""
    m = len(pid)
    return {
        "source": pa.array([name] * m, pa.string()),
        "row": pa.array(np.arange(1, m + 1)).cast(pa.string()),
        "person": pc.binary_join_element_wise("P", _digits(pid + 1, width), ""),
    }


def _variation_frames(ext: _Extract, rowno: np.ndarray) -> list[pd.DataFrame]:
    """The variations of one extract, by row number."""
    return [
        pd.DataFrame({"source": ext.name, "row": rowno[rows], "field": fld, "kind": kind})
        for rows, fld, kind in ext.variations
    ]


def _findings(truth: list[pd.DataFrame], order: dict[str, int]) -> pd.DataFrame:
    """The extracts' truth in one table: validate first, then by extract, row, rule."""
    findings = pd.concat(truth, ignore_index=True)
    findings = findings.assign(
        _c=findings["command"].map({"validate": 0, "reconcile": 1}),
        _s=findings["source"].map(order),
    ).sort_values(["_c", "_s", "row", "rule", "field"], kind="stable")
    return findings[list(TRUTH_COLUMNS)]


def _variations(
    variations: list[pd.DataFrame], findings: pd.DataFrame, order: dict[str, int]
) -> pd.DataFrame:
    """The variations that the files still show, by extract and row."""
    var = pd.concat(variations, ignore_index=True)
    # A value that then got an injected error no longer shows its variation; an old
    # CMND (id.legacy) and a name with a digit typed for a letter (name.invalid) are
    # variations and findings both, and keep their variations.
    errors = findings.loc[
        (findings["command"] == "validate") & (findings["rule"] != "id.legacy"),
        ["source", "row", "field"],
    ]
    var = var.merge(errors.drop_duplicates(), how="left", indicator=True)
    digit = var.loc[var["kind"] == "name_digit", ["source", "row", "field"]]
    keep = var.merge(digit, how="left", indicator="_digit")["_digit"] == "both"
    var = var[(var["_merge"] == "left_only").to_numpy() | keep.to_numpy()].drop(columns="_merge")
    var = var.assign(_s=var["source"].map(order)).sort_values(["_s", "row", "field", "kind"])
    return var[["source", "row", "field", "kind"]]


def _write_truth(
    out_dir: Path,
    truth: list[pd.DataFrame],
    who: list[dict[str, pa.Array]],
    variations: list[pd.DataFrame],
) -> dict[str, int]:
    """Write the three truth files from the extracts' parts; return their data rows."""
    order = {name: i for i, name in enumerate(SOURCES)}
    findings = _findings(truth, order)
    var = _variations(variations, findings, order)
    persons_cols = {c: pa.concat_arrays([w[c] for w in who]) for c in ("source", "row", "person")}
    _write_csv(_text(findings), out_dir / "truth" / "findings.csv")
    _write_csv(persons_cols, out_dir / "truth" / "persons.csv")
    _write_csv(_text(var), out_dir / "truth" / "variations.csv")
    return {
        "truth/findings.csv": len(findings),
        "truth/persons.csv": len(persons_cols["row"]),
        "truth/variations.csv": len(var),
    }


def _write_twin_truth(out_dir: Path, twins: Twins) -> dict[str, int]:
    """Write the truth of the spreadsheet twins; return the twins' and its data rows."""
    columns, cells = twins.truth()
    _write_csv(_text(columns), out_dir / "truth" / "spreadsheet_columns.csv")
    _write_csv(_text(cells), out_dir / "truth" / "spreadsheet_cells.csv")
    return {
        **twins.counts,
        "truth/spreadsheet_columns.csv": len(columns),
        "truth/spreadsheet_cells.csv": len(cells),
    }


def _text(df: pd.DataFrame) -> dict[str, pa.Array]:
    return {c: pa.array(df[c].astype(str).tolist(), pa.string()) for c in df.columns}
