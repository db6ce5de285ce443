"""The population: ``_People``, one entry per person in whole arrays.

``_draw_people`` draws genders, birth and death dates, homonym pairs, and who is in
which extract (with the reconcile stories: people missing from dân cư, the dead still
paid, conflicting IDs); ``names`` names them; ``_describe_people`` gives them ethnicity,
IDs, BHXH codes, old CMND numbers, phones and addresses (places).

May import ``layout``, ``tables``, ``arrays``, ``dates`` and cleanse's reference data
(``cleanse.reference``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.reference import reference
from cleanse.sample import tables as nm
from cleanse.sample.arrays import (
    _count,
    _digits,
    _norm,
    _pick,
    _take,
    _unique_ints,
    _weighted_pick,
)
from cleanse.sample.dates import _add_years, _age, _day, _first_of_month, _ymd
from cleanse.sample.layout import (
    DISABLED,
    DISABLED_SEVERE,
    ELDERLY,
    GENDER_TEXT,
    ORPHAN,
    RATES,
    SINGLE_PARENT,
)

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


def _age_p() -> np.ndarray:
    p = np.zeros(101)
    for band, share in enumerate(_AGE_BANDS):
        ages = range(band * 5, min(band * 5 + 5, 101) if band < 19 else 101)
        for a in ages:
            p[a] = share / len(ages)
    return p / p.sum()


# The kind of name a person has (``_People.kind``): Kinh-style, or of the Central
# Highlands (Ê-đê men, Ê-đê women, Gia-rai women); ``names`` draws them.
_KINH, _EDE_MALE, _EDE_FEMALE, _JRAI_FEMALE = 0, 1, 2, 3


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
    # Folded name and shown birth date as one number (``names._name_people``), and how.
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

    # Homonyms: pairs of people of one gender born on the same day (``names._name_people``
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
