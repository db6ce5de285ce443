"""Synthetic extracts with known injected errors and their truth (`cleanse sample`).

``write_samples`` draws a population of people, writes what four systems would export
about them (dân cư, BHXH, hộ tịch, bảo trợ xã hội), injects single-file errors into a
known set of rows, plants cross-file cases for reconciliation, and writes the truth
beside them. Everything is drawn from ``numpy.random.default_rng(seed)`` over whole
arrays, so the same arguments give byte-identical files and a million people take
seconds. Python loops run only over the small injected subsets. ``samples/README.md``
describes the files, the people model and the rates.

The modules, each importing only those above it:

- ``layout``: the extracts' files, columns, formats, rules, coded values and rates;
  ``tables``: the name and place data drawn from (DOMAIN.md §7.4)
- ``arrays``, ``dates``, ``spelling``: helpers over whole arrays, day numbers and date
  text, a name's other spellings
- ``people``: the population (persons, IDs, birth and death dates, places);
  ``names``: their names, unique by folded name and birth date
- ``extracts``: building, changing and writing each kind of extract
- ``injection``: the injected errors of every kind and their shares; ``cases``: the
  planted linking cases; ``variations``: how a record varies between systems
- ``sheets``: the spreadsheet twins (``--spreadsheet``); ``truth``: the truth files
- ``generate``: ``write_samples``, the steps in order

The generator may import cleanse's reference data (``cleanse.reference``) and
normalisation helpers (``cleanse.normalise``), never the validator, reconcile, the run
layer, the CLI or batch: it makes the data those are tested on. Names with a leading
underscore are the package's own; this module re-exports what the rest of cleanse, the
tests and the benchmarks use.
"""

from __future__ import annotations

from cleanse.sample.generate import write_samples
from cleanse.sample.injection import CASE_RATES, MAX_ERROR_RATE
from cleanse.sample.layout import (
    BHXH,
    BTXH,
    COLUMNS,
    DANCU,
    FORMATS,
    HOTICH,
    MISSING_FIELDS,
    RULES,
    SOURCES,
)

__all__ = [
    "BHXH",
    "BTXH",
    "CASE_RATES",
    "COLUMNS",
    "DANCU",
    "FORMATS",
    "HOTICH",
    "MAX_ERROR_RATE",
    "MISSING_FIELDS",
    "RULES",
    "SOURCES",
    "write_samples",
]
