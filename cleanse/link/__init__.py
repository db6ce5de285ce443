"""Record linkage and ``reconcile`` (SPEC §4, §5): which records of several extracts
are one person, and the conflicts between them.

``reconcile_files`` opens the extracts; ``reconcile_extracts`` loads their records
(``load_records``), links them into persons (``link``, returning a ``LinkResult``) and
makes the tables of SPEC §5 (``persons``, ``links``, ``review``, ``discrepancies``,
``findings``) and the summary, a ``ReconcileRun``. The design (blocking passes and caps,
weights, thresholds, the guards, how ``person_id`` is made) is in docs/linking.md.
Every step costs about linear time in the number of records.

The package is its API (the names below); the work is in one module per step, each
importing only modules above it in this list:

- ``weights``: the model's numbers, the levels and their weights in bits;
- ``records``: ``load_records``, one compact frame of every record of every extract;
- ``arrays``: the records as numpy arrays for linking, and shared numpy helpers;
- ``blocking``: the candidate pairs, pass by pass, and the identical records;
- ``levels``: the agreement level of each field for every pair;
- ``scoring``: the score of every pair and the weights learnt from the input;
- ``reasons``: a pair's ``reason`` in words;
- ``persons``: ``link``: links, review pairs, persons, the twins and chaining guards;
- ``tables``: the output tables, the values as read and the summary;
- ``findings``: the cross-file rules' findings (``_Finder``).

(``records`` and ``weights`` import nothing of the package.) Of cleanse, the package
imports ``read``, ``prepare``, ``idnumber``, ``normalise``, ``reference``, ``facts``,
``secret``, ``rules`` (the registry of the cross-file rules), ``output`` (the findings'
columns and the run's header), ``errors`` and ``i18n``: never a module above it
(``write``, ``validation``, ``report``, ``run``, ``api``, ``batch``, ``cli``;
tests/test_layers.py holds the layers).

A test that patches a name of linking patches the module that looks it up
(``cleanse.link.blocking.CAP_NAME``); ``cleanse.link.reconcile_files``, which the run
layer imports when it runs, is patched here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cleanse.errors import CleanseError
from cleanse.i18n import msg
from cleanse.link.findings import _Finder
from cleanse.link.persons import LinkResult, link
from cleanse.link.records import load_records
from cleanse.link.scoring import offset
from cleanse.link.tables import (
    DISCREPANCY_COLUMNS,
    LINK_COLUMNS,
    PERSON_COLUMNS,
    _linking_notes,
    _pairs,
    _persons,
    _raw_values,
    _summarise,
)
from cleanse.link.weights import METHODS
from cleanse.read import Extract, check_distinct_names, open_extract

__all__ = [
    "ReconcileRun",
    "reconcile_files",
    "reconcile_extracts",
    "PERSON_COLUMNS",
    "LINK_COLUMNS",
    "DISCREPANCY_COLUMNS",
    "LinkResult",
    "load_records",
    "link",
    "METHODS",
    "offset",
]


@dataclass
class ReconcileRun:
    """The tables of a reconcile run (``persons``, ``links``, ``review``,
    ``discrepancies``, ``findings``), its findings again, and its summary (SPEC §5)."""

    tables: dict[str, pd.DataFrame]
    findings: pd.DataFrame
    summary: dict[str, Any]
    # ``source, row, full_name, id_number`` as read, for each record a finding names:
    # whom it concerns, for the report (``write.attach_people``).
    people: pd.DataFrame | None = None


def reconcile_files(
    paths: Iterable[str],
    *,
    reference: str | None = None,
    read_settings: Mapping[str, Any] | None = None,
    today: pd.Timestamp | None = None,
    gender_codes: Mapping[str, str] | None = None,
    lang: str = "vi",
    threshold: float = 0.85,
    review_threshold: float | None = None,
    twins_guard: bool = True,
    on_stage: Callable[[str], None] | None = None,
) -> ReconcileRun:
    """Open the extracts (the ``reference`` first when given) and reconcile them.

    Every file is opened before any work, so a bad path or a missing column stops the run
    before any output. Without ``reference``, every ``dancu`` extract is the reference.
    """
    started = time.time()
    settings = dict(read_settings or {})
    paths = list(paths)
    extracts: list[Extract] = []
    ref_src: int | None = None
    if reference is not None:
        ref_path = Path(reference).resolve()
        paths = [p for p in paths if Path(p).resolve() != ref_path]
        # The reference is a dân cư extract unless the user said otherwise.
        ref_settings = dict(settings)
        extracts.append(open_extract(reference, **ref_settings))
        ref_src = 0
    extracts += [open_extract(p, **settings) for p in paths]
    if len(extracts) < 2:
        raise CleanseError(
            "reconcile needs at least two extracts (or one and --reference)",
            hint="give two or more files",
        )
    check_distinct_names(extracts)
    return reconcile_extracts(
        extracts,
        reference=ref_src,
        today=today,
        gender_codes=gender_codes,
        lang=lang,
        threshold=threshold,
        review_threshold=review_threshold,
        twins_guard=twins_guard,
        started=started,
        on_stage=on_stage,
    )


def reconcile_extracts(
    extracts: Sequence[Extract],
    *,
    reference: int | None = None,
    today: pd.Timestamp | None = None,
    gender_codes: Mapping[str, str] | None = None,
    lang: str = "vi",
    threshold: float = 0.85,
    review_threshold: float | None = None,
    twins_guard: bool = True,
    started: float | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> ReconcileRun:
    """Reconcile opened extracts; ``reference`` is the index of the reference extract."""
    started = time.time() if started is None else started
    if not 0.0 <= threshold <= 1.0:
        raise CleanseError(
            msg("--threshold {threshold}: give a number from 0 to 1", threshold=threshold)
        )
    review = min(0.70, threshold) if review_threshold is None else review_threshold
    if not 0.0 <= review <= threshold:
        raise CleanseError(
            msg(
                "--review-threshold {review}: give a number from 0 to {threshold}",
                review=review,
                threshold=threshold,
            )
        )
    if on_stage:
        on_stage("reading")
    records = load_records(extracts, gender_codes).reset_index(drop=True)
    if on_stage:
        on_stage("linking")
    result = link(
        records,
        threshold=threshold,
        review_threshold=review,
        reference=reference,
        twins_guard=twins_guard,
    )
    if on_stage:
        on_stage("reporting")
    if reference is not None:
        is_ref = records["src"].to_numpy() == reference
    else:
        is_ref = (records["kind"].astype(str) == "dancu").to_numpy()
    has_reference = reference is not None or bool(is_ref.any())
    day = (today or pd.Timestamp.today()).normalize()
    found = _Finder(records, result, is_ref, has_reference, day.year * 100 + day.month, day)
    raw = _raw_values(extracts, records, found.needed())
    findings = found.findings(raw, lang, extracts)
    discrepancies = found.discrepancies(raw)
    tables = {
        "findings": findings,
        "persons": _persons(result),
        "links": _pairs(records, result, result.links),
        "review": _pairs(records, result, result.review),
        "discrepancies": discrepancies,
    }
    rows = np.bincount(records["src"].to_numpy(dtype=np.int64), minlength=len(extracts))
    summary = _summarise(
        extracts, rows, tables, result, started, reference, is_ref, records, threshold, review
    )
    summary["reconcile"]["twins_guard"] = twins_guard
    summary["notes"] = _linking_notes(result.stats, lang)
    return ReconcileRun(tables, findings, summary, found.people(raw))
