"""Reading Parquet: the schema mapped, a decompression bomb refused, values made text.

Holds the unpack limits (checked on the sizes the footer declares before any page is
read, and on what the batches hold while reading), nested columns refused as a field or
passed through as JSON text, every type made the text a spreadsheet would show (whole
floats as their digits, dates d/m/Y), and the number and date values of surveyed
columns counted.

May import: the standard library, numpy, pandas, pyarrow, ``cleanse.errors``,
``cleanse.fields``, ``cleanse.i18n`` and ``cleanse.read.extract`` and ``xlsx`` (for the
unpack limit the two formats share); ``cleanse.damage`` (which imports this package for
typing only) when a batch is counted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleanse.errors import CleanseError
from cleanse.fields import map_columns, unique_headers
from cleanse.i18n import N_, Msg, msg
from cleanse.read.extract import Extract, _surveyed_columns, _to_frame
from cleanse.read.xlsx import XLSX_MAX_UNPACKED_BYTES

# A Parquet file is compressed and encoded: refuse one whose pages would unpack to more
# than this and to far more than its size (a "decompression bomb"). Both, because a real
# extract of 10M records unpacks past 2 GB too, and is read in batches.
PARQUET_MAX_UNPACKED_BYTES = XLSX_MAX_UNPACKED_BYTES
PARQUET_MAX_RATIO = 100  # real extracts unpack to a few times their size, rarely 20


def _nested(t: pa.DataType) -> Msg | None:
    """What a column of nested values holds, in a user's words; None for plain values."""
    if pa.types.is_struct(t):
        return msg("records (struct)")
    if pa.types.is_map(t):
        return msg("key-value maps")
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return msg("lists")
    if pa.types.is_union(t):
        return msg("values of several types (union)")
    if pa.types.is_dictionary(t):
        return _nested(t.value_type)
    return None


def _refuse_bomb(total: int, size: int, shown: str, done: bool = False) -> None:
    if total <= PARQUET_MAX_UNPACKED_BYTES or total <= PARQUET_MAX_RATIO * max(size, 1):
        return
    template = (
        N_(
            "the Parquet file unpacks to {mb:,.0f} MB, {times:,.0f} times its size, more "
            "than the {limit:,.0f} MB allowed"
        )
        if done
        else N_(
            "the Parquet file would unpack to {mb:,.0f} MB, {times:,.0f} times its size, "
            "more than the {limit:,.0f} MB allowed"
        )
    )
    raise CleanseError(
        msg(
            template,
            mb=total / 2**20,
            times=total / max(size, 1),
            limit=PARQUET_MAX_UNPACKED_BYTES / 2**20,
        ),
        path=shown,
        hint="check where the file came from; a real extract unpacks to a few times its size",
    )


def _open_parquet(p: Path, shown: str, user_map: Mapping[str, str] | None) -> Extract:
    try:
        meta = pq.read_metadata(p)
        schema = meta.schema.to_arrow_schema()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise CleanseError(
            msg("the Parquet file is damaged: {name}", name=type(exc).__name__), path=shown
        ) from None
    # What the pages unpack to, as the file's footer declares it, before any is read.
    total = sum(
        rg.column(i).total_uncompressed_size
        for rg in (meta.row_group(r) for r in range(meta.num_row_groups))
        for i in range(rg.num_columns)
    )
    _refuse_bomb(total, p.stat().st_size, shown)
    if len(set(schema.names)) != len(schema.names):
        raise CleanseError("has duplicate column names", path=shown)
    columns = map_columns(schema.names, user_map, path=shown)
    ext = Extract(p, "parquet", columns, "generic", True)
    for f in schema:
        what = _nested(f.type)
        if what is None:
            continue
        field = columns.fields.get(f.name)
        if field is not None:
            raise CleanseError(
                msg(
                    "holds {what} ({type}), not one value per record, so it cannot be read as "
                    "{field}",
                    what=what,
                    type=f.type,
                    field=field,
                ),
                path=shown,
                column=f.name,
                hint=msg(
                    "write the column as text, or map another column to {field} with --map",
                    field=field,
                ),
            )
        ext.notes.append(f"column {f.name!r} holds {what}: passed through as JSON text")
    return ext


