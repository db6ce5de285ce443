"""The extracts: each built from the people as one system would export them, changed
row by row under checks, put in its final row order and written as CSV.

``_Extract`` holds one extract while it is built: its columns, the person per row, the
rows already changed (locked) and the truth and variations recorded. ``_Extract.change``
is how ``cases``, ``variations`` and ``injection`` change values without making two
records coincide.

May import ``layout``, ``arrays``, ``dates``, ``people`` and cleanse's normalisation
helpers (``cleanse.normalise.name_key``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.normalise import name_key
from cleanse.sample.arrays import _take
from cleanse.sample.dates import _add_years, _age, _dates, _day, _first_of_month
from cleanse.sample.layout import (
    BASE_ALLOWANCE,
    BENEFIT_TYPES,
    BHXH,
    BHXH_STATUS,
    BTXH,
    BTXH_ACTIVE,
    BTXH_PAUSED,
    BTXH_STOPPED,
    COLUMNS,
    DANCU,
    DISABLED,
    DISABLED_SEVERE,
    ELDERLY,
    FORMATS,
    HOTICH,
    KET_HON,
    KHAI_SINH,
    KHAI_TU,
    ORPHAN,
    SINGLE_PARENT,
)
from cleanse.sample.people import _People

# make(rows, current values) -> new values (None where a row is unsuitable)
_Make = Callable[[np.ndarray, list[str]], Sequence[str | None]]


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


def _finish(ext: _Extract) -> tuple[dict[str, pa.Array], np.ndarray, np.ndarray]:
    """The extract in its final row order, the person per row, and row numbers by index.

    The copies of ``injection._duplicate_rows`` go to random later positions. The columns are
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


def _write_extract(out_dir: Path, name: str, cols: dict[str, pa.Array]) -> None:
    """Write an extract (columns by field, in file order) as its system does: its
    headers, encoding and delimiter."""
    encoding, sep = FORMATS[name]
    headers = dict(COLUMNS[name])
    _write_csv(
        {headers[c]: v for c, v in cols.items()},
        out_dir / name,
        bom=encoding == "utf-8-sig",
        sep=sep,
    )
