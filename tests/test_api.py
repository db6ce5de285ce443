"""The Python API (``cleanse.validate``, ``cleanse.reconcile``) and the run layer under it:
the same tables as the CLI writes, DataFrames as inputs, typed options checked."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import cleanse
from cleanse.cli import cli
from cleanse.errors import CleanseError
from cleanse.options import LinkOptions, OutputOptions, ReadOptions

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
TODAY = "2026-11-21"


def cli_tables(tmp_path: Path, *args: str) -> dict[str, pd.DataFrame]:
    out = tmp_path / "cli"
    result = CliRunner().invoke(
        cli, [*args, "--out", str(out), "--format", "parquet", "--today", TODAY],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    return {p.stem: pd.read_parquet(p) for p in out.glob("*.parquet")}


def api_tables(tmp_path: Path, result: cleanse.api.Result) -> dict[str, pd.DataFrame]:
    out = tmp_path / "api"
    written = result.write(out, formats=("parquet",))
    assert {p.name for p in written} >= {"findings.parquet", "summary.json"}
    assert all(p.parent == out and p.exists() for p in written)
    return {p.stem: pd.read_parquet(p) for p in out.glob("*.parquet")}


def test_validate_through_the_api_writes_the_tables_the_cli_writes(tmp_path: Path):
    files = sorted(str(p) for p in SAMPLES.glob("*.csv"))
    result = cleanse.validate(files, today=TODAY)
    assert result.status == 1 and len(result.findings) == result.summary["counts"]["findings"]
    by_cli = cli_tables(tmp_path, "validate", *files)
    by_api = api_tables(tmp_path, result)
    assert by_cli.keys() == by_api.keys()
    for name in by_cli:
        pd.testing.assert_frame_equal(by_cli[name], by_api[name])
    # the in-memory table is the one written (as found: no people beside it)
    pd.testing.assert_frame_equal(result.findings, by_api["findings"], check_dtype=False)


def test_reconcile_through_the_api_writes_the_tables_the_cli_writes(tmp_path: Path):
    files = [str(SAMPLES / n) for n in ("bhxh.csv", "hotich.csv", "btxh.csv")]
    reference = str(SAMPLES / "dancu.csv")
    result = cleanse.reconcile(files, reference=reference, today=TODAY)
    by_cli = cli_tables(tmp_path, "reconcile", *files, "--reference", reference)
    by_api = api_tables(tmp_path, result)
    assert set(by_cli) == {"persons", "links", "review", "discrepancies", "findings"}
    for name in by_cli:
        pd.testing.assert_frame_equal(by_cli[name], by_api[name])
    assert len(result.persons) and len(result.links)
    assert result.persons["person_id"].nunique() < len(result.persons)  # records joined


def test_a_dataframe_is_read_like_the_file_it_came_from():
    path = SAMPLES / "bhxh.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    from_frame = cleanse.validate({"bhxh": frame}, today=TODAY).findings
    from_file = cleanse.validate(path, today=TODAY).findings
    assert set(from_frame["source"]) == {"bhxh.parquet"}
    key = ["row", "rule", "field"]
    assert (
        from_frame[key]
        .sort_values(key)
        .reset_index(drop=True)
        .equals(from_file[key].sort_values(key).reset_index(drop=True))
    )


def test_the_options_are_checked_where_they_are_made():
    with pytest.raises(CleanseError, match="threshold"):
        LinkOptions(threshold=1.5)
    with pytest.raises(CleanseError, match="review-threshold"):
        LinkOptions(threshold=0.8, review_threshold=0.9)
    with pytest.raises(CleanseError, match="docx"):
        OutputOptions(formats=("csv", "docx"))
    with pytest.raises(CleanseError, match="source kind"):
        ReadOptions(source="thue")
    assert LinkOptions(threshold=0.6).review == 0.6  # review never above the threshold
    assert LinkOptions().review == 0.70 and LinkOptions().threshold == 0.85


def test_output_options_choose_language_and_masking(tmp_path: Path):
    path = SAMPLES / "bhxh.csv"
    english = cleanse.validate(path, output=OutputOptions(lang="en"), today=TODAY)
    vietnamese = cleanse.validate(path, today=TODAY)
    assert not english.findings["message"].equals(vietnamese.findings["message"])
    masked = tmp_path / "masked"
    vietnamese.write(masked, formats=("csv",), mask=True)
    text = (masked / "findings.csv").read_text(encoding="utf-8-sig")
    ids = vietnamese.findings.loc[vietnamese.findings["field"] == "id_number", "value"]
    full = [v for v in ids.dropna() if len(v) == 12 and v.isdigit()]
    assert full and not any(v in text for v in full)
    summary = json.loads((masked / "summary.json").read_text(encoding="utf-8"))
    assert summary["masked"] is True and "findings.csv" in summary["files"]


def test_an_api_error_is_a_cleanse_error_with_one_line(tmp_path: Path):
    with pytest.raises(CleanseError) as caught:
        cleanse.validate(tmp_path / "khong-co.csv")
    assert "no such file" in caught.value.line("en")
    assert "không có tệp" in caught.value.line("vi")
