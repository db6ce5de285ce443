"""Synthetic extracts with known injected errors and their truth (`cleanse sample`).

``write_samples`` draws a population of people, writes what four systems would export
about them (dân cư, BHXH, hộ tịch, bảo trợ xã hội), injects single-file errors into a
known set of rows, plants cross-file cases for reconciliation, and writes the truth
beside them. Everything is drawn from ``numpy.random.default_rng(seed)`` over whole
arrays, so the same arguments give byte-identical files and a million people take
seconds. Python loops run only over the small injected subsets. ``samples/README.md``
describes the files, the people model and the rates.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cleanse import sample_names as nm
from cleanse.normalise import name_key
from cleanse.reference import reference

DANCU, BHXH, HOTICH, BTXH = "dancu.csv", "bhxh.csv", "hotich.csv", "btxh.csv"
SOURCES = (DANCU, BHXH, HOTICH, BTXH)

# (canonical field, header) per extract, in file order.
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    DANCU: (
        ("id_number", "Số định danh cá nhân"),
        ("full_name", "Họ và tên"),
        ("dob", "Ngày sinh"),
        ("gender", "Giới tính"),
        ("ethnicity", "Dân tộc"),
        ("nationality", "Quốc tịch"),
        ("address", "Nơi thường trú"),
        ("ward", "Xã/Phường"),
        ("province", "Tỉnh/Thành phố"),
    ),
    BHXH: (
        ("bhxh_code", "Mã số BHXH"),
        ("id_number", "Số CCCD"),
        ("full_name", "Họ và tên"),
        ("dob", "Ngày sinh"),
        ("gender", "Giới tính"),
        ("ethnicity", "Dân tộc"),
        ("address", "Địa chỉ"),
        ("phone", "Số điện thoại"),
        ("benefit_status", "Trạng thái hưởng"),
    ),
    HOTICH: (
        ("event", "Loại việc hộ tịch"),
        ("id_number", "Số định danh cá nhân"),
        ("full_name", "Họ và tên"),
        ("dob", "Ngày sinh"),
        ("gender", "Giới tính"),
        ("ethnicity", "Dân tộc"),
        ("nationality", "Quốc tịch"),
        ("death_date", "Ngày chết"),
        ("registration_date", "Ngày đăng ký"),
        ("address", "Nơi cư trú"),
    ),
    BTXH: (
        ("id_number", "Số định danh"),
        ("full_name", "Họ và tên"),
        ("dob", "Ngày sinh"),
        ("gender", "Giới tính"),
        ("address", "Địa chỉ"),
        ("benefit_type", "Đối tượng"),
        ("coefficient", "Hệ số"),
        ("amount", "Mức trợ cấp"),
        ("benefit_start", "Ngày hưởng"),
        ("benefit_status", "Trạng thái hưởng"),
    ),
}
# (encoding, delimiter): BHXH and hộ tịch exports carry a BOM, BTXH lists use ';'.
FORMATS: dict[str, tuple[str, str]] = {
    DANCU: ("utf-8", ","),
    BHXH: ("utf-8-sig", ","),
    HOTICH: ("utf-8-sig", ","),
    BTXH: ("utf-8", ";"),
}

TRUTH_COLUMNS = ("command", "source", "row", "rule", "field", "suggestion", "related_row")

# Required fields per kind whose emptiness is `field.missing` (an empty ID is `id.missing`).
MISSING_FIELDS: dict[str, tuple[str, ...]] = {
    DANCU: ("full_name", "dob", "gender"),
    BHXH: ("full_name", "dob", "gender", "bhxh_code"),
    HOTICH: ("full_name", "dob", "gender", "event", "death_date"),
    BTXH: ("full_name", "dob", "gender", "benefit_type", "benefit_status"),
}

# Validate rules injected into every extract, plus the extract-specific ones.
COMMON_RULES = (
    "id.missing",
    "id.format",
    "id.place_code",
    "id.foreign_code",
    "id.gender_century",
    "id.birth_year",
    "id.duplicate",
    "field.missing",
    "dob.invalid",
    "dob.out_of_range",
    "dob.partial",
    "gender.invalid",
    "name.invalid",
    "name.format",
    "text.mojibake",
    "record.duplicate",
)
RULES: dict[str, tuple[str, ...]] = {
    DANCU: COMMON_RULES,
    BHXH: (*COMMON_RULES, "id.legacy", "bhxh.format", "bhxh.duplicate"),
    HOTICH: (*COMMON_RULES, "death.before_birth"),
    BTXH: (*COMMON_RULES, "id.legacy"),
}

# People-model and variation rates (fractions); samples/README.md quotes them.
RATES = {
    "unreferenced": 0.007,  # of people; only in bhxh/btxh
    "dead": 0.015,  # of people aged 3+, weighted towards the old
    "partial_dob": 0.10,  # of people born before 1950
    "bhxh_participant": 0.45,  # of people aged 18-59
    "bhxh_pensioner": 0.30,  # of people aged 60+
    "marriage": 0.02,  # of people aged 20-39
    "btxh_elderly": 0.80,  # of people aged 80+
    "btxh_disabled": 0.01,  # of people, any age
    "btxh_orphan": 0.003,  # of people (all of them children under 16)
    "btxh_single_parent": 0.003,  # of people (all of them women aged 20-49)
    "deceased_active_bhxh": 0.10,  # of dead people in bhxh
    "deceased_active_btxh": 0.20,  # of dead people in btxh
    "id_conflict": 0.003,  # of bhxh rows
    "homonym": 0.001,  # pairs per person: one name, birth date and ward, two people
    "homonym_death": 0.10,  # of homonym pairs: one of the two has died
    "upper": 0.90,  # bhxh names in capitals
    "no_accents": 0.05,  # bhxh, btxh
    "tone_style": 0.02,
    "dob_swap": 0.01,
    "dob_placeholder": 0.01,  # of people born before 1960
    "name_typo": 0.005,
    "middle_name_dropped": 0.005,
    "legacy_id": 0.02,  # bhxh, btxh
    "bhxh_is_id": 0.10,  # bhxh
    "id_spaced": 0.01,  # btxh
}
# Planted error cases, per extract, at the default error_rate (0.002); they scale with
# error_rate / 0.002 and vanish at 0. Shares of the rows of the sector extracts (bhxh,
# hotich, btxh), second books of the bhxh rows.
CASE_RATES = {
    "given_typo": 0.005,  # the given name one edit off, the ID right
    "id_typo": 0.001,  # an ID one digit off or two digits transposed, and a name typo
    "second_book": 0.003,  # bhxh: a second row of the person with another BHXH code
    "carried_id": 0.001,  # the (well-formed) ID of another person in dân cư
    "gender_word": 0.002,  # Trai, Con gái, nữ giới …: gender.invalid, Nam/Nữ suggested
}
DEFAULT_ERROR_RATE = 0.002
# Each rule takes error_rate × rows rows of its own, one error a row: beyond this share
# the rules of an extract would need more rows than it has.
MAX_ERROR_RATE = 0.02
BASE_ALLOWANCE = 500_000  # mức chuẩn trợ giúp xã hội, đ/month (NĐ 76/2024, DOMAIN.md §5)

GENDER_TEXT = ("Nam", "Nữ")
# Words for a gender outside Nam/Nữ, M/F, male/female, seen in sector extracts: not the
# SPEC values, so `gender.invalid`, with the value they plainly mean suggested.
GENDER_WORDS = {
    "Nam": ("Trai", "Con trai", "Nam giới", "nam giới", "NAM GIỚI", "trai"),
    "Nữ": ("Gái", "Con gái", "Nữ giới", "nữ giới", "NỮ GIỚI", "gái"),
}
KHAI_SINH, KHAI_TU, KET_HON = "Khai sinh", "Khai tử", "Kết hôn"
BHXH_STATUS = ("Đang tham gia", "Đang hưởng", "Dừng tham gia", "Dừng hưởng")
BTXH_ACTIVE, BTXH_STOPPED, BTXH_PAUSED = "Đang hưởng", "Dừng hưởng", "Tạm dừng"
BENEFIT_TYPES = (
    "Người cao tuổi từ 80 tuổi trở lên",
    "Người khuyết tật nặng",
    "Người khuyết tật đặc biệt nặng",
    "Trẻ em mồ côi cả cha và mẹ",
    "Người đơn thân nghèo nuôi con",
)
ELDERLY, DISABLED, DISABLED_SEVERE, ORPHAN, SINGLE_PARENT = range(1, 6)

# Age distribution (share in %, per 5-year band from 0-4 to 95-100): more young adults,
# about 2.3 % aged 80+, nobody over 100 at as_of, so clean data stays under 105 for years.
_AGE_BANDS = (
    7.5,
    7.8,
    7.5,
    7.0,
    7.3,
    8.0,
    8.2,
    8.0,
    7.3,
    6.5,
    6.0,
    5.5,
    4.5,
    3.4,
    2.3,
    1.4,
    1.1,
    0.7,
    0.35,
    0.15,
)


# --- small helpers ------------------------------------------------------------------


def _norm(weights: Sequence[float] | np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def _age_p() -> np.ndarray:
    p = np.zeros(101)
    for band, share in enumerate(_AGE_BANDS):
        ages = range(band * 5, min(band * 5 + 5, 101) if band < 19 else 101)
        for a in ages:
            p[a] = share / len(ages)
    return p / p.sum()


def _day(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def _from_ymd(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    months = (np.asarray(year) - 1970) * 12 + (np.asarray(month) - 1)
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return first + np.asarray(day) - 1


def _month_len(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    nxt = _from_ymd(year + (month == 12), month % 12 + 1, np.ones_like(month))
    return nxt - _from_ymd(year, month, np.ones_like(month))


def _add_years(days: np.ndarray, years: int | np.ndarray) -> np.ndarray:
    y, m, d = _ymd(days)
    y = y + years
    return _from_ymd(y, m, np.minimum(d, _month_len(y, m)))


def _first_of_month(days: np.ndarray, months_later: int | np.ndarray = 0) -> np.ndarray:
    y, m, _ = _ymd(days)
    total = y * 12 + (m - 1) + months_later
    return _from_ymd(total // 12, total % 12 + 1, np.ones_like(total))


def _age(dob: np.ndarray, ref: np.ndarray | int) -> np.ndarray:
    y1, m1, d1 = _ymd(dob)
    y2, m2, d2 = _ymd(np.broadcast_to(ref, np.shape(dob)))
    return y2 - y1 - ((m2 * 100 + d2) < (m1 * 100 + d1))


_TWO_DIGITS = [f"{i:02d}" for i in range(100)]


def _dates(days: np.ndarray, parts: str = "dmy") -> pa.Array:
    """Dates as dd/mm/yyyy text (or mm/yyyy, yyyy for ``parts="my"``, ``"y"``)."""
    y, m, d = _ymd(days)
    text = {"d": _take(_TWO_DIGITS, d), "m": _take(_TWO_DIGITS, m), "y": _digits(y, 4)}
    if len(parts) == 1:
        return text[parts]
    return pc.binary_join_element_wise(*(text[c] for c in parts), "/")


def _fmt(y: int, m: int, d: int) -> str:
    return f"{d:02d}/{m:02d}/{y:04d}"


def _digits(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pa.array(values, pa.int64()).cast(pa.string()), width=width, padding="0")


def _take(table: Sequence[str], idx: np.ndarray) -> pa.Array:
    """``table[idx]`` as a string array; negative indexes give null."""
    idx = np.asarray(idx)
    return pa.array(list(table), pa.string()).take(pa.array(idx, mask=idx < 0))


def _pick(rng: np.random.Generator, mask: np.ndarray, k: int) -> np.ndarray:
    """k random indexes where mask is true (fewer if there are fewer), sorted."""
    cand = np.flatnonzero(mask)
    k = min(int(k), len(cand))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    return np.sort(rng.choice(cand, size=k, replace=False))


def _weighted_pick(
    rng: np.random.Generator, mask: np.ndarray, weights: np.ndarray, k: int
) -> np.ndarray:
    """k indexes where mask is true, drawn without replacement with the given weights."""
    cand = np.flatnonzero(mask)
    k = min(int(k), len(cand))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    keys = np.log(rng.random(len(cand))) / weights[cand]  # Efraimidis–Spirakis
    return np.sort(cand[np.argpartition(-keys, k - 1)[:k]])


def _count(rate: float, pool: int, minimum: int = 0) -> int:
    return min(pool, max(minimum, round(rate * pool)))


def _later_repeats(keys: np.ndarray) -> np.ndarray:
    """True where a key already occurred earlier in keys."""
    ordered = np.sort(keys)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    out = np.zeros(len(keys), dtype=bool)
    if len(repeated):  # only the keys that repeat need their first occurrence found
        hit = np.flatnonzero(pd.Series(keys, copy=False).isin(repeated).to_numpy())
        sub = keys[hit]
        order = np.argsort(sub, kind="stable")
        later = np.zeros(len(hit), dtype=bool)
        later[order[1:]] = sub[order[1:]] == sub[order[:-1]]
        out[hit[later]] = True
    return out


def _sorted_contains(ordered: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """True where keys occur in the sorted array ordered."""
    found = np.zeros(len(keys), dtype=bool)
    if not len(ordered) or not len(keys):
        return found
    # Searching in key order keeps the binary searches in cache.
    order = np.argsort(keys)
    at = np.minimum(np.searchsorted(ordered, keys[order]), len(ordered) - 1)
    found[order] = ordered[at] == keys[order]
    return found


class _Taken:
    """Integer keys in use, for drawing values until they are unique: a sorted array, and
    the keys added since in a smaller sorted one (merged in when it grows)."""

    def __init__(self, keys: np.ndarray | None = None) -> None:
        self.base = np.sort(keys) if keys is not None else np.zeros(0, dtype=np.int64)
        self.extra = np.zeros(0, dtype=self.base.dtype)

    def clash(self, keys: np.ndarray) -> np.ndarray:
        """True where a key is taken or repeats an earlier one of keys."""
        taken = _sorted_contains(self.base, keys) | _sorted_contains(self.extra, keys)
        return taken | _later_repeats(keys)

    def add(self, keys: np.ndarray) -> None:
        if not len(self.base):
            self.base = np.sort(keys)
            return
        self.extra = np.sort(np.concatenate([self.extra, keys]))
        if len(self.extra) > len(self.base) // 8:
            self.base = np.sort(np.concatenate([self.base, self.extra]))
            self.extra = self.extra[:0]


def _unique_ints(
    rng: np.random.Generator, prefix: np.ndarray, span: int, taken: np.ndarray | None = None
) -> np.ndarray:
    """``prefix * span + random`` drawn until every value is unique (and not in taken).

    After the first check of all values, only the re-drawn ones are checked.
    """
    values = prefix * span + rng.integers(0, span, len(prefix))
    used = _Taken(taken)
    pending = np.arange(len(values))
    for _ in range(100):
        clash = used.clash(values[pending])
        used.add(values[pending[~clash]])
        pending = pending[clash]
        if not len(pending):
            return values
        values[pending] = prefix[pending] * span + rng.integers(0, span, len(pending))
    raise RuntimeError("could not draw unique numbers")  # pragma: no cover


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", plain.replace("đ", "d").replace("Đ", "D"))


def _flip_tone(text: str) -> str:
    both = {**nm.TONE_STYLE, **{v: k for k, v in nm.TONE_STYLE.items()}}
    return " ".join(both.get(w, w) for w in text.split(" "))


def _mojibake(text: str) -> str:
    """The text's UTF-8 bytes read as cp1252 (latin-1 for the five bytes it leaves out)."""
    out = []
    for b in text.encode("utf-8"):
        try:
            out.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(b))
    return "".join(out)


