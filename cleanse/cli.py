"""The ``cleanse`` command line: parse options, make one library call, report, exit.

Exit codes (SPEC §2): 0 done and nothing at or above ``--fail-on``; 1 done with
findings at or above it; 2 the run could not be done, with one line saying why.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from typing import Any

import click

from cleanse import __version__
from cleanse.errors import CleanseError, ExitStatus, failure_place
from cleanse.fields import SOURCE_KINDS, parse_map_option, read_map_file
from cleanse.i18n import Msg, language_from, msg, say, translate, using, word_click
from cleanse.normalise import parse_gender_codes
from cleanse.options import FORMATS, SPECS, LinkOptions, OutputOptions, ReadOptions
from cleanse.terminal import can_show_vietnamese, for_rich, guard_streams, printable


def _fail(message: str | Msg) -> None:
    # sys.stderr itself, not click's choice: click re-wraps an ASCII stream as UTF-8,
    # past the ASCII folding that terminal.guard_streams put there.
    line = say(msg("cleanse: error: {message}", message=printable(say(message))))
    click.echo(line, file=sys.stderr)


def _default_lang() -> str:
    """``--lang`` when not given: ``CLEANSE_LANG`` (vi or en), else Vietnamese."""
    return language_from([], os.environ)


# --debug: show the traceback instead of the one line. An option of the group and of
# every command (the internal-error line asks for it "again", after the command too).
_DEBUG: contextvars.ContextVar[bool] = contextvars.ContextVar("cleanse_debug", default=False)


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        _DEBUG.set(True)


def debug_option() -> click.Option:
    """The hidden ``--debug`` flag, read before anything else of the command."""
    return click.Option(
        ["--debug"],
        is_flag=True,
        hidden=True,
        expose_value=False,
        is_eager=True,
        callback=_set_debug,
        help="Show tracebacks.",
    )


class CleanseGroup(click.Group):
    """A group that turns every user error into one line on stderr and exit code 2."""

    def main(self, *args: Any, **kwargs: Any) -> Any:  # noqa: D102
        kwargs["standalone_mode"] = False
        guard_streams()  # a console that cannot show Vietnamese gets it folded to ASCII
        # The arguments given (CliRunner, scripts), not those of the host process.
        argv = kwargs.get("args", args[0] if args else None)
        given = list(sys.argv[1:] if argv is None else argv)
        word_click()
        # Every line in the run's language, click's own errors included (SPEC §2).
        with using(language_from(given, os.environ)), _sigterm_stops():
            _word_path_types(self)
            self._run(*args, **kwargs)

    def _run(self, *args: Any, **kwargs: Any) -> None:
        token = _DEBUG.set(False)
        try:
            self._handled(*args, **kwargs)
        finally:
            _DEBUG.reset(token)

    def _handled(self, *args: Any, **kwargs: Any) -> None:
        try:
            code = super().main(*args, **kwargs)
        except CleanseError as exc:
            if _DEBUG.get():
                raise
            _fail(exc.line())
            sys.exit(ExitStatus.ERROR)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else str(exc), err=True)
            sys.exit(ExitStatus.ERROR)
        except click.ClickException as exc:
            # click exits 1 for its own errors; SPEC keeps 1 for findings.
            _fail(exc.format_message().replace("\n", " "))
            sys.exit(ExitStatus.ERROR)
        except click.exceptions.Abort as exc:
            if isinstance(exc.__cause__, KeyboardInterrupt):  # click turns Ctrl-C into Abort
                _fail("interrupted; earlier results are left as they were")
                sys.exit(130)
            _fail("interrupted")
            sys.exit(ExitStatus.ERROR)
        except (KeyboardInterrupt, Interrupted):
            _fail("interrupted; earlier results are left as they were")
            sys.exit(130)
        except Terminated:
            _fail("stopped (SIGTERM); earlier results are left as they were")
            sys.exit(128 + signal.SIGTERM)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except Exception as exc:
            # A bug, or a failure nothing above foresaw: still one line and code 2.
            if _DEBUG.get():
                raise
            _fail(internal_error_line(exc))
            sys.exit(ExitStatus.ERROR)
        sys.exit(int(code) if isinstance(code, int) else ExitStatus.OK)


def _word_path_types(group: click.Group) -> None:
    """click names a path option's kind ("file", "directory") in its errors, worded once
    when the command is defined: word it again in the run's language."""
    for command in group.commands.values():
        for param in command.params:
            kind = param.type
            if isinstance(kind, click.Path):
                english = getattr(kind, "cleanse_name", None) or kind.name
                kind.cleanse_name = english  # type: ignore[attr-defined]
                kind.name = translate(english)


