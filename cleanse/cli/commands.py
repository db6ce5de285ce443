"""The commands that read extracts: ``inspect``, ``validate``, ``reconcile``, ``fix``, and the
reference ones: ``rules``, ``fields``, ``sample``. Each is one call of the library.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

import click

from cleanse.cli.group import _default_lang, cli
from cleanse.cli.params import (
    command,
    input_options,
    output_options,
    output_options_of,
    read_options,
    reading_settings,
    today_option,
)
from cleanse.errors import ExitStatus
from cleanse.i18n import msg, say
from cleanse.options import SPECS, LinkOptions
from cleanse.terminal import can_show_vietnamese, for_rich, printable

# --- commands ----------------------------------------------------------------------------


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@input_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@command
def inspect(files: tuple[str, ...], as_json: bool, **kwargs: Any) -> int:
    """Show how each file is read: format, encoding, columns, kind, rows.

    Nothing is written and no record value is shown, so it is safe on any extract.

    \b
    Example:
      cleanse inspect bhxh.csv --map "Số sổ=bhxh_code"
    """
    from cleanse.inspect import inspect_files, render_inspection

    reports = inspect_files(files, **reading_settings(kwargs))
    if as_json:
        # JSON escapes keep every letter where the console cannot show Vietnamese.
        ascii_only = not can_show_vietnamese(sys.stdout)
        click.echo(json.dumps(reports, ensure_ascii=ascii_only, indent=2))
    else:
        render_inspection(reports)
    return ExitStatus.OK


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@input_options
@output_options
@today_option
@command
def validate(files: tuple[str, ...], **kwargs: Any) -> int:
    """Check each file on its own against every single-file rule (cleanse rules).

    Writes findings (parquet, csv, xlsx) and summary.json into --out.

    \b
    Example:
      cleanse validate bhxh.csv hotich.xlsx --out reports --format csv,xlsx
    """
    from cleanse.report import on_terminal, progress
    from cleanse.run import run_validate

    show = on_terminal(kwargs["quiet"])
    with progress(show) as bar:
        on_file, on_rows = _file_bars(bar)
        outcome = run_validate(
            files,
            read_options(kwargs),
            output_options_of(kwargs),
            out=kwargs["out_dir"],
            today=pd_timestamp(kwargs["today"]),
            on_file=on_file,
            on_rows=on_rows,
        )
    _print_summary(outcome, kwargs, show)
    return outcome.status


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option(
    "--reference",
    type=click.Path(),
    default=None,
    help="The reference extract (dân cư); default: every dancu file given.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=SPECS["threshold"].default,
    show_default=True,
    help=SPECS["threshold"].help,
)
@click.option(
    "--review-threshold",
    type=click.FloatRange(0, 1),
    default=None,
    help=SPECS["review_threshold"].help,
)
@click.option(
    "--twins-guard/--no-twins-guard",
    default=True,
    show_default=True,
    help=SPECS["twins_guard"].help,
)
@input_options
@output_options
@today_option
@command
def reconcile(files: tuple[str, ...], **kwargs: Any) -> int:
    """Link the records of several extracts that are one person and report conflicts.

    Writes persons, links, review, discrepancies and findings (parquet, csv, xlsx) and
    summary.json into --out. A dancu file is the reference unless --reference names one.

    \b
    Example:
      cleanse reconcile bhxh.csv btxh.csv hotich.csv --reference dancu.csv --out doi-chieu
    """
    from cleanse.report import on_terminal, progress
    from cleanse.run import run_reconcile

    review = kwargs["review_threshold"]
    if review is not None and review > kwargs["threshold"]:
        raise click.BadParameter(say("--review-threshold must not exceed --threshold"))
    link = LinkOptions(kwargs["threshold"], review, kwargs["twins_guard"])
    show = on_terminal(kwargs["quiet"])
    with progress(show) as bar:
        task = bar.add_task("reconcile", total=None) if bar is not None else None

        def on_stage(stage: str) -> None:
            if bar is not None and task is not None:
                bar.update(task, description=stage)

        outcome = run_reconcile(
            files,
            read_options(kwargs),
            output_options_of(kwargs),
            link,
            reference=kwargs["reference"],
            out=kwargs["out_dir"],
            today=pd_timestamp(kwargs["today"]),
            on_stage=on_stage,
        )
    _print_summary(outcome, kwargs, show)
    return outcome.status


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option(
    "--reference",
    type=click.Path(),
    default=None,
    help="The population data (dân cư): IDs of linked records are filled in from it.",
)
@click.option(
    "--sync",
    default="",
    metavar="FIELDS",
    help="Also bring these fields into line with the reference: name,dob,gender.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=SPECS["threshold"].default,
    show_default=True,
    help=SPECS["threshold"].help,
)
@input_options
@output_options
@today_option
@command
def fix(files: tuple[str, ...], **kwargs: Any) -> int:
    """Write each extract back corrected, with its changes and a worklist.

    Only certain repairs are made (leading zeros, separators in numbers, garbled text,
    names in normal form, dates as dd/mm/yyyy, gender as Nam/Nữ); with --reference, IDs
    from linked population records. The copies go into --out/fixed/, beside changes,
    worklist, findings (what still needs a person) and summary.json. Inputs are never
    modified.

    \b
    Example:
      cleanse fix bhxh.csv btxh.csv --reference dancu.csv --out da-sua
    """
    from cleanse.report import on_terminal, progress
    from cleanse.run import run_fix

    link = LinkOptions(kwargs["threshold"])
    show = on_terminal(kwargs["quiet"])
    with progress(show) as bar:
        on_file, on_rows = _file_bars(bar)
        outcome = run_fix(
            files,
            read_options(kwargs),
            output_options_of(kwargs),
            link,
            reference=kwargs["reference"],
            sync=kwargs["sync"].split(","),
            out=kwargs["out_dir"],
            today=pd_timestamp(kwargs["today"]),
            on_file=on_file,
            on_rows=on_rows,
        )
    _print_summary(outcome, kwargs, show)
    return outcome.status


def _file_bars(bar: Any) -> tuple[Any, Any]:
    """``on_file`` and ``on_rows`` for a run that reads files one after the other: a bar
    per file, advanced by the rows read (nothing without a terminal)."""
    task = None

    def on_file(ext: Any) -> None:
        nonlocal task
        if bar is not None:
            task = bar.add_task(ext.name, total=None)

    def on_rows(n: int) -> None:
        if bar is not None and task is not None:
            bar.advance(task, n)

    return on_file, on_rows


def _print_summary(outcome: Any, kwargs: dict[str, Any], show: bool) -> None:
    """The summary table on a terminal; without one, one plain line (SPEC §2)."""
    from cleanse.report import render_summary, summary_line

    summary, out_dir = outcome.written_summary(), kwargs["out_dir"]
    report, lang = outcome.output.report, outcome.output.lang
    if show:
        render_summary(summary, lang, out_dir, report=report)
    elif not kwargs["quiet"]:
        click.echo(printable(summary_line(summary, lang, out_dir, report=report)), err=True)


def pd_timestamp(value: dt.datetime | None) -> Any:
    """A click date as a pandas Timestamp (None stays None: today)."""
    import pandas as pd

    return None if value is None else pd.Timestamp(value)


@cli.command()
@click.option("--lang", type=click.Choice(["vi", "en"]), default=_default_lang, hidden=True)
@command
def rules(lang: str) -> int:
    """List every rule code with its severity and meaning, in Vietnamese and English.

    \b
    Example:
      cleanse rules
    """
    from cleanse.report import rules_table
    from cleanse.terminal import console

    console(stderr=False).print(rules_table(lang))
    return ExitStatus.OK


@cli.command()
@command
def fields() -> int:
    """List the canonical fields, the headers each is known by, and what each kind requires.

    \b
    Example:
      cleanse fields
    """
    from rich.table import Table

    from cleanse.fields import FIELD_ALIASES, REQUIRED
    from cleanse.terminal import console

    table = Table(title="cleanse fields", title_justify="left")
    table.add_column("field")
    table.add_column("required by")
    table.add_column("headers recognised (case, accents, spaces and punctuation ignored)")
    for name, aliases in FIELD_ALIASES.items():
        kinds = ", ".join(k for k, req in REQUIRED.items() if name in req)
        table.add_row(name, kinds, "; ".join(aliases))
    console(stderr=False).print(table)
    return ExitStatus.OK


def _error_rate(value: float) -> float:
    """The sample generator's own bounds (cleanse.sample), read only when sampling."""
    from cleanse.sample import MAX_ERROR_RATE

    if not 0 <= value <= MAX_ERROR_RATE:
        raise click.BadParameter(
            say(
                msg(
                    "{value} is not in the range {range}.",
                    value=value,
                    range=f"0<=x<={MAX_ERROR_RATE}",
                )
            )
        )
    return value


