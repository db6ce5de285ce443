"""``fix --reference``: the values a linked population record gives (issue 17).

Records are linked to the reference by ``reconcile``. A record takes values from a
reference record only when the link is certain:

- linked by an exact number (``id`` or ``bhxh``), or
- linked ``fuzzy`` at or above the link threshold with supporting evidence: names,
  birth dates and genders all agree, and something beyond them agrees too (an address,
  a phone, a person number, a BHXH code, or an ID one typing slip away);

never a ``review`` pair, and never when the record is linked to two reference records.
The reference value must itself pass the single-file rules on its own record (no
finding on that field there). From it cleanse fills in an empty ID, an ID that breaks
an ID rule or that a spreadsheet rounded, and the 12-digit ID in place of an old 9-digit
CMND; with ``--sync`` also the name, birth date and gender.

Imports ``link``, ``validation``, ``prepare``, ``read``, ``repair`` and ``i18n``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd

from cleanse.i18n import N_, msg, say, translate
from cleanse.normalise import GENDER_WORDS, _text_series, to_arrow
from cleanse.prepare import prepare
from cleanse.read import Extract
from cleanse.repair import Conventions, Repaired, _cased, _Collect, _date_text

_TEXT = pd.StringDtype("pyarrow")

SYNC_FIELDS = ("full_name", "dob", "gender")
# A fuzzy link syncs only when its reason (English words, cleanse.link.reasons) says the
# person agrees in full and something beyond name, birth date and gender agrees too.
_AGREE = ("birth dates agree", "genders agree")
_NAME_AGREE = re.compile(
    r"names agree \(accents folded\)|surnames agree; middle names agree; given"
)
_EVIDENCE = re.compile(
    r"same address|same phone|same person number|same BHXH code|same old CMND number|"
    r"same ward|IDs differ in one digit|IDs differ only in the place code|"
    r"IDs differ by two adjacent digits swapped"
)
_BROKEN_ID = ("id.format", "id.place_code", "id.gender_century", "id.birth_year")
# The findings on a reference record that make its value of a field unfit to copy.
_UNFIT = {
    "id_number": ("id.",),
    "full_name": ("name.",),
    "dob": ("dob.",),
    "gender": ("gender.",),
}
_HOW = {
    "id": N_("the ID number"),
    "bhxh": N_("the BHXH code"),
    "fuzzy": N_("name, birth date, gender and {evidence} (score {score})"),
}


def supported(reason: pd.Series) -> np.ndarray:
    """Whether a fuzzy link's reason shows supporting evidence (see the module)."""
    text = reason.astype("string").fillna("")
    ok = text.str.contains(_NAME_AGREE) & text.str.contains(_EVIDENCE)
    for phrase in _AGREE:
        ok &= text.str.contains(phrase, regex=False)
    return ok.to_numpy(dtype=bool)


@dataclass
class SyncPlan:
    """Per input file, the reference record each of its records takes values from."""

    reference: str  # the reference file's name
    fields: frozenset[str]  # the fields --sync brings into line (beside the ID)
    lang: str
    plans: dict[str, pd.DataFrame] = field(default_factory=dict)  # source -> by row

    def __call__(
        self,
        prepared: pd.DataFrame,
        rep: Repaired,
        ext: Extract,
        before: pd.DataFrame,
        conv: Conventions,
    ) -> None:
        """Apply the plan to one repaired chunk: ``rep`` gains the values taken."""
        plan = self.plans.get(ext.name)
        if plan is None or not len(prepared):
            return
        rows = prepared.index.to_numpy() + 1
        here = plan.reindex(rows)
        linked = here["ref_row"].notna().to_numpy(dtype=bool)
        if not linked.any():
            return
        here.index = prepared.index
        c = _Collect(prepared)
        c.values = dict(rep.values)
        evidence = here["evidence"]
        if "id_number" in prepared.columns:
            rule = before["rule"].astype(str)
            on = before["row"].to_numpy(dtype=np.int64)
            broken = np.isin(rows, on[rule.isin(_BROKEN_ID).to_numpy()])
            legacy = np.isin(rows, on[(rule == "id.legacy").to_numpy()])
            blank = prepared["id_number_blank"].to_numpy(dtype=bool)
            rounded = prepared["id_rounded"].to_numpy(dtype=bool)
            usable = here["id_ok"].fillna(False).to_numpy(dtype=bool) & linked
            new = here["ref_id"].astype(_TEXT)
            kind = np.where(
                blank, "sync_id", np.where(legacy & ~broken, "sync_id_legacy", "sync_id_broken")
            )
            c.apply("id_number", new, usable & (blank | broken | legacy | rounded), kind, evidence)
        for f in SYNC_FIELDS:
            if f not in self.fields or f not in prepared.columns:
                continue
            usable = here[f"{f}_ok"].fillna(False).to_numpy(dtype=bool) & linked
            value = here[f"ref_{f}"].astype(_TEXT)
            if f == "full_name":
                if conv.joined_name:
                    continue
                # The reference's name, in the column's own case.
                value = _text_series(_cased(to_arrow(value), conv.name_case), value.index)
            c.apply(f, value, usable, "sync_field", evidence)
        synced = c.result(self.lang)
        rep.values.update(synced.values)
        if len(synced.changes):
            rep.changes = _merge(rep.changes, synced.changes)


