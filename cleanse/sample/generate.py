"""``write_samples``: the generator's steps in order, from the people to the files.

The people are drawn, named and described (``people``, ``names``), the four extracts
built from them (``extracts``); then, extract by extract: the truth the people model
gives, the planted cases (``cases``), the variations (``variations``), the injected
errors (``injection``); each extract is written and its truth kept for ``truth``, and
with ``spreadsheet`` its twins are written (``sheets``).

May import every module of the package; of cleanse, nothing beyond what they import.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np

from cleanse.sample.cases import TYPO_SHAPES, _plant_cases
from cleanse.sample.extracts import _build_extracts, _finish, _plant, _Seen, _write_extract
from cleanse.sample.injection import DEFAULT_ERROR_RATE, MAX_ERROR_RATE, _Cases, _inject
from cleanse.sample.layout import BHXH, COLUMNS, DANCU
from cleanse.sample.names import _key_code, _name_people
from cleanse.sample.people import _describe_people, _draw_people
from cleanse.sample.truth import (
    _persons_rows,
    _truth_frame,
    _variation_frames,
    _write_truth,
    _write_twin_truth,
)
from cleanse.sample.variations import _capitals, _vary


def write_samples(
    out_dir: Path,
    persons: int = 2000,
    seed: int = 0,
    as_of: date = date(2026, 11, 1),
    error_rate: float = 0.002,
    spreadsheet: bool = False,
) -> dict[str, int]:
    """Write the four synthetic extracts and their truth into out_dir; return row counts.

    Args:
        out_dir: created if needed; gets ``dancu.csv``, ``bhxh.csv``, ``hotich.csv``,
            ``btxh.csv`` and ``truth/{findings,persons,variations}.csv``.
        persons: people in the population (every rule shows in every file from 2,000).
        seed: seed of ``numpy.random.default_rng``; same arguments, same bytes.
        as_of: the extracts' date: nobody is born after it, deaths end 2 months before.
        error_rate: share of rows per rule and extract that get an injected error
            (at least 3 rows each); the planted linking cases (typos, mistyped and
            carried IDs, second BHXH books, gender words) scale with it. 0 injects
            none (the people model still gives partial birth dates, old CMND numbers,
            homonyms and the reconcile cases).
        spreadsheet: also write each extract as a spreadsheet damaged it, into
            ``spreadsheet/`` (``<name>.xlsx`` and ``<name>.month-first.xlsx``), with
            ``truth/spreadsheet_{columns,cells}.csv`` (``cleanse/sample/sheets.py``).
            The other files stay byte-identical. At most 1,000,000 persons: the
            extracts must fit in a worksheet.

    Returns:
        ``{file name relative to out_dir: data rows}`` for the seven files (and the
        ten more of ``spreadsheet``).
    """
    if persons < 1:
        raise ValueError("persons must be at least 1")
    if not 0 <= error_rate <= MAX_ERROR_RATE:
        raise ValueError(f"error_rate must be between 0 and {MAX_ERROR_RATE}")
    if spreadsheet and persons > 1_000_000:
        raise ValueError("spreadsheet twins need at most 1,000,000 persons (a worksheet's rows)")
    rng = np.random.default_rng(seed)
    people = _draw_people(rng, int(persons), as_of)
    _name_people(rng, people)
    _describe_people(rng, people)
    extracts = _build_extracts(rng, people, as_of)
    people.text = {"cmnd": people.text["cmnd"]}  # the rest is in the extracts now

    out_dir = Path(out_dir)
    (out_dir / "truth").mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    twins = None
    if spreadsheet:
        from cleanse.sample.sheets import Twins

        # A generator of their own: the CSV extracts stay as they are without the twins.
        twins = Twins(out_dir, np.random.default_rng([seed, 1]), datetime(*as_of.timetuple()[:3]))
    truth, who, variations = [], [], []
    width = max(7, len(str(people.n)))
    # Everyone's folded name and birth date as shown, and those that changes make.
    keys = _Seen(people.key, lambda key: _key_code(people, key))
    shapes = [TYPO_SHAPES[i] for i in rng.permutation(len(TYPO_SHAPES))]
    cases = _Cases(error_rate / DEFAULT_ERROR_RATE, [(s, i == 1) for i, s in enumerate(shapes)])
    for ext in extracts:
        _plant(ext, people, keys)
        if ext.name != DANCU:
            _plant_cases(ext, people, cases)
            _vary(ext, people, as_of)
        if ext.name == BHXH:
            _capitals(ext)
        if error_rate > 0:
            _inject(ext, people, as_of, error_rate, cases)
        if ext.name == DANCU:
            cases.clean_ref = np.zeros(people.n, dtype=bool)
            cases.clean_ref[ext.pid[~ext.locked]] = True
        cols, pid, rowno = _finish(ext)
        ext.cols, ext.copies, ext.keys, ext.ids, ext.codes = {}, None, _Seen(), _Seen(), _Seen()
        _write_extract(out_dir, ext.name, cols)
        counts[ext.name] = len(pid)
        truth.append(_truth_frame(ext, rowno))
        if twins is not None:
            twins.add(ext.name, cols, dict(COLUMNS[ext.name]), truth[-1])
        who.append(_persons_rows(ext.name, pid, width))
        variations.extend(_variation_frames(ext, rowno))

    counts.update(_write_truth(out_dir, truth, who, variations))
    if twins is not None:
        counts.update(_write_twin_truth(out_dir, twins))
    return counts
