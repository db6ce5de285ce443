"""Writing results without ever leaving half-written files or touching an input (SPEC §5).

A run writes its files into a hidden staging folder inside ``--out``, then renames them
into place one by one (``os.replace``: same file system, so each file appears whole).
``summary.json`` is removed before the first rename and written after the last one, and
it names every file of the run: a folder with a ``summary.json`` holds one whole run, a
folder without one holds a run that was stopped while its files were put in place. The
``--out`` folder itself is never replaced, so its mode, owner, group and inode stay as
they are, and a shell sitting in it stays in it.

It also holds what every run's results share, for the modules that make them
(``validation``, ``link``) and for ``write``: the findings table's columns
(``FINDING_COLUMNS``) and the part of ``summary.json`` every command writes
(``run_header``).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import socket
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from cleanse.errors import CleanseError, os_reason
from cleanse.i18n import N_, msg

# (folder mode, file mode). Records are personal data: owner only unless told otherwise.
PRIVATE_MODES = (0o700, 0o600)
SHARED_MODES = (0o750, 0o640)  # --shared: the owner's group may read, never write
PUBLIC_MODES = (0o755, 0o644)  # synthetic data only (cleanse sample)

SUMMARY_JSON = "summary.json"

# The findings table's columns, in every format (SPEC §5).
FINDING_COLUMNS = [
    "source",
    "row",
    "rule",
    "severity",
    "field",
    "value",
    "message",
    "suggestion",
    "related_source",
    "related_row",
    # After SPEC's columns: where the officer finds the cell (issue 15).
    "sheet_row",
    "column",
]

# A stage is named .cleanse-stage.HOST.PID.XXXXXXXX inside --out: HOST a tag of this
# machine's name, so that two machines writing to one network folder never judge each
# other's processes; XXXXXXXX mkdtemp's random part, 8 of [a-z0-9_].
STAGE_PREFIX = ".cleanse-stage"
_HOST = hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]
_STAGE = re.compile(rf"^{re.escape(STAGE_PREFIX)}\.([0-9a-f]{{8}})\.(\d+)\.[a-z0-9_]{{8}}$")
# Before, the stage was a sibling of --out named .OUT.HOST.PID.XXXXXXXX.tmp; those that
# killed runs of earlier versions left are removed too.
_OLD_STAGE_TAIL = r"\.([0-9a-f]{8})\.(\d+)\.[a-z0-9_]{8}\.tmp"

_DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def output_modes(*, private: bool = True, shared: bool = False) -> tuple[int, int]:
    """The (folder, file) modes for results: 0700/0600, 0750/0640 shared, 0755/0644."""
    if not private:
        return PUBLIC_MODES
    return SHARED_MODES if shared else PRIVATE_MODES


def make_folders(path: str | Path, dir_mode: int) -> list[Path]:
    """Create ``path`` and any missing parent, each given ``dir_mode`` whatever the umask.

    Folders that already exist are left as they are: they may be the user's own. Returns
    the folders made, outermost first.
    """
    p = Path(path)
    missing = []
    while not p.exists() and not p.is_symlink() and p != p.parent:
        missing.append(p)
        p = p.parent
    made = []
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir()
            os.chmod(folder, dir_mode)
            made.append(folder)
    return made


# --- inputs are never touched --------------------------------------------------------------


class Inputs:
    """The files a run reads, known by identity (device and inode), not by name.

    Two names for one file (a link, ``./a/../a``, another spelling of the folder) are
    the same input; a name that only looks like an input's is not.
    """

    def __init__(self, paths: Iterable[str | Path | None] = ()) -> None:
        self.by_identity: dict[tuple[int, int], str] = {}
        self.real: list[str] = []
        for path in paths:
            if path is None:
                continue
            try:
                st = os.stat(path)  # through a link: the file that would be lost
            except OSError:
                continue  # reading will say what is wrong with it
            self.by_identity.setdefault((st.st_dev, st.st_ino), str(path))
            self.real.append(os.path.realpath(path))

    def at(self, path: Path) -> str | None:
        """The input that ``path`` itself is (not a link to it), or None."""
        try:
            st = os.lstat(path)
        except OSError:
            return None
        return self.by_identity.get((st.st_dev, st.st_ino))

    def inside(self, folder: Path) -> bool:
        """Whether an input lies in ``folder`` or below it."""
        top = os.path.realpath(folder) + os.sep
        return any(real.startswith(top) for real in self.real)

    def refuse(self, out: Path, names: Iterable[str], *, removed: bool = False) -> None:
        """Raise if writing (or removing) ``names`` in ``out`` would replace an input."""
        for name in names:
            found = self.at(out / name)
            if found is None:
                continue
            if removed:
                what = msg(
                    "this input is {name} in the output folder, a result of an earlier run "
                    "that this run would remove",
                    name=name,
                )
            else:
                what = msg(
                    "an output would overwrite this input ({name} in the output folder)",
                    name=name,
                )
            raise CleanseError(
                what,
                path=found,
                hint=msg(
                    "write the results elsewhere with --out, or move the input out of {out}; "
                    "nothing was written",
                    out=out,
                ),
            )


def check_inputs(
    out_dir: str | Path, inputs: Iterable[str | Path | None], names: Iterable[str]
) -> None:
    """Refuse, before any work, a run whose results would overwrite one of its inputs.

    ``names`` are the files the run will write into ``out_dir``; the files an earlier run
    left there that this one would remove are checked too. ``staged_output`` checks again,
    with the files actually written, before it changes anything.
    """
    known = Inputs(inputs)
    out = Path(out_dir)
    if not known.by_identity or not out.is_dir():
        return
    names = list(names)
    known.refuse(out, names)
    known.refuse(out, [n for n in previous_files(out) if n not in names], removed=True)


def previous_files(out: Path) -> list[str]:
    """The files the ``summary.json`` in ``out`` names as its run's, where it names them.

    Only plain relative names inside ``out`` are taken, so a damaged or hostile summary
    can never point outside it.
    """
    try:
        listed = json.loads((out / SUMMARY_JSON).read_text(encoding="utf-8")).get("files")
    except (OSError, ValueError, AttributeError):
        return []
    if not isinstance(listed, list):
        return []
    names = []
    for name in listed:
        if not isinstance(name, str) or not name or "\\" in name or "\0" in name:
            continue
        parts = PurePosixPath(name).parts
        if not parts or PurePosixPath(name).is_absolute() or ".." in parts:
            continue
        if parts[0].startswith(STAGE_PREFIX) or name == SUMMARY_JSON:
            continue
        names.append(name)
    return names


# --- staging ---------------------------------------------------------------------------------


@contextlib.contextmanager
def staged_output(
    out_dir: str | Path,
    *,
    private: bool = True,
    shared: bool = False,
    inputs: Iterable[str | Path | None] = (),
) -> Iterator[Path]:
    """Yield a hidden staging folder inside ``out_dir``; on success put its files in place.

    A run that fails or is interrupted before the end leaves the earlier results whole
    and removes its stage. On success each staged file takes the place of the one of the
    same name (``os.replace``); ``summary.json``, when the run writes one, is removed first
    and put in place last, so a run killed half-way leaves no ``summary.json``. Files the
    earlier ``summary.json`` named and this run did not write are removed; files it did
    not name (the user's own) are kept. Nothing that is one of ``inputs`` is ever
    replaced or removed: the run is refused instead.

    ``out_dir`` and missing parents are created 0700 (0750 with ``shared``, 0755 without
    ``private``); an existing folder keeps its mode, owner and group, except that
    ``shared`` lets the group in (adds ``g+rx``) where it could not. Files get 0600
    (0640, 0644), whatever the umask.

    The stage is named ``.cleanse-stage.HOST.PID.XXXXXXXX``. A run killed outright
    (SIGKILL, power cut) cannot remove its own; the next run on the same machine writing
    to the same folder removes those of processes that no longer exist.
    """
    out = Path(out_dir)
    dir_mode, file_mode = output_modes(private=private, shared=shared)
    known = Inputs(inputs)
    made: list[Path] = []
    try:
        if out.exists() and not out.is_dir():
            raise CleanseError(
                "the output folder is a file", path=str(out), hint="give --out a folder"
            )
        made = make_folders(out, dir_mode)
        if shared and not made:
            _let_group_in(out)
        remove_dead_stages(out, known)
        remove_old_stages(out, known)
        stage = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}.{_HOST}.{os.getpid()}.", dir=out))
    except OSError as exc:
        _remove_empty(made)
        # An existing folder this user may not write into is not one it failed to create.
        what = (
            N_("cannot write into the output folder: {reason}")
            if out.is_dir() and not made
            else N_("cannot create the output folder: {reason}")
        )
        raise CleanseError(
            msg(what, reason=os_reason(exc)),
            path=str(out),
        ) from None
    done = False
    try:
        yield stage
        _publish(stage, out, dir_mode, file_mode, known)
        done = True
    except OSError as exc:
        raise _write_error(exc, out) from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if not done:
            _remove_empty(made)


def _write_error(exc: OSError, out: Path) -> CleanseError:
    if exc.errno in _DISK_FULL:
        # Disk or quota full while the results were written: the stage goes, the earlier
        # results stay, and the user is told what to do rather than shown a trace.
        return CleanseError(
            msg("cannot write the results: {reason}", reason=os_reason(exc)),
            path=str(out),
            hint="free some space on that disk, or write elsewhere with --out; "
            "earlier results are left as they were",
        )
    return CleanseError(
        msg("cannot write the results: {reason}", reason=os_reason(exc)), path=str(out)
    )


def _let_group_in(folder: Path) -> None:
    """``--shared`` on an existing folder: add group read and search where missing."""
    if os.name == "nt":  # no group bits to set
        return
    with contextlib.suppress(OSError):
        st = folder.stat()
        if st.st_uid == os.getuid() and (st.st_mode & 0o050) != 0o050:
            os.chmod(folder, stat.S_IMODE(st.st_mode) | 0o050)


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders a failed run made, innermost first, where they are empty."""
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, under another user
        return True
    return True


def _remove_dead(folder: Path, pattern: re.Pattern[str], known: Inputs) -> list[str]:
    removed: list[str] = []
    if os.name == "nt":
        # os.kill(pid, 0) would end that process on Windows, and there are no owners to
        # compare: dead stages stay there until a liveness check of its own is written.
        return removed
    with contextlib.suppress(OSError):
        for p in folder.iterdir():
            found = pattern.match(p.name)
            if not found or found.group(1) != _HOST:
                continue  # not a stage, or another machine's: only it can tell
            pid = int(found.group(2))
            if pid == os.getpid() or _alive(pid):
                continue
            try:
                st = p.lstat()
            except OSError:
                continue
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or known.inside(p):
                continue
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p.name)
    return removed


