"""The Python API: ``cleanse.validation`` and ``cleanse.link`` on paths or DataFrames.

    import cleanse
    result = cleanse.validate(["bhxh.csv", "hotich.xlsx"], today="2026-11-21")
    result.findings            # one row per finding (SPEC §5)
    result.write("cleanse-out", formats=("csv", "xlsx"))

The same run layer as the CLI and batch (``cleanse.run``), so the tables are the same
as ``cleanse validate``/``cleanse reconcile`` write. A DataFrame is given as a mapping
``{"bhxh": frame}``: it is written, as it is, to a private temporary Parquet file
(``bhxh.parquet``, removed after the run) and read like any extract, so findings name
it ``bhxh.parquet``; its columns are matched as a file's headers are. Errors are
:class:`cleanse.errors.CleanseError`, whose
``line()`` is the one line the CLI prints.

Imports ``run`` and ``options``; nothing of cleanse imports it but ``cleanse``.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cleanse.i18n import using
from cleanse.options import THRESHOLD, LinkOptions, OutputOptions, ReadOptions
from cleanse.run import Outcome, run_fix, run_reconcile, run_validate

Inputs = str | Path | Iterable[str | Path] | Mapping[str, pd.DataFrame | str | Path]


@dataclass
class Result:
    """A finished run: its tables (as found, unmasked), summary and exit status."""

    outcome: Outcome

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the run by name (``findings``, and ``persons``, ``links``,
        ``review``, ``discrepancies`` for reconcile; ``restored`` for validate)."""
        return dict(self.outcome.tables)

    @property
    def findings(self) -> pd.DataFrame:
        return self.outcome.tables["findings"]

    @property
    def summary(self) -> dict[str, Any]:
        """What ``summary.json`` says (counts, inputs, notes)."""
        return self.outcome.written_summary()

    @property
    def status(self) -> int:
        """The exit code the CLI would give: 0, or 1 with findings at ``fail_on``."""
        return int(self.outcome.status)

    def write(
        self,
        out: str | Path,
        *,
        formats: Sequence[str] | None = None,
        mask: bool | None = None,
        shared: bool | None = None,
    ) -> list[Path]:
        """Write the results into ``out`` atomically, as the CLI does; the files written.
        ``formats``, ``mask`` and ``shared`` default to the run's options."""
        base = self.outcome.output
        output = OutputOptions(
            formats=tuple(formats) if formats is not None else base.formats,
            lang=base.lang,
            mask=base.mask if mask is None else mask,
            shared=base.shared if shared is None else shared,
            fail_on=base.fail_on,
        )
        outcome = Outcome(
            self.outcome.command,
            self.outcome.tables,
            self.outcome.summary,
            self.outcome.people,
            output,
            self.outcome.inputs,
            copies=self.outcome.copies,
        )
        outcome.write(out)
        return list(outcome.written or [])


@dataclass
class ValidationResult(Result):
    """``cleanse.validation``'s result."""

    @property
    def restored(self) -> pd.DataFrame:
        """Each cell a column-level spreadsheet repair put back."""
        return self.outcome.tables["restored"]


@dataclass
class ReconcileResult(Result):
    """``cleanse.link``'s result (``reconcile_files``)."""

    @property
    def persons(self) -> pd.DataFrame:
        return self.outcome.tables["persons"]

    @property
    def links(self) -> pd.DataFrame:
        return self.outcome.tables["links"]

    @property
    def review(self) -> pd.DataFrame:
        return self.outcome.tables["review"]

    @property
    def discrepancies(self) -> pd.DataFrame:
        return self.outcome.tables["discrepancies"]


def validate(
    inputs: Inputs,
    *,
    read: ReadOptions | None = None,
    output: OutputOptions | None = None,
    today: str | pd.Timestamp | None = None,
) -> ValidationResult:
    """Check each extract on its own against every single-file rule (SPEC §3).

    ``inputs``: a path, paths, or ``{"name.csv": DataFrame or path}``. ``read`` and
    ``output`` are :class:`~cleanse.options.ReadOptions` and
    :class:`~cleanse.options.OutputOptions` (language, formats, masking, ``fail_on``);
    ``today`` the checks' today (default: the real one).
    """
    output = output or OutputOptions()
    with _paths(inputs) as paths, using(output.lang):
        return ValidationResult(run_validate(paths, read, output, today=_day(today)))


