"""Stable names for records: keyed digests that survive moved rows and renamed files.

A record is known by its ID number, else its BHXH code, else its folded name with its
birth date (``key_texts``); a record with none of them by its file and row. Batch
``changes`` names each finding's record so (``record_keys``), and officers' decisions
are keyed so (issue 18): a decision follows the person, never a row number.

A decision also remembers the values it was taken on (``value_texts``: the ID, the BHXH
code, the name as written, in one tone-mark placement, the birth date and the gender, as
the rules read them). When they change the decision lapses: a "correct as it is" said of
01/01/1950 says nothing of 01/01/1951. Repairs that do not change what a value means
(leading zeros restored, a date written dd/mm/yyyy, NFC) leave them as they were.

Every text is turned into a keyed digest (HMAC-SHA256 under the installation's key,
``cleanse.secret``; the first 24 hex digits), so a key reveals nothing of the person.

Of cleanse it imports ``read``, ``prepare`` and ``secret``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# The fields a record's key and values are made of, as the file has them.
KEY_FIELDS = ("id_number", "bhxh_code", "full_name", "dob")
VALUE_FIELDS = (*KEY_FIELDS, "gender")
DIGEST_LENGTH = 24


def key_texts(prepared: pd.DataFrame) -> list[str]:
    """``id:…``, ``bhxh:…`` or ``name:…|dob`` for each prepared row ("" when none)."""
    ids = prepared["id_digits"].astype("string")
    bhxh = prepared["bhxh_digits"].astype("string")
    name = prepared["name_key"].astype("string")
    named = "name:" + name + "|" + _dob(prepared).fillna("")
    key = ("id:" + ids).fillna("bhxh:" + bhxh).fillna(named).fillna("")
    return [str(k) for k in key.tolist()]


def value_texts(prepared: pd.DataFrame) -> list[str]:
    """The values a decision on each prepared row is taken on, as one text per row."""
    parts = [
        prepared["id_digits"].astype("string"),
        prepared["bhxh_digits"].astype("string"),
        prepared["name_clean"].astype("string"),
        _dob(prepared),
        prepared["gender_code"].astype("string")
        if "gender_code" in prepared
        else pd.Series(pd.NA, index=prepared.index, dtype="string"),
    ]
    joined = parts[0].fillna("")
    for part in parts[1:]:
        joined = joined + "|" + part.fillna("")
    return [str(v) for v in joined.tolist()]


def _dob(prepared: pd.DataFrame) -> pd.Series:
    dob = prepared["dob_ord"].astype("Int64").astype("string")
    dob = dob.fillna(prepared["dob_year"].astype("Int64").astype("string"))
    if "dob" in prepared:
        dob = dob.fillna(prepared["dob"].astype("string").str.strip())
    return dob


def digests(texts: Iterable[str]) -> list[str]:
    """The keyed digest of each text (each distinct text digested once)."""
    from cleanse.secret import keyed_digests

    texts = list(texts)
    distinct = list(dict.fromkeys(texts))
    short = dict(zip(distinct, (d[:DIGEST_LENGTH] for d in keyed_digests(distinct)), strict=True))
    return [short[t] for t in texts]


def record_keys(
    findings: pd.DataFrame,
    paths: Mapping[str, Path],
    read_settings: Mapping[str, Any],
    gender_codes: Mapping[str, str] | None = None,
) -> pd.Series:
    """The key of the record of each finding (``source``, ``row``), stable when rows move.

    Only the rows that have findings are read again and prepared. A finding about a
    whole column, or of a file not in ``paths``, is keyed by its file and row.
    """
    return _keyed(findings, paths, read_settings, gender_codes, values=False)["record"]


def record_values(
    findings: pd.DataFrame,
    paths: Mapping[str, Path],
    read_settings: Mapping[str, Any],
    gender_codes: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """``record`` (as ``record_keys``) and ``checked``, the digest of the record's values
    (``value_texts``; empty for a finding with no row), for each finding."""
    return _keyed(findings, paths, read_settings, gender_codes, values=True)


def _keyed(
    findings: pd.DataFrame,
    paths: Mapping[str, Path],
    read_settings: Mapping[str, Any],
    gender_codes: Mapping[str, str] | None,
    values: bool,
) -> pd.DataFrame:
    from cleanse.read import open_extract

    out = pd.DataFrame(
        {
            "record": pd.Series(pd.NA, index=findings.index, dtype="string"),
            "checked": pd.Series(pd.NA, index=findings.index, dtype="string"),
        }
    )
    if not len(findings):
        return out
    keyer = _Keyer(gender_codes, values=values)
    for source, group in findings.groupby("source", sort=False):
        name = str(source)
        wanted = np.unique(group["row"].dropna().astype("int64").to_numpy())
        if name not in paths or not len(wanted):
            continue
        ext = open_extract(paths[name], **dict(read_settings))
        for chunk in ext.chunks():
            take = np.isin(chunk.rows.to_numpy(), wanted)
            if take.any():
                keyer.add(name, chunk.rows.to_numpy()[take], chunk.frame[take])
    texts = keyer.texts()
    keys, checked = [], []
    for source, row in zip(
        findings["source"].astype(str), findings["row"].astype("Int64"), strict=True
    ):
        found = texts.get((source, int(row))) if pd.notna(row) else None
        keys.append(found[0] if found and found[0] else _row_key(source, row))
        checked.append(found[1] if found else "")
    out["record"] = pd.array(digests(keys), dtype="string")
    if values:
        made = digests(checked)
        out["checked"] = pd.array(
            [d if c else "" for d, c in zip(made, checked, strict=True)], dtype="string"
        )
    return out


def _row_key(source: str, row: object) -> str:
    return f"row:{source}:{'' if pd.isna(row) else int(row)}"  # type: ignore[call-overload]


class _Keyer:
    """Key texts of the rows with findings, prepared many files at a time.

    ``prepare`` costs some milliseconds per call whatever the size, so a job of
    thousands of small files prepares their rows together: only the key fields, each
    file's rows with others that have the same key fields, up to ``limit`` rows a call.
    Each row's companions depend on that row alone, so the keys are those of the files
    prepared one by one.
    """

    def __init__(
        self, gender_codes: Mapping[str, str] | None, limit: int = 50_000, values: bool = False
    ) -> None:
        self.gender_codes = gender_codes
        self.limit = limit
        self.fields = VALUE_FIELDS if values else KEY_FIELDS
        self.values = values
        self.done: dict[tuple[str, int], tuple[str, str]] = {}
        # key fields present -> [(source, rows, frame of those fields)], and their rows
        self.waiting: dict[tuple[str, ...], list[tuple[str, np.ndarray, pd.DataFrame]]] = {}
        self.sizes: dict[tuple[str, ...], int] = {}

    def add(self, source: str, rows: np.ndarray, frame: pd.DataFrame) -> None:
        """Queue the rows ``rows`` of ``source`` (``frame`` holds them, in that order)."""
        fields = tuple(f for f in self.fields if f in frame.columns)
        part = frame.loc[:, list(fields)].reset_index(drop=True)
        self.waiting.setdefault(fields, []).append((source, rows, part))
        self.sizes[fields] = self.sizes.get(fields, 0) + len(part)
        if self.sizes[fields] >= self.limit:
            self._prepare(fields)

    def texts(self) -> dict[tuple[str, int], tuple[str, str]]:
        """``(source, row) -> (key text, value text)`` for every row queued."""
        for fields in list(self.waiting):
            self._prepare(fields)
        return self.done

    def _prepare(self, fields: tuple[str, ...]) -> None:
        from cleanse.prepare import prepare

        parts = self.waiting.pop(fields, [])
        self.sizes.pop(fields, None)
        if not parts:
            return
        frame = pd.concat([f for _, _, f in parts], ignore_index=True)
        prepared = prepare(frame, self.gender_codes)
        keys = iter(key_texts(prepared))
        values = iter(value_texts(prepared) if self.values else [""] * len(prepared))
        for source, rows, _ in parts:
            for row in rows.tolist():
                self.done[(source, row)] = (next(keys), next(values))
