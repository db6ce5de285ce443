"""The ``history`` table of batch runs (one row per run and job) and its trend chart.

The table lives in the jobs file's history folder as ``history.parquet`` and
``history.csv`` (replaced atomically on each run). The chart is one self-contained HTML
page with an inline SVG: no script, no network, so it opens anywhere and pastes into a
report.

Imports nothing of batch: a job's result (`JobResult`) lives here, and batch imports it.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cleanse.errors import CleanseError, ExitStatus, os_reason
from cleanse.i18n import msg

if TYPE_CHECKING:
    from rich.table import Table

OUTCOMES = {ExitStatus.OK: "ok", ExitStatus.FINDINGS: "findings", ExitStatus.ERROR: "error"}


@dataclass
class JobResult:
    """What one job did: its outcome, counts and run folder, or why it failed."""

    name: str
    command: str
    status: int
    started: float
    ended: float
    run: str | None = None
    files: int | None = None  # inputs the job took, the reference included
    rows: int | None = None
    findings: int | None = None
    by_severity: dict[str, int] = field(default_factory=dict)
    by_rule: dict[str, int] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    lang: str = "vi"

    @property
    def outcome(self) -> str:
        """``ok``, ``findings`` or ``error``."""
        return OUTCOMES[ExitStatus(self.status)]


HISTORY = "history"
BASE_COLUMNS = [
    "run_at",
    "job",
    "command",
    "run",
    "outcome",
    "rows",
    "findings",
    "errors",
    "warnings",
    "new",
    "resolved",
    "persisting",
]
COUNT_COLUMNS = BASE_COLUMNS[5:]
CHART = "history.html"
_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"]


def read_history(folder: Path) -> pd.DataFrame:
    """The history table so far (no rows before the first run)."""
    path = folder / f"{HISTORY}.parquet"
    if not path.exists():
        return pd.DataFrame({c: pd.Series(dtype="string") for c in BASE_COLUMNS})
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types
        raise CleanseError(
            msg("cannot read the history table: {exc}", exc=exc), path=str(path)
        ) from None


def history_rows(moment: dt.datetime, results: Sequence[JobResult]) -> pd.DataFrame:
    """One row per job of this run: outcome, counts, changes and a column per rule."""
    rows: list[dict[str, Any]] = []
    for r in results:
        row: dict[str, Any] = {
            "run_at": moment.isoformat(timespec="seconds"),
            "job": r.name,
            "command": r.command,
            "run": r.run,
            "outcome": r.outcome,
            "rows": r.rows,
            "findings": r.findings,
            "errors": r.by_severity.get("error") if r.by_severity else None,
            "warnings": r.by_severity.get("warning") if r.by_severity else None,
            **{k: r.changes.get(k) for k in ("new", "resolved", "persisting")},
        }
        row.update(r.by_rule)
        rows.append(row)
    return pd.DataFrame(rows)


def append_history(
    folder: Path, moment: dt.datetime, results: Sequence[JobResult], *, shared: bool = False
) -> Path:
    """Add this run's rows to the history table and write it again, atomically."""
    from cleanse.output import staged_output
    from cleanse.rules import REGISTRY
    from cleanse.write import write_tables

    table = pd.concat([read_history(folder), history_rows(moment, results)], ignore_index=True)
    rules = [c for c in table.columns if c not in BASE_COLUMNS]
    order = {c: i for i, c in enumerate(REGISTRY)}
    rules.sort(key=lambda c: (order.get(c, len(order)), c))
    for col in COUNT_COLUMNS:
        table[col] = pd.to_numeric(table[col]).astype("Int64")
    ran = table["outcome"] != "error"
    for col in rules:
        table[col] = pd.to_numeric(table[col]).astype("Int64").mask(ran & table[col].isna(), 0)
    for col in ("run_at", "job", "command", "run", "outcome"):
        table[col] = table[col].astype("string")
    table = table[BASE_COLUMNS + rules]
    with staged_output(folder, shared=shared) as stage:
        write_tables({HISTORY: table}, stage, ("parquet", "csv"))
    return folder / f"{HISTORY}.parquet"


def history_table(table: pd.DataFrame, last: int = 30) -> Table:
    """A rich table of the last runs: per job and run, findings and their changes."""
    from rich import box
    from rich.table import Table

    out = Table(
        title="cleanse history",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
    )
    for col in ("run", "job", "outcome", "rows", "findings", "new", "resolved", "persisting"):
        left = col in ("run", "job", "outcome")
        out.add_column(col, justify="left" if left else "right", no_wrap=True)
    for _, row in table.tail(last * max(table["job"].nunique(), 1)).iterrows():
        out.add_row(
            str(row["run_at"])[:16].replace("T", " "),
            *[
                "" if pd.isna(row[c]) else str(row[c])
                for c in ("job", "outcome", "rows", "findings")
            ],
            *[_signed(row[c], c) for c in ("new", "resolved", "persisting")],
        )
    return out