def _merge(first: pd.DataFrame, then: pd.DataFrame) -> pd.DataFrame:
    """The changes of both, one row per cell: the value as read, the last value."""
    both = pd.concat([first, then], ignore_index=True)
    twice = both.duplicated(["row", "field"], keep=False).to_numpy()
    if not twice.any():
        return both.sort_values("row", kind="stable", ignore_index=True)
    merged = (
        both[twice]
        .groupby(["row", "field"], sort=False)
        .agg(
            value=("value", "first"),
            fixed=("fixed", "last"),
            rule=("rule", "last"),
            evidence=("evidence", lambda e: "; ".join(dict.fromkeys(e))),
            repair=("repair", "last"),
        )
        .reset_index()
    )
    out = pd.concat([both[~twice], merged], ignore_index=True)
    for c in ("field", "value", "fixed", "rule", "evidence", "repair"):
        out[c] = out[c].astype(_TEXT)
    return out.sort_values("row", kind="stable", ignore_index=True)


def plan_sync(
    links: pd.DataFrame,
    reference: Extract,
    inputs: Sequence[Extract],
    ref_findings: pd.DataFrame,
    *,
    threshold: float,
    fields: Collection[str],
    gender_codes: Mapping[str, str] | None,
    lang: str,
) -> SyncPlan:
    """Which reference record each input record takes values from, and those values."""
    ref = reference.name
    names = {e.name for e in inputs}
    left = links["left_source"].astype(str).to_numpy()
    right = links["right_source"].astype(str).to_numpy()
    to_left = (right == ref) & np.isin(left, list(names))
    to_right = (left == ref) & np.isin(right, list(names))
    method = links["method"].astype(str).to_numpy()
    sure = np.isin(method, ["id", "bhxh"]) | (
        (method == "fuzzy")
        & (links["score"].to_numpy(dtype=float) >= threshold)
        & supported(links["reason"])
    )
    pairs = pd.concat(
        [
            pd.DataFrame(
                {
                    "source": links["left_source"].to_numpy()[to_left & sure],
                    "row": links["left_row"].to_numpy()[to_left & sure],
                    "ref_row": links["right_row"].to_numpy()[to_left & sure],
                    "method": method[to_left & sure],
                    "score": links["score"].to_numpy()[to_left & sure],
                    "reason": links["reason"].to_numpy()[to_left & sure],
                }
            ),
            pd.DataFrame(
                {
                    "source": links["right_source"].to_numpy()[to_right & sure],
                    "row": links["right_row"].to_numpy()[to_right & sure],
                    "ref_row": links["left_row"].to_numpy()[to_right & sure],
                    "method": method[to_right & sure],
                    "score": links["score"].to_numpy()[to_right & sure],
                    "reason": links["reason"].to_numpy()[to_right & sure],
                }
            ),
        ],
        ignore_index=True,
    )
    pairs["row"] = pairs["row"].astype("int64")
    pairs["ref_row"] = pairs["ref_row"].astype("int64")
    # A record linked to two reference records cannot say which one it is.
    several = pairs.groupby(["source", "row"])["ref_row"].transform("nunique") > 1
    pairs = pairs[~several].drop_duplicates(["source", "row"], ignore_index=True)
    values = _reference_values(reference, np.unique(pairs["ref_row"]), gender_codes)
    unfit = _unfit(ref_findings)
    got = values.reindex(pairs["ref_row"].to_numpy())
    for f, column in (("id_number", "ref_id"), *((f, f"ref_{f}") for f in SYNC_FIELDS)):
        bad = unfit.get(f, set())
        ok = got[column].notna().to_numpy() & ~np.isin(pairs["ref_row"].to_numpy(), list(bad))
        pairs[f"{f}_ok" if f != "id_number" else "id_ok"] = ok
        pairs[column] = got[column].to_numpy()
    pairs["evidence"] = _evidence(pairs, ref, lang)
    plan = SyncPlan(ref, frozenset(fields), lang)
    for source, group in pairs.groupby("source", sort=False):
        plan.plans[str(source)] = group.set_index("row")
    return plan


