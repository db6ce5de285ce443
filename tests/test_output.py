"""staged_output: results appear whole or not at all (SPEC §5), private by default (§7)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from helpers import snapshot

from cleanse.errors import CleanseError
from cleanse.output import staged_output


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


def test_stage_is_a_new_folder_beside_the_output(tmp_path: Path):
    out = tmp_path / "out"
    with staged_output(out) as stage:
        assert stage.is_dir()
        assert stage.parent == tmp_path
        assert stage != out


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


def test_private_makes_an_existing_folder_owner_only(earlier: Path):
    earlier.chmod(0o755)
    with staged_output(earlier, private=True) as stage:
        (stage / "findings.csv").write_text("x\n", encoding="utf-8")
    assert mode(earlier) == 0o700


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
    with pytest.raises(CleanseError, match="cannot write"), staged_output(out) as stage:
        (stage / "findings.csv").write_text("x\n", encoding="utf-8")
    assert out.read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# --- one step: the staged folder takes the place of the old one ----------------------------


def _publish_over(earlier: Path) -> None:
    (earlier / "ghi-chu").mkdir()
    (earlier / "ghi-chu" / "cua-toi.txt").write_text("mine\n", encoding="utf-8")
    (earlier / "ghi-chu" / "findings.csv").write_text("old sub\n", encoding="utf-8")
    with staged_output(earlier) as stage:
        (stage / "findings.csv").write_text("new\n", encoding="utf-8")
        (stage / "ghi-chu").mkdir()
        (stage / "ghi-chu" / "findings.csv").write_text("new sub\n", encoding="utf-8")


def _check_published(earlier: Path) -> None:
    assert (earlier / "findings.csv").read_text(encoding="utf-8") == "new\n"
    assert (earlier / "summary.json").read_text(encoding="utf-8") == '{"rows": 3}'
    assert (earlier / "ghi-chu" / "findings.csv").read_text(encoding="utf-8") == "new sub\n"
    assert (earlier / "ghi-chu" / "cua-toi.txt").read_text(encoding="utf-8") == "mine\n"
    assert sorted(p.name for p in earlier.parent.iterdir()) == ["out"]


def test_existing_results_are_exchanged_in_one_step(earlier: Path):
    # The old folder is swapped out whole (a new inode takes its name), and what the run
    # did not write is still there, in subfolders too.
    inode = earlier.stat().st_ino
    _publish_over(earlier)
    _check_published(earlier)
    assert earlier.stat().st_ino != inode


def test_without_exchange_files_are_moved_one_by_one(
    earlier: Path, monkeypatch: pytest.MonkeyPatch
):
    # Another system, or a file system that cannot swap folders: same outcome.
    import cleanse.output

    monkeypatch.setattr(cleanse.output, "_exchange", lambda a, b: False)
    inode = earlier.stat().st_ino
    _publish_over(earlier)
    _check_published(earlier)
    assert earlier.stat().st_ino == inode


def test_without_hard_links_files_are_moved_one_by_one(
    earlier: Path, monkeypatch: pytest.MonkeyPatch
):
    # A USB stick (exFAT) or a network share may refuse hard links: nothing is lost.
    import cleanse.output

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(cleanse.output.os, "link", refuse)
    _publish_over(earlier)
    _check_published(earlier)


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
