"""The unattended commands: ``batch`` (a jobs file under cron) and ``history``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from cleanse.cli.group import _fail, cli
from cleanse.cli.params import command
from cleanse.errors import CleanseError, ExitStatus
from cleanse.i18n import msg, say
from cleanse.terminal import for_rich, printable


@cli.command()
@click.argument("jobs_file", type=click.Path(dir_okay=False))
@click.option(
    "--now",
    type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    hidden=True,
    help="Time of the run (tests): names the run folders and is the checks' today.",
)
@command
def batch(jobs_file: str, now: dt.datetime | None) -> int:
    """Run the validate and reconcile jobs of a TOML file, unattended (cron).

    Takes a lock, writes each job into a dated folder, compares it with the job's
    previous run (changes) and logs one line per job, with the number of files it took.
    Under cron it prints nothing unless something fails; on a terminal it shows a line
    per job. Exits with the worst outcome of its jobs (0, 1 or 2).

    \b
    Example (crontab, every night at 02:30):
      30 2 * * * cleanse batch /srv/lam-sach/jobs.toml
    """
    from cleanse.batch import job_start, job_summary, load_jobs, run_batch
    from cleanse.report import on_terminal
    from cleanse.terminal import console

    plan = load_jobs(jobs_file)
    if not on_terminal(False):  # cron: nothing unless something fails
        result = run_batch(plan, now=now)
    else:  # a person watching: how many files each job takes, as it goes
        con = console()

        def done(r: Any) -> None:
            if not r.error:  # a failed job has its error line below
                con.print(for_rich(job_summary(r)), soft_wrap=True)

        result = run_batch(
            plan,
            now=now,
            on_start=lambda job: con.print(for_rich(job_start(job)), soft_wrap=True),
            on_done=done,
        )
    for line in result.failures:
        _fail(line)
    return result.status


@cli.command()
@click.argument("jobs_file", type=click.Path(dir_okay=False))
@click.option(
    "--chart",
    type=click.Path(dir_okay=False),
    default=None,
    help="HTML file for the chart (default: history.html in the history folder).",
)
@click.option(
    "--last",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="Runs per job shown in the table.",
)
@command
def history(jobs_file: str, chart: str | None, last: int) -> int:
    """Show the findings of past batch runs per job, and chart them over time.

    The chart is one self-contained HTML page (no script, no network) to open in a
    browser or paste into a report.

    \b
    Example:
      cleanse history /srv/lam-sach/jobs.toml --chart tien-do.html
    """
    from pathlib import Path

    from cleanse.batch import CHART, history_table, load_jobs, read_history, write_chart
    from cleanse.terminal import console

    settings = load_jobs(jobs_file).settings
    folder = settings.history
    table = read_history(folder)
    if not len(table):
        raise CleanseError("no batch run yet", path=str(folder), hint="run cleanse batch first")
    console(stderr=False).print(history_table(table, last))
    written = write_chart(
        table, Path(chart) if chart else (folder / CHART).resolve(), shared=settings.shared
    )
    click.echo(say(msg("chart: {path}", path=printable(written))), err=True)
    return ExitStatus.OK
