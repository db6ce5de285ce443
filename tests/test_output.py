"""staged_output: results appear whole or not at all (SPEC §5), private by default (§7),
written into the output folder without replacing it, never over an input."""

from __future__ import annotations

import grp
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import snapshot

from cleanse.errors import CleanseError
from cleanse.output import _HOST, check_inputs, staged_output
from cleanse.write import result_files


class Interrupted(Exception):
    """Stands for anything that stops a run half-way."""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def earlier(tmp_path: Path) -> Path:
    """An output folder holding the results of an earlier run."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "findings.csv").write_bytes(b"\xef\xbb\xbfsource,row,rule\r\na.csv,3,dob.invalid\r\n")
    (out / "summary.json").write_text('{"rows": 3}', encoding="utf-8")
    return out


def test_files_appear_only_when_the_block_ends(tmp_path: Path):
    out = tmp_path / "out"
    with staged_output(out) as stage:
        (stage / "findings.csv").write_text("source,row\n", encoding="utf-8")
        assert not (out / "findings.csv").exists()
    assert (out / "findings.csv").read_text(encoding="utf-8") == "source,row\n"


def test_stage_is_a_hidden_folder_inside_the_output(tmp_path: Path):
    # Inside --out: the same file system (each file is renamed into place), and nothing is
    # ever written beside --out, whose parent may not be writable.
    out = tmp_path / "out"
    with staged_output(out) as stage:
        assert stage.is_dir()
        assert stage.parent == out
        assert stage.name.startswith(".cleanse-stage.")
        assert mode(stage) == 0o700


def test_subfolders_are_published(tmp_path: Path):
    out = tmp_path / "out"
    with staged_output(out) as stage:
        (stage / "truth").mkdir()
        (stage / "truth" / "injected.csv").write_text("row\n", encoding="utf-8")
    assert (out / "truth" / "injected.csv").read_text(encoding="utf-8") == "row\n"


def test_success_replaces_files_of_the_same_name(earlier: Path):
    with staged_output(earlier) as stage:
        (stage / "findings.csv").write_text("new\n", encoding="utf-8")
    assert (earlier / "findings.csv").read_text(encoding="utf-8") == "new\n"


def test_success_leaves_files_it_did_not_write(earlier: Path):
    before = (earlier / "summary.json").read_bytes()
    with staged_output(earlier) as stage:
        (stage / "findings.csv").write_text("new\n", encoding="utf-8")
    assert (earlier / "summary.json").read_bytes() == before


def test_success_leaves_no_temporary_folder(tmp_path: Path):
    with staged_output(tmp_path / "out") as stage:
        (stage / "findings.csv").write_text("x\n", encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["findings.csv"]


def test_failure_leaves_earlier_results_byte_for_byte(earlier: Path):
    before = snapshot(earlier)
    with pytest.raises(Interrupted), staged_output(earlier) as stage:
        (stage / "findings.csv").write_text("half a fi", encoding="utf-8")
        raise Interrupted
    assert snapshot(earlier) == before


def test_failure_leaves_no_temporary_folder(earlier: Path):
    with pytest.raises(Interrupted), staged_output(earlier) as stage:
        (stage / "findings.csv").write_text("half a fi", encoding="utf-8")
        raise Interrupted
    assert sorted(p.name for p in earlier.parent.iterdir()) == ["out"]
    assert sorted(p.name for p in earlier.iterdir()) == ["findings.csv", "summary.json"]


def test_failure_before_any_result_creates_no_output_folder(tmp_path: Path):
    with pytest.raises(Interrupted), staged_output(tmp_path / "out"):
        raise Interrupted
    assert list(tmp_path.iterdir()) == []


def test_keyboard_interrupt_leaves_earlier_results(earlier: Path):
    before = snapshot(earlier)
    with pytest.raises(KeyboardInterrupt), staged_output(earlier) as stage:
        (stage / "summary.json").write_text("{", encoding="utf-8")
        raise KeyboardInterrupt
    assert snapshot(earlier) == before
    assert sorted(p.name for p in earlier.parent.iterdir()) == ["out"]


@pytest.mark.parametrize(
    ("private", "dir_mode", "file_mode"),
    [
        pytest.param(True, 0o700, 0o600, id="private"),
        pytest.param(False, 0o755, 0o644, id="shared"),
    ],
)
def test_modes_of_published_files_and_folders(
    tmp_path: Path, private: bool, dir_mode: int, file_mode: int
):
    out = tmp_path / "out"
    with staged_output(out, private=private) as stage:
        (stage / "findings.csv").write_text("x\n", encoding="utf-8")
        (stage / "truth").mkdir()
        (stage / "truth" / "injected.csv").write_text("x\n", encoding="utf-8")
    assert mode(out / "findings.csv") == file_mode
    assert mode(out / "truth") == dir_mode
    assert mode(out / "truth" / "injected.csv") == file_mode


def test_private_output_folder_is_owner_only(tmp_path: Path):
    out = tmp_path / "out"
    with staged_output(out, private=True) as stage:
        (stage / "findings.csv").write_text("x\n", encoding="utf-8")
    assert mode(out) == 0o700


def test_an_existing_folder_keeps_its_mode(earlier: Path):
    # The folder is the user's: only the files cleanse writes are made private.
    earlier.chmod(0o755)
    with staged_output(earlier, private=True) as stage:
        (stage / "findings.csv").write_text("x\n", encoding="utf-8")
    assert mode(earlier) == 0o755
    assert mode(earlier / "findings.csv") == 0o600


def test_output_folder_under_a_file_is_an_error(tmp_path: Path):
    blocker = tmp_path / "results"
    blocker.write_text("not a folder", encoding="utf-8")
    with (
        pytest.raises(CleanseError, match="output folder") as caught,
        staged_output(blocker / "out"),
    ):
        pass
    assert caught.value.path == str(blocker / "out")


def test_output_path_that_is_a_file_is_an_error_and_the_file_is_kept(tmp_path: Path):
    out = tmp_path / "out"
    out.write_bytes(b"keep me")
    with pytest.raises(CleanseError, match="is a file") as caught, staged_output(out) as stage:
        (stage / "findings.csv").write_text("x\n", encoding="utf-8")
    assert caught.value.path == str(out)
    assert out.read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# --- the folder stays the same folder --------------------------------------------------------


def _publish_over(earlier: Path) -> None:
    (earlier / "ghi-chu").mkdir()
    (earlier / "ghi-chu" / "cua-toi.txt").write_text("mine\n", encoding="utf-8")
    (earlier / "ghi-chu" / "findings.csv").write_text("old sub\n", encoding="utf-8")
    with staged_output(earlier) as stage:
        (stage / "findings.csv").write_text("new\n", encoding="utf-8")
        (stage / "ghi-chu").mkdir()
        (stage / "ghi-chu" / "findings.csv").write_text("new sub\n", encoding="utf-8")


def test_files_are_put_in_place_in_the_same_folder(earlier: Path):
    # Not a new folder taking the old one's name: the inode stays, and what the run did
    # not write is still there, in subfolders too.
    inode = earlier.stat().st_ino
    _publish_over(earlier)
    assert earlier.stat().st_ino == inode
    assert (earlier / "findings.csv").read_text(encoding="utf-8") == "new\n"
    assert (earlier / "summary.json").read_text(encoding="utf-8") == '{"rows": 3}'
    assert (earlier / "ghi-chu" / "findings.csv").read_text(encoding="utf-8") == "new sub\n"
    assert (earlier / "ghi-chu" / "cua-toi.txt").read_text(encoding="utf-8") == "mine\n"
    assert sorted(p.name for p in earlier.parent.iterdir()) == ["out"]


def test_a_shell_inside_the_output_folder_stays_in_it(earlier: Path, monkeypatch):
    # `cd out && cleanse validate ../a.csv --out .`: the shell's folder is not deleted.
    monkeypatch.chdir(earlier)
    with staged_output(".") as stage:
        (stage / "findings.csv").write_text("new\n", encoding="utf-8")
    assert Path(os.getcwd()).stat().st_ino == earlier.stat().st_ino
    assert Path("findings.csv").read_text(encoding="utf-8") == "new\n"
    assert sorted(p.name for p in Path(".").iterdir()) == ["findings.csv", "summary.json"]


def _other_group() -> int | None:
    """A group of this user other than the folder's default, to see that it is kept."""
    candidates = [g for g in os.getgroups() if g != os.getegid()]
    if os.geteuid() == 0:
        candidates += [g.gr_gid for g in grp.getgrall() if g.gr_gid != os.getegid()]
    return candidates[0] if candidates else None


