"""What the tool understood of each file, shown before any check is run."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from rich.table import Table

from cleanse.fields import REQUIRED
from cleanse.mask import mask_text
from cleanse.read import open_extract
from cleanse.terminal import console, for_rich, printable

__all__ = ["console", "inspect_files", "render_inspection", "shown_header"]

# A header holding a long number or a date is a record read as a header: the test that
# validate makes before refusing such a file (fields.check_required).
_VALUE_LIKE = re.compile(r"\d{6,}|\d{1,2}[/.-]\d{1,2}[/.-]\d{4}")
# An unrecognised header longer than this is cut: it may be an address or a note.
HEADER_SHOWN_CHARS = 32
NO_HEADER = (
    "no header found: the first line holds values (long numbers or dates), not column "
    "names, so they are not shown"
)


def shown_header(header: str, field: str | None) -> str:
    """A header as ``inspect`` shows it, never a record's value in full.

    A header matched to a field is shown whole. Any other may be a value of a record read
    as a header: numbers of 9 or more digits are masked like IDs, text over
    ``HEADER_SHOWN_CHARS`` characters is cut. Control characters are escaped.
    """
    if field is not None:
        return printable(header)
    text = mask_text(header)
    if len(text) > HEADER_SHOWN_CHARS:
        text = text[: HEADER_SHOWN_CHARS - 1] + "…"
    return printable(text)


def _shown_columns(columns: dict[str, str | None]) -> dict[str, str | None]:
    shown: dict[str, str | None] = {}
    for i, (header, field) in enumerate(columns.items(), 1):
        name = shown_header(header, field)
        shown[name if name not in shown else f"{name} (column {i})"] = field
    return shown


def inspect_files(paths: Iterable[str], **settings: Any) -> list[dict[str, Any]]:
    """Open and count each file; report format, encoding, columns, kind and rows.

    Raises ``CleanseError`` for the first file that cannot be read. No record value is
    returned, only headers (see :func:`shown_header`) and counts. When the line read as
    the header holds values, the columns are named ``column 1``, ``column 2``… and
    ``header_found`` is False.
    """
    reports = []
    for path in paths:
        ext = open_extract(path, check=False, **settings)
        rows = sum(len(chunk.frame) for chunk in ext.chunks())
        report = ext.describe()
        report["rows"] = rows
        columns = {h: ext.columns.fields.get(h) for h in ext.columns.headers}
        report["header_found"] = not any(_VALUE_LIKE.search(h) for h in columns)
        if report["header_found"]:
            report["columns"] = _shown_columns(columns)
        else:
            report["columns"] = {f"column {i}": None for i in range(1, len(columns) + 1)}
            report["notes"] = [NO_HEADER, *(mask_text(n) for n in ext.notes)]
        report["required"] = list(REQUIRED[ext.kind])
        report["missing"] = [f for f in REQUIRED[ext.kind] if f not in ext.columns.present]
        reports.append(report)
    return reports


def render_inspection(reports: list[dict[str, Any]]) -> None:
    """Print one table per file to stdout."""
    out = console(stderr=False)
    for rep in reports:
        how = rep["kind"] + (" (detected)" if rep["kind_detected"] else " (--source)")
        fmt = rep["format"] + (f", {rep['encoding']}" if rep["encoding"] else "")
        if rep["delimiter"]:
            fmt += ", delimiter " + {"\t": "tab"}.get(rep["delimiter"], repr(rep["delimiter"]))
        if rep["sheet"]:
            fmt += f", sheet {for_rich(repr(rep['sheet']))}"
        table = Table(
            title=f"{for_rich(rep['source'])}: {rep['rows']:,} rows, {how}; {fmt}",
            title_justify="left",
        )
        table.add_column("column")
        table.add_column("field")
        for header, field in rep["columns"].items():
            mark = " (required)" if field in rep["required"] else ""
            shown = (field + mark) if field else "[dim]passed through[/]"
            table.add_row(for_rich(header), shown)
        out.print(table)
        for note in rep["notes"]:
            out.print(f"  note: {for_rich(note)}")
        if rep["missing"]:
            out.print(f"  [red]missing required field(s): {', '.join(rep['missing'])}[/]")
