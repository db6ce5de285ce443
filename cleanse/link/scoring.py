"""The score of each candidate pair, and the weights learnt from the input.

``_score`` adds up the weights of a pair's levels (``levels``, ``weights``) against the
prior (``offset``), packs the levels into a reason code (``reasons`` words it), and
flags what the rules on top of the score need: the twins guard's veto, names alone,
different consistent IDs. ``_calibrated`` re-estimates the disagreement weights from
pairs that are one person beyond doubt.

May import: the standard library, numpy and, of ``cleanse.link``, ``arrays``, ``levels``
and ``weights``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cleanse.link.arrays import _Arrays
from cleanse.link.levels import (
    _address_levels,
    _crossed,
    _dob_levels,
    _id_similarity,
    _near_codes,
    _part_levels,
    _place_levels,
    _tf,
)
from cleanse.link.weights import (
    _DOB_COMPATIBLE,
    _DOB_LEVELS,
    _DOB_WEIGHT,
    _ID_NEAR,
    _PART_WEIGHT,
    _PLACE_SCORED,
    BELOW_ID_ONE,
    BELOW_ID_PLACE,
    BELOW_ID_TWO,
    BHXH_SAME,
    CMND_SAME,
    D_DIFFERENT,
    D_EXACT,
    D_NONE,
    D_SAME_YEAR,
    ID_DIFF,
    ID_DIFF_BAD,
    ID_DIFF_ODD,
    ID_NONE,
    ID_ONE,
    ID_PLACE,
    ID_SAME,
    ID_SWAP,
    ID_TWO,
    MIN_OFFSET,
    N_ID_LEVELS,
    N_NAME_LEVELS,
    OTHER_DIFF,
    OTHER_ONE,
    OTHER_SAME,
    P_DIFF,
    P_EQ,
    P_NONE,
    P_TYPO,
    W_ADDRESS_DIFF,
    W_ADDRESS_NEAR,
    W_BHXH_DIFF,
    W_DOB,
    W_GENDER_DIFF,
    W_GENDER_SAME,
    W_GIVEN_TYPO,
    W_ID_DIFF,
    W_ID_DIFF_MALFORMED,
    W_OTHER_DIFF,
    W_PHONE_DIFF,
    W_PHONE_SAME,
    W_REORDER,
)


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


# Two unequal addresses are compared in full only where the +3 or -1 they may add
# could move the pair across a threshold, even after the learnt weights (_calibrated)
# move it by up to 4 bits per part: elsewhere they are "not compared" (0 bits).
ADDRESS_BAND = (-9.0, 6.0)  # bits of evidence, less the prior


def _score(a: _Arrays, left: np.ndarray, right: np.ndarray, prior: float) -> _Scores:
    """Score every candidate pair at once (see docs/linking.md)."""
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
