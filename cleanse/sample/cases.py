"""The planted linking cases of the sector extracts: records that carry another
person's ID, mistyped IDs with a name typo, and given names one edit off (in the shapes
of ``TYPO_SHAPES``), at the shares of ``injection.CASE_RATES``.

May import ``arrays``, ``people``, ``extracts``, ``injection`` and cleanse's reference
data (``cleanse.reference``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import numpy as np

from cleanse.reference import reference
from cleanse.sample.arrays import _norm
from cleanse.sample.extracts import _Extract
from cleanse.sample.injection import CASE_RATES, _Cases
from cleanse.sample.people import _KINH, _People

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
