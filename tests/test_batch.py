"""``cleanse batch`` and ``cleanse history``: jobs file, lock, log, run folders, changes."""

from __future__ import annotations

import csv
import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import snapshot

from cleanse.batch import (
    JobResult,
    job_start,
    job_summary,
    load_jobs,
    prune_runs,
    read_latest,
    record_keys,
    run_batch,
)
from cleanse.cli import cli
from cleanse.errors import CleanseError

# These tests assert the words of error lines: English ones (CLEANSE_LANG=en).
pytestmark = pytest.mark.usefixtures("english_lines")

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

JOBS = """
[settings]
log = "out/batch.log"
keep = {keep}
lock = "out/batch.lock"
history = "out/history"

[[job]]
name = "bhxh"
command = "validate"
inputs = ["bhxh.csv"]
source = "bhxh"
out = "out/{{job}}/{{date}}"

[[job]]
name = "others"
command = "validate"
inputs = ["{others}"]
out = "out/{{job}}/{{date}}"
formats = ["csv"]
"""


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(path.open(encoding="utf-8-sig", newline="")))
    return rows[0], rows[1:]


def write_rows(path: Path, header: list[str], data: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([header, *data])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("bhxh.csv", "btxh.csv"):
        (tmp_path / name).write_bytes((SAMPLES / name).read_bytes())
    (tmp_path / "jobs.toml").write_text(JOBS.format(keep=5, others="btxh*.csv"), "utf-8")
    return tmp_path


def batch(folder: Path, now: str, *extra: str) -> object:
    return CliRunner().invoke(cli, ["batch", str(folder / "jobs.toml"), "--now", now, *extra])


def summary(folder: Path, job: str) -> dict:
    return json.loads((folder / "out" / job / "latest" / "summary.json").read_text("utf-8"))


# --- the jobs file -------------------------------------------------------------------------

BAD_FILES = [
    ("unknown job key", 'inputs = ["bhxh.csv"]\nsorce = "bhxh"', "job 'j', key 'sorce'"),
    ("bad command", 'inputs = ["bhxh.csv"]\ncommand = "check"', "job 'j', key 'command'"),
    ("bad format", 'inputs = ["bhxh.csv"]\nformats = ["pdf"]', "job 'j', key 'formats'"),
    ("bad kind", 'inputs = ["bhxh.csv"]\nsource = "x"', "job 'j', key 'source'"),
    ("no date in out", 'inputs = ["bhxh.csv"]\nout = "r/{job}"', "job 'j', key 'out'"),
    ("reference in validate", 'inputs = ["bhxh.csv"]\nreference = "a"', "key 'reference'"),
    ("inputs not a list", "inputs = 3", "job 'j', key 'inputs'"),
]


@pytest.mark.parametrize(("description", "body", "expected"), BAD_FILES)
def test_bad_job_is_one_clear_error(folder: Path, description: str, body: str, expected: str):
    text = f'[[job]]\nname = "j"\n{body}\n'
    if "command" not in body:
        text += 'command = "validate"\n'
    (folder / "jobs.toml").write_text(text, "utf-8")
    with pytest.raises(CleanseError, match=expected):
        load_jobs(folder / "jobs.toml")
    result = batch(folder, "2026-11-21T02:30")
    assert result.exit_code == 2
    assert expected in result.stderr and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output and not (folder / "out").exists()


def test_bad_setting_names_the_key(folder: Path):
    text = (folder / "jobs.toml").read_text("utf-8").replace("keep = 5", "keep = 0")
    (folder / "jobs.toml").write_text(text, "utf-8")
    with pytest.raises(CleanseError, match="key 'settings.keep'"):
        load_jobs(folder / "jobs.toml")


# --- runs ------------------------------------------------------------------------------


def test_run_is_silent_and_writes_dated_folders(folder: Path):
    result = batch(folder, "2026-11-21T02:30")
    assert result.exit_code == 1  # the samples have errors
    assert result.stdout == "" and result.stderr == ""
    for job in ("bhxh", "others"):
        base = folder / "out" / job
        assert read_latest(base) == "2026-11-21T0230"
        assert (base / "latest").is_symlink()
        assert (base / "latest" / "changes.csv").exists()
    assert (folder / "out/bhxh/latest/findings.parquet").exists()
    assert oct((folder / "out/bhxh/2026-11-21T0230").stat().st_mode & 0o777) == "0o700"
    log = (folder / "out/batch.log").read_text("utf-8").splitlines()
    assert [line.split()[1] for line in log] == ["job=bhxh", "job=others"]
    assert all("outcome=findings" in line for line in log)
    s = summary(folder, "bhxh")
    assert s["changes"]["new"] == s["counts"]["findings"] and s["changes"]["previous_run"] is None


def test_two_runs_count_new_resolved_and_persisting(folder: Path):
    assert batch(folder, "2026-11-20T02:30").exit_code == 1
    first = summary(folder, "bhxh")["counts"]["findings"]
    findings = pd.read_parquet(folder / "out/bhxh/latest/findings.parquet")
    header, data = read_rows(folder / "bhxh.csv")
    # Rows picked from the findings, so that a regenerated sample keeps the test whole:
    # one whose only finding is its missing name, one with no finding at all, and five
    # that no finding names (removed, so the rows after them move up).
    per_row = findings.groupby("row")["rule"].agg(list)
    named = set(findings["row"].dropna()) | set(findings["related_row"].dropna())
    nameless = findings[(findings["rule"] == "field.missing") & (findings["field"] == "full_name")]
    fixed = next(int(r) for r in nameless["row"] if per_row[r] == ["field.missing"])
    clean = [r for r in range(1, len(data) + 1) if r not in named and r != fixed]
    emptied, dropped = clean[-1], clean[:5]
    data[fixed - 1][header.index("Họ và tên")] = "Trần Văn Sửa"  # name filled in (resolved)
    data[emptied - 1][header.index("Giới tính")] = ""  # gender emptied (new)
    kept = [row for i, row in enumerate(data, start=1) if i not in dropped]
    write_rows(folder / "bhxh.csv", header, kept)
    assert batch(folder, "2026-11-21T02:30").exit_code == 1
    s = summary(folder, "bhxh")
    assert s["changes"] == {
        "new": 1,
        "resolved": 1,
        "persisting": first - 1,
        "previous_run": "2026-11-20T0230",
    }
    changes = pd.read_parquet(folder / "out/bhxh/latest/changes.parquet")
    moved = changes[changes["status"] == "persisting"]
    shift = moved["previous_row"].map(lambda r: sum(d < r for d in dropped))
    assert (moved["previous_row"] - moved["row"] == shift).all() and shift.max() == 5
    assert changes[changes["status"] != "persisting"][
        ["status", "rule", "field"]
    ].values.tolist() == [
        ["new", "field.missing", "gender"],
        ["resolved", "field.missing", "full_name"],
    ]
    # The record key is a keyed digest: no ID or name of the input in the table.
    assert changes["record"].str.fullmatch(r"[0-9a-f]{24}").all()
    assert summary(folder, "others")["changes"]["new"] == 0
    history = pd.read_parquet(folder / "out/history/history.parquet")
    assert history[["job", "new", "resolved"]].values.tolist() == [
        ["bhxh", first, 0],
        ["others", summary(folder, "others")["counts"]["findings"], 0],
        ["bhxh", 1, 1],
        ["others", 0, 0],
    ]
    chart = folder / "trend.html"
    result = CliRunner().invoke(cli, ["history", str(folder / "jobs.toml"), "--chart", str(chart)])
    assert result.exit_code == 0, result.output
    assert "bhxh" in result.stdout and "2026-11-21 02:30" in result.stdout
    page = chart.read_text("utf-8")
    assert (
        "<svg" in page
        and "<script" not in page
        and "http" not in page.replace("http://www.w3.org/2000/svg", "")
    )


def test_old_runs_are_pruned_and_two_runs_a_minute_do_not_collide(folder: Path):
    text = (folder / "jobs.toml").read_text("utf-8").replace("keep = 5", "keep = 2")
    (folder / "jobs.toml").write_text(text, "utf-8")
    for now in ("2026-11-19T02:30", "2026-11-20T02:30", "2026-11-21T02:30", "2026-11-21T02:30"):
        assert batch(folder, now).exit_code == 1
    base = folder / "out/others"
    assert sorted(p.name for p in base.iterdir() if not p.name.startswith(".")) == [
        "2026-11-21T0230",
        "2026-11-21T0230-2",
        "latest",
    ]
    assert read_latest(base) == "2026-11-21T0230-2"
    assert prune_runs(base, 1) == ["2026-11-21T0230"]


def test_missing_input_fails_its_job_alone(folder: Path):
    text = JOBS.format(keep=5, others="hotich-*.csv")
    (folder / "jobs.toml").write_text(text, "utf-8")
    result = batch(folder, "2026-11-21T02:30")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "cleanse: error: job 'others': key 'inputs': no file matches 'hotich-*.csv'"
    )
    assert read_latest(folder / "out/bhxh") == "2026-11-21T0230"
    assert not (folder / "out/others").exists() or not any((folder / "out/others").iterdir())
    log = (folder / "out/batch.log").read_text("utf-8")
    assert "job=bhxh" in log and "outcome=findings" in log
    assert "job=others" in log and "outcome=error" in log
    history = pd.read_parquet(folder / "out/history/history.parquet")
    assert history[["job", "outcome"]].values.tolist() == [
        ["bhxh", "findings"],
        ["others", "error"],
    ]


