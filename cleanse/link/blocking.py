"""Candidate pairs: the blocking passes, their caps, and the identical records.

``_candidates`` runs every pass of docs/linking.md (Candidate pairs) over the records'
arrays, two at a time, and returns each pair once; ``_identical`` finds the copies that
are linked to their first record without taking part. A block larger than its pass's
cap is skipped and counted in the stats.

May import: the standard library, numpy, pandas, pyarrow and, of ``cleanse.link``,
``arrays``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.link.arrays import _Arrays, _distinct

# Block caps (records per block); see docs/linking.md.
CAP_EXACT = 50
CAP_NAME = 50
CAP_BLOCK = 1000
CAP_PROBE = 5000


def _combine(*parts: tuple[np.ndarray, int]) -> np.ndarray:
    """One int64 key from (values, number of distinct values) parts; -1 if any is missing."""
    key = np.zeros(len(parts[0][0]), dtype=np.int64)
    missing = np.zeros(len(parts[0][0]), dtype=bool)
    for values, size in parts:
        missing |= values < 0
        key = key * size + np.maximum(values, 0)
    key[missing] = -1
    return key


def _block_pairs(
    key: np.ndarray, cap: int, probe: np.ndarray | None = None, held: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Pairs of records sharing a key (>= 0), in blocks of at most ``cap`` records.

    With ``probe``, only pairs with at least one probe record. Returns left, right,
    the number of blocks skipped for their size and the records in them; with ``held``
    (a bool per record), the records of skipped blocks are marked in it.
    """
    idx = np.flatnonzero(key >= 0)
    empty = np.empty(0, dtype=np.int64)
    if len(idx) < 2:
        return empty, empty, 0, 0
    order = idx[np.argsort(key[idx], kind="stable")]
    k = key[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    sizes = np.diff(np.r_[starts, len(k)])
    big = sizes > cap
    skipped, skipped_records = int(big.sum()), int(sizes[big].sum())
    ok = (sizes >= 2) & ~big
    gid = np.repeat(np.arange(len(starts)), sizes)
    if held is not None and skipped:
        held[order[big[gid]]] = True
    pos = np.arange(len(k))
    if probe is None:
        end = (starts + sizes)[gid]
        counts = np.where(ok[gid], end - pos - 1, 0)
        total = int(counts.sum())
        left_pos = np.repeat(pos, counts)
        offs = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        right_pos = left_pos + 1 + offs
    else:
        is_probe = probe[order]
        counts = np.where(ok[gid] & is_probe, sizes[gid] - 1, 0)
        total = int(counts.sum())
        left_pos = np.repeat(pos, counts)
        offs = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        right_pos = np.repeat(starts[gid], counts) + offs
        right_pos += right_pos >= left_pos
    return order[left_pos], order[right_pos], skipped, skipped_records


def _near_id_pairs(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Pairs of records whose 12-digit IDs differ in one digit or only in the place code.

    Blocked on the distinct IDs (so the many records sharing an ID cost nothing here):
    the ID with digit k masked, for each k, and its last nine digits; each pair of IDs
    then gives every pair of their records.
    """
    has = np.flatnonzero(ids >= 0)
    order = has[np.argsort(ids[has], kind="stable")]
    sorted_ids = ids[order]
    uniq = _distinct(sorted_ids)
    keys = [uniq - (uniq // np.int64(10**k) % 10) * np.int64(10**k) for k in range(12)]
    keys.append(uniq % np.int64(10**9))
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    skipped = 0
    for key in keys:
        left, right, sk, _ = _block_pairs(key, CAP_EXACT)
        xs.append(uniq[left])
        ys.append(uniq[right])
        skipped += sk
    left, right = _records_of(order, sorted_ids, np.concatenate(xs), np.concatenate(ys))
    return left, right, skipped


def _records_of(
    order: np.ndarray, sorted_values: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every record holding value ``x[i]`` paired with every record holding ``y[i]``;
    ``order`` sorts the records by value, ``sorted_values`` is the values in that order."""
    start_x = np.searchsorted(sorted_values, x, "left")
    count_x = np.searchsorted(sorted_values, x, "right") - start_x
    start_y = np.searchsorted(sorted_values, y, "left")
    count_y = np.searchsorted(sorted_values, y, "right") - start_y
    sizes = count_x * count_y
    pair = np.repeat(np.arange(len(x)), sizes)
    k = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return order[start_x[pair] + k // count_y[pair]], order[start_y[pair] + k % count_y[pair]]


def _identical(a: _Arrays) -> np.ndarray:
    """For each record, the first record identical to it in what linking compares (its
    numbers, name, birth date, gender, phone and address), or itself.

    Only records that carry a number or a full birth date are taken together: two
    records with nothing but one name are not thereby one person. Grouped by a hash,
    then checked field by field, so a hash collision never joins two records.
    """
    fields = [
        a.id_any, a.cmnd, a.bhxh, a.other.astype(np.int64), a.name.astype(np.int64),
        a.year.astype(np.int64), a.month.astype(np.int64), a.day.astype(np.int64),
        a.gender.astype(np.int64), a.phone, a.address.astype(np.int64),
        a.imprecise.astype(np.int64),
    ]  # fmt: skip
    h = np.zeros(a.n, dtype=np.uint64)
    for values in fields:
        h = (h ^ values.astype(np.uint64)) * np.uint64(0x100000001B3)
    eligible = (a.id_any >= 0) | (a.cmnd >= 0) | (a.bhxh >= 0) | (a.other >= 0) | a.full
    h = np.where(eligible, h, np.uint64(0))
    codes, _ = pd.factorize(h)
    codes = np.asarray(codes, dtype=np.int64)
    # factorize numbers values by first appearance: a record is first when its code is new.
    seen = np.maximum.accumulate(codes) if a.n else codes
    first = np.flatnonzero(codes > np.r_[-1, seen[:-1]]) if a.n else codes
    rep = first[codes] if a.n else np.zeros(0, dtype=np.int64)
    same = eligible.copy()
    for values in fields:
        same &= values == values[rep]
    return np.where(same, rep, np.arange(a.n, dtype=np.int64))


def _near_other_pairs(other: np.ndarray, vocab: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Pairs of records whose person numbers (other_id) are one edit apart.

    The deletion neighbourhood: two values one substitution, insertion, deletion or
    swap apart share a value with one character deleted. Blocked on the distinct
    numbers, then each pair of numbers gives every pair of their records.
    """
    empty = np.empty(0, dtype=np.int64)
    codes = np.flatnonzero(np.bincount(other[other >= 0], minlength=len(vocab)) > 0)
    if len(codes) < 2:
        return empty, empty, 0
    values = pa.array(vocab[codes].tolist(), pa.string())
    width = int(pc.max(pc.utf8_length(values)).as_py() or 0)
    owners, keys = [], []
    for k in range(width):
        cut = pc.binary_join_element_wise(
            pc.utf8_slice_codeunits(values, 0, k), pc.utf8_slice_codeunits(values, k + 1), ""
        )
        none = pa.nulls(len(values), pa.string())
        cut = pc.if_else(pc.greater(pc.utf8_length(values), k), cut, none)
        owners.append(np.arange(len(codes)))
        keys.append(cut)
    owners.append(np.arange(len(codes)))
    keys.append(values)  # a deletion on one side only meets the other's whole value
    owner = np.concatenate(owners)
    key = pc.dictionary_encode(pa.chunked_array(keys)).combine_chunks()
    kcodes = np.asarray(
        pc.fill_null(key.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64
    )
    x, y, skipped, _ = _block_pairs(kcodes, CAP_EXACT)
    vx, vy = codes[owner[x]], codes[owner[y]]
    pair = _distinct(np.minimum(vx, vy) * np.int64(len(vocab)) + np.maximum(vx, vy))
    vx, vy = pair // len(vocab), pair % len(vocab)
    keep = vx != vy
    order = np.argsort(other, kind="stable")
    left, right = _records_of(order, other[order], vx[keep], vy[keep])
    return left, right, skipped


def _candidates(
    a: _Arrays, stats: dict[str, object], rep: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (left < right) from every blocking pass, without repeats.

    Only the representatives of identical records (``rep``, a bool per record) take part:
    their copies are linked to them without scoring. Pairs of one extract with different
    well-formed IDs are dropped as each pass makes them (they never link), so they take
    no memory.
    """
    n = np.int64(max(a.n, 1))
    held = np.zeros(a.n, dtype=bool)  # records in a block skipped for its size

    def only_rep(key: np.ndarray) -> np.ndarray:
        return np.where(rep, key, -1)

    codes: list[np.ndarray] = []
    per_pass: dict[str, int] = {}
    skipped: dict[str, int] = {}
    dropped = 0

    def keep(name: str, left: np.ndarray, right: np.ndarray, sk: int) -> None:
        nonlocal dropped
        il, ir = a.id12[left], a.id12[right]
        same = (a.src[left] == a.src[right]) & (il >= 0) & (ir >= 0) & (il != ir)
        dropped += int(same.sum())
        left, right = left[~same], right[~same]
        codes.append(np.minimum(left, right) * n + np.maximum(left, right))
        per_pass[name] = per_pass.get(name, 0) + len(left)
        if sk:
            skipped[name] = skipped.get(name, 0) + sk

    passes: list[tuple[str, np.ndarray, int, np.ndarray | None]] = [
        ("id", a.id12, CAP_EXACT, None),
        ("cmnd", a.cmnd, CAP_EXACT, None),
        ("bhxh", a.bhxh, CAP_EXACT, None),
        ("other_id", a.other.astype(np.int64), CAP_EXACT, None),
    ]
    year = np.where((a.year >= 1800) & (a.year < 2200), a.year - 1800, -1)
    lo = np.where(a.full, np.minimum(a.day, a.month), -1)
    hi = np.where(a.full, np.maximum(a.day, a.month), -1)
    dm = _combine((lo, 32), (hi, 32))
    n_name, n_given, n_sur = a.n_names + 1, len(a.given_vocab) + 1, len(a.sur_vocab) + 1
    n_mid = len(a.mid_vocab) + 1
    words = np.where(a.tokens > 0, (a.tokens >> np.uint64(24)).astype(np.int64), -1)
    passes += [
        ("name_year", _combine((a.name, n_name), (year, 400)), CAP_NAME, None),
        ("name_daymonth", _combine((a.name, n_name), (dm, 1024)), CAP_NAME, None),
        ("given_date", _combine((a.given, n_given), (year, 400), (dm, 1024)), CAP_BLOCK, None),
        (
            "surname_middle_date",
            _combine((a.sur, n_sur), (a.mid, n_mid), (year, 400), (dm, 1024)),
            CAP_BLOCK,
            None,
        ),
        ("words_date", _combine((words, 1 << 40), (year, 400), (dm, 1024)), CAP_BLOCK, None),
        (
            "imprecise_date",
            _combine((a.sur, n_sur), (a.given, n_given), (year, 400)),
            CAP_PROBE,
            a.imprecise & (a.year >= 0),
        ),
    ]

    def block(task: tuple[str, np.ndarray, int, np.ndarray | None]):  # type: ignore[no-untyped-def]
        name, key, cap, probe = task
        if name == "id_near":
            return _near_id_pairs(only_rep(a.id_any))
        if name == "other_near":
            return _near_other_pairs(only_rep(a.other.astype(np.int64)), a.other_vocab)
        mark = None if name.startswith("place_") else held
        left, right, sk, _ = _block_pairs(only_rep(key), cap, probe, mark)
        return left, right, sk

    # The passes are numpy sorts and index arithmetic, which release the GIL: two run
    # at a time, and their pairs are kept in pass order.
    passes.insert(3, ("id_near", a.id_any, 0, None))
    if (a.other >= 0).any():
        passes.insert(5, ("other_near", a.id_any, 0, None))
    if (a.address >= 0).any():
        # The same address and surname, or address and given name: a person whose birth
        # date is missing or wrong, or whose name has a typo in the other part.
        n_addr = len(a.address_vocab) + 1
        # With the given name's first letter: a household shares address and surname.
        first = np.array([ord(str(g)[:1] or " ") for g in a.given_vocab], dtype=np.int64)
        initial = np.where(a.given >= 0, first[np.maximum(a.given, 0)] % 4096, -1)
        passes.append(
            (
                "address_surname",
                _combine((a.address, n_addr), (a.sur, n_sur), (initial, 4096)),
                CAP_NAME,
                None,
            )
        )
        passes.append(
            ("address_given", _combine((a.address, n_addr), (a.given, n_given)), CAP_NAME, None)
        )
    local = [f for f in ("postcode", "ward") if f in a.place]
    if local:
        # Where a file has a postcode or ward column: the same place and given name, or
        # surname, or house number, or birth date; a person whose name parts were
        # swapped or replaced, or whose date is missing. Supplementary passes: a block
        # too big for them (a ward of Nguyễns) is left to the others, not counted held.
        place_codes, place_vocab = a.place[local[0]][:2]
        n_place = len(place_vocab) + 1
        extra = [
            ("place_given", (a.given, n_given)),
            ("place_surname", (a.sur, n_sur)),
            ("place_date", (_combine((year, 400), (dm, 1024)), 400 * 1024)),
        ]
        if "house_number" in a.place:
            house = a.place["house_number"]
            extra.append(("place_house", (house[0], len(house[1]) + 1)))
        for name, part in extra:
            passes.append((name, _combine((place_codes, n_place), part), CAP_NAME, None))
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="cleanse-block") as pool:
        for (name, *_), found in zip(passes, pool.map(block, passes), strict=True):
            keep(name, *found)

    code = np.concatenate(codes) if codes else np.empty(0, dtype=np.int64)
    codes.clear()
    code = _distinct(code)
    left, right = code // n, code % n
    keep_pairs = left != right
    stats["pairs_per_pass"] = per_pass
    stats["blocks_skipped"] = skipped
    stats["records_in_skipped_blocks"] = int(held.sum())
    stats["dropped_same_extract_ids"] = dropped
    stats["candidate_pairs"] = int(keep_pairs.sum())
    return left[keep_pairs], right[keep_pairs]