def _signed(value: Any, column: str) -> str:
    if pd.isna(value):
        return ""
    if column == "new" and value:
        return f"[red]+{value}[/]"
    if column == "resolved" and value:
        return f"[green]-{value}[/]"
    return str(value)


def write_chart(
    table: pd.DataFrame,
    path: Path,
    title: str = "cleanse: findings per run",
    *,
    shared: bool = False,
) -> Path:
    """Write a self-contained HTML page with an SVG line chart of findings per job.

    Created like every result: owner only (0600, new folders 0700), or readable by the
    owner's group with ``shared``; written beside and renamed into place.
    """
    from cleanse.output import make_folders, output_modes

    dir_mode, file_mode = output_modes(shared=shared)
    done = table[table["outcome"].astype(str) != "error"].copy()
    done["findings"] = pd.to_numeric(done["findings"])
    runs = sorted(done["run_at"].astype(str).unique())
    # The left margin leaves room for the first run's date, written at an angle.
    width, height, left, right, top, bottom = 800, 360, 100, 170, 30, 70
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = max(int(done["findings"].max()) if len(done) else 0, 1)
    ymax = _nice(top_value)

    def x(i: int) -> float:
        return left + (plot_w * i / (len(runs) - 1) if len(runs) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / ymax

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    for k in range(5):
        v = ymax * k / 4
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            'stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:,.0f}</text>'
        )
    step = max(1, len(runs) // 8)
    for i, run in enumerate(runs):
        if i % step == 0 or i == len(runs) - 1:
            label = html.escape(run[:16].replace("T", " "))
            parts.append(
                f'<text x="{x(i):.1f}" y="{top + plot_h + 14}" text-anchor="end" '
                f'transform="rotate(-30 {x(i):.1f} {top + plot_h + 14})">{label}</text>'
            )
    index = {r: i for i, r in enumerate(runs)}
    for n, (job, rows) in enumerate(done.groupby("job", sort=True)):
        colour = _COLOURS[n % len(_COLOURS)]
        points = [
            (x(index[str(r)]), y(float(v)))
            for r, v in zip(rows["run_at"], rows["findings"], strict=True)
        ]
        path_points = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path_points}"/>'
        )
        parts += [
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>' for px, py in points
        ]
        ly = top + 14 * n + 6
        parts.append(
            f'<rect x="{left + plot_w + 14}" y="{ly - 8}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{left + plot_w + 30}" y="{ly + 1}">{html.escape(str(job))}</text>'
        )
    parts.append(
        f'<text x="{left}" y="{top - 10}" font-size="13" font-weight="bold">'
        f"{html.escape(title)}</text></svg>"
    )
    latest = _latest_rows(done)
    page = (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:24px}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
        "td:first-child,th:first-child{text-align:left}</style></head><body>"
        + "".join(parts)
        + latest
        + "</body></html>\n"
    )
    try:
        make_folders(path.parent, dir_mode)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, file_mode)
        try:
            os.fchmod(fd, file_mode)  # whatever the umask
            with open(fd, "w", encoding="utf-8") as fh:
                fh.write(page)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        raise CleanseError(
            msg("cannot write the chart: {reason}", reason=os_reason(exc)), path=str(path)
        ) from None
    return path


def _latest_rows(done: pd.DataFrame) -> str:
    """An HTML table of each job's last run: findings, new, resolved, persisting."""
    if not len(done):
        return "<p>No run yet.</p>"
    cols = ("job", "run_at", "findings", "new", "resolved", "persisting")
    last = done.groupby("job", sort=True).tail(1)
    head = "".join(f"<th>{c}</th>" for c in cols)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape('' if pd.isna(r[c]) else str(r[c]))}</td>" for c in cols)
        + "</tr>"
        for _, r in last.iterrows()
    )
    return f"<h3>Last run per job</h3><table><tr>{head}</tr>{body}</table>"


def _nice(value: int) -> int:
    """A round axis maximum at or above ``value``."""
    magnitude = 10 ** (len(str(value)) - 1)
    for m in (1, 2, 2.5, 5, 10):
        if value <= m * magnitude:
            return int(m * magnitude)
    return value
