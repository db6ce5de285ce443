"""A run killed while it writes its results leaves the earlier ones whole (SPEC §5).

Each run is a real process. To make the kill land while the results are being written,
not before or after, the process runs ``cleanse`` with one hook added: once every table
is in the temporary folder, and before ``summary.json`` and the move into ``--out``, it
says so in a marker file and waits. The test then sends SIGKILL or SIGINT.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import snapshot

from cleanse.output import _HOST

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

HOOK = """
import os, sys, time
marker = os.environ.get("CLEANSE_TEST_WRITING")
if marker:
    import cleanse.write as w
    real = w.write_summary
    def write_summary(summary, out_dir):
        open(marker, "w").write(str(out_dir))
        time.sleep(60)
        return real(summary, out_dir)
    w.write_summary = write_summary
sys.argv[0] = "cleanse"
from cleanse.cli import main
main()
"""

COMMANDS = {
    "validate": ["validate", "bhxh.csv", "hotich.csv"],
    "reconcile": ["reconcile", "bhxh.csv", "btxh.csv", "hotich.csv", "--reference", "dancu.csv"],
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("bhxh.csv", "btxh.csv", "hotich.csv", "dancu.csv"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    return tmp_path


def start(folder: Path, command: str, marker: Path | None) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.pop("CLEANSE_TEST_WRITING", None)
    if marker is not None:
        env["CLEANSE_TEST_WRITING"] = str(marker)
    args = [*COMMANDS[command], "--out", "OUT", "--today", "2026-11-20", "--format", "csv,parquet"]
    return subprocess.Popen(
        [sys.executable, "-c", HOOK, *args],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def run(folder: Path, command: str) -> subprocess.CompletedProcess[bytes]:
    proc = start(folder, command, None)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err.decode()  # the samples have findings
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def kill_while_writing(folder: Path, command: str, sig: int) -> tuple[int, str, str]:
    """Start a run, wait until it is writing, send ``sig``; return code, stderr, stage."""
    marker = folder / "writing"
    proc = start(folder, command, marker)
    try:
        deadline = time.monotonic() + 30
        while not marker.exists() or not marker.read_text():
            assert proc.poll() is None, proc.communicate()[1].decode()
            assert time.monotonic() < deadline, "the run never started writing"
            time.sleep(0.02)
        stage = marker.read_text()
        assert Path(stage).parent == folder and any(Path(stage).iterdir())
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err.decode(), Path(stage).name


def beside(folder: Path) -> list[str]:
    """What the output's parent holds besides the inputs."""
    inputs = {*COMMANDS["reconcile"], "writing"}
    return sorted(p.name for p in folder.iterdir() if p.name not in inputs)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_sigkill_while_writing_leaves_the_earlier_results(folder: Path, command: str):
    run(folder, command)
    before = snapshot(folder / "OUT")
    code, _, stage = kill_while_writing(folder, command, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert snapshot(folder / "OUT") == before  # same files, same bytes, nothing added
    # A killed process cannot clean up: its temporary folder stays beside OUT...
    assert beside(folder) == sorted(["OUT", stage])
    assert stage.startswith(".OUT.") and stage.endswith(".tmp")
    # ...until the next run writing to OUT, which removes it and publishes as usual.
    run(folder, command)
    assert beside(folder) == ["OUT"]
    after = dict(snapshot(folder / "OUT"))  # type: ignore[call-overload]
    assert after.keys() == dict(before).keys()  # type: ignore[call-overload]
    assert after["findings.csv"] == dict(before)["findings.csv"]  # type: ignore[call-overload]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_ctrl_c_while_writing_exits_130_and_leaves_the_earlier_results(folder: Path, command: str):
    run(folder, command)
    before = snapshot(folder / "OUT")
    code, err, _ = kill_while_writing(folder, command, signal.SIGINT)
    assert code == 130
    assert err == "cleanse: error: interrupted; earlier results are left as they were\n"
    assert snapshot(folder / "OUT") == before
    assert beside(folder) == ["OUT"]  # the run removed its own temporary folder


def test_a_live_runs_temporary_folder_is_not_removed(folder: Path):
    live = folder / f".OUT.{_HOST}.{os.getpid()}.abcdefgh.tmp"
    live.mkdir()
    other = folder / ".OUT.notapid.tmp"
    other.mkdir()
    run(folder, "validate")
    assert beside(folder) == sorted(["OUT", live.name, other.name])


def _dead_pid() -> int:
    """The number of a process that has ended."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def test_another_machines_temporary_folder_is_not_removed(folder: Path):
    # On a network folder a process number of another machine means nothing here: its
    # stage is left to it, while this machine's dead one is removed.
    dead = _dead_pid()
    theirs = folder / f".OUT.{'0' * 8 if _HOST != '0' * 8 else '1' * 8}.{dead}.abcdefgh.tmp"
    ours = folder / f".OUT.{_HOST}.{dead}.abcdefgh.tmp"
    theirs.mkdir()
    ours.mkdir()
    run(folder, "validate")
    assert beside(folder) == sorted(["OUT", theirs.name])
