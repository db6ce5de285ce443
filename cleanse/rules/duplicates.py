"""Duplicates within one file: ``id.duplicate``, ``bhxh.duplicate``, ``record.duplicate``.

These rules see the whole file, so each chunk gives compact keys (numbers and 64-bit
hashes, a few dozen bytes a row) to a collector that reports at the end. A person is
described by the folded name, the birth date and the gender (plus the event in civil-status
files, where one person has a birth and a marriage row). One person on two rows with one
ID and two BHXH codes holds two BHXH books: a ``record.duplicate`` naming ``bhxh_code``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.normalise import name_key, to_arrow
from cleanse.rules import file_rule

file_rule(
    "id.duplicate",
    severity="error",
    field="id_number",
    vi="một số định danh trên dòng của những người khác nhau",
    en="one ID number on rows of different persons",
)
file_rule(
    "bhxh.duplicate",
    severity="error",
    field="bhxh_code",
    vi="một mã số BHXH trên dòng của những người khác nhau",
    en="one BHXH code on rows of different persons",
)
file_rule(
    "record.duplicate",
    severity="error",
    field="",
    vi="cùng một người xuất hiện trên nhiều dòng (báo ở các dòng sau dòng đầu)",
    en="the same person on more than one row (reported after the first)",
    variants=(
        (
            "bhxh_code",
            "cùng một người có hai sổ BHXH (mã khác nhau): cần gộp sổ",
            "one person with two BHXH books (different codes): the books are to be merged",
        ),
    ),
)


def _hash(values: pd.Series) -> np.ndarray:
    """64-bit hashes of text, 0 for NA."""
    hashed = pd.util.hash_pandas_object(values, index=False).to_numpy()
    return np.where(values.isna().to_numpy(), np.uint64(0), hashed | np.uint64(1))


def _number(digits: pd.Series, lengths: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Digit strings as (int64 value, length) for comparison; (-1, 0) where unusable.

    ``lengths`` maps each usable length to the length it stands for: a 10- or 11-digit
    ID is the 12-digit ID whose leading zeros a spreadsheet dropped (the integer value is
    the same), so the two compare equal. Other lengths are malformed: (-1, 0).
    """
    arr = to_arrow(digits)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    length = pc.fill_null(pc.utf8_length(arr), 0).to_numpy(zero_copy_only=False)
    table = np.zeros(max(lengths) + 2, dtype=np.int64)
    for have, means in lengths.items():
        table[have] = means
    as_len = table[np.minimum(length, len(table) - 1)]
    ok = pa.array(as_len > 0)
    value = pc.cast(pc.if_else(ok, arr, pa.scalar("-1", arr.type)), pa.int64())
    return value.to_numpy(zero_copy_only=False), as_len


# Lengths that mean a number (and the length they stand for, zeros restored).
_ID_LENGTHS = {9: 9, 10: 12, 11: 12, 12: 12}
# An 11-digit BHXH value may be an ID that lost a zero or a code with a stray digit:
# it is left malformed.
_BHXH_LENGTHS = {9: 10, 10: 10, 12: 12}


def _dob_key(chunk: pd.DataFrame) -> np.ndarray:
    """The birth date as read (12/05/1985 = 1985-05-12), or a hash of unreadable text."""
    year = chunk["dob_year"].fillna(0).astype("int64").to_numpy()
    month = chunk["dob_month"].fillna(0).astype("int64").to_numpy()
    day = chunk["dob_day"].fillna(0).astype("int64").to_numpy()
    parsed = year * 10000 + month * 100 + day
    raw = _hash(chunk["dob"]) if "dob" in chunk.columns else np.zeros(len(chunk), np.uint64)
    unread = (raw >> np.uint64(1)).astype("int64") | np.int64(1 << 40)
    return np.where(parsed > 0, parsed, np.where(raw > 0, unread, 0))


