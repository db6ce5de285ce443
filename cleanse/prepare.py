"""Parsed companions beside the raw columns of a chunk, computed once per column."""

from __future__ import annotations

import collections
import itertools
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.damage import Diagnosis, bhxh_as_id, surveyed, swap_day_month
from cleanse.idnumber import parse_ids, structure
from cleanse.normalise import (
    _fold_values,
    _single,
    _text_series,
    canonical_tones,
    clean_arrow,
    detect_mojibake,
    fold_arrow,
    join_words,
    parse_dates,
    parse_gender,
    to_arrow,
)

if TYPE_CHECKING:
    from cleanse.read import Chunk, Extract

T = TypeVar("T")

# Fields whose cleaned value some rule reads: each is cleaned once per chunk, and a
# ``{field}_blank`` mask (empty or only spaces) is kept for the completeness rules.
# The free-text fields checked for mojibake (text.mojibake), name included.
TEXT_FIELDS = (
    "full_name",
    "address",
    "ward",
    "province",
    "ethnicity",
    "nationality",
    "event",
    "benefit_type",
    "benefit_status",
)

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


def prepare(
    frame: pd.DataFrame,
    gender_codes: Mapping[str, str] | None = None,
    damage: Diagnosis | None = None,
) -> pd.DataFrame:
    """Return the chunk with parsed columns added (raw columns untouched).

    ``id_*`` and ``bhxh_*`` from the ID columns, ``dob_*`` and ``death_date_*`` from the
    dates, ``gender_code``/``gender_invalid``/``gender_suggestion`` from the gender,
    ``name_clean`` (cleaned, canonical tone marks) and ``name_key`` (folded) from the
    name, ``{field}_blank`` for the fields of :data:`CLEANED` the file has, and
    ``{field}_mojibake``/``{field}_repaired`` for its other text fields. A field the
    file lacks gives all-NA companions, so rules need no special cases.

    ``damage`` is the file's spreadsheet diagnosis (``cleanse.damage``): in a damaged ID
    or BHXH column the leading zeros are put back in ``id_digits``/``bhxh_digits``, in a
    date column read month-first day and month are swapped back before the date is
    read (``dob_fixed`` marks those cells, ``dob_restored`` holds the date read), so
    every rule reads the restored value; the raw columns stay as read.
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

    def column(name: str) -> pa.Array:
        return to_arrow(frame[name])

    raw_name = to_arrow(frame["full_name"]) if "full_name" in frame.columns else none
    name_moji = detect_mojibake(raw_name)
    name_moji.index = index
    blanks = pd.DataFrame(
        {f"{f}_blank": pc.is_null(a).to_numpy(zero_copy_only=False) for f, a in cleaned.items()},
        index=index,
    )
    restore = damage.restore if damage is not None else frozenset()
    dob, dob_fixed = clean("dob"), np.zeros(n, dtype=bool)
    if damage is not None and "dob" in damage.month_first and "dob" in cleaned:
        dob, dob_fixed = swap_day_month(dob, damage.swap_form.get("dob", "dmy"))
    ids = parse_ids(clean("id_number"), "id", cleaned=True, restore="id_number" in restore)
    bhxh = parse_ids(clean("bhxh_code"), "bhxh", cleaned=True, restore="bhxh_code" in restore)
    dates = parse_dates(dob, "dob", cleaned=True).assign(
        dob_fixed=dob_fixed,
        dob_restored=_text_series(pc.if_else(pa.array(dob_fixed), dob, none), index),
    )
    gender = parse_gender(clean("gender"), gender_codes)
    if "bhxh_code" in restore:
        bhxh = bhxh_as_id(bhxh, ids, clean("id_number"), gender, dates)
    parts = [
        frame,
        ids,
        bhxh,
        dates,
        parse_dates(clean("death_date"), "death_date", cleaned=True),
        gender,
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
    # Evidence for linking beyond the name, birth date and ID.
    parts.append(
        pd.DataFrame(
            {
                "other_id_clean": _text_series(
                    other_id_clean(column("other_id")) if "other_id" in frame else none, index
                ),
                "phone_digits": _text_series(
                    phone_digits(column("phone")) if "phone" in frame else none, index
                ),
                "address_key": _text_series(address_key(_address_text(frame, n)), index),
            },
            index=index,
        )
    )
    # The ID's place, gender/century and year digits, read once for the id.* rules.
    parts.append(structure(parts[1]["id_digits"]).add_prefix("id_"))
    return pd.concat(parts, axis=1)


# Dashes a keyboard or a word processor may put in a number: hyphen, the Unicode
# hyphens and dashes, the minus sign.
_ID_SEPARATORS = r"[\s.\-\x{2010}-\x{2015}\x{2212}]"


def other_id_clean(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A generic person number for exact comparison: NFC, spaces, dots and dashes
    removed, upper case (``ab-12.345 6`` → ``AB123456``); null when blank."""
    arr = clean_arrow(arr, repeats=False)
    arr = pc.utf8_upper(pc.replace_substring_regex(arr, _ID_SEPARATORS, ""))
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def phone_digits(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A phone number as its digits, in the national form, for exact comparison.

    Only the first number of a cell that lists several (``0912 345 678 / 0987 …``) is
    taken. ``+84``/``0084``, or ``84`` before 9 or more digits, becomes ``0``
    (``+84 912 345 678`` → ``0912345678``); nine digits with no leading ``0`` get it back,
    as a spreadsheet drops it from ``0912345678``. Null with fewer than 9 digits or more
    than 15 (several numbers run together).
    """
    arr = _single(to_arrow(arr))
    first = pc.struct_field(pc.extract_regex(arr, r"^(?P<p>[^/,;]*)"), [0])
    digits = pc.replace_substring_regex(first, r"\D", "")
    international = pc.match_substring_regex(first, r"^\s*(\+|00)\s*84")
    digits = pc.if_else(
        pc.fill_null(international, False),
        pc.replace_substring_regex(digits, r"^(00)?84", "0"),
        pc.replace_substring_regex(digits, r"^84(\d{9,})$", "0\\1"),
    )
    digits = pc.replace_substring_regex(digits, r"^([1-9]\d{8})$", "0\\1")
    length = pc.utf8_length(digits)
    ok = pc.and_(pc.greater_equal(length, 9), pc.less_equal(length, 15))
    return pc.if_else(pc.fill_null(ok, False), digits, pa.scalar(None, pa.string()))


def _address_text(frame: pd.DataFrame, n: int) -> pa.Array:
    """The address as one text: a house number kept in its own column goes in front
    (``12`` + ``Lê Lợi`` is ``12 Lê Lợi``, as another extract writes it)."""
    parts = [to_arrow(frame[f]) for f in ("house_number", "address") if f in frame.columns]
    return join_words(parts) if parts else pa.nulls(n, pa.string())


def address_key(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """An address folded as names are (accents, đ, case, spacing) with punctuation made
    spaces, for comparison: ``Số 12, Đường Lê Lợi`` → ``so 12 duong le loi``; null when
    blank."""
    # Word by word: addresses are long and nearly all distinct, but their words (street,
    # ward and province names) are few, so each distinct word is folded once.
    arr = to_arrow(arr)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.string())
    words = pc.split_pattern(arr, " ")
    enc = pc.dictionary_encode(words.values)
    folded = pc.replace_substring_regex(
        pc.fill_null(_fold_values(enc.dictionary), ""), r"[^\p{L}\p{N}]+", " "
    )
    folded = pc.utf8_trim_whitespace(folded)
    taken = pc.take(folded, enc.indices)
    # Words that were only punctuation or spaces are dropped, so no double spaces.
    keep = np.asarray(pc.not_equal(taken, "").to_numpy(zero_copy_only=False), dtype=bool)
    offsets = np.asarray(words.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
    kept = np.concatenate([[0], np.cumsum(keep)])[offsets]
    lists = pa.ListArray.from_arrays(
        pa.array(kept.astype(np.int32)), taken.filter(pa.array(keep)), mask=pc.is_null(words)
    )
    arr = pc.binary_join(lists, " ")
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


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
    # Each file's spreadsheet damage is diagnosed on its first records before they are
    # prepared (``damage.surveyed``, in the reading turn): prepare() restores by it.
    chunks = ((i, chunk) for i, ext in enumerate(extracts) for chunk in surveyed(ext, ext.chunks()))
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
        return i, then(i, chunk, prepare(chunk.frame, gender_codes, extracts[i].damage))

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


# Letters, combining marks, spaces, and the apostrophe and hyphen of minority names
# (Ksor H'Blương, Y-Moan Niê). Anything else — a digit, #, a dot — makes a name invalid.
_NAME_BAD_CHAR = r"[^\p{L}\p{M} '\x{2019}\-]"


def name_checkable(chunk: pd.DataFrame) -> pd.Series:
    """Names of a prepared chunk that are there and were not garbled by a wrong encoding."""
    return chunk["name_clean"].notna() & ~chunk["name_mojibake"]


def name_invalid(chunk: pd.DataFrame) -> pd.Series:
    """Digits or symbols in a prepared chunk's (NFC, cleaned) name, or a single word:
    what ``name.invalid`` flags and what linking will not compare a name on."""
    clean = to_arrow(chunk["name_clean"])
    symbols = pc.fill_null(pc.match_substring_regex(clean, _NAME_BAD_CHAR), False)
    spaced = pc.fill_null(pc.match_substring(clean, " "), False)
    bad = np.asarray(symbols.to_numpy(zero_copy_only=False), dtype=bool)
    bad |= ~np.asarray(spaced.to_numpy(zero_copy_only=False), dtype=bool)
    return (pd.Series(bad, index=chunk.index) & name_checkable(chunk)).astype(bool)
