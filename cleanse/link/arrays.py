"""The records as plain numpy arrays for linking (``_Arrays``, made by ``_arrays``).

Numbers as int64, names, addresses and places as category codes with the weight of
agreeing on each value (rarer values weigh more), birth dates as day, month and year
with their precision; and the numpy helpers every step shares (``_distinct``,
``_factorize``).

May import: the standard library, numpy, pandas, pyarrow, rapidfuzz, ``cleanse.normalise`` and, of
``cleanse.link``, ``records`` and ``weights``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

from cleanse.link.records import PLACE_FIELDS
from cleanse.link.weights import (
    GIVEN_PRIOR,
    M_TOKEN,
    MIDDLE_PRIOR,
    MIDDLE_PRIOR_OTHER,
    SURNAME_PRIOR,
    SURNAME_PRIOR_OTHER,
    TF_FLOOR,
    TF_PRIOR_WEIGHT,
    W_ADDRESS_SAME_MAX,
    W_ADDRESS_SAME_MIN,
    W_PLACE_SAME_MAX,
)
from cleanse.normalise import PRECISION_FULL, PRECISION_MONTH, to_arrow


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
    """``log2(0.95 / tf)`` per category, tf smoothed towards the prior (see docs/linking.md)."""
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