_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
_DIGIT_FOR = {"o": "0", "i": "1", "l": "1"}  # look-alikes typed or read for letters
TYPO_SHAPES = ("letter_dropped", "letters_swapped", "tone", "digit")
# Shares of the given-name typo shapes (a digit for a letter is the rarest).
_TYPO_WEIGHTS = (0.3, 0.25, 0.3, 0.15)


def _given_typo(given: str, shape: str, rng: np.random.Generator) -> str | None:
    """The given name one edit off in the given shape (None where it has no place for
    one): a letter after the first dropped (Sen → Sn), two adjacent letters after the
    first swapped (Anh → Ahn), another tone mark (Hùng → Húng), a digit for a look-alike
    letter (Linh → L1nh). The first letter stays, so the case stays right."""
    if shape == "letter_dropped":
        if len(given) < 3:
            return None
        i = int(rng.integers(1, len(given)))
        return given[:i] + given[i + 1 :]
    if shape == "letters_swapped":
        spots = [i for i in range(1, len(given) - 1) if given[i] != given[i + 1]]
        if not spots:
            return None
        i = spots[int(rng.integers(len(spots)))]
        return given[:i] + given[i + 1] + given[i] + given[i + 2 :]
    if shape == "digit":
        spots = [i for i in range(1, len(given)) if given[i] in _DIGIT_FOR]
        if not spots:
            return None
        i = spots[int(rng.integers(len(spots)))]
        return given[:i] + _DIGIT_FOR[given[i]] + given[i + 1 :]
    # Another tone on the same vowel, placed after its other marks (ê, ơ …), so that
    # NFC composes it again: ệ → ế, not é with a loose circumflex.
    chars = list(unicodedata.normalize("NFD", given))
    at = [i for i, c in enumerate(chars) if c in _TONE_MARKS]
    if not at:
        return None
    old = chars.pop(at[0])
    end = at[0]
    while end < len(chars) and unicodedata.combining(chars[end]):
        end += 1
    new = _TONE_MARKS[int(rng.integers(len(_TONE_MARKS) - 1))]
    new = _TONE_MARKS[-1] if new == old else new
    chars.insert(end, new)
    return unicodedata.normalize("NFC", "".join(chars))


def _undo_mojibake(text: str) -> str:
    """The text that ``_mojibake`` garbled."""
    return bytes(ord(c) if ord(c) < 256 else c.encode("cp1252")[0] for c in text).decode()


def _title(text: str) -> str:
    return " ".join(w[:1].upper() + w[1:].lower() for w in text.split(" "))


@cache
def _old_style() -> dict[str, str]:
    """New-style tone placements of the name words, Title Case and CAPITALS, to the old
    (canonical) one: Thuỷ → Thủy, THUỶ → THỦY."""
    return {
        w: o
        for old, new in nm.TONE_STYLE.items()
        for w, o in ((new, old), (new.upper(), old.upper()))
    }


def _canonical(text: str) -> str:
    """A name with the canonical tone placement, as the tool suggests names (the people
    who write the new style, Thuỷ, have it in every extract)."""
    return " ".join(_old_style().get(w, w) for w in text.split(" "))


def _normal_name(text: str) -> str:
    """What ``name.format`` suggests: NFC, spaces collapsed, canonical tone placement,
    Title Case unless the name is Title Case or CAPITALS."""
    clean = " ".join(unicodedata.normalize("NFC", text).split())
    return _canonical(clean if clean.istitle() or clean.isupper() else _title(clean))


# --- people -------------------------------------------------------------------------


# Name-part tables: male list then female list, so one index addresses both.
_SURNAMES = list(nm.SURNAMES)
_MIDDLE = list(nm.MIDDLE_MALE) + list(nm.MIDDLE_FEMALE)
_MIDDLE2 = list(nm.SECOND_MIDDLE_MALE) + list(nm.SECOND_MIDDLE_FEMALE)
_GIVEN = list(nm.GIVEN_MALE) + list(nm.GIVEN_FEMALE)
_MIN_GIVEN = list(nm.MINORITY_GIVEN_MALE) + list(nm.MINORITY_GIVEN_FEMALE)
_MIN_SURNAMES = list(nm.EDE_SURNAMES) + list(nm.JRAI_SURNAMES)
_VOCAB = {w: i for i, w in enumerate(dict.fromkeys(_MIDDLE + _MIDDLE2 + _GIVEN))}
_KINH, _EDE_MALE, _EDE_FEMALE, _JRAI_FEMALE = 0, 1, 2, 3

# make(rows, current values) -> new values (None where a row is unsuitable)
_Make = Callable[[np.ndarray, list[str]], Sequence[str | None]]


