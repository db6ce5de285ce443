"""What the tool understood of each file, shown before any check is run."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from rich.console import Console
from rich.table import Table

from cleanse.fields import REQUIRED
from cleanse.read import open_extract


@cache
def console(stderr: bool = True) -> Console:
    """The rich console for terminal output (stderr by default, never into files)."""
    return Console(stderr=stderr, highlight=False)


def inspect_files(paths: Iterable[str], **settings: Any) -> list[dict[str, Any]]:
    """Open and count each file; report format, encoding, columns, kind and rows.

    Raises ``CleanseError`` for the first file that cannot be read. No record value is
    returned, only headers and counts.
    """
    reports = []
    for path in paths:
        ext = open_extract(path, check=False, **settings)
        rows = sum(len(chunk.frame) for chunk in ext.chunks())
        report = ext.describe()
        report["rows"] = rows
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
            fmt += f", sheet {rep['sheet']!r}"
        table = Table(
            title=f"{rep['source']}: {rep['rows']:,} rows, {how}; {fmt}", title_justify="left"
        )
        table.add_column("column")
        table.add_column("field")
        for header, field in rep["columns"].items():
            mark = " (required)" if field in rep["required"] else ""
            table.add_row(header, (field + mark) if field else "[dim]passed through[/]")
        out.print(table)
        for note in rep["notes"]:
            out.print(f"  note: {note}")
        if rep["missing"]:
            out.print(f"  [red]missing required field(s): {', '.join(rep['missing'])}[/]")
