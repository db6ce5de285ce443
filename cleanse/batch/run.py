"""Running a batch: every job of a plan under the lock, each into a dated run folder.

``run_batch`` takes the batch lock and runs the jobs one after the other; no failing
part (a job, the log, the history) stops the others. ``run_job`` takes the job's folder
(its lock, a fresh staging folder), runs the command through the run layer
(``cleanse.run``), compares the findings with the previous run's, writes the stage and
renames it into its run folder in one step, points ``latest`` at it and prunes old runs.

Imports every module of the batch package but ``chart``; of cleanse, the run layer
(``run``) and ``errors``, ``i18n``, ``mask`` and ``output``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cleanse.batch.changes import STATUSES, compare_findings, previous_findings, record_keys
from cleanse.batch.folders import (
    STAGE_PREFIX,
    STAMP,
    _remove_stages,
    free_run_name,
    point_latest,
    prune_runs,
)
from cleanse.batch.history import JobResult, append_history
from cleanse.batch.jobs import Job, Plan, Settings
from cleanse.batch.lock import batch_lock, folder_lock
from cleanse.batch.log import RunLog, _iso, log_line, unexpected_line
from cleanse.errors import CleanseError, ExitStatus, os_reason, status_for
from cleanse.i18n import msg, say
from cleanse.mask import mask_text
from cleanse.output import make_folders, output_modes
from cleanse.run import Outcome, run_fix, run_reconcile, run_validate


@dataclass
class BatchResult:
    """Every job's result, the worst outcome, and the lines to print (failures only)."""

    jobs: list[JobResult]
    status: int
    failures: list[str]


def run_batch(
    plan: Plan,
    *,
    now: dt.datetime | None = None,
    on_start: Callable[[Job], None] | None = None,
    on_done: Callable[[JobResult], None] | None = None,
) -> BatchResult:
    """Run every job of the plan under the lock; no failing part stops the others.

    A job that fails, a log that cannot be written (a folder, a full disk, a changed
    permission) or a history that cannot be appended each gives one line in
    ``failures`` and exit code 2; the other jobs run and the other parts are written.
    ``on_start`` and ``on_done`` are called as each job starts and ends (a terminal's
    lines).
    """
    moment = (now or dt.datetime.now()).astimezone()
    settings = plan.settings
    failures: list[str] = []
    log = RunLog(settings)
    with batch_lock(settings.lock, settings.modes) as left, warnings.catch_warnings():
        # Cron mails whatever is printed: library warnings must not reach stderr.
        warnings.simplefilter("ignore")
        if left is not None and left != os.getpid():
            log.write(f"{_iso(time.time())} lock left by pid {left} taken over")
        results = []
        for job in plan.jobs:
            if on_start:
                on_start(job)
            result = run_job(job, settings, moment, today=now is not None)
            results.append(result)
            if on_done:
                on_done(result)
            log.write(log_line(result))
            if result.error:
                failures.append(
                    say(msg("job {name!r}: {error}", name=job.name, error=result.error))
                )
        if log.error:
            failures.append(log.failure())
        try:
            settings.check_inside(settings.history, None, "settings.history")
            append_history(settings.history, moment, results, shared=settings.shared)
        except CleanseError as exc:
            failures.append(say(msg("history: {error}", error=mask_text(exc.line()))))
        except Exception as exc:  # noqa: BLE001 - the jobs' results are written already
            failures.append(say(msg("history: {error}", error=unexpected_line(exc))))
    status = max([r.status for r in results] + [ExitStatus.ERROR if failures else 0])
    return BatchResult(results, int(status), failures)


def run_job(job: Job, settings: Settings, moment: dt.datetime, *, today: bool) -> JobResult:
    """Run one job into a staging folder, compare with the previous run, publish, prune."""
    started = time.time()
    result = JobResult(job.name, job.command, ExitStatus.ERROR, started, started, lang=job.lang)
    try:
        if job.missing:
            raise CleanseError(job.missing)
        _run_job(job, settings, moment, pd.Timestamp(moment.date()) if today else None, result)
    except CleanseError as exc:  # said in the job's language, as its other lines are
        result.status, result.error = ExitStatus.ERROR, mask_text(exc.line(job.lang))
    except Exception as exc:  # noqa: BLE001 - one job's bug must not stop the others
        result.status = ExitStatus.ERROR
        result.error = say(unexpected_line(exc), job.lang)
    result.ended = time.time()
    return result


