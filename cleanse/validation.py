"""``validate``: every single-file rule over an extract, chunk by chunk (SPEC §3).

Per file, one pandera schema is built for its kind: a column for each field a finding can
name, the kind's required fields marked required, and every row rule of the registry as a
named ``Check`` on the column its finding names. Each prepared chunk is validated lazily,
so every failure is collected; pandera's failure cases (column, check, raw value, index)
become findings rows. Whole-file rules (duplicates) collect keys per chunk and report at
the end, so memory stays bounded by the chunk size.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa

from cleanse.damage import column_findings
from cleanse.output import FINDING_COLUMNS, run_header
from cleanse.prepare import prepared_chunks
from cleanse.read import Extract, check_distinct_names, column_headers, open_extract
from cleanse.rules import REGISTRY, Context, Rule
from cleanse.rules.duplicates import DuplicateCollector, chunk_keys
from cleanse.rules.ids import ROUNDED_MESSAGES

if TYPE_CHECKING:
    import pandera.pandas as pda

RULE_ORDER = {code: i for i, code in enumerate(REGISTRY)}


@dataclass
class _Chunk:
    """The chunk a schema's checks are validating, and each rule's result on it."""

    frame: pd.DataFrame | None = None
    results: dict[str, Any] = field(default_factory=dict)
    suggestions: dict[str, Any] = field(default_factory=dict)


class KindSchema:
    """The pandera schema of one source kind, whose checks are the registry's row rules."""

    def __init__(self, extract: Extract, ctx: Context, lang: str = "vi") -> None:
        import pandera.pandas as pda  # here, while the first chunks are being read

        self.ctx, self.lang = ctx, lang
        self.current = _Chunk()
        present = extract.columns.present
        self.rules = [
            r for r in REGISTRY.values() if r.scope == "row" and all(n in present for n in r.needs)
        ]
        checks: dict[str, list[pda.Check]] = {}
        for r in self.rules:
            for name in self._fields(r, present, ctx):
                checks.setdefault(name, []).append(
                    pda.Check(self._check_fn(r, name), name=r.code, ignore_na=False)
                )
        columns = {
            name: pda.Column(checks=cs, nullable=True, required=name in ctx.required)
            for name, cs in checks.items()
        }
        self.schema = pda.DataFrameSchema(columns, name=extract.kind, strict=False)

    @staticmethod
    def _fields(r: Rule, present: frozenset[str], ctx: Context) -> list[str]:
        """The columns a rule's findings can name in a file with these fields."""
        if r.code == "field.missing":
            names = [f for f in ctx.required if f != "id_number"]
            return names + (["death_date"] if "event" in ctx.required else [])
        if r.code == "text.mojibake":
            from cleanse.prepare import TEXT_FIELDS

            return [f for f in TEXT_FIELDS if f in present]
        return [r.field]

    def _result(self, r: Rule) -> Any:
        cache = self.current.results
        if r.code not in cache:
            assert r.check is not None
            cache[r.code] = r.check(self.current.frame, self.ctx)  # type: ignore[arg-type]
        return cache[r.code]

    def _check_fn(self, r: Rule, name: str) -> Callable[[pd.Series], pd.Series]:
        def passes(column: pd.Series) -> pd.Series:
            out = self._result(r)
            broken = out[name] if isinstance(out, pd.DataFrame) else out
            return ~broken.reindex(column.index, fill_value=False)

        return passes

    def suggestion(self, r: Rule, name: str) -> pd.Series | None:
        """The rule's suggested values for the column, on the current chunk."""
        if r.suggest is None:
            return None
        cache = self.current.suggestions
        if r.code not in cache:
            cache[r.code] = r.suggest(self.current.frame, self.ctx)  # type: ignore[arg-type]
        out = cache[r.code]
        return out[name] if isinstance(out, pd.DataFrame) else out

    def findings(self, prepared: pd.DataFrame) -> pd.DataFrame:
        """Validate one prepared chunk lazily; return ``row, rule, field, value, suggestion``."""
        from pandera.errors import SchemaErrors

        self.current = _Chunk(prepared)
        frame_rules = {r.code: r for r in self.rules}
        # Column by column: the schema has no frame-wide checks, and pandera would
        # assemble every column's failure cases a second time for the frame (a quarter
        # of the checks' cost at a million rows).
        failed = []
        for column in self.schema.columns.values():
            try:
                column.validate(prepared, lazy=True, inplace=True)
            except SchemaErrors as exc:
                failed.append(exc.failure_cases)
        if not failed:
            self.current = _Chunk()
            return _empty(["row", "rule", "field", "value", "suggestion", "message"])
        cases = pd.concat(failed, ignore_index=True)
        cases = cases[cases["check"].isin(frame_rules) & cases["index"].notna()]
        out = pd.DataFrame(
            {
                "row": cases["index"].astype("int64").to_numpy() + 1,
                "rule": cases["check"].to_numpy(),
                "field": cases["column"].to_numpy(),
                "value": cases["failure_case"].astype("string").to_numpy(),
            }
        )
        out["suggestion"] = pd.Series(pd.NA, index=out.index, dtype="string")
        out["message"] = pd.Series(pd.NA, index=out.index, dtype="string")
        for key, idx in out.groupby(["rule", "field"]).groups.items():
            code, name = cast(tuple[str, str], key)
            at = out.loc[idx, "row"].to_numpy() - 1
            suggested = self.suggestion(frame_rules[code], name)
            if suggested is not None:
                out.loc[idx, "suggestion"] = suggested.reindex(at).to_numpy()
            rounded = _ROUNDED.get((code, name))
            if rounded is not None and rounded in prepared.columns:
                # A number a spreadsheet rounded: the message says its digits are lost.
                hit = prepared[rounded].reindex(at, fill_value=False).to_numpy(dtype=bool)
                vi, en = ROUNDED_MESSAGES[name]
                out.loc[idx[hit], "message"] = vi if self.lang == "vi" else en
        self.current = _Chunk()
        return out


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="string") for c in columns})


