"""Values made safe to hand over: text a spreadsheet would run as a formula, and any
value as plain JSON. Used by the tables (``write``) and the report (``xlsx``) alike.

Imports nothing of cleanse.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import math
import re
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Excel's limit of characters per cell.
XLSX_MAX_CELL_CHARS = 32_767

# Text a spreadsheet may run as a formula or DDE call when it begins with one of these
# (OWASP, "CSV Injection"); such cells get a leading single quote.
_FORMULA_START = r"^[=+\-@\t\r]"
_FORMULA_START_RE = re.compile(_FORMULA_START)
_FORMULA_CHARS = pa.array(["=", "+", "-", "@", "\t", "\r"])


def neutralise_arrow(arr: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Text beginning with ``= + - @``, a tab or a carriage return gets a leading ``'``."""
    # The first character looked up in a set: a regex pass costs several times more.
    first = pc.utf8_slice_codeunits(arr, 0, 1)
    risky = pc.is_in(first, value_set=_FORMULA_CHARS)
    return pc.if_else(risky, pc.binary_join_element_wise(pa.scalar("'"), arr, ""), arr)


def neutralise_text(text: str) -> str:
    """``neutralise_arrow`` for one value."""
    return "'" + text if _FORMULA_START_RE.match(text) else text


def json_safe(value: Any) -> Any:
    """The value with only JSON types: numpy scalars, times, paths and NA made plain.

    Times become ISO 8601 text, durations seconds, NaN and NA ``None``, sets sorted lists,
    mapping keys text.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Mapping):
        return {str(json_safe(k)): json_safe(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((json_safe(v) for v in value), key=str)
    if isinstance(value, list | tuple | np.ndarray | pd.Series | pd.Index):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timedelta | dt.timedelta):
        return value.total_seconds()
    if isinstance(value, dt.date | dt.time):  # pd.Timestamp is a datetime
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, enum.Enum):
        return json_safe(value.value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    return str(value)
