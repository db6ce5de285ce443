"""``text.mojibake``: text decoded with the wrong encoding (DOMAIN.md §7.3)."""

from __future__ import annotations

import pandas as pd

from cleanse.normalise import canonical_name
from cleanse.prepare import TEXT_FIELDS
from cleanse.rules import Context, rule

# Canonical fields holding free text, checked as read (before NFC).


def _detected(chunk: pd.DataFrame) -> dict[str, pd.DataFrame]:
    found = {}
    for field in TEXT_FIELDS:
        if field not in chunk.columns:
            continue
        prefix = "name" if field == "full_name" else field  # found once by prepare()
        found[field] = pd.DataFrame(
            {"mojibake": chunk[f"{prefix}_mojibake"], "repaired": chunk[f"{prefix}_repaired"]}
        )
    return found


def _repaired(chunk: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """The repaired text; a name as the tool writes names (spaces, canonical tone marks)."""
    found = {f: d["repaired"] for f, d in _detected(chunk).items()}
    if "full_name" in found:
        found["full_name"] = canonical_name(found["full_name"])
    return pd.DataFrame(found, index=chunk.index)


@rule(
    "text.mojibake",
    severity="error",
    field="",
    needs=(),
    vi="chữ bị lỗi mã hoá (đọc sai bảng mã), vd. \u201cNguyá»…n\u201d; đề xuất chữ đã sửa",
    en="text decoded with the wrong encoding, e.g. \u201cNguyá»…n\u201d; repaired text suggested",
    suggest=_repaired,
)
def text_mojibake(chunk: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Flag text fields whose UTF-8 was read as cp1252, one column per field."""
    return pd.DataFrame(
        {f: d["mojibake"].astype(bool) for f, d in _detected(chunk).items()}, index=chunk.index
    )
