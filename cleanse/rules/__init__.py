"""The rule registry: every rule code with its severity, fields and vi/en messages.

A rule is a small pure function over a prepared chunk that returns a boolean Series,
True where a row *breaks* the rule (the reverse of a pandera ``Check``). Rule families
live one module each and register themselves when imported below.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd

SEVERITIES = ("error", "warning")

# A rule returns one boolean Series (its finding names ``Rule.field``), or, for a rule
# that can name several fields (``field.missing``), a frame of one boolean column per field.
RuleFunc = Callable[[pd.DataFrame, "Context"], "pd.Series | pd.DataFrame"]


@dataclass(frozen=True)
class Rule:
    """One rule: its stable code, severity, the field a finding names, and its messages."""

    code: str
    severity: str
    field: str  # the field a finding names ("" when the rule is about the row)
    needs: tuple[str, ...]  # canonical fields the rule reads; skipped when one is absent
    vi: str
    en: str
    check: RuleFunc | None  # None for whole-file rules that run outside the row pass
    suggest: RuleFunc | None = None  # the suggested value, aligned like ``check``'s result
    scope: str = "row"  # "row": a check per chunk; "file": collected over the whole file
    # (field, vi, en): the message of a finding that names this field instead of ``field``
    variants: tuple[tuple[str, str, str], ...] = ()

    def message(self, lang: str, field: str | None = None) -> str:
        """The rule's message in ``vi`` or ``en`` (a variant's, for a finding naming ``field``)."""
        for name, vi, en in self.variants:
            if field is not None and name == field:
                return vi if lang == "vi" else en
        return self.vi if lang == "vi" else self.en


REGISTRY: dict[str, Rule] = {}

F = TypeVar("F", bound=Callable[..., Any])
_memo = threading.local()


def per_chunk(fn: F) -> F:
    """Compute ``fn(chunk, *args)`` once per chunk: rules share what they derive.

    Several rules need the same derived mask (a usable birth date, the restored ID's
    parts); each is computed on the first call for a chunk and reused until the next
    chunk arrives. The chunk is held weakly, and the memo is per thread.
    """

    @functools.wraps(fn)
    def wrapper(chunk: pd.DataFrame, *args: Any) -> Any:
        ref = getattr(_memo, "chunk", None)
        if ref is None or ref() is not chunk:
            _memo.chunk, _memo.values = weakref.ref(chunk), {}
        key = (fn, *map(id, args))
        if key not in _memo.values:
            _memo.values[key] = fn(chunk, *args)
        return _memo.values[key]

    return wrapper  # type: ignore[return-value]


@dataclass(frozen=True)
class Context:
    """What a rule may know besides the chunk: today's date and the reference data."""

    today_ord: int  # yyyymmdd
    oldest_ord: int  # yyyymmdd, 120 years before today
    required: tuple[str, ...] = ()  # fields the file's kind requires

    @classmethod
    def for_date(cls, today: pd.Timestamp | None = None, required: tuple[str, ...] = ()) -> Context:
        """A context for ``today`` (default: the current date) and a kind's required fields."""
        day = (today or pd.Timestamp.today()).normalize()
        ordinal = day.year * 10000 + day.month * 100 + day.day
        return cls(today_ord=ordinal, oldest_ord=ordinal - 120 * 10000, required=required)


def file_rule(
    code: str,
    *,
    severity: str,
    field: str,
    vi: str,
    en: str,
    variants: tuple[tuple[str, str, str], ...] = (),
) -> None:
    """Register a whole-file rule (duplicates): its findings come from a collector.

    ``variants`` are ``(field, vi, en)``: a finding of the rule that names that field
    carries that message (one person with two BHXH books is a ``record.duplicate``).
    """
    if code in REGISTRY:
        raise ValueError(f"rule {code} registered twice")
    REGISTRY[code] = Rule(code, severity, field, (), vi, en, None, None, "file", variants)


def rule(
    code: str,
    *,
    severity: str,
    field: str,
    needs: tuple[str, ...],
    vi: str,
    en: str,
    suggest: RuleFunc | None = None,
) -> Callable[[RuleFunc], RuleFunc]:
    """Register a row rule under ``code``; it runs when the file has every field in ``needs``."""
    if severity not in SEVERITIES:
        raise ValueError(f"{code}: severity {severity!r}")

    def register(func: RuleFunc) -> RuleFunc:
        if code in REGISTRY:
            raise ValueError(f"rule {code} registered twice")
        REGISTRY[code] = Rule(code, severity, field, needs, vi, en, func, suggest)
        return func

    return register


# Importing a family registers its rules.
from cleanse.rules import completeness, ids, dob, person, text, duplicates, links  # noqa: E402,F401,I001

# The order of SPEC §3's table: how `cleanse rules`, summaries and reports list them.
SPEC_ORDER = (
    "id.missing",
    "id.format",
    "id.leading_zeros",
    "id.legacy",
    "id.place_code",
    "id.foreign_code",
    "id.gender_century",
    "id.birth_year",
    "id.duplicate",
    "bhxh.format",
    "bhxh.duplicate",
    "field.missing",
    "dob.invalid",
    "dob.out_of_range",
    "dob.partial",
    "gender.invalid",
    "name.invalid",
    "name.format",
    "text.mojibake",
    "death.before_birth",
    "record.duplicate",
    "dob.day_month_swapped",
)
# The order of SPEC §4's table: the cross-file rules of `reconcile`, kept out of
# ``REGISTRY`` (the single-file rules that `validate` runs) in ``RECONCILE_RULES``.
RECONCILE_ORDER = (
    "link.field_mismatch",
    "link.id_conflict",
    "link.unmatched",
    "person.duplicate",
    "vital.deceased_active",
)
_listed = set(SPEC_ORDER) | set(RECONCILE_ORDER)
if _listed != set(REGISTRY) or set(SPEC_ORDER) & set(RECONCILE_ORDER):
    # a rule added to one list and not the other
    raise RuntimeError(f"rule lists differ: {_listed ^ set(REGISTRY)}")
RECONCILE_RULES = {code: REGISTRY[code] for code in RECONCILE_ORDER}
REGISTRY = {code: REGISTRY[code] for code in SPEC_ORDER}
# Every rule of every command, validate's first: for `cleanse rules` and reports.
ALL_RULES = {**REGISTRY, **RECONCILE_RULES}
