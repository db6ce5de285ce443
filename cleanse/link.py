"""Record linkage for ``reconcile``: which records of several extracts are one person (SPEC §4).

``load_records`` builds one compact frame of every record of every extract; ``link`` finds
candidate pairs by blocking, scores them (Fellegi-Sunter style, term-frequency adjusted
names), links, reviews and groups them into persons with a stable ``person_id``. Every step
costs about linear time in the number of records. The design (blocking passes and caps,
weights, thresholds, the guards, how ``person_id`` is made) is in docs/linking.md.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from cleanse.facts import is_active, is_death_event
from cleanse.idnumber import structure, well_formed
from cleanse.normalise import (
    PRECISION_FULL,
    PRECISION_MONTH,
    canonical_name,
    exact_name,
    fold_scalar,
    letters_only,
    name_key,
    to_arrow,
)
from cleanse.prepare import address_key, name_invalid, prepare, prepared_chunks
from cleanse.read import Chunk, Extract
from cleanse.reference import reference
from cleanse.secret import keyed_digests

__all__ = ["LinkResult", "load_records", "link", "METHODS", "offset"]

_STRING = pd.StringDtype("pyarrow")
METHODS = ("id", "bhxh", "fuzzy")

# --- scoring constants (bits); see the module docstring ---------------------------------

MIN_OFFSET = 12.0  # the prior (bits against a candidate pair) is max(12, log2(records))
# A shared number weighs the prior itself; near numbers that much less these bits.
BELOW_ID_ONE, BELOW_ID_PLACE, BELOW_ID_TWO = 6.0, 7.0, 9.0
W_ID_DIFF, W_ID_DIFF_MALFORMED = -4.0, -2.0
W_BHXH_DIFF = -3.0
# A generic extract's own person number (other_id): the same, one character off, other.
W_OTHER_DIFF = -3.0
# Supporting evidence: the same phone number, the same address (folded: house number,
# street and ward compared), or nearly the same address (one typo, a word missing).
W_PHONE_SAME, W_PHONE_DIFF = 6.0, -0.5
# The same address weighs by how common it is (a house in a street: the most; a village
# shared by hundreds: less), between these bounds.
W_ADDRESS_SAME_MIN, W_ADDRESS_SAME_MAX = 3.0, 10.0
W_ADDRESS_NEAR, W_ADDRESS_DIFF = 3.0, -1.0
# Ward, postcode and province columns, where two extracts have them: the same value
# weighs by how common it is, up to these bits; one typo apart, that less
# W_PLACE_NEAR_LESS; different (people move), W_PLACE_DIFF. A place that both addresses
# name counts only when the addresses do not agree (see ``_place_levels``).
W_PLACE_SAME_MAX = {"ward": 8.0, "postcode": 8.0, "province": 4.0}
W_PLACE_NEAR_LESS, W_PLACE_DIFF = 3.0, -1.0
M_TOKEN = 0.95  # m of an agreeing name part
W_REORDER = -2.0
W_SUR_TYPO, W_SUR_DIFF = -2.0, -9.7
W_MID_SUBSET, W_MID_TYPO, W_MID_DIFF = -3.0, -2.0, -8.0
W_GIVEN_TYPO, W_GIVEN_DIFF = -1.6, -8.3
W_GENDER_SAME, W_GENDER_DIFF = 1.0, -5.6

# Term-frequency priors (DOMAIN.md §7.4), folded; they matter only for small inputs.
TF_PRIOR_WEIGHT = 1000.0
# Surname shares of the population (the packaged table, cleanse/data/surnames.csv).
SURNAME_PRIOR = {fold_scalar(k): v / 100 for k, v in reference().surnames.items()}
SURNAME_PRIOR_OTHER = 0.003
GIVEN_PRIOR = 1 / 150
MIDDLE_PRIOR = {"van": 0.2, "thi": 0.2, "": 0.03}
MIDDLE_PRIOR_OTHER = 0.02
TF_FLOOR = 1e-4  # no name part weighs more than log2(0.95 / 1e-4) = 13.2 bits
SURNAME_CONFUSIONS = ({"hoang", "huynh"}, {"vu", "vo"})  # northern/southern forms

# Block caps (records per block); see the module docstring.
CAP_EXACT = 50
CAP_NAME = 50
CAP_BLOCK = 1000
CAP_PROBE = 5000
CAP_GUARD = 300  # id-carrying records of a component checked pairwise; more: rebuilt

# --- levels ----------------------------------------------------------------------------

# identifier level
(
    ID_NONE,
    ID_SAME,
    CMND_SAME,
    BHXH_SAME,
    ID_ONE,
    ID_PLACE,
    ID_TWO,
    ID_DIFF,
    ID_DIFF_BAD,
    ID_SWAP,
    ID_DIFF_ODD,
    OTHER_SAME,
    OTHER_ONE,
    OTHER_DIFF,
) = range(14)
N_ID_LEVELS = 14
# IDs near enough to be one ID mistyped: never "different IDs" for the guard.
_ID_NEAR = (ID_ONE, ID_SWAP)
# name part level
P_NONE, P_EQ, P_TYPO, P_DIFF, P_SUBSET = range(5)
# Birth-date levels, one row each: weight in bits, whether the dates are compatible
# (the same for the chaining guard and for vouching; a missing date is not different),
# and the words of the reason.
_DOB_LEVELS: tuple[tuple[str, float, bool, str], ...] = (
    ("none", 0.0, True, "a birth date is missing"),
    ("exact", 14.8, True, "birth dates agree"),
    ("swap", 8.2, True, "birth day and month swapped"),
    ("both_imprecise_month", 9.9, True, "same birth month and year (no day)"),
    ("both_imprecise", 6.4, True, "same birth year (year only or 01/01)"),
    ("one_imprecise", 2.2, True, "birth year agrees (one date is year only or 01/01)"),
    ("same_month", 1.1, False, "same birth year and month, day differs"),
    ("same_day_month", 0.9, False, "same birth day and month, year differs"),
    ("same_year", -1.9, False, "same birth year only"),
    ("different", -7.6, False, "birth dates differ"),
)
(
    D_NONE,
    D_EXACT,
    D_SWAP,
    D_BOTH_IMPRECISE_MONTH,
    D_BOTH_IMPRECISE,
    D_ONE_IMPRECISE,
    D_SAME_MONTH,
    D_SAME_DAY_MONTH,
    D_SAME_YEAR,
    D_DIFFERENT,
) = range(len(_DOB_LEVELS))
W_DOB = {name: weight for name, weight, _, _ in _DOB_LEVELS[1:]}
_DOB_WEIGHT = np.array([weight for _, weight, _, _ in _DOB_LEVELS])
_DOB_COMPATIBLE = tuple(i for i, (_, _, same, _) in enumerate(_DOB_LEVELS) if same)
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


@dataclass
class LinkResult:
    """Links, pairs for review and persons, all by record index into the records frame.

    ``links`` and ``review``: ``left, right`` (record indices, left < right), ``method``
    (``id``, ``bhxh``, ``fuzzy``), ``score`` in [0, 1], ``reason`` (English words);
    method and reason are categoricals. ``persons``: ``record, source, row, person_id``,
    one row per record in record order. ``stats``: counts per blocking pass, skipped
    blocks, guard rejections and timings.
    """

    links: pd.DataFrame
    review: pd.DataFrame
    persons: pd.DataFrame
    stats: dict[str, object] = field(default_factory=dict)


# --- loading -----------------------------------------------------------------------------


def _str_series(arr: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return pd.Series(pd.array(arr, dtype=_STRING), index=index)


def _null_str(n: int) -> pa.Array:
    return pa.nulls(n, pa.string())


def _optional(prep: pd.DataFrame, name: str) -> pa.Array:
    """A companion column of ``prepare`` as Arrow text, all null when it is not there."""
    if name in prep.columns:
        return to_arrow(prep[name])
    return _null_str(len(prep))


# Where a record lives, beyond its address: compared one by one (see ``_place_levels``).
# house_number is in the address already; its own key only blocks.
PLACE_FIELDS = ("ward", "postcode", "province", "house_number")
_PLACE_SCORED = ("ward", "postcode", "province")  # the keys of W_PLACE_SAME_MAX, in order
# "Phường Bến Nghé" and "Bến Nghé", "Tỉnh Hưng Yên" and "Hưng Yên" are one place.
_PLACE_PREFIX = r"^(tinh|thanh pho|tp|quan|huyen|thi xa|phuong|xa|thi tran|p|x|q|h) "


def _place_key(prep: pd.DataFrame, field: str) -> pa.Array:
    """A place column folded as addresses are, without its administrative word."""
    if field not in prep.columns:
        return _null_str(len(prep))
    # Few distinct places: each is folded once.
    arr = to_arrow(prep[field])
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    enc = arr.dictionary_encode() if not pa.types.is_dictionary(arr.type) else arr
    key = address_key(enc.dictionary.cast(pa.string()))
    key = pc.replace_substring_regex(key, _PLACE_PREFIX, "")
    key = pc.if_else(pc.equal(key, ""), pa.scalar(None, pa.string()), key)
    return key.take(enc.indices)


def _record_part(prep: pd.DataFrame, rows: pd.Series, src: int, kind: str) -> pd.DataFrame:
    n = len(prep)
    index = prep.index
    # IDs: 12 digits as written, or with the leading zeros a spreadsheet dropped put back.
    digits = to_arrow(prep["id_digits"])
    restored = to_arrow(prep["id_restored"])
    length = pc.fill_null(pc.utf8_length(digits), 0)
    cand = pc.if_else(pc.equal(length, 12), digits, restored)
    parts = structure(_str_series(cand, index))
    twelve = parts["twelve"].to_numpy()
    good = well_formed(parts)
    id_any = pc.if_else(pa.array(twelve), cand, _null_str(n))
    id12 = pc.if_else(pa.array(good), cand, _null_str(n))
    cmnd9 = pc.if_else(pc.equal(length, 9), digits, _null_str(n))
    # BHXH: a 10-digit code, or since 08/2025 a 12-digit ID in that column (DOMAIN.md §3),
    # used as the record's ID when the ID column gives no well-formed one.
    bdigits = to_arrow(prep["bhxh_digits"])
    blength = pc.fill_null(pc.utf8_length(bdigits), 0)
    bhxh = pc.if_else(pc.equal(blength, 10), bdigits, _null_str(n))
    bparts = structure(prep["bhxh_digits"])
    bgood = well_formed(bparts)
    use_b = pa.array(bgood & ~good)
    id12 = pc.if_else(use_b, bdigits, id12)
    id_any = pc.if_else(use_b, bdigits, id_any)
    # An ID consistent with its own record: a province code, and its gender/century digit
    # and birth-year digits agree with the record's gender and birth year where those are
    # known. Two
    # different consistent IDs are two people (a mistyped ID rarely stays consistent).
    chosen = structure(_str_series(id12, index))
    gender_code = prep["gender_code"].astype("string")
    year = prep["dob_year"].astype("Int64")
    g_ok = gender_code.isna() | (gender_code == chosen["gender"])
    y_ok = year.isna() | ((year // 100 * 100 == chosen["century"]) & (year % 100 == chosen["yy"]))
    # A foreign prefix (100 or more) is well-formed but still to be confirmed
    # (id.foreign_code): not consistent, so beside another ID it is a mismatch.
    consistent = (
        np.asarray(pc.is_valid(id12).to_numpy(zero_copy_only=False), dtype=bool)
        & chosen["place_known"].to_numpy(dtype=bool)
        & g_ok.to_numpy(dtype=bool, na_value=False)
        & y_ok.to_numpy(dtype=bool, na_value=False)
    )

    # Names: the folded key, of the repaired text where the name was mojibake, without
    # digits and symbols (Nguyễn Văn An2, Trần Thị #Lan).
    key = to_arrow(prep["name_key"])
    # The exact name (canonical marks, lower case), for field mismatches the key misses.
    exact = to_arrow(prep["name_clean"])
    moji = prep["name_mojibake"].to_numpy(dtype=bool)
    if moji.any():
        fixed = to_arrow(name_key(prep["name_repaired"]))
        key = pc.if_else(pa.array(moji), fixed, key)
        exact = pc.if_else(pa.array(moji), to_arrow(canonical_name(prep["name_repaired"])), exact)
    exact = exact_name(exact)
    key = letters_only(key)  # H’Hen = H'Hen; digits and symbols dropped
    key = pc.if_else(pc.equal(key, ""), _null_str(n), key)
    surname = pc.struct_field(pc.extract_regex(key, r"^(?P<s>\S+) "), [0])
    given = pc.struct_field(pc.extract_regex(key, r"(?P<g>\S+)$"), [0])
    middle = pc.struct_field(pc.extract_regex(key, r"^\S+ (?P<m>.*?) ?\S+$"), [0])

    # A name the single-file rules accept: not garbled, no digits or symbols, 2+ words.
    name_ok = prep["name_clean"].notna().to_numpy() & ~moji & ~name_invalid(prep).to_numpy()

    status = prep["benefit_status"] if "benefit_status" in prep.columns else None
    active = is_active(status, kind, n)
    if kind == "hotich" and "event" in prep.columns:
        death_event = is_death_event(prep["event"])
    else:
        death_event = np.zeros(n, dtype=bool)
    dy = prep["death_date_year"].astype("Int32")
    dm = prep["death_date_month"].astype("Int32")
    dd = prep["death_date_day"].astype("Int32")
    death_ord = (dy * 10000 + dm.fillna(0) * 100 + dd.fillna(0)).where(dm.notna())

    def text(arr: pa.Array | pa.ChunkedArray) -> pd.Series:
        return _str_series(arr, index)

    return pd.DataFrame(
        {
            "src": np.full(n, src, dtype=np.int16),
            "row": rows.to_numpy(dtype=np.int64),
            "id12": text(id12),
            "id_any": text(id_any),
            # An ID written but unusable (letters, scientific notation, rounded, a wrong
            # length), where no 12-digit ID stands in the BHXH column either.
            "id_malformed": prep["id_present"].to_numpy(dtype=bool, na_value=False)
            & ~np.asarray(pc.is_valid(id_any).to_numpy(zero_copy_only=False), dtype=bool)
            & ~np.asarray(pc.equal(length, 9).to_numpy(zero_copy_only=False), dtype=bool),
            "cmnd9": text(cmnd9),
            "bhxh": text(bhxh),
            "name_key": text(key),
            "name_exact": text(exact),
            "surname": text(surname),
            "middle": text(middle),
            "given": text(given),
            "id_consistent": consistent,
            "other_id": text(_optional(prep, "other_id_clean")),
            "phone": text(_optional(prep, "phone_digits")),
            "address_key": text(_optional(prep, "address_key")),
            **{f"{f}_key": text(_place_key(prep, f)) for f in PLACE_FIELDS},
            "name_ok": name_ok,
            "dob_ok": ~prep["dob_invalid"].to_numpy(dtype=bool)
            & prep["dob_year"].notna().to_numpy(),
            "dob_year": prep["dob_year"].astype("Int16"),
            "dob_month": prep["dob_month"].astype("Int8"),
            "dob_day": prep["dob_day"].astype("Int8"),
            "dob_precision": prep["dob_precision"],
            "dob_placeholder": prep["dob_placeholder"].to_numpy(dtype=bool),
            "gender_code": prep["gender_code"],
            "death_ord": death_ord.astype("Int32"),
            "is_death_event": death_event,
            "active": active,
        },
        index=index,
    )


def load_records(
    extracts: Sequence[Extract], gender_codes: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """One compact frame of every record of every extract, with what linking needs.

    Columns: ``source`` (file name), ``src`` (index of the extract in ``extracts``),
    ``row`` (SPEC row), ``kind``; ``id12`` (well-formed 12-digit ID: known or foreign
    place code, leading zeros restored; else a well-formed 12-digit ID in the BHXH
    column), ``id_any`` (any 12-digit value, for similarity), ``cmnd9``, ``bhxh``
    (10-digit code); ``name_key`` (folded, mojibake repaired, digits and symbols dropped)
    and its ``surname`` (first word), ``middle`` and ``given`` (last word; a one-word name
    has only a given name); ``name_exact`` (the name with its marks, in canonical tone
    placement and lower case; null when it has none);
    ``dob_year/month/day/precision/placeholder``, ``gender_code``;
    ``death_ord`` (yyyymmdd of a death date, dd = 00 when only month and year are known);
    ``is_death_event`` (a hộ tịch khai tử); ``active`` (btxh "đang hưởng"; bhxh unless
    its status says dừng/thôi/ngừng). Read chunk by chunk; text as Arrow strings, repeated
    values as categoricals.
    """
    parts: list[pd.DataFrame] = []

    def part(src: int, chunk: Chunk, prep: pd.DataFrame) -> pd.DataFrame:
        return _record_part(prep, chunk.rows, src, extracts[src].kind)

    parts.extend(p for _, p in prepared_chunks(extracts, gender_codes, part, ahead=2))
    if not parts:
        prep = prepare(pd.DataFrame({"full_name": pd.Series([], dtype=_STRING)}), gender_codes)
        parts.append(_record_part(prep, pd.Series([], dtype="int64"), 0, "generic"))
    frame = pd.concat(parts, ignore_index=True)
    # Two files may share a name (folders differ): one category per distinct name.
    names = list(dict.fromkeys(ext.name for ext in extracts)) or [""]
    name_of = np.array([names.index(ext.name) for ext in extracts] or [0], dtype=np.int64)
    kinds = list(dict.fromkeys(ext.kind for ext in extracts)) or ["generic"]
    kind_of = np.array([kinds.index(ext.kind) for ext in extracts] or [0], dtype=np.int64)
    src_of = frame["src"].to_numpy(dtype=np.int64)
    source = pd.Categorical.from_codes(name_of[src_of], pd.Index(names))
    frame.insert(0, "source", pd.Series(source, index=frame.index))
    kind = pd.Categorical.from_codes(kind_of[src_of], pd.Index(kinds))
    frame.insert(3, "kind", pd.Series(kind, index=frame.index))
    places = tuple(f"{f}_key" for f in PLACE_FIELDS)
    for col in ("surname", "middle", "given", "dob_precision", "gender_code", *places):
        frame[col] = frame[col].astype("category")
    return frame


# --- arrays for linking --------------------------------------------------------------


def _int_ids(values: pd.Series) -> np.ndarray:
    """Digit strings as int64, -1 where missing."""
    arr = to_arrow(values)
    return np.asarray(
        pc.fill_null(pc.cast(arr, pa.int64()), -1).to_numpy(zero_copy_only=False), dtype=np.int64
    )


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Category codes (-1 = missing) and the categories as a numpy object array."""
    cat = values.astype("category")
    return (
        np.asarray(cat.cat.codes, dtype=np.int32),
        np.asarray(cat.cat.categories.astype(object), dtype=object),
    )


