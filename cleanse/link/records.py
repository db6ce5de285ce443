"""Loading: ``load_records`` makes one compact frame of every record of every extract.

Each chunk of each extract is prepared (``cleanse.prepare``) and reduced to what linking
compares: the IDs (12 digits, with the zeros a spreadsheet dropped put back; the old
CMND; the BHXH code; a generic extract's own number) and whether the ID agrees with its
own record, the folded name and its parts, the birth date and its precision, the gender,
the phone, address and place keys, and what the cross-file rules need (a death, an
active benefit).

May import: numpy, pandas, pyarrow, ``cleanse.facts``, ``cleanse.idnumber``,
``cleanse.normalise``, ``cleanse.prepare`` and ``cleanse.read``; no module of
``cleanse.link`` (the others all read the frame it makes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.facts import is_active, is_death_event
from cleanse.idnumber import structure, well_formed
from cleanse.normalise import canonical_name, exact_name, letters_only, name_key, to_arrow
from cleanse.prepare import address_key, name_invalid, prepare, prepared_chunks
from cleanse.read import Chunk, Extract

_STRING = pd.StringDtype("pyarrow")


def _str_series(arr: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return pd.Series(pd.array(arr, dtype=_STRING), index=index)


def _null_str(n: int) -> pa.Array:
    return pa.nulls(n, pa.string())


def _optional(prep: pd.DataFrame, name: str) -> pa.Array:
    """A companion column of ``prepare`` as Arrow text, all null when it is not there."""
    if name in prep.columns:
        return to_arrow(prep[name])
    return _null_str(len(prep))


# Where a record lives, beyond its address: compared one by one (see ``levels._place_levels``).
# house_number is in the address already; its own key only blocks.
PLACE_FIELDS = ("ward", "postcode", "province", "house_number")
# "Phường Bến Nghé" and "Bến Nghé", "Tỉnh Hưng Yên" and "Hưng Yên" are one place.
_PLACE_PREFIX = r"^(tinh|thanh pho|tp|quan|huyen|thi xa|phuong|xa|thi tran|p|x|q|h) "


def _place_key(prep: pd.DataFrame, field: str) -> pa.Array:
    """A place column folded as addresses are, without its administrative word."""
    if field not in prep.columns:
        return _null_str(len(prep))
    # Few distinct places: each is folded once.
    arr = to_arrow(prep[field])
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    enc = arr.dictionary_encode() if not pa.types.is_dictionary(arr.type) else arr
    key = address_key(enc.dictionary.cast(pa.string()))
    key = pc.replace_substring_regex(key, _PLACE_PREFIX, "")
    key = pc.if_else(pc.equal(key, ""), pa.scalar(None, pa.string()), key)
    return key.take(enc.indices)


def _record_part(prep: pd.DataFrame, rows: pd.Series, src: int, kind: str) -> pd.DataFrame:
    n = len(prep)
    index = prep.index
    # IDs: 12 digits as written, or with the leading zeros a spreadsheet dropped put back.
    digits = to_arrow(prep["id_digits"])
    restored = to_arrow(prep["id_restored"])
    length = pc.fill_null(pc.utf8_length(digits), 0)
    cand = pc.if_else(pc.equal(length, 12), digits, restored)
    parts = structure(_str_series(cand, index))
    twelve = parts["twelve"].to_numpy()
    good = well_formed(parts)
    id_any = pc.if_else(pa.array(twelve), cand, _null_str(n))
    id12 = pc.if_else(pa.array(good), cand, _null_str(n))
    cmnd9 = pc.if_else(pc.equal(length, 9), digits, _null_str(n))
    # BHXH: a 10-digit code, or since 08/2025 a 12-digit ID in that column (DOMAIN.md §3),
    # used as the record's ID when the ID column gives no well-formed one.
    bdigits = to_arrow(prep["bhxh_digits"])
    blength = pc.fill_null(pc.utf8_length(bdigits), 0)
    bhxh = pc.if_else(pc.equal(blength, 10), bdigits, _null_str(n))
    bparts = structure(prep["bhxh_digits"])
    bgood = well_formed(bparts)
    use_b = pa.array(bgood & ~good)
    id12 = pc.if_else(use_b, bdigits, id12)
    id_any = pc.if_else(use_b, bdigits, id_any)
    # An ID consistent with its own record: a province code, and its gender/century digit
    # and birth-year digits agree with the record's gender and birth year where those are
    # known. Two
    # different consistent IDs are two people (a mistyped ID rarely stays consistent).
    chosen = structure(_str_series(id12, index))
    gender_code = prep["gender_code"].astype("string")
    year = prep["dob_year"].astype("Int64")
    g_ok = gender_code.isna() | (gender_code == chosen["gender"])
    y_ok = year.isna() | ((year // 100 * 100 == chosen["century"]) & (year % 100 == chosen["yy"]))
    # A foreign prefix (100 or more) is well-formed but still to be confirmed
    # (id.foreign_code): not consistent, so beside another ID it is a mismatch.
    consistent = (
        np.asarray(pc.is_valid(id12).to_numpy(zero_copy_only=False), dtype=bool)
        & chosen["place_known"].to_numpy(dtype=bool)
        & g_ok.to_numpy(dtype=bool, na_value=False)
        & y_ok.to_numpy(dtype=bool, na_value=False)
    )

    # Names: the folded key, of the repaired text where the name was mojibake, without
    # digits and symbols (Nguyễn Văn An2, Trần Thị #Lan).
    key = to_arrow(prep["name_key"])
    # The exact name (canonical marks, lower case), for field mismatches the key misses.
    exact = to_arrow(prep["name_clean"])
    moji = prep["name_mojibake"].to_numpy(dtype=bool)
    if moji.any():
        fixed = to_arrow(name_key(prep["name_repaired"]))
        key = pc.if_else(pa.array(moji), fixed, key)
        exact = pc.if_else(pa.array(moji), to_arrow(canonical_name(prep["name_repaired"])), exact)
    exact = exact_name(exact)
    key = letters_only(key)  # H’Hen = H'Hen; digits and symbols dropped
    key = pc.if_else(pc.equal(key, ""), _null_str(n), key)
    surname = pc.struct_field(pc.extract_regex(key, r"^(?P<s>\S+) "), [0])
    given = pc.struct_field(pc.extract_regex(key, r"(?P<g>\S+)$"), [0])
    middle = pc.struct_field(pc.extract_regex(key, r"^\S+ (?P<m>.*?) ?\S+$"), [0])

    # A name the single-file rules accept: not garbled, no digits or symbols, 2+ words.
    name_ok = prep["name_clean"].notna().to_numpy() & ~moji & ~name_invalid(prep).to_numpy()

    status = prep["benefit_status"] if "benefit_status" in prep.columns else None
    active = is_active(status, kind, n)
    if kind == "hotich" and "event" in prep.columns:
        death_event = is_death_event(prep["event"])
    else:
        death_event = np.zeros(n, dtype=bool)
    dy = prep["death_date_year"].astype("Int32")
    dm = prep["death_date_month"].astype("Int32")
    dd = prep["death_date_day"].astype("Int32")
    death_ord = (dy * 10000 + dm.fillna(0) * 100 + dd.fillna(0)).where(dm.notna())

    def text(arr: pa.Array | pa.ChunkedArray) -> pd.Series:
        return _str_series(arr, index)

    return pd.DataFrame(
        {
            "src": np.full(n, src, dtype=np.int16),
            "row": rows.to_numpy(dtype=np.int64),
            "id12": text(id12),
            "id_any": text(id_any),
            # An ID written but unusable (letters, scientific notation, rounded, a wrong
            # length), where no 12-digit ID stands in the BHXH column either.
            "id_malformed": prep["id_present"].to_numpy(dtype=bool, na_value=False)
            & ~np.asarray(pc.is_valid(id_any).to_numpy(zero_copy_only=False), dtype=bool)
            & ~np.asarray(pc.equal(length, 9).to_numpy(zero_copy_only=False), dtype=bool),
            "cmnd9": text(cmnd9),
            "bhxh": text(bhxh),
            "name_key": text(key),
            "name_exact": text(exact),
            "surname": text(surname),
            "middle": text(middle),
            "given": text(given),
            "id_consistent": consistent,
            "other_id": text(_optional(prep, "other_id_clean")),
            "phone": text(_optional(prep, "phone_digits")),
            "address_key": text(_optional(prep, "address_key")),
            **{f"{f}_key": text(_place_key(prep, f)) for f in PLACE_FIELDS},
            "name_ok": name_ok,
            "dob_ok": ~prep["dob_invalid"].to_numpy(dtype=bool)
            & prep["dob_year"].notna().to_numpy(),
            "dob_year": prep["dob_year"].astype("Int16"),
            "dob_month": prep["dob_month"].astype("Int8"),
            "dob_day": prep["dob_day"].astype("Int8"),
            "dob_precision": prep["dob_precision"],
            "dob_placeholder": prep["dob_placeholder"].to_numpy(dtype=bool),
            "gender_code": prep["gender_code"],
            "death_ord": death_ord.astype("Int32"),
            "is_death_event": death_event,
            "active": active,
        },
        index=index,
    )


def load_records(
    extracts: Sequence[Extract], gender_codes: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """One compact frame of every record of every extract, with what linking needs.

    Columns: ``source`` (file name), ``src`` (index of the extract in ``extracts``),
    ``row`` (SPEC row), ``kind``; ``id12`` (well-formed 12-digit ID: known or foreign
    place code, leading zeros restored; else a well-formed 12-digit ID in the BHXH
    column), ``id_any`` (any 12-digit value, for similarity), ``cmnd9``, ``bhxh``
    (10-digit code); ``name_key`` (folded, mojibake repaired, digits and symbols dropped)
    and its ``surname`` (first word), ``middle`` and ``given`` (last word; a one-word name
    has only a given name); ``name_exact`` (the name with its marks, in canonical tone
    placement and lower case; null when it has none);
    ``dob_year/month/day/precision/placeholder``, ``gender_code``;
    ``death_ord`` (yyyymmdd of a death date, dd = 00 when only month and year are known);
    ``is_death_event`` (a hộ tịch khai tử); ``active`` (btxh "đang hưởng"; bhxh unless
    its status says dừng/thôi/ngừng). Read chunk by chunk; text as Arrow strings, repeated
    values as categoricals.
    """
    parts: list[pd.DataFrame] = []

    def part(src: int, chunk: Chunk, prep: pd.DataFrame) -> pd.DataFrame:
        return _record_part(prep, chunk.rows, src, extracts[src].kind)

    parts.extend(p for _, p in prepared_chunks(extracts, gender_codes, part, ahead=2))
    if not parts:
        prep = prepare(pd.DataFrame({"full_name": pd.Series([], dtype=_STRING)}), gender_codes)
        parts.append(_record_part(prep, pd.Series([], dtype="int64"), 0, "generic"))
    frame = pd.concat(parts, ignore_index=True)
    # Two files may share a name (folders differ): one category per distinct name.
    names = list(dict.fromkeys(ext.name for ext in extracts)) or [""]
    name_of = np.array([names.index(ext.name) for ext in extracts] or [0], dtype=np.int64)
    kinds = list(dict.fromkeys(ext.kind for ext in extracts)) or ["generic"]
    kind_of = np.array([kinds.index(ext.kind) for ext in extracts] or [0], dtype=np.int64)
    src_of = frame["src"].to_numpy(dtype=np.int64)
    source = pd.Categorical.from_codes(name_of[src_of], pd.Index(names))
    frame.insert(0, "source", pd.Series(source, index=frame.index))
    kind = pd.Categorical.from_codes(kind_of[src_of], pd.Index(kinds))
    frame.insert(3, "kind", pd.Series(kind, index=frame.index))
    places = tuple(f"{f}_key" for f in PLACE_FIELDS)
    for col in ("surname", "middle", "given", "dob_precision", "gender_code", *places):
        frame[col] = frame[col].astype("category")
    return frame