RESTORED_COLUMNS = ["source", "row", "sheet_row", "column", "value", "restored"]


@dataclass
class FileResult:
    """The findings of one file and what was understood of it."""

    extract: Extract
    rows: int
    findings: pd.DataFrame
    # ``row, full_name, id_number`` as read, for each record a finding names (the
    # report shows whom a finding concerns); None when not asked for.
    people: pd.DataFrame | None = None
    # Cells a column-level repair reads differently from their text (SPEC §5).
    restored: pd.DataFrame = field(default_factory=lambda: _empty(RESTORED_COLUMNS))
    # The spreadsheet damage of its columns (``damage.Diagnosis.entries``).
    diagnoses: list[dict[str, Any]] = field(default_factory=list)


# (rule, field) -> the prepared column that marks a value a spreadsheet rounded.
_ROUNDED = {("id.format", "id_number"): "id_rounded", ("bhxh.format", "bhxh_code"): "bhxh_rounded"}
# field -> (prepared column marking a restored cell, prepared column of its new value)
_RESTORED = {
    "id_number": ("id_fixed", "id_digits"),
    "bhxh_code": ("bhxh_fixed", "bhxh_digits"),
    "dob": ("dob_fixed", "dob_restored"),
}


# The fields that say whom a record is about, shown beside its findings in the report.
PEOPLE_FIELDS = ("full_name", "id_number")