@dataclass
class _People:
    """One entry per person; the extracts are views of these arrays."""

    n: int
    gender: np.ndarray  # 0 male, 1 female
    dob: np.ndarray  # days since 1970-01-01
    year: np.ndarray
    precision: np.ndarray  # 0 full date, 1 month/year, 2 year only shown
    dead: np.ndarray
    death: np.ndarray  # days, -1 when alive
    bhxh_role: np.ndarray  # 0 none, 1 participant, 2 pensioner
    btxh_type: np.ndarray  # 0 none, else ELDERLY..SINGLE_PARENT
    event: np.ndarray  # 0 none, 1 khai sinh, 2 khai tử, 3 kết hôn
    unreferenced: np.ndarray
    active_bhxh: np.ndarray  # dead but still active in bhxh
    active_btxh: np.ndarray
    id_conflict: np.ndarray
    homonym: np.ndarray  # the other person of a homonym pair, -1 for everyone else
    kept_active: np.ndarray  # the living one of a pair whose other one died: active in bhxh
    special: np.ndarray  # any reconcile story: rows stay untouched
    kind: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    parts: dict[str, np.ndarray] = field(default_factory=dict)
    new_style: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    name: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))
    dob_text: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))
    # Folded name and shown birth date as one number (``_name_people``), and how.
    key: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    key_low: int = 0  # the day numbers in key count from this day
    key_bits: int = 1  # the low bits of key that hold the date
    text: dict[str, pa.Array] = field(default_factory=dict)
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # dân cư's ID
    # Every ID a person has (dân cư's and the id-conflict ones), sorted, as numbers.
    all_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def _homonym_pairs(
    rng: np.random.Generator, gender: np.ndarray, mask: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Up to k disjoint pairs (a, b) of people where mask is true, both of one gender."""
    first, second = [], []
    for g, kg in ((0, k - k // 2), (1, k // 2)):
        idx = rng.permutation(_pick(rng, mask & (gender == g), 2 * kg))
        half = len(idx) // 2
        first.append(idx[:half])
        second.append(idx[half : 2 * half])
    return np.concatenate(first), np.concatenate(second)


def _draw_people(rng: np.random.Generator, n: int, as_of: date) -> _People:
    """Genders, birth and death dates, and who is in which extract."""
    today = _day(as_of)
    gender = rng.integers(0, 2, n).astype(np.int8)
    age = rng.choice(101, size=n, p=_age_p())
    dob = today - 1 - np.floor((age + rng.random(n)) * 365.2425).astype(np.int64)

    # Homonyms: pairs of people of one gender born on the same day (``_name_people``
    # gives them one common name, ``_describe_people`` one ward). In some pairs, of
    # people aged 62+, one has died and the other still draws a pension.
    age = _age(dob, today)
    pairs = max(4, round(RATES["homonym"] * n))
    old_pairs = max(2, round(RATES["homonym_death"] * pairs))
    died, kept = _homonym_pairs(rng, gender, (age >= 62) & (age <= 95), old_pairs)
    taken = np.zeros(n, dtype=bool)
    taken[died] = taken[kept] = True
    hom_a, hom_b = _homonym_pairs(
        rng, gender, (age >= 18) & (age <= 90) & ~taken, pairs - len(died)
    )
    hom_a, hom_b = np.concatenate([died, hom_a]), np.concatenate([kept, hom_b])
    dob[hom_b] = dob[hom_a]
    homonym = np.full(n, -1, dtype=np.int64)
    homonym[hom_a], homonym[hom_b] = hom_b, hom_a
    is_hom = homonym >= 0
    year = _ymd(dob)[0]
    age = _age(dob, today)

    # Deaths: 1.5 %, weighted towards the old; babies (under 3) do not die.
    n_dead = max(round(RATES["dead"] * n) - len(died), 0)
    weight = 0.3 + (age / 20.0) ** 4
    dead_idx = _weighted_pick(rng, (age >= 3) & ~is_hom, weight, n_dead)
    dead = np.zeros(n, dtype=bool)
    dead[dead_idx] = True
    dead[died] = True
    hi = _first_of_month(np.array([today]), -2)[0]  # as_of − 2 months
    lo = np.maximum(_add_years(np.array([today]), -5)[0], dob + 366)
    death = np.full(n, -1, dtype=np.int64)
    span = np.maximum(hi - lo[dead], 0) + 1
    death[dead] = lo[dead] + np.floor(rng.random(len(span)) * span).astype(np.int64)
    ref = np.where(dead, death, today)  # the date membership is judged on
    age_ref = _age(dob, ref)

    bhxh_role = np.zeros(n, dtype=np.int8)
    u = rng.random(n)
    bhxh_role[(age_ref >= 18) & (age_ref < 60) & (u < RATES["bhxh_participant"])] = 1
    bhxh_role[(age_ref >= 60) & (u < RATES["bhxh_pensioner"])] = 2
    # The living one of a pair with a death draws a pension; the first other pair are
    # both insured, so that one BHXH extract holds both of them.
    bhxh_role[kept] = 2
    both = np.concatenate([hom_a[len(died) : len(died) + 1], hom_b[len(died) : len(died) + 1]])
    bhxh_role[both] = np.where(age_ref[both] >= 60, 2, 1)
    kept_active = np.zeros(n, dtype=bool)
    kept_active[kept] = True

    btxh_type = np.zeros(n, dtype=np.int8)
    u = rng.random(n)
    btxh_type[(age_ref >= 80) & (u < RATES["btxh_elderly"])] = ELDERLY
    u = rng.random(n)
    disabled = (btxh_type == 0) & (u < RATES["btxh_disabled"])
    btxh_type[disabled] = np.where(rng.random(int(disabled.sum())) < 0.6, DISABLED, DISABLED_SEVERE)
    u = rng.random(n)
    child = age_ref < 16
    rate = RATES["btxh_orphan"] / max(child.mean(), 1e-9)
    btxh_type[(btxh_type == 0) & child & (u < rate)] = ORPHAN
    u = rng.random(n)
    single = (gender == 1) & (age_ref >= 20) & (age_ref < 50)
    rate = RATES["btxh_single_parent"] / max(single.mean(), 1e-9)
    btxh_type[(btxh_type == 0) & single & (u < rate)] = SINGLE_PARENT

    event = np.zeros(n, dtype=np.int8)
    event[(age < 3) & ~dead] = 1
    event[dead] = 2
    u = rng.random(n)
    event[(event == 0) & ~dead & (age >= 20) & (age < 40) & (u < RATES["marriage"])] = 3

    in_bx = (bhxh_role > 0) | (btxh_type > 0)
    pool = ~dead & in_bx & (event == 0) & ~is_hom
    unref_idx = _pick(
        rng, pool, _count(RATES["unreferenced"] / max(pool.mean(), 1e-9), int(pool.sum()), 3)
    )
    unreferenced = np.zeros(n, dtype=bool)
    unreferenced[unref_idx] = True

    active_bhxh = np.zeros(n, dtype=bool)
    pool = dead & (bhxh_role > 0) & ~is_hom
    active_bhxh[_pick(rng, pool, _count(RATES["deceased_active_bhxh"], int(pool.sum()), 2))] = 1
    active_btxh = np.zeros(n, dtype=bool)
    pool = dead & (btxh_type > 0) & ~active_bhxh & ~is_hom
    active_btxh[_pick(rng, pool, _count(RATES["deceased_active_btxh"], int(pool.sum()), 2))] = 1

    id_conflict = np.zeros(n, dtype=bool)
    pool = (bhxh_role > 0) & ~dead & ~unreferenced & ~is_hom
    id_conflict[_pick(rng, pool, max(3, round(RATES["id_conflict"] * pool.sum())))] = True
    special = unreferenced | active_bhxh | active_btxh | id_conflict | is_hom

    # Year-only / month-year births: 10 % of people born before 1950, topped up so that
    # every extract shows at least three.
    old = (year < 1950) & ~special
    partial = old & (rng.random(n) < RATES["partial_dob"])
    for member in (~unreferenced, bhxh_role > 0, event > 0, btxh_type > 0):
        missing = 3 - int((partial & member).sum())
        if missing > 0:
            partial[_pick(rng, old & member & ~partial, missing)] = True
    precision = np.where(partial, np.where(rng.random(n) < 0.5, 1, 2), 0).astype(np.int8)

    return _People(
        n=n,
        gender=gender,
        dob=dob,
        year=year,
        precision=precision,
        dead=dead,
        death=death,
        bhxh_role=bhxh_role,
        btxh_type=btxh_type,
        event=event,
        unreferenced=unreferenced,
        active_bhxh=active_bhxh,
        active_btxh=active_btxh,
        id_conflict=id_conflict,
        homonym=homonym,
        kept_active=kept_active,
        special=special,
    )


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


def _describe_people(rng: np.random.Generator, p: _People) -> None:
    """Ethnicity, IDs, BHXH codes, old CMND numbers, phones and addresses."""
    ref, n = reference(), p.n
    ethnic = ref.ethnic_groups
    codes = list(nm.OTHER_ETHNIC)
    other = rng.choice(len(codes), size=n, p=_norm(list(nm.OTHER_ETHNIC.values())))
    # 85 % Kinh overall: the 1 % minority-name people are not Kinh.
    is_kinh = rng.random(n) < 0.85 / 0.99
    ethnic_names = [ethnic["01"], *(ethnic[c] for c in codes), ethnic["12"], ethnic["10"]]
    eth = np.where(is_kinh, 0, 1 + other)
    eth = np.where(p.kind == _JRAI_FEMALE, len(codes) + 2, eth)
    eth = np.where((p.kind == _EDE_MALE) | (p.kind == _EDE_FEMALE), len(codes) + 1, eth)
    p.text["ethnicity"] = _take(ethnic_names, eth)
    p.text["gender"] = _take(GENDER_TEXT, p.gender.astype(np.int64))

    places = list(ref.place_codes)
    w = np.array([nm.PLACE_WEIGHTS.get(c, 0.0) for c in places])
    rest = w == 0
    w[rest] = (100.0 - w.sum()) / rest.sum()
    place = rng.choice(len(places), size=n, p=_norm(w))
    place_int = np.array([int(c) for c in places])[place]
    digit = p.gender + 2 * (p.year >= 2000)
    head = place_int * 1000 + digit * 100 + p.year % 100
    ids = _unique_ints(rng, head, 1_000_000)
    _part_homonym_ids(rng, p, ids)
    p.text["id_number"] = _digits(ids, 12)
    # A second, well-formed ID for the id-conflict people: same gender, century and year.
    conflict = np.flatnonzero(p.id_conflict)
    shift = rng.integers(1, len(places), len(conflict))
    other_place = np.array([int(c) for c in places])[(place[conflict] + shift) % len(places)]
    other_ids = _unique_ints(rng, other_place * 1000 + head[conflict] % 1000, 1_000_000, ids)
    p.text["conflict_id"] = pc.replace_with_mask(
        p.text["id_number"], pa.array(p.id_conflict), _digits(other_ids, 12)
    )
    p.ids, p.all_ids = ids, np.sort(np.concatenate([ids, other_ids]))
    p.text["bhxh_code"] = _digits(_unique_ints(rng, place_int % 100, 100_000_000), 10)
    p.text["cmnd"] = _digits(_unique_ints(rng, place_int % 100, 10_000_000), 9)
    phone = np.array([3, 5, 7, 8, 9])[rng.integers(0, 5, n)] * 100_000_000 + rng.integers(
        0, 100_000_000, n
    )
    no_phone = rng.random(n) < 0.1

    # Where they live now: the (2025) province of their birth registration, or a big city.
    new_names = sorted({v[0] for v in ref.provinces_2025.values()})
    home = np.array([new_names.index(ref.provinces_2025[c][0]) for c in places])[place]
    moved_to = np.array([new_names.index(c) for c in nm.MOVED_TO])
    moved = moved_to[rng.choice(len(moved_to), size=n, p=_norm(list(nm.MOVED_TO.values())))]
    prov = np.where(rng.random(n) < 0.2, moved, home)
    labels = [("Thành phố " if c in nm.CITIES else "Tỉnh ") + c for c in new_names]
    is_city = np.isin(prov, [new_names.index(c) for c in nm.CITIES])
    urban = rng.random(n) < np.where(is_city, 0.8, 0.3)
    stem = rng.integers(0, len(nm.WARD_STEMS), n)
    number = rng.integers(1, 200, n)
    small = rng.integers(1, 25, n)
    road = rng.integers(0, len(nm.STREETS), n)
    on_street = rng.random(n) < 0.6
    _house_homonyms(rng, p, (prov, urban, stem, number, small, road, on_street), phone, no_phone)

    p.text["phone"] = pc.if_else(pa.array(no_phone), "", _digits(phone, 10))
    ward = pc.binary_join_element_wise(
        _take(["Xã", "Phường"], urban.astype(np.int64)), _take(nm.WARD_STEMS, stem), " "
    )
    street = pc.binary_join_element_wise(
        "Số ", pa.array(number).cast(pa.string()), " đường ", _take(nm.STREETS, road), ""
    )
    small_text = pa.array(small).cast(pa.string())
    line = pc.if_else(
        pa.array(urban),
        pc.if_else(
            pa.array(on_street),
            street,
            pc.binary_join_element_wise("Tổ dân phố ", small_text, ""),
        ),
        pc.binary_join_element_wise("Thôn ", small_text, ""),
    )
    province = _take(labels, prov)
    p.text["ward"], p.text["province"] = ward, province
    p.text["address"] = pc.binary_join_element_wise(line, ward, province, ", ")


def _house_homonyms(
    rng: np.random.Generator,
    p: _People,
    place: tuple[np.ndarray, ...],
    phone: np.ndarray,
    no_phone: np.ndarray,
) -> None:
    """The second of each homonym pair lives in the first's ward (province, ward type
    and name), at another address line; both have phone numbers, not the same one.

    place: (province, urban, ward stem, house number, tổ/thôn number, street, on a
    street) per person, changed in place.
    """
    prov, urban, stem, number, small, road, on_street = place
    b = np.flatnonzero((p.homonym >= 0) & (p.homonym < np.arange(p.n)))
    a = p.homonym[b]
    prov[b], urban[b], stem[b] = prov[a], urban[a], stem[a]
    no_phone[a] = no_phone[b] = False

    def line(i: np.ndarray) -> np.ndarray:  # the address line as one number
        kind = np.where(urban[i], np.where(on_street[i], 0, 1), 2)
        return kind * 100_000 + np.where(kind == 0, number[i] * 100 + road[i], small[i])

    while len(same := b[line(b) == line(a)]):
        number[same] = rng.integers(1, 200, len(same))
        small[same] = rng.integers(1, 25, len(same))
        road[same] = rng.integers(0, len(nm.STREETS), len(same))
    while len(same := b[phone[b] == phone[a]]):
        phone[same] = 9 * 100_000_000 + rng.integers(0, 100_000_000, len(same))


def _one_edit(a: str, b: str) -> bool:
    """Equal, or one character replaced, or two adjacent characters transposed."""
    if len(a) != len(b):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(diff) != 2:
        return len(diff) <= 1
    i, j = diff
    return j == i + 1 and a[i] == b[j] and a[j] == b[i]


def _part_homonym_ids(rng: np.random.Generator, p: _People, ids: np.ndarray) -> None:
    """Re-draw the ID of the second of a homonym pair while it is one typo from the
    first's: the two must not look like one person with a mistyped ID (SPEC §3)."""
    taken = np.sort(ids)
    for b in np.flatnonzero((p.homonym >= 0) & (p.homonym < np.arange(p.n))):
        a = int(p.homonym[b])
        while _one_edit(f"{ids[a]:012d}", f"{ids[b]:012d}"):
            new = ids[b] // 1_000_000 * 1_000_000 + int(rng.integers(0, 1_000_000))
            at = int(np.searchsorted(taken, new))
            if at == len(taken) or taken[at] != new:
                ids[b] = new
                taken = np.sort(ids)


