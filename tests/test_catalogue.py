"""The message catalogue: every line cleanse says exists in both languages, and the run's
language chooses it, click's own errors included (SPEC §2)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cleanse import i18n
from cleanse.cli import cli
from cleanse.errors import CleanseError, os_reason
from cleanse.i18n import msg, say

ROOT = Path(__file__).resolve().parent.parent


def _tool():
    spec = importlib.util.spec_from_file_location("catalogue", ROOT / "scripts" / "catalogue.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["catalogue"] = module
    spec.loader.exec_module(module)
    return module


def run(args: list[str], env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, args, env=env, catch_exceptions=False)


def test_every_message_of_the_code_and_of_click_is_in_the_vietnamese_catalogue():
    tool = _tool()
    assert len(tool.code_messages()) > 150  # the finder finds the code's messages
    assert tool.problems() == []


def test_the_checker_fails_on_a_message_built_as_an_f_string(tmp_path: Path):
    tool = _tool()
    bad = tmp_path / "bad.py"
    bad.write_text('x = 1\nraise CleanseError(f"cannot use {x}")\nmsg("fine {x}", x=x)\n')
    assert tool.unworded([bad]) == ["bad.py:2"]


def test_the_checker_knows_placeholders():
    tool = _tool()
    assert tool.fields("is {what!r}, {mb:,.0f} MB {{job}}") == {"what", "mb"}


def test_a_message_is_worded_when_said_not_when_made():
    made = msg("row {row}", row=5)
    assert made.say("en") == "row 5"
    assert made.say("vi") == "dòng 5"
    with i18n.using("en"):
        assert str(made) == "row 5"
    with i18n.using("vi"):
        assert str(made) == "dòng 5"


def test_an_error_line_is_in_the_language_asked_for():
    exc = CleanseError("no such file", path="a.csv", row=3, hint=msg("the text"))
    assert exc.line("en") == "a.csv, row 3: no such file (the text)"
    vi = exc.line("vi")
    assert vi.startswith("a.csv, dòng 3: ") and "no such file" not in vi


def test_common_os_reasons_are_translated_and_others_keep_the_systems_words():
    full = OSError(28, "No space left on device")
    assert say(os_reason(full), "en") == "no space left on the disk"
    assert "ổ đĩa" in say(os_reason(full), "vi")
    odd = OSError(71, "Protocol error")
    assert os_reason(odd) == "Protocol error"


@pytest.mark.parametrize(
    ("args", "env", "prefix"),
    [
        ([], None, "cleanse: lỗi: "),  # Vietnamese by default (SPEC §2)
        (["--lang", "en"], None, "cleanse: error: "),
        (["--lang=en"], None, "cleanse: error: "),
        ([], {"CLEANSE_LANG": "en"}, "cleanse: error: "),
        (["--lang", "vi"], {"CLEANSE_LANG": "en"}, "cleanse: lỗi: "),  # the option wins
        ([], {"CLEANSE_LANG": "klingon"}, "cleanse: lỗi: "),
    ],
)
def test_a_missing_file_is_said_in_the_runs_language(
    tmp_path: Path, args: list[str], env: dict[str, str] | None, prefix: str
):
    result = run(["validate", str(tmp_path / "khong-co.csv"), *args], env)
    assert result.exit_code == 2
    assert result.stderr.startswith(prefix) and result.stderr.count("\n") == 1
    english = "no such file" in result.stderr
    assert english == prefix.endswith("error: ")
    if not english:
        assert "không có tệp" in result.stderr or "không tồn tại" in result.stderr


def test_clicks_own_errors_are_worded_in_vietnamese_too(tmp_path: Path):
    bad_option = run(["validate", "x.csv", "--khong-co"])
    assert bad_option.exit_code == 2 and bad_option.stderr.startswith("cleanse: lỗi: ")
    assert "No such option" not in bad_option.stderr and "--khong-co" in bad_option.stderr
    english = run(["validate", "x.csv", "--khong-co", "--lang", "en"])
    assert "No such option" in english.stderr
    out_of_range = run(["reconcile", "a.csv", "b.csv", "--threshold", "7"])
    assert out_of_range.exit_code == 2
    assert "is not in the range" not in out_of_range.stderr
    assert "--threshold" in out_of_range.stderr


def test_a_batch_jobs_file_error_is_in_vietnamese(tmp_path: Path):
    jobs = tmp_path / "jobs.toml"
    jobs.write_text('[[job]]\nname = "a"\ncommand = "sua"\ninputs = ["*.csv"]\nout = "o/{date}"\n')
    result = run(["batch", str(jobs)])
    assert result.exit_code == 2 and result.stderr.startswith("cleanse: lỗi: ")
    assert "'sua'" in result.stderr and "use validate, reconcile or fix" not in result.stderr
    english = run(["batch", str(jobs)], {"CLEANSE_LANG": "en"})
    assert "use validate, reconcile or fix" in english.stderr


def test_the_default_language_of_outputs_follows_cleanse_lang(tmp_path: Path):
    data = tmp_path / "a.csv"
    data.write_text("Số CCCD,Họ và tên,Năm sinh,Giới tính\n12345,Lê Văn Tư,1970,Nam\n")
    out = tmp_path / "out"
    run(["validate", str(data), "--out", str(out), "--format", "csv"], {"CLEANSE_LANG": "en"})
    text = (out / "findings.csv").read_text(encoding="utf-8-sig")
    vi = tmp_path / "vi"
    run(["validate", str(data), "--out", str(vi), "--format", "csv"])
    assert text != (vi / "findings.csv").read_text(encoding="utf-8-sig")
