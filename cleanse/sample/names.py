"""Names: the name-part tables, drawing names (Kinh-style and Central Highlands), and
keeping every folded name and birth date unique; the keys that say so.

A person's name is indexes into the tables (``_People.parts``); ``_assemble`` writes
the names, ``_name_codes`` packs the folded ones into numbers, ``_name_people`` draws
and re-draws until no two people share a folded name and a birth date.

May import ``tables``, ``arrays``, ``dates``, ``people`` and cleanse's normalisation
helpers (``cleanse.normalise.name_key``).
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.normalise import name_key
from cleanse.sample import tables as nm
from cleanse.sample.arrays import _norm, _take, _Taken
from cleanse.sample.dates import _dates, _day, _from_ymd, _ymd
from cleanse.sample.people import _EDE_FEMALE, _EDE_MALE, _JRAI_FEMALE, _KINH, _People

# Name-part tables: male list then female list, so one index addresses both.
_SURNAMES = list(nm.SURNAMES)
_MIDDLE = list(nm.MIDDLE_MALE) + list(nm.MIDDLE_FEMALE)
_MIDDLE2 = list(nm.SECOND_MIDDLE_MALE) + list(nm.SECOND_MIDDLE_FEMALE)
_GIVEN = list(nm.GIVEN_MALE) + list(nm.GIVEN_FEMALE)
_MIN_GIVEN = list(nm.MINORITY_GIVEN_MALE) + list(nm.MINORITY_GIVEN_FEMALE)
_MIN_SURNAMES = list(nm.EDE_SURNAMES) + list(nm.JRAI_SURNAMES)
_VOCAB = {w: i for i, w in enumerate(dict.fromkeys(_MIDDLE + _MIDDLE2 + _GIVEN))}


def _draw_given(rng: np.random.Generator, p: _People, idx: np.ndarray) -> None:
    """Given names of the people idx (Kinh-style or Central Highlands, by their kind)."""
    female = p.gender[idx] == 1
    kinh = p.kind[idx] == _KINH
    n_m, n_f = len(nm.GIVEN_MALE), len(nm.GIVEN_FEMALE)
    m_m, m_f = len(nm.MINORITY_GIVEN_MALE), len(nm.MINORITY_GIVEN_FEMALE)
    g = np.where(female, n_m + rng.integers(0, n_f, len(idx)), rng.integers(0, n_m, len(idx)))
    mg = np.where(female, m_m + rng.integers(0, m_f, len(idx)), rng.integers(0, m_m, len(idx)))
    p.parts["given"][idx] = np.where(kinh, g, mg)


def _draw_middle(rng: np.random.Generator, p: _People, idx: np.ndarray) -> None:
    """Middle names of the people idx: none, one or two, by gender and era."""
    m = len(idx)
    female, old = p.gender[idx] == 1, p.year[idx] < 1980
    n_mm = len(nm.MIDDLE_MALE)
    mid = np.empty(m, dtype=np.int64)
    for is_female, table, offset in ((False, nm.MIDDLE_MALE, 0), (True, nm.MIDDLE_FEMALE, n_mm)):
        for era, col in ((True, 0), (False, 1)):
            sel = (female == is_female) & (old == era)
            w = _norm([v[col] for v in table.values()])
            mid[sel] = offset + rng.choice(len(table), size=int(sel.sum()), p=w)
    n_m2 = len(nm.SECOND_MIDDLE_MALE)
    mid2 = np.where(
        female,
        n_m2 + rng.integers(0, len(nm.SECOND_MIDDLE_FEMALE), m),
        rng.integers(0, n_m2, m),
    )
    count = rng.choice(3, size=m, p=[0.03, 0.89, 0.08])  # middle names: none, one, two
    p.parts["middle"][idx] = np.where(count == 0, -1, mid)
    p.parts["middle2"][idx] = np.where(count == 2, mid2, -1)


def _draw_surname(rng: np.random.Generator, p: _People, idx: np.ndarray) -> None:
    """Surnames of the people idx: a weighted Kinh one, and an Ê-đê or Gia-rai one."""
    m = len(idx)
    surname = rng.choice(len(_SURNAMES), size=m, p=_norm(list(nm.SURNAMES.values())))
    ede = rng.integers(0, len(nm.EDE_SURNAMES), m)
    jrai = len(nm.EDE_SURNAMES) + rng.integers(0, len(nm.JRAI_SURNAMES), m)
    p.parts["surname"][idx] = surname
    p.parts["min_surname"][idx] = np.where(p.kind[idx] == _JRAI_FEMALE, jrai, ede)


def _draw_names(rng: np.random.Generator, p: _People) -> None:
    """Name parts per person: Kinh-style names, and about 1 % Central Highlands names."""
    n, female = p.n, p.gender == 1
    minority = rng.random(n) < 0.01
    p.kind = np.where(
        minority,
        np.where(female, np.where(rng.random(n) < 0.5, _EDE_FEMALE, _JRAI_FEMALE), _EDE_MALE),
        _KINH,
    ).astype(np.int8)
    p.parts = {k: np.zeros(n, dtype=np.int16) for k in _PARTS}  # indexes into _tables()
    everyone = np.arange(n)
    _draw_surname(rng, p, everyone)
    _draw_middle(rng, p, everyone)
    _draw_given(rng, p, everyone)
    p.new_style = rng.random(n) < 0.25  # canonical new-style tone marks, where they apply


_PARTS = ("surname", "middle", "middle2", "given", "min_surname")


def _common_names(rng: np.random.Generator, p: _People, idx: np.ndarray) -> None:
    """Common Kinh names for the people idx: Nguyễn, Trần or Lê, then Văn or Thị, then a
    given name (Nguyễn Văn Anh): the names that homonyms have."""
    top = ["Nguyễn", "Trần", "Lê"]
    p.kind[idx] = _KINH
    p.parts["surname"][idx] = [
        _SURNAMES.index(top[i])
        for i in rng.choice(3, size=len(idx), p=_norm([nm.SURNAMES[v] for v in top]))
    ]
    p.parts["middle"][idx] = np.where(
        p.gender[idx] == 1, _MIDDLE.index("Thị", len(nm.MIDDLE_MALE)), _MIDDLE.index("Văn")
    )
    p.parts["middle2"][idx] = -1
    _draw_given(rng, p, idx)


@cache
def _tables(folded: bool) -> dict[str, list[str]]:
    """Name-part tables, as written or folded by ``name_key`` (which works per character
    on clean text, so folding the parts and joining them folds the whole name)."""
    raw = {
        "surname": _SURNAMES,
        "middle": _MIDDLE,
        "middle2": _MIDDLE2,
        "given": _GIVEN,
        # Central Highlands given names with their prefix: "Y-" (Ê-đê men), then "H'"
        "min_given": [pre + g for pre in ("Y-", "H'") for g in _MIN_GIVEN],
        "min_surname": _MIN_SURNAMES,
    }
    if not folded:
        return raw
    return {k: name_key(pd.Series(v, dtype="str")).tolist() for k, v in raw.items()}


def _shown_parts(p: _People, idx: np.ndarray) -> dict[str, np.ndarray]:
    """Indexes into ``_tables`` of the name parts the people idx show (-1: not shown).

    Kinh-style names show surname, middle, second middle and given name, but not a
    middle name that repeats the given name nor a second middle that repeats either (no
    "Minh Minh"); Central Highlands names show the prefixed given name and the surname.
    The Kinh-style parts mean something on Kinh rows only, the others on the other rows;
    the surname is a valid index everywhere (pyarrow's join drops all-null rows).
    """
    parts = {k: v[idx] for k, v in p.parts.items()}
    kind = p.kind[idx]
    kinh = kind == _KINH
    vocab = np.array([_VOCAB[w] for w in _MIDDLE] + [-1])
    vocab2 = np.array([_VOCAB[w] for w in _MIDDLE2] + [-2])
    vocab_g = np.array([_VOCAB[w] for w in _GIVEN])
    given = np.where(kinh, parts["given"], 0)
    w1, w2, wg = vocab[parts["middle"]], vocab2[parts["middle2"]], vocab_g[given]
    return {
        "surname": parts["surname"],
        "middle": np.where(w1 != wg, parts["middle"], -1),
        "middle2": np.where((w2 != wg) & (w2 != w1), parts["middle2"], -1),
        "given": given,
        "min_given": np.where(kinh, 0, parts["given"]) + len(_MIN_GIVEN) * (kind != _EDE_MALE),
        "min_surname": parts["min_surname"],
    }


def _assemble(p: _People, idx: np.ndarray, folded: bool = False) -> pa.Array:
    """The canonical names (Title Case, NFC) of the people idx, or their name keys."""
    t = _tables(folded)
    shown = _shown_parts(p, idx)
    kind = p.kind[idx]
    name = pc.binary_join_element_wise(
        *(_take(t[k], shown[k]) for k in ("surname", "middle", "middle2", "given")),
        " ",
        null_handling="skip",
    )
    if not folded:  # name_key folds the tone style away
        words = "|".join(nm.TONE_STYLE)
        flip = pc.match_substring_regex(name, f"(^| )({words})( |$)")
        flip = flip.to_numpy(zero_copy_only=False) & p.new_style[idx]
        if flip.any():
            styled = name.filter(pa.array(flip))
            for old, new in nm.TONE_STYLE.items():
                styled = pc.replace_substring_regex(styled, f"(^| ){old}( |$)", rf"\1{new}\2")
            name = pc.replace_with_mask(name, pa.array(flip), styled)
    mgiven = _take(t["min_given"], shown["min_given"])
    msur = _take(t["min_surname"], shown["min_surname"])
    ede = pc.binary_join_element_wise(mgiven, msur, " ")
    jrai = pc.binary_join_element_wise(msur, mgiven, " ")
    minority = pc.if_else(pa.array(kind == _JRAI_FEMALE), jrai, ede)
    return pc.if_else(pa.array(kind == _KINH), name, minority)


@cache
def _word_numbers() -> dict[str, int]:
    """The words of the folded name-part tables, numbered from 1 (fewer than 256)."""
    tables = _tables(folded=True)
    words = sorted({w for entries in tables.values() for e in entries for w in e.split(" ")})
    if len(words) >= 256 or "" in words:  # pragma: no cover - the tables are fixed
        raise ValueError("name words do not fit a byte each")
    return {w: i + 1 for i, w in enumerate(words)}


def _fold_code(fold: str) -> int | None:
    """``_name_codes`` of a folded name given as text; None if no name drawn has it."""
    number = _word_numbers()
    words = fold.split(" ")
    if len(words) > 4:
        return None
    code = 0
    for w in words:
        if w not in number:
            return None
        code = code << 8 | number[w]
    return code


_DATE_FORMS = (
    (re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})"), 0),
    (re.compile(r"()([0-9]{2})/([0-9]{4})"), 1),
    (re.compile(r"()()([0-9]{4})"), 2),
)


def _shown_number(dob: str, low: int) -> int | None:
    """A birth date as shown (``dd/mm/yyyy``, ``mm/yyyy``, ``yyyy``) as a number: its first
    day counted from low, times 3, plus its precision; None for any other text."""
    for form, precision in _DATE_FORMS:
        m = form.fullmatch(dob)
        if m:
            try:
                start = date(int(m[3]), int(m[2] or 1), int(m[1] or 1))
            except ValueError:
                return None
            return (_day(start) - low) * 3 + precision
    return None


def _key_code(p: _People, key: tuple[str, str]) -> int | None:
    """The number in ``p.key`` of a (folded name, shown birth date); None if no person's
    key can be it."""
    code, shown = _fold_code(key[0]), _shown_number(key[1], p.key_low)
    if code is None or shown is None or not 0 <= shown < 1 << p.key_bits:
        return None
    return code << p.key_bits | shown


@cache
def _word_codes() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per name-part table: each entry's folded words as one number, and how many words.

    The words of all tables are numbered from 1 (fewer than 256 of them) and packed a
    byte each, first word highest; a last entry (0, no words) stands for index -1, a part
    not shown.
    """
    tables = _tables(folded=True)
    number = _word_numbers()
    codes = {}
    for k, entries in tables.items():
        code = np.zeros(len(entries) + 1, dtype=np.int64)
        count = np.zeros(len(entries) + 1, dtype=np.int64)
        for i, entry in enumerate(entries):
            for w in entry.split(" "):
                code[i] = code[i] << 8 | number[w]
                count[i] += 1
        codes[k] = (code, count)
    return codes


def _name_codes(p: _People, idx: np.ndarray) -> np.ndarray:
    """The folded names (``_assemble(..., folded=True)``) of the people idx as numbers,
    equal exactly when the folded names are equal.

    A folded name is its words joined by single spaces; the codes are those words packed
    a byte each (at most 4 words: 32 bits). Words are numbered from 1, so names of
    different lengths cannot meet.
    """
    codes = _word_codes()
    shown = _shown_parts(p, idx)

    def pack(order: tuple[str, ...]) -> np.ndarray:
        out = np.zeros(len(idx), dtype=np.int64)
        for k in order:
            code, count = codes[k]
            out = out << (8 * count[shown[k]]) | code[shown[k]]
        return out

    kind = p.kind[idx]
    kinh = pack(("surname", "middle", "middle2", "given"))
    ede = pack(("min_given", "min_surname"))
    jrai = pack(("min_surname", "min_given"))
    return np.where(kind == _KINH, kinh, np.where(kind == _JRAI_FEMALE, jrai, ede))


def _dob_text(p: _People) -> pa.Array:
    """dd/mm/yyyy, or mm/yyyy and yyyy for the people whose full date is not known."""
    full = _dates(p.dob)
    month = pc.utf8_slice_codeunits(full, 3)
    year = pc.utf8_slice_codeunits(full, 6)
    prec = pa.array(p.precision)
    return pc.if_else(pc.equal(prec, 0), full, pc.if_else(pc.equal(prec, 1), month, year))


def _name_people(rng: np.random.Generator, p: _People) -> None:
    """Draw names, then re-draw names until no two people share a folded name and a birth
    date: neither the full date nor the date the extracts show (a year, say).

    The checks run on numbers: the folded name's code (``_name_codes``) shifted left,
    with the date's day number (or, for the shown date, its first day and precision) in
    the low bits. The first check sorts everyone's keys; after that only the people
    whose names were re-drawn are checked, against the keys that are settled. The given
    name is re-drawn first; a key the given name cannot free (a year of birth shared by
    many ``Nguyễn Thị``) gets new middle names, later a new surname too.
    """
    _draw_names(rng, p)
    # One of each homonym pair gets a common name here; the other takes it at the end.
    hom_a = np.flatnonzero((p.homonym >= 0) & (p.homonym > np.arange(p.n)))
    hom_b = p.homonym[hom_a]
    _common_names(rng, p, hom_a)
    p.dob_text = _dob_text(p)
    n = p.n
    # Shown date: its first day and precision (12/1942 starts on a day that 1942 does too).
    partial = np.flatnonzero(p.precision > 0)
    y, m, _ = _ymd(p.dob[partial])
    start = p.dob.copy()
    start[partial] = _from_ymd(y, np.where(p.precision[partial] == 1, m, 1), np.ones_like(m))
    low = int(start.min()) if n else 0
    full = p.dob - low
    shown = (start - low) * 3 + p.precision
    # (who is checked, their date numbers, the bits those take: for the shown dates,
    # everyone's, as p.key holds them for everyone)
    checks = [
        (np.ones(n, dtype=bool), full, max(int(full.max(initial=0)).bit_length(), 1)),
        (p.precision > 0, shown, max(int(shown.max(initial=0)).bit_length(), 1)),
    ]
    if any(32 + bits > 63 for _, _, bits in checks):  # pragma: no cover - 100 years of days
        raise ValueError("birth dates span too long")

    used = [_Taken() for _ in checks]
    pending = np.arange(n)
    code = np.zeros(n, dtype=np.int64)
    for attempt in range(201):
        if attempt > 24:
            _draw_surname(rng, p, pending)
        elif attempt > 8:  # only the Central Highlands names get new surnames yet
            _draw_surname(rng, p, pending[p.kind[pending] != _KINH])
        if attempt > 8:
            _draw_middle(rng, p, pending)
        if attempt > 0:
            _draw_given(rng, p, pending)
        codes = code[pending] = _name_codes(p, pending)
        clash = np.zeros(len(pending), dtype=bool)
        new_keys = []
        for taken, (member, date_no, bits) in zip(used, checks, strict=True):
            sel = np.flatnonzero(member[pending])
            keys = codes[sel] << bits | date_no[pending[sel]]
            clash[sel[taken.clash(keys)]] = True
            new_keys.append((sel, keys))
        for taken, (sel, keys) in zip(used, new_keys, strict=True):
            taken.add(keys[~clash[sel]])
        pending = pending[clash]
        if not len(pending):
            break
    else:  # pragma: no cover
        raise RuntimeError("could not make names unique")
    for k in _PARTS:
        p.parts[k][hom_b] = p.parts[k][hom_a]
    p.kind[hom_b], p.new_style[hom_b], code[hom_b] = p.kind[hom_a], p.new_style[hom_a], code[hom_a]
    p.name = _assemble(p, np.arange(n))
    p.key_low, p.key_bits = low, checks[1][2]
    p.key = code << p.key_bits | shown