def remove_dead_stages(out: Path, known: Inputs | None = None) -> list[str]:
    """Remove the staging folders in ``out`` left by runs that died.

    Only folders of our own name pattern, made on this machine, owned by this user,
    whose process is gone, and holding no input of this run.
    """
    return _remove_dead(out, _STAGE, known or Inputs())


def remove_old_stages(out: Path, known: Inputs | None = None) -> list[str]:
    """Remove the sibling stages (``.OUT.HOST.PID.XXXXXXXX.tmp``) that killed runs of
    earlier versions left beside ``out``, by the same rules; where the parent folder can
    be read and written (a best effort: it may be the user's own, or read-only)."""
    absolute = Path(os.path.abspath(out))
    pattern = re.compile(rf"^\.{re.escape(absolute.name)}{_OLD_STAGE_TAIL}$")
    return _remove_dead(absolute.parent, pattern, known or Inputs())


# --- putting the files in place ---------------------------------------------------------------


def _staged(stage: Path) -> tuple[list[str], list[str]]:
    """The staged (folders, files) as relative POSIX names, parents before children."""
    folders, files = [], []
    for src in sorted(stage.rglob("*")):
        name = src.relative_to(stage).as_posix()
        if src.is_dir() and not src.is_symlink():
            folders.append(name)
        else:
            files.append(name)
    return folders, files