@cli.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    required=True,
    help="Folder to write the extracts and their truth into.",
)
@click.option(
    "--persons",
    type=click.IntRange(min=10),
    default=None,
    help="Number of synthetic persons (default 2000).",
)
@click.option(
    "--rows", type=click.IntRange(min=10), default=None, help="Same as --persons (SPEC name)."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d"]),
    default="2026-11-01",
    show_default=True,
    help="Date the extracts are taken.",
)
@click.option(
    "--error-rate",
    type=float,
    default=0.002,
    show_default=True,
    callback=lambda ctx, param, value: _error_rate(value),
    help="Share of rows given each injected error (0 to 0.02).",
)
@click.option(
    "--spreadsheet",
    is_flag=True,
    help="Also write each extract as a spreadsheet damages it (OUT/spreadsheet/*.xlsx: "
    "IDs as numbers, some rounded; a month-first twin), with the truth of the damage.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@command
def sample(
    out_dir: str,
    persons: int | None,
    rows: int | None,
    seed: int,
    as_of: dt.datetime,
    error_rate: float,
    spreadsheet: bool,
    quiet: bool,
) -> int:
    """Write synthetic extracts of every kind, with injected errors and their truth.

    The same seed gives the same files. The truth sits in OUT/truth/.

    \b
    Example:
      cleanse sample --out demo --persons 100000 --seed 7
      cleanse sample --out demo --spreadsheet
    """
    from cleanse.output import staged_output
    from cleanse.sample import write_samples

    if persons and rows and persons != rows:
        raise click.BadParameter(say("give --persons or --rows, not two different numbers"))
    count = persons or rows or 2000
    if spreadsheet and count > 1_000_000:
        raise click.BadParameter(
            say("--spreadsheet writes worksheets: at most 1,000,000 persons"),
            param_hint="--persons",
        )
    with staged_output(out_dir, private=False) as stage:
        result = write_samples(
            stage,
            persons=count,
            seed=seed,
            as_of=as_of.date(),
            error_rate=error_rate,
            spreadsheet=spreadsheet,
        )
    if not quiet and sys.stderr.isatty():
        from cleanse.terminal import console

        console().print(
            f"[bold]{count:,}[/] persons → {for_rich(out_dir)}: "
            + ", ".join(f"{k} {v:,}" for k, v in _counts(result).items())
        )
    return ExitStatus.OK


def _counts(result: dict[str, Any]) -> dict[str, int]:
    files = result.get("files", result)
    return {k: v for k, v in files.items() if isinstance(v, int)}