class _FileRun:
    """The checks of one file, fed its prepared chunks in order."""

    def __init__(
        self, extract: Extract, today: pd.Timestamp | None, lang: str, people: bool = True
    ) -> None:
        self.extract, self.lang = extract, lang
        self.schema = KindSchema(extract, Context.for_date(today, extract.required), lang)
        self.duplicates = DuplicateCollector()
        self.parts: list[pd.DataFrame] = []
        self.restored: list[pd.DataFrame] = []
        self.rows = 0
        # Name and ID of every record, as compact Arrow text: a duplicate found at the
        # end may name any row (about 40 bytes a record).
        self.people: dict[str, list[pa.Array]] | None = (
            {f: [] for f in PEOPLE_FIELDS} if people else None
        )

    def add(self, prepared: pd.DataFrame, keys: dict[str, np.ndarray]) -> None:
        self.parts.append(self.schema.findings(prepared))
        self.duplicates.extend(keys)  # in file order
        self.rows += len(prepared)
        damage = self.extract.damage
        if damage is not None and damage.damaged:
            damage.add(prepared)
            self.restored.extend(_restored_cells(prepared, self.extract))
        if self.people is not None:
            for f, arrays in self.people.items():
                if f in prepared.columns:
                    values = prepared[f].astype("string")
                    flag, new = _RESTORED.get(f, ("", ""))
                    if flag in prepared.columns and new in prepared.columns:
                        # Whom the finding concerns, by the ID as restored (0862…, not
                        # the number a spreadsheet left, 862…).
                        fixed = prepared[flag].to_numpy(dtype=bool)
                        values = values.where(~fixed, prepared[new].astype("string"))
                    arrays.append(pa.array(values.array, pa.string()))
                else:
                    arrays.append(pa.nulls(len(prepared), pa.string()))

    def result(self) -> FileResult:
        ext = self.extract
        self.parts.append(self.duplicates.findings())
        diagnoses = ext.damage.entries(ext, self.lang) if ext.damage is not None else []
        self.parts.append(column_findings(diagnoses))
        parts = [p for p in self.parts if len(p)] or [_empty(["row"])]
        findings = _complete(pd.concat(parts, ignore_index=True), ext, self.lang)
        return FileResult(
            ext,
            self.rows,
            findings,
            people=self._people(findings),
            restored=self._restored(),
            diagnoses=diagnoses,
        )

    def _restored(self) -> pd.DataFrame:
        if not self.restored:
            return _empty(RESTORED_COLUMNS)
        out = pd.concat(self.restored, ignore_index=True)
        out["sheet_row"] = pd.array(self.extract.sheet_rows(out["row"]), dtype="Int64")
        self.restored = []
        return out[RESTORED_COLUMNS]

    def _people(self, findings: pd.DataFrame) -> pd.DataFrame | None:
        """Name and ID of each record the findings name (the others are let go)."""
        if self.people is None:
            return None
        rows = findings["row"].dropna().astype("int64").unique()
        rows.sort()
        at = pa.array(rows - 1)
        out = pd.DataFrame({"row": pd.array(rows, dtype="Int64")})
        for f, arrays in self.people.items():
            # Their chunks: a chunked array of chunked arrays is made value by value
            # (1.4 s for a million names).
            chunks = [c for a in arrays for c in getattr(a, "chunks", [a])]
            values = pa.chunked_array(chunks, pa.string()).take(at) if len(rows) else []
            out[f] = pd.array(values, dtype=pd.StringDtype("pyarrow"))
        self.people = None
        return out


def _restored_cells(prepared: pd.DataFrame, ext: Extract) -> list[pd.DataFrame]:
    """The cells of the chunk that a column-level repair put back: ``source, row,
    column, value`` (as read), ``restored`` (as the rules read it)."""
    out = []
    for f, (flag, new) in _RESTORED.items():
        if flag not in prepared.columns or f not in prepared.columns:
            continue
        hit = prepared[flag].to_numpy(dtype=bool)
        if not hit.any():
            continue
        n = int(hit.sum())
        out.append(
            pd.DataFrame(
                {
                    "source": pd.Series([ext.name] * n, dtype="string"),
                    "row": pd.array(prepared.index.to_numpy()[hit] + 1, dtype="Int64"),
                    "column": pd.Series([ext.columns.header_of(f) or f] * n, dtype="string"),
                    "value": prepared[f].astype("string").to_numpy()[hit],
                    "restored": prepared[new].astype("string").to_numpy()[hit],
                }
            )
        )
    return out


