"""Who may read the results (SPEC §7): the owner only, or with --shared the owner's group."""

from __future__ import annotations

import grp
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cleanse.batch import load_jobs
from cleanse.cli import cli

# These tests assert the words of error lines: English ones (CLEANSE_LANG=en).
pytestmark = pytest.mark.usefixtures("english_lines")

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _lax_umask() -> Iterator[None]:
    """The usual umask 022: the modes must not depend on the umask being strict."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("bhxh.csv", "btxh.csv", "hotich.csv", "dancu.csv"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    return tmp_path


def modes_under(top: Path) -> set[tuple[str, int]]:
    """('dir' or 'file', mode) of everything under ``top``, ``top`` included."""
    found = {("dir", mode(top))}
    for p in top.rglob("*"):
        if not p.is_symlink():
            found.add(("dir" if p.is_dir() else "file", mode(p)))
    return found


COMMANDS = {
    "validate": ["validate", "bhxh.csv"],
    "reconcile": ["reconcile", "bhxh.csv", "hotich.csv", "--reference", "dancu.csv"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize(
    ("extra", "dir_mode", "file_mode"),
    [pytest.param([], 0o700, 0o600, id="default"), pytest.param(["--shared"], 0o750, 0o640)],
)
def test_command_output_modes(
    folder: Path,
    command: str,
    extra: list[str],
    dir_mode: int,
    file_mode: int,
    monkeypatch: pytest.MonkeyPatch,
):
    out = folder / "reports" / "2026" / "out"  # two missing parents, made too
    monkeypatch.chdir(folder)
    args = [*COMMANDS[command], "--out", str(out), *extra]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 1), result.output
    assert modes_under(folder / "reports") == {("dir", dir_mode), ("file", file_mode)}


def test_shared_relaxes_an_existing_private_output_folder(folder: Path):
    out = folder / "out"
    out.mkdir(mode=0o700)
    args = ["validate", str(folder / "bhxh.csv"), "--out", str(out), "--shared"]
    assert CliRunner().invoke(cli, args).exit_code == 1
    assert mode(out) == 0o750


JOBS = """
[settings]
log = "batch/batch.log"
lock = "batch/batch.lock"
history = "batch/history"
{settings}

