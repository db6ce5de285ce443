"""The numbers of the linking model (docs/linking.md): levels and their weights in bits.

The prior's floor, the weights of identifiers, phone, address, places, name parts,
birth dates and gender, the term-frequency priors of name parts, the level codes of
identifiers, name parts and birth dates (each birth-date level with its weight, whether
it is compatible, and its words), and the ``method`` names of a link. Plain constants:
``levels`` sets the levels, ``scoring`` adds up their weights, ``reasons`` words them.

May import: numpy, ``cleanse.normalise`` and ``cleanse.reference`` (the surname shares);
no module of ``cleanse.link``.
"""

from __future__ import annotations

import numpy as np

from cleanse.normalise import fold_scalar
from cleanse.reference import reference

# The method of a link: ``_score`` gives its index.
METHODS = ("id", "bhxh", "fuzzy")


# --- weights (bits); see docs/linking.md ----------------------------------------------

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
# name counts only when the addresses do not agree (see ``levels._place_levels``).
W_PLACE_SAME_MAX = {"ward": 8.0, "postcode": 8.0, "province": 4.0}
W_PLACE_NEAR_LESS, W_PLACE_DIFF = 3.0, -1.0
_PLACE_SCORED = ("ward", "postcode", "province")  # the keys of W_PLACE_SAME_MAX, in order
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
    D_NONE, D_EXACT, D_SWAP, D_BOTH_IMPRECISE_MONTH, D_BOTH_IMPRECISE, D_ONE_IMPRECISE,
    D_SAME_MONTH, D_SAME_DAY_MONTH, D_SAME_YEAR, D_DIFFERENT,
) = range(len(_DOB_LEVELS))  # fmt: skip
W_DOB = {name: weight for name, weight, _, _ in _DOB_LEVELS[1:]}
_DOB_WEIGHT = np.array([weight for _, weight, _, _ in _DOB_LEVELS])
_DOB_COMPATIBLE = tuple(i for i, (_, _, same, _) in enumerate(_DOB_LEVELS) if same)


# The weight of a name part's disagreement levels (an agreeing part weighs its tf).
_PART_WEIGHT = {
    "surname": {P_TYPO: W_SUR_TYPO, P_DIFF: W_SUR_DIFF},
    "middle": {P_SUBSET: W_MID_SUBSET, P_TYPO: W_MID_TYPO, P_DIFF: W_MID_DIFF},
    "given": {P_TYPO: W_GIVEN_TYPO, P_DIFF: W_GIVEN_DIFF},
}
# name level: 0 missing, 1 equal, 2 reordered, 3 + the parts' levels in base 5
N_NAME_LEVELS = 3 + 125