def _run_job(
    job: Job, settings: Settings, moment: dt.datetime, today: pd.Timestamp | None, result: JobResult
) -> None:
    """Take the job's folder (its lock, a fresh stage), then run the job into it."""
    base = job.base
    dir_mode, file_mode = output_modes(shared=job.shared)
    result.files = len(job.inputs) + (job.reference is not None)
    # Again now: a link made in the tree since the file was read must not lead out.
    settings.check_inside(base, None, "out")  # the job is named by the caller
    with contextlib.ExitStack() as held:
        try:
            # Every folder made here, the top one above the jobs too, is private (or shared).
            make_folders(base, dir_mode)
            held.enter_context(folder_lock(base, file_mode))
            _remove_stages(base)  # we hold the folder's lock: none of them is live
            stage = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=base))
        except OSError as exc:
            raise CleanseError(
                msg("cannot create the output folder: {reason}", reason=os_reason(exc)),
                path=str(base),
            ) from None
        _run_into(job, settings, moment, today, result, stage)


def _run_into(
    job: Job,
    settings: Settings,
    moment: dt.datetime,
    today: pd.Timestamp | None,
    result: JobResult,
    stage: Path,
) -> None:
    """Run the command, compare, write the stage and rename it into a run folder."""
    base = job.base
    dir_mode, file_mode = output_modes(shared=job.shared)
    try:
        outcome = _run_command(job, today)
        paths = {p.name: p for p in [*job.inputs, *([job.reference] if job.reference else [])]}
        findings = outcome.tables["findings"]
        records = record_keys(findings, paths, job.read_settings(), job.gender_codes)
        previous_run, previous = previous_findings(base)
        changes = compare_findings(findings.assign(record=records), previous)
        counts = {s: int((changes["status"] == s).sum()) for s in STATUSES}
        run_name = free_run_name(base, moment.strftime(STAMP))
        summary = dict(
            outcome.written_summary(),
            changes=dict(counts, previous_run=previous_run),
            batch={"job": job.name, "run": run_name},
        )
        # Parquet always: the next run compares with this one's findings.
        formats = job.formats if "parquet" in job.formats else ("parquet", *job.formats)
        # A fix job has a changes table of its own (the cells it changed): there the
        # comparison with the previous run is called progress.
        compared = "progress" if job.command == "fix" else "changes"
        outcome.write_into(stage, extra={compared: changes}, summary=summary, formats=formats)
        outcome.discard()
        for f in stage.rglob("*"):
            os.chmod(f, dir_mode if f.is_dir() else file_mode)
        os.chmod(stage, dir_mode)
        # One rename: the run folder appears whole or not at all.
        os.rename(stage, base / run_name)
    except OSError as exc:
        raise CleanseError(
            msg("cannot write the results: {reason}", reason=os_reason(exc)), path=str(base)
        ) from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    point_latest(base, run_name)
    prune_runs(base, settings.keep)
    by = summary["counts"]["by_severity"]
    result.status = status_for(by, job.fail_on)
    result.run = run_name
    result.rows = int(sum(i["rows"] for i in summary["inputs"]))
    result.findings = int(summary["counts"]["findings"])
    result.by_severity = dict(by)
    result.by_rule = dict(summary["counts"]["by_rule"])
    result.changes = counts


def _run_command(job: Job, today: pd.Timestamp | None) -> Outcome:
    """Run the job's validate, reconcile or fix through the run layer (nothing written
    yet: a fix job's copies wait in a temporary folder until the stage is written)."""
    inputs = [str(p) for p in job.inputs]
    if job.command == "validate":
        return run_validate(inputs, job.read_options(), job.output_options(), today=today)
    if job.command == "fix":
        return run_fix(
            inputs,
            job.read_options(),
            job.output_options(),
            job.link_options(),
            reference=str(job.reference) if job.reference else None,
            sync=job.sync,
            today=today,
        )
    return run_reconcile(
        inputs,
        job.read_options(),
        job.output_options(),
        job.link_options(),
        reference=str(job.reference) if job.reference else None,
        today=today,
    )
