"""Writing results without ever leaving half-written files (SPEC §5)."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cleanse.errors import CleanseError

# (folder mode, file mode). Records are personal data: owner only unless told otherwise.
PRIVATE_MODES = (0o700, 0o600)
SHARED_MODES = (0o750, 0o640)  # --shared: the owner's group may read, never write
PUBLIC_MODES = (0o755, 0o644)  # synthetic data only (cleanse sample)

# mkdtemp's random part: 8 of [a-z0-9_].
_STAGE_TAIL = r"\.(\d+)\.[a-z0-9_]{8}\.tmp"


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
    """Yield a temporary folder beside ``out_dir``; on success move its files into place.

    Each file is moved with ``os.replace``, which is atomic on one file system, so a run
    that fails or is interrupted before the end leaves the earlier results whole and no
    partial file behind. Files already in ``out_dir`` that the run did not write are left
    alone. With ``private`` the folders are created 0700 and the files 0600 (records are
    personal data); ``shared`` makes them 0750 and 0640, readable by the owner's group.

    The temporary folder is named ``.OUT.PID.XXXXXXXX.tmp``. A run killed outright
    (SIGKILL, power cut) cannot remove its own; the next run writing to the same ``--out``
    removes those of processes that no longer exist.
    """
    out = Path(out_dir)
    parent = out.resolve().parent
    dir_mode, _ = output_modes(private=private, shared=shared)
    try:
        make_folders(parent, dir_mode)
        remove_dead_stages(parent, out.name)
        stage = Path(
            tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}.", suffix=".tmp", dir=parent)
        )
    except OSError as exc:
        raise CleanseError(
            f"cannot create the output folder: {exc.strerror or exc}", path=str(out)
        ) from None
    try:
        yield stage
        _publish(stage, out, private, shared)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


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

    Only folders of our own name pattern, owned by this user, whose process is gone.
    """
    pattern = re.compile(rf"^\.{re.escape(name)}{_STAGE_TAIL}$")
    removed = []
    with contextlib.suppress(OSError):
        for p in parent.iterdir():
            found = pattern.match(p.name)
            if not found or int(found.group(1)) == os.getpid() or _alive(int(found.group(1))):
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
    dir_mode, file_mode = output_modes(private=private, shared=shared)
    try:
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
                os.chmod(src, file_mode)
                os.replace(src, dest)
    except OSError as exc:
        raise CleanseError(
            f"cannot write the results: {exc.strerror or exc}", path=str(out)
        ) from None
