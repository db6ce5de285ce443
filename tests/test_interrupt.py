"""A run killed while it writes its results leaves the earlier ones whole (SPEC §5).

Each run is a real process. To make the kill land while the results are being written,
not before or after, the process runs ``cleanse`` with one hook added: at a chosen step
(every table in the staging folder, before ``summary.json``; the Excel workbook half
written; the first file renamed into ``--out``) it says so in a marker file and waits.
The test then sends SIGKILL, SIGTERM or SIGINT.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import snapshot

from cleanse.output import _HOST

# These tests assert the words of error lines: English ones (CLEANSE_LANG=en).
pytestmark = pytest.mark.usefixtures("english_lines")

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

HOOK = """
import os, sys, time
marker = os.environ.get("CLEANSE_TEST_WRITING")
step = os.environ.get("CLEANSE_TEST_STEP", "summary")
def wait(where):
    open(marker, "w").write(str(where))
    time.sleep(60)
if marker and step == "summary":
    import cleanse.write as w
    real = w.write_summary
    def write_summary(summary, out_dir, **kwargs):
        wait(out_dir)
        return real(summary, out_dir, **kwargs)
    w.write_summary = write_summary
if marker and step == "xlsx":
    # A table sheet's rows written into report.xlsx, in the staging folder, and the
    # workbook's skeleton in its temporary folder beside it.
    import glob
    import cleanse.xlsx.workbook as x
    real_stream = x._stream_sheet
    def stream_sheet(skeleton, out, part, style):
        real_stream(skeleton, out, part, style)
        found = glob.glob("**/.xlsx-*", recursive=True, include_hidden=True)
        wait(found[0])
    x._stream_sheet = stream_sheet
if marker and step == "rename":
    import cleanse.output as o
    real_replace = os.replace
    class Os:
        def __getattr__(self, name):
            return getattr(os, name)
        def replace(self, src, dest):
            real_replace(src, dest)
            wait(os.path.dirname(src))
    o.os = Os()
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


