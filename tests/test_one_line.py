"""One line, always: every command, with an internal step that fails, exits 2 with one line.

The commands are listed from the click group, so a command added later is covered by
``test_every_command_failing_is_one_line`` without a word here (its own callback is made
to fail); the commands known today also fail one step deeper, in the library function
the command calls. Each run goes through the group's real error handler, the one the
console script uses (``CliRunner`` calls ``cli.main`` as ``cleanse`` does), and two
cases run as real processes. The failures carry an ID number and a name in their
messages: neither may reach the terminal (SPEC §7).
"""

from __future__ import annotations

import errno
import importlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from helpers import HEADER, ROWS, csv_text

from cleanse.cli import cli

# These tests assert the words of error lines: English ones (CLEANSE_LANG=en).
pytestmark = pytest.mark.usefixtures("english_lines")

PROJECT = Path(__file__).resolve().parents[1]
SECRET_ID = "001085012345"
SECRET_NAME = "Nguyễn Văn An"

FAILURES: list[Any] = [
    pytest.param(lambda: RuntimeError(f"cannot go on at {SECRET_ID}"), id="RuntimeError"),
    pytest.param(
        lambda: OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), SECRET_NAME), id="OSError"
    ),
    pytest.param(lambda: KeyError(SECRET_NAME), id="KeyError"),
]

# The library step each command calls; a command missing here fails in its callback.
STEPS = {
    "inspect": "cleanse.inspect.inspect_files",
    "validate": "cleanse.validation.validate_files",
    "reconcile": "cleanse.link.reconcile_files",
    "fix": "cleanse.fixing.fix_files",
    "rules": "cleanse.report.rules_table",
    "fields": "cleanse.terminal.console",
    "sample": "cleanse.sample.write_samples",
    "batch": "cleanse.batch.run.batch_lock",  # where run_batch looks it up
    "history": "cleanse.batch.read_history",  # where the history command looks it up
}

JOBS = """[settings]
log = "batch/batch.log"
lock = "batch/batch.lock"
history = "batch/history"

[[job]]
name = "j"
command = "validate"
inputs = ["a.csv"]
out = "batch/{job}/{date}"
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """Two readable extracts and a jobs file over one of them."""
    rows = [[*HEADER, "Dân tộc", "Quốc tịch"], *[[*r, "Kinh", "Việt Nam"] for r in ROWS]]
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text(csv_text(rows), encoding="utf-8")
    (tmp_path / "jobs.toml").write_text(JOBS, encoding="utf-8")
    return tmp_path


def arguments(command: click.Command, folder: Path) -> list[str]:
    """Arguments that parse for ``command``, made from its parameters: its required
    arguments get the extracts (or the jobs file), its required options a folder."""
    args = [command.name or ""]
    for param in command.params:
        if not param.required:
            continue
        if isinstance(param, click.Argument):
            if "jobs" in (param.name or ""):
                args.append(str(folder / "jobs.toml"))
            else:
                count = 2 if param.nargs == -1 else max(param.nargs, 1)
                args += [str(folder / n) for n in ("a.csv", "b.csv")[:count]]
        else:
            args += [param.opts[0], str(folder / "out")]
    if command.name in ("validate", "reconcile"):
        args += ["--out", str(folder / "out")]
    return args


def assert_one_line(result: Result) -> str:
    """Exit 2, one ``cleanse: error:`` line on stderr, no traceback, no record value."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cleanse: error: ")
    assert "Traceback" not in result.output
    assert SECRET_ID not in result.output and SECRET_NAME not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return lines[0]


def raiser(make: Callable[[], BaseException]) -> Callable[..., Any]:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise make()

    return fail


def test_every_command_is_listed_with_a_step():
    # Not required for coverage (a new command fails in its callback), but a reminder
    # to give it a case one step deeper.
    assert sorted(STEPS) == sorted(cli.commands)


@pytest.mark.parametrize("make", FAILURES)
@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_failing_is_one_line(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, name: str, make: Callable[[], Exception]
):
    command = cli.commands[name]
    monkeypatch.setattr(command, "callback", raiser(make))
    assert_one_line(CliRunner().invoke(cli, arguments(command, workspace)))


@pytest.mark.parametrize("make", FAILURES)
@pytest.mark.parametrize("name", sorted(STEPS))
def test_every_command_with_a_failing_library_step_is_one_line(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, name: str, make: Callable[[], Exception]
):
    module, _, attr = STEPS[name].rpartition(".")
    monkeypatch.setattr(importlib.import_module(module), attr, raiser(make))
    line = assert_one_line(CliRunner().invoke(cli, arguments(cli.commands[name], workspace)))
    # sample and fix write inside their staging folder as they go: a full disk is named
    if name not in ("sample", "fix"):
        assert "internal error" in line or "No space left on device" in line


@pytest.mark.parametrize("make", FAILURES)
def test_a_batch_job_failing_inside_is_one_line_and_the_run_goes_on(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, make: Callable[[], Exception]
):
    import cleanse.validation

    monkeypatch.setattr(cleanse.validation, "validate_files", raiser(make))
    line = assert_one_line(CliRunner().invoke(cli, ["batch", str(workspace / "jobs.toml")]))
    assert line.startswith("cleanse: error: job 'j': ")
    log = (workspace / "batch" / "batch.log").read_text("utf-8")
    assert "outcome=error" in log and SECRET_ID not in log and SECRET_NAME not in log
    assert (workspace / "batch" / "history" / "history.parquet").exists()


def _process(args: list[str], code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_failing_step_in_a_real_process_is_one_line(workspace: Path):
    code = (
        "import cleanse.validation as v\n"
        "def fail(*a, **k):\n"
        f"    raise KeyError({SECRET_NAME!r})\n"
        "v.validate_files = fail\n"
        "from cleanse.cli import main\n"
        "main()\n"
    )
    done = _process(["validate", "a.csv", "--out", "out"], code, workspace)
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("cleanse: error: internal error (KeyError")
    assert SECRET_NAME not in done.stderr and done.stdout == ""


def test_a_batch_whose_log_is_a_folder_is_one_line_in_a_real_process(workspace: Path):
    (workspace / "batch" / "batch.log").mkdir(parents=True)
    done = _process(["batch", "jobs.toml"], "from cleanse.cli import main\nmain()\n", workspace)
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("cleanse: error: log: ") and "1 of 1 lines not written" in line
    assert (workspace / "batch" / "history" / "history.parquet").exists()