def _small_int(values: pd.Series) -> np.ndarray:
    return np.asarray(values.astype("Int64").fillna(-1), dtype=np.int32)


def _tf_weights(
    codes: np.ndarray, vocab: np.ndarray, prior: Mapping[str, float], other: float
) -> np.ndarray:
    """``log2(0.95 / tf)`` per category, tf smoothed towards the prior (see the docstring)."""
    counts = np.bincount(codes[codes >= 0], minlength=len(vocab)).astype(float)
    total = counts.sum()
    p0 = np.array([prior.get(str(v), other) for v in vocab], dtype=float)
    tf = (counts + TF_PRIOR_WEIGHT * p0) / (total + TF_PRIOR_WEIGHT)
    return np.log2(M_TOKEN / np.maximum(tf, TF_FLOOR))


@dataclass
class _Arrays:
    """The records as plain numpy arrays (int64, -1 = missing)."""

    n: int
    src: np.ndarray
    id12: np.ndarray
    id_any: np.ndarray
    cmnd: np.ndarray
    bhxh: np.ndarray
    name: np.ndarray
    n_names: int
    sur: np.ndarray
    sur_vocab: np.ndarray
    mid: np.ndarray
    mid_vocab: np.ndarray
    given: np.ndarray
    given_vocab: np.ndarray
    tokens: np.ndarray  # order-free hash of the name's words, 0 = no name
    year: np.ndarray
    month: np.ndarray
    day: np.ndarray
    imprecise: np.ndarray  # a year-only, month/year or 01/01 date
    full: np.ndarray  # a full date that is not the 01/01 placeholder
    gender: np.ndarray
    w_sur: np.ndarray
    w_mid: np.ndarray
    w_given: np.ndarray
    reference: np.ndarray  # bool per record
    consistent: np.ndarray  # the ID agrees with the record's gender and birth year
    other: np.ndarray  # codes of other_id (-1 = none)
    other_vocab: np.ndarray
    phone: np.ndarray  # int64, -1 = none
    address: np.ndarray  # codes of the folded address (-1 = none)
    address_vocab: pa.Array  # the distinct folded addresses (kept in Arrow: nearly all distinct)
    w_address: np.ndarray  # agreement weight per address code
    # Per place field (PLACE_FIELDS): codes (-1 = none), the distinct values, and the
    # agreement weight per code.
    place: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]


