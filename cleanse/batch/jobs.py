"""The jobs file of ``cleanse batch``: its keys, ``Settings``, ``Job``, ``Plan`` and checks.

``load_jobs`` reads a TOML jobs file and checks every key and value, naming the job and
the key at fault (``_bad``, ``bad``: the catalogue finds their messages by these names).
What the jobs write stays below the jobs file's folder unless the file says
``allow_outside = true``: ``Settings.check_inside`` checks a path when the file is read
and again just before it is written to.

Imports nothing of the batch package, which builds on it. Of cleanse it imports
``errors``, ``i18n``, ``fields``, ``normalise``, ``options`` and ``output``.
"""

from __future__ import annotations

import glob
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleanse.errors import CleanseError, os_reason
from cleanse.fields import parse_map_option, read_map_file
from cleanse.i18n import Msg, language_from, msg
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
from cleanse.output import output_modes

COMMANDS = ("validate", "reconcile", "fix")
_JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

TOP_KEYS = ("settings", "job", "allow_outside")
SETTINGS_KEYS = ("log", "keep", "lock", "history", "shared")
# A job's own keys, then the options of a run (cleanse.options.SPECS), as the CLI's.
JOB_KEYS = ("name", "command", "inputs", "reference", "sync", "out", "map", "map_file", *SPECS)
RECONCILE_ONLY = ("reference", *(k for k, spec in SPECS.items() if spec.reconcile_only))
DEFAULT_SETTINGS: dict[str, Any] = {
    "log": "cleanse-batch.log",
    "keep": 30,
    "lock": "cleanse-batch.lock",
    "history": "cleanse-history",
    "shared": False,
}
DEFAULT_OUT = "cleanse-batch/{job}/{date}"


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
    sync: tuple[str, ...] = ()  # fix: the fields brought into line with the reference

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
        raise bad("command", msg("{value!r}: use validate, reconcile or fix", value=command))
    if command == "validate":
        for key in RECONCILE_ONLY:
            if key in raw:
                raise bad(key, "only reconcile and fix jobs take it")
    if "sync" in raw and command != "fix":
        raise bad("sync", "only fix jobs take it")
    sync = raw.get("sync", [])
    if isinstance(sync, str):
        sync = [w.strip() for w in sync.split(",") if w.strip()]
    if not isinstance(sync, list) or not all(isinstance(w, str) for w in sync):
        raise bad("sync", 'give a list of fields, e.g. ["name", "dob", "gender"]')
    from cleanse.run import SYNC_WORDS

    for word in sync:
        if word not in SYNC_WORDS:
            raise bad(
                "sync", msg("{value!r}: use {words}", value=word, words=", ".join(SYNC_WORDS))
            )
    if sync and "reference" not in raw:
        raise bad("sync", "the fields come from the population data: give reference")
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
        sync=tuple(sync),
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
