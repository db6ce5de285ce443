"""The command line: version, help, `fields`, `inspect` and one-line usage errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import HEADER, ROWS, csv_text, write_xlsx

from cleanse.cli import cli
from cleanse.fields import FIELDS

# These tests assert the words of error lines: English ones (CLEANSE_LANG=en).
pytestmark = pytest.mark.usefixtures("english_lines")

PROJECT = Path(__file__).resolve().parents[1]


def run(*args: str) -> object:
    """Invoke the CLI in-process, as a user would type it."""
    return CliRunner().invoke(cli, list(args))


def assert_one_error_line(result) -> str:  # type: ignore[no-untyped-def]
    """Exit 2 with exactly one ``cleanse: error:`` line on stderr, and nothing on stdout."""
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cleanse: error: ")
    assert "Traceback" not in result.output
    return lines[0]


def subprocess_env() -> dict[str, str]:
    """The environment for a child process that imports this source tree."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT), env.get("PYTHONPATH")]))
    return env


@pytest.fixture
def dancu_csv(tmp_path: Path) -> Path:
    path = tmp_path / "dancu.csv"
    rows = [[*HEADER, "Dân tộc", "Quốc tịch"], *[[*r, "Kinh", "Việt Nam"] for r in ROWS]]
    path.write_text(csv_text(rows), encoding="utf-8")
    return path


# --- version and help ---------------------------------------------------------------------


def test_version_option_prints_the_package_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"cleanse, version {version('cleanse')}"


