"""``batch``: validate and reconcile jobs from a TOML file, unattended (SPEC §6).

A run is safe under cron: it takes a lock (``fcntl.flock``, which the operating system
releases when the holder dies, so a lock left by a killed run is simply taken over),
prints nothing unless something fails, appends one line per job to a log that holds no
record values, builds each job's results in a staging folder that is renamed into its
dated folder in one step, points ``latest`` at it, prunes old runs and compares the
job's findings with its previous run (``changes``), keyed by the record, not the row.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import glob
import os
import re
import shutil
import tempfile
import time
import tomllib
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cleanse.errors import CleanseError, ExitStatus, failure_place, os_reason, status_for
from cleanse.fields import parse_map_option, read_map_file
from cleanse.history import JobResult, append_history
from cleanse.i18n import Msg, language_from, msg, say
from cleanse.mask import mask_text
from cleanse.normalise import parse_gender_codes
from cleanse.options import (
    SPECS,
    THRESHOLD,
    LinkOptions,
    OutputOptions,
    ReadOptions,
    Refused,
    unknown_key,
)
from cleanse.output import make_folders, output_modes
from cleanse.run import Outcome, run_reconcile, run_validate

COMMANDS = ("validate", "reconcile")
STATUSES = ("new", "persisting", "resolved")
CHANGE_COLUMNS = [
    "status",
    "record",
    "rule",
    "severity",
    "field",
    "occurrence",
    "source",
    "row",
    "previous_source",
    "previous_row",
]
STAMP = "%Y-%m-%dT%H%M"
RUN_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{4}(?:-(\d+))?$")
LATEST = "latest"
STAGE_PREFIX = ".stage-"
_JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

TOP_KEYS = ("settings", "job", "allow_outside")
SETTINGS_KEYS = ("log", "keep", "lock", "history", "shared")
# A job's own keys, then the options of a run (cleanse.options.SPECS), as the CLI's.
JOB_KEYS = ("name", "command", "inputs", "reference", "out", "map", "map_file", *SPECS)
RECONCILE_ONLY = ("reference", *(k for k, spec in SPECS.items() if spec.reconcile_only))
DEFAULT_SETTINGS: dict[str, Any] = {
    "log": "cleanse-batch.log",
    "keep": 30,
    "lock": "cleanse-batch.lock",
    "history": "cleanse-history",
    "shared": False,
}
DEFAULT_OUT = "cleanse-batch/{job}/{date}"
# In each job's folder, held while the job writes there: two runs of two jobs files
# whose jobs share a folder would otherwise remove each other's staging folders.
FOLDER_LOCK = ".cleanse-batch.lock"


# --- the jobs file ---------------------------------------------------------------------


@dataclass
class Settings:
    """Settings shared by every job: log file, runs kept, lock file, history folder."""

    log: Path
    keep: int
    lock: Path
    history: Path
    shared: bool = False  # folders 0750 and files 0640 instead of 0700 and 0600
    home: Path | None = None  # the jobs file's real folder: what it writes stays below
    allow_outside: bool = False

    @property
    def modes(self) -> tuple[int, int]:
        """(folder, file) modes of what the batch itself creates: log, lock, history."""
        return output_modes(shared=self.shared)

    def check_inside(self, path: Path, job: str | None, key: str, given: str | None = None) -> None:
        """Refuse a path that leads outside the jobs file's folder, symlinks followed.

        Checked when the file is read and again just before the path is written to, so
        a link made in between does not lead the run elsewhere.
        """
        if self.allow_outside or self.home is None:
            return
        real = outside(path, self.home)
        if real is not None:
            where = (
                msg("job {job!r}, key {key!r}", job=job, key=key)
                if job
                else msg("key {key!r}", key=key)
            )
            raise CleanseError(
                msg(
                    "{where}: {given!r} leads to {real}, outside the jobs file's folder {home}",
                    where=where,
                    given=given or str(path),
                    real=real,
                    home=self.home,
                ),
                hint="keep what the jobs write below that folder, or put "
                "allow_outside = true at the top of the jobs file",
            )


def outside(path: Path, home: Path) -> Path | None:
    """The real path of ``path`` (links followed) when it is not ``home`` or below it."""
    real = Path(os.path.realpath(path))
    return None if real == home or home in real.parents else real


@dataclass
class Job:
    """One job of the file, checked: what to run over which inputs, and where to write."""

    name: str
    command: str
    patterns: list[str]
    inputs: list[Path]
    base: Path  # the folder that holds the job's dated run folders and ``latest``
    reference: Path | None = None
    missing: Msg | None = None  # why an input is missing: the job fails alone
    source: str | None = None
    formats: tuple[str, ...] = ("parquet", "csv", "xlsx")
    lang: str = "vi"
    mask: bool = False
    shared: bool = False
    fail_on: str = "error"
    user_map: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    sheet: str | None = None
    gender_codes: dict[str, str] | None = None
    threshold: float = THRESHOLD
    review_threshold: float | None = None
    twins_guard: bool = True

    def read_options(self) -> ReadOptions:
        """How the job reads its inputs, as the run layer takes it."""
        return ReadOptions(
            source=self.source,
            user_map=self.user_map,
            encoding=self.encoding,
            sheet=self.sheet,
            gender_codes=self.gender_codes,
        )

    def output_options(self) -> OutputOptions:
        """What the job writes, as the run layer takes it."""
        return OutputOptions(
            formats=self.formats,
            lang=self.lang,
            mask=self.mask,
            shared=self.shared,
            fail_on=self.fail_on,
        )

    def link_options(self) -> LinkOptions:
        """How a reconcile job links."""
        return LinkOptions(self.threshold, self.review_threshold, self.twins_guard)

    def read_settings(self) -> dict[str, Any]:
        """Keyword arguments for ``open_extract``."""
        return {
            "source": self.source,
            "user_map": self.user_map,
            "encoding": self.encoding,
            "sheet": self.sheet,
        }


@dataclass
class Plan:
    """A checked jobs file."""

    path: Path
    settings: Settings
    jobs: list[Job]


def load_jobs(path: str | Path) -> Plan:
    """Read and check a jobs file; raise one ``CleanseError`` naming the job and the key.

    Relative paths in the file are taken from the file's own folder, so cron's working
    directory does not matter. An unknown key or a bad value stops everything; an input
    that is missing is found here too, but fails only its job (``Job.missing``).
    """
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise CleanseError(
            msg("cannot read the jobs file: {reason}", reason=os_reason(exc)), path=str(p)
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CleanseError(msg("not a valid TOML file: {exc}", exc=exc), path=str(p)) from None
    home = p.resolve().parent
    for key in data:
        if key not in TOP_KEYS:
            raise _bad(
                p, None, key, "unknown key; the file holds allow_outside, [settings] and [[job]]"
            )
    allow_outside = data.get("allow_outside", False)
    if not isinstance(allow_outside, bool):
        raise _bad(
            p,
            None,
            "allow_outside",
            msg("{value!r}: give true or false", value=allow_outside),
        )
    raw_settings = data.get("settings", {})
    if not isinstance(raw_settings, dict):
        raise _bad(p, None, "settings", "must be a table: [settings]")
    settings = _settings(p, home, raw_settings, allow_outside)
    raw_jobs = data.get("job", [])
    if not isinstance(raw_jobs, list) or not raw_jobs:
        raise _bad(p, None, "job", "no jobs: add at least one [[job]] table")
    jobs = [_job(p, home, i, raw, settings) for i, raw in enumerate(raw_jobs, start=1)]
    names: set[str] = set()
    folders: dict[str, str] = {}  # real path of a job's folder -> the job writing there
    for j in jobs:
        if j.name in names:
            raise _bad(p, j.name, "name", "two jobs have this name")
        names.add(j.name)
        # Two spellings of one folder (out/./a, a link) are one folder.
        real = os.path.realpath(j.base)
        if real in folders:
            raise _bad(
                p,
                j.name,
                "out",
                msg("job {job!r} writes into the same folder; use {{job}}", job=folders[real]),
            )
        folders[real] = j.name
    # The log, lock and history live beside the run folders, never among them: a job's
    # pruning, staging and ``latest`` would take them for its own.
    for key in ("log", "lock", "history"):
        place = Path(os.path.realpath(getattr(settings, key)))
        for folder, job in folders.items():
            if place == Path(folder) or Path(folder) in place.parents:
                raise _bad(
                    p,
                    None,
                    f"settings.{key}",
                    msg("inside the folder of job {job!r}; put it beside", job=job),
                )
    return Plan(p, settings, jobs)


def _bad(path: Path, job: str | None, key: str, message: str | Msg) -> CleanseError:
    where = (
        msg("job {job!r}, key {key!r}", job=job, key=key) if job else msg("key {key!r}", key=key)
    )
    said = message if isinstance(message, Msg) else Msg(message)  # a msgid, worded
    return CleanseError(msg("{where}: {message}", where=where, message=said), path=str(path))


def _inside(p: Path, settings: Settings, path: Path, job: str | None, key: str, given: str) -> None:
    try:
        settings.check_inside(path, job, key, given)
    except CleanseError as exc:  # the same line, naming the jobs file
        raise CleanseError(exc.message, path=str(p), hint=exc.hint) from None


def _settings(p: Path, home: Path, raw: dict[str, Any], allow_outside: bool = False) -> Settings:
    for key in raw:
        if key not in SETTINGS_KEYS:
            raise _bad(p, None, f"settings.{key}", unknown_key(key, SETTINGS_KEYS))
    values = dict(DEFAULT_SETTINGS, **raw)
    for key in ("log", "lock", "history"):
        if not isinstance(values[key], str) or not values[key].strip():
            raise _bad(p, None, f"settings.{key}", "give a path as text")
    keep = values["keep"]
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise _bad(
            p,
            None,
            "settings.keep",
            msg("{value!r}: give a whole number of runs, 1 or more", value=keep),
        )
    if not isinstance(values["shared"], bool):
        raise _bad(
            p, None, "settings.shared", msg("{value!r}: give true or false", value=values["shared"])
        )
    settings = Settings(
        log=home / values["log"],
        keep=keep,
        lock=home / values["lock"],
        history=home / values["history"],
        shared=values["shared"],
        home=home,
        allow_outside=allow_outside,
    )
    for key in ("log", "lock", "history"):
        _inside(p, settings, getattr(settings, key), None, f"settings.{key}", values[key])
    return settings


def _job(p: Path, home: Path, number: int, raw: Any, settings: Settings) -> Job:
    if not isinstance(raw, dict):
        raise _bad(p, f"#{number}", "job", "must be a table: [[job]]")
    name = raw.get("name")
    if not isinstance(name, str) or not _JOB_NAME.match(name):
        raise _bad(p, f"#{number}", "name", "give a name of letters, digits, '.', '_' or '-'")

    def bad(key: str, message: str | Msg) -> CleanseError:
        return _bad(p, name, key, message)

    for key in raw:
        if key not in JOB_KEYS:
            raise bad(key, unknown_key(key, JOB_KEYS))
    command = raw.get("command")
    if command not in COMMANDS:
        raise bad("command", msg("{value!r}: use validate or reconcile", value=command))
    if command != "reconcile":
        for key in RECONCILE_ONLY:
            if key in raw:
                raise bad(key, "only reconcile jobs take it")
    # The run's options, checked as the option table says; the defaults as the CLI's.
    defaults = dict(
        {k: spec.default for k, spec in SPECS.items()},
        lang=language_from([], os.environ),
        shared=settings.shared,
    )
    given: dict[str, Any] = {}
    for key, spec in SPECS.items():
        if key in raw:
            try:
                given[key] = spec.check(raw[key])
            except Refused as exc:
                raise bad(key, exc.args[0]) from None
    options = dict(defaults, **given)

    def text(key: str, default: str | None = None) -> str | None:
        value = raw.get(key, default)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise bad(key, msg("{value!r}: give text", value=value))
        return value

    patterns = raw.get("inputs")
    if isinstance(patterns, str):
        patterns = [patterns]
    if (
        not isinstance(patterns, list)
        or not patterns
        or not all(isinstance(x, str) and x.strip() for x in patterns)
    ):
        raise bad("inputs", 'give a list of paths or globs, such as ["bhxh-*.csv"]')
    user_map: dict[str, str] = {}
    map_file = text("map_file")
    if map_file is not None:
        try:
            user_map.update(read_map_file(home / map_file))
        except CleanseError as exc:
            raise bad("map_file", exc.message) from None
    table = raw.get("map", {})
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise bad("map", 'give a table of "Header" = "field"')
    try:
        user_map.update(parse_map_option(f"{k}={v}" for k, v in table.items()))
    except CleanseError as exc:
        raise bad("map", exc.message) from None
    codes = options["gender_codes"]
    gender_codes = None
    if codes is not None:
        try:
            gender_codes = parse_gender_codes(codes)
        except ValueError as exc:
            raise bad("gender_codes", exc.args[0]) from None
    threshold, review = options["threshold"], options["review_threshold"]
    if review is not None and review > threshold:
        raise bad(
            "review_threshold",
            msg(
                "{review}: must not exceed threshold ({threshold})",
                review=review,
                threshold=threshold,
            ),
        )
    out = text("out", DEFAULT_OUT)
    assert out is not None
    base = _base(out, name, bad, home)
    _inside(p, settings, base, name, "out", out)
    inputs, missing = _inputs(home, patterns)
    reference = None
    ref = text("reference")
    if ref is not None:
        reference = home / ref
        if not reference.is_file():
            missing = missing or msg("key 'reference': {ref!r} is not a file", ref=ref)
    if not missing and command == "reconcile" and len(inputs) + (reference is not None) < 2:
        missing = msg("key 'inputs': reconcile needs at least two extracts (or one and reference)")
    return Job(
        name=name,
        command=command,
        patterns=list(patterns),
        inputs=inputs,
        base=base,
        reference=reference,
        missing=missing,
        source=options["source"],
        formats=options["formats"],
        lang=options["lang"],
        mask=options["mask"],
        shared=options["shared"],
        fail_on=options["fail_on"],
        user_map=user_map,
        encoding=options["encoding"],
        sheet=options["sheet"],
        gender_codes=gender_codes,
        threshold=threshold,
        review_threshold=review,
        twins_guard=options["twins_guard"],
    )


def _base(out: str, name: str, bad: Any, home: Path) -> Path:
    """The folder above ``{date}``: the pattern's last part must be ``{date}`` alone."""
    for found in _PLACEHOLDER.findall(out):
        if found not in ("job", "date"):
            raise bad("out", msg("{{{found}}} is not known; use {{job}} and {{date}}", found=found))
    parts = Path(out).parts
    if not parts or parts[-1] != "{date}" or "{date}" in out[: -len("{date}")]:
        raise bad(
            "out",
            msg(
                "{out!r}: end the pattern with one /{{date}}, as reports/{{job}}/{{date}}", out=out
            ),
        )
    return home / Path(*parts[:-1]).as_posix().replace("{job}", name) if len(parts) > 1 else home