@pytest.mark.parametrize("shared", [False, True])
def test_a_team_folder_keeps_its_mode_group_and_inode(tmp_path: Path, shared: bool):
    # A team's folder, setgid 2775 with group staff: it stays exactly that, so the team
    # is not locked out, and the results take the folder's group (setgid).
    group = _other_group()
    if group is None:
        pytest.skip("this user belongs to one group only")
    team = tmp_path / "to-lam-sach"
    team.mkdir()
    os.chown(team, -1, group)
    team.chmod(0o2775)
    before = team.stat()
    with staged_output(team, shared=shared) as stage:
        (stage / "findings.csv").write_text("x\n", encoding="utf-8")
    after = team.stat()
    assert stat.S_IMODE(after.st_mode) == 0o2775
    assert (after.st_uid, after.st_gid, after.st_ino) == (before.st_uid, group, before.st_ino)
    assert (team / "findings.csv").stat().st_gid == group
    assert mode(team / "findings.csv") == (0o640 if shared else 0o600)


def test_shared_lets_the_group_into_an_owner_only_folder(earlier: Path):
    # --shared on a folder an earlier private run made (0700): the group is let in (g+rx
    # added), nothing else changes; without --shared the folder is left alone.
    earlier.chmod(0o700)
    with staged_output(earlier) as stage:
        (stage / "findings.csv").write_text("x\n", encoding="utf-8")
    assert mode(earlier) == 0o700
    with staged_output(earlier, shared=True) as stage:
        (stage / "findings.csv").write_text("x\n", encoding="utf-8")
    assert mode(earlier) == 0o750