def _evidence(pairs: pd.DataFrame, ref: str, lang: str) -> np.ndarray:
    """ "from the population data dancu.csv row 1234, linked by the ID number" per pair:
    worded once per kind of link, the row numbers put in."""
    out = pd.Series("", index=pairs.index, dtype=object)
    for key, idx in pairs.groupby(["method", "reason", "score"], sort=False).groups.items():
        method, reason, score = cast(tuple[str, str, float], key)
        if method == "fuzzy":
            shown = ", ".join(_EVIDENCE.findall(str(reason)))
            how = say(msg(_HOW["fuzzy"], evidence=shown, score=f"{float(score):.2f}"), lang)
        else:
            how = translate(_HOW.get(str(method), _HOW["id"]), lang)
        text = say(
            msg(
                "from the population data {source} row {row}, linked by {how}",
                source=ref,
                row="\0",
                how=how,
            ),
            lang,
        )
        before, _, after = text.partition("\0")
        out.loc[idx] = before + pairs.loc[idx, "ref_row"].astype(str) + after
    return out.to_numpy()


def _unfit(findings: pd.DataFrame) -> dict[str, set[int]]:
    """field -> reference rows whose value of it broke a single-file rule (warnings too:
    a CMND or a foreign code is no ID to copy, a year alone no birth date)."""
    rows = findings[findings["row"].notna()]
    rule = rows["rule"].astype(str)
    named = rows["field"].astype("string").fillna("")
    out: dict[str, set[int]] = {}
    for f, prefixes in _UNFIT.items():
        hit = rule.str.startswith(prefixes) | ((rule == "field.missing") & (named == f))
        if f == "full_name":
            hit |= (rule == "text.mojibake") & (named == f)
        out[f] = set(rows.loc[hit, "row"].astype("int64"))
    return out


def _reference_values(
    ref: Extract, rows: np.ndarray, gender_codes: Mapping[str, str] | None
) -> pd.DataFrame:
    """The reference's ID (12 digits), name, full birth date and gender word at ``rows``."""
    parts = []
    want = set(int(r) for r in rows)
    for chunk in ref.chunks():
        at = chunk.frame.index.to_numpy() + 1
        keep = np.isin(at, rows)
        if not keep.any():
            continue
        sub = prepare(chunk.frame[keep], gender_codes, ref.damage)
        twelve = sub["id_twelve"].to_numpy(dtype=bool)
        none = pd.Series(pd.NA, index=sub.index, dtype=_TEXT)
        name = sub["full_name"].astype(_TEXT) if "full_name" in sub else none
        dob = _date_text(sub, "dob") if "dob_day" in sub else none
        columns = {
            "ref_id": sub["id_digits"].astype(_TEXT).where(twelve),
            "ref_full_name": name,
            "ref_dob": dob,
            "ref_gender": sub["gender_code"].map(GENDER_WORDS).astype(_TEXT),
        }
        # By position: the values' index is the chunk's, the frame's the row numbers.
        parts.append(pd.DataFrame({k: v.to_numpy() for k, v in columns.items()}, index=at[keep]))
        want -= set(at[keep].tolist())
        if not want:
            break
    if not parts:
        return pd.DataFrame(
            {
                c: pd.Series(dtype=_TEXT)
                for c in ("ref_id", "ref_full_name", "ref_dob", "ref_gender")
            }
        )
    return pd.concat(parts)


def settled(findings: pd.DataFrame, changes: pd.DataFrame) -> np.ndarray:
    """Which reconcile findings the values taken from the reference settle: a mismatch
    of a field now synced, an ID conflict of a record whose ID was replaced."""
    synced = (
        changes[changes["synced"].fillna(False).astype(bool)]
        if "synced" in changes
        else changes[:0]
    )
    cells = synced[["source", "row", "field"]].astype({"row": "int64"}).drop_duplicates()
    cells["hit"] = True
    keyed = pd.DataFrame(
        {
            "source": findings["source"].astype(str).to_numpy(),
            "row": findings["row"].fillna(-1).astype("int64").to_numpy(),
            "field": findings["field"].astype("string").fillna("").to_numpy(),
            "rule": findings["rule"].astype(str).to_numpy(),
        }
    )
    keyed["field"] = keyed["field"].where(keyed["rule"] != "link.id_conflict", "id_number")
    cells = cells.astype({"source": str, "field": str})
    keyed = keyed.astype({"field": str})
    hit = keyed.merge(cells, on=["source", "row", "field"], how="left")["hit"]
    mine = keyed["rule"].isin(["link.field_mismatch", "link.id_conflict"]).to_numpy()
    return hit.fillna(False).to_numpy(dtype=bool) & mine
