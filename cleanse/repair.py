"""The certain repairs of ``cleanse fix``, computed on a prepared chunk (issue 17).

Each repair rewrites a cell only where its new value is certain, and names the rule in
whose domain it falls (``changes.rule``) and why, in words (``changes.evidence``):

- ID and BHXH numbers: the leading zeros a damaged column lost put back
  (``id.leading_zeros``), spaces, dots and dashes removed (``id.format``,
  ``bhxh.format``). A number of the wrong length in an intact column, and a number a
  spreadsheet rounded, stay as they are.
- dates: a full date written one way, ``dd/mm/yyyy``; in a column a month-first
  spreadsheet read, with day and month swapped back (``dob.day_month_swapped``). A date
  with only a month or a year, and one that is no real date, stay as written.
- gender: a word whose meaning is plain written Nam or Nữ (``gender.invalid``); a number
  only under a code table the user stated.
- text decoded with the wrong encoding, and text in a legacy font (converted when it is
  read), written in Unicode (``text.mojibake``).
- names: NFC and single spaces; the case of the column's own convention when it has one
  (an all-capitals column stays in capitals). Tone-mark placement is left as written.

And, with a reference, the values a linked population record gives (``cleanse.fixing``
decides which). Imports ``prepare``, ``normalise``, ``i18n`` and ``rules`` (for codes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.i18n import N_, translate
from cleanse.normalise import GENDER_WORDS, _text_series, clean_arrow, to_arrow
from cleanse.prepare import TEXT_FIELDS, name_invalid

_TEXT = pd.StringDtype("pyarrow")

# A convention is taken when this share of a column's names follows it.
CASE_SHARE = 0.9

# (rule, evidence) of each repair. The evidence is said in the run's language.
REPAIRS: dict[str, tuple[str, str]] = {
    "id_zeros": (
        "id.leading_zeros",
        N_("leading zeros restored (the column went through a spreadsheet)"),
    ),
    "id_separators": ("id.format", N_("spaces, dots and dashes removed from the number")),
    "bhxh_zeros": (
        "id.leading_zeros",
        N_("leading zeros restored (the column went through a spreadsheet)"),
    ),
    "bhxh_separators": ("bhxh.format", N_("spaces, dots and dashes removed from the number")),
    "dob_swapped": (
        "dob.day_month_swapped",
        N_("day and month swapped back (the column went through a month-first spreadsheet)"),
    ),
    "dob_form": ("dob.invalid", N_("date written one way, dd/mm/yyyy")),
    "death_date_form": ("death.before_birth", N_("date written one way, dd/mm/yyyy")),
    "gender_word": ("gender.invalid", N_("gender written as Nam or Nữ, the word's plain meaning")),
    "gender_code": ("gender.invalid", N_("gender written as Nam or Nữ, by the code table given")),
    "mojibake": ("text.mojibake", N_("text decoded with the wrong encoding, converted")),
    "legacy": ("text.mojibake", N_("legacy-font text (TCVN3, VNI) converted to Unicode")),
    "name_form": ("name.format", N_("name in normal form: NFC, single spaces")),
    "name_case": ("name.format", N_("name in the column's case")),
    # The evidence of a value from the reference is its own: which record, how linked.
    "sync_id": ("id.missing", ""),
    "sync_id_broken": ("id.format", ""),
    "sync_id_legacy": ("id.legacy", ""),
    "sync_field": ("link.field_mismatch", ""),
}

CHANGE_FIELDS = ["row", "field", "value", "fixed", "rule", "evidence"]


@dataclass(frozen=True)
class Conventions:
    """What one file's columns do, decided once for the file."""

    name_case: str | None = None  # "upper", "title", or None (no convention: left alone)
    gender_codes: bool = False  # the user stated the numeric gender code table
    joined_name: bool = False  # the name is split over columns: not rewritten


def name_case(prepared: pd.DataFrame) -> str | None:
    """The case convention of a chunk's names: ``upper`` or ``title`` when at least
    :data:`CASE_SHARE` of its readable names follow it, else None."""
    if "name_clean" not in prepared.columns:
        return None
    names = to_arrow(prepared["name_clean"].dropna())
    if len(names) == 0:
        return None
    upper = np.asarray(pc.fill_null(pc.utf8_is_upper(names), False), dtype=bool)
    title = np.asarray(pc.fill_null(pc.utf8_is_title(names), False), dtype=bool)
    if upper.mean() >= CASE_SHARE:
        return "upper"
    if (title | upper).mean() >= CASE_SHARE and title.mean() > 0:
        return "title"
    return None


@dataclass
class Repaired:
    """One chunk repaired: the new text of each rewritten field, and one change a cell."""

    values: dict[str, pd.Series]  # field -> its whole column, repaired where certain
    changes: pd.DataFrame  # CHANGE_FIELDS (``row`` the SPEC row), evidence as a repair key


