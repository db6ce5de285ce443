"""What a spreadsheet round trip does to ``cleanse validate``: findings side by side.

    python benchmarks/spreadsheet.py [--out spreadsheet-out] [--extract bhxh]
        [--persons 2000] [--seed 0] [--no-libreoffice]

Writes ``cleanse sample --spreadsheet`` into ``OUT/sample`` (2,000 persons and seed 0
give the committed ``samples/``), then runs ``cleanse validate`` on five versions of one
extract (``bhxh.csv`` unless ``--extract`` says otherwise):

- ``csv``: the CSV as the system exported it, the reference;
- ``lo``: the CSV opened in LibreOffice Calc (Vietnamese import) and saved as .xlsx,
  as an officer does (``tests/helpers.py:libreoffice_xlsx``);
- ``lo_month_first``: the same with a US-English import, which reads dates month first;
- ``sheet``: the sample's damaged twin ``spreadsheet/<extract>.xlsx`` (IDs rounded too);
- ``sheet_month_first``: its month-first twin.

The LibreOffice columns are left out when ``soffice`` is not installed (or with
``--no-libreoffice``). Printed, and written to ``OUT/spreadsheet.json``, per version:
the findings per rule and in all, the column findings (a finding with no row: one per
damaged column), the notes of the summary, the cells in ``restored`` (when validate
writes that table), and the invented IDs: suggested IDs or BHXH codes that are neither
the value the CSV holds in that cell (what a restoration must give back) nor the
truth's suggestion for it (``id.leading_zeros`` planted in the CSV itself). A rounded ID
"restored" to ``086203300000`` is invented; so is any other suggestion of digits that
were never in the extract.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from helpers import libreoffice_xlsx, soffice  # noqa: E402

AS_OF = "2026-11-01"  # the sample's date: the day the checks count from
ID_FIELDS = ("id_number", "bhxh_code")
VERSIONS = ("csv", "lo", "lo_month_first", "sheet", "sheet_month_first")


def _cleanse(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cleanse", *args], capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode not in (0, 1):  # 1: findings at the --fail-on level
        raise SystemExit(f"cleanse {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")


def _truth_values(data: Path, extract: str) -> dict[tuple[int, str], set[str]]:
    """(row, field) → the IDs or codes a suggestion may give: as written, or the truth's."""
    from cleanse.sample import COLUMNS, FORMATS

    truth = pd.read_csv(data / "truth" / "findings.csv", dtype=str, keep_default_na=False)
    truth = truth[(truth["command"] == "validate") & (truth["source"] == extract)]
    encoding, sep = FORMATS[extract]
    original = pd.read_csv(
        data / extract, dtype=str, keep_default_na=False, sep=sep, encoding=encoding
    ).rename(columns={h: f for f, h in COLUMNS[extract]})
    values: dict[tuple[int, str], set[str]] = {}
    for fld in ID_FIELDS:
        if fld in original:
            for row, value in enumerate(original[fld], start=1):
                values[row, fld] = {value}
    for row, fld, suggestion in truth[["row", "field", "suggestion"]].itertuples(index=False):
        if fld in ID_FIELDS and suggestion:
            values.setdefault((int(row), fld), set()).add(suggestion)
    return values


def _run(path: Path, out: Path, truth: dict[tuple[int, str], set[str]]) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    _cleanse("validate", str(path), "--out", str(out), "--format", "csv", "--today", AS_OF, "-q")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    findings = pd.read_csv(
        out / "findings.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    no_row = findings["row"] == ""
    suggests = findings["field"].isin(ID_FIELDS) & (findings["suggestion"] != "")
    suggested = findings[~no_row & suggests]
    invented = [
        {"row": int(r), "field": f, "rule": rule, "suggestion": s, "written": w}
        for r, f, rule, s in suggested[["row", "field", "rule", "suggestion"]].itertuples(
            index=False
        )
        if s not in (w := sorted(truth.get((int(r), f), set())))
    ]
    restored = out / "restored.csv"
    notes = [n for i in summary.get("inputs", []) for n in i.get("notes", [])]
    return {
        "file": str(path),
        "findings": len(findings),
        "by_rule": findings["rule"].value_counts().sort_index().to_dict(),
        "column_findings": int(no_row.sum()),
        "column_findings_list": findings.loc[no_row, ["rule", "field", "message"]].to_dict(
            "records"
        ),
        "notes": notes,
        "restored": (
            len(pd.read_csv(restored, dtype=str, keep_default_na=False))
            if restored.exists()
            else None
        ),
        "suggested_ids": len(suggested),
        "invented_ids": len(invented),
        "invented": invented,
    }


def _table(results: dict[str, dict]) -> str:
    names = list(results)
    rules = sorted({r for res in results.values() for r in res["by_rule"]})
    width = max([len("invented IDs"), *map(len, rules)]) + 2
    lines = [f"{'':<{width}}" + "".join(f"{n:>19}" for n in names)]

    def line(label: str, values: list[object]) -> None:
        lines.append(f"{label:<{width}}" + "".join(f"{'' if v is None else v:>19}" for v in values))

    for rule in rules:
        line(rule, [res["by_rule"].get(rule, 0) for res in results.values()])
    lines.append("-" * (width + 19 * len(names)))
    for label, key in (
        ("findings", "findings"),
        ("column findings", "column_findings"),
        ("restored cells", "restored"),
        ("suggested IDs", "suggested_ids"),
        ("invented IDs", "invented_ids"),
    ):
        line(label, [res[key] for res in results.values()])
    line("summary notes", [len(res["notes"]) for res in results.values()])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("spreadsheet-out"))
    parser.add_argument("--extract", default="bhxh", choices=["bhxh", "dancu", "hotich", "btxh"])
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-libreoffice", action="store_true")
    args = parser.parse_args(argv)

    out: Path = args.out
    data = out / "sample"
    shutil.rmtree(data, ignore_errors=True)
    _cleanse(
        "sample", "--out", str(data), "--persons", str(args.persons),
        "--seed", str(args.seed), "--spreadsheet", "-q",
    )  # fmt: skip
    extract = f"{args.extract}.csv"
    paths = {
        "csv": data / extract,
        "sheet": data / "spreadsheet" / f"{args.extract}.xlsx",
        "sheet_month_first": data / "spreadsheet" / f"{args.extract}.month-first.xlsx",
    }
    if soffice() and not args.no_libreoffice:
        paths["lo"] = libreoffice_xlsx(data / extract, out / "libreoffice")
        paths["lo_month_first"] = libreoffice_xlsx(
            data / extract, out / "libreoffice", month_first=True
        )
    else:
        print("LibreOffice (soffice) not used: no round-trip columns", file=sys.stderr)
    truth = _truth_values(data, extract)
    results = {v: _run(paths[v], out / "validate" / v, truth) for v in VERSIONS if v in paths}
    print(_table(results))
    for name, res in results.items():
        for f in res["column_findings_list"]:
            print(f"{name}: {f['rule']} {f['field']}: {f['message']}")
    (out / "spreadsheet.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
