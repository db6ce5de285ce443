"""Parsed companions beside the raw columns of a chunk, computed once per column."""

from __future__ import annotations

import collections
import itertools
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.normalise import (
    _text_series,
    canonical_tones,
    clean_arrow,
    detect_mojibake,
    fold_arrow,
    parse_dates,
    parse_gender,
    to_arrow,
)
from cleanse.rules.ids import parse_ids, structure
from cleanse.rules.text import TEXT_FIELDS

if TYPE_CHECKING:
    from cleanse.read import Chunk, Extract

T = TypeVar("T")

# Fields whose cleaned value some rule reads: each is cleaned once per chunk, and a
# ``{field}_blank`` mask (empty or only spaces) is kept for the completeness rules.
CLEANED = (
    "id_number",
    "bhxh_code",
    "full_name",
    "dob",
    "death_date",
    "gender",
    "event",
    "benefit_type",
    "benefit_status",
)

# Which columns repeat their values (cleaned once per distinct value) and which do not;
# names are left to a sample of the column.
REPEATS = {"id_number": False, "bhxh_code": False, "full_name": None}
REPEATS.update({f: True for f in CLEANED if f not in REPEATS})


def prepare(frame: pd.DataFrame, gender_codes: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Return the chunk with parsed columns added (raw columns untouched).

    ``id_*`` and ``bhxh_*`` from the ID columns, ``dob_*`` and ``death_date_*`` from the
    dates, ``gender_code``/``gender_invalid``, ``name_clean`` (cleaned, canonical tone
    marks) and ``name_key`` (folded) from the name, ``{field}_blank`` for the fields of
    :data:`CLEANED` the file has, and ``{field}_mojibake``/``{field}_repaired`` for its
    other text fields. A field the file lacks gives all-NA companions, so rules need no
    special cases.
    """
    n = len(frame)
    index = frame.index
    none = pa.nulls(n, pa.string())
    cleaned: dict[str, pa.Array] = {
        f: clean_arrow(to_arrow(frame[f]), repeats=REPEATS.get(f))
        for f in CLEANED
        if f in frame.columns
    }

    def clean(name: str) -> pa.Array:
        return cleaned.get(name, none)

    raw_name = to_arrow(frame["full_name"]) if "full_name" in frame.columns else none
    name_moji = detect_mojibake(raw_name)
    name_moji.index = index
    blanks = pd.DataFrame(
        {f"{f}_blank": pc.is_null(a).to_numpy(zero_copy_only=False) for f, a in cleaned.items()},
        index=index,
    )
    parts = [
        frame,
        parse_ids(clean("id_number"), "id", cleaned=True),
        parse_ids(clean("bhxh_code"), "bhxh", cleaned=True),
        parse_dates(clean("dob"), "dob", cleaned=True),
        parse_dates(clean("death_date"), "death_date", cleaned=True),
        parse_gender(clean("gender"), gender_codes),
        pd.DataFrame(
            {
                # One tone-mark placement (hoà = hòa): what suggestions show and exact
                # comparisons use. The folded key is the same either way.
                "name_clean": _text_series(canonical_tones(clean("full_name")), index),
                "name_key": _text_series(fold_arrow(raw_name), index),
                "name_mojibake": name_moji["mojibake"].to_numpy(),
                "name_repaired": name_moji["repaired"].to_numpy(),
            },
            index=index,
        ),
        blanks,
    ]
    # Mojibake of the other text fields, for text.mojibake and its suggestion.
    for f in TEXT_FIELDS:
        if f != "full_name" and f in frame.columns:
            found = detect_mojibake(to_arrow(frame[f]))
            found.index = index
            parts.append(found.add_prefix(f"{f}_"))
    for part in parts[1:6]:
        part.index = index
    # The ID's place, gender/century and year digits, read once for the id.* rules.
    parts.append(structure(parts[1]["id_digits"]).add_prefix("id_"))
    return pd.concat(parts, axis=1)


def prepared_chunks(
    extracts: Sequence[Extract],
    gender_codes: Mapping[str, str] | None,
    then: Callable[[int, Chunk, pd.DataFrame], T],
    *,
    ahead: int = 1,
) -> Iterator[tuple[int, T]]:
    """``(i, then(i, chunk, prepare(chunk)))`` for each chunk of each file ``extracts[i]``, in
    order: the files' chunks are one stream.

    Up to ``ahead`` chunks are read and prepared in worker threads while the caller
    works on the current one, across the end of one file into the next: reading and
    the Arrow kernels of prepare() release the GIL, so a two-core PC keeps both cores
    busy. At most ``ahead + 1`` chunks are in memory at once. ``then`` must not depend
    on the order the chunks are prepared in. An error in a worker is raised here, in
    the caller.
    """
    chunks = ((i, chunk) for i, ext in enumerate(extracts) for chunk in ext.chunks())
    # One reader at a time, in the order the tasks were submitted: task k reads the k-th
    # chunk, so the results, taken in that order, keep the files' order. (A lock alone
    # let a later task read first now and then, and swap two chunks.) The pool takes
    # tasks first in, first out, so the task whose turn it is always has a worker.
    turn = threading.Condition()
    next_turn = 0
    tickets = itertools.count()
    end = object()

    def load(ticket: int) -> tuple[int, T] | object:
        nonlocal next_turn
        with turn:
            turn.wait_for(lambda: next_turn == ticket)
            try:
                got = next(chunks, None)
            finally:
                next_turn += 1
                turn.notify_all()
        if got is None:
            return end
        i, chunk = got
        return i, then(i, chunk, prepare(chunk.frame, gender_codes))

    # Reading starts now, not at the first next(): the caller's own set-up overlaps it.
    pool = ThreadPoolExecutor(max_workers=ahead, thread_name_prefix="cleanse-prepare")
    pending = collections.deque(pool.submit(load, next(tickets)) for _ in range(ahead))

    def results() -> Iterator[tuple[int, T]]:
        try:
            while (done := pending.popleft().result()) is not end:
                pending.append(pool.submit(load, next(tickets)))
                yield done  # type: ignore[misc]
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    return results()
