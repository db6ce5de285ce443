"""Parsed companions beside the raw columns of a chunk, computed once per column."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from cleanse.normalise import (
    clean_text,
    detect_mojibake,
    name_key,
    parse_dates,
    parse_gender,
)
from cleanse.rules.ids import parse_ids


def prepare(frame: pd.DataFrame, gender_codes: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Return the chunk with parsed columns added (raw columns untouched).

    ``id_*`` and ``bhxh_*`` from the ID columns, ``dob_*`` and ``death_date_*`` from the
    dates, ``gender_code``/``gender_invalid``, ``name_clean`` and ``name_key`` from the
    name. A field the file lacks gives all-NA companions, so rules need no special cases.
    """
    n = len(frame)
    empty = pd.Series(pd.array([None] * n, dtype=pd.StringDtype("pyarrow")), index=frame.index)

    def column(name: str) -> pd.Series:
        return frame[name] if name in frame.columns else empty

    name_moji = detect_mojibake(column("full_name"))
    parts = [
        frame,
        parse_ids(column("id_number"), "id"),
        parse_ids(column("bhxh_code"), "bhxh"),
        parse_dates(column("dob"), "dob"),
        parse_dates(column("death_date"), "death_date"),
        parse_gender(column("gender"), gender_codes),
        pd.DataFrame(
            {
                "name_clean": clean_text(column("full_name")),
                "name_key": name_key(column("full_name")),
                "name_mojibake": name_moji["mojibake"],
                "name_repaired": name_moji["repaired"],
            },
            index=frame.index,
        ),
    ]
    return pd.concat(parts, axis=1)
