"""The ``cleanse`` command line: parse options, make one library call, report, exit.

``group`` (the group and its one-line errors), ``params`` (shared options), ``commands``
(inspect, validate, reconcile, rules, fields, sample), ``jobs`` (batch, history).
Exit codes (SPEC §2): 0 done and nothing at or above ``--fail-on``; 1 done with
findings at or above it; 2 the run could not be done, with one line saying why.

The top of the house: it may import any module of cleanse, and none imports it.
"""

from cleanse.cli import commands, jobs  # noqa: F401  (registers the commands)
from cleanse.cli.group import cli, debug_option, internal_error_line

cli.params.append(debug_option())
for _command in cli.commands.values():
    _command.params.append(debug_option())

__all__ = ["cli", "internal_error_line", "main"]


def main() -> None:
    """Console-script entry point."""
    cli()