def test_a_long_folder_name_works(tmp_path: Path):
    # 250 characters, near the 255 a name may have: no longer name is ever made from it.
    out = tmp_path / ("b" * 250)
    for _ in range(2):
        with staged_output(out) as stage:
            (stage / "findings.csv").write_text("x\n", encoding="utf-8")
    assert (out / "findings.csv").read_text(encoding="utf-8") == "x\n"


def test_nothing_is_written_beside_the_output_folder(tmp_path: Path):
    # `--out .` in a folder whose parent this user cannot write: only --out is touched.
    parent = tmp_path / "chi-doc"
    out = parent / "out"
    out.mkdir(parents=True)
    parent.chmod(0o555)
    try:
        before = sorted(p.name for p in parent.iterdir())
        with staged_output(out) as stage:
            assert stage.parent == out
            (stage / "findings.csv").write_text("x\n", encoding="utf-8")
        assert sorted(p.name for p in parent.iterdir()) == before
    finally:
        parent.chmod(0o755)
    assert (out / "findings.csv").read_text(encoding="utf-8") == "x\n"


def test_output_through_a_symlink_keeps_the_link(tmp_path: Path, earlier: Path):
    # --out names a link to the team's folder: the results land in that folder and the
    # link stays a link.
    link = tmp_path / "bao-cao"
    link.symlink_to(earlier, target_is_directory=True)
    with staged_output(link) as stage:
        (stage / "findings.csv").write_text("new\n", encoding="utf-8")
    assert link.is_symlink()
    assert (earlier / "findings.csv").read_text(encoding="utf-8") == "new\n"
    assert (earlier / "summary.json").exists()


# --- summary.json: last in, names the run's files ------------------------------------------


def _summary(files: list[str]) -> str:
    return json.dumps({"files": files})