def start(
    folder: Path,
    command: str,
    marker: Path | None,
    step: str = "summary",
    formats: str = "csv,parquet",
) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.pop("CLEANSE_TEST_WRITING", None)
    if marker is not None:
        env["CLEANSE_TEST_WRITING"] = str(marker)
    env["CLEANSE_TEST_STEP"] = step
    # A TMPDIR of the test's own, to see that nothing is left in it.
    env["TMPDIR"] = str(folder / "tmp")
    (folder / "tmp").mkdir(exist_ok=True)
    args = [*COMMANDS[command], "--out", "OUT", "--today", "2026-11-20", "--format", formats]
    return subprocess.Popen(
        [sys.executable, "-c", HOOK, *args],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def run(
    folder: Path, command: str, formats: str = "csv,parquet"
) -> subprocess.CompletedProcess[bytes]:
    proc = start(folder, command, None, formats=formats)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err.decode()  # the samples have findings
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def kill_while_writing(
    folder: Path, command: str, sig: int, step: str = "summary", formats: str = "csv,parquet"
) -> tuple[int, str, str]:
    """Start a run, wait until it is writing, send ``sig``; return code, stderr, stage."""
    marker = folder / "writing"
    marker.unlink(missing_ok=True)
    proc = start(folder, command, marker, step, formats)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() or not marker.read_text():
            assert proc.poll() is None, proc.communicate()[1].decode()
            assert time.monotonic() < deadline, "the run never started writing"
            time.sleep(0.02)
        where = folder / marker.read_text()
        stage = where if where.name.startswith(".cleanse-stage.") else where.parent
        assert stage.parent == folder / "OUT" and any(stage.iterdir())
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err.decode(), stage.name


def beside(folder: Path) -> list[str]:
    """What the output's parent holds besides the inputs."""
    inputs = {*COMMANDS["reconcile"], "writing", "tmp"}
    return sorted(p.name for p in folder.iterdir() if p.name not in inputs)


def stages(folder: Path) -> list[str]:
    """The staging folders inside OUT."""
    return sorted(p.name for p in (folder / "OUT").iterdir() if p.name.startswith("."))


def results(folder: Path) -> object:
    """What OUT holds, staging folders left aside."""
    return [e for e in snapshot(folder / "OUT") if not e[0].startswith(".")]  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_sigkill_while_writing_leaves_the_earlier_results(folder: Path, command: str):
    run(folder, command)
    before = snapshot(folder / "OUT")
    code, _, stage = kill_while_writing(folder, command, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert results(folder) == before  # same files, same bytes, nothing added
    # A killed process cannot clean up: its staging folder stays inside OUT (owner only)...
    assert stages(folder) == [stage] and stage.startswith(".cleanse-stage.")
    assert stat.S_IMODE((folder / "OUT" / stage).stat().st_mode) == 0o700
    assert beside(folder) == ["OUT"]
    # ...until the next run writing to OUT, which removes it and publishes as usual.
    run(folder, command)
    assert stages(folder) == []
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
    assert snapshot(folder / "OUT") == before  # the run removed its own staging folder
    assert beside(folder) == ["OUT"]


def test_sigterm_while_writing_exits_143_and_removes_the_stage(folder: Path):
    run(folder, "validate")
    before = snapshot(folder / "OUT")
    code, err, _ = kill_while_writing(folder, "validate", signal.SIGTERM)
    assert code == 143
    assert err == "cleanse: error: stopped (SIGTERM); earlier results are left as they were\n"
    assert snapshot(folder / "OUT") == before


def test_sigkill_between_renames_leaves_no_summary(folder: Path):
    # Killed after the first file is in place: a mix of old and new files, which the
    # missing summary.json marks as no whole run. The next run makes the set whole.
    run(folder, "validate")
    before = dict(snapshot(folder / "OUT"))  # type: ignore[call-overload]
    code, _, _ = kill_while_writing(folder, "validate", signal.SIGKILL, step="rename")
    assert code == -signal.SIGKILL
    names = {name for name, _ in results(folder)}  # type: ignore[attr-defined]
    assert "summary.json" not in names
    assert names == set(before) - {"summary.json"}
    run(folder, "validate")
    summary = json.loads((folder / "OUT" / "summary.json").read_text(encoding="utf-8"))
    assert summary["files"] == ["findings.csv", "findings.parquet"]
    assert stages(folder) == []


def _personal_values(folder: Path) -> list[bytes]:
    """The 12-digit ID numbers of the inputs: what must not be left in a temporary file."""
    import re

    found: set[bytes] = set()
    for name in COMMANDS["reconcile"]:
        if name.endswith(".csv"):
            found |= set(re.findall(rb"(?<![0-9])[0-9]{12}(?![0-9])", (folder / name).read_bytes()))
    return sorted(found)


def _files_holding(top: Path, values: list[bytes]) -> list[str]:
    found = []
    for p in top.rglob("*"):
        if p.is_file() and not p.is_symlink():
            data = p.read_bytes()
            if any(v in data for v in values):
                found.append(str(p.relative_to(top)))
    return found


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_kill_while_the_workbook_is_written_leaves_no_personal_data_behind(
    folder: Path, command: str, sig: int
):
    # The workbook's rows go compressed into report.xlsx, inside the staging folder, and
    # its skeleton into a temporary folder there too: never in TMPDIR. SIGTERM removes them
    # with the stage; after SIGKILL they stay in the owner-only stage until the next run
    # removes it.
    values = _personal_values(folder)
    assert values
    code, _, stage = kill_while_writing(folder, command, sig, step="xlsx", formats="xlsx")
    assert code == (143 if sig == signal.SIGTERM else -signal.SIGKILL)
    assert list((folder / "tmp").rglob("*")) == []
    if sig == signal.SIGTERM:
        assert not (folder / "OUT").exists() or list((folder / "OUT").iterdir()) == []
    else:
        assert stages(folder) == [stage]
        # The test saw the rows where they are: compressed in the stage's workbook.
        assert (folder / "OUT" / stage / "report.xlsx").stat().st_size > 0
        assert all(f.startswith(stage + "/") for f in _files_holding(folder / "OUT", values))
        run(folder, command, formats="csv")
        assert stages(folder) == []
    assert beside(folder) in (["OUT"], [])
    assert list((folder / "tmp").rglob("*")) == []


def test_a_live_runs_staging_folder_is_not_removed(folder: Path):
    (folder / "OUT").mkdir()
    live = folder / "OUT" / f".cleanse-stage.{_HOST}.{os.getpid()}.abcdefgh"
    live.mkdir()
    other = folder / "OUT" / ".cleanse-stage.notapid"
    other.mkdir()
    run(folder, "validate")
    assert stages(folder) == sorted([live.name, other.name])


def _dead_pid() -> int:
    """The number of a process that has ended."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def test_another_machines_staging_folder_is_not_removed(folder: Path):
    # On a network folder a process number of another machine means nothing here: its
    # stage is left to it, while this machine's dead one is removed.
    dead = _dead_pid()
    (folder / "OUT").mkdir()
    theirs = (
        folder
        / "OUT"
        / f".cleanse-stage.{'0' * 8 if _HOST != '0' * 8 else '1' * 8}.{dead}.abcdefgh"
    )
    ours = folder / "OUT" / f".cleanse-stage.{_HOST}.{dead}.abcdefgh"
    theirs.mkdir()
    ours.mkdir()
    run(folder, "validate")
    assert stages(folder) == [theirs.name]


def test_a_sibling_stage_of_an_earlier_version_is_removed(folder: Path):
    # Before, the stage was a sibling of --out: a killed run of that version left one.
    dead = _dead_pid()
    old = folder / f".OUT.{_HOST}.{dead}.abcdefgh.tmp"
    old.mkdir()
    (old / "findings.csv").write_text("001085012345\n", encoding="utf-8")
    run(folder, "validate")
    assert beside(folder) == ["OUT"]


BATCH_JOBS = """
[settings]
log = "batch/batch.log"
lock = "batch/batch.lock"
history = "batch/history"

[[job]]
name = "doi-chieu"
command = "reconcile"
inputs = ["bhxh.csv", "btxh.csv", "hotich.csv"]
reference = "dancu.csv"
out = "batch/{job}/{date}"
formats = ["xlsx"]
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_a_batch_killed_while_writing_a_workbook_leaves_nothing_in_tmpdir(folder: Path, sig: int):
    (folder / "jobs.toml").write_text(BATCH_JOBS, encoding="utf-8")
    (folder / "tmp").mkdir()
    marker = folder / "writing"
    env = dict(os.environ, CLEANSE_TEST_WRITING=str(marker), CLEANSE_TEST_STEP="xlsx")
    env["TMPDIR"] = str(folder / "tmp")
    proc = subprocess.Popen(
        [sys.executable, "-c", HOOK, "batch", "jobs.toml", "--now", "2026-11-20T02:30"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() or not marker.read_text():
            assert proc.poll() is None, proc.communicate()[1].decode()
            assert time.monotonic() < deadline, "the run never started writing"
            time.sleep(0.02)
        workbook_tmp = folder / marker.read_text()
        assert any(workbook_tmp.iterdir())  # the rows are there, in the job's stage
        proc.send_signal(sig)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert list((folder / "tmp").rglob("*")) == []
    job = folder / "batch" / "doi-chieu"
    if sig == signal.SIGTERM:
        assert not workbook_tmp.exists()
    else:
        # Left in the job's owner-only stage, which the next batch run removes.
        assert workbook_tmp.parent.parent == job
        assert stat.S_IMODE(workbook_tmp.parent.stat().st_mode) == 0o700