def _date_text(prepared: pd.DataFrame, prefix: str) -> pd.Series:
    """``dd/mm/yyyy`` of the full dates of a prepared chunk; NA elsewhere."""
    day, month, year = (prepared[f"{prefix}_{p}"] for p in ("day", "month", "year"))
    ok = (day.notna() & month.notna() & year.notna()).to_numpy(dtype=bool)
    out = pd.Series(pd.NA, index=prepared.index, dtype=_TEXT)
    if ok.any():
        d = day.to_numpy(dtype="int64", na_value=0)[ok]
        m = month.to_numpy(dtype="int64", na_value=0)[ok]
        y = year.to_numpy(dtype="int64", na_value=0)[ok]
        text = pc.binary_join_element_wise(
            pc.utf8_lpad(pa.array(d).cast(pa.string()), 2, "0"),
            pc.utf8_lpad(pa.array(m).cast(pa.string()), 2, "0"),
            pc.utf8_lpad(pa.array(y).cast(pa.string()), 4, "0"),
            "/",
        )
        out.iloc[np.flatnonzero(ok)] = pd.array(text, dtype=_TEXT)
    return out


class _Collect:
    """The changes of a chunk, repair by repair."""

    def __init__(self, prepared: pd.DataFrame) -> None:
        self.prepared = prepared
        self.values: dict[str, pd.Series] = {}
        self.parts: list[pd.DataFrame] = []

    def current(self, f: str) -> pd.Series:
        if f not in self.values:
            self.values[f] = self.prepared[f].astype(_TEXT)
        return self.values[f]

    def apply(
        self,
        f: str,
        new: pd.Series,
        where: np.ndarray,
        repair: str | np.ndarray,
        evidence: pd.Series | None = None,
    ) -> None:
        """Write ``new`` into field ``f`` where ``where`` and it differs from the value;
        ``evidence``, aligned with ``new``, says why in words where the repair's own
        words do not (a value taken from the reference)."""
        old = self.current(f)
        where = where & new.notna().to_numpy(dtype=bool)
        where &= ~(old == new).fillna(False).to_numpy(dtype=bool)
        if not where.any():
            return
        at = np.flatnonzero(where)
        kinds = repair[at] if isinstance(repair, np.ndarray) else np.full(len(at), repair)
        part = pd.DataFrame(
            {
                "row": self.prepared.index.to_numpy()[at] + 1,
                "field": f,
                "value": old.iloc[at].to_numpy(),
                "fixed": new.iloc[at].to_numpy(),
                "repair": kinds,
            }
        )
        if evidence is not None:
            part["said"] = evidence.iloc[at].to_numpy()
        self.parts.append(part)
        updated = old.copy()
        updated.iloc[at] = new.iloc[at].to_numpy()
        self.values[f] = updated

    def note(self, f: str, old: pd.Series, repair: str) -> None:
        """A change made on reading (legacy fonts): ``old`` the text as in the file."""
        now = self.current(f)
        where = ~(old.astype(_TEXT) == now).fillna(old.isna() == now.isna()).to_numpy(dtype=bool)
        if not where.any():
            return
        at = np.flatnonzero(where)
        self.parts.append(
            pd.DataFrame(
                {
                    "row": self.prepared.index.to_numpy()[at] + 1,
                    "field": f,
                    "value": old.astype(_TEXT).iloc[at].to_numpy(),
                    "fixed": now.iloc[at].to_numpy(),
                    "repair": repair,
                }
            )
        )

    def result(self, lang: str) -> Repaired:
        words = {k: translate(e, lang) if e else "" for k, (_, e) in REPAIRS.items()}
        if not self.parts:
            return Repaired(self.values, _no_changes())
        changes = pd.concat(self.parts, ignore_index=True)
        if "said" not in changes.columns:
            changes["said"] = None
        said = changes["said"].astype("object")
        changes["evidence"] = said.where(said.notna(), changes["repair"].map(words))
        changes["rule"] = changes["repair"].map({k: r for k, (r, _) in REPAIRS.items()})
        changes = changes.sort_values(["row"], kind="stable", ignore_index=True)
        # One row per changed cell: a cell two repairs touched (garbled text, then put
        # in normal form) shows its value as in the file, its last value, the first
        # repair's rule and every repair's reason.
        twice = changes.duplicated(["row", "field"], keep=False).to_numpy()
        if twice.any():
            once = changes[~twice]
            grouped = changes[twice].groupby(["row", "field"], sort=False)
            merged = grouped.agg(
                value=("value", "first"),
                fixed=("fixed", "last"),
                repair=("repair", "first"),
                rule=("rule", "first"),
                evidence=("evidence", lambda e: "; ".join(dict.fromkeys(e))),
            ).reset_index()
            changes = pd.concat([once, merged], ignore_index=True)
            changes = changes.sort_values(["row"], kind="stable", ignore_index=True)
        return Repaired(
            values=self.values,
            changes=pd.DataFrame(
                {
                    "row": changes["row"].astype("int64"),
                    "field": changes["field"].astype(_TEXT),
                    "value": changes["value"].astype(_TEXT),
                    "fixed": changes["fixed"].astype(_TEXT),
                    "rule": changes["rule"].astype(_TEXT),
                    "evidence": changes["evidence"].astype(_TEXT),
                    "repair": changes["repair"].astype(_TEXT),
                }
            ),
        )