def test_python_m_cleanse_prints_the_version(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-m", "cleanse", "--version"],
        cwd=tmp_path,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"cleanse, version {version('cleanse')}"


def test_installed_script_shows_help(tmp_path: Path):
    script = Path(sysconfig.get_path("scripts")) / "cleanse"
    found = str(script) if script.exists() else shutil.which("cleanse")
    assert found, "the cleanse script is not installed (pip install -e .)"
    done = subprocess.run(
        [found, "--help"],
        cwd=tmp_path,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "inspect" in done.stdout and "fields" in done.stdout


@pytest.mark.parametrize("command", ["inspect", "fields"])
def test_command_help_has_an_example(command: str):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout


# --- fields -------------------------------------------------------------------------------


def test_fields_lists_every_field():
    result = run("fields")
    assert result.exit_code == 0
    missing = [f for f in FIELDS if f not in result.stdout]
    assert missing == []


def test_fields_shows_known_headers():
    result = run("fields")
    assert "Số định danh cá nhân" in result.stdout


# --- inspect ------------------------------------------------------------------------------


def test_inspect_shows_the_detected_kind(dancu_csv: Path):
    result = run("inspect", str(dancu_csv))
    assert result.exit_code == 0
    assert "dancu (detected)" in result.stdout


def test_inspect_shows_the_row_count(dancu_csv: Path):
    result = run("inspect", str(dancu_csv))
    assert "3 rows" in result.stdout


def test_inspect_source_option_overrides_the_kind(dancu_csv: Path):
    result = run("inspect", str(dancu_csv), "--source", "generic")
    assert result.exit_code == 0
    assert "generic (--source)" in result.stdout


def test_inspect_json_parses(dancu_csv: Path):
    result = run("inspect", str(dancu_csv), "--json")
    assert result.exit_code == 0
    [report] = json.loads(result.stdout)
    assert (report["source"], report["kind"], report["rows"]) == ("dancu.csv", "dancu", 3)
    assert report["columns"]["Họ và tên"] == "full_name"
    assert report["missing"] == []


@pytest.mark.parametrize(
    "as_json", [pytest.param([], id="table"), pytest.param(["--json"], id="json")]
)
def test_inspect_shows_no_record_value(dancu_csv: Path, as_json: list[str]):
    result = run("inspect", str(dancu_csv), *as_json)
    shown = result.stdout + result.stderr
    values = {v for row in ROWS for v in row if len(v) > 3}
    assert [v for v in values if v in shown] == []


def test_inspect_json_names_missing_required_fields(tmp_path: Path):
    path = tmp_path / "bhxh.csv"
    path.write_text(csv_text([["Họ và tên", "Ngày sinh"], ["Lê Văn An", "1990"]]), encoding="utf-8")
    result = run("inspect", str(path), "--source", "bhxh", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["missing"] == ["bhxh_code", "id_number", "gender"]


def test_inspect_map_option_maps_a_column(tmp_path: Path):
    path = tmp_path / "list.csv"
    path.write_text(csv_text([["Tên", "Ngày sinh"], ["Lê Văn An", "1990"]]), encoding="utf-8")
    result = run("inspect", str(path), "--map", "Tên=full_name", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["columns"] == {"Tên": "full_name", "Ngày sinh": "dob"}


def test_inspect_map_file_maps_a_column(tmp_path: Path):
    path = tmp_path / "list.csv"
    path.write_text(csv_text([["Tên", "Ngày sinh"], ["Lê Văn An", "1990"]]), encoding="utf-8")
    mapping = tmp_path / "map.txt"
    mapping.write_text("# ward export\nTên = full_name\n", encoding="utf-8")
    result = run("inspect", str(path), "--map-file", str(mapping), "--json")
    assert json.loads(result.stdout)[0]["columns"]["Tên"] == "full_name"


def test_inspect_sheet_option_reads_that_sheet(tmp_path: Path):
    path = write_xlsx(
        tmp_path / "book.xlsx",
        {"Bìa": [["Báo cáo"]], "Dữ liệu": [["Họ và tên", "Ngày sinh"], ["Lê Văn An", "1990"]]},
    )
    result = run("inspect", str(path), "--sheet", "Dữ liệu", "--json")
    assert result.exit_code == 0
    [report] = json.loads(result.stdout)
    assert (report["sheet"], report["rows"]) == ("Dữ liệu", 1)


def test_inspect_several_files_reports_each(dancu_csv: Path, tmp_path: Path):
    other = tmp_path / "other.csv"
    other.write_text(
        csv_text([["Họ và tên", "Ngày sinh"], ["Lê Văn An", "1990"]]), encoding="utf-8"
    )
    result = run("inspect", str(dancu_csv), str(other), "--json")
    assert [r["source"] for r in json.loads(result.stdout)] == ["dancu.csv", "other.csv"]


# --- usage errors -------------------------------------------------------------------------

USAGE_ERRORS = [
    pytest.param(["--bogus"], "--bogus", id="unknown-option"),
    pytest.param(["--source", "hospital"], "--source", id="bad-source"),
    pytest.param(["--map", "Tên=fullname"], "full_name", id="bad-map-field"),
    pytest.param(["--map", "Tên"], "Header=field", id="bad-map-form"),
    pytest.param(["--encoding", "latin-9"], "encoding", id="unknown-encoding"),
    pytest.param(["--chunk-rows", "0"], "--chunk-rows", id="bad-chunk-rows"),
]


@pytest.mark.parametrize(("args", "says"), USAGE_ERRORS)
def test_usage_error_exits_2_with_one_line(dancu_csv: Path, args: list[str], says: str):
    line = assert_one_error_line(run("inspect", str(dancu_csv), *args))
    assert says in line


def test_missing_file_argument_exits_2_with_one_line():
    line = assert_one_error_line(run("inspect"))
    assert "FILES" in line


def test_unknown_command_exits_2_with_one_line():
    assert_one_error_line(run("tidy"))


def test_missing_map_file_exits_2_with_one_line(dancu_csv: Path, tmp_path: Path):
    missing = tmp_path / "no-map.txt"
    line = assert_one_error_line(run("inspect", str(dancu_csv), "--map-file", str(missing)))
    assert str(missing) in line


def test_two_id_columns_exit_2_with_a_map_hint(tmp_path: Path):
    path = tmp_path / "two-ids.csv"
    path.write_text(
        csv_text([["Số CCCD", "Số định danh", "Họ và tên", "Ngày sinh"]]), encoding="utf-8"
    )
    line = assert_one_error_line(run("inspect", str(path)))
    assert '--map "Số CCCD=id_number"' in line


def test_error_handling_does_not_read_the_host_argv(dancu_csv: Path, monkeypatch):
    # In-process callers (tests run by `pytest --debug`, scripts) have their own argv.
    monkeypatch.setattr(sys, "argv", ["pytest", "--debug"])
    assert_one_error_line(run("inspect", str(dancu_csv), "--source", "generic", "--map", "x"))


def test_debug_flag_shows_the_traceback(dancu_csv: Path):
    result = run("--debug", "inspect", str(dancu_csv.with_name("missing.csv")))
    assert result.exit_code != 0
    assert result.exception is not None
    assert "cleanse: error:" not in result.stderr
