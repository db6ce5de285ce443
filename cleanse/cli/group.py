"""The ``cleanse`` group: every user error one line on stderr and exit code 2, Ctrl-C and
SIGTERM stopped cleanly, ``--debug``, and the run's language chosen before parsing.

Exit codes (SPEC §2): 0 done and nothing at or above ``--fail-on``; 1 done with
findings at or above it; 2 the run could not be done, with one line saying why.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import signal
import sys
from collections.abc import Iterator
from typing import Any

import click

from cleanse import __version__
from cleanse.errors import CleanseError, ExitStatus, failure_place
from cleanse.i18n import Msg, language_from, msg, say, translate, using, word_click
from cleanse.terminal import guard_streams, printable


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


class Interrupted(BaseException):
    """Ctrl-C in a command, carried past click (which would print a blank line first)."""
