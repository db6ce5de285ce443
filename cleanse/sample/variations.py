"""How a record varies between systems: deliberate cross-file differences that are no
single-file error (old CMND numbers, the ID as BHXH code, spaced IDs, names without
accents, in capitals or in the other tone style, day and month swapped, placeholder
birth dates, name typos, a middle name dropped).

May import ``layout``, ``tables``, ``dates``, ``spelling``, ``people`` and ``extracts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.sample import tables as nm
from cleanse.sample.dates import _day, _fmt, _from_ymd, _ymd
from cleanse.sample.extracts import _Extract, _Make
from cleanse.sample.layout import BHXH, BTXH, RATES
from cleanse.sample.people import _KINH, _People
from cleanse.sample.spelling import _flip_tone, _strip_accents


def _vary(ext: _Extract, p: _People, as_of: date) -> None:
    """Deliberate cross-file differences (not single-file errors) in a non-dancu extract.

    At most one per row. A varied row stays open to an injected error in another field.
    """
    rng, n, pid = ext.rng, ext.n, ext.pid
    kinh = p.kind[pid] == _KINH
    today = _day(as_of)

    def vary(
        col: str,
        mask: np.ndarray | None,
        make: _Make,
        k: int,
        check: str,
        kind: str,
        lock: bool = False,
    ) -> np.ndarray:
        free = ~ext.varied_in() if mask is None else mask & ~ext.varied_in()
        k = max(k, 1)  # every kind shows in every extract it applies to
        idx, _ = ext.change(col, ext.candidates(free), make, k, check, vary=not lock)
        if len(idx):
            ext.variations.append((idx, col, kind))
        return idx

    if ext.name in (BHXH, BTXH):
        cmnd = p.text["cmnd"]
        idx = vary(
            "id_number",
            p.year[pid] <= 2006,
            lambda rows, cur: cmnd.take(pa.array(pid[rows])).to_pylist(),
            max(3, round(RATES["legacy_id"] * n)),
            "id",
            "legacy_id",
            lock=True,
        )
        ext.add_truth("id.legacy", idx, "id_number")
    if ext.name == BHXH:
        vary(
            "bhxh_code",
            None,
            lambda rows, cur: ext.get("id_number", rows),
            round(RATES["bhxh_is_id"] * n),
            "code",
            "bhxh_is_id",
        )
    if ext.name == BTXH:

        def spaced(rows: np.ndarray, cur: list[str]) -> Sequence[str | None]:
            seps = rng.choice([" ", "."], len(cur))
            return [s.join((v[:3], v[3:6], v[6:9], v[9:])) for v, s in zip(cur, seps, strict=True)]

        vary("id_number", None, spaced, round(RATES["id_spaced"] * n), "id", "id_spaced")

    names = ext.column("full_name")
    non_ascii = pc.match_substring_regex(names, "[^\\x00-\\x7f]").to_numpy(zero_copy_only=False)
    if ext.name in (BHXH, BTXH):
        vary(
            "full_name",
            non_ascii,
            lambda rows, cur: [_strip_accents(v) for v in cur],
            round(RATES["no_accents"] * n),
            "key",
            "no_accents",
        )
    words = "|".join([*nm.TONE_STYLE, *nm.TONE_STYLE.values()])
    flippable = pc.match_substring_regex(names, f"(^| )({words})( |$)")
    vary(
        "full_name",
        flippable.to_numpy(zero_copy_only=False),
        lambda rows, cur: [_flip_tone(v) for v in cur],
        round(RATES["tone_style"] * n),
        "key",
        "tone_style",
    )

    y, m, d = _ymd(p.dob[pid])
    full = p.precision[pid] == 0
    death = p.death[pid]

    def swap(rows: np.ndarray, cur: list[str]) -> Sequence[str | None]:
        out: list[str | None] = []
        for row in rows:
            new = int(_from_ymd(y[row], d[row], m[row]))
            ok = new <= today and (death[row] < 0 or new < death[row])
            out.append(_fmt(int(y[row]), int(d[row]), int(m[row])) if ok else None)
        return out

    vary("dob", full & (d <= 12) & (d != m), swap, round(RATES["dob_swap"] * n), "key", "dob_swap")
    eligible = full & (y < 1960) & ~((d == 1) & (m == 1))
    k = round(RATES["dob_placeholder"] * int((eligible & ~ext.locked).sum()))
    vary(
        "dob",
        eligible,
        lambda rows, cur: [f"01/01/{v[-4:]}" for v in cur],
        k,
        "key",
        "dob_placeholder",
    )

    def typo(rows: np.ndarray, cur: list[str]) -> Sequence[str | None]:
        out: list[str | None] = []
        for v in cur:
            head, _, given = v.rpartition(" ")
            spots = [i for i in range(1, len(given)) if "a" <= given[i] <= "z"]
            if not spots:
                out.append(None)
                continue
            i = spots[int(rng.integers(len(spots)))]
            letter = str(rng.choice([c for c in "aeiounhtcgm" if c != given[i]]))
            out.append(f"{head} {given[:i]}{letter}{given[i + 1 :]}")
        return out

    vary("full_name", kinh, typo, round(RATES["name_typo"] * n), "key", "name_typo")

    def drop_middle(rows: np.ndarray, cur: list[str]) -> Sequence[str | None]:
        out: list[str | None] = []
        for v in cur:
            parts = v.split(" ")
            if len(parts) < 3:
                out.append(None)
                continue
            del parts[1 + int(rng.integers(len(parts) - 2))]
            out.append(" ".join(parts))
        return out

    vary(
        "full_name",
        kinh,
        drop_middle,
        round(RATES["middle_name_dropped"] * n),
        "key",
        "middle_name_dropped",
    )


def _capitals(ext: _Extract) -> None:
    """BHXH forms want names in capitals: most bhxh rows have them (a variation, not an error)."""
    upper = ext.rng.random(ext.n) < RATES["upper"]
    names = ext.column("full_name")
    ext.cols["full_name"] = pc.if_else(pa.array(upper), pc.utf8_upper(names), names)
    ext.variations.append((np.flatnonzero(upper), "full_name", "upper"))