def reconcile(
    inputs: Inputs,
    *,
    reference: str | Path | pd.DataFrame | None = None,
    read: ReadOptions | None = None,
    output: OutputOptions | None = None,
    link: LinkOptions | None = None,
    today: str | pd.Timestamp | None = None,
) -> ReconcileResult:
    """Link the records of several extracts that are one person and report conflicts
    (SPEC §4). ``reference`` is the population extract (a path, or a DataFrame read as
    ``dancu.parquet``); without it every dân cư extract among ``inputs`` is one.
    ``link`` is :class:`~cleanse.options.LinkOptions` (default threshold {THRESHOLD})."""
    output = output or OutputOptions()
    given, ref_name = _with_reference(inputs, reference)
    with _paths(given) as paths, using(output.lang):
        paths, ref = _split_reference(paths, ref_name)
        outcome = run_reconcile(paths, read, output, link, reference=ref, today=_day(today))
    return ReconcileResult(outcome)


reconcile.__doc__ = (reconcile.__doc__ or "").replace("{THRESHOLD}", str(THRESHOLD))


class FixResult(Result):
    """What ``fix`` did: ``changes`` (one row per changed cell), ``worklist`` (one row per
    record that still needs a person), ``findings`` (what is left), and ``copies``, the
    corrected extracts (by their name in the output, ``fixed/bhxh.csv``), which
    :meth:`write` puts beside the tables."""

    @property
    def changes(self) -> pd.DataFrame:
        return self.outcome.tables["changes"]

    @property
    def worklist(self) -> pd.DataFrame:
        return self.outcome.tables["worklist"]

    @property
    def copies(self) -> dict[str, Path]:
        return dict(self.outcome.copies or {})


def fix(
    inputs: Inputs,
    *,
    reference: str | Path | pd.DataFrame | None = None,
    sync: Iterable[str] = (),
    read: ReadOptions | None = None,
    output: OutputOptions | None = None,
    link: LinkOptions | None = None,
    today: str | pd.Timestamp | None = None,
) -> FixResult:
    """Write each extract back with its certain repairs (``cleanse fix``); with
    ``reference``, IDs from linked population records, and the ``sync`` fields (some of
    ``name``, ``dob``, ``gender``). The copies wait in a private temporary folder,
    removed with the result, until :meth:`FixResult.write`."""
    output = output or OutputOptions()
    given, ref_name = _with_reference(inputs, reference)
    with _paths(given) as paths, using(output.lang):
        paths, ref = _split_reference(paths, ref_name)
        outcome = run_fix(paths, read, output, link, reference=ref, sync=sync, today=_day(today))
    return FixResult(outcome)


def _with_reference(
    inputs: Inputs, reference: str | Path | pd.DataFrame | None
) -> tuple[dict[str, pd.DataFrame | str | Path], str | None]:
    """The inputs with the reference among them (a DataFrame as ``dancu.parquet``), and
    the reference's file name."""
    given = _named(inputs)
    if reference is None:
        return given, None
    name = "dancu.parquet" if isinstance(reference, pd.DataFrame) else Path(reference).name
    given[name] = reference
    return given, name


def _split_reference(paths: list[str], name: str | None) -> tuple[list[str], str | None]:
    """The paths of the extracts, and the reference's path apart."""
    if name is None:
        return paths, None
    ref = next(p for p in paths if Path(p).name == name)
    return [p for p in paths if p != ref], ref


def _day(today: str | pd.Timestamp | None) -> pd.Timestamp | None:
    return None if today is None else pd.Timestamp(today)


def _named(inputs: Inputs) -> dict[str, pd.DataFrame | str | Path]:
    if isinstance(inputs, Mapping):
        return dict(inputs)
    if isinstance(inputs, str | Path):
        inputs = [inputs]
    named: dict[str, pd.DataFrame | str | Path] = {}
    for item in inputs:
        named[str(item)] = item  # keyed by the path: two paths may share a file name
    return named


@contextlib.contextmanager
def _paths(inputs: Inputs) -> Iterator[list[str]]:
    """Paths for every input; DataFrames written to a private temporary folder, removed
    after the run (their files hold personal data)."""
    named = _named(inputs)
    frames = {k: v for k, v in named.items() if isinstance(v, pd.DataFrame)}
    if not frames:
        yield [str(v) for v in named.values()]
        return
    with tempfile.TemporaryDirectory(prefix="cleanse-api-") as tmp:
        paths = []
        for name, value in named.items():
            if isinstance(value, pd.DataFrame):
                path = Path(tmp) / f"{Path(name).stem}.parquet"
                value.to_parquet(path, index=False)
                paths.append(str(path))
            else:
                paths.append(str(value))
        yield paths
