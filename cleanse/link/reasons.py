"""The ``reason`` of a link or review pair, in English words.

``_score`` packs a pair's levels into one reason code; ``_reasons`` writes the text of
each distinct (code, note) once: the levels' phrases and, for a pair not linked, the
note saying why.

May import: numpy, pandas and, of ``cleanse.link``, ``arrays`` and ``weights``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cleanse.link.arrays import _factorize
from cleanse.link.weights import (
    _DOB_LEVELS,
    _PLACE_SCORED,
    BHXH_SAME,
    CMND_SAME,
    ID_DIFF,
    ID_DIFF_BAD,
    ID_DIFF_ODD,
    ID_NONE,
    ID_ONE,
    ID_PLACE,
    ID_SAME,
    ID_SWAP,
    ID_TWO,
    N_ID_LEVELS,
    N_NAME_LEVELS,
    OTHER_DIFF,
    OTHER_ONE,
    OTHER_SAME,
    P_DIFF,
    P_EQ,
    P_NONE,
    P_SUBSET,
    P_TYPO,
)

_DOB_PHRASE = dict(enumerate(words for _, _, _, words in _DOB_LEVELS))

_ID_PHRASE = {
    ID_NONE: "",
    ID_SAME: "same ID",
    CMND_SAME: "same old CMND number",
    BHXH_SAME: "same BHXH code",
    ID_ONE: "IDs differ in one digit",
    ID_PLACE: "IDs differ only in the place code",
    ID_TWO: "IDs differ in two digits",
    ID_DIFF: "different IDs",
    ID_DIFF_BAD: "different IDs (one malformed)",
    ID_SWAP: "IDs differ by two adjacent digits swapped",
    ID_DIFF_ODD: "different IDs (one disagrees with its own record)",
    OTHER_SAME: "same person number",
    OTHER_ONE: "person numbers differ by one character",
    OTHER_DIFF: "different person numbers",
}
_EVIDENCE_PHRASE = {
    "phone": {1: "same phone", 2: "phones differ"},
    "address": {1: "same address", 2: "addresses nearly agree", 3: "addresses differ"},
}
_PLACE_PHRASE = {
    "ward": {1: "same ward", 2: "wards nearly agree", 3: "wards differ"},
    "postcode": {1: "same postcode", 2: "postcodes nearly agree", 3: "postcodes differ"},
    "province": {1: "same province", 2: "provinces nearly agree", 3: "provinces differ"},
}
_PART_PHRASE = {
    "surname": {P_EQ: "surnames agree", P_TYPO: "surnames nearly agree", P_DIFF: "surnames differ"},
    "middle": {
        P_EQ: "middle names agree",
        P_SUBSET: "a middle name is missing on one side",
        P_TYPO: "middle names differ by one letter",
        P_DIFF: "middle names differ",
    },
    "given": {
        P_EQ: "given names agree",
        P_TYPO: "given names differ by one letter",
        P_DIFF: "given names differ",
    },
}
_GENDER_PHRASE = {0: "", 1: "genders agree", 2: "genders differ"}
_VETO_NOTE = "not linked: given names differ"
_GUARD_NOTE = "not linked: it would join records with different IDs and birth dates"
_WEAK_NOTE = "not linked: only the names agree (no birth date or ID to confirm them)"
_GUARD_SAME_NOTE = "not linked: it would join records of one extract with different IDs"
_APART_NOTE = "not linked: different IDs, each consistent with its own record"


def _name_phrase(level: int) -> list[str]:
    if level == 0:
        return ["a name is missing"]
    if level == 1:
        return ["names agree (accents folded)"]
    if level == 2:
        return ["same name words in another order"]
    level -= 3
    s, m, g = level // 25, level // 5 % 5, level % 5
    out = []
    for part, lvl in (("surname", s), ("middle", m), ("given", g)):
        if lvl != P_NONE:
            out.append(_PART_PHRASE[part][lvl])
    return out or ["names not comparable"]


def _reason_text(code: int, note: str = "") -> str:
    """The reason in words for a reason code from ``_score``."""
    code, places = divmod(code, 4 ** len(_PLACE_SCORED))
    code, address = divmod(code, 5)
    code, phone = divmod(code, 3)
    code, gender = divmod(code, 3)
    code, dob = divmod(code, len(_DOB_LEVELS))
    code, name = divmod(code, N_NAME_LEVELS)
    code, bhxh_diff = divmod(code, 2)
    exact, idsim = divmod(code, N_ID_LEVELS)
    words = [_ID_PHRASE[exact], _ID_PHRASE[idsim]]
    if bhxh_diff:
        words.append("different BHXH codes")
    words += _name_phrase(name)
    words += [_DOB_PHRASE[dob], _GENDER_PHRASE[gender]]
    words += [
        _EVIDENCE_PHRASE["phone"].get(phone, ""),
        _EVIDENCE_PHRASE["address"].get(address, ""),
    ]
    last = len(_PLACE_SCORED) - 1
    words += [
        _PLACE_PHRASE[f].get(places // 4 ** (last - i) % 4, "") for i, f in enumerate(_PLACE_SCORED)
    ]
    words.append(note)
    return "; ".join(w for w in words if w)


def _reasons(codes: np.ndarray, notes: np.ndarray) -> pd.Categorical:
    """Reason texts for (code, note) pairs, each distinct combination written once."""
    note_text = ["", _VETO_NOTE, _GUARD_NOTE, _GUARD_SAME_NOTE, _WEAK_NOTE, _APART_NOTE]
    inv, uniq = _factorize(codes * len(note_text) + notes)
    texts = [
        _reason_text(int(c) // len(note_text), note_text[int(c) % len(note_text)])
        for c in uniq.tolist()
    ]
    distinct = list(dict.fromkeys(texts))
    position = {t: i for i, t in enumerate(distinct)}
    remap = np.array([position[t] for t in texts], dtype=np.int64)
    return pd.Categorical.from_codes(remap[inv], pd.Index(distinct, dtype=object))