def _token_hash(names: pd.Series) -> np.ndarray:
    """A 64-bit hash of the multiset of a name's words: equal for swapped orders."""
    arr = to_arrow(names)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    words = pc.split_pattern(arr, " ")
    flat = pc.list_flatten(words)
    parent = np.asarray(pc.list_parent_indices(words).to_numpy(zero_copy_only=False))
    out = np.zeros(len(arr), dtype=np.uint64)
    if len(flat) == 0:
        return out
    enc = pc.dictionary_encode(flat)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    idx = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    rng = np.random.default_rng(20250801)
    salt = rng.integers(1, 2**63, size=len(enc.dictionary), dtype=np.uint64)
    np.add.at(out, parent, salt[idx])
    return out


def _numbers(addresses: pa.Array) -> pa.Array:
    """The words of each address that are numbers ("so 12 ... 3" -> "12 3")."""
    # Words holding anything but digits go; what is left is the address's numbers.
    nums = pc.replace_substring_regex(addresses, r"(^| )[^ ]*[^0-9 ][^ ]*", "")
    return pc.utf8_trim_whitespace(nums)


def _rarity_bits(codes: np.ndarray, size: int, low: float, high: float) -> np.ndarray:
    """``log2(0.9 / tf)`` per value, within ``low`` and ``high``: a rare address or
    place says more than a common one."""
    counts = np.bincount(codes[codes >= 0], minlength=size).astype(float)
    tf = counts / max(counts.sum(), 1.0)
    with np.errstate(divide="ignore"):
        w = np.log2(0.9 / np.maximum(tf, 1e-12))
    return np.clip(w, low, high)


def _arrays(records: pd.DataFrame, reference: int | None) -> _Arrays:
    n = len(records)
    src = np.asarray(records["src"], dtype=np.int32)
    # Full names are compared by code only: their distinct values stay in Arrow.
    name_codes, name_values = pd.factorize(records["name_key"])
    name = np.asarray(name_codes, dtype=np.int32)
    sur, sur_vocab = _codes(records["surname"])
    mid, mid_vocab = _codes(records["middle"])
    given, given_vocab = _codes(records["given"])
    month = _small_int(records["dob_month"])
    day = _small_int(records["dob_day"])
    precision = records["dob_precision"].astype(object)
    placeholder = np.asarray(records["dob_placeholder"], dtype=bool)
    imprecise = (precision != PRECISION_FULL).to_numpy(dtype=bool) & records[
        "dob_precision"
    ].notna().to_numpy(dtype=bool)
    imprecise |= placeholder
    month = np.where(placeholder, -1, month)  # 01/01 may stand for "year only"
    day = np.where(placeholder | (precision == PRECISION_MONTH).to_numpy(dtype=bool), -1, day)
    gender = np.select(
        [
            (records["gender_code"] == "M").to_numpy(dtype=bool, na_value=False),
            (records["gender_code"] == "F").to_numpy(dtype=bool, na_value=False),
        ],
        [0, 1],
        -1,
    ).astype(np.int32)
    if reference is None:
        ref = (records["kind"] == "dancu").to_numpy(dtype=bool)
    else:
        ref = src == reference
    other, other_vocab = _codes(records["other_id"])
    # Addresses are nearly all distinct: encoded in Arrow, never one Python string each.
    enc = pc.dictionary_encode(to_arrow(records["address_key"]))
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    address = np.asarray(
        pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int32
    )
    address_vocab = enc.dictionary
    return _Arrays(
        n=n,
        src=src,
        id12=_int_ids(records["id12"]),
        id_any=_int_ids(records["id_any"]),
        cmnd=_int_ids(records["cmnd9"]),
        bhxh=_int_ids(records["bhxh"]),
        name=name,
        n_names=len(name_values),
        sur=sur,
        sur_vocab=sur_vocab,
        mid=mid,
        mid_vocab=mid_vocab,
        given=given,
        given_vocab=given_vocab,
        tokens=_token_hash(records["name_key"]),
        year=_small_int(records["dob_year"]),
        month=month,
        day=day,
        imprecise=imprecise,
        full=(day >= 0) & ~imprecise,
        gender=gender,
        w_sur=_tf_weights(sur, sur_vocab, SURNAME_PRIOR, SURNAME_PRIOR_OTHER),
        w_mid=_tf_weights(mid, mid_vocab, MIDDLE_PRIOR, MIDDLE_PRIOR_OTHER),
        w_given=_tf_weights(given, given_vocab, {}, GIVEN_PRIOR),
        reference=ref,
        consistent=np.asarray(records["id_consistent"], dtype=bool),
        other=other,
        other_vocab=other_vocab,
        phone=_int_ids(records["phone"]),
        address=address,
        address_vocab=address_vocab,
        w_address=_rarity_bits(address, len(address_vocab), W_ADDRESS_SAME_MIN, W_ADDRESS_SAME_MAX),
        place=_places(records, address, address_vocab),
    )