def test_summary_comes_last_and_the_old_one_goes_first(earlier: Path, monkeypatch):
    # Killed between two renames (simulated by a failing rename): the folder is a mix of
    # old and new files, and it has no summary.json, so it is never taken for one run.
    import cleanse.output

    real = os.replace
    calls = []

    def replace(src: object, dest: object) -> None:
        calls.append(Path(str(dest)).name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(src, dest)  # type: ignore[arg-type]

    monkeypatch.setattr(cleanse.output.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt), staged_output(earlier) as stage:
        for name in ("findings.csv", "findings.parquet", "summary.json"):
            (stage / name).write_text(f"new {name}\n", encoding="utf-8")
    assert calls == ["findings.csv", "findings.parquet"]
    assert (earlier / "findings.csv").read_text(encoding="utf-8") == "new findings.csv\n"
    assert not (earlier / "summary.json").exists()
    monkeypatch.setattr(cleanse.output.os, "replace", real)
    with staged_output(earlier) as stage:
        for name in ("findings.csv", "findings.parquet", "summary.json"):
            (stage / name).write_text(f"new {name}\n", encoding="utf-8")
    assert (earlier / "summary.json").read_text(encoding="utf-8") == "new summary.json\n"
    assert [p.name for p in earlier.iterdir() if p.name.startswith(".")] == []


def test_files_an_earlier_summary_named_and_this_run_does_not_write_are_removed(earlier: Path):
    # --format csv after a run with xlsx: the old report.xlsx goes, so the folder is one
    # run's set; the user's own file, which no summary named, stays.
    (earlier / "report.xlsx").write_bytes(b"old")
    (earlier / "ghi-chu.txt").write_text("mine\n", encoding="utf-8")
    (earlier / "summary.json").write_text(
        _summary(["findings.csv", "report.xlsx"]), encoding="utf-8"
    )
    with staged_output(earlier) as stage:
        (stage / "findings.csv").write_text("new\n", encoding="utf-8")
        (stage / "summary.json").write_text(_summary(["findings.csv"]), encoding="utf-8")
    assert sorted(p.name for p in earlier.iterdir()) == [
        "findings.csv",
        "ghi-chu.txt",
        "summary.json",
    ]


@pytest.mark.parametrize(
    "listed", ["../khac.txt", "/tmp/khac.txt", "a/../../khac.txt", "", ".", "lien-ket/x.txt"]
)
def test_a_summary_never_makes_a_file_outside_the_folder_go(tmp_path: Path, listed: str):
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "khac.txt"
    outside.write_text("keep\n", encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.txt").write_text("keep\n", encoding="utf-8")
    (out / "lien-ket").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (out / "summary.json").write_text(_summary([listed]), encoding="utf-8")
    with staged_output(out) as stage:
        (stage / "summary.json").write_text(_summary([]), encoding="utf-8")
    assert outside.read_text(encoding="utf-8") == "keep\n"
    assert (tmp_path / "elsewhere" / "x.txt").read_text(encoding="utf-8") == "keep\n"


# --- inputs are never touched ----------------------------------------------------------------


def _write_findings(out: Path, inputs: list[Path]) -> None:
    with staged_output(out, inputs=inputs) as stage:
        (stage / "findings.csv").write_text("report\n", encoding="utf-8")
        (stage / "summary.json").write_text(_summary(["findings.csv"]), encoding="utf-8")


def test_an_output_that_would_overwrite_an_input_is_refused(earlier: Path):
    # The input is --out/findings.csv: the run is refused, and nothing changes at all.
    source = earlier / "findings.csv"
    before = snapshot(earlier)
    with pytest.raises(CleanseError, match="would overwrite this input") as caught:
        _write_findings(earlier, [source])
    assert caught.value.path == str(source)
    assert "findings.csv in the output folder" in caught.value.line()
    assert snapshot(earlier) == before
    assert sorted(p.name for p in earlier.iterdir()) == ["findings.csv", "summary.json"]


def test_an_input_is_known_by_identity_not_by_name(tmp_path: Path, earlier: Path):
    # Through a link, or another spelling of the path: the same file, refused. A file
    # of the same name in another folder is another file: the run goes on.
    link = tmp_path / "lien-ket.csv"
    link.symlink_to(earlier / "findings.csv")
    other = tmp_path / "khac" / "findings.csv"
    other.parent.mkdir()
    other.write_text("input\n", encoding="utf-8")
    for named in (link, tmp_path / "khac" / ".." / "out" / "findings.csv"):
        with pytest.raises(CleanseError, match="would overwrite this input"):
            _write_findings(earlier, [named])
    _write_findings(earlier, [other])
    assert other.read_text(encoding="utf-8") == "input\n"
    assert (earlier / "findings.csv").read_text(encoding="utf-8") == "report\n"


def test_an_input_an_earlier_run_named_is_not_removed(earlier: Path):
    # The earlier run wrote report.xlsx; the user since put an input of that name there.
    (earlier / "summary.json").write_text(
        _summary(["findings.csv", "report.xlsx"]), encoding="utf-8"
    )
    source = earlier / "report.xlsx"
    source.write_bytes(b"input")
    before = snapshot(earlier)
    with pytest.raises(CleanseError, match="would remove"):
        _write_findings(earlier, [source])
    assert snapshot(earlier) == before


def test_check_inputs_refuses_before_any_work(earlier: Path):
    source = earlier / "findings.csv"
    with pytest.raises(CleanseError, match="would overwrite this input"):
        check_inputs(earlier, [source], result_files(["findings"], ["csv"]))
    check_inputs(earlier, [source], result_files(["findings"], ["parquet"]))
    check_inputs(earlier / "new", [source], result_files(["findings"], ["csv"]))


def test_a_dead_stage_holding_an_input_is_kept(earlier: Path):
    dead = earlier / f".cleanse-stage.{_HOST}.{_dead_pid()}.abcdefgh"
    dead.mkdir()
    (dead / "giu.csv").write_text("input\n", encoding="utf-8")
    _write_findings(earlier, [dead / "giu.csv"])
    assert (dead / "giu.csv").exists()
    _write_findings(earlier, [])
    assert not dead.exists()


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def test_a_folder_that_cannot_be_written_into_is_named_as_such(
    earlier: Path, monkeypatch: pytest.MonkeyPatch
):
    # As root a read-only folder is still writable: the refusal is simulated.
    import cleanse.output

    def refuse(*args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cleanse.output.tempfile, "mkdtemp", refuse)
    before = snapshot(earlier)
    with pytest.raises(CleanseError) as caught, staged_output(earlier):
        pass
    assert caught.value.line() == (
        f"{earlier}: cannot write into the output folder: permission denied"
    )
    assert snapshot(earlier) == before