# --- extracts ------------------------------------------------------------------------


def _number_code(value: str) -> int | None:
    """1 to 16 ASCII digits as one number that keeps their count; None for other text."""
    if 0 < len(value) <= 16 and value.isascii() and value.isdigit():
        return len(value) * 10**16 + int(value)
    return None


class _Seen:
    """Values in use in an extract, for ``_Extract.change``: the ones it started with as
    sorted numbers (a set of millions of strings would take gigabytes), the ones added
    since as they are. ``encode`` numbers a value as the first ones were numbered, or
    gives None for a value that cannot be one of them; the first values ``encode`` cannot
    number are kept as they are too."""

    def __init__(
        self,
        base: np.ndarray | None = None,
        encode: Callable[[Any], int | None] | None = None,
        others: Sequence[Hashable] = (),
    ) -> None:
        self.base = np.sort(base) if base is not None else np.zeros(0, dtype=np.int64)
        self.encode = encode
        self.added: set[Hashable] = set(others)

    @classmethod
    def of_numbers(cls, values: pa.Array) -> _Seen:
        """The strings of values, numbered by ``_number_code``."""
        ok = pc.fill_null(pc.match_substring_regex(values, "^[0-9]{1,16}$"), False)
        numeric = values.filter(ok)
        count = pc.utf8_length(numeric).cast(pa.int64()).to_numpy()
        codes = count * 10**16 + numeric.cast(pa.int64()).to_numpy()
        others = values.filter(pc.invert(ok)).to_pylist()
        return cls(codes, _number_code, others)

    def __contains__(self, value: Hashable) -> bool:
        if value in self.added:
            return True
        code = self.encode(value) if self.encode is not None else None
        if code is None or not len(self.base):
            return False
        at = int(np.searchsorted(self.base, code))
        return at < len(self.base) and int(self.base[at]) == code

    def add(self, value: Hashable) -> None:
        self.added.add(value)

    def update(self, values: Sequence[Hashable]) -> None:
        self.added.update(values)


@dataclass
class _Extract:
    """One extract being built: values by canonical field, and what was done to rows."""

    name: str
    cols: dict[str, pa.Array]  # canonical field -> values, in row order
    pid: np.ndarray  # person index per row
    rng: np.random.Generator
    locked: np.ndarray = field(init=False)  # rows that must not be touched again
    order: np.ndarray = field(init=False)  # the order in which rows are offered for changes
    truth: list[dict] = field(default_factory=list)
    variations: list[tuple[np.ndarray, str, str]] = field(default_factory=list)
    keys: _Seen = field(default_factory=lambda: _Seen())  # (folded name, dob) in use anywhere
    ids: _Seen = field(default_factory=lambda: _Seen())
    codes: _Seen = field(default_factory=lambda: _Seen())
    copies: dict[str, pa.Array] | None = None
    copy_of: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    varied: dict[str, np.ndarray] = field(default_factory=dict)  # field -> rows with a variation
    pending: dict[str, dict[int, str]] = field(default_factory=dict)  # changes not yet applied

    def __post_init__(self) -> None:
        self.n = len(self.pid)
        self.locked = np.zeros(self.n, dtype=bool)
        self.order = self.rng.permutation(self.n)

    def varied_in(self, col: str | None = None) -> np.ndarray:
        """Rows with a deliberate variation (in col, or in any field)."""
        none = np.zeros(self.n, dtype=bool)
        if col is not None:
            return self.varied.get(col, none)
        return np.logical_or.reduce([none, *self.varied.values()])

    def variations_rows(self, kind: str) -> np.ndarray:
        """Rows recorded with a variation of this kind."""
        found = [rows for rows, _, k in self.variations if k == kind]
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)

    def get(self, col: str, idx: np.ndarray) -> list[str]:
        """Current values of col in rows idx (pending changes included)."""
        values = self.cols[col].take(pa.array(np.asarray(idx, dtype=np.int64))).to_pylist()
        pending = self.pending.get(col)
        if pending:
            values = [pending.get(int(i), v) for i, v in zip(idx, values, strict=True)]
        return values

    def put(self, col: str, idx: np.ndarray, values: Sequence[str]) -> None:
        """Set values; they reach the column at the next ``column()`` or ``flush()``."""
        self.pending.setdefault(col, {}).update(zip(map(int, idx), values, strict=True))

    def column(self, col: str) -> pa.Array:
        """The whole column, pending changes applied."""
        pending = self.pending.pop(col, None)
        if pending:
            idx = np.array(sorted(pending), dtype=np.int64)
            mask = np.zeros(self.n, dtype=bool)
            mask[idx] = True
            values = pa.array([pending[int(i)] for i in idx], pa.string())
            self.cols[col] = pc.replace_with_mask(self.cols[col], pa.array(mask), values)
        return self.cols[col]

    def flush(self) -> None:
        for col in list(self.pending):
            self.column(col)

    def candidates(self, mask: np.ndarray | None = None) -> np.ndarray:
        """Unlocked rows (within mask) in this extract's random order."""
        ok = ~self.locked if mask is None else ~self.locked & mask
        return self.order[ok[self.order]]

    def add_truth(
        self,
        rule: str,
        idx: np.ndarray,
        fld: str = "",
        *,
        command: str = "validate",
        suggestion: Sequence[str] | None = None,
        related: np.ndarray | None = None,
    ) -> None:
        idx = np.asarray(idx, dtype=np.int64)
        if len(idx):
            self.truth.append(
                {
                    "command": command,
                    "idx": idx,
                    "rule": rule,
                    "field": fld,
                    "suggestion": suggestion,
                    "related": related,
                }
            )

    def key_of(self, names: Sequence[str], dobs: Sequence[str]) -> list[tuple[str, str]]:
        folded = name_key(pd.Series(list(names), dtype="str")).fillna("").tolist()
        return list(zip(folded, dobs, strict=True))

    def change(
        self,
        col: str,
        cand: np.ndarray,
        make: _Make,
        k: int,
        check: str | None = None,
        vary: bool = False,
    ) -> tuple[np.ndarray, list[str]]:
        """Give up to k of the candidate rows a new value in col.

        The rows are then locked (an injected error), or with ``vary`` marked as carrying
        a variation in col (they stay open to errors in other fields).

        ``make(rows, current)`` returns the new values (None where a row is unsuitable).
        ``check`` keeps a change from creating a coincidence with another row: ``"key"``
        (folded name and birth date of another person, in any extract), ``"id"`` or ``"code"``
        (a number already in the extract). Returns the rows and their old values.
        """
        chosen: list[int] = []
        values: list[str] = []
        before: list[str] = []
        step = max(2 * k, 16)
        for start in range(0, len(cand), step):
            if len(chosen) >= k:
                break
            batch = cand[start : start + step]
            current = self.get(col, batch)
            made = make(batch, current)
            if check == "key":
                names = self.get("full_name", batch)
                dobs = self.get("dob", batch)
                old = self.key_of(names, dobs)
                filled = [m if m is not None else "" for m in made]
                if col == "full_name":
                    new = self.key_of(filled, dobs)
                else:
                    new = self.key_of(names, filled)
            for j, (row, value) in enumerate(zip(batch, made, strict=True)):
                if value is None or value == current[j] or len(chosen) >= k:
                    continue
                if check == "key":
                    if new[j] != old[j] and new[j] in self.keys:
                        continue
                    self.keys.add(new[j])
                elif check in ("id", "code"):
                    seen = self.ids if check == "id" else self.codes
                    plain = re.sub(r"[ .\-]", "", value)
                    if value and (value in seen or plain in seen) and plain != current[j]:
                        continue
                    seen.update((value, plain))
                chosen.append(int(row))
                values.append(value)
                before.append(current[j])
        idx = np.array(chosen, dtype=np.int64)
        self.put(col, idx, values)
        if vary:
            self.varied.setdefault(col, np.zeros(self.n, dtype=bool))[idx] = True
        else:
            self.locked[idx] = True
        return idx, before


