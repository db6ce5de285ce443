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
FIX_TABLES = ("findings", "changes", "worklist")
# --sync: the words a user gives, and the fields they are.
SYNC_WORDS = {"name": "full_name", "dob": "dob", "gender": "gender"}


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
    # fix: the corrected copies, by their name in the output folder (``fixed/x.csv``),
    # and where they are until the results are written.
    copies: dict[str, Path] | None = None
    _cleanup: Any = None  # removes the copies' temporary folder (weakref.finalize)

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
        from cleanse.mask import mask_changes, mask_discrepancies, mask_findings, mask_restored
        from cleanse.write import attach_people

        mask = self.output.mask
        tables = {k: v for k, v in self.tables.items() if k != "restored" or len(v)}
        if mask:
            tables["findings"] = mask_findings(tables["findings"])
            if "changes" in tables:
                tables["changes"] = mask_changes(tables["changes"])
            if "worklist" in tables:
                from cleanse.mask import mask_worklist

                tables["worklist"] = mask_worklist(tables["worklist"])
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
        written = self._place_copies(folder)
        written += write_tables(tables, folder, formats or self.output.formats, summary=said)
        written.append(write_summary(said, folder, files=written))
        return written

    def discard(self) -> None:
        """Remove the copies' temporary folder (once they are written, or not wanted)."""
        if self._cleanup is not None:
            self._cleanup()

    def _place_copies(self, folder: Path) -> list[Path]:
        """Move (or copy, across disks) the corrected copies of ``fix`` into ``folder``."""
        import shutil

        placed = []
        for name, at in (self.copies or {}).items():
            dest = folder / name
            if at != dest:
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(at, dest)
            placed.append(dest)
        return placed

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

    tables = {"validate": VALIDATE_TABLES, "fix": FIX_TABLES}.get(command, RECONCILE_TABLES)
    files = result_files(tables, formats)
    if command == "fix":
        from cleanse.fixing import FIXED_FOLDER

        files += [f"{FIXED_FOLDER}/{Path(p).name}" for p in inputs if p is not None]
    check_inputs(out, inputs, files)


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


