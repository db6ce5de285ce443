"""``fix``: each extract written back with its certain repairs, and what is left (issue 17).

One pass per file, chunk by chunk, as ``validate`` reads it: each prepared chunk is
checked (the findings of the file as it came), repaired (``cleanse.repair``; with a
reference, also the values ``cleanse.sync`` takes from linked population records), and
the rows that changed are prepared and checked again as they now read. A row whose
repairs would raise a finding its values did not raise (a gender word made Nam beside
an ID whose gender digit says Nữ) keeps only its column-level repairs: a repair that
contradicts the record is not certain. The chunk, as repaired, is written into the copy
(``cleanse.rewrite``) and its duplicate keys collected, so the findings at the end are
those of the fixed file: what ``validate`` finds on it, and what the worklist lists.

Imports ``validation``, ``repair``, ``rewrite``, ``prepare``, ``rules``, ``read``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa

from cleanse.damage import column_findings
from cleanse.output import run_header
from cleanse.prepare import prepare, prepared_chunks
from cleanse.read import Chunk, Extract, check_distinct_names, open_extract
from cleanse.repair import Conventions, Repaired, name_case, repair
from cleanse.rules.duplicates import DuplicateCollector, chunk_keys
from cleanse.validation import FileResult, _complete, _empty, _FileRun, locate, summarise

_TEXT = pd.StringDtype("pyarrow")

CHANGE_COLUMNS = [
    "source",
    "row",
    "sheet_row",
    "column",
    "field",
    "value",
    "fixed",
    "rule",
    "evidence",
]
# What the worklist shows of a record, as fixed.
WORK_FIELDS = ("full_name", "id_number", "dob", "address", "ward", "house_number", "death_date")
# The folder of a run's output that holds the fixed copies.
FIXED_FOLDER = "fixed"


@dataclass
class FixedFile:
    """One file fixed: the findings left on its copy, its changes, its records' details."""

    result: FileResult  # of the fixed copy: findings, people (WORK_FIELDS), rows
    original: pd.DataFrame  # the findings of the file as it came
    changes: pd.DataFrame
    copy: Path  # where the copy was written


def _keys_of(findings: pd.DataFrame) -> pd.Series:
    return (
        findings["row"].astype("string")
        + "|"
        + findings["rule"].astype("string")
        + "|"
        + findings["field"].astype("string").fillna("")
    )