def _no_changes() -> pd.DataFrame:
    out = pd.DataFrame({"row": pd.Series(dtype="int64")})
    for c in ("field", "value", "fixed", "rule", "evidence", "repair"):
        out[c] = pd.Series(dtype=_TEXT)
    return out


def _bools(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _numbers(c: _Collect, f: str, prefix: str) -> None:
    p = c.prepared
    if f not in p.columns:
        return
    digits = p[f"{prefix}_digits"].astype(_TEXT)
    fixed = p[f"{prefix}_fixed"].to_numpy(dtype=bool)
    kind = np.where(fixed, f"{prefix}_zeros", f"{prefix}_separators")
    c.apply(f, digits, np.ones(len(p), dtype=bool), kind)


def _dates(c: _Collect, f: str) -> None:
    p = c.prepared
    if f not in p.columns:
        return
    text = _date_text(p, f)
    swapped = p["dob_fixed"].to_numpy(dtype=bool) if f == "dob" else np.zeros(len(p), bool)
    kind = np.where(swapped, "dob_swapped", f"{f}_form")
    c.apply(f, text, np.ones(len(p), dtype=bool), kind)


def _gender(c: _Collect, conv: Conventions) -> None:
    p = c.prepared
    if "gender" not in p.columns:
        return
    code = p["gender_code"]
    words = code.map(GENDER_WORDS).astype(_TEXT)
    numeric = _bools(pc.ascii_is_decimal(clean_arrow(to_arrow(p["gender"]), repeats=True)))
    read = code.notna().to_numpy(dtype=bool) & (~numeric | conv.gender_codes)
    c.apply("gender", words, read, np.where(numeric, "gender_code", "gender_word"))
    meant = p["gender_suggestion"].astype(_TEXT)
    c.apply("gender", meant, p["gender_invalid"].to_numpy(dtype=bool), "gender_word")


def _cased(arr: pa.Array, case: str | None) -> pa.Array:
    if case == "upper":
        return pc.utf8_upper(arr)
    if case == "title":
        keep = pc.or_(pc.utf8_is_title(arr), pc.utf8_is_upper(arr))
        return pc.if_else(pc.fill_null(keep, True), arr, pc.utf8_title(arr))
    return arr


def _names(c: _Collect, conv: Conventions) -> None:
    p = c.prepared
    if "full_name" not in p.columns or conv.joined_name:
        return
    raw = p["full_name"].astype(_TEXT)
    moji = p["name_mojibake"].to_numpy(dtype=bool)
    # Garbled text first: the repaired text is then put in normal form like any name.
    c.apply("full_name", p["name_repaired"].astype(_TEXT), moji, "mojibake")
    text = to_arrow(c.current("full_name"))
    clean = clean_arrow(text, repeats=False)
    form = _text_series(clean, p.index)
    # Blank names stay as they are (a cell of spaces is still an empty name).
    c.apply("full_name", form, raw.notna().to_numpy(dtype=bool), "name_form")
    checkable = p["name_clean"].notna().to_numpy(dtype=bool) & ~name_invalid(p).to_numpy(bool)
    checkable |= moji
    if conv.name_case is not None:
        now = to_arrow(c.current("full_name"))
        c.apply(
            "full_name",
            _text_series(_cased(now, conv.name_case), p.index),
            checkable,
            "name_case",
        )


def _texts(c: _Collect) -> None:
    p = c.prepared
    for f in TEXT_FIELDS:
        if f == "full_name" or f not in p.columns or f"{f}_mojibake" not in p.columns:
            continue
        c.apply(f, p[f"{f}_repaired"].astype(_TEXT), p[f"{f}_mojibake"].to_numpy(bool), "mojibake")


def repair(
    prepared: pd.DataFrame,
    conv: Conventions,
    lang: str,
    *,
    legacy: Mapping[str, pd.Series] | None = None,
    names: bool = True,
    genders: bool = True,
) -> Repaired:
    """The certain repairs of one prepared chunk (``cleanse.prepare.prepare``).

    ``legacy`` holds, per field, the text as it is in the file of the columns converted
    from a legacy font on reading. ``names`` and ``genders`` off leave those fields as
    they are (for records whose repairs would raise a finding their values did not).
    """
    c = _Collect(prepared)
    for f, old in (legacy or {}).items():
        if f in prepared.columns:
            c.note(f, old.reindex(prepared.index), "legacy")
    _numbers(c, "id_number", "id")
    _numbers(c, "bhxh_code", "bhxh")
    _dates(c, "dob")
    _dates(c, "death_date")
    if genders:
        _gender(c, conv)
    if names:
        _names(c, conv)
    _texts(c)
    return c.result(lang)