def _count_column(ext: Extract, header: str, col: pa.Array, before: int) -> None:
    """Count the number or date values of a surveyed Parquet column's batch (records
    ``before + 1`` on), as :func:`_count_cell` counts an .xlsx column's cells."""
    t = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
    if pa.types.is_dictionary(col.type):
        col = col.cast(t)
    numeric = pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_decimal(t)
    dated = pa.types.is_timestamp(t) or pa.types.is_date(t)
    if not (numeric or dated):
        return
    from cleanse.read.extract import SURVEY_ROWS

    valid = pc.is_valid(col).to_numpy(zero_copy_only=False)
    big = np.zeros(len(col), dtype=bool)
    if dated:
        big = np.asarray(pc.fill_null(pc.greater(pc.day(col), 12), False), dtype=bool)
    kinds = [("numeric", valid)] if numeric else [("date", valid), ("date_day_gt12", big)]
    head = max(0, min(len(col), SURVEY_ROWS - before))
    for kind, flags in kinds:
        whole = ext.cells.setdefault(header, {})
        whole[kind] = whole.get(kind, 0) + int(flags.sum())
        if head:
            first = ext.survey_cells.setdefault(header, {})
            first[kind] = first.get(kind, 0) + int(flags[:head].sum())


def _json_text(col: pa.Array) -> pa.Array:
    """Nested values as JSON text (a column passed through, never checked)."""
    import json

    def dump(value: object) -> str:
        if value is None:
            return ""
        return json.dumps(value, ensure_ascii=False, default=str)

    return pa.array([dump(v) for v in col.to_pylist()], pa.string())


# The largest whole number a float of each width holds exactly: beyond it, the digits
# are the float's, not the ID's, and are never made up (SPEC §1).
_EXACT_FLOAT = {16: 2**11, 32: 2**24, 64: 2**53}


def _float_text(col: pa.Array) -> pa.Array:
    """Floats as a spreadsheet's numbers read: whole numbers as their digits
    (``79190123456.0``, shown ``7.9190123456e+10``, is ``79190123456``), so that the ID
    rules see what an .xlsx number gives them: dropped zeros, scientific notation."""
    values = col.to_numpy(zero_copy_only=False).astype("float64")
    limit = _EXACT_FLOAT.get(col.type.bit_width, 2**53)
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(values) & (np.abs(values) < limit) & (values == np.round(values))
    text = pc.cast(col, pa.string())
    if whole.any():
        digits = pc.cast(pa.array(np.where(whole, values, 0).astype("int64")), pa.string())
        text = pc.if_else(pa.array(whole), digits, text)
    nan = ~np.isfinite(values) & ~np.isinf(values)  # NaN: pandas' empty cell
    valid = pc.is_valid(col).to_numpy(zero_copy_only=False)
    return pc.if_else(pa.array(nan & valid), pa.scalar("", pa.string()), text)


def _as_text(col: pa.Array, name: str = "", shown: str = "") -> pa.Array:
    t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        out = col
    elif pa.types.is_floating(t):
        out = _float_text(col)
    elif pa.types.is_decimal(t):
        out = pc.replace_substring_regex(col.cast(pa.string()), r"\.0+$", "")
    elif pa.types.is_timestamp(t) or pa.types.is_date(t):
        out = pa.compute.strftime(col, format="%d/%m/%Y")
    elif _nested(t) is not None:
        out = _json_text(col)
    elif pa.types.is_dictionary(t):
        out = _as_text(col.cast(t.value_type), name, shown)
    else:
        try:
            out = col.cast(pa.string())
        except pa.ArrowInvalid:
            raise CleanseError(
                msg("holds {t} values that are not text (not UTF-8)", t=t),
                path=shown,
                column=name,
                hint="write the column as text",
            ) from None
        except pa.ArrowNotImplementedError:
            out = pa.array([None if v is None else str(v) for v in col.to_pylist()], pa.string())
    return out.fill_null("")


def _parquet_frames(ext: Extract) -> Iterator[pd.DataFrame]:
    shown = str(ext.path)
    size = ext.path.stat().st_size
    unpacked = 0
    try:
        pf = pq.ParquetFile(ext.path)
        names = list(unique_headers(pf.schema_arrow.names))
        surveyed = dict((names[i], h) for i, h in _surveyed_columns(ext) if i < len(names))
        record = 0
        for batch in pf.iter_batches(batch_size=ext.chunk_rows):
            for j, n in enumerate(names):
                if n in surveyed:
                    _count_column(ext, surveyed[n], batch.column(j), record)
            record += batch.num_rows
            # Encodings the footer's sizes do not show (a dictionary of one long value,
            # repeated) are bounded by what the batches hold.
            unpacked += batch.nbytes
            _refuse_bomb(unpacked, size, shown, done=True)
            cols = [_as_text(c, n, shown) for c, n in zip(batch.columns, names, strict=True)]
            yield _to_frame(pa.table(cols, names=names))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise CleanseError(
            msg("the Parquet file cannot be read: {name}", name=type(exc).__name__), path=shown
        ) from None