def validate_extracts(
    extracts: Sequence[Extract],
    *,
    today: pd.Timestamp | None = None,
    gender_codes: Mapping[str, str] | None = None,
    lang: str = "vi",
    on_file: Callable[[Extract], None] | None = None,
    on_rows: Callable[[int], None] | None = None,
    people: bool = True,
) -> list[FileResult]:
    """Run every single-file rule over opened extracts, each on its own, chunk by chunk.

    The chunks of all the files form one stream, read, prepared and keyed for
    duplicates two chunks ahead in worker threads, so the next file's first chunks are
    ready while the last one's checks finish. With ``people`` each result lists the
    name and ID of the records its findings name (``FileResult.people``).
    """
    results: list[FileResult] = []
    run: _FileRun | None = None

    def next_file() -> _FileRun | None:
        """Finish the current file; start the next one (None after the last)."""
        if run is not None:
            results.append(run.result())
        i = len(results)
        if i == len(extracts):
            return None
        if on_file:
            on_file(extracts[i])
        return _FileRun(extracts[i], today, lang, people)

    # The duplicate keys are made in the reading threads too. Reading starts before the
    # first file's schema is built.
    stream = prepared_chunks(
        extracts, gender_codes, lambda i, c, prepared: (prepared, chunk_keys(prepared)), ahead=2
    )
    run = next_file()
    for i, (prepared, keys) in stream:
        while len(results) < i:  # a file with no records still gets its result
            run = next_file()
        assert run is not None
        run.add(prepared, keys)
        if on_rows:
            on_rows(len(prepared))
    while run is not None:
        run = next_file()
    return results


def _complete(found: pd.DataFrame, ext: Extract, lang: str) -> pd.DataFrame:
    """Add the SPEC columns (source, severity, message, related_*, sheet_row, column)
    and sort; a finding about a whole column (row empty) comes first."""
    source = ext.name
    n = len(found)
    out = pd.DataFrame(index=range(n))
    out["source"] = pd.Series([source] * n, dtype="string")
    out["row"] = _col(found, "row", "Int64")
    rule = found.get("rule", pd.Series(dtype="string")).astype("string").reset_index(drop=True)
    out["rule"] = rule
    out["severity"] = rule.map({c: r.severity for c, r in REGISTRY.items()}).astype("string")
    fld = found.get("field", pd.Series(dtype="string")).astype("string").reset_index(drop=True)
    out["field"] = fld.mask(fld == "")
    out["value"] = _col(found, "value")
    messages = {c: r.message(lang) for c, r in REGISTRY.items()}
    msg = rule.map(messages).astype("string")
    for code, r in REGISTRY.items():
        for name, *_ in r.variants:  # a finding naming another field has its own text
            msg = msg.mask(((rule == code) & (fld == name)).fillna(False), r.message(lang, name))
    missing = rule == "field.missing"
    msg = msg.where(~missing, msg + ": " + out["field"].fillna(""))
    given = _col(found, "message")  # a message made for the finding (a column's, a rounding)
    out["message"] = given.where(given.notna(), msg)
    out["suggestion"] = _col(found, "suggestion")
    related = _col(found, "related_row", "Int64")
    out["related_row"] = related
    out["related_source"] = pd.Series([source] * n, dtype="string").where(
        related.notna().to_numpy()
    )
    locate(out, ext)
    out["_order"] = rule.map(RULE_ORDER)
    out = out.sort_values(
        ["row", "_order", "field"], kind="stable", ignore_index=True, na_position="first"
    )
    return out.drop(columns="_order")[FINDING_COLUMNS]


def locate(findings: pd.DataFrame, ext: Extract) -> None:
    """Set ``sheet_row`` (the row a spreadsheet shows) and ``column`` (the header of the
    finding's field as written in the file) on an extract's findings, in place."""
    rows = findings["row"]
    known = rows.notna().to_numpy()
    shown = np.zeros(len(findings), dtype=np.int64)
    if known.any():
        shown[known] = ext.sheet_rows(rows.to_numpy(dtype="float64", na_value=0)[known])
    findings["sheet_row"] = pd.array(shown, dtype="Int64")
    findings.loc[~known, "sheet_row"] = pd.NA
    findings["column"] = findings["field"].map(column_headers(ext)).astype("string")