def run_fix(
    paths: Iterable[str],
    read: ReadOptions | None = None,
    output: OutputOptions | None = None,
    link: LinkOptions | None = None,
    *,
    reference: str | None = None,
    sync: Iterable[str] = (),
    out: str | Path | None = None,
    today: pd.Timestamp | None = None,
    on_file: Callable[[Any], None] | None = None,
    on_rows: Callable[[int], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> Outcome:
    """Write each extract back with its certain repairs (issue 17); with ``reference``,
    IDs (and the ``sync`` fields) from linked population records. With ``out`` the
    copies go into ``out/fixed/`` beside ``changes``, ``worklist`` and ``findings``;
    without, they wait in a private temporary folder until :meth:`Outcome.write`."""
    import tempfile

    from cleanse.output import staged_output

    read = read or ReadOptions()
    output = output or OutputOptions()
    link = link or LinkOptions()
    paths = [str(p) for p in paths]
    fields = _sync_fields(sync)
    if fields and reference is None:
        from cleanse.errors import CleanseError

        raise CleanseError("--sync takes its values from the population data: give --reference")
    inputs = [*paths, *([str(reference)] if reference is not None else [])]
    if out is not None:
        check_outputs(out, inputs, "fix", output.formats)
        with staged_output(out, shared=output.shared, inputs=inputs) as stage:
            outcome = _fix(
                paths,
                read,
                output,
                link,
                reference,
                fields,
                stage,
                today,
                on_file,
                on_rows,
                on_stage,
            )
            staged = outcome.write_into(stage)
        outcome.written = [Path(out) / p.relative_to(stage) for p in staged]
        outcome.copies = {name: Path(out) / name for name in (outcome.copies or {})}
        return outcome
    import shutil
    import weakref

    # Private (0700) and removed with the outcome: the copies hold personal data.
    folder = Path(tempfile.mkdtemp(prefix="cleanse-fix-"))
    try:
        outcome = _fix(
            paths, read, output, link, reference, fields, folder, today, on_file, on_rows, on_stage
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    outcome._cleanup = weakref.finalize(outcome, shutil.rmtree, str(folder), True)
    return outcome


def _sync_fields(sync: Iterable[str]) -> frozenset[str]:
    from cleanse.errors import CleanseError
    from cleanse.i18n import msg

    fields = set()
    for word in sync:
        word = word.strip()
        if not word:
            continue
        if word not in SYNC_WORDS:
            raise CleanseError(
                msg(
                    "--sync {word!r}: give some of {words}",
                    word=word,
                    words=", ".join(SYNC_WORDS),
                )
            )
        fields.add(SYNC_WORDS[word])
    return frozenset(fields)


def _fix(
    paths: list[str],
    read: ReadOptions,
    output: OutputOptions,
    link: LinkOptions,
    reference: str | None,
    fields: frozenset[str],
    folder: Path,
    today: pd.Timestamp | None,
    on_file: Callable[[Any], None] | None,
    on_rows: Callable[[int], None] | None,
    on_stage: Callable[[str], None] | None,
) -> Outcome:
    from cleanse.fixing import FIXED_FOLDER, fix_files
    from cleanse.read import check_distinct_names, open_extract
    from cleanse.worklist import build_worklist

    settings = read.settings()
    extracts = [open_extract(p, **settings) for p in paths]
    ref = open_extract(reference, **settings) if reference is not None else None
    check_distinct_names([*([ref] if ref is not None else []), *extracts])
    plan = None
    linked = None
    if ref is not None:
        plan, linked = _plan(ref, extracts, read, output, link, fields, today, on_stage)
    if on_stage:
        on_stage("fixing")
    run = fix_files(
        paths,
        folder / FIXED_FOLDER,
        extracts=extracts,
        today=today,
        gender_codes=read.gender_codes,
        stated_codes=read.gender_codes is not None,
        lang=output.lang,
        sync=plan,
        on_file=on_file,
        on_rows=on_rows,
    )
    findings, changes = run.findings, run.changes
    summary = dict(run.summary)
    if linked is not None:
        from cleanse.sync import settled

        names = {e.name for e in extracts}
        theirs = linked[linked["source"].astype(str).isin(names)]
        done = settled(theirs, changes)
        findings = pd.concat([findings, theirs[~done]], ignore_index=True)
        summary["reconcile"] = {
            "reference": ref.name if ref is not None else None,
            "findings": len(theirs),
            "settled": int(done.sum()),
        }
        _recount(summary, findings)
    changes = changes.drop(columns="synced")
    people = run.people.merge(
        findings[["source", "row", "sheet_row"]]
        .dropna(subset=["row"])
        .drop_duplicates(["source", "row"]),
        on=["source", "row"],
        how="left",
    )
    kinds = {e.name: e.kind for e in [*extracts, *([ref] if ref is not None else [])]}
    people = _with_deaths(people, findings, [*extracts, *([ref] if ref is not None else [])])
    people["kind"] = people["source"].astype(str).map(kinds).astype("string")
    worklist = build_worklist(findings, people, output.lang)
    summary["worklist"] = {"rows": len(worklist)}
    tables = {"findings": findings, "changes": changes, "worklist": worklist}
    inputs = [*paths, *([str(reference)] if reference is not None else [])]
    outcome = Outcome("fix", tables, summary, run.people, output, inputs)
    outcome.copies = {f"{FIXED_FOLDER}/{f.copy.name}": f.copy for f in run.files}
    return outcome


def _plan(ref, extracts, read, output, link, fields, today, on_stage):  # type: ignore[no-untyped-def]
    """Link the inputs to the reference and decide what each record takes from it."""
    from cleanse.link import reconcile_extracts
    from cleanse.sync import plan_sync
    from cleanse.validation import validate_extracts

    rec = reconcile_extracts(
        [ref, *extracts],
        reference=0,
        today=today,
        gender_codes=read.gender_codes,
        lang=output.lang,
        threshold=link.threshold,
        review_threshold=link.review_threshold,
        twins_guard=link.twins_guard,
        on_stage=on_stage,
    )
    if on_stage:
        on_stage("checking the reference")
    (checked,) = validate_extracts([ref], today=today, gender_codes=read.gender_codes, people=False)
    plan = plan_sync(
        rec.tables["links"],
        ref,
        extracts,
        checked.findings,
        threshold=link.threshold,
        fields=fields,
        gender_codes=read.gender_codes,
        lang=output.lang,
    )
    return plan, rec.findings


def _recount(summary: dict[str, Any], findings: pd.DataFrame) -> None:
    """The summary's counts of the findings left, reconcile's included."""
    counts = summary["counts"]
    counts["findings"] = len(findings)
    counts["by_severity"] = {
        s: int((findings["severity"] == s).sum()) for s in ("error", "warning")
    }
    counts["by_rule"] = {str(k): int(v) for k, v in findings["rule"].value_counts().items()}
    errors = findings[findings["severity"] == "error"]
    counts["rows_with_errors"] = int(errors[["source", "row"]].drop_duplicates().shape[0])


def _with_deaths(people: pd.DataFrame, findings: pd.DataFrame, extracts: list[Any]) -> pd.DataFrame:
    """``people`` with the death date of each death record a ``vital.deceased_active``
    finding points at (the worklist says from which month payment stops): those
    records are read again, only the files they are in."""
    import numpy as np

    deaths = findings[findings["rule"] == "vital.deceased_active"]
    wanted = deaths[["related_source", "related_row"]].dropna().drop_duplicates()
    if not len(wanted):
        return people
    parts = []
    for ext in extracts:
        rows = wanted.loc[wanted["related_source"] == ext.name, "related_row"].astype("int64")
        if not len(rows) or "death_date" not in ext.columns.present:
            continue
        for chunk in ext.chunks():
            at = chunk.frame.index.to_numpy() + 1
            keep = np.isin(at, rows.to_numpy())
            if keep.any():
                parts.append(
                    pd.DataFrame(
                        {
                            "source": ext.name,
                            "row": pd.array(at[keep], dtype="Int64"),
                            "death_date": chunk.frame["death_date"].to_numpy()[keep],
                        }
                    )
                )
    if not parts:
        return people
    found = pd.concat(parts, ignore_index=True)
    out = people.copy()
    out["row"] = out["row"].astype("Int64")
    merged = out.merge(found, on=["source", "row"], how="outer", suffixes=("", "_dead"))
    if "death_date_dead" in merged.columns:
        merged["death_date"] = (
            merged["death_date"]
            .astype("string")
            .fillna(merged.pop("death_date_dead").astype("string"))
        )
    return merged