# --- the lock ------------------------------------------------------------------------------


def test_a_second_run_is_refused_while_one_is_going(folder: Path):
    lock = folder / "out" / "batch.lock"
    lock.parent.mkdir()
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("4242\n")
        held.flush()
        result = batch(folder, "2026-11-21T02:30")
    assert result.exit_code == 2
    assert "another cleanse batch run is going (pid 4242)" in result.stderr
    assert result.stderr.count("\n") == 1
    assert not (folder / "out/bhxh").exists()


def test_a_lock_left_by_a_dead_process_is_taken_over(folder: Path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    lock = folder / "out" / "batch.lock"
    lock.parent.mkdir()
    lock.write_text(dead.stdout)
    result = batch(folder, "2026-11-21T02:30")
    assert result.exit_code == 1 and result.stderr == ""
    log = (folder / "out/batch.log").read_text("utf-8")
    assert f"lock left by pid {dead.stdout.strip()} taken over" in log
    assert lock.read_text() == ""  # emptied at the end of the run


# --- interrupted runs and personal data --------------------------------------------------


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_killed_run_leaves_the_previous_results_whole(folder: Path):
    assert batch(folder, "2026-11-20T02:30").exit_code == 1
    base = folder / "out/bhxh"
    before = _digest(base / "2026-11-20T0230")
    header, data = read_rows(folder / "bhxh.csv")
    write_rows(folder / "bhxh.csv", header, data * 60)  # ~37,000 rows: a slow job
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cleanse",
            "batch",
            str(folder / "jobs.toml"),
            "--now",
            "2026-11-21T02:30",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not list(base.glob(".stage-*")):
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    left = sorted(p.name for p in base.iterdir() if not p.name.startswith("."))
    assert left == ["2026-11-20T0230", "latest"]
    assert read_latest(base) == "2026-11-20T0230"
    assert _digest(base / "2026-11-20T0230") == before
    # The next run takes the dead run's lock over and clears its staging folder.
    write_rows(folder / "bhxh.csv", header, data)
    assert batch(folder, "2026-11-22T02:30").exit_code == 1
    assert not list(base.glob(".stage-*"))
    assert summary(folder, "bhxh")["changes"]["previous_run"] == "2026-11-20T0230"


def test_log_holds_no_id_number_or_name(folder: Path):
    (folder / "jobs.toml").write_text(
        JOBS.format(keep=5, others="missing.csv"), "utf-8"
    )  # a failing job too: its error line goes to the log
    header, data = read_rows(folder / "bhxh.csv")
    write_rows(folder / "bhxh.csv", header, data)
    assert batch(folder, "2026-11-21T02:30").exit_code == 2
    log = (folder / "out/batch.log").read_text("utf-8")
    values = set()
    for row in data:
        for col in ("Mã số BHXH", "Số CCCD", "Họ và tên"):
            value = row[header.index(col)].strip()
            if len(value) >= 6:
                values.add(value)
    assert values and not [v for v in values if v in log]
    for job in ("bhxh",):
        changes = (folder / "out" / job / "latest" / "changes.csv").read_text("utf-8-sig")
        assert not [v for v in values if v in changes]


def test_sample_jobs_file_loads():
    plan = load_jobs(SAMPLES / "jobs.toml")
    assert [j.name for j in plan.jobs] == ["bhxh", "hotich-btxh", "doi-chieu"]
    assert all(j.missing is None for j in plan.jobs)


# --- many files ---------------------------------------------------------------------------


def test_a_glob_of_thousands_of_files_is_taken_in_linear_time(tmp_path: Path):
    # 10,000 files once took more than ten minutes: every part of a job that is not the
    # reading of each file (the glob, the checks of the jobs file, the record keys of
    # the changes) must cost next to nothing per file.
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(2000):
        (inputs / f"x{i:04d}.csv").write_text("Họ và tên,Ngày sinh\nLê Văn An,1990\n", "utf-8")
    (tmp_path / "jobs.toml").write_text(
        '[[job]]\nname = "many"\ncommand = "validate"\ninputs = ["in/*.csv"]\n', "utf-8"
    )
    started = time.monotonic()
    [job] = load_jobs(tmp_path / "jobs.toml").jobs
    assert len(job.inputs) == 2000 and job.missing is None
    findings = pd.DataFrame(
        {"source": [p.name for p in job.inputs], "row": pd.array([1] * 2000, dtype="Int64")}
    )
    keys = record_keys(findings, {p.name: p for p in job.inputs}, job.read_settings())
    assert keys.nunique() == 1  # one person in every file: one record
    assert time.monotonic() - started < 120  # a backstop for a hang, not a benchmark


def test_the_log_and_a_terminal_say_how_many_files_a_job_took(
    folder: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("CLEANSE_LANG")  # the jobs' language by default: Vietnamese
    assert batch(folder, "2026-11-21T02:30").exit_code == 1
    log = (folder / "out/batch.log").read_text("utf-8").splitlines()
    assert [line.split()[4] for line in log] == ["files=1", "files=1"]
    plan = load_jobs(folder / "jobs.toml")
    assert job_start(plan.jobs[0]) == "tác vụ 'bhxh' (validate): 1 tệp…"
    result = JobResult("many", "validate", 0, 0.0, 0.0, files=10000, rows=10000, findings=3)
    result.changes, result.run, result.lang = {"new": 1, "persisting": 2}, "2026-11-21T0230", "en"
    result.changes["resolved"] = 4
    assert job_summary(result) == (
        "job 'many': 10,000 files, 10,000 rows, 3 findings "
        "(1 new, 4 resolved, 2 persisting) → 2026-11-21T0230"
    )
    result.lang = "vi"
    assert job_summary(result) == (
        "tác vụ 'many': 10,000 tệp, 10,000 dòng, 3 phát hiện (mới 1, hết 4, còn 2) "
        "→ 2026-11-21T0230"
    )


# --- a log that cannot be written stops nothing --------------------------------------------


def _history_jobs(folder: Path) -> list[list[str]]:
    history = pd.read_parquet(folder / "out/history/history.parquet")
    return history[["job", "outcome"]].values.tolist()


def test_a_log_that_is_a_folder_stops_no_job_and_the_history_is_written(folder: Path):
    (folder / "out/batch.log").mkdir(parents=True)
    result = batch(folder, "2026-11-21T02:30")
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("cleanse: error: log: ") and "batch.log" in line
    assert "cannot write the log" in line and "2 of 2 lines not written" in line
    for job in ("bhxh", "others"):
        assert read_latest(folder / "out" / job) == "2026-11-21T0230"
    assert _history_jobs(folder) == [["bhxh", "findings"], ["others", "findings"]]


def test_a_log_that_fills_the_disk_mid_run_stops_no_job(folder: Path, monkeypatch):
    import cleanse.batch.log

    real = cleanse.batch.log._append
    calls = []

    def append(path: Path, data: bytes, mode: int) -> None:
        calls.append(path)
        if len(calls) > 1:  # the first job's line is written; then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, data, mode)

    monkeypatch.setattr(cleanse.batch.log, "_append", append)  # as the log calls it
    result = batch(folder, "2026-11-21T02:30")
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert "log: " in line and "no space left on the disk" in line
    assert "1 of 2 lines not written" in line
    assert [x.split()[1] for x in (folder / "out/batch.log").read_text("utf-8").splitlines()] == [
        "job=bhxh"
    ]
    assert read_latest(folder / "out/others") == "2026-11-21T0230"
    assert _history_jobs(folder) == [["bhxh", "findings"], ["others", "findings"]]


def test_a_history_that_fails_unexpectedly_is_one_line_after_every_job(folder: Path, monkeypatch):
    import cleanse.batch.run

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("Nguyễn Văn An")  # a message that might quote a record

    monkeypatch.setattr(cleanse.batch.run, "append_history", broken)  # as run_batch calls it
    result = batch(folder, "2026-11-21T02:30")
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("cleanse: error: history: unexpected KeyError")
    assert "Nguyễn" not in line
    assert len((folder / "out/batch.log").read_text("utf-8").splitlines()) == 2


# --- jobs of two jobs files in one folder ----------------------------------------------------


def test_a_folder_another_run_is_writing_into_fails_that_job_alone(folder: Path):
    # Two jobs files, two batch locks: the folder's own lock keeps their runs apart.
    base = folder / "out" / "bhxh"
    base.mkdir(parents=True)
    with (base / ".cleanse-batch.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("4242\n")
        held.flush()
        (base / ".stage-of-the-other-run").mkdir()
        result = batch(folder, "2026-11-21T02:30")
        assert (base / ".stage-of-the-other-run").is_dir()  # not removed under its feet
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("cleanse: error: job 'bhxh': ")
    assert "another cleanse batch run (pid 4242) is writing into this folder" in line
    assert read_latest(folder / "out/others") == "2026-11-21T0230"


def test_two_jobs_files_writing_into_one_folder_at_once_give_one_line_each(tmp_path: Path):
    shared = '[[job]]\nname = "bhxh"\ncommand = "validate"\ninputs = ["bhxh.csv"]\n'
    shared += 'out = "../shared/{job}/{date}"\n'
    runs = []
    for team in ("a", "b"):
        (tmp_path / team).mkdir()
        (tmp_path / team / "bhxh.csv").write_bytes((SAMPLES / "bhxh.csv").read_bytes())
        (tmp_path / team / "jobs.toml").write_text("allow_outside = true\n" + shared, "utf-8")
    for team in ("a", "b"):
        runs.append(
            subprocess.Popen(
                [sys.executable, "-m", "cleanse", "batch", str(tmp_path / team / "jobs.toml")],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for proc in runs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode in (1, 2) and out == ""
        assert "Traceback" not in err and len(err.splitlines()) <= 1, err
        if proc.returncode == 2:
            assert "is writing into this folder" in err
    base = tmp_path / "shared" / "bhxh"
    assert read_latest(base) is not None and not list(base.glob(".stage-*"))


def test_two_spellings_of_one_folder_are_one_folder(folder: Path):
    job = 'command = "validate"\ninputs = ["bhxh.csv"]\n'
    (folder / "jobs.toml").write_text(
        f'[[job]]\nname = "a"\n{job}out = "out/x/{{date}}"\n'
        f'[[job]]\nname = "b"\n{job}out = "out/./y/../x/{{date}}"\n',
        "utf-8",
    )
    with pytest.raises(CleanseError, match="job 'b', key 'out': job 'a' writes into the same"):
        load_jobs(folder / "jobs.toml")


@pytest.mark.parametrize("key", ["log", "lock", "history"])
def test_the_log_lock_and_history_are_not_inside_a_job_folder(folder: Path, key: str):
    text = (folder / "jobs.toml").read_text("utf-8")
    line = next(x for x in text.splitlines() if x.startswith(f"{key} = "))
    text = text.replace(line, f'{key} = "out/others/{key}"')
    (folder / "jobs.toml").write_text(text, "utf-8")
    with pytest.raises(CleanseError, match=f"key 'settings.{key}': inside the folder of job"):
        load_jobs(folder / "jobs.toml")


# --- what a jobs file writes stays in its folder -----------------------------------------------

OUTSIDE = [
    ("out above the folder", "job", 'out = "../elsewhere/{job}/{date}"', "job 'j', key 'out'"),
    ("out absolute", "job", 'out = "/tmp/cleanse-outside/{date}"', "job 'j', key 'out'"),
    ("log above", "settings", 'log = "../batch.log"', "key 'settings.log'"),
    ("lock absolute", "settings", 'lock = "/tmp/batch.lock"', "key 'settings.lock'"),
    ("history above", "settings", 'history = "../../history"', "key 'settings.history'"),
    ("out through a link", "job", 'out = "link/{job}/{date}"', "job 'j', key 'out'"),
    ("log through a link", "settings", 'log = "link/batch.log"', "key 'settings.log'"),
]


def _outside_jobs(tmp_path: Path, where: str, line: str, top: str = "") -> Path:
    """A jobs file in ``tmp_path/team``, with a link ``team/link`` to ``tmp_path``."""
    team = tmp_path / "team"
    team.mkdir()
    (team / "bhxh.csv").write_bytes((SAMPLES / "bhxh.csv").read_bytes())
    (team / "link").symlink_to(tmp_path, target_is_directory=True)
    settings = f"[settings]\n{line}\n" if where == "settings" else ""
    job = line if where == "job" else ""
    text = f'{top}{settings}[[job]]\nname = "j"\ncommand = "validate"\n'
    (team / "jobs.toml").write_text(text + f'inputs = ["bhxh.csv"]\n{job}\n', "utf-8")
    return team / "jobs.toml"


@pytest.mark.parametrize(("description", "where", "line", "expected"), OUTSIDE)
def test_a_path_outside_the_jobs_folder_is_refused(
    tmp_path: Path, description: str, where: str, line: str, expected: str
):
    jobs = _outside_jobs(tmp_path, where, line)
    with pytest.raises(CleanseError, match=expected):
        load_jobs(jobs)
    before = snapshot(tmp_path)
    for command in ("batch", "history"):
        result = CliRunner().invoke(cli, [command, str(jobs)])
        assert result.exit_code == 2
        [shown] = result.stderr.splitlines()
        assert expected in shown and "outside the jobs file's folder" in shown
        assert "allow_outside = true" in shown
    assert snapshot(tmp_path) == before  # nothing written anywhere
    assert not Path("/tmp/cleanse-outside").exists()


@pytest.mark.parametrize(("description", "where", "line", "expected"), OUTSIDE[:1] + OUTSIDE[5:6])
def test_allow_outside_lets_the_jobs_file_write_elsewhere(
    tmp_path: Path, description: str, where: str, line: str, expected: str
):
    jobs = _outside_jobs(tmp_path, where, line, top="allow_outside = true\n")
    [job] = load_jobs(jobs).jobs
    assert CliRunner().invoke(cli, ["batch", str(jobs)]).exit_code == 1
    assert read_latest(job.base) is not None
    assert os.path.realpath(job.base).startswith(str(tmp_path.resolve()))


def test_allow_outside_must_be_true_or_false(tmp_path: Path):
    jobs = _outside_jobs(tmp_path, "job", "", top='allow_outside = "yes"\n')
    with pytest.raises(CleanseError, match="key 'allow_outside': 'yes': give true or false"):
        load_jobs(jobs)


def test_a_link_made_after_the_file_was_read_does_not_lead_out(folder: Path):
    plan = load_jobs(folder / "jobs.toml")
    elsewhere = folder.parent / "elsewhere"
    elsewhere.mkdir()
    (folder / "out").mkdir()
    (folder / "out" / "bhxh").symlink_to(elsewhere, target_is_directory=True)
    result = run_batch(plan, now=dt.datetime(2026, 11, 21, 2, 30))
    assert result.status == 2
    [line] = result.failures
    assert line.startswith("job 'bhxh': key 'out': ") and "outside the jobs file's folder" in line
    assert list(elsewhere.iterdir()) == []
    assert read_latest(folder / "out/others") == "2026-11-21T0230"


def test_a_mistyped_key_is_answered_with_the_nearest_one(folder: Path):
    (folder / "jobs.toml").write_text(
        '[[job]]\nname = "j"\ncommand = "validate"\ninputs = ["bhxh.csv"]\nsorce = "bhxh"\n'
        '[settings]\nkepp = 3\n',
        "utf-8",
    )  # fmt: skip
    with pytest.raises(CleanseError, match="did you mean 'keep'"):
        load_jobs(folder / "jobs.toml")
    (folder / "jobs.toml").write_text(
        '[[job]]\nname = "j"\ncommand = "validate"\ninputs = ["bhxh.csv"]\nsorce = "bhxh"\n',
        "utf-8",
    )
    with pytest.raises(CleanseError, match="key 'sorce': unknown key; did you mean 'source'"):
        load_jobs(folder / "jobs.toml")
    (folder / "jobs.toml").write_text(
        '[[job]]\nname = "j"\ncommand = "validate"\ninputs = ["bhxh.csv"]\nxyzzy = 1\n', "utf-8"
    )
    with pytest.raises(CleanseError, match="unknown key; use name, command"):
        load_jobs(folder / "jobs.toml")


def test_the_jobs_file_and_the_cli_take_the_options_of_one_table(folder: Path):
    """Every option of the table is a jobs-file key and a flag of the commands, with the
    table's help; a value the table refuses is refused by the jobs file."""
    from cleanse.cli import cli as group
    from cleanse.options import SPECS

    flags = {
        name: {o: p for p in group.commands[name].params for o in p.opts}
        for name in ("validate", "reconcile")
    }
    for key, spec in SPECS.items():
        for name in ("reconcile",) if spec.reconcile_only else ("validate", "reconcile"):
            assert spec.option in flags[name], (key, name)
            assert flags[name][spec.option].help == spec.help
    body = '[[job]]\nname = "j"\ncommand = "reconcile"\ninputs = ["bhxh.csv", "dancu.csv"]\n'
    (folder / "jobs.toml").write_text(body + "threshold = 0.9\nmask = true\n", "utf-8")
    job = load_jobs(folder / "jobs.toml").jobs[0]
    assert (job.threshold, job.mask, job.formats) == (0.9, True, ("parquet", "csv", "xlsx"))
    (folder / "jobs.toml").write_text(body + 'formats = "csv, xlsx"\n', "utf-8")
    assert load_jobs(folder / "jobs.toml").jobs[0].formats == ("csv", "xlsx")
    (folder / "jobs.toml").write_text(body + "twins_guard = 1\n", "utf-8")
    with pytest.raises(CleanseError, match="key 'twins_guard': 1: give true or false"):
        load_jobs(folder / "jobs.toml")
