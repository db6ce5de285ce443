"""The locks of a batch run: the run's own (``batch_lock``) and each job's folder's.

Both are ``fcntl.flock`` locks, which the operating system releases when the holder
dies, so a lock left by a killed run is simply taken over. Unix only, as ``fcntl`` is.

Imports nothing of the batch package; of cleanse, ``errors``, ``i18n`` and ``output``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from cleanse.errors import CleanseError, os_reason
from cleanse.i18n import Msg, msg
from cleanse.output import make_folders

# In each job's folder, held while the job writes there: two runs of two jobs files
# whose jobs share a folder would otherwise remove each other's staging folders.
FOLDER_LOCK = ".cleanse-batch.lock"


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
    refused = CleanseError(
        msg("another cleanse batch run is going (pid {pid}); this one did nothing", pid="?"),
        path=str(path),
        hint="let it finish; the lock of a run that died is taken over by the next run",
    )
    with _held(fd, refused) as left:
        yield left


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
    refused = CleanseError(
        msg(
            "another cleanse batch run (pid {pid}) is writing into this folder; this "
            "job did nothing",
            pid="?",
        ),
        path=str(base),
        hint="give each job of every jobs file its own out folder",
    )
    with _held(fd, refused):
        yield


@contextlib.contextmanager
def _held(fd: int, refused: CleanseError) -> Iterator[int | None]:
    """Lock ``fd`` (closed at the end) with our pid written in it; yield the pid a dead
    holder left. Held by a live run: ``refused``, naming its pid."""
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            assert isinstance(refused.message, Msg)
            refused.message.values["pid"] = _read_pid(fd) or "?"
            raise refused from None
        left = _read_pid(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield left
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)