def _build_extracts(rng: np.random.Generator, p: _People, as_of: date) -> list[_Extract]:
    """The four extracts in their (shuffled) row order, before any variation or error."""
    today = _day(as_of)
    base = {
        "id_number": p.text["id_number"],
        "full_name": p.name,
        "dob": p.dob_text,
        "gender": p.text["gender"],
        "ethnicity": p.text["ethnicity"],
        "nationality": pa.array(["Việt Nam"] * p.n, pa.string()),
        "address": p.text["address"],
        "ward": p.text["ward"],
        "province": p.text["province"],
    }
    ref = np.where(p.dead, p.death, today)
    extracts = []

    def make(name: str, who: np.ndarray, extra: dict[str, pa.Array]) -> None:
        """Rows for the people ``who``; ``extra`` columns are aligned with ``who``."""
        perm = rng.permutation(len(who))
        rows = who[perm]
        cols = {}
        for fld, _ in COLUMNS[name]:
            if fld in extra:
                cols[fld] = extra[fld].take(pa.array(perm))
            else:
                cols[fld] = base[fld].take(pa.array(rows))
        extracts.append(_Extract(name, cols, rows, rng))

    make(DANCU, np.flatnonzero(~p.unreferenced), {})

    # BHXH: status by role; the dead have stopped unless chosen to stay active.
    who = np.flatnonzero(p.bhxh_role > 0)
    role = p.bhxh_role[who]
    alive_stop = rng.random(len(who)) < np.where(role == 1, 0.05, 0.01)
    alive_stop &= ~p.kept_active[who]
    stopped = (p.dead[who] & ~p.active_bhxh[who]) | (~p.dead[who] & alive_stop)
    status = np.where(role == 1, 0, 1) + 2 * stopped
    make(
        BHXH,
        who,
        {
            "bhxh_code": p.text["bhxh_code"].take(pa.array(who)),
            "id_number": p.text["conflict_id"].take(pa.array(who)),
            "phone": p.text["phone"].take(pa.array(who)),
            "benefit_status": _take(BHXH_STATUS, status),
        },
    )

    # Hộ tịch: one event per person (babies do not die, the dead did not marry lately).
    who = np.flatnonzero(p.event > 0)
    ev = p.event[who]
    dob, death = p.dob[who], p.death[who]
    late = rng.random(len(who)) < 0.1
    delay = np.where(late, rng.integers(16, 366, len(who)), rng.integers(0, 16, len(who)))
    reg = np.select(
        [ev == 1, ev == 2],
        [np.minimum(dob + rng.integers(0, 61, len(who)), today), np.minimum(death + delay, today)],
        np.maximum(today - rng.integers(0, 3 * 365, len(who)), _add_years(dob, 20)),
    )
    make(
        HOTICH,
        who,
        {
            "event": _take(["", KHAI_SINH, KHAI_TU, KET_HON], ev.astype(np.int64)),
            "death_date": pc.if_else(pa.array(ev == 2), _dates(np.maximum(death, 0)), ""),
            "registration_date": _dates(reg),
        },
    )

    # Bảo trợ xã hội (NĐ 20/2021): coefficients in tenths, allowance = base × coefficient.
    who = np.flatnonzero(p.btxh_type > 0)
    bt = p.btxh_type[who]
    dob, r = p.dob[who], ref[who]
    age = _age(dob, r)
    child_or_old = (age < 16) | (age >= 60)
    coef = np.select(
        [bt == ELDERLY, bt == DISABLED, bt == DISABLED_SEVERE, bt == ORPHAN],
        [
            np.full(len(who), 10),
            np.where(child_or_old, 20, 15),
            np.where(child_or_old, 25, 20),
            np.where(age < 4, 25, 15),
        ],
        10,
    )
    # Start: the month after the 80th birthday for the elderly (or up to 3 years later);
    # within the last 15 years for the others (10 for single parents), not before birth;
    # never after the death or as_of.
    lo = np.select(
        [bt == ELDERLY, bt == SINGLE_PARENT],
        [_first_of_month(_add_years(dob, 80), 1), np.maximum(_add_years(dob, 18), today - 3650)],
        np.maximum(dob + 31, today - 15 * 365),
    )
    lo = np.minimum(lo, r)
    hi = np.where(bt == ELDERLY, np.minimum(r, lo + 3 * 365), r)
    start = lo + np.floor(rng.random(len(who)) * (hi - lo + 1)).astype(np.int64)
    start = np.where(
        bt == ELDERLY,
        np.minimum(_first_of_month(start), r),
        np.maximum(_first_of_month(start), dob),
    )
    u = rng.random(len(who))
    status = np.where(u < 0.03, 2, np.where(u < 0.05, 1, 0))
    status = np.where(p.dead[who], 1, status)
    status = np.where(p.active_btxh[who], 0, status)
    coef_text = ["1,0", "1,5", "2,0", "2,5"]
    make(
        BTXH,
        who,
        {
            "benefit_type": _take(BENEFIT_TYPES, bt.astype(np.int64) - 1),
            "coefficient": _take(coef_text, np.searchsorted([10, 15, 20, 25], coef)),
            "amount": pa.array(coef * (BASE_ALLOWANCE // 10)).cast(pa.string()),
            "benefit_start": _dates(start),
            "benefit_status": _take([BTXH_ACTIVE, BTXH_STOPPED, BTXH_PAUSED], status),
        },
    )
    return extracts


def _plant(ext: _Extract, p: _People, keys: _Seen) -> None:
    """Truth that follows from the people model; lock those rows.

    keys: the (folded name, birth date) pairs in use in any extract, shared by all four
    so that no change gives a row another person's key in another extract either.
    """
    pid = ext.pid
    ext.add_truth("dob.partial", np.flatnonzero(p.precision[pid] > 0), "dob")
    if ext.name in (BHXH, BTXH):
        ext.add_truth("link.unmatched", np.flatnonzero(p.unreferenced[pid]), command="reconcile")
        active = p.active_bhxh if ext.name == BHXH else p.active_btxh
        ext.add_truth(
            "vital.deceased_active",
            np.flatnonzero(active[pid]),
            "benefit_status",
            command="reconcile",
        )
    if ext.name == BHXH:
        ext.add_truth(
            "link.id_conflict", np.flatnonzero(p.id_conflict[pid]), "id_number", command="reconcile"
        )
    ext.locked |= p.special[pid] | (p.precision[pid] > 0)
    ext.keys = keys
    ext.ids = _Seen.of_numbers(ext.cols["id_number"])
    if "bhxh_code" in ext.cols:
        ext.codes = _Seen.of_numbers(ext.cols["bhxh_code"])


@dataclass
class _Cases:
    """The planted error cases of the sector extracts, and what they used so far."""

    scale: float  # error_rate / DEFAULT_ERROR_RATE: 0 plants none
    # The sample's first given-name typos: one of each shape, the second with a middle
    # name left out too.
    first: list[tuple[str, bool]]
    typos: int = 0  # given-name typos planted so far
    id_typos: int = 0
    carried: set[int] = field(default_factory=set)  # people whose ID another record carries
    wrong_ids: set[int] = field(default_factory=set)  # mistyped IDs written so far
    groups: tuple[np.ndarray, np.ndarray] | None = None  # (gender, year) → people
    # People whose dân cư row got no error, variation or copy (set once dân cư is done).
    clean_ref: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def count(self, rate: float, rows: int, minimum: int = 2) -> int:
        """Rows of an extract that get a case: its share, scaled; at least one per hundred
        rows up to minimum (so that small samples show every case, and a tiny extract
        is not filled with them)."""
        if self.scale <= 0:
            return 0
        return min(rows, max(min(minimum, rows // 100), round(rate * self.scale * rows)))


def _id_finding(id12: str, gender: int, year: int) -> str | None:
    """The validate rule a 12-digit ID breaks on a record of this gender and birth year
    (SPEC §3; an ID changed in one of its parts breaks at most one)."""
    if int(id12[:3]) >= 100:
        return "id.foreign_code"
    if id12[:3] not in reference().place_codes:
        return "id.place_code"
    if int(id12[3]) != gender + 2 * (year >= 2000):
        return "id.gender_century"
    if id12[4:6] != f"{year % 100:02d}":
        return "id.birth_year"
    return None


def _id_typo(id12: str, transpose: bool, rng: np.random.Generator) -> str:
    """One digit replaced, or two adjacent different digits of one part of the ID (place
    code, gender/century digit, year, random block) transposed."""
    if transpose:
        spots = [
            i
            for lo, hi in ((0, 3), (4, 6), (6, 12))
            for i in range(lo, hi - 1)
            if id12[i] != id12[i + 1]
        ]
        if spots:
            i = spots[int(rng.integers(len(spots)))]
            return id12[:i] + id12[i + 1] + id12[i] + id12[i + 2 :]
    i = int(rng.integers(12))
    digit = (int(id12[i]) + int(rng.integers(1, 10))) % 10
    return id12[:i] + str(digit) + id12[i + 1 :]


def _plant_cases(ext: _Extract, p: _People, cases: _Cases) -> None:
    """Planted error cases of a sector extract, before its variations: records carrying
    another person's ID, mistyped IDs with a name typo, given-name typos. Only records of
    people whose dân cư row is clean (so that the reference shows who they are), and
    their rows are locked: nothing else changes on them."""
    n = ext.n
    _carry_ids(ext, p, cases, cases.count(CASE_RATES["carried_id"], n))
    _mistype_ids(ext, p, cases, cases.count(CASE_RATES["id_typo"], n))
    _mistype_given(ext, p, cases, cases.count(CASE_RATES["given_typo"], n))


def _carry_ids(ext: _Extract, p: _People, cases: _Cases, k: int) -> None:
    """k records that carry the ID of another person of dân cư (Y, whose dân cư row is
    clean), of the same gender and birth year, so that the ID is well-formed on the
    record too; Y's name and birth date differ. ``link.id_conflict`` on the record;
    ``id.duplicate`` on it and on Y's row when Y is in the extract too (each ID is
    carried by one record in the sample)."""
    if k <= 0:
        return
    rng, pid = ext.rng, ext.pid
    if cases.groups is None:
        pool = np.flatnonzero(~p.special & (p.precision == 0) & cases.clean_ref)
        group = p.gender[pool].astype(np.int64) * 10_000 + p.year[pool]
        order = np.argsort(group, kind="stable")
        cases.groups = (group[order], pool[order])
    groups, members = cases.groups
    row_of = np.full(p.n, -1, dtype=np.int64)
    row_of[pid] = np.arange(ext.n)
    rows: list[int] = []
    shared: list[tuple[int, int]] = []
    for row in ext.candidates(cases.clean_ref[pid]):
        if len(rows) >= k:
            break
        x = int(pid[row])
        g = int(p.gender[x]) * 10_000 + int(p.year[x])
        lo, hi = np.searchsorted(groups, g), np.searchsorted(groups, g, side="right")
        for _ in range(8 if hi - lo > 1 else 0):
            y = int(members[lo + int(rng.integers(hi - lo))])
            other = int(row_of[y])
            if (
                y == x
                or y in cases.carried
                or abs(int(p.dob[y]) - int(p.dob[x])) < 30
                or p.parts["given"][y] == p.parts["given"][x]
                or (other >= 0 and ext.locked[other])
            ):
                continue
            cases.carried.add(y)
            ident = f"{p.ids[y]:012d}"
            ext.put("id_number", np.array([row]), [ident])
            ext.ids.add(ident)
            ext.locked[row] = True
            rows.append(int(row))
            if other >= 0:
                ext.locked[other] = True
                shared.append((int(row), other))
            break
    ext.add_truth("link.id_conflict", np.array(rows), "id_number", command="reconcile")
    if shared:
        a = np.array([x for x, _ in shared])
        b = np.array([y for _, y in shared])
        ext.add_truth(
            "id.duplicate", np.concatenate([a, b]), "id_number", related=np.concatenate([b, a])
        )


def _typo_names(
    ext: _Extract,
    p: _People,
    k: int,
    shapes: Sequence[str],
    weights: Sequence[float],
    forced: Sequence[tuple[str, bool]] = (),
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """Give k Kinh-style names a typo in the given name, its shape drawn from shapes by
    weight (the first rows: the forced shapes and middle-name drops), and a quarter of
    them a middle name left out too; lock the rows, list their variations, return the
    rows (within mask). A drawn shape waits for a name with room for it (a digit needs
    an o, i or l after the first letter), so that the shapes come in their weights."""
    rng, pid = ext.rng, ext.pid
    kinh = p.kind[pid] == _KINH
    if mask is not None:
        kinh &= mask
    made: dict[int, tuple[str, bool]] = {}
    w = _norm(weights)
    plan = {"shape": "", "drop": False}

    def draw() -> None:
        plan["shape"] = shapes[int(rng.choice(len(shapes), p=w))]
        plan["drop"] = bool(rng.random() < 0.25)

    def make(rows: np.ndarray, cur: list[str]) -> Sequence[str | None]:
        out: list[str | None] = []
        for row, v in zip(rows, cur, strict=True):
            head, _, given = v.rpartition(" ")
            words = head.split(" ")
            typo = _given_typo(given, str(plan["shape"]), rng)
            drop = bool(plan["drop"])
            if not head or typo is None or (drop and len(words) < 2):
                out.append(None)
                continue
            if drop:
                del words[1 + int(rng.integers(len(words) - 1))]
            made[int(row)] = (str(plan["shape"]), drop)
            out.append(" ".join([*words, typo]))
            if not forcing:
                draw()
        return out

    parts = []
    forcing = True
    for shape, drop in forced[:k]:
        plan["shape"], plan["drop"] = shape, drop
        parts.append(ext.change("full_name", ext.candidates(kinh), make, 1, "key")[0])
    forcing = False
    rest = k - sum(len(i) for i in parts)
    if rest > 0:
        draw()
        parts.append(ext.change("full_name", ext.candidates(kinh), make, rest, "key")[0])
    idx = np.sort(np.concatenate([np.zeros(0, dtype=np.int64), *parts]))
    kinds = [made[int(i)] for i in idx]
    for shape in shapes:
        hit = idx[[kind == shape for kind, _ in kinds]]
        if len(hit):
            ext.variations.append((hit, "full_name", f"name_{shape}"))
    dropped = idx[[drop for _, drop in kinds]]
    if len(dropped):
        ext.variations.append((dropped, "full_name", "middle_name_dropped"))
    # A digit in a name is also `name.invalid` (SPEC §3).
    ext.add_truth("name.invalid", idx[[kind == "digit" for kind, _ in kinds]], "full_name")
    return idx


def _mistype_given(ext: _Extract, p: _People, cases: _Cases, k: int) -> None:
    """k records whose given name is one edit off (their ID, birth date, gender right)."""
    if k <= 0:
        return
    first = cases.first[cases.typos :]
    idx = _typo_names(ext, p, k, TYPO_SHAPES, _TYPO_WEIGHTS, first, cases.clean_ref[ext.pid])
    cases.typos += len(idx)


def _mistype_ids(ext: _Extract, p: _People, cases: _Cases, k: int) -> None:
    """k records with a name typo and an ID one digit off or two digits transposed
    (alternately), never another person's ID. The ID gets the validate finding it
    earns; one that is still well-formed for the record is a ``link.id_conflict``."""
    if k <= 0:
        return
    rng, pid = ext.rng, ext.pid
    idx = _typo_names(ext, p, k, TYPO_SHAPES[:3], _TYPO_WEIGHTS[:3], (), cases.clean_ref[pid])
    new_ids: list[str] = []
    found: dict[str | None, list[int]] = {}
    for row in idx:
        x = int(pid[row])
        right = f"{p.ids[x]:012d}"
        transpose = cases.id_typos % 2 == 1
        while True:
            wrong = _id_typo(right, transpose, rng)
            code = int(wrong)
            at = int(np.searchsorted(p.all_ids, code))
            taken = at < len(p.all_ids) and int(p.all_ids[at]) == code
            if not taken and code not in cases.wrong_ids and wrong not in ext.ids:
                break
        cases.wrong_ids.add(code)
        cases.id_typos += 1
        ext.ids.add(wrong)
        new_ids.append(wrong)
        rule = _id_finding(wrong, int(p.gender[x]), int(p.year[x]))
        found.setdefault(rule, []).append(int(row))
    ext.put("id_number", idx, new_ids)
    for rule, rows in found.items():
        if rule is None:
            ext.add_truth("link.id_conflict", np.array(rows), "id_number", command="reconcile")
        else:
            ext.add_truth(rule, np.array(rows), "id_number")


def _parse(text: str) -> tuple[int, int, int]:
    d, m, y = (int(x) for x in text.split("/"))
    return y, m, d


def _vary(ext: _Extract, p: _People, as_of: date) -> None:
    """Deliberate cross-file differences (not single-file errors) in a non-dancu extract.

    At most one per row. A varied row stays open to an injected error in another field.
    """
    rng, n, pid = ext.rng, ext.n, ext.pid
    kinh = p.kind[pid] == _KINH
    today = _day(as_of)

    def vary(
        col: str,
        mask: np.ndarray | None,
        make: _Make,
        k: int,
        check: str,
        kind: str,
        lock: bool = False,
    ) -> np.ndarray:
        free = ~ext.varied_in() if mask is None else mask & ~ext.varied_in()
        k = max(k, 1)  # every kind shows in every extract it applies to
        idx, _ = ext.change(col, ext.candidates(free), make, k, check, vary=not lock)
        if len(idx):
            ext.variations.append((idx, col, kind))
        return idx

    if ext.name in (BHXH, BTXH):
        cmnd = p.text["cmnd"]
        idx = vary(
            "id_number",
            p.year[pid] <= 2006,
            lambda rows, cur: cmnd.take(pa.array(pid[rows])).to_pylist(),
            max(3, round(RATES["legacy_id"] * n)),
            "id",
            "legacy_id",
            lock=True,
        )
        ext.add_truth("id.legacy", idx, "id_number")
    if ext.name == BHXH:
        vary(
            "bhxh_code",
            None,
            lambda rows, cur: ext.get("id_number", rows),
            round(RATES["bhxh_is_id"] * n),
            "code",
            "bhxh_is_id",
        )
    if ext.name == BTXH:

        def spaced(rows: np.ndarray, cur: list[str]) -> Sequence[str | None]:
            seps = rng.choice([" ", "."], len(cur))
            return [s.join((v[:3], v[3:6], v[6:9], v[9:])) for v, s in zip(cur, seps, strict=True)]

        vary("id_number", None, spaced, round(RATES["id_spaced"] * n), "id", "id_spaced")

    names = ext.column("full_name")
    non_ascii = pc.match_substring_regex(names, "[^\\x00-\\x7f]").to_numpy(zero_copy_only=False)
    if ext.name in (BHXH, BTXH):
        vary(
            "full_name",
            non_ascii,
            lambda rows, cur: [_strip_accents(v) for v in cur],
            round(RATES["no_accents"] * n),
            "key",
            "no_accents",
        )
    words = "|".join([*nm.TONE_STYLE, *nm.TONE_STYLE.values()])
    flippable = pc.match_substring_regex(names, f"(^| )({words})( |$)")
    vary(
        "full_name",
        flippable.to_numpy(zero_copy_only=False),
        lambda rows, cur: [_flip_tone(v) for v in cur],
        round(RATES["tone_style"] * n),
        "key",
        "tone_style",
    )

    y, m, d = _ymd(p.dob[pid])
    full = p.precision[pid] == 0
    death = p.death[pid]

    def swap(rows: np.ndarray, cur: list[str]) -> Sequence[str | None]:
        out: list[str | None] = []
        for row in rows:
            new = int(_from_ymd(y[row], d[row], m[row]))
            ok = new <= today and (death[row] < 0 or new < death[row])
            out.append(_fmt(int(y[row]), int(d[row]), int(m[row])) if ok else None)
        return out

    vary("dob", full & (d <= 12) & (d != m), swap, round(RATES["dob_swap"] * n), "key", "dob_swap")
    eligible = full & (y < 1960) & ~((d == 1) & (m == 1))
    k = round(RATES["dob_placeholder"] * int((eligible & ~ext.locked).sum()))
    vary(
        "dob",
        eligible,
        lambda rows, cur: [f"01/01/{v[-4:]}" for v in cur],
        k,
        "key",
        "dob_placeholder",
    )

    def typo(rows: np.ndarray, cur: list[str]) -> Sequence[str | None]:
        out: list[str | None] = []
        for v in cur:
            head, _, given = v.rpartition(" ")
            spots = [i for i in range(1, len(given)) if "a" <= given[i] <= "z"]
            if not spots:
                out.append(None)
                continue
            i = spots[int(rng.integers(len(spots)))]
            letter = str(rng.choice([c for c in "aeiounhtcgm" if c != given[i]]))
            out.append(f"{head} {given[:i]}{letter}{given[i + 1 :]}")
        return out

    vary("full_name", kinh, typo, round(RATES["name_typo"] * n), "key", "name_typo")

    def drop_middle(rows: np.ndarray, cur: list[str]) -> Sequence[str | None]:
        out: list[str | None] = []
        for v in cur:
            parts = v.split(" ")
            if len(parts) < 3:
                out.append(None)
                continue
            del parts[1 + int(rng.integers(len(parts) - 2))]
            out.append(" ".join(parts))
        return out

    vary(
        "full_name",
        kinh,
        drop_middle,
        round(RATES["middle_name_dropped"] * n),
        "key",
        "middle_name_dropped",
    )


def _capitals(ext: _Extract) -> None:
    """BHXH forms want names in capitals: most bhxh rows have them (a variation, not an error)."""
    upper = ext.rng.random(ext.n) < RATES["upper"]
    names = ext.column("full_name")
    ext.cols["full_name"] = pc.if_else(pa.array(upper), pc.utf8_upper(names), names)
    ext.variations.append((np.flatnonzero(upper), "full_name", "upper"))


def _inject(ext: _Extract, p: _People, as_of: date, error_rate: float, cases: _Cases) -> None:
    """Single-file errors: each rule in max(3, error_rate × rows) rows, one error a row;
    then the planted gender words and second BHXH books."""
    rng, n, pid = ext.rng, ext.n, ext.pid
    k = max(3, round(error_rate * n))
    k_field = max(1, round(error_rate * n))  # per field of field.missing (3+ fields)
    kinh = p.kind[pid] == _KINH
    alive = ~p.dead[pid]
    anyrow = np.ones(n, dtype=bool)
    if ext.name == HOTICH:
        death_row = pc.equal(ext.column("event"), KHAI_TU).to_numpy(zero_copy_only=False)
    else:
        death_row = ~anyrow
    names = ext.column("full_name")
    non_ascii = pc.match_substring_regex(names, "[^\\x00-\\x7f]").to_numpy(zero_copy_only=False)
    unassigned = [f"{i:03d}" for i in range(1, 100) if f"{i:03d}" not in reference().place_codes]

    def inject(
        rule: str,
        col: str,
        mask: np.ndarray,
        make: _Make,
        count: int = k,
        check: str | None = None,
        suggest: bool = False,
        suggestion: Callable[[str], str] | None = None,
    ) -> None:
        cand = ext.candidates(mask & ~ext.varied_in(col))
        idx, before = ext.change(col, cand, make, count, check)
        if suggestion is not None:  # made from the value written
            before, suggest = [suggestion(v) for v in ext.get(col, idx)], True
        ext.add_truth(rule, idx, col, suggestion=before if suggest else None)

    def each(fn: Callable[[str], str | None]) -> _Make:
        return lambda rows, cur: [fn(v) for v in cur]

    def empty(rows: np.ndarray, cur: list[str]) -> Sequence[str | None]:
        return [""] * len(cur)

    def pick(options: Sequence[str]) -> str:
        return options[int(rng.integers(len(options)))]

    # Hộ tịch first: only death rows can carry death errors.
    if ext.name == HOTICH:

        def before_birth(rows: np.ndarray, cur: list[str]) -> Sequence[str | None]:
            out = []
            for v in ext.get("dob", rows):
                y, m, d = _parse(v)
                dead = date.fromordinal(date(y, m, d).toordinal() - int(rng.integers(30, 3651)))
                out.append(_fmt(dead.year, dead.month, dead.day))
            return out

        inject("death.before_birth", "death_date", death_row, before_birth)
        inject("field.missing", "death_date", death_row, empty, k_field)
        inject("field.missing", "event", ~death_row, empty, k_field)

    # Two different people with one ID: same gender/century digit and birth-year digits,
    # so the copied ID is consistent with both records and only id.duplicate fires.
    pairs = _pairs(
        ext, ext.candidates(~ext.varied_in("id_number")), math.ceil(k / 2), lambda v: v[3:6]
    )
    _share(ext, pairs, "id_number", "id.duplicate")
    if ext.name == BHXH:
        pairs = _pairs(ext, ext.candidates(~ext.varied_in("bhxh_code")), math.ceil(k / 2), None)
        _share(ext, pairs, "bhxh_code", "bhxh.duplicate")

    # Names (Kinh-style names only: the apostrophe/hyphen names stay as they are).
    inject(  # the suggestion: the name repaired, tones canonical
        "text.mojibake",
        "full_name",
        kinh & non_ascii,
        each(_mojibake),
        check="key",
        suggestion=lambda v: _canonical(_undo_mojibake(v)),
    )

    def bad_format(v: str) -> str | None:
        parts = v.split(" ")
        choice = int(rng.integers(6))
        if choice == 0:
            new = unicodedata.normalize("NFD", v)
            return new if new != v else None
        if choice == 1:
            i = int(rng.integers(1, len(parts)))
            return " ".join(parts[:i]) + "  " + " ".join(parts[i:])
        if choice == 2:
            return " " + v
        if choice == 3:
            return v + " "
        if choice == 4 or len(parts[0]) < 3:
            return v.lower()
        first = parts[0][:2].upper() + parts[0][2:].lower()  # NGuyễn Văn An
        return " ".join([first, *(_title(w) for w in parts[1:])])

    inject(
        "name.format",
        "full_name",
        kinh & non_ascii,
        each(bad_format),
        check="key",
        suggestion=_normal_name,
    )

    def bad_name(v: str) -> str | None:
        parts = v.split(" ")
        choice = int(rng.integers(3))
        if choice == 0:
            return v + str(int(rng.integers(10)))  # Nguyễn Văn An2
        if choice == 1:
            return " ".join([*parts[:-1], pick("#@*!$%&") + parts[-1]])  # Trần Thị #Lan
        return parts[-1]  # the given name alone

    inject("name.invalid", "full_name", kinh, each(bad_name), check="key")
    inject("field.missing", "full_name", anyrow, empty, k_field, check="key")

    inject("gender.invalid", "gender", anyrow, each(lambda v: pick(["Khác", "X", "3", "?"])))
    inject("field.missing", "gender", anyrow, empty, k_field)
    if ext.name != DANCU:  # words of plain meaning: gender.invalid, the SPEC value suggested
        inject(
            "gender.invalid",
            "gender",
            anyrow,
            each(lambda v: pick(GENDER_WORDS[v]) if v in GENDER_WORDS else None),
            cases.count(CASE_RATES["gender_word"], n),
            suggestion=lambda v: next(g for g, words in GENDER_WORDS.items() if v in words),
        )

    # Birth dates (not on death rows: death.before_birth would then be skipped, silently).
    def bad_date(v: str) -> str | None:
        y = v[-4:]
        choice = int(rng.integers(4))
        if choice == 0:
            return f"31/02/{y}"
        if choice == 1:
            return f"31/{pick(['04', '06', '09', '11'])}/{y}"
        if choice == 2:
            return f"{int(rng.integers(13, 29)):02d}/13/{y}"
        return "không rõ"

    inject("dob.invalid", "dob", ~death_row, each(bad_date), check="key")

    def out_of_range(v: str) -> str | None:
        y, m, d = _parse(v)
        d = min(d, 28) if m == 2 else d
        if rng.random() < 0.5:  # a century typo into the future, or some years ahead
            y = y + 100 if y + 100 >= as_of.year + 3 else as_of.year + int(rng.integers(3, 31))
        else:
            y = as_of.year - 126 - int(rng.integers(0, 40))
        return _fmt(y, m, d)

    inject("dob.out_of_range", "dob", ~death_row, each(out_of_range), check="key")
    inject("field.missing", "dob", ~death_row, empty, k_field, check="key")

    # IDs.
    inject("id.missing", "id_number", anyrow, empty)

    def bad_format_id(v: str) -> str | None:
        choice = int(rng.integers(3))
        if choice == 0:
            i = int(rng.integers(13))
            return v[:i] + str(int(rng.integers(10))) + v[i:]  # 13 digits
        if choice == 1:
            zeros = [i for i, c in enumerate(v) if c == "0"]
            i = zeros[int(rng.integers(len(zeros)))]
            return v[:i] + "O" + v[i + 1 :]  # letter O for a zero
        mantissa, exponent = f"{int(v):.5E}".split("E")  # Excel: 7.9085E+10
        return f"{mantissa.rstrip('0').rstrip('.')}E{exponent}"

    inject("id.format", "id_number", anyrow, each(bad_format_id), check="id")
    # An ID typed without its leading zeros in a column no spreadsheet damaged (the
    # others keep theirs): a format error; zeros are put back only in a damaged column.
    inject("id.format", "id_number", anyrow, each(lambda v: v.lstrip("0")), check="id")
    inject(
        "id.place_code", "id_number", anyrow, each(lambda v: pick(unassigned) + v[3:]), check="id"
    )
    inject(
        "id.foreign_code",
        "id_number",
        anyrow,
        each(lambda v: str(int(rng.integers(100, 300))) + v[3:]),
        check="id",
    )

    def wrong_digit(v: str) -> str | None:
        digit = int(v[3]) ^ (1 if rng.random() < 0.5 else 2)  # other gender / other century
        return v[:3] + str(digit) + v[4:]

    inject("id.gender_century", "id_number", anyrow, each(wrong_digit), check="id")
    inject(
        "id.birth_year",
        "id_number",
        anyrow,
        each(lambda v: v[:4] + f"{(int(v[4:6]) + int(rng.integers(1, 100))) % 100:02d}" + v[6:]),
        check="id",
    )

    if ext.name == BHXH:

        def bad_code(v: str) -> str | None:
            choice = int(rng.integers(3))
            if choice == 0:  # 9 digits: Excel dropped the leading zero, or one digit lost
                return v[1:] if v[0] == "0" else v[:-1]
            if choice == 1:
                return v + str(int(rng.integers(10)))
            group = pick(["DN", "HT", "HS", "GD", "HN", "CN", "TE", "HC", "XB", "NO"])
            return f"{group}{int(rng.integers(1, 6))}{v[:2]}{v}"  # old 15-character card

        inject("bhxh.format", "bhxh_code", anyrow, each(bad_code), check="code")
        inject("field.missing", "bhxh_code", anyrow, empty, k_field)
    if ext.name == BTXH:
        # Not on dead people's rows: an empty status would leave `vital.deceased_active` open.
        inject("field.missing", "benefit_type", alive, empty, k_field)
        inject("field.missing", "benefit_status", alive, empty, k_field)

    if ext.name == BHXH:
        _second_books(ext, cases.count(CASE_RATES["second_book"], n, minimum=3))
    _duplicate_rows(ext, k)


def _pairs(
    ext: _Extract, cand: np.ndarray, count: int, group: Callable[[str], str] | None
) -> list[tuple[int, int]]:
    """Up to count disjoint pairs of candidate rows (within one group when given).

    The two rows of a pair have different birth dates, so that nothing but the shared
    number could make them look like one person.
    """
    pairs: list[tuple[int, int]] = []
    waiting: dict[str, tuple[int, str]] = {}
    for start in range(0, len(cand), 4096):
        batch = cand[start : start + 4096]
        values = ext.get("id_number", batch) if group else [""] * len(batch)
        dobs = ext.get("dob", batch)
        for row, value, dob in zip(batch, values, dobs, strict=True):
            key = group(value) if group else ""
            if key in waiting and waiting[key][1] != dob:
                first, _ = waiting.pop(key)
                pairs.append((min(first, int(row)), max(first, int(row))))
                if len(pairs) >= count:
                    return pairs
            else:
                waiting[key] = (int(row), dob)
    return pairs


def _share(ext: _Extract, pairs: list[tuple[int, int]], col: str, rule: str) -> None:
    """The second row of each pair takes the first's number; truth on both rows."""
    if not pairs:
        return
    first = np.array([a for a, _ in pairs], dtype=np.int64)
    second = np.array([b for _, b in pairs], dtype=np.int64)
    ext.put(col, second, ext.get(col, first))
    ext.locked[first] = ext.locked[second] = True
    ext.add_truth(
        rule, np.concatenate([first, second]), col, related=np.concatenate([second, first])
    )


def _copy_rows(ext: _Extract, orig: np.ndarray) -> dict[str, pa.Array]:
    """The values of the rows orig, to be changed and given to ``_add_copies``."""
    ext.locked[orig] = True
    ext.flush()
    return {col: values.take(pa.array(orig)) for col, values in ext.cols.items()}


def _add_copies(ext: _Extract, orig: np.ndarray, copies: dict[str, pa.Array]) -> np.ndarray:
    """Add copies of the rows orig (``_finish`` puts each at a random later position);
    they carry their originals' variations. Returns their indexes (from ``ext.n`` up)."""
    idx = ext.n + len(ext.copy_of) + np.arange(len(orig))
    if ext.copies is None:
        ext.copies = copies
    else:
        ext.copies = {c: pa.concat_arrays([ext.copies[c], copies[c]]) for c in ext.copies}
    ext.copy_of = np.concatenate([ext.copy_of, orig])
    for rows, fld, kind in list(ext.variations):
        hit = np.isin(orig, rows)
        if hit.any():
            ext.variations.append((idx[hit], fld, kind))
    return idx


def _second_books(ext: _Extract, k: int) -> None:
    """k people with a second BHXH book: their row again, later, with another 10-digit
    code (first two digits a province code), and for half of them the older book
    stopped. One person: ``record.duplicate`` (field ``bhxh_code``) and
    ``person.duplicate`` on the second row (SPEC §3, §4)."""
    rng = ext.rng
    ten = pc.fill_null(pc.match_substring_regex(ext.column("bhxh_code"), "^[0-9]{10}$"), False)
    orig = np.sort(ext.candidates(ten.to_numpy(zero_copy_only=False) & ~ext.varied_in())[:k])
    if not len(orig):
        return
    copies = _copy_rows(ext, orig)
    provinces = sorted({int(c) % 100 for c in reference().place_codes})
    codes = []
    for _ in orig:
        while True:
            head = provinces[int(rng.integers(len(provinces)))]
            code = f"{head:02d}{int(rng.integers(0, 100_000_000)):08d}"
            if code not in ext.codes:
                break
        ext.codes.add(code)
        codes.append(code)
    copies["bhxh_code"] = pa.array(codes, pa.string())
    stop = {"Đang tham gia": "Dừng tham gia", "Đang hưởng": "Dừng hưởng"}
    status = copies["benefit_status"].to_pylist()
    older = rng.random(len(orig)) < 0.5
    copies["benefit_status"] = pa.array(
        [stop.get(v, v) if o else v for v, o in zip(status, older, strict=True)], pa.string()
    )
    idx = _add_copies(ext, orig, copies)
    ext.add_truth("record.duplicate", idx, "bhxh_code", related=orig)
    ext.add_truth("person.duplicate", idx, related=orig, command="reconcile")


def _duplicate_rows(ext: _Extract, k: int) -> None:
    """Copy k clean rows to later positions: as they are, in capitals or without accents."""
    rng = ext.rng
    orig = ext.candidates()[:k]
    if not len(orig):
        return
    copies = _copy_rows(ext, orig)
    names = copies["full_name"].to_pylist()
    style = rng.choice(3, size=len(orig), p=[0.5, 0.25, 0.25])
    new_names = [
        v.upper() if s == 1 else _strip_accents(v) if s == 2 else v
        for v, s in zip(names, style, strict=True)
    ]
    copies["full_name"] = pa.array(new_names, pa.string())
    idx = _add_copies(ext, orig, copies)
    ext.add_truth("record.duplicate", idx, related=orig)
    ext.add_truth("person.duplicate", idx, related=orig, command="reconcile")
    # Any new capitals/accent loss.
    upper_rows = set(ext.variations_rows("upper").tolist())
    plain_rows = set(ext.variations_rows("no_accents").tolist())
    new_upper = [
        i
        for i, (o, v) in enumerate(zip(orig, new_names, strict=True))
        if v == v.upper() and v != v.lower() and int(o) not in upper_rows
    ]
    new_plain = [
        i
        for i, (o, v, w) in enumerate(zip(orig, new_names, names, strict=True))
        if v != w and v == _strip_accents(v) and int(o) not in plain_rows
    ]
    if new_upper:
        ext.variations.append((idx[new_upper], "full_name", "upper"))
    if new_plain:
        ext.variations.append((idx[new_plain], "full_name", "no_accents"))


# --- output ---------------------------------------------------------------------------


def _finish(ext: _Extract) -> tuple[dict[str, pa.Array], np.ndarray, np.ndarray]:
    """The extract in its final row order, the person per row, and row numbers by index.

    The copies of ``_duplicate_rows`` go to random later positions. The columns are
    taken from ``ext.cols`` (emptied) one at a time, so that the extract is in memory
    about once.
    """
    ext.flush()
    n = ext.n
    order, pid = np.arange(n), ext.pid
    if ext.copies is not None:
        k = len(ext.copy_of)
        after = ext.copy_of + 0.5 + ext.rng.random(k) * (n - ext.copy_of - 0.5)
        # A copy comes after every row at a position up to `after`; copies in that order.
        rank = np.argsort(after, kind="stable")
        slot = np.floor(after[rank]).astype(np.int64) + 1 + np.arange(k)
        is_copy = np.zeros(n + k, dtype=bool)
        is_copy[slot] = True
        order = np.empty(n + k, dtype=np.int64)
        order[slot] = n + rank
        order[~is_copy] = np.arange(n)
        pid = np.concatenate([pid, ext.pid[ext.copy_of]])[order]
    rowno = np.empty(len(order), dtype=np.int64)
    rowno[order] = np.arange(1, len(order) + 1)
    taken = pa.array(order)
    cols = {}
    for c in list(ext.cols):
        values = ext.cols.pop(c).cast(pa.string())
        if ext.copies is not None:
            copies = ext.copies.pop(c).cast(pa.string())
            values = pa.concat_arrays([values, copies]).take(taken)
        cols[c] = values
    return cols, pid, rowno


def _truth_frame(ext: _Extract, rowno: np.ndarray) -> pd.DataFrame:
    parts = []
    for t in ext.truth:
        m = len(t["idx"])
        related = rowno[t["related"]].astype(str) if t["related"] is not None else [""] * m
        parts.append(
            pd.DataFrame(
                {
                    "command": t["command"],
                    "source": ext.name,
                    "row": rowno[t["idx"]],
                    "rule": t["rule"],
                    "field": t["field"],
                    "suggestion": list(t["suggestion"])
                    if t["suggestion"] is not None
                    else [""] * m,
                    "related_row": related,
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _quote(values: pa.Array, sep: str) -> pa.Array:
    """CSV cells, quoted only where needed (as Excel and pandas ``QUOTE_MINIMAL`` do)."""
    values = pc.fill_null(values.cast(pa.string()), "")
    needs = pc.match_substring_regex(values, f'[{sep}"\\r\\n]')
    if not pc.any(needs).as_py():
        return values
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(values, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, values)


def _write_csv(columns: dict[str, pa.Array], path: Path, bom: bool = False, sep: str = ",") -> None:
    """Write a CSV of text columns beside the target, then rename it into place.

    pyarrow's writer quotes every string and pandas' is slow at a million rows, so the
    lines are joined with pyarrow compute and their bytes written straight from the
    Arrow buffer, in chunks. The bytes equal pandas ``to_csv(lineterminator="\\n")``.
    """
    tmp = path.with_name(path.name + ".tmp")
    header = pa.array(list(columns), pa.string())
    n = len(next(iter(columns.values())))
    with tmp.open("wb") as out:
        if bom:
            out.write("\ufeff".encode())
        out.write((sep.join(_quote(header, sep).to_pylist()) + "\n").encode())
        for start in range(0, n, 250_000):
            cells = [_quote(v.slice(start, 250_000), sep) for v in columns.values()]
            lines = pc.binary_join_element_wise(pc.binary_join_element_wise(*cells, sep), "", "\n")
            offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[
                lines.offset : lines.offset + len(lines) + 1
            ]
            out.write(lines.buffers()[2][int(offsets[0]) : int(offsets[-1])])
    os.replace(tmp, path)


def _text(df: pd.DataFrame) -> dict[str, pa.Array]:
    return {c: pa.array(df[c].astype(str).tolist(), pa.string()) for c in df.columns}


def write_samples(
    out_dir: Path,
    persons: int = 2000,
    seed: int = 0,
    as_of: date = date(2026, 11, 1),
    error_rate: float = 0.002,
    spreadsheet: bool = False,
) -> dict[str, int]:
    """Write the four synthetic extracts and their truth into out_dir; return row counts.

    Args:
        out_dir: created if needed; gets ``dancu.csv``, ``bhxh.csv``, ``hotich.csv``,
            ``btxh.csv`` and ``truth/{findings,persons,variations}.csv``.
        persons: people in the population (every rule shows in every file from 2,000).
        seed: seed of ``numpy.random.default_rng``; same arguments, same bytes.
        as_of: the extracts' date: nobody is born after it, deaths end 2 months before.
        error_rate: share of rows per rule and extract that get an injected error
            (at least 3 rows each); the planted linking cases (typos, mistyped and
            carried IDs, second BHXH books, gender words) scale with it. 0 injects
            none (the people model still gives partial birth dates, old CMND numbers,
            homonyms and the reconcile cases).
        spreadsheet: also write each extract as a spreadsheet damaged it, into
            ``spreadsheet/`` (``<name>.xlsx`` and ``<name>.month-first.xlsx``), with
            ``truth/spreadsheet_{columns,cells}.csv`` (``cleanse/sample_sheets.py``).
            The other files stay byte-identical. At most 1,000,000 persons: the
            extracts must fit in a worksheet.

    Returns:
        ``{file name relative to out_dir: data rows}`` for the seven files (and the
        ten more of ``spreadsheet``).
    """
    if persons < 1:
        raise ValueError("persons must be at least 1")
    if not 0 <= error_rate <= MAX_ERROR_RATE:
        raise ValueError(f"error_rate must be between 0 and {MAX_ERROR_RATE}")
    if spreadsheet and persons > 1_000_000:
        raise ValueError("spreadsheet twins need at most 1,000,000 persons (a worksheet's rows)")
    rng = np.random.default_rng(seed)
    people = _draw_people(rng, int(persons), as_of)
    _name_people(rng, people)
    _describe_people(rng, people)
    extracts = _build_extracts(rng, people, as_of)
    people.text = {"cmnd": people.text["cmnd"]}  # the rest is in the extracts now

    out_dir = Path(out_dir)
    (out_dir / "truth").mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    twins = None
    if spreadsheet:
        from cleanse.sample_sheets import Twins

        # A generator of their own: the CSV extracts stay as they are without the twins.
        twins = Twins(out_dir, np.random.default_rng([seed, 1]), datetime(*as_of.timetuple()[:3]))
    truth, who, variations = [], [], []
    width = max(7, len(str(people.n)))
    # Everyone's folded name and birth date as shown, and those that changes make.
    keys = _Seen(people.key, lambda key: _key_code(people, key))
    shapes = [TYPO_SHAPES[i] for i in rng.permutation(len(TYPO_SHAPES))]
    cases = _Cases(error_rate / DEFAULT_ERROR_RATE, [(s, i == 1) for i, s in enumerate(shapes)])
    for ext in extracts:
        _plant(ext, people, keys)
        if ext.name != DANCU:
            _plant_cases(ext, people, cases)
            _vary(ext, people, as_of)
        if ext.name == BHXH:
            _capitals(ext)
        if error_rate > 0:
            _inject(ext, people, as_of, error_rate, cases)
        if ext.name == DANCU:
            cases.clean_ref = np.zeros(people.n, dtype=bool)
            cases.clean_ref[ext.pid[~ext.locked]] = True
        cols, pid, rowno = _finish(ext)
        ext.cols, ext.copies, ext.keys, ext.ids, ext.codes = {}, None, _Seen(), _Seen(), _Seen()
        encoding, sep = FORMATS[ext.name]
        headers = dict(COLUMNS[ext.name])
        _write_csv(
            {headers[c]: v for c, v in cols.items()},
            out_dir / ext.name,
            bom=encoding == "utf-8-sig",
            sep=sep,
        )
        m = len(pid)
        counts[ext.name] = m
        truth.append(_truth_frame(ext, rowno))
        if twins is not None:
            twins.add(ext.name, cols, headers, truth[-1])
        who.append(
            {
                "source": pa.array([ext.name] * m, pa.string()),
                "row": pa.array(np.arange(1, m + 1)).cast(pa.string()),
                "person": pc.binary_join_element_wise("P", _digits(pid + 1, width), ""),
            }
        )
        for rows, fld, kind in ext.variations:
            variations.append(
                pd.DataFrame({"source": ext.name, "row": rowno[rows], "field": fld, "kind": kind})
            )

    order = {name: i for i, name in enumerate(SOURCES)}
    findings = pd.concat(truth, ignore_index=True)
    findings = findings.assign(
        _c=findings["command"].map({"validate": 0, "reconcile": 1}),
        _s=findings["source"].map(order),
    ).sort_values(["_c", "_s", "row", "rule", "field"], kind="stable")
    findings = findings[list(TRUTH_COLUMNS)]
    var = pd.concat(variations, ignore_index=True)
    # A value that then got an injected error no longer shows its variation; an old
    # CMND (id.legacy) and a name with a digit typed for a letter (name.invalid) are
    # variations and findings both, and keep their variations.
    errors = findings.loc[
        (findings["command"] == "validate") & (findings["rule"] != "id.legacy"),
        ["source", "row", "field"],
    ]
    var = var.merge(errors.drop_duplicates(), how="left", indicator=True)
    digit = var.loc[var["kind"] == "name_digit", ["source", "row", "field"]]
    keep = var.merge(digit, how="left", indicator="_digit")["_digit"] == "both"
    var = var[(var["_merge"] == "left_only").to_numpy() | keep.to_numpy()].drop(columns="_merge")
    var = var.assign(_s=var["source"].map(order)).sort_values(["_s", "row", "field", "kind"])
    var = var[["source", "row", "field", "kind"]]
    persons_cols = {c: pa.concat_arrays([w[c] for w in who]) for c in ("source", "row", "person")}
    _write_csv(_text(findings), out_dir / "truth" / "findings.csv")
    _write_csv(persons_cols, out_dir / "truth" / "persons.csv")
    _write_csv(_text(var), out_dir / "truth" / "variations.csv")
    counts["truth/findings.csv"] = len(findings)
    counts["truth/persons.csv"] = len(persons_cols["row"])
    counts["truth/variations.csv"] = len(var)
    if twins is not None:
        columns, cells = twins.truth()
        _write_csv(_text(columns), out_dir / "truth" / "spreadsheet_columns.csv")
        _write_csv(_text(cells), out_dir / "truth" / "spreadsheet_cells.csv")
        counts.update(twins.counts)
        counts["truth/spreadsheet_columns.csv"] = len(columns)
        counts["truth/spreadsheet_cells.csv"] = len(cells)
    return counts