def _col(frame: pd.DataFrame, name: str, dtype: str = "string") -> pd.Series:
    """A column of ``frame`` by position (0..n-1), all NA when the frame lacks it."""
    if name not in frame.columns:
        return pd.Series([pd.NA] * len(frame), dtype=dtype)
    return frame[name].astype(dtype).reset_index(drop=True)  # type: ignore[call-overload]


@dataclass
class ValidationRun:
    """Findings of every file of a run, and its summary (SPEC §5).

    ``people`` (``source, row, full_name, id_number``, as read) names the records the
    findings are about, for the report (``write.attach_people``); None without it.
    """

    files: list[FileResult]
    findings: pd.DataFrame
    summary: dict[str, Any]
    people: pd.DataFrame | None = None
    # ``source, row, sheet_row, column, value, restored`` of every file (SPEC §5).
    restored: pd.DataFrame = field(default_factory=lambda: _empty(RESTORED_COLUMNS))


def validate_files(
    paths: Iterable[str],
    *,
    read_settings: Mapping[str, Any] | None = None,
    today: pd.Timestamp | None = None,
    gender_codes: Mapping[str, str] | None = None,
    lang: str = "vi",
    on_file: Callable[[Extract], None] | None = None,
    on_rows: Callable[[int], None] | None = None,
    people: bool = True,
) -> ValidationRun:
    """Validate each file on its own. Every file is opened first, so a bad path or a
    missing column stops the run before any work (and before any output). With
    ``people`` the run lists whom each finding concerns (``ValidationRun.people``)."""
    started = time.time()
    extracts = [open_extract(p, **dict(read_settings or {})) for p in paths]
    check_distinct_names(extracts)
    results = validate_extracts(
        extracts,
        today=today,
        gender_codes=gender_codes,
        lang=lang,
        on_file=on_file,
        on_rows=on_rows,
        people=people,
    )
    findings = pd.concat([r.findings for r in results], ignore_index=True)
    summary = summarise(results, findings, started)
    restored = pd.concat([r.restored for r in results], ignore_index=True)
    everyone = _all_people(results) if people else None
    return ValidationRun(results, findings, summary, people=everyone, restored=restored)


def _all_people(results: list[FileResult]) -> pd.DataFrame:
    """Every file's people, with its source."""
    frames = [
        r.people.assign(source=pd.array([r.extract.name] * len(r.people), dtype="string"))
        for r in results
        if r.people is not None
    ]
    columns = ["source", "row", *PEOPLE_FIELDS]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in columns})
    return pd.concat(frames, ignore_index=True)[columns]


def summarise(results: list[FileResult], findings: pd.DataFrame, started: float) -> dict[str, Any]:
    """The run's summary.json content."""
    per_rule = (
        findings.groupby(["rule", "severity"]).size().reset_index(name="n")
        if len(findings)
        else pd.DataFrame(columns=["rule", "severity", "n"])
    )
    per_rule["_order"] = per_rule["rule"].map(RULE_ORDER)
    per_rule = per_rule.sort_values("_order")
    errors = findings[findings["severity"] == "error"]
    return {
        **run_header("validate", started),
        "inputs": [
            {
                **r.extract.describe(),
                "rows": r.rows,
                # Its own findings: comparing every file's name with the whole table
                # grew with files times findings (10,000 small files).
                "findings": len(r.findings),
                # What a spreadsheet did to its columns, one entry per damaged column.
                "diagnoses": [dict(d) for d in r.diagnoses],
            }
            for r in results
        ],
        "counts": {
            "findings": len(findings),
            "by_severity": {
                s: int((findings["severity"] == s).sum()) for s in ("error", "warning")
            },
            "by_rule": dict(
                zip(per_rule["rule"].astype(str), per_rule["n"].astype(int), strict=True)
            ),
            "rows_with_errors": int(errors[["source", "row"]].drop_duplicates().shape[0]),
        },
    }