class Terminated(BaseException):
    """SIGTERM (kill, a service stopping, a cron time limit), raised where the run is."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated


@contextlib.contextmanager
def _sigterm_stops() -> Iterator[None]:
    """Let SIGTERM stop a run the way Ctrl-C does: its staging folder removed, one line.

    Without it the process would die on the spot and leave the stage, with its personal
    data, until the next run. Only the main thread can set a handler; others keep theirs.
    """
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def internal_error_line(exc: BaseException) -> str:
    """One line for an unexpected exception, without its message, which may quote data."""
    kind, _, rest = failure_place(exc).partition(": ")
    reason = f": {rest}" if rest else ""
    return say(
        msg(
            "internal error ({kind}){reason}; run again with --debug to see the details",
            kind=kind,
            reason=reason,
        )
    )


@click.group(cls=CleanseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cleanse")
def cli() -> None:
    """Check Vietnamese population-related extracts: đúng, đủ, sạch, sống.

    Kiểm tra dữ liệu BHXH, hộ tịch, bảo trợ xã hội và dân cư: đúng, đủ, sạch, sống.

    \b
    Example:
      cleanse sample --out demo --persons 2000
      cleanse inspect demo/*.csv
    """


# --- options shared by the commands that read extracts --------------------------------


def input_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options for reading extracts: kind, column mapping, encoding, sheet, gender codes."""
    options = [
        click.option(
            "--source",
            type=click.Choice(SOURCE_KINDS),
            default=None,
            help=SPECS["source"].help,
        ),
        click.option(
            "--map",
            "map_items",
            multiple=True,
            metavar='"HEADER=field"',
            help="Map a column to a canonical field (repeatable).",
        ),
        click.option(
            "--map-file",
            type=click.Path(dir_okay=False),
            default=None,
            help="File of 'Header = field' lines.",
        ),
        click.option(
            "--encoding",
            default=None,
            help=SPECS["encoding"].help,
        ),
        click.option("--sheet", default=None, help=SPECS["sheet"].help),
        click.option(
            "--gender-codes",
            default=None,
            metavar='"1=Nam,2=Nữ"',
            help=SPECS["gender_codes"].help,
        ),
        click.option("--chunk-rows", type=click.IntRange(min=1), default=None, hidden=True),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def output_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options for commands that write reports (SPEC §2)."""
    options = [
        click.option(
            "--out",
            "out_dir",
            type=click.Path(file_okay=False),
            default="cleanse-out",
            show_default=True,
            help="Folder for the results.",
        ),
        click.option(
            "--format",
            "formats",
            default=",".join(SPECS["formats"].default),
            show_default=True,
            callback=_formats,
            help=SPECS["formats"].help,
        ),
        click.option(
            "--lang",
            type=click.Choice(SPECS["lang"].choices),
            default=_default_lang,
            show_default="vi, or CLEANSE_LANG",
            help=SPECS["lang"].help,
        ),
        click.option("--mask", is_flag=True, help=SPECS["mask"].help),
        click.option("--shared", is_flag=True, help=SPECS["shared"].help),
        click.option(
            "--fail-on",
            type=click.Choice(SPECS["fail_on"].choices),
            default=SPECS["fail_on"].default,
            show_default=True,
            help=SPECS["fail_on"].help,
        ),
        click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


today_option = click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Date the checks count from (default: today), for reproducible runs.",
)


def _formats(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(v.strip().lower() for v in value.split(",") if v.strip()))
    unknown = [v for v in chosen if v not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(
            say(msg("{formats}; use parquet, csv, xlsx", formats=", ".join(unknown) or "-"))
        )
    return chosen


def read_options(kwargs: dict[str, Any]) -> ReadOptions:
    """The input options as the run layer takes them."""
    settings = reading_settings(kwargs)
    return ReadOptions(
        source=settings["source"],
        user_map=settings["user_map"],
        encoding=settings["encoding"],
        sheet=settings["sheet"],
        gender_codes=gender_codes(kwargs),
        chunk_rows=settings.get("chunk_rows"),
    )


def output_options_of(kwargs: dict[str, Any]) -> OutputOptions:
    """The output options as the run layer takes them."""
    return OutputOptions(
        formats=kwargs["formats"],
        lang=kwargs["lang"],
        mask=bool(kwargs["mask"]),
        shared=bool(kwargs["shared"]),
        fail_on=kwargs["fail_on"],
    )


def reading_settings(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Turn the input options into keyword arguments for ``open_extract``."""
    user_map: dict[str, str] = {}
    if kwargs.get("map_file"):
        user_map.update(read_map_file(kwargs["map_file"]))
    user_map.update(parse_map_option(kwargs.get("map_items") or ()))
    settings: dict[str, Any] = {
        "source": kwargs.get("source"),
        "user_map": user_map,
        "encoding": kwargs.get("encoding"),
        "sheet": kwargs.get("sheet"),
    }
    if kwargs.get("chunk_rows"):
        settings["chunk_rows"] = kwargs["chunk_rows"]
    return settings


def gender_codes(kwargs: dict[str, Any]) -> dict[str, str] | None:
    """The numeric gender code table from ``--gender-codes``, or None for the default."""
    spec = kwargs.get("gender_codes")
    if not spec:
        return None
    try:
        return parse_gender_codes(spec)
    except ValueError as exc:
        raise CleanseError(msg("--gender-codes: {reason}", reason=exc.args[0])) from None


class Interrupted(BaseException):
    """Ctrl-C in a command, carried past click (which would print a blank line first)."""


def command(f: Callable[..., Any]) -> Callable[..., Any]:
    """Return the command's exit status from click's ``main``; Ctrl-C becomes Interrupted."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> int:
        try:
            return int(f(*args, **kwargs) or ExitStatus.OK)
        except KeyboardInterrupt:
            raise Interrupted from None

    return wrapper


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
        task = None

        def on_file(ext: Any) -> None:
            nonlocal task
            if bar is not None:
                task = bar.add_task(ext.name, total=None)

        def on_rows(n: int) -> None:
            if bar is not None and task is not None:
                bar.advance(task, n)

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

    from cleanse.batch import load_jobs
    from cleanse.history import CHART, history_table, read_history, write_chart
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


def _counts(result: dict[str, Any]) -> dict[str, int]:
    files = result.get("files", result)
    return {k: v for k, v in files.items() if isinstance(v, int)}


cli.params.append(debug_option())
for _command in cli.commands.values():
    _command.params.append(debug_option())


def main() -> None:
    """Console-script entry point."""
    cli()