def chunk_keys(chunk: pd.DataFrame) -> dict[str, np.ndarray]:
    """The compact keys of one prepared chunk (a pure function: any thread may run it)."""
    keys: dict[str, np.ndarray] = {}
    ident, ident_len = _number(chunk["id_digits"], _ID_LENGTHS)
    keys["id"], keys["id_len"] = ident, ident_len.astype("int8")
    if "bhxh_code" in chunk.columns:
        code, code_len = _number(chunk["bhxh_digits"], _BHXH_LENGTHS)
        keys["bhxh"], keys["bhxh_len"] = code, code_len.astype("int8")
    keys["name"] = _hash(chunk["name_key"])
    keys["dob"] = _dob_key(chunk)
    gender = chunk["gender_code"].map({"M": 1, "F": 2}).fillna(0).astype("int8")
    keys["gender"] = gender.to_numpy()
    if "event" in chunk.columns:
        keys["event"] = _hash(name_key(chunk["event"]))
    return keys


class DuplicateCollector:
    """Collect compact keys chunk by chunk; report the three duplicate rules at the end.

    Keys are plain numpy arrays, about 22 bytes a row for a population extract (ID and
    its length, name hash, birth date, gender; BHXH code and event only where the file
    has them), so a 10-million-row file needs a few hundred MB for them. At the end,
    sorting finds the rows whose number or person key occurs more than once: only those
    few become a frame for the grouping logic.
    """

    def __init__(self) -> None:
        self._parts: dict[str, list[np.ndarray]] = {}

    def extend(self, keys: dict[str, np.ndarray]) -> None:
        """Take keys made by :func:`chunk_keys` (chunks arrive in row order)."""
        for name, values in keys.items():
            self._parts.setdefault(name, []).append(values)

    def findings(self) -> pd.DataFrame:
        """``row, rule, field, value, related_row`` for every duplicate in the file."""
        columns = ["row", "rule", "field", "value", "related_row"]
        if not self._parts:
            return pd.DataFrame(columns=columns)
        # Join one key at a time, dropping its chunks as it goes: no second copy of all.
        cols = {k: np.concatenate(self._parts.pop(k)) for k in list(self._parts)}
        n = len(cols["id"])
        candidates = _repeated(cols["id"] * 16 + cols["id_len"], cols["id"] >= 0)
        if "bhxh" in cols:
            candidates |= _repeated(cols["bhxh"] * 16 + cols["bhxh_len"], cols["bhxh"] >= 0)
        person = (cols["name"] != 0) & (cols["dob"] != 0) & (cols["gender"] != 0)
        candidates |= _repeated(_person_hash(cols), person)
        del person
        at = np.flatnonzero(candidates)
        if "bhxh" not in cols:
            cols["bhxh"], cols["bhxh_len"] = np.full(n, -1, np.int64), np.zeros(n, np.int8)
        if "event" not in cols:
            cols["event"] = np.ones(n, np.uint64)
        keys = pd.DataFrame({k: v[at] for k, v in cols.items()})
        keys.insert(0, "row", at + 1)
        del cols
        parts = [
            _shared_number(keys, "id", "id.duplicate", "id_number"),
            _shared_number(keys, "bhxh", "bhxh.duplicate", "bhxh_code"),
            _same_person(keys),
        ]
        return pd.concat(
            [p for p in parts if len(p)] or [pd.DataFrame(columns=columns)], ignore_index=True
        )[columns]


