"""Terminal output for a run: progress while it works, a summary table at the end.

Everything here goes to stderr, and only when stderr is a terminal: results live in
files, never on the screen. No record value is ever printed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cleanse.rules import ALL_RULES, RECONCILE_RULES, REGISTRY
from cleanse.terminal import console, for_rich

LABELS = {
    "vi": {
        "rule": "quy tắc",
        "severity": "mức",
        "count": "số lượng",
        "meaning": "ý nghĩa",
        "file": "tệp",
        "kind": "loại",
        "rows": "số dòng",
        "findings": "phát hiện",
        "error": "lỗi",
        "warning": "cảnh báo",
        "title": "Kết quả kiểm tra",
        "rows_with_errors": "dòng có lỗi",
        "n_files": "tệp",
        "n_rows": "dòng",
        "written": "Đã ghi kết quả vào",
        "report": "Báo cáo để mở bằng Excel:",
        "title_reconcile": "Kết quả đối chiếu",
        "reference": "đối chiếu",
        "persons": "số người",
        "links": "liên kết",
        "review": "cần xem xét",
        "discrepancies": "khác biệt",
        "group_validate": "Quy tắc của validate (từng tệp)",
        "group_reconcile": "Quy tắc của reconcile (đối chiếu nhiều tệp)",
    },
    "en": {
        "rule": "rule",
        "severity": "severity",
        "count": "count",
        "meaning": "meaning",
        "file": "file",
        "kind": "kind",
        "rows": "rows",
        "findings": "findings",
        "error": "error",
        "warning": "warning",
        "title": "Validation results",
        "rows_with_errors": "rows with errors",
        "n_files": "file(s)",
        "n_rows": "rows",
        "written": "Results written to",
        "report": "Report to open in Excel:",
        "title_reconcile": "Reconciliation results",
        "reference": "reference",
        "persons": "persons",
        "links": "links",
        "review": "to review",
        "discrepancies": "discrepancies",
        "group_validate": "validate rules (one file)",
        "group_reconcile": "reconcile rules (across files)",
    },
}


def on_terminal(quiet: bool) -> bool:
    """Whether anything but errors may be printed."""
    return not quiet and console().is_terminal


@contextlib.contextmanager
def progress(show: bool) -> Iterator[Any]:
    """A rich progress display of rows read per file (a no-op when not shown)."""
    if not show:
        yield None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=console(),
        transient=True,
    )
    with bar:
        yield bar


def render_summary(
    summary: dict[str, Any], lang: str, out_dir: str, *, report: bool = False
) -> None:
    """Print per-file counts and per-rule counts to stderr; with ``report``, the last
    line names ``report.xlsx``, the file an officer opens."""
    t = LABELS[lang]
    con = console()
    rec = summary.get("reconcile") if summary.get("command") == "reconcile" else None
    files = Table(title=t["title_reconcile" if rec else "title"], title_justify="left")
    for col in ("file", "kind", "rows", "findings"):
        files.add_column(t[col], justify="right" if col in ("rows", "findings") else "left")
    for inp in summary["inputs"]:
        kind = inp["kind"] + (f" ({t['reference']})" if inp.get("reference") else "")
        files.add_row(for_rich(inp["source"]), kind, f"{inp['rows']:,}", f"{inp['findings']:,}")
    con.print(files)
    if rec:
        methods = ", ".join(f"{m} {n:,}" for m, n in rec["links_by_method"].items())
        con.print(
            f"{t['persons']}: {rec['persons']:,}  {t['links']}: {rec['links']:,} ({methods})  "
            f"{t['review']}: {rec['review']:,}  {t['discrepancies']}: {rec['discrepancies']:,}"
        )
    for note in summary.get("notes") or []:
        con.print(f"[yellow]{for_rich(note)}[/]")
    for line in diagnosis_lines(summary):  # what a spreadsheet did to a column
        con.print(f"[yellow]{for_rich(line)}[/]")
    counts = summary["counts"]
    rules = Table(title_justify="left")
    for col in ("rule", "severity", "count", "meaning"):
        rules.add_column(t[col], justify="right" if col == "count" else "left")
    for code, n in counts["by_rule"].items():
        rule = ALL_RULES[code]
        style = "red" if rule.severity == "error" else "yellow"
        rules.add_row(code, f"[{style}]{t[rule.severity]}[/]", f"{n:,}", rule.message(lang))
    if counts["by_rule"]:
        con.print(rules)
    con.print(
        f"{t['error']}: {counts['by_severity']['error']:,}  "
        f"{t['warning']}: {counts['by_severity']['warning']:,}  "
        f"{t['rows_with_errors']}: {counts['rows_with_errors']:,}  "
        f"{t['written']} {for_rich(out_dir)}"
    )
    if report:
        from pathlib import Path

        from cleanse.write import REPORT_XLSX

        con.print(f"{t['report']} {for_rich(Path(out_dir) / REPORT_XLSX)}")


def summary_line(summary: dict[str, Any], lang: str, out_dir: str, *, report: bool = False) -> str:
    """The one plain line a run prints without a terminal (cron, a pipe; SPEC §2): the
    files and rows, the counts by severity, where the results are. Never a value."""
    t = LABELS[lang]
    counts = summary["counts"]
    rows = sum(int(inp["rows"]) for inp in summary["inputs"])
    parts = [
        f"cleanse {summary.get('command', '')}: {len(summary['inputs'])} {t['n_files']}, "
        f"{rows:,} {t['n_rows']}",
        f"{t['error']} {counts['by_severity']['error']:,}, "
        f"{t['warning']} {counts['by_severity']['warning']:,}, "
        f"{t['rows_with_errors']} {counts['rows_with_errors']:,}",
        f"{t['written']} {out_dir}",
    ]
    if report:
        from pathlib import Path

        from cleanse.write import REPORT_XLSX

        parts.append(f"{t['report']} {Path(out_dir) / REPORT_XLSX}")
    return "; ".join(parts)


def diagnosis_lines(summary: dict[str, Any]) -> list[str]:
    """One readable line per damaged column of every input (``inputs[].diagnoses``):
    the file, the column, the damage and its counts; never a value."""
    lines = []
    for inp in summary.get("inputs") or []:
        for d in inp.get("diagnoses") or []:
            lines.append(f"{inp['source']}: {d['message']}")
    return lines


def rules_table(lang: str) -> Table:
    """Every rule code with severity and both messages (for ``cleanse rules``)."""
    table = Table(title="cleanse rules", title_justify="left")
    table.add_column("code")
    table.add_column("severity")
    table.add_column("tiếng Việt")
    table.add_column("English")
    for group, rules in (("group_validate", REGISTRY), ("group_reconcile", RECONCILE_RULES)):
        table.add_section()
        table.add_row(f"[bold]{LABELS[lang][group]}[/]", "", "", "")
        for rule in rules.values():
            table.add_row(rule.code, rule.severity, rule.vi, rule.en)
    return table