def _publish(stage: Path, out: Path, dir_mode: int, file_mode: int, known: Inputs) -> None:
    folders, files = _staged(stage)
    for name in folders:
        os.chmod(stage / name, dir_mode)
    for name in files:
        os.chmod(stage / name, file_mode)
    stale = [n for n in previous_files(out) if n not in files]
    summary = SUMMARY_JSON in files
    # Everything is checked before the first change, so a refusal changes nothing.
    known.refuse(out, files)
    known.refuse(out, stale, removed=True)
    for name in folders:
        dest = out / name
        if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dest))
    for name in files:
        dest = out / name
        if dest.is_dir() and not dest.is_symlink():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(dest))
    with _held_interrupts():
        if summary:
            # First: from here until the new one is in place the folder has no
            # summary.json, so a set of files caught half-way is never taken as whole.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(out / SUMMARY_JSON)
        for name in folders:
            dest = out / name
            if not dest.exists():
                dest.mkdir()
                os.chmod(dest, dir_mode)
        for name in files:
            if name != SUMMARY_JSON:
                os.replace(stage / name, out / name)
        for name in stale:
            dest = out / name
            with contextlib.suppress(OSError):
                if not _under_link(out, name) and not dest.is_dir():
                    dest.unlink()
        if summary:
            os.replace(stage / SUMMARY_JSON, out / SUMMARY_JSON)


def _under_link(out: Path, name: str) -> bool:
    """Whether a folder on the way from ``out`` to ``name`` is a link (never followed)."""
    parts = PurePosixPath(name).parts[:-1]
    here = out
    for part in parts:
        here = here / part
        if here.is_symlink():
            return True
    return False


@contextlib.contextmanager
def _held_interrupts() -> Iterator[None]:
    """Hold off Ctrl-C and SIGTERM while files are put in place; they act after."""
    import signal
    import threading

    mask = getattr(signal, "pthread_sigmask", None)  # not on Windows
    if mask is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = mask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        mask(signal.SIG_SETMASK, previous)


def run_header(command: str, started: float) -> dict[str, Any]:
    """The part of summary.json every command shares: tool, version, command, timing."""
    import time

    from cleanse import __version__

    return {
        "tool": "cleanse",
        "version": __version__,
        "command": command,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "duration_seconds": round(time.time() - started, 3),
    }