class _FixFile(_FileRun):
    """The repairs and checks of one file, fed its prepared chunks in order."""

    def __init__(
        self,
        extract: Extract,
        today: pd.Timestamp | None,
        lang: str,
        gender_codes: Mapping[str, str] | None,
        stated_codes: bool,
        dest: Path,
        sync: Callable[[pd.DataFrame, Repaired, Extract, pd.DataFrame, Conventions], None]
        | None = None,
    ) -> None:
        super().__init__(extract, today, lang, people=True)
        from cleanse.rewrite import copy_writer

        self.people = {f: [] for f in WORK_FIELDS}
        self.gender_codes, self.stated_codes = gender_codes, stated_codes
        self.conventions: Conventions | None = None
        self.sync = sync
        self.dest = dest
        self.writer = copy_writer(extract, dest)
        self.original: list[pd.DataFrame] = []
        self.original_duplicates = DuplicateCollector()
        self.changes: list[pd.DataFrame] = []
        cols = extract.columns
        self.columns = [cols.fields.get(h, h) for h in cols.headers]

    def _repair(
        self,
        prepared: pd.DataFrame,
        chunk: Chunk,
        optional: bool,
        before: pd.DataFrame | None = None,
    ) -> Repaired:
        assert self.conventions is not None
        rep = repair(
            prepared,
            self.conventions,
            self.lang,
            legacy=chunk.legacy,
            names=optional,
            genders=optional,
        )
        if optional and self.sync is not None:
            assert before is not None
            self.sync(prepared, rep, self.extract, before, self.conventions)
        return rep

    def _fixed(self, prepared: pd.DataFrame, rep: Repaired) -> pd.DataFrame:
        frame = prepared[[c for c in prepared.columns[: self._raw_width]]].copy(deep=False)
        for f, values in rep.values.items():
            frame[f] = values
        return frame

    def add_chunk(self, chunk: Chunk, prepared: pd.DataFrame, keys: dict[str, np.ndarray]) -> None:
        """Check, repair, check again where changed, write; collect what is left."""
        self._raw_width = len(chunk.frame.columns)
        if self.conventions is None:
            joined = bool(self.extract.columns.joined)
            self.conventions = Conventions(
                name_case=name_case(prepared), gender_codes=self.stated_codes, joined_name=joined
            )
        before = self.schema.findings(prepared)
        self.original.append(before)
        self.original_duplicates.extend(keys)
        damage = self.extract.damage
        if damage is not None and damage.damaged:
            damage.add(prepared)
        rep = self._repair(prepared, chunk, True, before)
        changed = np.unique(rep.changes["row"].to_numpy(dtype=np.int64)) - 1
        findings = before
        if len(changed):
            fixed = self._fixed(prepared, rep)
            after, again = self._check(fixed.loc[changed])
            # Rows where the repairs raised a finding of their own keep only the
            # certain column-level ones (numbers, dates, encodings).
            new = ~_keys_of(after).isin(set(_keys_of(before)))
            if new.any():
                redo = np.unique(after.loc[new, "row"].to_numpy(dtype=np.int64)) - 1
                sub = prepared.loc[redo]
                plain = self._repair(sub, _sub_chunk(chunk, redo), optional=False)
                rep = _replace_rows(rep, plain, redo, prepared)
                fixed = self._fixed(prepared, rep)
                changed = np.unique(rep.changes["row"].to_numpy(dtype=np.int64)) - 1
                if len(changed):
                    after, again = self._check(fixed.loc[changed])
                else:
                    after, again = after[:0], None
            findings = pd.concat(
                [before[~before["row"].isin(changed + 1)], after], ignore_index=True
            )
            if again is not None:
                pos = changed - prepared.index[0]
                sub_keys = chunk_keys(again)
                for k, arr in sub_keys.items():
                    if k in keys:
                        keys[k] = keys[k].copy()
                        keys[k][pos] = arr
        else:
            fixed = self._fixed(prepared, rep)
        self.parts.append(findings)
        self.duplicates.extend(keys)
        self.rows += len(prepared)
        self.changes.append(rep.changes)
        self.writer.write(self._out_frame(fixed))
        assert self.people is not None
        for f, arrays in self.people.items():
            values = fixed[f].astype(_TEXT) if f in fixed.columns else None
            arrays.append(
                pa.array(values.array, pa.string())
                if values is not None
                else pa.nulls(len(fixed), pa.string())
            )

    def _check(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """The row findings of records as they read once repaired (no damage left)."""
        again = prepare(frame, self.gender_codes, None)
        return self.schema.findings(again), again

    def _out_frame(self, fixed: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(
            {h: fixed[c] for h, c in zip(self.extract.columns.headers, self.columns, strict=True)},
            index=fixed.index,
        )
        return out.astype(_TEXT)

    def finish(self) -> FixedFile:
        ext = self.extract
        self.writer.close()
        self.parts.append(self.duplicates.findings())
        parts = [p for p in self.parts if len(p)] or [_empty(["row"])]
        findings = _complete(pd.concat(parts, ignore_index=True), ext, self.lang)
        result = FileResult(ext, self.rows, findings, people=self._people(findings))
        self.original.append(self.original_duplicates.findings())
        diagnoses = ext.damage.entries(ext, self.lang) if ext.damage is not None else []
        self.original.append(column_findings(diagnoses))
        result.diagnoses = diagnoses  # what the file came with, for the summary
        originals = [p for p in self.original if len(p)] or [_empty(["row"])]
        original = _complete(pd.concat(originals, ignore_index=True), ext, self.lang)
        return FixedFile(result, original, self._changes(), self.dest)

    def _changes(self) -> pd.DataFrame:
        ext = self.extract
        changes = pd.concat(self.changes, ignore_index=True)
        n = len(changes)
        out = pd.DataFrame(
            {
                "source": pd.Series([ext.name] * n, dtype=_TEXT),
                "row": pd.array(changes["row"].to_numpy(), dtype="Int64"),
                "field": changes["field"].astype(_TEXT),
            }
        )
        locate(out, ext)
        for c in ("value", "fixed", "rule", "evidence"):
            out[c] = changes[c].astype(_TEXT).to_numpy()
        out = out[CHANGE_COLUMNS]
        # Which values came from the reference (not written: the evidence says it).
        out["synced"] = changes["repair"].astype(str).str.startswith("sync").to_numpy()
        return out

    def abort(self) -> None:
        self.writer.abort()


def _sub_chunk(chunk: Chunk, at: np.ndarray) -> Chunk:
    return Chunk(
        chunk.frame.loc[at], int(at[0]) + 1, {f: s.loc[at] for f, s in chunk.legacy.items()}
    )


def _replace_rows(
    rep: Repaired, plain: Repaired, rows: np.ndarray, prepared: pd.DataFrame
) -> Repaired:
    """``rep`` with the repairs of ``rows`` replaced by ``plain``'s (made on those rows)."""
    keep = rep.changes[~rep.changes["row"].isin(rows + 1)]
    changes = pd.concat([keep, plain.changes], ignore_index=True).sort_values(
        "row", kind="stable", ignore_index=True
    )
    values = {}
    for f, series in rep.values.items():
        base = series.copy()
        source = plain.values[f] if f in plain.values else prepared[f].astype(_TEXT)
        base.loc[rows] = source.loc[rows].to_numpy()
        values[f] = base
    return Repaired(values, changes)


def fix_extracts(
    extracts: Sequence[Extract],
    folder: Path,
    *,
    today: pd.Timestamp | None = None,
    gender_codes: Mapping[str, str] | None = None,
    stated_codes: bool = False,
    lang: str = "vi",
    sync: Callable[[pd.DataFrame, Repaired, Extract, pd.DataFrame, Conventions], None]
    | None = None,
    on_file: Callable[[Extract], None] | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> list[FixedFile]:
    """Fix opened extracts into ``folder`` (one copy each, named as the input)."""
    results: list[FixedFile] = []
    run: _FixFile | None = None
    folder.mkdir(parents=True, exist_ok=True)

    def next_file() -> _FixFile | None:
        if run is not None:
            results.append(run.finish())
        i = len(results)
        if i == len(extracts):
            return None
        if on_file:
            on_file(extracts[i])
        ext = extracts[i]
        dest = folder / ext.name
        return _FixFile(ext, today, lang, gender_codes, stated_codes, dest, sync)

    stream = prepared_chunks(
        extracts,
        gender_codes,
        lambda i, c, prepared: (c, prepared, chunk_keys(prepared)),
        ahead=2,
    )
    try:
        run = next_file()
        for i, (chunk, prepared, keys) in stream:
            while len(results) < i:
                run = next_file()
            assert run is not None
            run.add_chunk(chunk, prepared, keys)
            if on_rows:
                on_rows(len(prepared))
        while run is not None:
            run = next_file()
    except BaseException:
        if run is not None:
            run.abort()
        raise
    return results


@dataclass
class FixRun:
    """What ``fix`` did to every file, and what it left for a person."""

    files: list[FixedFile]
    findings: pd.DataFrame  # of the fixed copies
    original: pd.DataFrame  # of the files as they came
    changes: pd.DataFrame
    people: pd.DataFrame  # source, row and WORK_FIELDS of each record a finding names
    summary: dict[str, Any] = field(default_factory=dict)


def fix_files(
    paths: Sequence[str],
    folder: Path,
    *,
    read_settings: Mapping[str, Any] | None = None,
    today: pd.Timestamp | None = None,
    gender_codes: Mapping[str, str] | None = None,
    stated_codes: bool = False,
    lang: str = "vi",
    sync: Callable[[pd.DataFrame, Repaired, Extract, pd.DataFrame, Conventions], None]
    | None = None,
    on_file: Callable[[Extract], None] | None = None,
    on_rows: Callable[[int], None] | None = None,
    extracts: Sequence[Extract] | None = None,
) -> FixRun:
    """Open every file first (a bad one stops the run before any work), then fix them."""
    started = time.time()
    if extracts is None:
        extracts = [open_extract(p, **dict(read_settings or {})) for p in paths]
        check_distinct_names(list(extracts))
    files = fix_extracts(
        extracts,
        folder,
        today=today,
        gender_codes=gender_codes,
        stated_codes=stated_codes,
        lang=lang,
        sync=sync,
        on_file=on_file,
        on_rows=on_rows,
    )
    results = [f.result for f in files]
    findings = pd.concat([r.findings for r in results], ignore_index=True)
    original = pd.concat([f.original for f in files], ignore_index=True)
    changes = pd.concat([f.changes for f in files], ignore_index=True)
    frames = [
        r.people.assign(source=pd.array([r.extract.name] * len(r.people), dtype=_TEXT))
        for r in results
        if r.people is not None
    ]
    people = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame({c: pd.Series(dtype=_TEXT) for c in ("source", "row", *WORK_FIELDS)})
    )
    summary = summarise(results, findings, started)
    summary.update(run_header("fix", started))
    summary["changes"] = _change_counts(changes)
    summary["counts"]["before_fix"] = {
        "findings": len(original),
        "by_rule": {str(k): int(v) for k, v in original["rule"].value_counts().items()},
    }
    return FixRun(files, findings, original, changes, people, summary)


def _change_counts(changes: pd.DataFrame) -> dict[str, Any]:
    """How many cells each rule's repairs changed, per field."""
    by_rule = changes.groupby(["rule", "field"], sort=True).size()
    out: dict[str, dict[str, int]] = {}
    for key, n in by_rule.items():
        rule, f = cast(tuple[str, str], key)
        out.setdefault(str(rule), {})[str(f)] = int(n)
    return {"cells": len(changes), "by_rule": out}
