"""The options of a run, once: what they are, their defaults, their ranges and checks.

Three frozen groups, used alike by the CLI, the jobs file of ``batch`` and the Python
API (``cleanse.validation``/``cleanse.link``):

- :class:`ReadOptions`: how extracts are read (kind, column map, encoding, sheet, gender
  code table);
- :class:`OutputOptions`: what is written and said (formats, language, masking, modes,
  the severity that fails a run);
- :class:`LinkOptions`: how ``reconcile`` links (thresholds, the twins guard).

Each checks itself when made and raises :class:`~cleanse.errors.CleanseError` with the
option's name, so a bad value is refused the same way whichever door it came in by.
The defaults are the constants below; nothing else in cleanse writes them.

Imports only ``errors``, ``i18n`` and ``fields`` (for the source kinds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from cleanse.errors import CleanseError
from cleanse.fields import SOURCE_KINDS
from cleanse.i18n import LANGS, Msg, msg

FORMATS = ("parquet", "csv", "xlsx")
DEFAULT_FORMATS = FORMATS  # report.xlsx is the report an officer opens
FAIL_ON = ("error", "warning", "never")
ENCODINGS = ("utf-8", "utf-16", "cp1258")
THRESHOLD = 0.85  # score from which two records are one person
REVIEW_THRESHOLD = 0.70  # score from which an unlinked pair goes to review (≤ threshold)


def _frozen(mapping: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class ReadOptions:
    """How the extracts are read (SPEC §1)."""

    source: str | None = None  # the kind of every input, instead of detecting it
    user_map: Mapping[str, str] = field(default_factory=dict)  # header -> field
    encoding: str | None = None
    sheet: str | None = None
    gender_codes: Mapping[str, str] | None = None  # numeric code -> Nam/Nữ
    chunk_rows: int | None = None

    def __post_init__(self) -> None:
        if self.source is not None and self.source not in SOURCE_KINDS:
            raise CleanseError(
                msg(
                    "unknown source kind {source!r}; use one of {SOURCE_KINDS}",
                    source=self.source,
                    SOURCE_KINDS=", ".join(SOURCE_KINDS),
                )
            )
        if self.chunk_rows is not None and self.chunk_rows < 1:
            raise CleanseError("the chunk size must be at least 1 row")
        object.__setattr__(self, "user_map", _frozen(self.user_map))
        if self.gender_codes is not None:
            object.__setattr__(self, "gender_codes", _frozen(self.gender_codes))

    def settings(self) -> dict[str, Any]:
        """Keyword arguments for ``read.open_extract``."""
        out: dict[str, Any] = {
            "source": self.source,
            "user_map": dict(self.user_map),
            "encoding": self.encoding,
            "sheet": self.sheet,
        }
        if self.chunk_rows:
            out["chunk_rows"] = self.chunk_rows
        return out


@dataclass(frozen=True)
class OutputOptions:
    """What a run writes and how it says it (SPEC §2, §5)."""

    formats: tuple[str, ...] = DEFAULT_FORMATS
    lang: str = "vi"
    mask: bool = False  # mask ID numbers and BHXH codes in every output
    shared: bool = False  # results readable by the owner's group
    fail_on: str = "error"

    def __post_init__(self) -> None:
        formats = tuple(dict.fromkeys(self.formats))
        unknown = [f for f in formats if f not in FORMATS]
        if unknown or not formats:
            raise CleanseError(
                msg(
                    "{formats}; use parquet, csv, xlsx",
                    formats=", ".join(unknown) or "-",
                )
            )
        object.__setattr__(self, "formats", formats)
        if self.lang not in LANGS:
            raise CleanseError(
                msg("{value!r}: use one of {options}", value=self.lang, options=", ".join(LANGS))
            )
        if self.fail_on not in FAIL_ON:
            raise CleanseError(
                msg(
                    "{value!r}: use one of {options}",
                    value=self.fail_on,
                    options=", ".join(FAIL_ON),
                )
            )

    @property
    def report(self) -> bool:
        """Whether the officer's report (report.xlsx) is written."""
        return "xlsx" in self.formats


@dataclass(frozen=True)
class LinkOptions:
    """How ``reconcile`` decides that records are one person (SPEC §4)."""

    threshold: float = THRESHOLD
    review_threshold: float | None = None  # None: REVIEW_THRESHOLD, at most threshold
    twins_guard: bool = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0:
            raise CleanseError(
                msg("--threshold {threshold}: give a number from 0 to 1", threshold=self.threshold)
            )
        review = self.review
        if not 0.0 <= review <= self.threshold:
            raise CleanseError(
                msg(
                    "--review-threshold {review}: give a number from 0 to {threshold}",
                    review=review,
                    threshold=self.threshold,
                )
            )

    @property
    def review(self) -> float:
        """The review threshold in force."""
        if self.review_threshold is None:
            return min(REVIEW_THRESHOLD, self.threshold)
        return self.review_threshold


