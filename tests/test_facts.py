"""What an event or a status says (cleanse/facts.py), and that validate and reconcile
read it alike: a "Tử vong" is a death for field.missing and for vital.deceased_active."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import csv_text

from cleanse.cli import cli
from cleanse.facts import is_active, is_death_event


@pytest.mark.parametrize(
    ("event", "death"),
    [
        ("Khai tử", True),
        ("KHAI TU", True),
        ("Tử vong", True),
        ("Báo tử", True),
        ("Death", True),
        ("Khai sinh", False),
        ("Kết hôn", False),
        ("", False),
    ],
)
def test_death_events(event: str, death: bool) -> None:
    assert is_death_event(pd.Series([event], dtype="string")).tolist() == [death]


@pytest.mark.parametrize(
    ("kind", "status", "active"),
    [
        ("bhxh", "Đang tham gia", True),
        ("bhxh", "Dừng tham gia", False),
        ("bhxh", "Thôi hưởng", False),
        ("bhxh", "Ngừng hưởng", False),
        ("btxh", "Đang hưởng", True),
        ("btxh", "Dừng hưởng", False),
        ("btxh", "Tạm dừng", False),
        ("hotich", "Đang hưởng", False),
    ],
)
def test_active_statuses(kind: str, status: str, active: bool) -> None:
    assert is_active(pd.Series([status], dtype="string"), kind, 1).tolist() == [active]


def test_bhxh_without_a_status_column_is_active() -> None:
    assert is_active(None, "bhxh", 2).tolist() == [True, True]
    assert is_active(None, "btxh", 2).tolist() == [False, False]


ID, NAME, DOB = "001090111222", "Trần Văn Nam", "05/06/1950"


def _run(tmp_path: Path, event: str, died: str = "10/03/2026") -> pd.DataFrame:
    hotich = tmp_path / "hotich.csv"
    hotich.write_text(
        csv_text(
            [
                [
                    "Loại việc hộ tịch",
                    "Số định danh cá nhân",
                    "Họ và tên",
                    "Ngày sinh",
                    "Giới tính",
                    "Ngày chết",
                ],
                [event, ID, NAME, DOB, "Nam", died],
            ]
        ),  # fmt: skip
        encoding="utf-8",
    )
    btxh = tmp_path / "btxh.csv"
    btxh.write_text(
        csv_text(
            [
                [
                    "Số định danh",
                    "Họ và tên",
                    "Ngày sinh",
                    "Giới tính",
                    "Đối tượng",
                    "Trạng thái hưởng",
                ],
                [ID, NAME, DOB, "Nam", "Người cao tuổi", "Đang hưởng"],
            ]
        ),  # fmt: skip
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = ["reconcile", str(hotich), str(btxh), "--out", str(out), "--format", "csv"]
    result = CliRunner().invoke(cli, [*args, "--today", "2026-11-21"], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return pd.read_csv(out / "findings.csv", dtype=str, keep_default_na=False)


@pytest.mark.parametrize("event", ["Khai tử", "Tử vong"])
def test_a_death_by_either_word_stops_the_benefit(tmp_path: Path, event: str) -> None:
    findings = _run(tmp_path, event)
    assert "vital.deceased_active" in findings["rule"].tolist()


@pytest.mark.parametrize("event", ["Khai tử", "Tử vong"])
def test_a_death_without_its_date_is_field_missing_by_either_word(
    tmp_path: Path, event: str
) -> None:
    _run(tmp_path, event, died="")
    out = tmp_path / "validated"
    args = ["validate", str(tmp_path / "hotich.csv"), "--out", str(out), "--format", "csv"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    findings = pd.read_csv(out / "findings.csv", dtype=str, keep_default_na=False)
    missing = findings[findings["rule"] == "field.missing"]
    assert missing["field"].tolist() == ["death_date"]


def test_a_birth_registration_is_no_death(tmp_path: Path) -> None:
    findings = _run(tmp_path, "Khai sinh", died="")
    assert "vital.deceased_active" not in findings["rule"].tolist()
