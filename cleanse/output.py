"""Writing results without ever leaving half-written files (SPEC §5)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import socket
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cleanse.errors import CleanseError

# (folder mode, file mode). Records are personal data: owner only unless told otherwise.
PRIVATE_MODES = (0o700, 0o600)
SHARED_MODES = (0o750, 0o640)  # --shared: the owner's group may read, never write
PUBLIC_MODES = (0o755, 0o644)  # synthetic data only (cleanse sample)

# A stage is named .OUT.HOST.PID.XXXXXXXX.tmp: HOST a tag of this machine's name, so that
# two machines writing to one network folder never judge each other's processes;
# XXXXXXXX mkdtemp's random part, 8 of [a-z0-9_].
_HOST = hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]
_STAGE_TAIL = r"\.([0-9a-f]{8})\.(\d+)\.[a-z0-9_]{8}\.tmp"


def output_modes(*, private: bool = True, shared: bool = False) -> tuple[int, int]:
    """The (folder, file) modes for results: 0700/0600, 0750/0640 shared, 0755/0644."""
    if not private:
        return PUBLIC_MODES
    return SHARED_MODES if shared else PRIVATE_MODES


def make_folders(path: str | Path, dir_mode: int) -> None:
    """Create ``path`` and any missing parent, each given ``dir_mode`` whatever the umask.

    Folders that already exist are left as they are: they may be the user's own.
    """
    p = Path(path)
    missing = []
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir()
            os.chmod(folder, dir_mode)


@contextlib.contextmanager
def staged_output(
    out_dir: str | Path, *, private: bool = True, shared: bool = False
) -> Iterator[Path]:
    """Yield a temporary folder beside ``out_dir``; on success put it in place.

    The staged folder takes the place of ``out_dir`` in one step (see :func:`_publish`),
    so a run that fails or is interrupted before the end leaves the earlier results whole
    and no partial file behind. Files already in ``out_dir`` that the run did not write
    are kept. With ``private`` the folders are created 0700 and the files 0600 (records are
    personal data); ``shared`` makes them 0750 and 0640, readable by the owner's group.

    The temporary folder is named ``.OUT.HOST.PID.XXXXXXXX.tmp``. A run killed outright
    (SIGKILL, power cut) cannot remove its own; the next run on the same machine writing
    to the same ``--out`` removes those of processes that no longer exist.
    """
    out = Path(out_dir)
    parent = out.resolve().parent
    dir_mode, _ = output_modes(private=private, shared=shared)
    try:
        make_folders(parent, dir_mode)
        remove_dead_stages(parent, out.name)
        stage = Path(
            tempfile.mkdtemp(
                prefix=f".{out.name}.{_HOST}.{os.getpid()}.", suffix=".tmp", dir=parent
            )
        )
    except OSError as exc:
        raise CleanseError(
            f"cannot create the output folder: {exc.strerror or exc}", path=str(out)
        ) from None
    try:
        yield stage
        _publish(stage, out, private, shared)
    except OSError as exc:
        if exc.errno not in _DISK_FULL:
            raise
        # Disk or quota full while the results were written: the stage goes, the earlier
        # results stay, and the user is told what to do rather than shown a trace.
        raise CleanseError(
            f"cannot write the results: {exc.strerror or 'the disk is full'}",
            path=str(out),
            hint="free some space on that disk, or write elsewhere with --out; "
            "earlier results are left as they were",
        ) from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)


_DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, under another user
        return True
    return True


def remove_dead_stages(parent: Path, name: str) -> list[str]:
    """Remove the temporary folders for ``name`` left in ``parent`` by runs that died.

    Only folders of our own name pattern, made on this machine, owned by this user,
    whose process is gone.
    """
    pattern = re.compile(rf"^\.{re.escape(name)}{_STAGE_TAIL}$")
    removed = []
    with contextlib.suppress(OSError):
        for p in parent.iterdir():
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
            if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid():
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p.name)
    return removed


def _publish(stage: Path, out: Path, private: bool, shared: bool) -> None:
    """Put the staged results in place of ``out`` in one step where the system allows.

    On Linux the staged folder and ``out`` are exchanged by one ``renameat2`` call, after
    the entries of ``out`` the run did not write are hard-linked into the stage: a kill
    at any moment leaves either the old results or the new, whole. Where that cannot be
    done (another system, a file system without hard links or exchange) each file is
    moved on its own with ``os.replace``: every file whole, Ctrl-C held off meanwhile.
    """
    dir_mode, file_mode = output_modes(private=private, shared=shared)
    try:
        _set_modes(stage, dir_mode, file_mode)
        make_folders(out.parent, dir_mode)
        target = out.resolve()
        if not target.exists():
            with contextlib.suppress(OSError):
                stage.rename(target)  # a new folder appears whole
                return
        if not target.is_dir():
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST))
        if _carry_over(target, stage) and _exchange(stage, target):
            return  # ``stage`` now holds the old results, which the caller removes
        with _held_interrupts():
            _move_files(stage, out, dir_mode, private)
    except OSError as exc:
        raise CleanseError(
            f"cannot write the results: {exc.strerror or exc}", path=str(out)
        ) from None


def _set_modes(stage: Path, dir_mode: int, file_mode: int) -> None:
    os.chmod(stage, dir_mode)
    for src in stage.rglob("*"):
        os.chmod(src, dir_mode if src.is_dir() else file_mode)


def _carry_over(old: Path, stage: Path) -> bool:
    """Hard-link into ``stage`` what ``old`` holds and the run did not write (a user's
    own files, results of another kind); False where the file system cannot."""
    try:
        for entry in old.iterdir():
            dest = stage / entry.name
            if entry.is_symlink() or not entry.is_dir():
                if not dest.exists() and not dest.is_symlink():
                    os.link(entry, dest, follow_symlinks=False)
            elif dest.is_dir() and not dest.is_symlink():
                if not _carry_over(entry, dest):
                    return False
            elif not dest.exists():
                shutil.copytree(entry, dest, symlinks=True, copy_function=os.link)
    except OSError:
        return False
    return True


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux ``renameat2``); False where not supported."""
    try:
        import ctypes

        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0


@contextlib.contextmanager
def _held_interrupts() -> Iterator[None]:
    """Hold off Ctrl-C and SIGTERM while files are moved one by one; they act after."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _move_files(stage: Path, out: Path, dir_mode: int, private: bool) -> None:
    make_folders(out, dir_mode)
    if not out.is_dir():
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST))
    if private:
        os.chmod(out, dir_mode)
    for src in sorted(stage.rglob("*")):
        dest = out / src.relative_to(stage)
        if src.is_dir():
            dest.mkdir(exist_ok=True)
            os.chmod(dest, dir_mode)
        else:
            os.replace(src, dest)
