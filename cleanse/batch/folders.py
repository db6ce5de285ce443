"""A job's run folders: their names, ``latest``, pruning and left-over staging folders.

Each job's folder holds one dated folder per run (``2026-11-21T0230``, then ``-2``,
``-3``… for runs of the same minute), ``latest`` pointing at the last one (a symlink,
or a text file naming it where links cannot be made) and, while a run writes, its
staging folder (``.stage-…``).

Imports nothing of the batch package and nothing of cleanse.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path

STAMP = "%Y-%m-%dT%H%M"
RUN_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{4}(?:-(\d+))?$")
LATEST = "latest"
STAGE_PREFIX = ".stage-"


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
