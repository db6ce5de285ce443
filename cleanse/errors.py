"""The one error type the library raises for input it cannot use, and the exit codes."""

from __future__ import annotations

from enum import IntEnum

from cleanse.terminal import printable


class ExitStatus(IntEnum):
    """Process exit codes (SPEC §2)."""

    OK = 0  # done, nothing at or above --fail-on
    FINDINGS = 1  # done, findings at or above --fail-on
    ERROR = 2  # the run could not be done


def status_for(by_severity: dict[str, int], fail_on: str) -> ExitStatus:
    """0 or 1 from counts of findings per severity and ``--fail-on`` (SPEC §2)."""
    if fail_on == "error" and by_severity.get("error"):
        return ExitStatus.FINDINGS
    if fail_on == "warning" and (by_severity.get("error") or by_severity.get("warning")):
        return ExitStatus.FINDINGS
    return ExitStatus.OK


class CleanseError(Exception):
    """A run cannot go on: names the file, and the row or column where that applies.

    ``str()`` gives the one line the CLI prints.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.row = row
        self.column = column
        self.hint = hint
        super().__init__(self.line())

    def line(self) -> str:
        """The single line shown to the user: where, what, how to fix it.

        Control characters in any part (a file name holding a line break or an escape
        sequence, a header read from a file) are escaped, so it stays one harmless line.
        """
        where = []
        if self.path:
            where.append(self.path)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        text = ": ".join([", ".join(where), self.message]) if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return printable(text)


def failure_place(exc: BaseException) -> str:
    """``KeyError in cleanse.x, line N`` (plus an OS error's reason): an unexpected
    exception's type and the last place in cleanse it passed, never its message, which
    may quote a record's value. An operating-system error adds its reason ("No space
    left on device"), which never holds one."""
    where = ""
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_globals.get("__name__", "")
        if name == "cleanse" or name.startswith("cleanse."):
            where = f" in {name}, line {tb.tb_lineno}"
        tb = tb.tb_next
    reason = f": {exc.strerror}" if isinstance(exc, OSError) and exc.strerror else ""
    return f"{type(exc).__name__}{where}{reason}"
