"""Writing results without ever leaving half-written files (SPEC §5)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cleanse.errors import CleanseError


@contextlib.contextmanager
def staged_output(out_dir: str | Path, *, private: bool = True) -> Iterator[Path]:
    """Yield a temporary folder beside ``out_dir``; on success move its files into place.

    Each file is moved with ``os.replace``, which is atomic on one file system, so a run
    that fails or is interrupted before the end leaves the earlier results whole and no
    partial file behind. Files already in ``out_dir`` that the run did not write are left
    alone. With ``private`` the folders are created 0700 and the files 0600 (records are
    personal data).
    """
    out = Path(out_dir)
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise CleanseError(
            f"cannot create the output folder: {exc.strerror or exc}", path=str(out)
        ) from None
    try:
        yield stage
        _publish(stage, out, private)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _publish(stage: Path, out: Path, private: bool) -> None:
    dir_mode, file_mode = (0o700, 0o600) if private else (0o755, 0o644)
    try:
        out.mkdir(parents=True, exist_ok=True)
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
