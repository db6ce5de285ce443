"""The cross-file findings of ``reconcile`` (SPEC §4), computed by ``_Finder``.

From the linked records (``load_records``' frame and ``link``'s ``LinkResult``), as
record indices, then in SPEC columns (``findings``, ``discrepancies`` and the people
the findings name):

- ``person.duplicate``: every record of an extract after the first record (by row) of
  that extract in the same person; ``related_*`` is that first record.
- ``link.unmatched`` (only when there is a reference): every record of a non-reference
  extract whose person holds no reference record and that is in no ``review`` pair with
  a person who does (that pair is its lead).
- ``link.id_conflict``: a record whose well-formed ID, consistent with its own record
  (``id_consistent`` of ``load_records``) or the ID of another reference person (a
  record carrying someone else's ID), differs from the ID of its person's reference
  record (``related_*`` = that record, the suggestion its ID); for a person
  without a reference record carrying an ID, every record with a well-formed ID when the
  person holds two or more of them (``related_*`` = the first record with another ID).
- ``link.field_mismatch``: each record is compared with its person's *anchor* (the first
  reference record; without one the first record of the first extract, by row) on the
  name (the folded key; and, when both names carry marks, the name with its marks in
  canonical tone placement, lower case: Tú is not Tư, Hoà is Hòa), the birth date (a
  year-only, month/year or 01/01 date is compatible with any date it covers; a
  day/month swap is a mismatch), the gender and the ID (two different well-formed IDs
  are ``link.id_conflict`` instead; a 9-digit CMND beside a 12-digit ID is not
  compared). The finding sits on the compared record, never on the anchor, so with a
  reference it names the side that disagrees with the reference; the suggestion is the
  reference value, only when it passes the single-file rules itself (a birth date in
  range, a name neither garbled nor invalid, a known gender, a consistent ID), else the
  message says the reference is doubtful too. Without a reference, the message says
  which record's value the single-file rules accept, and that value is suggested. One
  finding and one ``discrepancies`` row per field.
- ``vital.deceased_active``: a person with a death registration (hộ tịch khai tử) or a
  death date in any extract, whose BTXH or BHXH record is active (``active`` of
  ``load_records``) while the run's month (``today``) is after the month of death;
  reported on the active record, ``related_*`` = the death record (the earliest death).

Values in findings and discrepancies are shown as they were read: a second pass over the
extracts fetches them, for the records concerned only.

May import: the standard library, numpy, pandas, ``cleanse.read`` (the headers as written),
``cleanse.rules`` (the registry of the cross-file rules, ``cleanse/rules/links.py``),
``cleanse.output`` (the findings' columns) and, of ``cleanse.link``, ``persons``
(``LinkResult``), ``records`` and ``tables``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cleanse.link.persons import LinkResult
from cleanse.link.records import _STRING
from cleanse.link.tables import DISCREPANCY_COLUMNS, _lookup
from cleanse.output import FINDING_COLUMNS
from cleanse.read import Extract, column_headers
from cleanse.rules import RECONCILE_ORDER, RECONCILE_RULES

RULE_ORDER = {code: i for i, code in enumerate(RECONCILE_ORDER)}
COMPARED = ("full_name", "dob", "gender", "id_number")  # the order of mismatch findings
REFERENCE_NOTE = {"vi": "khác dữ liệu đối chiếu", "en": "differs from the reference"}
# Which side's value passes the single-file rules (see _Finder._valid_values).
VALUE_NOTES = {
    "vi": {
        1: "giá trị của dữ liệu đối chiếu cũng không hợp lệ, không gợi ý",
        2: "giá trị của bản ghi này đạt các kiểm tra một tệp, của bản ghi kia thì không",
        3: "giá trị của bản ghi kia đạt các kiểm tra một tệp, của bản ghi này thì không",
    },
    "en": {
        1: "the reference value is doubtful too (it fails the single-file checks); "
        "nothing suggested",
        2: "this record's value passes the single-file checks, the other record's does not",
        3: "the other record's value passes the single-file checks, this record's does not",
    },
}


class _Finder:
    """The cross-file findings, as record indices: ``record, related, rule, field``."""

    def __init__(
        self,
        records: pd.DataFrame,
        result: LinkResult,
        is_ref: np.ndarray,
        has_reference: bool,
        run_month: int,
        today: pd.Timestamp | None = None,
    ) -> None:
        self.r = records
        self.review = result.review
        self.n = n = len(records)
        self.pid = result.persons["person_id"].to_numpy(dtype=object)
        self.pcode = pd.factorize(result.persons["person_id"])[0].astype(np.int64)
        self.is_ref = is_ref
        src = records["src"].to_numpy(dtype=np.int64)
        row = records["row"].to_numpy(dtype=np.int64)
        self.src, self.row = src, row
        # Records ordered by person, reference first, then extract and row.
        order = np.lexsort((row, src, ~is_ref, self.pcode))
        first = np.ones(n, dtype=bool)
        first[1:] = self.pcode[order][1:] != self.pcode[order][:-1]
        self.anchor = np.empty(max(self.pcode.max() + 1, 0) if n else 0, dtype=np.int64)
        self.anchor[self.pcode[order][first]] = order[first]
        self.valid = self._valid_values(today)
        parts = [
            self._person_duplicate(),
            self._unmatched() if has_reference else _none(),
            self._id_conflict(),
            self._death(run_month),
        ]
        mismatch, self.disc = self._mismatch()
        parts.append(mismatch)
        self.found = pd.concat(parts, ignore_index=True)

    def needed(self) -> np.ndarray:
        """Record indices whose values the findings and discrepancies show."""
        rel = self.found["related"].to_numpy()
        return np.unique(
            np.concatenate(
                [
                    self.found["record"].to_numpy(),
                    rel[rel >= 0],
                    self.disc["left"].to_numpy(),
                    self.disc["right"].to_numpy(),
                ]
            ).astype(np.int64)
        )

    def _person_duplicate(self) -> pd.DataFrame:
        order = np.lexsort((self.row, self.src, self.pcode))
        key_p, key_s = self.pcode[order], self.src[order]
        new = np.ones(self.n, dtype=bool)
        new[1:] = (key_p[1:] != key_p[:-1]) | (key_s[1:] != key_s[:-1])
        group_first = order[np.flatnonzero(new)[np.cumsum(new) - 1]] if self.n else order
        dup = ~new
        return _frame(order[dup], group_first[dup], "person.duplicate", "")

    def _unmatched(self) -> pd.DataFrame:
        """Records whose person holds no reference record and that have no lead to one
        either: a record in a ``review`` pair with a person holding a reference record
        has a counterpart, for an officer to confirm, so it is not "not in the data"."""
        held = np.zeros(self.anchor.size, dtype=bool)
        held[self.pcode[self.is_ref]] = True
        lead = np.zeros(self.n, dtype=bool)
        if len(self.review):
            left = self.review["left"].to_numpy(dtype=np.int64)
            right = self.review["right"].to_numpy(dtype=np.int64)
            lead[left[held[self.pcode[right]]]] = True
            lead[right[held[self.pcode[left]]]] = True
        idx = np.flatnonzero(~self.is_ref & ~held[self.pcode] & ~lead)
        return _frame(idx, np.full(idx.size, -1), "link.unmatched", "")

    def _valid_values(self, today: pd.Timestamp | None) -> dict[str, np.ndarray]:
        """Per compared field, the records whose value passes the single-file rules: only
        such a value is ever suggested (a birth date of 1877, an ID that fails
        ``id.birth_year``, a garbled name or an unknown gender is not)."""
        r = self.r
        year = r["dob_year"].astype("Int64").fillna(-1).to_numpy(dtype=np.int64)
        day = (today or pd.Timestamp.today()).normalize()
        dob_ord = (
            year * 10000
            + r["dob_month"].astype("Int64").fillna(1).to_numpy(dtype=np.int64) * 100
            + r["dob_day"].astype("Int64").fillna(1).to_numpy(dtype=np.int64)
        )
        today_ord = day.year * 10000 + day.month * 100 + day.day
        oldest = (day.year - 120) * 10000 + day.month * 100 + day.day
        dob_ok = r["dob_ok"].to_numpy(dtype=bool) & (dob_ord <= today_ord) & (dob_ord >= oldest)
        return {
            "full_name": r["name_ok"].to_numpy(dtype=bool),
            "dob": dob_ok,
            "gender": r["gender_code"].notna().to_numpy(),
            "id_number": r["id_consistent"].to_numpy(dtype=bool),
        }

    def _id_conflict(self) -> pd.DataFrame:
        id12 = self.r["id12"]
        # A well-formed ID that agrees with its own record (load_records' id_consistent).
        # An ID that breaks that is a single-file error: beside another ID it is a
        # link.field_mismatch, unless it is the ID of another person of the reference
        # (a record carrying someone else's ID): that is a conflict.
        self.consistent = self.r["id_consistent"].to_numpy(dtype=bool)
        codes = pd.factorize(id12)[0].astype(np.int64)  # -1 = none
        # Carried: the ID of a reference record of another person.
        k = max(int(codes.max()) + 1 if self.n else 0, 1)
        held = np.flatnonzero(self.is_ref & (codes >= 0))
        lo = np.full(k, np.iinfo(np.int64).max, dtype=np.int64)
        hi = np.full(k, -1, dtype=np.int64)
        np.minimum.at(lo, codes[held], self.pcode[held])
        np.maximum.at(hi, codes[held], self.pcode[held])
        c = np.maximum(codes, 0)
        carried = (codes >= 0) & (hi[c] >= 0) & ((lo[c] != self.pcode) | (hi[c] != self.pcode))
        has = self.consistent | carried
        m = self.anchor.size
        # The ID of each person's first reference record carrying one.
        ref_rec = np.full(m, -1, dtype=np.int64)
        cand = np.flatnonzero(self.is_ref & self.consistent)
        cand = cand[np.lexsort((self.row[cand], self.src[cand]))][::-1]  # the first wins
        ref_rec[self.pcode[cand]] = cand
        ref_of = ref_rec[self.pcode]
        with_ref = has & (ref_of >= 0)
        hit = with_ref & (codes != codes[np.maximum(ref_of, 0)])
        self.carried = hit & ~self.consistent
        rec_a = np.flatnonzero(hit)
        rel_a = ref_of[rec_a]
        # Persons without a reference ID: every record when two IDs meet in one person.
        rest = np.flatnonzero(has & (ref_of < 0))
        rest = rest[np.lexsort((self.row[rest], self.src[rest], self.pcode[rest]))]
        rec_b: list[int] = []
        rel_b: list[int] = []
        if rest.size:
            p = self.pcode[rest]
            c = codes[rest]
            lo = pd.Series(c).groupby(p).transform("min").to_numpy()
            hi = pd.Series(c).groupby(p).transform("max").to_numpy()
            multi = rest[lo != hi]
            for _person, group in pd.Series(multi).groupby(self.pcode[multi]):
                members = group.to_numpy()
                for rec in members:
                    other = members[codes[members] != codes[rec]][0]
                    rec_b.append(int(rec))
                    rel_b.append(int(other))
        rec = np.concatenate([rec_a, np.array(rec_b, dtype=np.int64)])
        rel = np.concatenate([rel_a, np.array(rel_b, dtype=np.int64)])
        out = _frame(rec, rel, "link.id_conflict", "id_number")
        out["suggest"] = np.where(with_ref[rec], rel, -1) if rec.size else rel
        self.conflicts = (rec, rel)
        return out

    def _death(self, run_month: int) -> pd.DataFrame:
        death_ord = self.r["death_ord"]
        dated = death_ord.notna().to_numpy()
        month = (death_ord.fillna(0).to_numpy(dtype=np.int64)) // 100
        event = self.r["is_death_event"].to_numpy(dtype=bool)
        dead = np.flatnonzero(dated)
        # Per person the earliest death, a registration before a date in another extract.
        dead = dead[np.lexsort((self.row[dead], self.src[dead], ~event[dead], month[dead]))]
        dead = dead[::-1]
        m = self.anchor.size
        death_rec = np.full(m, -1, dtype=np.int64)
        death_rec[self.pcode[dead]] = dead
        of = death_rec[self.pcode]
        kind = self.r["kind"].astype(str).to_numpy()
        active = self.r["active"].to_numpy(dtype=bool) & np.isin(kind, ["bhxh", "btxh"])
        hit = active & (of >= 0) & (run_month > month[np.maximum(of, 0)])
        idx = np.flatnonzero(hit)
        return _frame(idx, of[idx], "vital.deceased_active", "benefit_status")

    def _mismatch(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        r = self.r
        a = self.anchor[self.pcode] if self.n else np.zeros(0, dtype=np.int64)
        rec = np.flatnonzero(a != np.arange(self.n))
        anc = a[rec]

        def col(name: str) -> tuple[pd.Series, pd.Series]:
            values = r[name]
            return values.iloc[rec].reset_index(drop=True), values.iloc[anc].reset_index(drop=True)

        found: dict[str, np.ndarray] = {}
        # Names differ when their folded keys do, or when both carry marks and differ with
        # them (Tú and Tư): tone placement, case and spacing are the same name, and a
        # name without marks (a system without diacritics) is compared by its key only.
        x, y = col("name_key")
        xe, ye = col("name_exact")
        found["full_name"] = _differ(x, y) | _differ(xe, ye)
        x, y = col("gender_code")
        found["gender"] = _differ(x.astype("string"), y.astype("string"))
        found["dob"] = self._dob_differ(rec, anc)
        both12 = self.consistent[rec] & self.consistent[anc]
        xa, ya = col("id_any")
        xc, yc = col("cmnd9")
        carried = self.carried[rec]
        found["id_number"] = ~both12 & ~carried & (_differ(xa, ya) | _differ(xc, yc))
        # An unusable ID (rounded by a spreadsheet, mistyped) on a record linked by its
        # name and date: the linked record's well-formed ID is the one to write.
        malformed = r["id_malformed"].to_numpy(dtype=bool)
        found["id_number"] |= malformed[rec] & ya.notna().to_numpy() & ~carried
        parts = []
        discs = []
        for name in COMPARED:
            hit = found[name]
            recs, ancs = rec[hit], anc[hit]
            out = _frame(recs, ancs, "link.field_mismatch", name)
            good_anc, good_rec = self.valid[name][ancs], self.valid[name][recs]
            # The reference value is suggested only when it passes the single-file rules;
            # without a reference, the other record's value when only it passes them.
            suggest = np.where(self.is_ref[ancs], good_anc, good_anc & ~good_rec)
            out["suggest"] = np.where(suggest, ancs, -1)
            # 1: the reference value is doubtful too; 2: this record's value is the one
            # the single-file rules accept; 3: the other record's is.
            out["note"] = np.select(
                [
                    self.is_ref[ancs] & ~good_anc,
                    ~self.is_ref[ancs] & good_rec & ~good_anc,
                    ~self.is_ref[ancs] & good_anc & ~good_rec,
                ],
                [1, 2, 3],
                0,
            )
            parts.append(out)
            discs.append(pd.DataFrame({"field": name, "left": ancs, "right": recs}))
        # ID conflicts are discrepancies too (once per pair of records).
        crec, crel = self.conflicts
        lo, hi = np.minimum(crec, crel), np.maximum(crec, crel)
        pairs = pd.DataFrame({"a": lo, "b": hi, "rel": crel, "rec": crec}).drop_duplicates(
            ["a", "b"]
        )
        discs.append(
            pd.DataFrame(
                {
                    "field": "id_number",
                    "left": pairs["rel"].to_numpy(dtype=np.int64),
                    "right": pairs["rec"].to_numpy(dtype=np.int64),
                }
            )
        )
        disc = pd.concat(discs, ignore_index=True)
        disc["left"] = disc["left"].astype(np.int64)
        disc["right"] = disc["right"].astype(np.int64)
        return pd.concat(parts, ignore_index=True), disc

    def _dob_differ(self, rec: np.ndarray, anc: np.ndarray) -> np.ndarray:
        r = self.r

        def arr(name: str) -> np.ndarray:
            return r[name].astype("Int64").fillna(-1).to_numpy(dtype=np.int64)

        year, month, day = arr("dob_year"), arr("dob_month"), arr("dob_day")
        precision = r["dob_precision"].astype(str).to_numpy()
        placeholder = r["dob_placeholder"].to_numpy(dtype=bool)
        full = (precision == "full") & ~placeholder
        # The month a date pins down (-1: any month: a year-only date or a 01/01 placeholder).
        pinned = np.where((precision == "month") | full, month, -1)
        ya, yb = year[rec], year[anc]
        both = (ya >= 0) & (yb >= 0)
        exact = full[rec] & full[anc]
        same = (ya == yb) & (month[rec] == month[anc]) & (day[rec] == day[anc])
        ma, mb = pinned[rec], pinned[anc]
        covered = (ya == yb) & ((ma < 0) | (mb < 0) | (ma == mb))
        return both & np.where(exact, ~same, ~covered)

    def findings(
        self, raw: pd.DataFrame, lang: str, extracts: Sequence[Extract] = ()
    ) -> pd.DataFrame:
        """The findings table in SPEC columns, sorted by source, row, rule, field; with
        the ``extracts`` (in ``src`` order), each finding's ``sheet_row`` and ``column``
        (the header of its field as written in its file)."""
        f = self.found
        rec = f["record"].to_numpy(dtype=np.int64)
        rel = f["related"].to_numpy(dtype=np.int64)
        sug = f["suggest"].fillna(-1).to_numpy(dtype=np.int64)
        note = f["note"].fillna(0).to_numpy(dtype=np.int64)
        vs_ref = (rel >= 0) & self.is_ref[np.maximum(rel, 0)]
        rule = f["rule"].astype(str).to_numpy()
        fld = f["field"].astype(str).to_numpy()
        n = len(f)
        value = np.full(n, None, dtype=object)
        suggestion = np.full(n, None, dtype=object)
        for name in ("full_name", "dob", "gender", "id_number", "benefit_status"):
            at = fld == name
            if at.any():
                value[at] = _lookup(raw, rec[at], name)
                s = at & (sug >= 0)
                suggestion[s] = _lookup(raw, sug[s], name)
        sources = self.r["source"].astype(str).to_numpy()
        related_source = np.full(n, None, dtype=object)
        related_source[rel >= 0] = sources[rel[rel >= 0]]
        out = pd.DataFrame(
            {
                "source": pd.array(sources[rec], dtype=_STRING),
                "row": pd.array(self.row[rec], dtype="Int64"),
                "rule": pd.array(rule, dtype=_STRING),
                "severity": pd.array([RECONCILE_RULES[c].severity for c in rule], dtype=_STRING),
                "field": pd.array([x or None for x in fld], dtype=_STRING),
                "value": pd.array(value, dtype=_STRING),
                "message": pd.array(
                    _messages(rule, fld, vs_ref, note, lang) if n else [], dtype=_STRING
                ),
                "suggestion": pd.array(suggestion, dtype=_STRING),
                "related_source": pd.array(related_source, dtype=_STRING),
                "related_row": pd.array(
                    np.where(rel >= 0, self.row[np.maximum(rel, 0)] if n else rel, -1),
                    dtype="Int64",
                ),
            }
        )
        out.loc[rel < 0, "related_row"] = pd.NA
        out["sheet_row"] = pd.array([None] * n, dtype="Int64")
        out["column"] = pd.array([None] * n, dtype=_STRING)
        src = self.src[rec]
        for i, ext in enumerate(extracts):
            at = src == i
            if at.any():
                out.loc[at, "sheet_row"] = ext.sheet_rows(self.row[rec][at])
                headers = column_headers(ext)
                out.loc[at, "column"] = [headers.get(x) for x in fld[at]]
        out["_src"] = src
        out["_order"] = [RULE_ORDER[c] for c in rule]
        out["_field"] = [COMPARED.index(x) if x in COMPARED else -1 for x in fld]
        out = out.sort_values(["_src", "row", "_order", "_field"], kind="stable")
        return out[FINDING_COLUMNS].reset_index(drop=True)

    def people(self, raw: pd.DataFrame) -> pd.DataFrame:
        """``source, row, full_name, id_number`` (as read) of each record a finding names."""
        rec = np.unique(self.found["record"].to_numpy(dtype=np.int64))
        sources = self.r["source"].astype(str).to_numpy()
        return pd.DataFrame(
            {
                "source": pd.array(sources[rec], dtype=_STRING),
                "row": pd.array(self.row[rec], dtype="Int64"),
                "full_name": pd.array(_lookup(raw, rec, "full_name"), dtype=_STRING),
                "id_number": pd.array(_lookup(raw, rec, "id_number"), dtype=_STRING),
            }
        )

    def discrepancies(self, raw: pd.DataFrame) -> pd.DataFrame:
        """One row per differing field of two linked records: left the anchor or reference."""
        d = self.disc
        left = d["left"].to_numpy(dtype=np.int64)
        right = d["right"].to_numpy(dtype=np.int64)
        fld = d["field"].astype(str).to_numpy()
        lv = np.full(len(d), None, dtype=object)
        rv = np.full(len(d), None, dtype=object)
        for name in COMPARED:
            at = fld == name
            if at.any():
                lv[at] = _lookup(raw, left[at], name)
                rv[at] = _lookup(raw, right[at], name)
        sources = self.r["source"].astype(str).to_numpy()
        out = pd.DataFrame(
            {
                "person_id": pd.array(self.pid[right], dtype=_STRING),
                "field": pd.array(fld, dtype=_STRING),
                "left_source": pd.array(sources[left], dtype=_STRING),
                "left_row": pd.array(self.row[left], dtype="Int64"),
                "left_value": pd.array(lv, dtype=_STRING),
                "right_source": pd.array(sources[right], dtype=_STRING),
                "right_row": pd.array(self.row[right], dtype="Int64"),
                "right_value": pd.array(rv, dtype=_STRING),
                "_src": self.src[right],
                "_field": [COMPARED.index(x) for x in fld],
            }
        )
        out = out.sort_values(["person_id", "_src", "right_row", "_field"], kind="stable")
        return out[DISCREPANCY_COLUMNS].reset_index(drop=True)


def _none() -> pd.DataFrame:
    return _frame(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), "", "")


def _frame(record: np.ndarray, related: np.ndarray, rule: str, field: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "record": np.asarray(record, dtype=np.int64),
            "related": np.asarray(related, dtype=np.int64),
            "rule": rule,
            "field": field,
            "suggest": np.full(len(record), -1, dtype=np.int64),
            "note": np.zeros(len(record), dtype=np.int64),
        }
    )


def _differ(x: pd.Series, y: pd.Series) -> np.ndarray:
    """Both present and different."""
    both = (x.notna() & y.notna()).to_numpy(dtype=bool)
    diff = (x.astype("string").fillna("") != y.astype("string").fillna("")).to_numpy(dtype=bool)
    return both & diff


def _messages(
    rule: np.ndarray, fld: np.ndarray, vs_reference: np.ndarray, note: np.ndarray, lang: str
) -> list[str]:
    out = []
    for code, name, ref, k in zip(rule, fld, vs_reference, note, strict=True):
        text = RECONCILE_RULES[code].message(lang)
        if code == "link.field_mismatch":
            notes = [REFERENCE_NOTE[lang]] if ref else []
            if k:
                notes.append(VALUE_NOTES[lang][int(k)])
            text = f"{text}: {name}" + (f" ({'; '.join(notes)})" if notes else "")
        out.append(text)
    return out