[[job]]
name = "bhxh"
command = "validate"
inputs = ["bhxh.csv"]
out = "batch/{{job}}/{{date}}"
{job}
"""


def run_batch(folder: Path, settings: str = "", job: str = "") -> Path:
    jobs = folder / "jobs.toml"
    jobs.write_text(JOBS.format(settings=settings, job=job), encoding="utf-8")
    result = CliRunner().invoke(cli, ["batch", str(jobs), "--now", "2026-11-20T02:30"])
    assert result.exit_code == 1, result.output
    return folder / "batch"


def test_batch_top_folder_and_everything_under_it_is_private(folder: Path):
    top = run_batch(folder)
    assert mode(top) == 0o700  # was 0755: the parent of the dated run folders
    assert modes_under(top) == {("dir", 0o700), ("file", 0o600)}


def test_batch_shared_setting_makes_everything_group_readable(folder: Path):
    top = run_batch(folder, settings="shared = true")
    assert mode(top) == 0o750
    assert modes_under(top) == {("dir", 0o750), ("file", 0o640)}


def test_batch_job_may_share_its_own_runs_only(folder: Path):
    top = run_batch(folder, job="shared = true")
    assert mode(top) == 0o700
    assert mode(top / "batch.log") == 0o600
    assert modes_under(top / "bhxh") == {("dir", 0o750), ("file", 0o640)}


@pytest.mark.parametrize("where", ["settings", "job"])
def test_batch_shared_must_be_true_or_false(folder: Path, where: str):
    jobs = folder / "jobs.toml"
    jobs.write_text(JOBS.format(**{"settings": "", "job": "", where: 'shared = "yes"'}), "utf-8")
    result = CliRunner().invoke(cli, ["batch", str(jobs)])
    assert result.exit_code == 2
    assert "shared" in result.output and "true or false" in result.output


def test_batch_job_shared_defaults_to_the_setting(folder: Path):
    jobs = folder / "jobs.toml"
    jobs.write_text(JOBS.format(settings="shared = true", job=""), "utf-8")
    assert load_jobs(jobs).jobs[0].shared is True
    jobs.write_text(JOBS.format(settings="shared = true", job="shared = false"), "utf-8")
    assert load_jobs(jobs).jobs[0].shared is False


@pytest.mark.parametrize(
    ("settings", "file_mode"),
    [pytest.param("", 0o600, id="private"), pytest.param("shared = true", 0o640, id="shared")],
)
def test_history_chart_has_the_modes_of_the_results(folder: Path, settings: str, file_mode: int):
    # The chart names jobs and counts only, but it lies among the results: same modes,
    # whatever the umask, in the history folder or where --chart says.
    run_batch(folder, settings=settings)
    jobs = folder / "jobs.toml"
    chart = folder / "bao-cao" / "tien-do.html"
    for extra in ([], ["--chart", str(chart)]):
        result = CliRunner().invoke(cli, ["history", str(jobs), *extra])
        assert result.exit_code == 0, result.output
    default = load_jobs(jobs).settings.history / "history.html"
    assert mode(default) == file_mode
    assert mode(chart) == file_mode
    assert mode(chart.parent) == (0o750 if settings else 0o700)
    assert not [p for p in chart.parent.iterdir() if p.name.endswith(".tmp")]


# --- the output folder is the user's: written into, never replaced ----------------------------


def _other_group() -> int | None:
    candidates = [g for g in os.getgroups() if g != os.getegid()]
    if os.geteuid() == 0:
        candidates += [g.gr_gid for g in grp.getgrall() if g.gr_gid != os.getegid()]
    return candidates[0] if candidates else None


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("extra", [[], ["--shared"]], ids=["default", "shared"])
def test_a_team_folder_keeps_its_mode_group_and_inode(
    folder: Path, command: str, extra: list[str], monkeypatch: pytest.MonkeyPatch
):
    # The team's folder (setgid 2775, group staff) was turned into a 0700 folder of the
    # user's own group, locking the team out. Now it stays as it is, twice over.
    group = _other_group()
    if group is None:
        pytest.skip("this user belongs to one group only")
    team = folder / "to-lam-sach"
    team.mkdir()
    os.chown(team, -1, group)
    team.chmod(0o2775)
    before = team.stat()
    monkeypatch.chdir(folder)
    for _ in range(2):
        result = CliRunner().invoke(cli, [*COMMANDS[command], "--out", str(team), *extra])
        assert result.exit_code in (0, 1), result.output
    after = team.stat()
    assert stat.S_IMODE(after.st_mode) == 0o2775
    assert (after.st_uid, after.st_gid, after.st_ino) == (before.st_uid, group, before.st_ino)
    file_mode = 0o640 if extra else 0o600
    assert {("file", file_mode)} == modes_under(team) - {("dir", 0o2775)}
    assert {p.stat().st_gid for p in team.iterdir()} == {group}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_out_dot_from_inside_the_folder_in_a_read_only_parent(
    folder: Path, command: str, monkeypatch: pytest.MonkeyPatch
):
    # `cd ket-qua && cleanse validate ../bhxh.csv --out .`, where the parent folder may
    # not be written: the results appear, the shell's folder is still its folder, and
    # nothing is written beside it.
    parent = folder / "chung"
    out = parent / "ket-qua"
    out.mkdir(parents=True)
    inode = out.stat().st_ino
    parent.chmod(0o555)
    try:
        monkeypatch.chdir(out)
        args = [a if a.startswith("-") else f"../../{a}" for a in COMMANDS[command]]
        args[0] = command
        if "--reference" in args:
            args[args.index("--reference") + 1] = "../../dancu.csv"
        for _ in range(2):
            result = CliRunner().invoke(cli, [*args, "--out", "."])
            assert result.exit_code in (0, 1), result.output
        assert os.stat(os.getcwd()).st_ino == inode
        assert sorted(os.listdir(parent)) == ["ket-qua"]
        assert "summary.json" in os.listdir(".")
    finally:
        parent.chmod(0o755)


def test_a_long_output_folder_name(folder: Path, monkeypatch: pytest.MonkeyPatch):
    # 240 characters: the old sibling's name (.NAME.HOST.PID.RANDOM.tmp) went past 255.
    out = folder / ("ket-qua-" + "x" * 232)
    monkeypatch.chdir(folder)
    for _ in range(2):
        result = CliRunner().invoke(cli, [*COMMANDS["validate"], "--out", str(out)])
        assert result.exit_code == 1, result.output
    assert (out / "summary.json").exists()
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []
