"""The ``worklist`` of ``cleanse fix`` (SPEC §2, §9): one row per record that still needs a
person, with what to do in words and two columns for the officer to fill in.

``build_worklist`` takes the open findings (``FINDING_COLUMNS``) and the records they
name (``people``) and gives ``WORKLIST_COLUMNS``: where the record is (``source, row,
sheet_row``), whom it concerns (name, ID, birth date, address, ward, as read), its
findings (``rules`` in registry order, ``messages``), the ``action`` in the run's
language, most urgent first, and the empty ``ket_qua`` (outcome) and ``ghi_chu`` (note).
Rows are sorted by address: ward, village or street, alley, house number
(``cleanse.address``), so that field visits can be shared out.

``OUTCOMES`` are the outcomes an officer picks from in ``ket_qua`` (the report's
drop-down, ``choices``); the decisions issue maps the words back to their codes.

May import: the standard library, numpy, pandas, pyarrow, ``cleanse.i18n``,
``cleanse.normalise``, ``cleanse.address`` and ``cleanse.rules`` (the rule codes and
their order).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.address import address_keys
from cleanse.i18n import N_, msg, translate
from cleanse.normalise import join_words, parse_dates, to_arrow
from cleanse.rules import ALL_RULES

WORKLIST_COLUMNS = [
    "source",
    "row",
    "sheet_row",
    "full_name",
    "id_number",
    "dob",
    "address",
    "ward",
    "rules",
    "messages",
    "action",
    "ket_qua",
    "ghi_chu",
]
OUTCOME_COLUMN = "ket_qua"

# (stable code, Vietnamese, English): what the officer found, picked in ``ket_qua``.
OUTCOMES: tuple[tuple[str, str, str], ...] = (
    ("fixed", "đã sửa", "fixed"),
    ("kept", "đúng, giữ nguyên", "correct, kept as it is"),
    ("unverified", "không xác minh được", "could not be verified"),
    ("merged", "đã gộp sổ BHXH", "BHXH books merged"),
    ("stopped", "đã dừng chi trả", "payment stopped"),
    ("removed", "đã xoá dòng trùng", "duplicate row removed"),
    ("not_found", "không tìm thấy người", "person not found"),
    ("moved", "đã chuyển đi nơi khác", "moved away"),
    ("referred", "chuyển cơ quan có thẩm quyền", "referred to the office in charge"),
)

# --- what to do, per finding ----------------------------------------------------------

STOP = N_("stop payment from {month}")
STOP_UNDATED = N_("stop payment from the month after the death (date of death not at hand)")
REMOVE = N_("remove the duplicate row")
MERGE = N_("merge the BHXH books")
VERIFY = N_("verify the original documents")
BHXH_BOOK = N_("check the BHXH book")
BIRTH = N_("check the birth certificate")
POPULATION = N_("check against the population data")
NEW_ID = N_("update to the 12-digit ID")
GARBLED = N_("retype the garbled text")
NAME = N_("correct how the name is written")
RESTORED = N_("check the restored values")
OTHER = N_("look into the finding")

# Most urgent first: money paid to the dead, then paid twice, then what keeps a record
# from being found or linked, then the checks, then the writing.
ACTION_ORDER = (
    STOP,
    STOP_UNDATED,
    REMOVE,
    MERGE,
    VERIFY,
    BHXH_BOOK,
    BIRTH,
    POPULATION,
    NEW_ID,
    GARBLED,
    NAME,
    RESTORED,
    OTHER,
)
_URGENCY = {action: i for i, action in enumerate(ACTION_ORDER)}

# Each rule code's action. Where the finding says more, the action follows it
# (``_actions``): record.duplicate naming bhxh_code and person.duplicate in a BHXH
# extract are two BHXH books of one person (MERGE); field.missing of the birth date
# (BIRTH) or the BHXH code (BHXH_BOOK); vital.deceased_active names the month.
RULE_ACTIONS: dict[str, str] = {
    "id.missing": VERIFY,
    "id.format": VERIFY,
    "id.leading_zeros": RESTORED,
    "id.legacy": NEW_ID,
    "id.place_code": VERIFY,
    "id.foreign_code": VERIFY,
    "id.gender_century": VERIFY,
    "id.birth_year": VERIFY,
    "id.duplicate": VERIFY,
    "bhxh.format": BHXH_BOOK,
    "bhxh.duplicate": BHXH_BOOK,
    "field.missing": VERIFY,
    "dob.invalid": BIRTH,
    "dob.out_of_range": BIRTH,
    "dob.partial": BIRTH,
    "gender.invalid": VERIFY,
    "name.invalid": VERIFY,
    "name.format": NAME,
    "text.mojibake": GARBLED,
    "death.before_birth": VERIFY,
    "record.duplicate": REMOVE,
    "dob.day_month_swapped": RESTORED,
    "link.field_mismatch": POPULATION,
    "link.id_conflict": VERIFY,
    "link.unmatched": POPULATION,
    "person.duplicate": REMOVE,
    "vital.deceased_active": STOP,
}
# A field.missing of these fields is looked for elsewhere than in the ID card.
_MISSING_FIELD_ACTIONS = {"dob": BIRTH, "bhxh_code": BHXH_BOOK}

_TEXT = pd.StringDtype("pyarrow")
_NULL = pa.scalar(None, pa.string())


def outcome_words(lang: str) -> list[str]:
    """The outcomes as the officer reads them, in ``lang`` (``vi`` or ``en``)."""
    return [en if lang == "en" else vi for _code, vi, en in OUTCOMES]


def choices(lang: str) -> dict[str, dict[str, list[str]]]:
    """The report's drop-downs: table -> column -> the words to pick from (``write``)."""
    return {"worklist": {OUTCOME_COLUMN: outcome_words(lang)}}


def empty_worklist() -> pd.DataFrame:
    """A worklist with no rows, its columns and types."""
    return pd.DataFrame(
        {
            c: pd.Series([], dtype="Int64" if c in ("row", "sheet_row") else _TEXT)
            for c in WORKLIST_COLUMNS
        }
    )


def build_worklist(findings: pd.DataFrame, people: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One row per record with an open finding, sorted by address (module docstring).

    ``findings`` are the open findings in ``FINDING_COLUMNS``; those about a whole column
    (no ``row``) are not a record's and are left out. ``people`` has one row per
    ``(source, row)``: ``sheet_row, full_name, id_number, dob, address, ward`` as read
    (any may be NA), and may carry ``house_number`` (shown in front of the address and
    sorted by), ``kind`` (the extract's kind: ``person.duplicate`` in a ``bhxh`` extract
    is two BHXH books to merge) and ``death_date``: the month payment stops from, for
    ``vital.deceased_active``, is the month after the death date of the finding's related
    record (the death record), else of the record itself; without one the action says so.
    """
    f = findings[findings["row"].notna() & findings["source"].notna()]
    if not len(f):
        return empty_worklist()
    f = pd.DataFrame(
        {
            **{
                c: f[c].astype(_TEXT).array if c in f.columns else pd.NA
                for c in ("source", "rule", "field", "message", "related_source", "column")
            },
            **{
                c: f[c].astype("Int64").array if c in f.columns else pd.NA
                for c in ("row", "related_row", "sheet_row")
            },
        }
    )
    f = f.astype({c: _TEXT for c in ("source", "rule", "field", "message", "related_source")})
    f = f.astype({"column": _TEXT, "row": "Int64", "related_row": "Int64", "sheet_row": "Int64"})
    f["record"] = f.groupby(["source", "row"], sort=False).ngroup().to_numpy()
    records = f.drop_duplicates("record")[["source", "row", "record"]]
    n = len(records)
    who = _people_of(records[["source", "row"]], people)
    rank = _rule_rank(f["rule"])
    action, urgency = _actions(f, rank, people, who, lang)
    message = _messages(f)

    group = f["record"].to_numpy()
    at = np.arange(len(f))
    out: dict[str, pa.Array] = {
        "rules": _joined(group, (rank, at), f["rule"], n, ", "),
        "messages": _joined(group, (rank, at), message, n, "; "),
        "action": _joined(group, (urgency, rank, at), action, n, "; "),
    }
    # The people's sheet row, else the findings' (the first that gives one).
    first_sheet_row = f.groupby("record")["sheet_row"].first().reindex(range(n))
    own_sheet_row = who["sheet_row"] if "sheet_row" in who.columns else first_sheet_row
    sheet_row = own_sheet_row.astype("Int64").fillna(first_sheet_row)
    text = {c: _text(who, c) for c in ("full_name", "id_number", "dob", "address", "ward")}
    house = _text(who, "house_number")
    keys = address_keys(text["address"], ward=text["ward"], house_number=house)
    shown_address = join_words([to_arrow(house), to_arrow(text["address"])])
    table = pd.DataFrame(
        {
            "source": records["source"].array,
            "row": records["row"].array,
            "sheet_row": sheet_row.array,
            "full_name": text["full_name"].array,
            "id_number": text["id_number"].array,
            "dob": text["dob"].array,
            "address": pd.array(shown_address, dtype=_TEXT),
            "ward": keys["ward"].array,
            **{k: pd.array(v, dtype=_TEXT) for k, v in out.items()},
            "ket_qua": _empty(n),
            "ghi_chu": _empty(n),
        }
    )
    order = _address_order(table, keys)
    table = table.take(order).reset_index(drop=True)
    types = {c: "Int64" if c in ("row", "sheet_row") else _TEXT for c in WORKLIST_COLUMNS}
    return table.astype(types)[WORKLIST_COLUMNS]


def _empty(n: int) -> pd.api.extensions.ExtensionArray:
    """``n`` empty text cells."""
    return pd.array(pa.nulls(n, pa.string()), dtype=_TEXT)


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column of the frame as text (0..n-1), all empty when the frame lacks it."""
    if column in frame.columns:
        return frame[column].astype(_TEXT).reset_index(drop=True)
    return pd.Series(_empty(len(frame)))


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    """``source`` as text and ``row`` as Int64, the keys records are joined on."""
    return frame.astype({"source": _TEXT, "row": "Int64"})


def _people_of(keys: pd.DataFrame, people: pd.DataFrame | None) -> pd.DataFrame:
    """The people row of each key (in the keys' order); NA where it is not listed."""
    keys = _keyed(keys.reset_index(drop=True))
    if people is None or not len(people):
        return keys.copy()
    listed = people[people["source"].notna() & people["row"].notna()]
    listed = _keyed(listed.drop_duplicates(["source", "row"]))
    return keys.merge(listed, on=["source", "row"], how="left", sort=False)


def _rule_rank(rules: pd.Series) -> np.ndarray:
    """Each code's place in the registry (``REGISTRY`` then the link rules); codes it
    does not know come after, in alphabetical order."""
    known = {code: i for i, code in enumerate(ALL_RULES)}
    unknown = sorted(set(rules.dropna().unique()) - set(known))
    known.update({code: len(ALL_RULES) + i for i, code in enumerate(unknown)})
    return rules.map(known).fillna(len(known)).to_numpy(dtype=np.int64)


def _messages(f: pd.DataFrame) -> pd.Series:
    """Each finding's message; ``field.missing`` names the column missing, since its
    message is the same for every field."""
    message = f["message"].astype(_TEXT)
    which = f["column"].astype(_TEXT).fillna(f["field"].astype(_TEXT))
    named = (f["rule"] == "field.missing").fillna(False) & which.notna()
    return message.mask(named, message.fillna("") + " (" + which + ")")


def _actions(
    f: pd.DataFrame, rank: np.ndarray, people: pd.DataFrame | None, who: pd.DataFrame, lang: str
) -> tuple[pd.Series, np.ndarray]:
    """Each finding's action in words (in ``lang``) and its urgency (0 the most)."""
    rule = f["rule"].astype(object)
    field = f["field"].astype(object)
    action = rule.map(RULE_ACTIONS).fillna(OTHER).astype(object)
    action[((rule == "record.duplicate") & (field == "bhxh_code")).to_numpy(dtype=bool)] = MERGE
    if "kind" in who.columns:
        kind = (
            who["kind"]
            .astype("string")
            .fillna("")
            .astype(object)
            .to_numpy()[f["record"].to_numpy()]
        )
        action[((rule == "person.duplicate").to_numpy(dtype=bool)) & (kind == "bhxh")] = MERGE
    missing = (rule == "field.missing").to_numpy(dtype=bool)
    other_place = field.map(_MISSING_FIELD_ACTIONS)
    action[missing & other_place.notna().to_numpy()] = other_place[missing & other_place.notna()]
    urgency = action.map(_URGENCY).to_numpy(dtype=np.int64, copy=True)
    words = np.array(action.map({a: translate(a, lang) for a in ACTION_ORDER}), dtype=object)
    death = (rule == "vital.deceased_active").to_numpy(dtype=bool)
    if death.any():
        stop = _stop_month(f[death], people)
        dated = stop.notna().to_numpy()
        said = stop.map({m: msg(STOP, month=m).say(lang) for m in stop.dropna().unique()})
        at = np.flatnonzero(death)
        words[at[dated]] = said[dated].to_numpy(dtype=object)
        words[at[~dated]] = translate(STOP_UNDATED, lang)
        urgency[at[~dated]] = _URGENCY[STOP_UNDATED]
    return pd.Series(words, dtype=_TEXT), urgency


def _stop_month(deaths: pd.DataFrame, people: pd.DataFrame | None) -> pd.Series:
    """``MM/YYYY``, the month after the month of death, for each ``vital.deceased_active``
    finding: the death date of its related record (the death record), else of its own;
    NA where neither is known to the month."""
    n = len(deaths)
    if people is None or "death_date" not in people.columns:
        return pd.Series(_empty(n))
    related = deaths[["related_source", "related_row"]].set_axis(["source", "row"], axis=1)
    theirs = _people_of(related, people[["source", "row", "death_date"]])["death_date"]
    own = _people_of(deaths[["source", "row"]], people[["source", "row", "death_date"]])
    date = theirs.astype(_TEXT).fillna(own["death_date"].astype(_TEXT))
    parts = parse_dates(date.reset_index(drop=True), "d")
    month = parts["d_month"].astype("Int64")
    year = parts["d_year"].astype("Int64")
    usable = pa.array((month.notna() & year.notna()).to_numpy())
    m = month.fillna(1).to_numpy(dtype=np.int64)
    y = year.fillna(1).to_numpy(dtype=np.int64)
    after_m = pa.array(np.where(m == 12, 1, m + 1)).cast(pa.string())
    after_y = pa.array(np.where(m == 12, y + 1, y)).cast(pa.string())
    text = pc.binary_join_element_wise(pc.utf8_lpad(after_m, 2, "0"), after_y, "/")
    return pd.Series(pd.array(pc.if_else(usable, text, _NULL), dtype=_TEXT))


def _joined(
    group: np.ndarray, order: tuple[np.ndarray, ...], values: pd.Series, n: int, sep: str
) -> pa.Array:
    """Per record (``group``, 0..n-1), its distinct values in ``order``, joined by ``sep``;
    null where it has none. Vectorised: one sort, one list array, one join."""
    frame = pd.DataFrame({"g": group, "v": values.astype(_TEXT).to_numpy()})
    for i, key in enumerate(order):
        frame[f"k{i}"] = key
    frame = frame[frame["v"].notna()]
    frame = frame.sort_values(["g", *(f"k{i}" for i in range(len(order)))], kind="stable")
    frame = frame.drop_duplicates(["g", "v"])
    counts = np.bincount(frame["g"].to_numpy(dtype=np.int64), minlength=n)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    items = pa.array(frame["v"].astype(object).to_numpy(), type=pa.string())
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), items), sep)
    return pc.if_else(pc.equal(joined, ""), _NULL, joined)


def _address_order(table: pd.DataFrame, keys: pd.DataFrame) -> np.ndarray:
    """Rows by province and district (where the address names them), ward, village or
    street, the street within a village, alley, house number, the whole address; ties by
    source and row. A missing part sorts after every present one: a record without an
    address comes last in its ward, one with neither ward nor address last of all."""
    sort_keys: Mapping[str, pa.Array] = {
        "region": pa.array(keys["region_key"].array, type=pa.string()),
        "ward": pa.array(keys["ward_key"].array, type=pa.string()),
        **{
            k: pa.array(keys[k].array, type=pa.string())
            for k in ("area_key", "street_key", "alley_key", "house_key", "text_key")
        },
        "source": pa.array(table["source"].array, type=pa.string()),
        "row": pa.array(table["row"].array, type=pa.int64()),
    }
    by = pa.table(dict(sort_keys))
    # Nulls sort last (SortOptions' default, in every pyarrow).
    order = pc.sort_indices(by, sort_keys=[(k, "ascending") for k in by.column_names])
    return np.asarray(order.to_numpy(zero_copy_only=False))
