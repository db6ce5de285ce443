"""The injected errors of every kind and their shares.

The shares: ``CASE_RATES`` for the planted linking cases (``cases``), the default and
the largest ``error_rate``, and ``_Cases`` that counts a case's rows at a scale.
``_inject`` gives each validate rule its own rows in an extract, one error a row (IDs,
names, genders, birth dates, BHXH codes, deaths, empty fields, shared numbers), then the
planted gender words, second BHXH books and duplicated rows.

May import ``layout``, ``dates``, ``spelling``, ``people``, ``extracts`` and cleanse's
reference data (``cleanse.reference``).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.reference import reference
from cleanse.sample.dates import _fmt, _parse
from cleanse.sample.extracts import _Extract, _Make
from cleanse.sample.layout import BHXH, BTXH, DANCU, HOTICH, KHAI_TU
from cleanse.sample.people import _KINH, _People
from cleanse.sample.spelling import (
    _canonical,
    _mojibake,
    _normal_name,
    _strip_accents,
    _title,
    _undo_mojibake,
)

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

# Words for a gender outside Nam/Nữ, M/F, male/female, seen in sector extracts: not the
# SPEC values, so `gender.invalid`, with the value they plainly mean suggested.
GENDER_WORDS = {
    "Nam": ("Trai", "Con trai", "Nam giới", "nam giới", "NAM GIỚI", "trai"),
    "Nữ": ("Gái", "Con gái", "Nữ giới", "nữ giới", "NỮ GIỚI", "gái"),
}


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
    """Add copies of the rows orig (``extracts._finish`` puts each at a random later position);
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