def _inputs(home: Path, patterns: list[str]) -> tuple[list[Path], Msg | None]:
    """Every path the patterns name (globs sorted), and why one is missing, if one is."""
    found: list[Path] = []
    for pattern in patterns:
        full = str(home / pattern)
        if glob.has_magic(pattern):
            matches = sorted(Path(m) for m in glob.glob(full) if Path(m).is_file())
            if not matches:
                return found, msg("key 'inputs': no file matches {pattern!r}", pattern=pattern)
            found += matches
        elif Path(full).is_file():
            found.append(Path(full))
        else:
            return found, msg("key 'inputs': {pattern!r} is not a file", pattern=pattern)
    return list(dict.fromkeys(found)), None


# --- the lock ------------------------------------------------------------------------------


@contextlib.contextmanager
def batch_lock(path: Path, modes: tuple[int, int] = (0o700, 0o600)) -> Iterator[int | None]:
    """Hold an exclusive ``flock`` on ``path`` for the run; yield the pid of a dead holder.

    The OS releases a ``flock`` when its process ends, however it ends, so a lock file
    that still names a pid but can be locked was left by a run that died: it is taken
    over. A run that ends normally empties the file (it is never deleted: deleting a
    lock file races with a run that has just opened it).
    """
    try:
        make_folders(path.parent, modes[0])
        fd = os.open(path, os.O_RDWR | os.O_CREAT, modes[1])
    except OSError as exc:
        raise CleanseError(
            msg("cannot open the lock file: {reason}", reason=os_reason(exc)), path=str(path)
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            raise CleanseError(
                msg(
                    "another cleanse batch run is going (pid {pid}); this one did nothing",
                    pid=holder or "?",
                ),
                path=str(path),
                hint="let it finish; the lock of a run that died is taken over by the next run",
            ) from None
        left = _read_pid(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield left
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


@contextlib.contextmanager
def folder_lock(base: Path, file_mode: int = 0o600) -> Iterator[None]:
    """Hold the ``flock`` of a job's folder while the job writes there.

    The batch lock keeps two runs of one jobs file apart, not two jobs files whose jobs
    share a folder: each would remove the other's staging folder and take the other's
    run name. The second one fails, alone, with one line.
    """
    fd = os.open(base / FOLDER_LOCK, os.O_RDWR | os.O_CREAT, file_mode)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            raise CleanseError(
                msg(
                    "another cleanse batch run (pid {pid}) is writing into this folder; this "
                    "job did nothing",
                    pid=holder or "?",
                ),
                path=str(base),
                hint="give each job of every jobs file its own out folder",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)


# --- running -----------------------------------------------------------------------------


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


def unexpected_line(exc: BaseException) -> Msg:
    """One line for a failure nothing foresaw: its type and where in cleanse, no message."""
    return msg("unexpected {place}", place=failure_place(exc))


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
        outcome.write_into(stage, extra={"changes": changes}, summary=summary, formats=formats)
        for f in stage.iterdir():
            os.chmod(f, file_mode)
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
    """Run the job's validate or reconcile through the run layer (nothing written yet)."""
    inputs = [str(p) for p in job.inputs]
    if job.command == "validate":
        return run_validate(inputs, job.read_options(), job.output_options(), today=today)
    return run_reconcile(
        inputs,
        job.read_options(),
        job.output_options(),
        job.link_options(),
        reference=str(job.reference) if job.reference else None,
        today=today,
    )


# --- comparing runs ----------------------------------------------------------------------


def record_keys(
    findings: pd.DataFrame,
    paths: Mapping[str, Path],
    read_settings: Mapping[str, Any],
    gender_codes: Mapping[str, str] | None = None,
) -> pd.Series:
    """A keyed digest naming the record of each finding, stable when rows move.

    The record is known by its ID number, else its BHXH code, else its folded name with
    its birth date; a record with none of them falls back to its file and row. The
    digest is HMAC-SHA256 under the installation's key (``cleanse.secret``), so the key
    reveals nothing of the person. Only the rows that have findings are prepared.
    """
    from cleanse.read import open_extract
    from cleanse.secret import keyed_digests

    out = pd.Series(pd.NA, index=findings.index, dtype="string")
    if not len(findings):
        return out
    keyer = _Keyer(gender_codes)
    for source, group in findings.groupby("source", sort=False):
        name = str(source)
        wanted = np.unique(group["row"].dropna().astype("int64").to_numpy())
        if name not in paths or not len(wanted):
            continue
        ext = open_extract(paths[name], **dict(read_settings))
        for chunk in ext.chunks():
            take = np.isin(chunk.rows.to_numpy(), wanted)
            if take.any():
                keyer.add(name, chunk.rows.to_numpy()[take], chunk.frame[take])
    texts = keyer.texts()
    keys = []
    for source, row in zip(
        findings["source"].astype(str), findings["row"].astype("Int64"), strict=True
    ):
        found = texts.get((source, int(row))) if pd.notna(row) else None
        keys.append(found or f"row:{source}:{'' if pd.isna(row) else int(row)}")
    distinct = list(dict.fromkeys(keys))
    digests = dict(zip(distinct, (d[:24] for d in keyed_digests(distinct)), strict=True))
    return pd.Series([digests[k] for k in keys], index=findings.index, dtype="string")


KEY_FIELDS = ("id_number", "bhxh_code", "full_name", "dob")


class _Keyer:
    """Key texts of the rows with findings, prepared many files at a time.

    ``prepare`` costs some milliseconds per call whatever the size, so a job of
    thousands of small files prepares their rows together: only the key fields, each
    file's rows with others that have the same key fields, up to ``limit`` rows a call.
    Each row's companions depend on that row alone, so the keys are those of the files
    prepared one by one.
    """

    def __init__(self, gender_codes: Mapping[str, str] | None, limit: int = 50_000) -> None:
        self.gender_codes = gender_codes
        self.limit = limit
        self.done: dict[tuple[str, int], str] = {}
        # key fields present -> [(source, rows, frame of those fields)], and their rows
        self.waiting: dict[tuple[str, ...], list[tuple[str, np.ndarray, pd.DataFrame]]] = {}
        self.sizes: dict[tuple[str, ...], int] = {}

    def add(self, source: str, rows: np.ndarray, frame: pd.DataFrame) -> None:
        """Queue the rows ``rows`` of ``source`` (``frame`` holds them, in that order)."""
        fields = tuple(f for f in KEY_FIELDS if f in frame.columns)
        part = frame.loc[:, list(fields)].reset_index(drop=True)
        self.waiting.setdefault(fields, []).append((source, rows, part))
        self.sizes[fields] = self.sizes.get(fields, 0) + len(part)
        if self.sizes[fields] >= self.limit:
            self._prepare(fields)

    def texts(self) -> dict[tuple[str, int], str]:
        """``(source, row) -> key text`` for every row queued."""
        for fields in list(self.waiting):
            self._prepare(fields)
        return self.done

    def _prepare(self, fields: tuple[str, ...]) -> None:
        from cleanse.prepare import prepare

        parts = self.waiting.pop(fields, [])
        self.sizes.pop(fields, None)
        if not parts:
            return
        frame = pd.concat([f for _, _, f in parts], ignore_index=True)
        keys = iter(_key_texts(prepare(frame, self.gender_codes)))
        for source, rows, _ in parts:
            for row in rows.tolist():
                self.done[(source, row)] = next(keys)


def _key_texts(prepared: pd.DataFrame) -> list[str]:
    """``id:…``, ``bhxh:…`` or ``name:…|dob`` for each prepared row ("" when none)."""
    ids = prepared["id_digits"].astype("string")
    bhxh = prepared["bhxh_digits"].astype("string")
    name = prepared["name_key"].astype("string")
    dob = prepared["dob_ord"].astype("Int64").astype("string")
    dob = dob.fillna(prepared["dob_year"].astype("Int64").astype("string"))
    dob = dob.fillna(prepared["dob"].astype("string").str.strip() if "dob" in prepared else "")
    named = "name:" + name + "|" + dob.fillna("")
    key = ("id:" + ids).fillna("bhxh:" + bhxh).fillna(named).fillna("")
    return [str(k) for k in key.tolist()]


def previous_findings(base: Path) -> tuple[str | None, pd.DataFrame | None]:
    """The previous run's name and its findings as recorded in its ``changes`` table."""
    name = read_latest(base)
    if name is None:
        return None, None
    folder = base / name
    try:
        if (folder / "changes.parquet").exists():
            table = pd.read_parquet(folder / "changes.parquet")
        elif (folder / "changes.csv").exists():
            table = pd.read_csv(folder / "changes.csv", dtype=str, encoding="utf-8-sig")
        else:
            return None, None
    except Exception:  # noqa: BLE001 - a damaged earlier run only loses the comparison
        return None, None
    table = table[table["status"].astype(str) != "resolved"]
    return name, table


def compare_findings(current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """The ``changes`` table: each finding new, persisting or resolved since ``previous``.

    Findings are matched on (record, rule, field) and, when a record has the same finding
    several times (two rows of one person), on its occurrence among them.
    """
    cur = pd.DataFrame(
        {
            "record": current["record"].astype("string"),
            "rule": current["rule"].astype("string"),
            "severity": current["severity"].astype("string"),
            "field": current["field"].astype("string").fillna(""),
            "source": current["source"].astype("string"),
            "row": current["row"].astype("Int64"),
        }
    ).reset_index(drop=True)
    cur["occurrence"] = cur.groupby(["record", "rule", "field"]).cumcount().astype("int64")
    keys = ["record", "rule", "field", "occurrence"]
    if previous is None or not len(previous):
        prev = pd.DataFrame({c: pd.Series(dtype="string") for c in [*keys, "severity"]})
        prev["occurrence"] = prev["occurrence"].astype("int64")
        prev["source"] = pd.Series(dtype="string")
        prev["row"] = pd.Series(dtype="Int64")
    else:
        prev = pd.DataFrame(
            {
                "record": previous["record"].astype("string"),
                "rule": previous["rule"].astype("string"),
                "severity": previous["severity"].astype("string"),
                "field": previous["field"].astype("string").fillna(""),
                "occurrence": previous["occurrence"].astype("int64"),
                "source": previous["source"].astype("string"),
                "row": pd.to_numeric(previous["row"]).astype("Int64"),
            }
        )
    prev = prev.rename(
        columns={"source": "previous_source", "row": "previous_row", "severity": "prev_sev"}
    )
    merged = cur.merge(prev, on=keys, how="outer", indicator=True)
    status = merged["_merge"].map(
        {"both": "persisting", "left_only": "new", "right_only": "resolved"}
    )
    merged["status"] = pd.Series(status.astype(str).to_numpy(), dtype="string")
    merged["severity"] = merged["severity"].fillna(merged["prev_sev"])
    merged["field"] = merged["field"].replace("", pd.NA)
    merged["_order"] = merged["status"].map({s: i for i, s in enumerate(STATUSES)})
    merged = merged.sort_values(
        ["_order", "source", "row", "previous_source", "previous_row", "rule"],
        kind="stable",
        ignore_index=True,
    )
    for col in ("row", "previous_row"):
        merged[col] = merged[col].astype("Int64")
    merged["occurrence"] = merged["occurrence"].astype("int64")
    return merged[CHANGE_COLUMNS]


# --- run folders --------------------------------------------------------------------------


def _run_sort_key(name: str) -> tuple[str, int]:
    match = RUN_FOLDER.match(name)
    return (name[:15], int(match.group(1)) if match and match.group(1) else 1)


def run_folders(base: Path) -> list[str]:
    """The job's run folders, oldest first."""
    if not base.is_dir():
        return []
    names = [p.name for p in base.iterdir() if p.is_dir() and RUN_FOLDER.match(p.name)]
    return sorted(names, key=_run_sort_key)


def free_run_name(base: Path, stamp: str) -> str:
    """``stamp``, or ``stamp-2``, ``stamp-3``… when a run of the same minute exists."""
    name, n = stamp, 1
    while (base / name).exists():
        n += 1
        name = f"{stamp}-{n}"
    return name


def read_latest(base: Path) -> str | None:
    """The run folder ``latest`` points at (a symlink, or a text file naming it)."""
    link = base / LATEST
    try:
        if link.is_symlink():
            name = Path(os.readlink(link)).name
        elif link.is_file():
            name = link.read_text(encoding="utf-8").strip()
        else:
            return None
    except OSError:
        return None
    return name if RUN_FOLDER.match(name) and (base / name).is_dir() else None


def point_latest(base: Path, name: str) -> None:
    """Point ``base/latest`` at the run folder ``name``, replacing the old pointer at once."""
    link = base / LATEST
    temp = base / f".{LATEST}.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()
    try:
        os.symlink(name, temp)
    except OSError:  # file systems without symlinks: a text file naming the folder
        temp.write_text(name + "\n", encoding="utf-8")
    os.replace(temp, link)


def prune_runs(base: Path, keep: int) -> list[str]:
    """Remove all but the last ``keep`` run folders (never the one ``latest`` names)."""
    names = run_folders(base)
    latest = read_latest(base)
    gone = [n for n in names[: max(len(names) - keep, 0)] if n != latest]
    for name in gone:
        shutil.rmtree(base / name, ignore_errors=True)
    return gone


def _remove_stages(base: Path) -> None:
    """Staging folders left by a run that was killed (we hold the lock: none is live)."""
    for p in base.glob(f"{STAGE_PREFIX}*"):
        shutil.rmtree(p, ignore_errors=True)


# --- the log ---------------------------------------------------------------------------


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
