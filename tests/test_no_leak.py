"""Terminal and log lines never hold a full ID number, BHXH code or name (SPEC §7).

The real commands run on the shipped samples, in processes whose stderr rich takes for
a terminal (FORCE_COLOR), so the progress display and the summary tables are printed.
Reports may hold the values; what a person or cron sees on screen and in logs may not.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
EXTRACTS = ("bhxh.csv", "btxh.csv", "hotich.csv", "dancu.csv")
ID_HEADERS = ("Số CCCD", "Số định danh", "Số định danh cá nhân", "Mã số BHXH")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def sensitive_values() -> set[str]:
    """Full 12-digit IDs, 9-digit CMNDs, 10-digit BHXH codes and names of 3+ words."""
    values: set[str] = set()
    for name in EXTRACTS:
        text = (SAMPLES / name).read_text(encoding="utf-8-sig")
        delimiter = ";" if text.split("\n", 1)[0].count(";") > 1 else ","
        for row in csv.DictReader(text.splitlines(), delimiter=delimiter):
            for header in ID_HEADERS:
                digits = re.sub(r"\D", "", row.get(header) or "")
                if len(digits) in (9, 10, 12):
                    values.add(digits)
            full = " ".join((row.get("Họ và tên") or "").split())
            if len(full.split(" ")) >= 3:
                values.add(full.casefold())
    return values


def leaks(text: str, values: set[str]) -> list[str]:
    plain = _ANSI.sub("", text)
    digits = re.sub(r"(?<=\d)[ .](?=\d)", "", plain)  # 001 085 012 345 counts too
    folded = " ".join(plain.split()).casefold()
    return sorted(v for v in values if v in digits or v in folded)


@pytest.fixture(scope="module")
def values() -> set[str]:
    found = sensitive_values()
    assert len(found) > 1000
    return found


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLES, tmp_path / "samples")
    return tmp_path / "samples"


def cleanse(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, FORCE_COLOR="1", COLUMNS="250")
    return subprocess.run(
        [sys.executable, "-m", "cleanse", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["validate", *EXTRACTS, "--lang", "en"], id="validate"),
        pytest.param(["validate", *EXTRACTS], id="validate-vi"),
        pytest.param(["reconcile", *EXTRACTS], id="reconcile"),
    ],
)
def test_terminal_lines_hold_no_record_value(folder: Path, values: set[str], args: list[str]):
    result = cleanse(folder, *args, "--out", "../out", "--today", "2026-11-20")
    assert result.returncode == 1, result.stderr
    assert "written to" in result.stderr or "Đã ghi" in result.stderr  # the summary shown
    assert result.stdout == ""
    assert leaks(result.stderr, values) == []
    # The reports themselves may hold them (no --mask): the check is not vacuous.
    assert leaks((folder.parent / "out" / "findings.csv").read_text("utf-8-sig"), values)


def test_batch_terminal_and_log_hold_no_record_value(folder: Path, values: set[str]):
    jobs = (folder / "jobs.toml").read_text(encoding="utf-8")
    # A failing job too, so that an error line reaches the terminal and the log.
    jobs += '\n[[job]]\nname = "missing"\ncommand = "validate"\ninputs = ["nope-*.csv"]\n'
    jobs += 'out = "../cleanse-out/batch/{job}/{date}"\n'
    (folder / "jobs.toml").write_text(jobs, encoding="utf-8")
    result = cleanse(folder, "batch", "jobs.toml", "--now", "2026-11-20T02:30")
    assert result.returncode == 2, result.stderr
    assert "missing" in result.stderr
    log = (folder.parent / "cleanse-out" / "batch" / "batch.log").read_text("utf-8")
    assert len(log.splitlines()) == 4
    assert leaks(result.stderr, values) == []
    assert leaks(log, values) == []
    history = cleanse(folder, "history", "jobs.toml")
    assert history.returncode == 0, history.stderr
    assert leaks(history.stdout + history.stderr, values) == []
