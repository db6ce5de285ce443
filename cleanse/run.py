"""The run layer: one path from options to written results, for the CLI, batch and the API.

``run_validate`` and ``run_reconcile`` do a whole job: read, check or link, and (given
``out``) refuse before any work a run that would overwrite one of its inputs, then write
the results atomically into ``out``. They return an :class:`Outcome`: the tables as
found, the summary, whom the findings concern, and the exit status the options make of
them. What is written is the same through every door: masked under ``mask``, with the
name and ID beside each finding in the report, ``summary.json`` last and naming every
file (SPEC §5).

Imports the library (``validation``, ``link``, ``output``, ``write``, ``mask``)
and ``options``; nothing imports it but the CLI, ``batch`` and ``cleanse``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cleanse.errors import ExitStatus, status_for
from cleanse.options import LinkOptions, OutputOptions, ReadOptions

VALIDATE_TABLES = ("findings", "restored")
# What reconcile writes (SPEC §5), checked against its inputs before the run; the files
# actually written are checked again before they are put in place.
RECONCILE_TABLES = ("persons", "links", "review", "discrepancies", "findings")


@dataclass
class Outcome:
    """A finished run: its tables as found (unmasked), summary and whom findings concern."""

    command: str  # "validate" or "reconcile"
    tables: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    people: pd.DataFrame | None
    output: OutputOptions
    inputs: list[str]
    written: list[Path] | None = None  # the files of ``write``, once written

    @property
    def status(self) -> ExitStatus:
        """0 or 1 from the findings' severities and ``fail_on`` (SPEC §2)."""
        return status_for(self.summary["counts"]["by_severity"], self.output.fail_on)

    def written_summary(self) -> dict[str, Any]:
        """The summary as ``summary.json`` holds it: with the run's masking and language."""
        return dict(self.summary, masked=bool(self.output.mask), lang=self.output.lang)

    def written_tables(self) -> dict[str, pd.DataFrame]:
        """The tables as written: masked under ``mask``, the people beside the findings
        when the report is written, an empty ``restored`` left out."""
        from cleanse.mask import mask_discrepancies, mask_findings, mask_restored
        from cleanse.write import attach_people

        mask = self.output.mask
        tables = {k: v for k, v in self.tables.items() if k != "restored" or len(v)}
        if mask:
            tables["findings"] = mask_findings(tables["findings"])
            if "discrepancies" in tables:
                tables["discrepancies"] = mask_discrepancies(tables["discrepancies"])
            if "restored" in tables:
                tables["restored"] = mask_restored(tables["restored"])
        if self.output.report:  # whom each finding concerns, beside it in the report
            tables["findings"] = attach_people(tables["findings"], self.people, mask=mask)
        return tables

    def write_into(
        self,
        folder: Path,
        *,
        extra: dict[str, pd.DataFrame] | None = None,
        summary: dict[str, Any] | None = None,
        formats: Sequence[str] | None = None,
    ) -> list[Path]:
        """Write the tables (and ``extra`` ones) and then ``summary.json`` into ``folder``
        (a stage: the caller puts it in place); the files written, the summary last."""
        from cleanse.write import write_summary, write_tables

        tables = {**self.written_tables(), **(extra or {})}
        said = summary if summary is not None else self.written_summary()
        written = write_tables(tables, folder, formats or self.output.formats, summary=said)
        written.append(write_summary(said, folder, files=written))
        return written

    def write(self, out: str | Path) -> Path:
        """Write the results into ``out`` atomically (SPEC §5): the earlier results stay
        whole until the new ones are complete; an input in the way is refused."""
        from cleanse.output import staged_output

        with staged_output(out, shared=self.output.shared, inputs=self.inputs) as stage:
            staged = self.write_into(stage)
        self.written = [Path(out) / p.relative_to(stage) for p in staged]
        return Path(out)


def check_outputs(
    out: str | Path, inputs: Iterable[str | None], command: str, formats: Sequence[str]
) -> None:
    """Refuse, before any work, a run into ``out`` whose results would replace an input."""
    from cleanse.output import check_inputs
    from cleanse.write import result_files

    tables = VALIDATE_TABLES if command == "validate" else RECONCILE_TABLES
    check_inputs(out, inputs, result_files(tables, formats))


def run_validate(
    paths: Iterable[str],
    read: ReadOptions | None = None,
    output: OutputOptions | None = None,
    *,
    out: str | Path | None = None,
    today: pd.Timestamp | None = None,
    on_file: Callable[[Any], None] | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> Outcome:
    """Validate each file on its own (SPEC §3); with ``out``, write the results there."""
    from cleanse.validation import validate_files

    read = read or ReadOptions()
    output = output or OutputOptions()
    paths = [str(p) for p in paths]
    if out is not None:
        check_outputs(out, paths, "validate", output.formats)
    run = validate_files(
        paths,
        read_settings=read.settings(),
        today=today,
        gender_codes=read.gender_codes,
        lang=output.lang,
        on_file=on_file,
        on_rows=on_rows,
        people=output.report,
    )
    tables = {"findings": run.findings, "restored": run.restored}
    outcome = Outcome("validate", tables, dict(run.summary), run.people, output, paths)
    if out is not None:
        outcome.write(out)
    return outcome


def run_reconcile(
    paths: Iterable[str],
    read: ReadOptions | None = None,
    output: OutputOptions | None = None,
    link: LinkOptions | None = None,
    *,
    reference: str | None = None,
    out: str | Path | None = None,
    today: pd.Timestamp | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> Outcome:
    """Link the records of several extracts (SPEC §4); with ``out``, write the results."""
    from cleanse.link import reconcile_files

    read = read or ReadOptions()
    output = output or OutputOptions()
    link = link or LinkOptions()
    paths = [str(p) for p in paths]
    inputs = [*paths, *([str(reference)] if reference is not None else [])]
    if out is not None:
        check_outputs(out, inputs, "reconcile", output.formats)
    run = reconcile_files(
        paths,
        reference=str(reference) if reference is not None else None,
        read_settings=read.settings(),
        today=today,
        gender_codes=read.gender_codes,
        lang=output.lang,
        threshold=link.threshold,
        review_threshold=link.review,
        twins_guard=link.twins_guard,
        on_stage=on_stage,
    )
    outcome = Outcome("reconcile", dict(run.tables), dict(run.summary), run.people, output, inputs)
    if out is not None:
        outcome.write(out)
    return outcome
