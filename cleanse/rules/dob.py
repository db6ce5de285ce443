"""Birth-date rules (``dob.*``) and the bounds other rules share."""

from __future__ import annotations

import pandas as pd

from cleanse.rules import Context, rule


def earliest(chunk: pd.DataFrame, prefix: str) -> pd.Series:
    """The earliest day a (possibly partial) date can mean, as yyyymmdd; NA if unread."""
    year = chunk[f"{prefix}_year"].astype("Int64")
    month = chunk[f"{prefix}_month"].astype("Int64").fillna(1)
    day = chunk[f"{prefix}_day"].astype("Int64").fillna(1)
    return year * 10000 + month * 100 + day


def latest(chunk: pd.DataFrame, prefix: str) -> pd.Series:
    """The latest day a (possibly partial) date can mean, as yyyymmdd; NA if unread."""
    year = chunk[f"{prefix}_year"].astype("Int64")
    month = chunk[f"{prefix}_month"].astype("Int64").fillna(12)
    day = chunk[f"{prefix}_day"].astype("Int64").fillna(31)
    return year * 10000 + month * 100 + day


def out_of_range(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """A read birth date that is surely after today or surely over 120 years ago."""
    future = earliest(chunk, "dob") > ctx.today_ord
    ancient = latest(chunk, "dob") < ctx.oldest_ord
    return (future | ancient).fillna(False).astype(bool)


def dob_usable(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """A birth date other checks may rely on: present, a real date, in range."""
    read = chunk["dob_year"].notna() & ~chunk["dob_invalid"]
    return (read & ~out_of_range(chunk, ctx)).fillna(False).astype(bool)


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
