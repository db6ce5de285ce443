"""Rules on the person's name and gender (``name.*``, ``gender.invalid``)."""

from __future__ import annotations

import pandas as pd
import pyarrow.compute as pc

from cleanse.normalise import _text_series, not_nfc, to_arrow
from cleanse.prepare import name_checkable as _name_checkable
from cleanse.prepare import name_invalid as _invalid_name
from cleanse.rules import Context, per_chunk, rule


def _bool(arr) -> pd.Series:  # type: ignore[no-untyped-def]
    return pc.fill_null(arr, False).to_numpy(zero_copy_only=False).astype(bool)


name_invalid_mask = per_chunk(_invalid_name)  # shared by name.invalid and name.format


def _gender_meant(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """Nam or Nữ where the word plainly means it (Trai, Con gái, Phụ nữ); else NA."""
    return chunk["gender_suggestion"]


@rule(
    "gender.invalid",
    severity="error",
    field="gender",
    needs=("gender",),
    suggest=_gender_meant,
    vi="giới tính không nhận ra được; đề xuất Nam hoặc Nữ khi từ rõ nghĩa (Trai → Nam)",
    en="gender value not recognised; Nam or Nữ suggested where its meaning is plain (Trai → Nam)",
)
def gender_invalid(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """Flag gender values other than Nam/Nữ, M/F, male/female or a code in the table.

    Words with a plain meaning (Trai, Gái, Nữ giới) are invalid too: the form asks for
    Nam or Nữ, which is suggested.
    """
    return chunk["gender_invalid"].astype(bool)


@rule(
    "name.invalid",
    severity="error",
    field="full_name",
    needs=("full_name",),
    vi="họ tên có chữ số, ký hiệu, hoặc chỉ có một từ",
    en="name has digits or symbols, or a single word",
)
def name_invalid(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """Flag names with digits or symbols, or of one word."""
    return name_invalid_mask(chunk)


def _normal_form(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """The name cleaned, with canonical tone marks (``name_clean``), in Title Case unless
    it is already Title Case or CAPITALS (as forms write it)."""
    clean = to_arrow(chunk["name_clean"])
    cased = pc.fill_null(pc.or_(pc.utf8_is_title(clean), pc.utf8_is_upper(clean)), True)
    return _text_series(pc.if_else(cased, clean, pc.utf8_title(clean)), chunk.index)


@rule(
    "name.format",
    severity="warning",
    field="full_name",
    needs=("full_name",),
    suggest=_normal_form,
    vi="họ tên chưa chuẩn: Unicode tổ hợp, thừa dấu cách, hoặc chữ hoa/thường lẫn lộn",
    en="name not in normal form: decomposed Unicode, stray spaces or mixed case",
)
def name_format(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """Flag names as read that are NFD, badly spaced, or neither Title Case nor CAPITALS.

    Capitals (as forms require) and names without accents are normal.
    """
    raw = to_arrow(chunk["full_name"])
    decomposed = not_nfc(raw)
    spaced = _bool(pc.match_substring_regex(raw, r"^\s|\s$|\s\s|[^\S ]"))
    clean = to_arrow(chunk["name_clean"])
    cased = _bool(pc.or_(pc.utf8_is_title(clean), pc.utf8_is_upper(clean)))
    bad = pd.Series(decomposed | spaced | ~cased, index=chunk.index)
    return (bad & _name_checkable(chunk) & ~name_invalid_mask(chunk)).astype(bool)