# --- the option table: one row per option a run takes, for the CLI and the jobs file ----


class Refused(ValueError):
    """A value an option does not take; ``args[0]`` is the message (a ``Msg``)."""


@dataclass(frozen=True)
class Spec:
    """One option: its jobs-file key (and keyword), CLI flag, kind, default and help.

    ``kind`` is how a jobs file's value is checked: ``bool``, ``text``, ``choice``
    (one of ``choices``), ``share`` (a number from 0 to 1) or ``formats`` (a list, or a
    comma-separated text, of ``choices``).
    """

    key: str
    kind: str
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    flag: str | None = None  # when it is not ``--`` and the key with dashes
    reconcile_only: bool = False

    @property
    def option(self) -> str:
        """The CLI flag (``--fail-on``)."""
        return self.flag or "--" + self.key.replace("_", "-")

    def check(self, value: Any) -> Any:
        """The value as the run takes it, or :class:`Refused` saying what to give."""
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise Refused(msg("{value!r}: give true or false", value=value))
            return value
        if self.kind == "text":
            if not isinstance(value, str) or not value.strip():
                raise Refused(msg("{value!r}: give text", value=value))
            return value
        if self.kind == "choice":
            if value not in self.choices:
                raise Refused(
                    msg(
                        "{value!r}: use one of {options}",
                        value=value,
                        options=", ".join(self.choices),
                    )
                )
            return str(value)
        if self.kind == "share":
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise Refused(msg("{value!r}: give a number from 0 to 1", value=value))
            return float(value)
        if self.kind == "formats":
            items = value.split(",") if isinstance(value, str) else value
            if isinstance(items, list) and all(isinstance(f, str) for f in items):
                chosen = tuple(dict.fromkeys(f.strip().lower() for f in items if f.strip()))
                if chosen and all(f in self.choices for f in chosen):
                    return chosen
            raise Refused(msg("{value!r}: give a list of parquet, csv, xlsx", value=value))
        raise AssertionError(f"option kind {self.kind!r}")  # pragma: no cover


SPECS: dict[str, Spec] = {
    s.key: s
    for s in (
        Spec(
            "source",
            "choice",
            None,
            "Kind of extract, instead of detecting it from the columns.",
            SOURCE_KINDS,
        ),
        Spec(
            "encoding",
            "text",
            None,
            "Text encoding (utf-8, utf-16, cp1258) instead of detecting it.",
        ),
        Spec("sheet", "text", None, "Excel sheet to read (default: the first)."),
        Spec(
            "gender_codes",
            "text",
            None,
            "How numbers in the gender column read (default 1=Nam, 2=Nữ).",
        ),
        Spec(
            "formats",
            "formats",
            DEFAULT_FORMATS,
            "Comma-separated: parquet, csv, xlsx (report.xlsx: the report to open).",
            FORMATS,
            flag="--format",
        ),
        Spec("lang", "choice", None, "Language of messages, error lines included.", LANGS),
        Spec("mask", "bool", False, "Mask ID numbers and BHXH codes in reports."),
        Spec(
            "shared",
            "bool",
            False,
            "Let the owner's group read the results (files 0640, "
            "folders 0750; default: owner only, 0600 and 0700).",
        ),
        Spec("fail_on", "choice", "error", "Lowest severity that makes the exit code 1.", FAIL_ON),
        Spec(
            "threshold",
            "share",
            THRESHOLD,
            "Score from which two records are linked as one person.",
            reconcile_only=True,
        ),
        Spec(
            "review_threshold",
            "share",
            None,
            "Score from which an unlinked pair goes to "
            f"review (default {REVIEW_THRESHOLD:.2f}, at most --threshold).",
            reconcile_only=True,
        ),
        Spec(
            "twins_guard",
            "bool",
            True,
            "Keep records whose given names clearly differ "
            "apart unless they share a number (twins). --no-twins-guard only for lists "
            "known to hold no twins.",
            reconcile_only=True,
            flag="--twins-guard",
        ),
    )
}


def unknown_key(key: str, known: tuple[str, ...]) -> Msg:
    """The line for a jobs-file key that is not one: the nearest valid key, if any."""
    import difflib

    near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if near:
        return msg("unknown key; did you mean {near!r}?", near=near[0])
    return msg("unknown key; use {keys}", keys=", ".join(known))
