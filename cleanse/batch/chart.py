"""The trend chart of ``cleanse history``: findings per job and run, one HTML page.

The page holds an inline SVG and a table of each job's last run: no script, no
network, so it opens anywhere and pastes into a report.

Imports nothing of the batch package (it reads the history table's columns); of
cleanse, ``errors`` and ``i18n``, and ``output`` when it writes.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import pandas as pd

from cleanse.errors import CleanseError, os_reason
from cleanse.i18n import msg

CHART = "history.html"
_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"]


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
