"""``cleanse reconcile``: cross-file rules on hand-made extracts, the shipped samples against
their truth, outputs in every format, exit codes and stable person IDs."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from helpers import csv_text, report_as_table

from cleanse.cli import cli
from cleanse.link import DISCREPANCY_COLUMNS, LINK_COLUMNS, PERSON_COLUMNS
from cleanse.rules import RECONCILE_ORDER, RECONCILE_RULES, REGISTRY
from cleanse.write import FINDING_COLUMNS

PROJECT = Path(__file__).resolve().parents[1]
SAMPLES = PROJECT / "samples"
TODAY = "2026-11-21"

# Made-up people; IDs built as DOMAIN.md says (place code, gender/century digit, year).
HEADERS = {
    "dancu": ["Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính", "Quốc tịch"],
    "bhxh": ["Mã số BHXH", "Số CCCD", "Họ và tên", "Ngày sinh", "Giới tính", "Trạng thái hưởng"],
    "hotich": [
        "Loại việc hộ tịch", "Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính",
        "Ngày chết",
    ],
    "btxh": [
        "Số định danh", "Họ và tên", "Ngày sinh", "Giới tính", "Đối tượng", "Trạng thái hưởng",
    ],
}  # fmt: skip

MINH = ("001090123456", "Nguyễn Văn Minh", "12/05/1990", "Nam")
LAN = ("079185111222", "Trần Thị Lan", "03/07/1985", "Nữ")
TAM = ("001070333444", "Lê Văn Tâm", "20/02/1970", "Nam")
HOA = ("001140555666", "Phạm Thị Hoa", "05/09/1940", "Nữ")


def dancu(p: tuple[str, ...]) -> list[str]:
    return [*p, "Việt Nam"]


def bhxh(p: tuple[str, ...], code: str = "", status: str = "Đang tham gia") -> list[str]:
    return [code, *p, status]


def btxh(p: tuple[str, ...], status: str = "Đang hưởng") -> list[str]:
    return [*p, "Người cao tuổi", status]


def hotich(p: tuple[str, ...], event: str = "Khai sinh", died: str = "") -> list[str]:
    return [event, *p, died]


def with_(p: tuple[str, ...], **changes: str) -> tuple[str, ...]:
    fields = ["id", "name", "dob", "gender"]
    return tuple(changes.get(f, v) for f, v in zip(fields, p, strict=True))


def write(tmp_path: Path, files: dict[str, list[list[str]]]) -> list[str]:
    paths = []
    for name, rows in files.items():
        kind = name.split("_")[0]
        path = tmp_path / f"{name}.csv"
        path.write_text(csv_text([HEADERS[kind], *rows]), encoding="utf-8")
        paths.append(str(path))
    return paths


def reconcile(*args: object) -> object:
    return CliRunner().invoke(cli, ["reconcile", *map(str, args)])


def run(
    tmp_path: Path, files: dict[str, list[list[str]]], *options: str
) -> tuple[pd.DataFrame, object]:
    paths = write(tmp_path, files)
    out = tmp_path / "out"
    result = reconcile(*paths, "--out", out, "--today", TODAY, *options)
    assert result.exit_code in (0, 1), result.output  # type: ignore[attr-defined]
    return read(out, "findings"), result


def read(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / f"{name}.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")


def hits(findings: pd.DataFrame, rule: str) -> list[tuple[str, int, str]]:
    f = findings[findings["rule"] == rule]
    return [(s, int(r), fld) for s, r, fld in zip(f["source"], f["row"], f["field"], strict=True)]


# --- rules: firing and staying quiet ------------------------------------------------------


def test_clean_extracts_give_no_findings_and_exit_0(tmp_path: Path) -> None:
    files = {
        "dancu": [dancu(MINH), dancu(LAN), dancu(TAM)],
        "bhxh": [bhxh(MINH), bhxh(with_(LAN, name="TRẦN THỊ LAN"))],
        "btxh": [btxh(with_(TAM, name="Le Van Tam"))],
    }
    findings, result = run(tmp_path, files, "--fail-on", "warning")
    assert findings.empty
    assert result.exit_code == 0  # type: ignore[attr-defined]
    persons = read(tmp_path / "out", "persons")
    assert len(persons) == 6 and persons["person_id"].nunique() == 3
    links = read(tmp_path / "out", "links")
    assert len(links) == 3 and set(links["method"]) == {"id"}


def test_person_duplicate_on_later_rows_of_one_extract(tmp_path: Path) -> None:
    files = {
        "dancu": [dancu(MINH), dancu(LAN)],
        "bhxh": [bhxh(MINH), bhxh(LAN), bhxh(MINH), bhxh(MINH)],
    }
    findings, _ = run(tmp_path, files)
    dup = findings[findings["rule"] == "person.duplicate"]
    assert dup[["source", "row", "related_source", "related_row"]].values.tolist() == [
        ["bhxh.csv", "3", "bhxh.csv", "1"],
        ["bhxh.csv", "4", "bhxh.csv", "1"],
    ]
    assert (dup["severity"] == "error").all() and (dup["field"] == "").all()


def test_unmatched_only_with_a_reference(tmp_path: Path) -> None:
    files = {"dancu": [dancu(MINH)], "bhxh": [bhxh(MINH), bhxh(LAN)], "btxh": [btxh(TAM)]}
    findings, _ = run(tmp_path, files)
    assert hits(findings, "link.unmatched") == [("bhxh.csv", 2, ""), ("btxh.csv", 1, "")]
    # Without any reference there is nothing to be unmatched against.
    no_ref = {"bhxh": [bhxh(MINH), bhxh(LAN)], "btxh": [btxh(TAM), btxh(MINH)]}
    (tmp_path / "b").mkdir()
    findings, _ = run(tmp_path / "b", no_ref)
    assert hits(findings, "link.unmatched") == []


def test_reference_option_names_the_reference(tmp_path: Path) -> None:
    paths = write(
        tmp_path, {"dancu": [dancu(MINH)], "bhxh": [bhxh(MINH), bhxh(LAN)], "btxh": [btxh(LAN)]}
    )
    out = tmp_path / "out"
    # btxh as the reference: the BHXH row of Lan is matched, Minh's rows are not.
    result = reconcile(paths[0], paths[1], "--reference", paths[2], "--out", out, "--today", TODAY)
    assert result.exit_code == 0, result.output  # warnings only
    findings = read(out, "findings")
    assert hits(findings, "link.unmatched") == [("dancu.csv", 1, ""), ("bhxh.csv", 1, "")]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["reconcile"]["reference"] == ["btxh.csv"]
    assert [i["source"] for i in summary["inputs"]] == ["btxh.csv", "dancu.csv", "bhxh.csv"]
    assert len(read(out, "persons")) == 4  # the reference's records included


def test_id_conflict_on_the_side_that_differs_from_the_reference(tmp_path: Path) -> None:
    other = "079090123456"  # well-formed and consistent with Minh, another place code
    files = {"dancu": [dancu(MINH)], "bhxh": [bhxh(with_(MINH, id=other))]}
    findings, _ = run(tmp_path, files)
    conflict = findings[findings["rule"] == "link.id_conflict"]
    assert conflict[["source", "row", "value", "suggestion", "related_source"]].values.tolist() == [
        ["bhxh.csv", "1", other, MINH[0], "dancu.csv"]
    ]
    disc = read(tmp_path / "out", "discrepancies")
    assert disc[["field", "left_value", "right_value"]].values.tolist() == [
        ["id_number", MINH[0], other]
    ]


def test_id_conflict_on_both_records_without_a_reference(tmp_path: Path) -> None:
    other = "079090123456"
    files = {"bhxh": [bhxh(MINH)], "btxh": [btxh(with_(MINH, id=other))]}
    findings, _ = run(tmp_path, files)
    assert hits(findings, "link.id_conflict") == [
        ("bhxh.csv", 1, "id_number"),
        ("btxh.csv", 1, "id_number"),
    ]


def test_no_id_conflict_for_a_cmnd_or_an_id_with_a_single_file_error(tmp_path: Path) -> None:
    # A 9-digit CMND beside the 12-digit ID; an ID whose year digits are wrong (id.birth_year).
    files = {
        "dancu": [dancu(MINH), dancu(LAN)],
        "bhxh": [bhxh(with_(MINH, id="012345678")), bhxh(with_(LAN, id="079199111222"))],
    }
    findings, _ = run(tmp_path, files)
    assert hits(findings, "link.id_conflict") == []
    assert hits(findings, "link.field_mismatch") == [("bhxh.csv", 2, "id_number")]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "Nguyễn Minh"}, "full_name"),  # a dropped middle name
        ({"dob": "05/12/1990"}, "dob"),  # day and month swapped
        ({"dob": "13/05/1990"}, "dob"),
    ],
)
def test_field_mismatch_fires_on_the_non_reference_record(
    tmp_path: Path, change: dict[str, str], field: str
) -> None:
    files = {"dancu": [dancu(MINH)], "bhxh": [bhxh(with_(MINH, **change))]}
    findings, _ = run(tmp_path, files)
    mism = findings[findings["rule"] == "link.field_mismatch"]
    assert mism[["source", "row", "field", "related_source"]].values.tolist() == [
        ["bhxh.csv", "1", field, "dancu.csv"]
    ]
    assert (mism["severity"] == "warning").all()
    value = list(change.values())[0]
    assert mism["value"].tolist() == [value]
    disc = read(tmp_path / "out", "discrepancies")
    assert disc[["field", "left_source", "right_source", "right_value"]].values.tolist() == [
        [field, "dancu.csv", "bhxh.csv", value]
    ]


def test_field_mismatch_on_gender(tmp_path: Path) -> None:
    files = {"dancu": [dancu(TAM)], "bhxh": [bhxh(with_(TAM, gender="Nữ"))]}
    findings, _ = run(tmp_path, files)
    assert ("bhxh.csv", 1, "gender") in hits(findings, "link.field_mismatch")


@pytest.mark.parametrize(
    "change",
    [
        {"name": "NGUYEN VAN MINH"},  # capitals, no accents
        {"dob": "1990"},  # year only
        {"dob": "05/1990"},  # month and year
        {"dob": "01/01/1990"},  # placeholder
        {"id": "012345678"},  # old CMND
    ],
)
def test_field_mismatch_stays_quiet_on_compatible_values(
    tmp_path: Path, change: dict[str, str]
) -> None:
    files = {"dancu": [dancu(MINH)], "bhxh": [bhxh(with_(MINH, **change))]}
    findings, _ = run(tmp_path, files, "--fail-on", "warning")
    assert findings.empty, findings.to_string()


def test_deceased_active_after_the_month_of_death(tmp_path: Path) -> None:
    files = {
        "dancu": [dancu(HOA), dancu(TAM)],
        "hotich": [hotich(HOA, "Khai tử", "10/10/2026"), hotich(TAM, "Khai tử", "05/11/2026")],
        "btxh": [btxh(HOA), btxh(TAM)],
        "bhxh": [bhxh(HOA, status="Đang hưởng"), bhxh(TAM, status="Dừng hưởng")],
    }
    findings, _ = run(tmp_path, files)
    dead = findings[findings["rule"] == "vital.deceased_active"]
    # Tâm died this month (11/2026): his benefit stops only from next month.
    assert dead[["source", "row", "field", "related_source", "related_row"]].values.tolist() == [
        ["btxh.csv", "1", "benefit_status", "hotich.csv", "1"],
        ["bhxh.csv", "1", "benefit_status", "hotich.csv", "1"],
    ]
    assert dead["value"].tolist() == ["Đang hưởng", "Đang hưởng"]


def test_deceased_quiet_when_stopped_or_alive(tmp_path: Path) -> None:
    files = {
        "dancu": [dancu(HOA), dancu(TAM)],
        "hotich": [hotich(HOA, "Khai tử", "10/01/2026"), hotich(TAM)],
        "btxh": [btxh(HOA, status="Dừng hưởng"), btxh(TAM)],
    }
    findings, _ = run(tmp_path, files)
    assert hits(findings, "vital.deceased_active") == []


# --- several extracts, exit codes, formats, stability ---------------------------------


def test_three_and_four_extracts_form_one_person(tmp_path: Path) -> None:
    three = {
        "bhxh": [bhxh(with_(MINH, name="NGUYỄN VĂN MINH"))],
        "btxh": [btxh(MINH)],
        "hotich": [hotich(MINH)],
    }
    run(tmp_path, three)
    persons = read(tmp_path / "out", "persons")
    assert len(persons) == 3 and persons["person_id"].nunique() == 1
    four = {"dancu": [dancu(MINH), dancu(LAN)], **three, "bhxh_2": [bhxh(LAN), bhxh(MINH)]}
    (tmp_path / "four").mkdir()
    findings, _ = run(tmp_path / "four", four, "--fail-on", "warning")
    persons = read(tmp_path / "four" / "out", "persons")
    assert len(persons) == 7 and persons["person_id"].nunique() == 2
    assert findings.empty


@pytest.mark.usefixtures("english_lines")  # asserts the words of an error line
def test_exit_codes(tmp_path: Path) -> None:
    paths = write(tmp_path, {"dancu": [dancu(MINH)], "bhxh": [bhxh(MINH), bhxh(LAN)]})
    out = tmp_path / "out"
    assert reconcile(*paths, "--out", out).exit_code == 0  # a warning only
    assert reconcile(*paths, "--out", out, "--fail-on", "warning").exit_code == 1
    missing = reconcile(paths[0], tmp_path / "nope.csv", "--out", out)
    assert missing.exit_code == 2 and "Traceback" not in missing.output
    one = reconcile(paths[0], "--out", out)
    assert one.exit_code == 2 and "two" in one.output
    bad = reconcile(*paths, "--threshold", "1.5", "--out", out)
    assert bad.exit_code == 2


def test_outputs_in_every_format_with_spec_columns(tmp_path: Path) -> None:
    files = {"dancu": [dancu(MINH)], "bhxh": [bhxh(with_(MINH, dob="13/05/1990")), bhxh(LAN)]}
    run(tmp_path, files, "--format", "parquet,csv,xlsx")
    out = tmp_path / "out"
    columns = {
        "findings": FINDING_COLUMNS,
        "persons": PERSON_COLUMNS,
        "links": LINK_COLUMNS,
        "review": LINK_COLUMNS,
        "discrepancies": DISCREPANCY_COLUMNS,
    }
    wb = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
    for name, cols in columns.items():
        assert list(read(out, name).columns) == cols
        assert pq.read_table(out / f"{name}.parquet").column_names == cols
        header = next(wb[name].iter_rows(max_row=1, values_only=True))
        assert report_as_table(list(header), [])[0] == cols
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["command"] == "reconcile"
    assert summary["counts"]["by_rule"] == {"link.field_mismatch": 1, "link.unmatched": 1}
    assert summary["reconcile"]["links_by_method"]["id"] == 1


def test_mask_hides_ids_in_findings_and_discrepancies(tmp_path: Path) -> None:
    other = "001090654321"
    files = {"dancu": [dancu(MINH)], "bhxh": [bhxh(with_(MINH, id=other))]}
    run(tmp_path, files, "--mask")
    out = tmp_path / "out"
    text = "".join(p.read_text(encoding="utf-8-sig") for p in out.glob("*.csv"))
    assert other not in text and MINH[0] not in text


def test_person_id_stable_across_runs_with_rows_shuffled(tmp_path: Path) -> None:
    people = [MINH, LAN, TAM, HOA]
    files = {
        "dancu": [dancu(p) for p in people],
        "bhxh": [bhxh(p) for p in people[:3]],
        "btxh": [btxh(with_(p, id="")) for p in people[1:]],
    }

    def ids(root: Path, files: dict[str, list[list[str]]]) -> dict[tuple[str, str], str]:
        root.mkdir()
        run(root, files)
        persons = read(root / "out", "persons")
        pid = {(s, int(r)): p for s, r, p in persons[["source", "row", "person_id"]].values}
        named = {}  # (extract, the row's name) -> person_id
        for name, rows in files.items():
            col = HEADERS[name].index("Họ và tên")
            for i, row in enumerate(rows, start=1):
                named[(name, row[col])] = pid[(f"{name}.csv", i)]
        return named

    first = ids(tmp_path / "a", files)
    rng = random.Random(3)
    shuffled = {k: rng.sample(v, len(v)) for k, v in files.items()}
    assert ids(tmp_path / "b", shuffled) == first
    assert len(set(first.values())) == 4


def test_rules_lists_both_groups() -> None:
    result = CliRunner().invoke(cli, ["rules"], env={"COLUMNS": "400"})
    assert result.exit_code == 0
    for code in [*REGISTRY, *RECONCILE_ORDER]:
        assert code in result.stdout
    assert set(RECONCILE_RULES) == set(RECONCILE_ORDER) and not set(REGISTRY) & set(RECONCILE_RULES)
    severities = {c: r.severity for c, r in RECONCILE_RULES.items()}
    assert severities == {
        "link.field_mismatch": "warning",
        "link.id_conflict": "error",
        "link.unmatched": "warning",
        "person.duplicate": "error",
        "vital.deceased_active": "error",
    }


# --- the shipped samples against their truth -----------------------------------------


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    out = tmp_path_factory.mktemp("samples") / "out"
    files = sorted(str(p) for p in SAMPLES.glob("*.csv"))
    result = reconcile(*files, "--out", out, "--today", TODAY)
    assert result.exit_code == 1, result.output
    return read(out, "findings"), out


@pytest.mark.parametrize(
    "rule", ["link.unmatched", "link.id_conflict", "person.duplicate", "vital.deceased_active"]
)
def test_samples_every_planted_reconcile_finding_is_found(
    sample_run: tuple[pd.DataFrame, Path], rule: str
) -> None:
    findings, _ = sample_run
    truth = pd.read_csv(SAMPLES / "truth" / "findings.csv", dtype=str, keep_default_na=False)
    truth = truth[(truth["command"] == "reconcile") & (truth["rule"] == rule)]
    got = findings[findings["rule"] == rule]
    found = set(zip(got["source"], got["row"], got["field"], got["related_row"], strict=True))
    for s, r, f, rel in zip(truth["source"], truth["row"], truth["field"], truth["related_row"],
                            strict=True):  # fmt: skip
        if rule == "person.duplicate":
            assert (s, r, f, rel) in found, (s, r)
        else:
            assert (s, r, f) in {k[:3] for k in found}, (s, r)
    extra = len({k[:2] for k in found} - set(zip(truth["source"], truth["row"], strict=True)))
    print(f"{rule}: {len(truth)} planted, {len(got)} found, {extra} extra")  # noqa: T201


def test_samples_every_record_is_in_persons(sample_run: tuple[pd.DataFrame, Path]) -> None:
    _, out = sample_run
    persons = read(out, "persons")
    truth = pd.read_csv(SAMPLES / "truth" / "persons.csv", dtype=str)
    assert len(persons) == len(truth)
    counts = Counter(persons["source"])
    assert counts == Counter(truth["source"])


def test_reconcile_rules_match_spec_section_4_and_the_readme() -> None:
    """The reconcile rule codes and severities of the code, SPEC §4 and the README agree."""
    import re

    from cleanse.rules import RECONCILE_RULES

    row = re.compile(r"^\|\s*`([a-z]+\.[a-z_]+)`\s*\|\s*(error|warning)\s*\|", re.M)
    expected = {code: rule.severity for code, rule in RECONCILE_RULES.items()}
    root = Path(__file__).resolve().parents[1]
    readme = root.joinpath("README.md").read_text(encoding="utf-8")
    section = readme.split("### Reconcile rules", 1)[1].split("\n### ", 1)[0]
    assert dict(row.findall(section)) == expected
    spec = root.parent / "shared" / "SPEC.md"
    if spec.exists():
        text = spec.read_text(encoding="utf-8").split("\n## 4.", 1)[1].split("\n## 5.", 1)[0]
        assert dict(row.findall(text)) == expected
