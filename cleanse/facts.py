"""Domain facts read from words: what a civil-status event or a benefit status says.

One home for each, used by the single-file rules (``field.missing`` of a death's date)
and by linking (``vital.deceased_active``), so the two never disagree on what a death
is. The words are matched on the folded value (accents, đ, case and spacing folded:
``Khai tử`` = ``KHAI TU``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from cleanse.normalise import name_key, to_arrow

# A death registration: "Khai tử" (the registry's word), "Tử vong", "Báo tử", "Death".
DEATH_EVENT = r"\b(khai tu|tu vong|bao tu|death)\b"
# A BHXH participation or pension that has stopped: "Dừng tham gia", "Thôi hưởng",
# "Ngừng hưởng", "Tạm dừng". Anything else (or no status column) counts as active.
STOPPED = r"\b(dung|thoi|ngung)\b"
# A welfare benefit being paid: "Đang hưởng". "Tạm dừng", "Dừng hưởng" are not.
RECEIVING = r"\bdang huong\b"


def folded_has(values: pd.Series, pattern: str) -> np.ndarray:
    """Per value: its folded form matches ``pattern``; False where empty."""
    folded = to_arrow(name_key(values))
    hit = pc.match_substring_regex(folded, pattern)
    return np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)


def is_death_event(events: pd.Series) -> np.ndarray:
    """Civil-status events that register a death."""
    return folded_has(events, DEATH_EVENT)


def is_active(statuses: pd.Series | None, kind: str, n: int) -> np.ndarray:
    """Records whose person is receiving something this month: a BHXH record unless its
    status says it stopped; a welfare record whose status says it is being paid."""
    if kind == "bhxh":
        return np.ones(n, dtype=bool) if statuses is None else ~folded_has(statuses, STOPPED)
    if kind == "btxh" and statuses is not None:
        return folded_has(statuses, RECEIVING)
    return np.zeros(n, dtype=bool)
