"""The summary sheet: the run's facts, its inputs, a files × rules table, the rules
with their meaning, and every list of the summary as a small table, never JSON text.

Imports ``labels`` and the rule registry.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from cleanse.xlsx.labels import DAMAGE, FIELD_NAMES, HEADERS, SEVERITY, WORDS, header_label

if TYPE_CHECKING:  # xlsxwriter is imported only when an .xlsx is written
    from xlsxwriter.format import Format
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet


@dataclass
class _Styles:
    """The few cell formats a report uses, made once per workbook."""

    text: Format
    bold: Format
    bold_text: Format
    title: Format
    count: Format

    @classmethod
    def of(cls, wb: Workbook) -> _Styles:
        return cls(
            text=wb.add_format({"num_format": "@"}),
            bold=wb.add_format({"bold": True}),
            bold_text=wb.add_format({"bold": True, "num_format": "@"}),
            title=wb.add_format({"bold": True, "font_size": 14, "num_format": "@"}),
            count=wb.add_format({"num_format": "#,##0"}),
        )


# --- the summary sheet --------------------------------------------------------------------


@dataclass
class SummaryFacts:
    """What the summary sheet shows, gathered from the summary and the findings."""

    lang: str
    summary: dict[str, Any]
    sheets: Mapping[str, tuple[int, list[str]]]
    by_file_rule: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        summary: Mapping[str, Any],
        findings: pa.Table | None,
        sheets: Mapping[str, tuple[int, list[str]]],
        lang: str,
    ) -> SummaryFacts:
        from cleanse.safe import json_safe

        counts: dict[tuple[str, str], int] = {}
        if (
            findings is not None
            and findings.num_rows
            and {"source", "rule"} <= set(findings.column_names)
        ):
            grouped = (
                findings.select(["source", "rule"])
                .group_by(["source", "rule"])
                .aggregate([([], "count_all")])
            )
            for src, rule, n in zip(
                grouped.column("source").to_pylist(),
                grouped.column("rule").to_pylist(),
                grouped.column("count_all").to_pylist(),
                strict=True,
            ):
                counts[(src or "", rule or "")] = int(n)
        return cls(lang, json_safe(dict(summary)), sheets, counts)

    def word(self, key: str) -> str:
        return WORDS.get(self.lang, WORDS["vi"]).get(key, key)


Row = tuple[list[Any], str]  # the values of a row and its style: "", "title", "head", "section"


def summary_rows(facts: SummaryFacts) -> Iterator[Row]:
    """The summary sheet, row by row: run facts, inputs, counts, notes, details, sheets."""
    s = dict(facts.summary)
    w = facts.word
    command = str(s.get("command") or "")
    known = command in ("validate", "reconcile")
    title = w("title") + (f": {w('cmd_' + command)}" if known else "")
    yield [title], "title"
    yield [], ""
    yield from _run_facts(facts, s)
    yield from _inputs(facts, s.get("inputs") or [])
    yield from _file_rule_table(facts, s)
    yield from _rules_table(facts, s)
    notes = s.get("notes") or []
    if notes:
        yield [w("notes")], "section"
        for note in notes if isinstance(notes, list) else [notes]:
            yield [_scalar(note, facts)], ""
        yield [], ""
    shown = {"inputs", "counts", "notes", "files"} | set(_RUN_KEYS)
    for key, value in s.items():
        if key not in shown:
            yield from _block(facts, w(key), value)
    yield [w("sheets")], "section"
    yield [w("table"), w("rows"), w("sheet_titles")], "head"
    for name, (rows, titles) in facts.sheets.items():
        yield [name, rows, ", ".join(titles)], ""
    files = s.get("files")
    if isinstance(files, list) and files:
        yield [], ""
        yield [w("files"), ", ".join(map(str, files))], ""


_RUN_KEYS = ("command", "tool", "version", "started_at", "duration_seconds", "lang", "masked")


def _run_facts(facts: SummaryFacts, s: dict[str, Any]) -> Iterator[Row]:
    w = facts.word
    yield [w("run")], "section"
    for key in _RUN_KEYS:
        if key in s:
            yield [w(key), _scalar(s[key], facts)], ""
    counts = s.get("counts") or {}
    if isinstance(counts, dict) and counts:
        by = counts.get("by_severity") or {}
        if "findings" in counts:
            yield [w("findings"), counts["findings"]], "count"
        if isinstance(by, dict):
            for sev, label in (("error", "errors"), ("warning", "warnings")):
                if sev in by:
                    yield [w(label), by[sev]], "count"
        if "rows_with_errors" in counts:
            yield [w("rows_with_errors"), counts["rows_with_errors"]], "count"
    yield [], ""


_INPUT_COLUMNS = ("source", "kind", "rows", "findings", "format", "encoding", "sheet", "reference")


def _inputs(facts: SummaryFacts, inputs: list[Any]) -> Iterator[Row]:
    w = facts.word
    items = [i for i in inputs if isinstance(i, dict)]
    if not items:
        return
    yield [w("inputs")], "section"
    cols = [c for c in _INPUT_COLUMNS if any(c in i for i in items)]
    yield [w("file" if c == "source" else c) for c in cols], "head"
    for item in items:
        yield [_scalar(item.get(c), facts) for c in cols], "count"
    yield [], ""
    for item in items:
        name = str(item.get("source", ""))
        columns = item.get("columns")
        if isinstance(columns, dict) and columns:
            yield [f"{w('columns_of')} {name}"], "section"
            yield [w("header"), w("field")], "head"
            for header, fld in columns.items():
                label = FIELD_NAMES.get(facts.lang, FIELD_NAMES["vi"]).get(str(fld), fld)
                yield [header, f"{label} ({fld})" if fld else w("unmapped")], ""
            yield [], ""
        for key, value in item.items():
            if key in _INPUT_COLUMNS or key == "columns" or value in (None, [], {}, ""):
                continue
            yield from _block(facts, f"{name}: {w(key)}", value)


def _file_rule_table(facts: SummaryFacts, s: dict[str, Any]) -> Iterator[Row]:
    w = facts.word
    yield [w("by_file_rule")], "section"
    counts = facts.by_file_rule
    if not counts:
        yield [w("none")], ""
        yield [], ""
        return
    by_rule = (s.get("counts") or {}).get("by_rule") or {}
    rules = [r for r in by_rule if any(k[1] == r for k in counts)]
    rules += sorted({k[1] for k in counts} - set(rules))
    files = [str(i.get("source")) for i in s.get("inputs") or [] if isinstance(i, dict)]
    files += sorted({k[0] for k in counts} - set(files))
    yield [w("file"), *rules, w("total")], "head"
    for name in files:
        values = [counts.get((name, r), 0) for r in rules]
        yield [name, *values, sum(values)], "count"
    totals = [sum(counts.get((f, r), 0) for f in files) for r in rules]
    yield [w("total"), *totals, sum(totals)], "count_bold"
    yield [], ""


def _rules_table(facts: SummaryFacts, s: dict[str, Any]) -> Iterator[Row]:
    from cleanse.rules import ALL_RULES

    w = facts.word
    by_rule = (s.get("counts") or {}).get("by_rule") or {}
    if not isinstance(by_rule, dict) or not by_rule:
        return
    yield [w("rules")], "section"
    yield [w("rule"), w("severity"), w("count"), w("meaning")], "head"
    for code, n in by_rule.items():
        rule = ALL_RULES.get(code)
        severity = SEVERITY.get(facts.lang, SEVERITY["vi"]).get(rule.severity, "") if rule else ""
        yield [code, severity, n, rule.message(facts.lang) if rule else ""], "count"
    yield [], ""


def _block(facts: SummaryFacts, title: str, value: Any) -> Iterator[Row]:
    """Any other entry of the summary, as lines and small tables, never as JSON text."""
    if _is_records(value):
        yield [title], "section"
        yield from _records(facts, value)
        yield [], ""
        return
    if not isinstance(value, dict):
        yield [title, _scalar(value, facts)], ""
        return
    if not value:
        return
    if value and all(
        isinstance(v, dict) and v and not any(isinstance(x, dict | list) for x in v.values())
        for v in value.values()
    ):
        # {"dob.invalid": {"severity": "error", "count": 3}}: one row per key
        yield [title], "section"
        inner = list(dict.fromkeys(k for v in value.values() for k in v))
        yield ["", *(facts.word(str(k)) for k in inner)], "head"
        for key, fields in value.items():
            yield [str(key), *(_scalar(fields.get(k), facts) for k in inner)], "count"
        yield [], ""
        return
    yield [title], "section"
    nested: list[tuple[str, Any]] = []
    for key, item in value.items():
        if isinstance(item, dict) or _is_records(item):
            nested.append((key, item))
        else:
            yield from _lines(facts, facts.word(str(key)), item)
    yield [], ""
    for key, item in nested:
        yield from _block(facts, f"{title}: {facts.word(str(key))}", item)


def _lines(facts: SummaryFacts, label: str, value: Any) -> Iterator[Row]:
    if isinstance(value, list):
        if value and all(isinstance(v, list) for v in value):
            for item in value:  # a list of pairs or triples: one line each
                yield [label, *(_scalar(v, facts) for v in item)], ""
            return
        yield [label, _scalar(value, facts)], ""
        return
    yield [label, _scalar(value, facts)], "count" if isinstance(value, int) else ""


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _records(facts: SummaryFacts, items: list[dict[str, Any]]) -> Iterator[Row]:
    """A list of dicts as a table: one column per key, one row per dict."""
    keys = list(dict.fromkeys(k for item in items for k in item))
    yield (
        [header_label(k, facts.lang) if k in HEADERS["vi"] else facts.word(k) for k in keys],
        ("head"),
    )
    words = {
        "field": FIELD_NAMES.get(facts.lang, FIELD_NAMES["vi"]),
        "damage": DAMAGE.get(facts.lang, DAMAGE["vi"]),
        "severity": SEVERITY.get(facts.lang, SEVERITY["vi"]),
    }
    for item in items:
        values = [item.get(k) for k in keys]
        shown = [words[k].get(v, v) if k in words and isinstance(v, str) else v
                 for k, v in zip(keys, values, strict=True)]  # fmt: skip
        yield [_scalar(v, facts) for v in shown], "count"


def _scalar(value: Any, facts: SummaryFacts) -> Any:
    """One cell's value: numbers and text as they are, yes/no, lists and dicts in words."""
    if isinstance(value, bool):
        return facts.word("yes" if value else "no")
    if value is None or isinstance(value, int | float | str):
        return value
    if isinstance(value, dict):
        return "; ".join(f"{facts.word(k)}: {_flat(v, facts)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(str(_flat(v, facts)) for v in value)
    return str(value)


def _flat(value: Any, facts: SummaryFacts) -> str:
    out = _scalar(value, facts)
    return "" if out is None else str(out)


_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def write_summary_sheet(ws: Worksheet, styles: _Styles, rows: Iterable[Row]) -> None:
    """Write the summary rows with xlsxwriter (constant memory: row after row)."""
    from cleanse.safe import XLSX_MAX_CELL_CHARS, neutralise_text

    ws.set_column(0, 0, 36)
    ws.set_column(1, 40, 16)
    text_of = {"title": styles.title, "head": styles.bold_text, "section": styles.bold_text}
    number_of: dict[str, Format | None] = {
        "count": styles.count,
        "count_bold": styles.bold,
        "head": styles.bold,
    }
    for r, (values, style) in enumerate(rows):
        for c, value in enumerate(values):
            if isinstance(value, str):
                text = neutralise_text(_ILLEGAL.sub("\ufffd", value))
                text = re.sub("\r\n?", "\n", text)[:XLSX_MAX_CELL_CHARS]
                if text:
                    bold = style == "count_bold" and c == 0
                    fmt = styles.bold_text if bold else text_of.get(style, styles.text)
                    ws.write_string(r, c, text, fmt)
            elif isinstance(value, bool):
                ws.write_boolean(r, c, value)
            elif isinstance(value, int | float) and math.isfinite(value):
                fmt = number_of.get(style) if isinstance(value, int) else None
                ws.write_number(r, c, value, fmt)
