"""Completeness rules (đủ): ``id.missing`` and ``field.missing`` (SPEC §1, §3)."""

from __future__ import annotations

import pandas as pd

from cleanse.facts import is_death_event
from cleanse.rules import Context, rule


def _blank(chunk: pd.DataFrame, field: str) -> pd.Series:
    """Empty or only spaces (a column the file lacks counts as blank on every row)."""
    if field not in chunk.columns:
        return pd.Series(True, index=chunk.index)
    return chunk[f"{field}_blank"]  # prepare() computes it for every field a kind requires


def _is_death(chunk: pd.DataFrame) -> pd.Series:
    """Civil-status rows that register a death (khai tử, tử vong)."""
    if "event" not in chunk.columns:
        return pd.Series(False, index=chunk.index)
    return pd.Series(is_death_event(chunk["event"]), index=chunk.index)


@rule(
    "id.missing",
    severity="error",
    field="id_number",
    needs=("id_number",),
    vi="thiếu số định danh",
    en="ID number missing",
)
def id_missing(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """Flag an empty ID where the source kind requires one."""
    if "id_number" not in ctx.required:
        return pd.Series(False, index=chunk.index)
    return _blank(chunk, "id_number").astype(bool)


@rule(
    "field.missing",
    severity="error",
    field="",
    needs=(),
    vi="thiếu trường bắt buộc",
    en="required field missing",
)
def field_missing(chunk: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Flag each empty required field other than the ID, naming the field.

    A death registration also requires its death date.
    """
    masks = {f: _blank(chunk, f) for f in ctx.required if f != "id_number"}
    if "event" in ctx.required:
        masks["death_date"] = _blank(chunk, "death_date") & _is_death(chunk)
    return pd.DataFrame(masks, index=chunk.index).astype(bool)
