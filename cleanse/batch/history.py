"""The ``history`` table of batch runs (one row per run and job), and a job's result.

The table lives in the jobs file's history folder as ``history.parquet`` and
``history.csv`` (replaced atomically on each run); ``history_table`` shows its last
runs on the terminal. ``JobResult``, what one job did, lives here: the table is made of
them.

Imports nothing of the batch package; of cleanse, ``errors`` and ``i18n``, and
``output``, ``rules`` and ``write`` when the table is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cleanse.errors import CleanseError, ExitStatus
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
