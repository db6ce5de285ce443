"""What a batch run says: its log lines, and the lines of a person watching it.

The log holds one line per job (times, counts, changes and outcome, never a record
value: ``log_line`` masks what it writes). ``RunLog`` appends them; a line that cannot
be written stops nothing. ``job_start`` and ``job_summary`` are the terminal's lines;
``unexpected_line`` the one line for a failure nothing foresaw.

Of the batch package it imports ``jobs``, ``history`` (``JobResult``) and ``changes``
(``STATUSES``); of cleanse, ``errors``, ``i18n``, ``mask`` and ``output``.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from cleanse.batch.changes import STATUSES
from cleanse.batch.history import JobResult
from cleanse.batch.jobs import Job, Settings
from cleanse.errors import CleanseError, failure_place, os_reason
from cleanse.i18n import Msg, msg, say
from cleanse.mask import mask_text
from cleanse.output import make_folders


def unexpected_line(exc: BaseException) -> Msg:
    """One line for a failure nothing foresaw: its type and where in cleanse, no message."""
    return msg("unexpected {place}", place=failure_place(exc))


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds")


def log_line(r: JobResult) -> str:
    """One line for a job: times, rows, findings, changes and outcome; no record value."""
    parts = [
        _iso(r.started),
        f"job={r.name}",
        f"command={r.command}",
        f"end={_iso(r.ended)}",
        f"files={'' if r.files is None else r.files}",
        f"rows={'' if r.rows is None else r.rows}",
        f"findings={'' if r.findings is None else r.findings}",
    ]
    parts += [f"{s}={r.changes[s]}" for s in STATUSES if s in r.changes]
    parts.append(f"outcome={r.outcome}")
    if r.run:
        parts.append(f"run={r.run}")
    if r.error:
        parts.append(f'error="{r.error}"')
    return mask_text(" ".join(parts))


def job_start(job: Job) -> str:
    """The line a person running the batch by hand sees as a job starts, in its lang."""
    n = len(job.inputs) + (job.reference is not None)
    if job.lang == "vi":
        return f"tác vụ {job.name!r} ({job.command}): {n:,} tệp…"
    return f"job {job.name!r} ({job.command}): {n:,} file{'' if n == 1 else 's'}…"


def job_summary(r: JobResult) -> str:
    """The line a person running the batch by hand sees as a job ends, in its lang."""
    files, rows, found = ("?" if v is None else f"{v:,}" for v in (r.files, r.rows, r.findings))
    new, resolved, persisting = (
        f"{r.changes.get(s, 0):,}" for s in ("new", "resolved", "persisting")
    )
    if r.lang == "vi":
        return (
            f"tác vụ {r.name!r}: {files} tệp, {rows} dòng, {found} phát hiện "
            f"(mới {new}, hết {resolved}, còn {persisting}) → {r.run}"
        )
    return (
        f"job {r.name!r}: {files} file{'' if r.files == 1 else 's'}, {rows} rows, {found} findings "
        f"({new} new, {resolved} resolved, {persisting} persisting) → {r.run}"
    )


def _log(path: Path, line: str, modes: tuple[int, int] = (0o700, 0o600)) -> None:
    try:
        make_folders(path.parent, modes[0])
        _append(path, (line.replace("\n", " ") + "\n").encode("utf-8"), modes[1])
    except OSError as exc:
        raise CleanseError(
            msg("cannot write the log: {reason}", reason=os_reason(exc)), path=str(path)
        ) from None


def _append(path: Path, data: bytes, mode: int) -> None:
    """Append ``data`` to ``path`` in one write (created with ``mode``)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


class RunLog:
    """The run's log lines. A line that cannot be written stops nothing: the first
    failure is kept, to be printed once at the end with how many lines were lost."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lines = 0
        self.lost = 0
        self.error: str | None = None

    def write(self, line: str) -> None:
        """Append one line; remember the failure if it cannot be written."""
        self.lines += 1
        try:
            self.settings.check_inside(self.settings.log, None, "settings.log")
            _log(self.settings.log, line, self.settings.modes)
        except CleanseError as exc:
            self.lost += 1
            self.error = self.error or mask_text(exc.line())
        except Exception as exc:  # noqa: BLE001 - the log must not stop the jobs
            self.lost += 1
            self.error = self.error or say(unexpected_line(exc))

    def failure(self) -> str:
        """The one line that says the log failed, and how much of it is missing."""
        return say(
            msg(
                "log: {error}; {lost} of {lines} lines not written",
                error=self.error,
                lost=self.lost,
                lines=self.lines,
            )
        )
