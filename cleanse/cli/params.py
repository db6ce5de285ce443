"""The options the commands share (reading, output, today), their callbacks, and the
conversion of click's keyword arguments into the run layer's typed options.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from cleanse.cli.group import Interrupted, _default_lang
from cleanse.errors import CleanseError, ExitStatus
from cleanse.fields import SOURCE_KINDS, parse_map_option, read_map_file
from cleanse.i18n import msg, say
from cleanse.normalise import parse_gender_codes
from cleanse.options import FORMATS, SPECS, OutputOptions, ReadOptions

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


def command(f: Callable[..., Any]) -> Callable[..., Any]:
    """Return the command's exit status from click's ``main``; Ctrl-C becomes Interrupted."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> int:
        try:
            return int(f(*args, **kwargs) or ExitStatus.OK)
        except KeyboardInterrupt:
            raise Interrupted from None

    return wrapper
