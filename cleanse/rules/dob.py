"""Birth-date rules (``dob.*``) and the bounds other rules share."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cleanse.rules import Context, file_rule, per_chunk, rule


def _bound(chunk: pd.DataFrame, prefix: str, month: int, day: int) -> pd.Series:
    """yyyymmdd as a float (exact below 2**53), NaN where the date was not read."""
    year = chunk[f"{prefix}_year"].to_numpy(dtype="float64", na_value=np.nan)
    m = chunk[f"{prefix}_month"].to_numpy(dtype="float64", na_value=month)
    d = chunk[f"{prefix}_day"].to_numpy(dtype="float64", na_value=day)
    return pd.Series(year * 10000 + m * 100 + d, index=chunk.index)


def earliest(chunk: pd.DataFrame, prefix: str) -> pd.Series:
    """The earliest day a (possibly partial) date can mean, as yyyymmdd; NaN if unread."""
    return _bound(chunk, prefix, 1, 1)


def latest(chunk: pd.DataFrame, prefix: str) -> pd.Series:
    """The latest day a (possibly partial) date can mean, as yyyymmdd; NaN if unread."""
    return _bound(chunk, prefix, 12, 31)


@per_chunk
def out_of_range(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """A read birth date that is surely after today or surely over 120 years ago."""
    first, last = earliest(chunk, "dob").to_numpy(), latest(chunk, "dob").to_numpy()
    bad = (first > ctx.today_ord) | (last < ctx.oldest_ord)  # NaN compares False
    return pd.Series(bad, index=chunk.index)


@per_chunk
def dob_usable(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """A birth date other checks may rely on: present, a real date, in range."""
    read = chunk["dob_year"].notna().to_numpy() & ~chunk["dob_invalid"].to_numpy(dtype=bool)
    return pd.Series(read & ~out_of_range(chunk, ctx).to_numpy(), index=chunk.index)


@rule(
    "dob.invalid",
    severity="error",
    field="dob",
    needs=("dob",),
    vi="ngày sinh không đọc được hoặc không có thật (vd. 31/02)",
    en="birth date unreadable or not a real date (e.g. 31/02)",
)
def dob_invalid(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """Flag birth dates that cannot be read or do not exist."""
    return chunk["dob_invalid"].astype(bool)


@rule(
    "dob.out_of_range",
    severity="error",
    field="dob",
    needs=("dob",),
    vi="ngày sinh ở tương lai hoặc quá 120 năm trước",
    en="birth date in the future or over 120 years ago",
)
def dob_out_of_range(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """Flag birth dates after today or more than 120 years before it."""
    return out_of_range(chunk, ctx)


@rule(
    "dob.partial",
    severity="warning",
    field="dob",
    needs=("dob",),
    vi="chỉ có năm sinh (hoặc tháng và năm sinh)",
    en="only the birth year (or month and year) is known",
)
def dob_partial(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """Flag year-only and month-year birth dates that are otherwise usable."""
    partial = chunk["dob_precision"].isin(["month", "year"]).fillna(False)
    return (partial & dob_usable(chunk, ctx)).astype(bool)


@rule(
    "death.before_birth",
    severity="error",
    field="death_date",
    needs=("dob", "death_date"),
    vi="ngày chết trước ngày sinh",
    en="death date before the birth date",
)
def death_before_birth(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """Flag death dates surely before the birth date (partial dates compared by bounds)."""
    usable = dob_usable(chunk, ctx) & chunk["death_date_year"].notna()
    usable &= ~chunk["death_date_invalid"]
    before = latest(chunk, "death_date") < earliest(chunk, "dob")
    return (usable & before.fillna(False)).astype(bool)


file_rule(
    "dob.day_month_swapped",
    severity="warning",
    field="dob",
    vi="cột ngày sinh đã qua bảng tính đọc ngày theo kiểu tháng trước (Mỹ): ngày và tháng bị "
    "đảo; một phát hiện cho cả cột, các ngày đã đổi lại ở bảng restored",
    en="a birth-date column read month-first (US) by a spreadsheet: day and month swapped; "
    "one finding for the column, the corrected dates in the restored table",
)
