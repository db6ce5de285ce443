"""Array helpers of the generator: weights, random picks, unique numbers, and text
columns made from tables and numbers.

May import numpy, pandas and pyarrow only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _norm(weights: Sequence[float] | np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def _digits(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pa.array(values, pa.int64()).cast(pa.string()), width=width, padding="0")


def _take(table: Sequence[str], idx: np.ndarray) -> pa.Array:
    """``table[idx]`` as a string array; negative indexes give null."""
    idx = np.asarray(idx)
    return pa.array(list(table), pa.string()).take(pa.array(idx, mask=idx < 0))


def _pick(rng: np.random.Generator, mask: np.ndarray, k: int) -> np.ndarray:
    """k random indexes where mask is true (fewer if there are fewer), sorted."""
    cand = np.flatnonzero(mask)
    k = min(int(k), len(cand))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    return np.sort(rng.choice(cand, size=k, replace=False))


def _weighted_pick(
    rng: np.random.Generator, mask: np.ndarray, weights: np.ndarray, k: int
) -> np.ndarray:
    """k indexes where mask is true, drawn without replacement with the given weights."""
    cand = np.flatnonzero(mask)
    k = min(int(k), len(cand))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    keys = np.log(rng.random(len(cand))) / weights[cand]  # Efraimidis–Spirakis
    return np.sort(cand[np.argpartition(-keys, k - 1)[:k]])


def _count(rate: float, pool: int, minimum: int = 0) -> int:
    return min(pool, max(minimum, round(rate * pool)))


def _later_repeats(keys: np.ndarray) -> np.ndarray:
    """True where a key already occurred earlier in keys."""
    ordered = np.sort(keys)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    out = np.zeros(len(keys), dtype=bool)
    if len(repeated):  # only the keys that repeat need their first occurrence found
        hit = np.flatnonzero(pd.Series(keys, copy=False).isin(repeated).to_numpy())
        sub = keys[hit]
        order = np.argsort(sub, kind="stable")
        later = np.zeros(len(hit), dtype=bool)
        later[order[1:]] = sub[order[1:]] == sub[order[:-1]]
        out[hit[later]] = True
    return out


def _sorted_contains(ordered: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """True where keys occur in the sorted array ordered."""
    found = np.zeros(len(keys), dtype=bool)
    if not len(ordered) or not len(keys):
        return found
    # Searching in key order keeps the binary searches in cache.
    order = np.argsort(keys)
    at = np.minimum(np.searchsorted(ordered, keys[order]), len(ordered) - 1)
    found[order] = ordered[at] == keys[order]
    return found


class _Taken:
    """Integer keys in use, for drawing values until they are unique: a sorted array, and
    the keys added since in a smaller sorted one (merged in when it grows)."""

    def __init__(self, keys: np.ndarray | None = None) -> None:
        self.base = np.sort(keys) if keys is not None else np.zeros(0, dtype=np.int64)
        self.extra = np.zeros(0, dtype=self.base.dtype)

    def clash(self, keys: np.ndarray) -> np.ndarray:
        """True where a key is taken or repeats an earlier one of keys."""
        taken = _sorted_contains(self.base, keys) | _sorted_contains(self.extra, keys)
        return taken | _later_repeats(keys)

    def add(self, keys: np.ndarray) -> None:
        if not len(self.base):
            self.base = np.sort(keys)
            return
        self.extra = np.sort(np.concatenate([self.extra, keys]))
        if len(self.extra) > len(self.base) // 8:
            self.base = np.sort(np.concatenate([self.base, self.extra]))
            self.extra = self.extra[:0]


def _unique_ints(
    rng: np.random.Generator, prefix: np.ndarray, span: int, taken: np.ndarray | None = None
) -> np.ndarray:
    """``prefix * span + random`` drawn until every value is unique (and not in taken).

    After the first check of all values, only the re-drawn ones are checked.
    """
    values = prefix * span + rng.integers(0, span, len(prefix))
    used = _Taken(taken)
    pending = np.arange(len(values))
    for _ in range(100):
        clash = used.clash(values[pending])
        used.add(values[pending[~clash]])
        pending = pending[clash]
        if not len(pending):
            return values
        values[pending] = prefix[pending] * span + rng.integers(0, span, len(pending))
    raise RuntimeError("could not draw unique numbers")  # pragma: no cover