def _places(
    records: pd.DataFrame, address: np.ndarray, address_vocab: pa.Array
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """The place fields records of two or more extracts carry (one extract's alone
    would compare only its own rows, whose IDs do that better): codes, values, and for
    the scored ones the agreement weights and whether the record's own address names
    the place ("..., Phường Bến Nghé"); the house number, in the address already, only
    blocks."""
    out = {}
    src = np.asarray(records["src"], dtype=np.int64)
    for f in PLACE_FIELDS:
        codes, vocab = _codes(records[f"{f}_key"])
        if len(np.unique(src[codes >= 0])) < 2:
            continue
        if f in W_PLACE_SAME_MAX:
            weights = _rarity_bits(codes, len(vocab), 0.0, W_PLACE_SAME_MAX[f])
            named = _named_in_address(codes, vocab, address, address_vocab)
        else:
            weights, named = np.zeros(len(vocab)), np.zeros(len(codes), dtype=bool)
        out[f] = (codes, vocab, weights, named)
    return out


def _named_in_address(
    codes: np.ndarray, vocab: np.ndarray, address: np.ndarray, address_vocab: pa.Array
) -> np.ndarray:
    """Per record: its place value is written inside its folded address. Each distinct
    (place, address) is looked at once, by rapidfuzz (a partial ratio of 100)."""
    named = np.zeros(len(codes), dtype=bool)
    both = np.flatnonzero((codes >= 0) & (address >= 0))
    if not len(both):
        return named
    size = np.int64(len(vocab))
    inv, uniq = _factorize(address[both].astype(np.int64) * size + codes[both])
    places = vocab[uniq % size].tolist()
    texts = address_vocab.take(pa.array(uniq // size)).to_pylist()
    hit = process.cpdist(places, texts, scorer=fuzz.partial_ratio, workers=-1) >= 100
    named[both] = hit[inv]
    return named


# --- blocking ----------------------------------------------------------------------------


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a sort: numpy's hash-based unique is slow on big arrays)."""
    values = np.sort(values)
    if len(values):
        values = values[np.r_[True, values[1:] != values[:-1]]]
    return values


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values in sorted order), like ``np.unique(return_inverse=True)``."""
    codes, uniq = pd.factorize(values, sort=True)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniq)


def _combine(*parts: tuple[np.ndarray, int]) -> np.ndarray:
    """One int64 key from (values, number of distinct values) parts; -1 if any is missing."""
    key = np.zeros(len(parts[0][0]), dtype=np.int64)
    missing = np.zeros(len(parts[0][0]), dtype=bool)
    for values, size in parts:
        missing |= values < 0
        key = key * size + np.maximum(values, 0)
    key[missing] = -1
    return key


def _block_pairs(
    key: np.ndarray, cap: int, probe: np.ndarray | None = None, held: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Pairs of records sharing a key (>= 0), in blocks of at most ``cap`` records.

    With ``probe``, only pairs with at least one probe record. Returns left, right,
    the number of blocks skipped for their size and the records in them; with ``held``
    (a bool per record), the records of skipped blocks are marked in it.
    """
    idx = np.flatnonzero(key >= 0)
    empty = np.empty(0, dtype=np.int64)
    if len(idx) < 2:
        return empty, empty, 0, 0
    order = idx[np.argsort(key[idx], kind="stable")]
    k = key[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    sizes = np.diff(np.r_[starts, len(k)])
    big = sizes > cap
    skipped, skipped_records = int(big.sum()), int(sizes[big].sum())
    ok = (sizes >= 2) & ~big
    gid = np.repeat(np.arange(len(starts)), sizes)
    if held is not None and skipped:
        held[order[big[gid]]] = True
    pos = np.arange(len(k))
    if probe is None:
        end = (starts + sizes)[gid]
        counts = np.where(ok[gid], end - pos - 1, 0)
        total = int(counts.sum())
        left_pos = np.repeat(pos, counts)
        offs = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        right_pos = left_pos + 1 + offs
    else:
        is_probe = probe[order]
        counts = np.where(ok[gid] & is_probe, sizes[gid] - 1, 0)
        total = int(counts.sum())
        left_pos = np.repeat(pos, counts)
        offs = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        right_pos = np.repeat(starts[gid], counts) + offs
        right_pos += right_pos >= left_pos
    return order[left_pos], order[right_pos], skipped, skipped_records


def _near_id_pairs(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Pairs of records whose 12-digit IDs differ in one digit or only in the place code.

    Blocked on the distinct IDs (so the many records sharing an ID cost nothing here):
    the ID with digit k masked, for each k, and its last nine digits; each pair of IDs
    then gives every pair of their records.
    """
    has = np.flatnonzero(ids >= 0)
    order = has[np.argsort(ids[has], kind="stable")]
    sorted_ids = ids[order]
    uniq = _distinct(sorted_ids)
    keys = [uniq - (uniq // np.int64(10**k) % 10) * np.int64(10**k) for k in range(12)]
    keys.append(uniq % np.int64(10**9))
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    skipped = 0
    for key in keys:
        left, right, sk, _ = _block_pairs(key, CAP_EXACT)
        xs.append(uniq[left])
        ys.append(uniq[right])
        skipped += sk
    left, right = _records_of(order, sorted_ids, np.concatenate(xs), np.concatenate(ys))
    return left, right, skipped


def _records_of(
    order: np.ndarray, sorted_values: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every record holding value ``x[i]`` paired with every record holding ``y[i]``;
    ``order`` sorts the records by value, ``sorted_values`` is the values in that order."""
    start_x = np.searchsorted(sorted_values, x, "left")
    count_x = np.searchsorted(sorted_values, x, "right") - start_x
    start_y = np.searchsorted(sorted_values, y, "left")
    count_y = np.searchsorted(sorted_values, y, "right") - start_y
    sizes = count_x * count_y
    pair = np.repeat(np.arange(len(x)), sizes)
    k = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return order[start_x[pair] + k // count_y[pair]], order[start_y[pair] + k % count_y[pair]]


def _identical(a: _Arrays) -> np.ndarray:
    """For each record, the first record identical to it in what linking compares (its
    numbers, name, birth date, gender, phone and address), or itself.

    Only records that carry a number or a full birth date are taken together: two
    records with nothing but one name are not thereby one person. Grouped by a hash,
    then checked field by field, so a hash collision never joins two records.
    """
    fields = [
        a.id_any, a.cmnd, a.bhxh, a.other.astype(np.int64), a.name.astype(np.int64),
        a.year.astype(np.int64), a.month.astype(np.int64), a.day.astype(np.int64),
        a.gender.astype(np.int64), a.phone, a.address.astype(np.int64),
        a.imprecise.astype(np.int64),
    ]  # fmt: skip
    h = np.zeros(a.n, dtype=np.uint64)
    for values in fields:
        h = (h ^ values.astype(np.uint64)) * np.uint64(0x100000001B3)
    eligible = (a.id_any >= 0) | (a.cmnd >= 0) | (a.bhxh >= 0) | (a.other >= 0) | a.full
    h = np.where(eligible, h, np.uint64(0))
    codes, _ = pd.factorize(h)
    codes = np.asarray(codes, dtype=np.int64)
    # factorize numbers values by first appearance: a record is first when its code is new.
    seen = np.maximum.accumulate(codes) if a.n else codes
    first = np.flatnonzero(codes > np.r_[-1, seen[:-1]]) if a.n else codes
    rep = first[codes] if a.n else np.zeros(0, dtype=np.int64)
    same = eligible.copy()
    for values in fields:
        same &= values == values[rep]
    return np.where(same, rep, np.arange(a.n, dtype=np.int64))


def _near_other_pairs(other: np.ndarray, vocab: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Pairs of records whose person numbers (other_id) are one edit apart.

    The deletion neighbourhood: two values one substitution, insertion, deletion or
    swap apart share a value with one character deleted. Blocked on the distinct
    numbers, then each pair of numbers gives every pair of their records.
    """
    empty = np.empty(0, dtype=np.int64)
    codes = np.flatnonzero(np.bincount(other[other >= 0], minlength=len(vocab)) > 0)
    if len(codes) < 2:
        return empty, empty, 0
    values = pa.array(vocab[codes].tolist(), pa.string())
    width = int(pc.max(pc.utf8_length(values)).as_py() or 0)
    owners, keys = [], []
    for k in range(width):
        cut = pc.binary_join_element_wise(
            pc.utf8_slice_codeunits(values, 0, k), pc.utf8_slice_codeunits(values, k + 1), ""
        )
        none = pa.nulls(len(values), pa.string())
        cut = pc.if_else(pc.greater(pc.utf8_length(values), k), cut, none)
        owners.append(np.arange(len(codes)))
        keys.append(cut)
    owners.append(np.arange(len(codes)))
    keys.append(values)  # a deletion on one side only meets the other's whole value
    owner = np.concatenate(owners)
    key = pc.dictionary_encode(pa.chunked_array(keys)).combine_chunks()
    kcodes = np.asarray(
        pc.fill_null(key.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64
    )
    x, y, skipped, _ = _block_pairs(kcodes, CAP_EXACT)
    vx, vy = codes[owner[x]], codes[owner[y]]
    pair = _distinct(np.minimum(vx, vy) * np.int64(len(vocab)) + np.maximum(vx, vy))
    vx, vy = pair // len(vocab), pair % len(vocab)
    keep = vx != vy
    order = np.argsort(other, kind="stable")
    left, right = _records_of(order, other[order], vx[keep], vy[keep])
    return left, right, skipped


def _candidates(
    a: _Arrays, stats: dict[str, object], rep: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (left < right) from every blocking pass, without repeats.

    Only the representatives of identical records (``rep``, a bool per record) take part:
    their copies are linked to them without scoring. Pairs of one extract with different
    well-formed IDs are dropped as each pass makes them (they never link), so they take
    no memory.
    """
    n = np.int64(max(a.n, 1))
    held = np.zeros(a.n, dtype=bool)  # records in a block skipped for its size

    def only_rep(key: np.ndarray) -> np.ndarray:
        return np.where(rep, key, -1)

    codes: list[np.ndarray] = []
    per_pass: dict[str, int] = {}
    skipped: dict[str, int] = {}
    dropped = 0

    def keep(name: str, left: np.ndarray, right: np.ndarray, sk: int) -> None:
        nonlocal dropped
        il, ir = a.id12[left], a.id12[right]
        same = (a.src[left] == a.src[right]) & (il >= 0) & (ir >= 0) & (il != ir)
        dropped += int(same.sum())
        left, right = left[~same], right[~same]
        codes.append(np.minimum(left, right) * n + np.maximum(left, right))
        per_pass[name] = per_pass.get(name, 0) + len(left)
        if sk:
            skipped[name] = skipped.get(name, 0) + sk

    passes: list[tuple[str, np.ndarray, int, np.ndarray | None]] = [
        ("id", a.id12, CAP_EXACT, None),
        ("cmnd", a.cmnd, CAP_EXACT, None),
        ("bhxh", a.bhxh, CAP_EXACT, None),
        ("other_id", a.other.astype(np.int64), CAP_EXACT, None),
    ]
    year = np.where((a.year >= 1800) & (a.year < 2200), a.year - 1800, -1)
    lo = np.where(a.full, np.minimum(a.day, a.month), -1)
    hi = np.where(a.full, np.maximum(a.day, a.month), -1)
    dm = _combine((lo, 32), (hi, 32))
    n_name, n_given, n_sur = a.n_names + 1, len(a.given_vocab) + 1, len(a.sur_vocab) + 1
    n_mid = len(a.mid_vocab) + 1
    words = np.where(a.tokens > 0, (a.tokens >> np.uint64(24)).astype(np.int64), -1)
    passes += [
        ("name_year", _combine((a.name, n_name), (year, 400)), CAP_NAME, None),
        ("name_daymonth", _combine((a.name, n_name), (dm, 1024)), CAP_NAME, None),
        ("given_date", _combine((a.given, n_given), (year, 400), (dm, 1024)), CAP_BLOCK, None),
        (
            "surname_middle_date",
            _combine((a.sur, n_sur), (a.mid, n_mid), (year, 400), (dm, 1024)),
            CAP_BLOCK,
            None,
        ),
        ("words_date", _combine((words, 1 << 40), (year, 400), (dm, 1024)), CAP_BLOCK, None),
        (
            "imprecise_date",
            _combine((a.sur, n_sur), (a.given, n_given), (year, 400)),
            CAP_PROBE,
            a.imprecise & (a.year >= 0),
        ),
    ]

    def block(task: tuple[str, np.ndarray, int, np.ndarray | None]):  # type: ignore[no-untyped-def]
        name, key, cap, probe = task
        if name == "id_near":
            return _near_id_pairs(only_rep(a.id_any))
        if name == "other_near":
            return _near_other_pairs(only_rep(a.other.astype(np.int64)), a.other_vocab)
        mark = None if name.startswith("place_") else held
        left, right, sk, _ = _block_pairs(only_rep(key), cap, probe, mark)
        return left, right, sk

    # The passes are numpy sorts and index arithmetic, which release the GIL: two run
    # at a time, and their pairs are kept in pass order.
    passes.insert(3, ("id_near", a.id_any, 0, None))
    if (a.other >= 0).any():
        passes.insert(5, ("other_near", a.id_any, 0, None))
    if (a.address >= 0).any():
        # The same address and surname, or address and given name: a person whose birth
        # date is missing or wrong, or whose name has a typo in the other part.
        n_addr = len(a.address_vocab) + 1
        # With the given name's first letter: a household shares address and surname.
        first = np.array([ord(str(g)[:1] or " ") for g in a.given_vocab], dtype=np.int64)
        initial = np.where(a.given >= 0, first[np.maximum(a.given, 0)] % 4096, -1)
        passes.append(
            (
                "address_surname",
                _combine((a.address, n_addr), (a.sur, n_sur), (initial, 4096)),
                CAP_NAME,
                None,
            )
        )
        passes.append(
            ("address_given", _combine((a.address, n_addr), (a.given, n_given)), CAP_NAME, None)
        )
    local = [f for f in ("postcode", "ward") if f in a.place]
    if local:
        # Where a file has a postcode or ward column: the same place and given name, or
        # surname, or house number, or birth date; a person whose name parts were
        # swapped or replaced, or whose date is missing. Supplementary passes: a block
        # too big for them (a ward of Nguyễns) is left to the others, not counted held.
        place_codes, place_vocab = a.place[local[0]][:2]
        n_place = len(place_vocab) + 1
        extra = [
            ("place_given", (a.given, n_given)),
            ("place_surname", (a.sur, n_sur)),
            ("place_date", (_combine((year, 400), (dm, 1024)), 400 * 1024)),
        ]
        if "house_number" in a.place:
            house = a.place["house_number"]
            extra.append(("place_house", (house[0], len(house[1]) + 1)))
        for name, part in extra:
            passes.append((name, _combine((place_codes, n_place), part), CAP_NAME, None))
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="cleanse-block") as pool:
        for (name, *_), found in zip(passes, pool.map(block, passes), strict=True):
            keep(name, *found)

    code = np.concatenate(codes) if codes else np.empty(0, dtype=np.int64)
    codes.clear()
    code = _distinct(code)
    left, right = code // n, code % n
    keep_pairs = left != right
    stats["pairs_per_pass"] = per_pass
    stats["blocks_skipped"] = skipped
    stats["records_in_skipped_blocks"] = int(held.sum())
    stats["dropped_same_extract_ids"] = dropped
    stats["candidate_pairs"] = int(keep_pairs.sum())
    return left[keep_pairs], right[keep_pairs]


# --- scoring -----------------------------------------------------------------------------


def _lengths(values: np.ndarray) -> np.ndarray:
    return np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values))


def _part_levels(
    ca: np.ndarray, cb: np.ndarray, vocab: np.ndarray, part: str, vouched: np.ndarray
) -> np.ndarray:
    """Agreement level of one name part (surname, middle or given) for each pair.

    Unequal values are compared once per distinct pair of values, with rapidfuzz's
    element-wise batch scorer: one edit off (a substitution or two neighbouring letters
    swapped, or any single edit in words of four letters or more) is a typo; for middle
    names, one side's words being a subset of the other's is a dropped middle name. In a
    ``vouched`` pair (one number, date and gender) a given name one edit off is a typo
    at any length (Sen/Sn).
    """
    lvl = np.full(len(ca), P_NONE, dtype=np.int8)
    both = (ca >= 0) & (cb >= 0)
    lvl[both & (ca == cb)] = P_EQ
    rest = np.flatnonzero(both & (ca != cb))
    if not len(rest):
        return lvl
    size = np.int64(len(vocab))
    inv, uniq = _factorize(ca[rest] * size + cb[rest])
    ua, ub = vocab[uniq // size].tolist(), vocab[uniq % size].tolist()
    dist = process.cpdist(ua, ub, scorer=OSA.distance, workers=-1)
    la, lb = _lengths(np.asarray(ua, dtype=object)), _lengths(np.asarray(ub, dtype=object))
    long = np.minimum(la, lb) >= 4
    # Short middle names one letter apart are different names (Thị/Thu), not typos.
    typo = (dist <= 1) & (long | ((la == lb) & (part != "middle")))
    ulvl = np.where(typo, P_TYPO, P_DIFF).astype(np.int8)
    if part == "surname":
        known = np.array([{x, y} in SURNAME_CONFUSIONS for x, y in zip(ua, ub, strict=True)])
        ulvl[known] = P_TYPO
    elif part == "middle":
        subset = process.cpdist(ua, ub, scorer=fuzz.token_set_ratio, workers=-1) >= 100
        subset |= (la == 0) | (lb == 0)
        ulvl[subset] = P_SUBSET
    out = ulvl[inv]
    if part == "given":
        out = np.where(vouched[rest] & (dist <= 1)[inv], P_TYPO, out).astype(np.int8)
    lvl[rest] = out
    return lvl


def _dob_levels(a: _Arrays, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Birth-date agreement level of each pair (see the module docstring)."""
    yl, yr = a.year[left], a.year[right]
    ml, mr = a.month[left], a.month[right]
    dl, dr = a.day[left], a.day[right]
    fl, fr = a.full[left], a.full[right]
    known = (yl >= 0) & (yr >= 0)
    same_y = known & (yl == yr)
    both_full = fl & fr
    month_ok = (ml < 0) | (mr < 0) | (ml == mr)
    imp_l, imp_r = ~fl, ~fr
    both_imp = same_y & imp_l & imp_r & month_ok
    conditions = [
        both_full & same_y & (ml == mr) & (dl == dr),
        both_full & same_y & (dl == mr) & (ml == dr) & (dl != ml),
        both_imp & (ml >= 0) & (mr >= 0),
        both_imp,
        same_y & (imp_l ^ imp_r) & month_ok,
        both_full & same_y & (ml == mr),
        both_full & ~same_y & known & (ml == mr) & (dl == dr),
        same_y,
        known,
    ]
    choices = [
        D_EXACT,
        D_SWAP,
        D_BOTH_IMPRECISE_MONTH,
        D_BOTH_IMPRECISE,
        D_ONE_IMPRECISE,
        D_SAME_MONTH,
        D_SAME_DAY_MONTH,
        D_SAME_YEAR,
        D_DIFFERENT,
    ]
    return np.select(conditions, choices, D_NONE).astype(np.int8)


_POW10 = 10 ** np.arange(12, dtype=np.int64)  # digit k (from the right) of an ID


def _id_similarity(a: _Arrays, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Level of two different 12-digit IDs: one digit, two adjacent digits swapped, place
    code only, two digits, or more (both well-formed: consistent with their records or
    not; else one malformed)."""
    il, ir = a.id_any[left], a.id_any[right]
    lvl = np.full(len(left), ID_NONE, dtype=np.int8)
    diff = np.flatnonzero((il >= 0) & (ir >= 0) & (il != ir))
    if not len(diff):
        return lvl
    x, y = il[diff], ir[diff]
    hamming = np.zeros(len(diff), dtype=np.int64)
    tail = np.zeros(len(diff), dtype=bool)  # digits 4-12 differ somewhere
    swap = np.zeros(len(diff), dtype=bool)
    for start in range(0, len(diff), 1 << 18):  # a digit matrix per slice, memory bounded
        part = slice(start, start + (1 << 18))
        dx, dy = x[part, None] // _POW10 % 10, y[part, None] // _POW10 % 10
        d = dx != dy
        hamming[part] = d.sum(axis=1)
        tail[part] = d[:, :9].any(axis=1)
        # Two neighbouring digits typed in the wrong order: 12 -> 21.
        crossed = d[:, :-1] & d[:, 1:] & (dx[:, :-1] == dy[:, 1:]) & (dx[:, 1:] == dy[:, :-1])
        swap[part] = crossed.any(axis=1)
    lo, ro = left[diff], right[diff]
    wellformed = (a.id12[lo] >= 0) & (a.id12[ro] >= 0)
    consistent = a.consistent[lo] & a.consistent[ro]
    lvl[diff] = np.select(
        [
            hamming == 1,
            (hamming == 2) & swap,
            ~tail,
            hamming == 2,
            wellformed & consistent,
            wellformed,
        ],
        [ID_ONE, ID_SWAP, ID_PLACE, ID_TWO, ID_DIFF, ID_DIFF_ODD],
        ID_DIFF_BAD,
    )
    return lvl


def offset(records: int) -> float:
    """The prior log2-odds against a pair: one in the number of records, at least 12 bits."""
    return max(MIN_OFFSET, math.log2(max(records, 1)))


def _id_weights(prior: float) -> np.ndarray:
    table = np.zeros(N_ID_LEVELS)
    table[[ID_ONE, ID_SWAP, ID_PLACE, ID_TWO, ID_DIFF, ID_DIFF_ODD, ID_DIFF_BAD]] = [
        prior - BELOW_ID_ONE,
        prior - BELOW_ID_ONE,
        prior - BELOW_ID_PLACE,
        prior - BELOW_ID_TWO,
        W_ID_DIFF,
        W_ID_DIFF_MALFORMED,
        W_ID_DIFF_MALFORMED,
    ]
    table[[OTHER_SAME, OTHER_ONE, OTHER_DIFF]] = [prior, prior - BELOW_ID_ONE, W_OTHER_DIFF]
    return table


_PART_WEIGHT = {
    "surname": {P_TYPO: W_SUR_TYPO, P_DIFF: W_SUR_DIFF},
    "middle": {P_SUBSET: W_MID_SUBSET, P_TYPO: W_MID_TYPO, P_DIFF: W_MID_DIFF},
    "given": {P_TYPO: W_GIVEN_TYPO, P_DIFF: W_GIVEN_DIFF},
}
N_NAME_LEVELS = 3 + 125


@dataclass
class _Scores:
    score: np.ndarray
    method: np.ndarray  # index into METHODS
    shared: np.ndarray  # a shared ID, CMND or BHXH code
    veto: np.ndarray  # given names clearly differ
    weak: np.ndarray  # no shared number, no birth date, no near ID: names alone
    apart: np.ndarray  # different IDs consistent with their records, no evidence against
    reason: np.ndarray  # a code for _reason_text (without the note)
    w: np.ndarray  # the evidence in bits, before the prior
    number: np.ndarray  # a shared well-formed ID, BHXH code or other_id
    dob: np.ndarray  # birth-date level
    name: np.ndarray  # 1 equal, 2 reordered, 3 compared by part, 0 missing
    parts: dict[str, np.ndarray]  # surname/middle/given level (P_EQ when names are equal)


def _tf(weights: np.ndarray, codes: np.ndarray) -> np.ndarray:
    if not len(weights):
        return np.zeros(len(codes))
    return np.where(codes >= 0, weights[np.maximum(codes, 0)], 0.0)


def _near_codes(
    ca: np.ndarray, cb: np.ndarray, vocab: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(both present, equal, one edit apart) for two columns of category codes; unequal
    values are compared once per distinct pair."""
    both = (ca >= 0) & (cb >= 0)
    same = both & (ca == cb)
    near = np.zeros(len(ca), dtype=bool)
    rest = np.flatnonzero(both & ~same)
    if len(rest):
        size = np.int64(len(vocab))
        inv, uniq = _factorize(ca[rest] * size + cb[rest])
        ua, ub = vocab[uniq // size].tolist(), vocab[uniq % size].tolist()
        dist = process.cpdist(ua, ub, scorer=OSA.distance, workers=-1)
        near[rest] = (dist <= 1)[inv]
    return both, same, near


# Two unequal addresses are compared in full only where the +3 or -1 they may add
# could move the pair across a threshold, even after the learnt weights (_calibrated)
# move it by up to 4 bits per part: elsewhere they are "not compared" (0 bits).
ADDRESS_BAND = (-9.0, 6.0)  # bits of evidence, less the prior


def _address_levels(
    a: _Arrays, left: np.ndarray, right: np.ndarray, undecided: np.ndarray
) -> np.ndarray:
    """0 missing, 1 the same folded address, 2 nearly the same, 3 different, 4 different
    but not compared (the pair is decided without it, see ``ADDRESS_BAND``).

    Nearly: the same words but some (a ward or province left out), or a few typos (an
    edit similarity of 85 % or more), with the same numbers (house number, hamlet).
    """
    ca, cb = a.address[left], a.address[right]
    lvl = np.zeros(len(left), dtype=np.int8)
    both = (ca >= 0) & (cb >= 0)
    lvl[both & (ca == cb)] = 1
    lvl[both & (ca != cb)] = 4
    rest = np.flatnonzero(both & (ca != cb) & undecided)
    if len(rest):
        size = np.int64(len(a.address_vocab))
        inv, uniq = _factorize(ca[rest] * size + cb[rest])
        xa = a.address_vocab.take(pa.array(uniq // size))
        xb = a.address_vocab.take(pa.array(uniq % size))
        ua, ub = xa.to_pylist(), xb.to_pylist()
        subset = process.cpdist(ua, ub, scorer=fuzz.token_set_ratio, workers=-1) >= 100
        typo = process.cpdist(ua, ub, scorer=fuzz.ratio, workers=-1) >= 85
        # Numbers (house number, hamlet) must agree: "12 Lê Lợi" is not "21 Lê Lợi".
        numbers = np.asarray(
            pc.equal(_numbers(xa), _numbers(xb)).to_numpy(zero_copy_only=False),
            dtype=bool,
        )
        near = (subset | typo) & numbers
        lvl[rest] = np.where(near, 2, 3)[inv]
    return lvl


def _place_levels(
    a: _Arrays, left: np.ndarray, right: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ward, postcode and province compared: a level per field (0 missing, 1 the
    same, 2 one typo apart, 3 different) packed in base 4; whether a ward or postcode is
    the same; the bits of the places that both addresses name, and of the others.

    A place both addresses name counts only where the addresses do not agree: where
    they do, it was counted with them.
    """
    packed = np.zeros(len(left), dtype=np.int64)
    local = np.zeros(len(left), dtype=bool)
    named_bits = np.zeros(len(left))
    other_bits = np.zeros(len(left))
    for f in _PLACE_SCORED:
        packed *= 4
        if f not in a.place:
            continue
        codes, vocab, weights, named = a.place[f]
        cl, cr = codes[left], codes[right]
        both, same, near = _near_codes(cl, cr, vocab)
        near &= ~same
        w_same = _tf(weights, cl)
        w = np.select(
            [same, near, both],
            [w_same, np.maximum(w_same - W_PLACE_NEAR_LESS, 0.0), W_PLACE_DIFF],
            0.0,
        )
        in_both = named[left] & named[right]
        named_bits += np.where(in_both, w, 0.0)
        other_bits += np.where(in_both, 0.0, w)
        packed += np.select([same, near, both], [1, 2, 3], 0)
        if f != "province":
            local |= same
    return packed, local, named_bits, other_bits


def _score(a: _Arrays, left: np.ndarray, right: np.ndarray, prior: float) -> _Scores:
    """Score every candidate pair at once (see the module docstring)."""
    # Identifiers.
    id_same = (a.id_any[left] >= 0) & (a.id_any[left] == a.id_any[right])
    id12_same = id_same & (a.id12[left] >= 0)
    cmnd_same = (a.cmnd[left] >= 0) & (a.cmnd[left] == a.cmnd[right])
    bhxh_both = (a.bhxh[left] >= 0) & (a.bhxh[right] >= 0)
    bhxh_same = bhxh_both & (a.bhxh[left] == a.bhxh[right])
    bhxh_diff = bhxh_both & ~bhxh_same
    o_both, o_same, o_near = _near_codes(a.other[left], a.other[right], a.other_vocab)
    shared = id_same | cmnd_same | bhxh_same | o_same
    exact = np.select(
        [id_same, cmnd_same, bhxh_same, o_same],
        [ID_SAME, CMND_SAME, BHXH_SAME, OTHER_SAME],
        ID_NONE,
    )
    idsim = _id_similarity(a, left, right)
    idsim = np.where(
        (idsim == ID_NONE) & o_both & ~o_same, np.where(o_near, OTHER_ONE, OTHER_DIFF), idsim
    ).astype(np.int8)
    w = prior * shared + _id_weights(prior)[idsim] + W_BHXH_DIFF * bhxh_diff
    method = np.select([id12_same | cmnd_same, bhxh_same], [0, 1], 2).astype(np.int8)

    # Supporting evidence: phone and address.
    pl, pr = a.phone[left], a.phone[right]
    phone = np.select([(pl < 0) | (pr < 0), pl == pr], [0, 1], 2).astype(np.int64)
    w += np.array([0.0, W_PHONE_SAME, W_PHONE_DIFF])[phone]

    # Birth date and gender.
    dob = _dob_levels(a, left, right)
    w += _DOB_WEIGHT[dob]
    gl_, gr_ = a.gender[left], a.gender[right]
    gender = np.select([(gl_ < 0) | (gr_ < 0), gl_ == gr_], [0, 1], 2).astype(np.int64)
    w += np.array([0.0, W_GENDER_SAME, W_GENDER_DIFF])[gender]
    # One number, one person: a shared well-formed ID or BHXH code with a compatible
    # birth date and gender lets a given name one edit off (Sen/Sn, Anh/Ahn, L1nh) count
    # as a typo whatever its length. Twins never share an ID.
    # An ID one digit or one swap away (a mistyped ID) vouches as well.
    vouched = (id12_same | bhxh_same | np.isin(idsim, _ID_NEAR)) & (gender != 2)
    vouched &= np.isin(dob, _DOB_COMPATIBLE)

    # Names.
    nl, nr = a.name[left], a.name[right]
    both_name = (nl >= 0) & (nr >= 0)
    full_eq = both_name & (nl == nr)
    reorder = both_name & ~full_eq & (a.tokens[left] == a.tokens[right])
    sl, ml, gl = a.sur[left], a.mid[left], a.given[left]
    whole = _tf(a.w_sur, sl) + _tf(a.w_mid, ml) + _tf(a.w_given, gl)
    w_name = np.where(full_eq, whole, 0.0) + np.where(reorder, whole + W_REORDER, 0.0)
    name_lvl = np.select([full_eq, reorder, both_name], [1, 2, 3], 0).astype(np.int64)
    veto = np.zeros(len(left), dtype=bool)
    comp = np.flatnonzero(name_lvl == 3)
    if len(comp):
        lc, rc = left[comp], right[comp]
        levels = {}
        for part, codes, vocab, tfw in (
            ("surname", a.sur, a.sur_vocab, a.w_sur),
            ("middle", a.mid, a.mid_vocab, a.w_mid),
            ("given", a.given, a.given_vocab, a.w_given),
        ):
            lvl = _part_levels(codes[lc], codes[rc], vocab, part, vouched[comp])
            levels[part] = lvl
            table = np.zeros(5)
            for level, weight in _PART_WEIGHT[part].items():
                table[level] = weight
            part_w = table[lvl] + np.where(lvl == P_EQ, _tf(tfw, codes[lc]), 0.0)
            w_name[comp] += part_w
        # The twins guard. Behind one national ID or BHXH code a clearly different given
        # name is a twin's or another person's record carrying that number: a person
        # decides (review). A generic extract's own number (other_id) knows no twins:
        # there the score decides.
        generic = (o_same | o_near)[comp] & ~id_same[comp]
        veto[comp] = (levels["given"] == P_DIFF) & ~generic
        name_lvl[comp] = 3 + levels["surname"] * 25 + levels["middle"] * 5 + levels["given"]
        # Surname and given name swapped, with a typo (Jared Meaney / Meaney Jard).
        crossed = np.zeros(len(comp), dtype=bool)
        cand = np.flatnonzero(levels["surname"] == P_DIFF)
        crossed[cand] = _crossed(a, lc[cand], rc[cand])
        if crossed.any():
            at = comp[crossed]
            w_name[at] = whole[at] + W_REORDER + W_GIVEN_TYPO
            name_lvl[at] = 2
            veto[at] = False
            for part in levels:
                levels[part][crossed] = P_TYPO
    w += w_name
    same_address = (a.address[left] >= 0) & (a.address[left] == a.address[right])
    w += np.where(same_address, _tf(a.w_address, a.address[left]), 0.0)
    places, local, named_bits, other_bits = _place_levels(a, left, right)
    w += other_bits + np.where(same_address, 0.0, named_bits)
    band = (w - prior >= ADDRESS_BAND[0]) & (w - prior <= ADDRESS_BAND[1])
    address = _address_levels(a, left, right, band).astype(np.int64)
    w += np.array([0.0, 0.0, W_ADDRESS_NEAR, W_ADDRESS_DIFF, 0.0])[address]
    w -= np.where(address == 2, named_bits, 0.0)  # nearly the same address names them too
    parts = {part: np.full(len(left), P_NONE, dtype=np.int8) for part in _PART_WEIGHT}
    for part, codes in (("surname", a.sur), ("middle", a.mid), ("given", a.given)):
        present = (codes[left] >= 0) & (codes[right] >= 0)
        parts[part][(full_eq | reorder) & present] = P_EQ
        if len(comp):
            parts[part][comp] = levels[part]

    score = 1.0 / (1.0 + np.exp2(-(w - prior)))
    reason = exact.astype(np.int64)
    for values, size in (
        (idsim, N_ID_LEVELS),
        (bhxh_diff, 2),
        (name_lvl, N_NAME_LEVELS),
        (dob, len(_DOB_LEVELS)),
        (gender, 3),
        (phone, 3),
        (address, 5),
        (places, 4 ** len(_PLACE_SCORED)),
    ):
        reason = reason * size + values
    near = np.isin(idsim, (ID_ONE, ID_SWAP, ID_PLACE, ID_TWO, OTHER_ONE))
    # Two different IDs, each consistent with its own record, are two people unless
    # something else ties them: the same phone or address (or a shared BHXH code).
    support = (phone == 1) | (address == 1)
    weak = ~shared & (dob == D_NONE) & ~near & ~support & ~local
    apart = (idsim == ID_DIFF) & ~shared & ~support
    return _Scores(
        score=score,
        method=method,
        shared=shared,
        veto=veto,
        weak=weak,
        apart=apart,
        reason=reason,
        w=w,
        number=id12_same | bhxh_same | o_same,
        dob=dob,
        name=name_lvl,
        parts=parts,
    )


def _crossed(a: _Arrays, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Each side's surname within one edit of the other's given name, and the reverse."""
    out = np.zeros(len(left), dtype=bool)
    sl, gr = a.sur[left], a.given[right]
    gl, sr = a.given[left], a.sur[right]
    ok = np.flatnonzero((sl >= 0) & (gr >= 0) & (gl >= 0) & (sr >= 0))
    if not len(ok):
        return out
    x = process.cpdist(
        a.sur_vocab[sl[ok]].tolist(), a.given_vocab[gr[ok]].tolist(), scorer=OSA.distance
    )
    y = process.cpdist(
        a.given_vocab[gl[ok]].tolist(), a.sur_vocab[sr[ok]].tolist(), scorer=OSA.distance
    )
    out[ok] = (x <= 1) & (y <= 1)
    return out


# The disagreement levels whose weights are learnt from the input itself (below): how
# often two records of one person disagree there differs from system to system.
U_DISAGREE = 0.9  # how often two different people disagree on a part, roughly
M_PSEUDO = 500.0  # the default weight counts as this many pairs
MIN_TRAINING = 200


def _calibrated(sc: _Scores, prior: float, scored: np.ndarray) -> np.ndarray:
    """Scores with the disagreement weights estimated from pairs that are one person
    beyond doubt, as Splink estimates m from a deterministic rule.

    Name parts learn from pairs sharing a number and their full birth date; the birth
    date learns from pairs sharing a number and their name. Each weight becomes
    ``log2(m / u)``, where m is the share of disagreeing training pairs, smoothed towards
    the default by ``M_PSEUDO`` pairs, and stays within 2 bits below and 4 bits above
    its default, and below -1: a disagreement never counts for a link, and a noisy
    input never makes one nearly free. Only ``scored`` pairs teach (not the copies
    of identical records). With fewer than ``MIN_TRAINING`` pairs, nothing changes.
    """
    delta = np.zeros(len(sc.w))
    sure = sc.number & scored

    def learn(levels: np.ndarray, level: int, default: float, among: np.ndarray) -> None:
        n = int(among.sum())
        if n < MIN_TRAINING:
            return
        k = int((among & (levels == level)).sum())
        m_default = U_DISAGREE * 2.0**default
        m = (k + M_PSEUDO * m_default) / (n + M_PSEUDO)
        learnt = float(np.clip(np.log2(m / U_DISAGREE), default - 2.0, min(default + 4.0, -1.0)))
        delta[levels == level] += learnt - default

    by_date = sure & (sc.dob == D_EXACT)
    for part, weights in _PART_WEIGHT.items():
        levels = sc.parts[part]
        learn(levels, P_DIFF, weights[P_DIFF], by_date & (levels != P_NONE))
    by_name = sure & (sc.name == 1)
    dated = by_name & (sc.dob != D_NONE)
    learn(sc.dob, D_DIFFERENT, W_DOB["different"], dated)
    learn(sc.dob, D_SAME_YEAR, W_DOB["same_year"], dated)
    return 1.0 / (1.0 + np.exp2(-(sc.w + delta - prior)))


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


# --- persons -----------------------------------------------------------------------------


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected components by hooking and pointer jumping: each record's smallest member."""
    parent = np.arange(n, dtype=np.int64)
    u, v = left, right
    while len(u):
        pu, pv = parent[u], parent[v]
        keep = pu != pv
        if not keep.any():
            break
        u, v, pu, pv = u[keep], v[keep], pu[keep], pv[keep]
        np.minimum.at(parent, np.maximum(pu, pv), np.minimum(pu, pv))
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
    return parent


def _conflict(a: _Arrays, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """0 none; 1 different well-formed IDs that cannot be one person; 2 different IDs, one
    extract.

    IDs one digit apart, or with two neighbouring digits swapped, count as one ID
    mistyped. Different IDs cannot be one person when the birth dates differ, or when
    both IDs are consistent with their own records and neither phone nor address ties
    the two records.
    """
    ids = (a.id12[ia] >= 0) & (a.id12[ib] >= 0) & (a.id12[ia] != a.id12[ib])
    sim = _id_similarity(a, ia, ib)
    ids &= ~np.isin(sim, _ID_NEAR)
    same_src = a.src[ia] == a.src[ib]
    dob_bad = ~np.isin(_dob_levels(a, ia, ib), _DOB_COMPATIBLE)
    pa_, pb_ = a.phone[ia], a.phone[ib]
    tied = ((pa_ >= 0) & (pa_ == pb_)) | ((a.address[ia] >= 0) & (a.address[ia] == a.address[ib]))
    two_people = (sim == ID_DIFF) & ~tied
    return np.select([ids & same_src, ids & (dob_bad | two_people)], [2, 1], 0).astype(np.int8)


def _guard(
    a: _Arrays, left: np.ndarray, right: np.ndarray, score: np.ndarray, method: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Components of the links, minus the links that would chain different people.

    Returns the component root of every record and, per link, 0 (kept) or the conflict
    kind that rejected it.
    """
    labels = _components(a.n, left, right)
    rejected = np.zeros(len(left), dtype=np.int8)
    has_id = np.flatnonzero(a.id12 >= 0)
    if not len(has_id) or not len(left):
        return labels, rejected
    # Components holding two or more different IDs are suspects; check them pairwise.
    # Sorted by component then ID: a component with two IDs has a change of ID inside.
    order = np.lexsort((a.id12[has_id], labels[has_id]))
    lab, ids = labels[has_id][order], a.id12[has_id][order]
    suspects = _distinct(lab[1:][(lab[1:] == lab[:-1]) & (ids[1:] != ids[:-1])])
    if not len(suspects):
        return labels, rejected
    members = has_id[np.isin(labels[has_id], suspects)]
    key = np.full(a.n, -1, dtype=np.int64)
    key[members] = labels[members]
    ia, ib, _, _ = _block_pairs(key, CAP_GUARD)
    kinds = _conflict(a, ia, ib)
    sizes = np.bincount(labels[members], minlength=a.n)
    bad = np.zeros(a.n, dtype=bool)
    bad[labels[ia[kinds > 0]]] = True
    bad[np.flatnonzero(sizes > CAP_GUARD)] = True
    if not bad.any():
        return labels, rejected
    # Rebuild the conflicting components greedily, strongest links first.
    edges = np.flatnonzero(bad[labels[left]])
    edges = edges[np.lexsort((method[edges], -score[edges]))]
    parent: dict[int, int] = {}
    anchors: dict[int, list[int]] = {}

    def find(x: int) -> int:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    for e in edges.tolist():
        ru, rv = find(int(left[e])), find(int(right[e]))
        if ru == rv:
            continue
        au = anchors.get(ru, [ru] if a.id12[ru] >= 0 else [])
        av = anchors.get(rv, [rv] if a.id12[rv] >= 0 else [])
        if au and av:
            xa = np.repeat(np.array(au, dtype=np.int64), len(av))
            xb = np.tile(np.array(av, dtype=np.int64), len(au))
            kind = _conflict(a, xa, xb).max()
            if kind:
                rejected[e] = kind
                continue
        parent[rv] = ru
        anchors[ru] = au + av
        anchors.pop(rv, None)
    nodes = np.flatnonzero(bad[labels])
    labels = labels.copy()
    labels[nodes] = [find(int(x)) for x in nodes.tolist()]
    return labels, rejected


def _hashes(texts: list[str]) -> np.ndarray:
    """``P`` + the first 12 hex digits of the keyed digest of each text."""
    # Keyed, so that a person_id cannot be turned back into the ID it came from.
    return np.array(["P" + d[:12] for d in keyed_digests(texts)], dtype=object)


def _group_min(comp: np.ndarray, values: np.ndarray, mask: np.ndarray, size: int) -> np.ndarray:
    out = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, comp[mask], values[mask])
    return out


def _padded(values: np.ndarray, width: int, prefix: str = "") -> list[str]:
    """Numbers as zero-padded text (with a prefix), in one Arrow pass."""
    text = pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), width, "0")
    if prefix:
        text = pc.binary_join_element_wise(prefix, text, "")
    return text.to_pylist()


def _person_ids(records: pd.DataFrame, a: _Arrays, labels: np.ndarray) -> np.ndarray:
    """A stable ``person_id`` per record (see the module docstring)."""
    comp, _ = pd.factorize(labels)
    comp = np.asarray(comp, dtype=np.int64)
    size = int(comp.max()) + 1 if len(comp) else 0
    none = np.iinfo(np.int64).max
    ref_id = _group_min(comp, a.id12, (a.id12 >= 0) & a.reference, size)
    any_id = _group_min(comp, a.id12, a.id12 >= 0, size)
    cmnd = _group_min(comp, a.cmnd, a.cmnd >= 0, size)
    bhxh = _group_min(comp, a.bhxh, a.bhxh >= 0, size)
    number = np.where(ref_id != none, ref_id, any_id)
    # What the person_id hashes: 0 an ID, 1 a CMND, 2 a BHXH code, 3 a name and date.
    kind = np.select([number != none, cmnd != none, bhxh != none], [0, 1, 2], 3)
    value = np.select([kind == 0, kind == 1, kind == 2], [number, cmnd, bhxh], -1)
    base = np.empty(size, dtype=object)
    for k, width, prefix in ((0, 12, ""), (1, 9, "cmnd:"), (2, 10, "bhxh:")):
        where = np.flatnonzero(kind == k)
        base[where] = _padded(value[where], width, prefix)

    def label_of(idx: np.ndarray) -> list[str]:
        """Folded name and birth date ("name|y-m-d") of records, for the few that need it."""
        sub = records.iloc[idx]
        dob = (
            sub["dob_year"].astype("string").fillna("")
            + "-"
            + sub["dob_month"].astype("string").fillna("")
            + "-"
            + sub["dob_day"].astype("string").fillna("")
        )
        return (sub["name_key"].fillna("") + "|" + dob).tolist()

    by_name = kind == 3
    if by_name.any():
        idx = np.flatnonzero(by_name[comp])
        name_min: dict[int, str] = {}
        for c, text in zip(comp[idx].tolist(), label_of(idx), strict=True):
            if c not in name_min or text < name_min[c]:
                name_min[c] = text
        for c, text in name_min.items():
            base[c] = "name:" + text
    ids = _hashes(base.tolist())

    # Persons with one base (a number two persons share, not linked): -2, -3 … in a
    # content order. Numbers are compared as numbers, names as text.
    key = kind.astype(np.int64) * np.int64(10**13) + value
    dup = np.zeros(size, dtype=bool)
    numeric = np.flatnonzero(~by_name)
    order = numeric[np.argsort(key[numeric], kind="stable")]
    same = key[order][1:] == key[order][:-1]
    dup[order[1:][same]] = dup[order[:-1][same]] = True
    if by_name.any():
        named = np.flatnonzero(by_name)
        dup[named] = pd.Series(base[named], dtype=object).duplicated(keep=False).to_numpy()
    if dup.any():
        _number_suffixes(records, a, comp, base, ids, dup, label_of)
    return ids[comp]


def _number_suffixes(
    records: pd.DataFrame,
    a: _Arrays,
    comp: np.ndarray,
    base: np.ndarray,
    ids: np.ndarray,
    dup: np.ndarray,
    label_of: Callable[[np.ndarray], list[str]],
) -> None:
    """Tell apart the persons in ``dup`` that share a base: ``-2``, ``-3`` … in place."""
    rec = np.flatnonzero(dup[comp])
    texts = label_of(rec)
    sources = records["source"].iloc[rec].astype(str).tolist()
    rows = records["row"].iloc[rec].tolist()
    info: dict[int, list] = {}
    for r, c, t, s, w in zip(rec.tolist(), comp[rec].tolist(), texts, sources, rows, strict=True):
        holds = a.id12[r] >= 0 and base[c] == f"{a.id12[r]:012d}"
        cur = info.setdefault(c, [0, 0, "\uffff", ("\uffff", 0)])
        cur[0] -= int(holds and a.reference[r])  # holds the number in the reference
        cur[1] -= int(holds)  # holds it on more records
        cur[2] = min(cur[2], t)
        cur[3] = min(cur[3], (s, int(w)))
    groups: dict[str, list[int]] = {}
    for c in info:
        groups.setdefault(base[c], []).append(c)
    for members in groups.values():
        members.sort(key=lambda c: info[c])
        for k, c in enumerate(members[1:], start=2):
            ids[c] = f"{ids[c]}-{k}"


# --- the whole -------------------------------------------------------------------------


def _pairs_frame(
    left: np.ndarray,
    right: np.ndarray,
    method: np.ndarray,
    score: np.ndarray,
    reason: pd.Categorical,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "left": left.astype(np.int64),
            "right": right.astype(np.int64),
            "method": pd.Categorical.from_codes(method.astype(np.int64), pd.Index(list(METHODS))),
            "score": score.astype(float),
            "reason": reason,
        }
    )


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


def link(
    records: pd.DataFrame,
    *,
    threshold: float = 0.85,
    review_threshold: float = 0.70,
    reference: int | None = None,
    twins_guard: bool = True,
) -> LinkResult:
    """Link the records of ``load_records`` into persons (see the module docstring).

    Args:
        threshold: the score from which a pair is linked.
        review_threshold: the score from which an unlinked pair goes to ``review``.
        reference: the ``src`` of the reference extract; None takes every ``dancu``
            extract as the reference. It decides ``person_id`` only.
        twins_guard: keep records whose given names clearly differ out of links
            (review at most) unless they share a number. Off only for lists known to
            hold no twins (one record per person in each, such as FEBRL's): then the
            score decides.
    """
    if not 0.0 <= review_threshold <= threshold <= 1.0:
        raise ValueError("thresholds must satisfy 0 <= review_threshold <= threshold <= 1")
    started = time.perf_counter()
    stats: dict[str, object] = {"records": len(records)}
    records = records.reset_index(drop=True)
    a = _arrays(records, reference)
    same_as = _identical(a)
    copies = np.flatnonzero(same_as != np.arange(a.n))
    stats["identical_records"] = int(len(copies))
    left, right = _candidates(a, stats, same_as == np.arange(a.n))
    stats["seconds_blocking"] = round(time.perf_counter() - started, 3)
    prior = offset(len(records))
    stats["offset_bits"] = round(prior, 2)
    # Identical records are one person: each copy joins its first record unscored.
    n_scored = len(left)
    left = np.concatenate([left, same_as[copies]])
    right = np.concatenate([right, copies])
    sc = _score(a, left, right, prior)
    star = np.zeros(len(left), dtype=bool)
    star[n_scored:] = True
    sc.score = _calibrated(sc, prior, ~star)
    sc.score[star] = 1.0
    sc.veto[star] = sc.weak[star] = sc.apart[star] = False
    if not twins_guard:
        sc.veto[:] = False
    stats["seconds_scoring"] = round(time.perf_counter() - started, 3)

    linked = (sc.score >= threshold) & ~sc.veto & ~sc.weak & ~sc.apart
    band = (sc.score >= review_threshold) & ~sc.veto & ~sc.apart & ~linked
    band |= sc.veto & sc.shared & (sc.score >= review_threshold)
    li = np.flatnonzero(linked)
    labels, rejected = _guard(a, left[li], right[li], sc.score[li], sc.method[li])
    kept = li[rejected == 0]
    refused = li[rejected > 0]
    stats["guard_rejected"] = int(len(refused))
    stats["kept_apart"] = int((sc.apart & (sc.score >= review_threshold)).sum())

    rv = np.sort(np.concatenate([np.flatnonzero(band), refused]))
    rv = rv[labels[left[rv]] != labels[right[rv]]]  # already one person through others
    notes = np.zeros(len(left), dtype=np.int64)
    notes[sc.weak & (sc.score >= threshold)] = 4
    notes[sc.veto] = 1
    notes[refused] = np.where(rejected[rejected > 0] == 2, 3, 2)

    links = _pairs_frame(
        left[kept],
        right[kept],
        sc.method[kept],
        sc.score[kept],
        _reasons(sc.reason[kept], notes[kept]),
    )
    review = _pairs_frame(
        left[rv], right[rv], sc.method[rv], sc.score[rv], _reasons(sc.reason[rv], notes[rv])
    )
    person_id = _person_ids(records, a, labels)
    persons = pd.DataFrame(
        {
            "record": np.arange(len(records), dtype=np.int64),
            "source": records["source"].array,
            "row": records["row"].to_numpy(dtype=np.int64),
            "person_id": pd.array(person_id, dtype=_STRING),
        }
    )
    stats["links"] = int(len(kept))
    stats["review"] = int(len(rv))
    stats["persons"] = int(len(_distinct(labels)))
    stats["seconds"] = round(time.perf_counter() - started, 3)
    return LinkResult(links=links, review=review, persons=persons, stats=stats)
