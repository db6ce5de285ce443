"""The agreement level of each compared field, for every candidate pair at once.

Name parts (equal, a typo, a dropped middle name, different; surname and given name
crossed), birth dates (exact, swapped, imprecise, …), two different IDs (one digit, a
swap, the place code, two digits, more), phone numbers, addresses and places. Unequal
values are compared once per distinct pair of values, with rapidfuzz's batch scorers.

May import: numpy, pyarrow, rapidfuzz and, of ``cleanse.link``, ``arrays`` and
``weights``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from cleanse.link.arrays import _Arrays, _factorize
from cleanse.link.weights import (
    _PLACE_SCORED,
    D_BOTH_IMPRECISE,
    D_BOTH_IMPRECISE_MONTH,
    D_DIFFERENT,
    D_EXACT,
    D_NONE,
    D_ONE_IMPRECISE,
    D_SAME_DAY_MONTH,
    D_SAME_MONTH,
    D_SAME_YEAR,
    D_SWAP,
    ID_DIFF,
    ID_DIFF_BAD,
    ID_DIFF_ODD,
    ID_NONE,
    ID_ONE,
    ID_PLACE,
    ID_SWAP,
    ID_TWO,
    P_DIFF,
    P_EQ,
    P_NONE,
    P_SUBSET,
    P_TYPO,
    SURNAME_CONFUSIONS,
    W_PLACE_DIFF,
    W_PLACE_NEAR_LESS,
)


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
    """Birth-date agreement level of each pair (see docs/linking.md)."""
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


def _numbers(addresses: pa.Array) -> pa.Array:
    """The words of each address that are numbers ("so 12 ... 3" -> "12 3")."""
    # Words holding anything but digits go; what is left is the address's numbers.
    nums = pc.replace_substring_regex(addresses, r"(^| )[^ ]*[^0-9 ][^ ]*", "")
    return pc.utf8_trim_whitespace(nums)


def _address_levels(
    a: _Arrays, left: np.ndarray, right: np.ndarray, undecided: np.ndarray
) -> np.ndarray:
    """0 missing, 1 the same folded address, 2 nearly the same, 3 different, 4 different
    but not compared (the pair is decided without it, see ``scoring.ADDRESS_BAND``).

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