def _repeated(key: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """True on every valid position whose key occurs at another valid position.

    Sorts one copy of the valid keys and looks the repeated values up again, which
    needs far less memory than an argsort of the whole column.
    """
    ordered = np.sort(key[valid])
    repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    del ordered
    out = np.zeros(len(key), dtype=bool)
    if len(repeated):
        at = np.searchsorted(repeated, key).clip(max=len(repeated) - 1)
        out = valid & (repeated[at] == key)
    return out


def _person_hash(cols: dict[str, np.ndarray]) -> np.ndarray:
    """One 64-bit key per person signature; a collision only adds a candidate row."""
    mix = cols["name"].astype(np.uint64)  # a copy, mixed in place below
    with np.errstate(over="ignore"):
        for name, factor in (
            ("dob", 0x9E3779B97F4A7C15),
            ("gender", 0xC2B2AE3D27D4EB4F),
            ("event", 0x165667B19E3779F9),
        ):
            if name in cols:
                mix ^= cols[name].astype(np.uint64) * np.uint64(factor)
    return mix


def _digits(value: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Numbers back to digit strings of their (restored) length: 1085012345, 12 → 0010…"""
    out = pd.Series(value).astype(str)
    for width in np.unique(length):
        sel = length == width
        out[sel] = out[sel].str.zfill(int(width))
    return out.to_numpy()


def _shared_number(keys: pd.DataFrame, col: str, code: str, field: str) -> pd.DataFrame:
    """Rows whose number is shared with a row of a different person: every such row.

    Two rows are different persons when they disagree on a name, birth date or gender
    that both carry; a row that lacks a field cannot disagree on it. The value shown is
    the number as digits, zeros a spreadsheet dropped put back.
    """
    have = keys[keys[col] >= 0]
    group = [col, f"{col}_len"]
    have = have[have.duplicated(group, keep=False)]
    if have.empty:
        return pd.DataFrame()
    conflict = pd.Series(False, index=have.index)
    for part in ("name", "dob", "gender"):
        known = have[have[part] != 0]
        distinct = known.groupby(group)[part].transform("nunique")
        conflict |= (distinct > 1).reindex(have.index, fill_value=False)
    bad_groups = have.loc[conflict, group].drop_duplicates()
    rows = have.merge(bad_groups, on=group).sort_values("row", ignore_index=True)
    rank = rows.groupby(group).cumcount()
    first = rows.groupby(group)["row"].transform("min")
    second = rows.loc[rank == 1, [*group, "row"]].rename(columns={"row": "second"})
    rows = rows.merge(second, on=group, how="left")
    # The first row points at the second; every later row at the first.
    related = np.where(rows["row"] == first, rows["second"], first)
    value = _digits(rows[col].to_numpy(), rows[f"{col}_len"].to_numpy())
    return pd.DataFrame(
        {
            "row": rows["row"].to_numpy(),
            "rule": code,
            "field": field,
            "value": value,
            "related_row": related,
        }
    )


def _close_numbers(a: int, a_len: int, b: int, b_len: int) -> bool:
    """Equal, absent/malformed on one side, or one typo or adjacent transposition apart."""
    if a < 0 or b < 0:
        return True
    if a_len != b_len:
        return False
    x, y = str(a).zfill(a_len), str(b).zfill(b_len)
    diff = [i for i in range(a_len) if x[i] != y[i]]
    if len(diff) <= 1:
        return True
    i, j = diff[0], diff[-1]
    return len(diff) == 2 and j == i + 1 and x[i] == y[j] and x[j] == y[i]


def _close_numbers_vec(a: np.ndarray, a_len: np.ndarray, b: np.ndarray, b_len: np.ndarray):  # type: ignore[no-untyped-def]
    """:func:`_close_numbers` over arrays of pairs, digit by digit in numpy."""
    missing = (a < 0) | (b < 0)
    diff = np.zeros(len(a), dtype=np.int64)
    first = np.full(len(a), -1, dtype=np.int64)
    last = np.full(len(a), -1, dtype=np.int64)
    da_at: list[np.ndarray] = []
    db_at: list[np.ndarray] = []
    x, y = np.maximum(a, 0), np.maximum(b, 0)
    for k in range(12):  # digit k from the right; equal lengths make this the zfill order
        da, db = x % 10, y % 10
        x, y = x // 10, y // 10
        da_at.append(da)
        db_at.append(db)
        differs = da != db
        diff += differs
        first = np.where(differs & (first < 0), k, first)
        last = np.where(differs, k, last)
    da_m, db_m = np.stack(da_at), np.stack(db_at)
    cols = np.arange(len(a))
    i, j = first.clip(0), last.clip(0)
    swapped = (
        (diff == 2)
        & (j == i + 1)
        & (da_m[i, cols] == db_m[j, cols])
        & (da_m[j, cols] == db_m[i, cols])
    )
    return missing | ((a_len == b_len) & ((diff <= 1) | swapped))


def _book(keys: pd.DataFrame) -> np.ndarray:
    """The BHXH code that names a book: -1 where absent, malformed, or the row's own
    12-digit ID, which since 08/2025 stands for the code (DOMAIN.md §3), not a book."""
    code = keys["bhxh"].to_numpy()
    own_id = (
        (keys["bhxh_len"].to_numpy() == 12)
        & (keys["id_len"].to_numpy() == 12)
        & (code == keys["id"].to_numpy())
    )
    return np.where(own_id, -1, code)


def _same_person(keys: pd.DataFrame) -> pd.DataFrame:
    """Later rows of a person already seen: same name, birth date and gender (all known),
    and IDs (and BHXH codes) equal, missing on one side, or one typo apart.

    A later row with the same well-formed ID but another BHXH code is the same person
    with a second BHXH book: a ``record.duplicate`` naming ``bhxh_code`` (books to be
    merged), with the row's code as its value.
    """
    person = ["name", "dob", "gender", "event"]
    known = keys[(keys["name"] != 0) & (keys["dob"] != 0) & (keys["gender"] != 0)]
    known = known[known.duplicated(person, keep=False)].sort_values("row", ignore_index=True)
    known["book"] = _book(known)
    group = known.groupby(person, sort=False).ngroup().to_numpy()
    size = np.bincount(group)[group] if len(group) else np.zeros(0, dtype=np.int64)
    # Most signatures are shared by two rows (at a million rows, many are two different
    # people with a common name born the same day): those pairs are decided in numpy.
    two = known[size == 2]
    order = np.argsort(group[size == 2], kind="stable")
    first, second = two.iloc[order[0::2]], two.iloc[order[1::2]]
    a_id, b_id = first["id"].to_numpy(), second["id"].to_numpy()
    a_len, b_len = first["id_len"].to_numpy(), second["id_len"].to_numpy()
    close = _close_numbers_vec(a_id, a_len, b_id, b_len) & _close_numbers_vec(
        first["book"].to_numpy(),
        first["bhxh_len"].to_numpy(),
        second["book"].to_numpy(),
        second["bhxh_len"].to_numpy(),
    )
    # Not close with the same ID: the BHXH codes differ, so it is one person's two books.
    books = ~close & (a_id >= 0) & (a_id == b_id) & (a_len == b_len)
    same = close | books
    out_rows = second["row"].to_numpy()[same].tolist()
    related = first["row"].to_numpy()[same].tolist()
    is_book = books[same].tolist()
    # Three or more rows: each is compared with the earlier rows not already reported,
    # first for a copy, then for the same ID with another book.
    for _, rows in known[size > 2].groupby(person, sort=False):
        seen: list[tuple[int, int, int, int, int]] = []
        for row, ident, ident_len, code, code_len in rows[
            ["row", "id", "id_len", "book", "bhxh_len"]
        ].itertuples(index=False):
            match = next(
                (
                    e
                    for e in seen
                    if _close_numbers(ident, ident_len, e[1], e[2])
                    and _close_numbers(code, code_len, e[3], e[4])
                ),
                None,
            )
            second_book = match is None and ident >= 0
            if second_book:
                match = next((e for e in seen if (ident, ident_len) == (e[1], e[2])), None)
            if match is None:
                seen.append((row, ident, ident_len, code, code_len))
                continue
            out_rows.append(row)
            related.append(match[0])
            is_book.append(second_book)
    book = np.asarray(is_book, dtype=bool)
    rows_out = np.asarray(out_rows, dtype=np.int64)
    # The value of a second book is its code (keys are in row order: a lookup by row).
    value = np.full(len(book), pd.NA, dtype=object)
    if book.any():
        at = np.searchsorted(keys["row"].to_numpy(), rows_out[book])
        value[book] = _digits(keys["bhxh"].to_numpy()[at], keys["bhxh_len"].to_numpy()[at])
    return pd.DataFrame(
        {
            "row": rows_out,
            "rule": "record.duplicate",
            "field": np.where(book, "bhxh_code", ""),
            "value": value,
            "related_row": np.asarray(related, dtype=np.int64),
        }
    )
