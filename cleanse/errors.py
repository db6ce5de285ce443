"""The one error type the library raises for input it cannot use, and the exit codes."""

from __future__ import annotations

import errno
from enum import IntEnum

from cleanse.i18n import N_, Msg, msg, say
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

    ``message`` and ``hint`` are English msgids, or :class:`~cleanse.i18n.Msg` templates
    with their values; they are worded in the language of the moment when the line is
    made (:meth:`line`), so an error raised anywhere is said in the run's ``--lang``.
    ``str()`` gives the line as worded when it was raised.
    """

    def __init__(
        self,
        message: str | Msg,
        *,
        path: str | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | Msg | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.row = row
        self.column = column
        self.hint = hint
        super().__init__(self.line())

    def __str__(self) -> str:
        # Worded when shown, in the language of that moment (a reader thread raises it).
        return self.line()

    def line(self, lang: str | None = None) -> str:
        """The single line shown to the user: where, what, how to fix it, in ``lang``
        (default: the language of the moment).

        Control characters in any part (a file name holding a line break or an escape
        sequence, a header read from a file) are escaped, so it stays one harmless line.
        """
        where = []
        if self.path:
            where.append(self.path)
        if self.row is not None:
            where.append(say(msg("row {row}", row=self.row), lang))
        if self.column:
            where.append(say(msg("column {column!r}", column=self.column), lang))
        what = say(self.message, lang)
        text = ": ".join([", ".join(where), what]) if where else what
        if self.hint:
            text += f" ({say(self.hint, lang)})"
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


# What the operating system says, as a user reads it; other errors keep its own words.
_OS_REASONS = {
    errno.ENOENT: N_("no such file or folder"),
    errno.EACCES: N_("permission denied"),
    errno.EPERM: N_("operation not permitted"),
    errno.ENOSPC: N_("no space left on the disk"),
    errno.EROFS: N_("the disk is read-only"),
    errno.EISDIR: N_("it is a folder"),
    errno.ENOTDIR: N_("a part of the path is not a folder"),
    errno.EEXIST: N_("it already exists"),
    errno.ENAMETOOLONG: N_("the name is too long"),
    errno.EBUSY: N_("it is in use"),
    errno.EIO: N_("the disk could not be read or written (input/output error)"),
}
if hasattr(errno, "EDQUOT"):
    _OS_REASONS[errno.EDQUOT] = N_("the disk quota is used up")


def os_reason(exc: OSError) -> Msg | str:
    """Why an operating-system call failed, in the run's language where it is a common
    reason (no space, permission denied), else in the system's own words."""
    known = _OS_REASONS.get(exc.errno or -1)
    if known:
        return Msg(known)
    return exc.strerror or type(exc).__name__
