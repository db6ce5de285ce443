"""The Excel report, ``report.xlsx``: the file an officer opens (SPEC §5).

xlsxwriter makes the workbook around the data: the summary sheet, cell by cell (it is
small), and for each table a sheet holding only its header row, frozen, bold, in the
run's language, with column widths and an autofilter over the rows to come. The rows
themselves, up to a million a sheet, are then written straight into that sheet's XML:
each batch of rows becomes one block of ``<row>`` text built with pyarrow string kernels
over whole columns, and is streamed into the zip. No Python call per cell, and no more
than one batch of text in memory, so a million findings take seconds, not minutes.

What a cell holds follows ``write_tables``: text is an inline string with the text
format ``@`` (an ID stays ``001085012345``), integer, float and boolean columns are
numbers and booleans, an empty or missing value is no cell at all. The text reaching
here is already neutralised against formulas and cleared of the control characters XML
cannot hold (``write._for_xlsx``); here it is escaped for XML (``& < >``, and a literal
``_xHHHH_``, which Excel would read as an escaped character).

Fixed values are shown in the run's language: the headers, the ``severity`` column
(``lỗi``/``cảnh báo``) and the ``field`` column (``Số định danh cá nhân``). Rule codes
stay codes: they are what ``cleanse rules`` lists and what a jobs file filters on.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:  # xlsxwriter is imported only when an .xlsx is written
    from xlsxwriter.format import Format
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

SUMMARY_SHEET = "summary"
# The columns ``attach_people`` adds to findings for the report alone.
NAME_COLUMN, ID_COLUMN = "_name", "_id"
PEOPLE_COLUMNS = (NAME_COLUMN, ID_COLUMN)

# Rows turned into XML at a time: about 50 MB of text for a findings table.
BATCH_ROWS = 65_536
_MIN_WIDTH, _MAX_WIDTH = 8, 60

HEADERS: dict[str, dict[str, str]] = {
    "vi": {
        "source": "Tệp nguồn",
        "row": "Dòng",
        "sheet_row": "Dòng trên bảng tính",
        "column": "Cột",
        NAME_COLUMN: "Họ và tên",
        ID_COLUMN: "Số định danh",
        "rule": "Quy tắc",
        "severity": "Mức độ",
        "field": "Trường",
        "value": "Giá trị",
        "message": "Thông báo",
        "suggestion": "Đề xuất",
        "related_source": "Tệp liên quan",
        "related_row": "Dòng liên quan",
        "restored": "Giá trị khôi phục",
        "person_id": "Mã người",
        "left_source": "Tệp (bên trái)",
        "left_row": "Dòng (bên trái)",
        "left_value": "Giá trị (bên trái)",
        "right_source": "Tệp (bên phải)",
        "right_row": "Dòng (bên phải)",
        "right_value": "Giá trị (bên phải)",
        "method": "Cách liên kết",
        "score": "Điểm",
        "reason": "Lý do",
        "decision": "Quyết định",
        "status": "Trạng thái",
    },
    "en": {
        "source": "Source file",
        "row": "Row",
        "sheet_row": "Spreadsheet row",
        "column": "Column",
        NAME_COLUMN: "Full name",
        ID_COLUMN: "ID number",
        "rule": "Rule",
        "severity": "Severity",
        "field": "Field",
        "value": "Value",
        "message": "Message",
        "suggestion": "Suggestion",
        "related_source": "Related file",
        "related_row": "Related row",
        "restored": "Restored value",
        "person_id": "Person ID",
        "left_source": "File (left)",
        "left_row": "Row (left)",
        "left_value": "Value (left)",
        "right_source": "File (right)",
        "right_row": "Row (right)",
        "right_value": "Value (right)",
        "method": "Link method",
        "score": "Score",
        "reason": "Reason",
        "decision": "Decision",
        "status": "Status",
    },
}

SEVERITY = {
    "vi": {"error": "lỗi", "warning": "cảnh báo"},
    "en": {"error": "error", "warning": "warning"},
}

FIELD_NAMES: dict[str, dict[str, str]] = {
    "vi": {
        "id_number": "Số định danh cá nhân",
        "full_name": "Họ và tên",
        "dob": "Ngày sinh",
        "gender": "Giới tính",
        "bhxh_code": "Mã số BHXH",
        "ethnicity": "Dân tộc",
        "nationality": "Quốc tịch",
        "address": "Địa chỉ",
        "house_number": "Số nhà",
        "ward": "Xã/Phường",
        "province": "Tỉnh/Thành phố",
        "postcode": "Mã bưu chính",
        "event": "Loại sự kiện",
        "death_date": "Ngày chết",
        "benefit_type": "Đối tượng",
        "benefit_status": "Trạng thái hưởng",
        "benefit_start": "Ngày hưởng",
        "phone": "Số điện thoại",
        "family_name": "Họ",
        "middle_name": "Tên đệm",
        "given_name": "Tên",
        "other_id": "Số định danh khác",
    },
    "en": {
        "id_number": "ID number",
        "full_name": "Full name",
        "dob": "Date of birth",
        "gender": "Gender",
        "bhxh_code": "BHXH code",
        "ethnicity": "Ethnicity",
        "nationality": "Nationality",
        "address": "Address",
        "house_number": "House number",
        "ward": "Ward/commune",
        "province": "Province/city",
        "postcode": "Postcode",
        "event": "Event",
        "death_date": "Date of death",
        "benefit_type": "Beneficiary type",
        "benefit_status": "Benefit status",
        "benefit_start": "Benefit start",
        "phone": "Phone number",
        "family_name": "Family name",
        "middle_name": "Middle name",
        "given_name": "Given name",
        "other_id": "Other ID",
    },
}

# The summary sheet's words.
WORDS: dict[str, dict[str, str]] = {
    "vi": {
        "title": "Báo cáo cleanse",
        "cmd_validate": "kiểm tra từng tệp (validate)",
        "cmd_reconcile": "đối chiếu nhiều tệp (reconcile)",
        "reconcile": "Đối chiếu",
        "links_by_method": "Liên kết theo cách",
        "linking": "Chi tiết liên kết",
        "threshold": "Ngưỡng liên kết",
        "review_threshold": "Ngưỡng cần xem xét",
        "records": "Số bản ghi",
        "persons": "Số người",
        "persons_in_reference": "Số người trong dữ liệu đối chiếu",
        "links": "Số liên kết",
        "review": "Cặp cần xem xét",
        "discrepancies": "Khác biệt",
        "reference_given": "Có chỉ định tệp đối chiếu",
        "job": "Công việc",
        "previous_run": "Lần chạy trước",
        "new": "Mới",
        "persisting": "Còn tồn tại",
        "resolved": "Đã xử lý",
        "column": "Cột",
        "total_rows": "Tổng",
        "run": "Thông tin lần chạy",
        "inputs": "Tệp đầu vào",
        "by_file_rule": "Số phát hiện theo tệp và quy tắc",
        "rules": "Quy tắc",
        "notes": "Ghi chú",
        "sheets": "Các trang tính",
        "table": "Bảng",
        "rows": "Số dòng",
        "sheet_titles": "Trang tính",
        "file": "Tệp",
        "kind": "Loại",
        "findings": "Phát hiện",
        "format": "Định dạng",
        "encoding": "Mã hoá",
        "sheet": "Trang tính đọc",
        "reference": "Dữ liệu đối chiếu",
        "total": "Tổng",
        "rule": "Quy tắc",
        "severity": "Mức độ",
        "count": "Số lượng",
        "meaning": "Ý nghĩa",
        "columns_of": "Các cột của",
        "header": "Cột trong tệp",
        "field": "Trường",
        "unmapped": "(không dùng)",
        "yes": "có",
        "no": "không",
        "none": "không có phát hiện nào",
        "tool": "Công cụ",
        "version": "Phiên bản",
        "command": "Lệnh",
        "started_at": "Bắt đầu lúc",
        "duration_seconds": "Thời gian chạy (giây)",
        "lang": "Ngôn ngữ",
        "masked": "Đã che số định danh và tên",
        "errors": "Lỗi",
        "warnings": "Cảnh báo",
        "rows_with_errors": "Số dòng có lỗi",
        "files": "Các tệp kết quả",
        "changes": "So với lần chạy trước",
        "batch": "Chạy theo lịch (batch)",
        "kind_detected": "Loại tự nhận ra",
        "delimiter": "Dấu phân cách",
        "conversions": "chuyển đổi",
        "diagnoses": "hư hỏng do bảng tính, theo cột",
        "damage": "Hư hỏng",
        "rounded": "Số bị làm tròn",
        "evidence": "Bằng chứng",
        # The evidence of a column's damage, counted over the values looked at.
        "present": "có giá trị",
        "digits": "chỉ gồm chữ số",
        "kept_zero": "còn số 0 ở đầu",
        "short": "thiếu 1–2 chữ số",
        "scientific": "dạng số mũ (E+)",
        "numeric_cells": "ô kiểu số",
        "date_cells": "ô kiểu ngày",
        "date_day_gt12_cells": "ô ngày có ngày > 12",
        "iso_day_le12": "ngày yyyy-mm-dd, ngày ≤ 12",
        "iso_day_gt12": "ngày yyyy-mm-dd, ngày > 12",
        "day_first": "chữ dd/mm, ngày > 12",
        "either": "chữ dd/mm, ngày ≤ 12",
    },
    "en": {
        "title": "cleanse report",
        "cmd_validate": "checks of each file (validate)",
        "cmd_reconcile": "reconciliation of several files (reconcile)",
        "reconcile": "Reconciliation",
        "links_by_method": "Links by method",
        "linking": "Linking details",
        "threshold": "Link threshold",
        "review_threshold": "Review threshold",
        "records": "Records",
        "persons": "Persons",
        "persons_in_reference": "Persons in the reference",
        "links": "Links",
        "review": "Pairs to review",
        "discrepancies": "Discrepancies",
        "reference_given": "Reference file given",
        "job": "Job",
        "previous_run": "Previous run",
        "new": "New",
        "persisting": "Persisting",
        "resolved": "Resolved",
        "column": "Column",
        "total_rows": "Total",
        "run": "The run",
        "inputs": "Input files",
        "by_file_rule": "Findings by file and rule",
        "rules": "Rules",
        "notes": "Notes",
        "sheets": "Sheets",
        "table": "Table",
        "rows": "Rows",
        "sheet_titles": "Sheets",
        "file": "File",
        "kind": "Kind",
        "findings": "Findings",
        "format": "Format",
        "encoding": "Encoding",
        "sheet": "Sheet read",
        "reference": "Reference",
        "total": "Total",
        "rule": "Rule",
        "severity": "Severity",
        "count": "Count",
        "meaning": "Meaning",
        "columns_of": "Columns of",
        "header": "Header in the file",
        "field": "Field",
        "unmapped": "(not used)",
        "yes": "yes",
        "no": "no",
        "none": "no findings",
        "tool": "Tool",
        "version": "Version",
        "command": "Command",
        "started_at": "Started at",
        "duration_seconds": "Duration (seconds)",
        "lang": "Language",
        "masked": "IDs and names masked",
        "errors": "Errors",
        "warnings": "Warnings",
        "rows_with_errors": "Rows with errors",
        "files": "Result files",
        "changes": "Compared with the previous run",
        "batch": "Scheduled run (batch)",
        "kind_detected": "Kind detected",
        "delimiter": "Delimiter",
        "conversions": "conversions",
        "diagnoses": "spreadsheet damage, per column",
        "damage": "Damage",
        "rounded": "Rounded",
        "evidence": "Evidence",
        "present": "with a value",
        "digits": "digits only",
        "kept_zero": "with a leading zero",
        "short": "one or two digits short",
        "scientific": "scientific notation (E+)",
        "numeric_cells": "number cells",
        "date_cells": "date cells",
        "date_day_gt12_cells": "date cells with a day > 12",
        "iso_day_le12": "yyyy-mm-dd dates, day ≤ 12",
        "iso_day_gt12": "yyyy-mm-dd dates, day > 12",
        "day_first": "dd/mm texts, day > 12",
        "either": "dd/mm texts, day ≤ 12",
    },
}


# What a spreadsheet did to a column (``cleanse.damage``), in words.
DAMAGE = {
    "vi": {
        "leading_zeros": "mất số 0 ở đầu",
        "month_first": "ngày tháng bị đọc theo kiểu tháng trước",
        "rounded": "số bị làm tròn, mất chữ số",
    },
    "en": {
        "leading_zeros": "leading zeros lost",
        "month_first": "dates read month-first",
        "rounded": "numbers rounded, digits lost",
    },
}


def header_label(name: str, lang: str) -> str:
    """A column's header in the report (the column's own name when it has no label)."""
    return HEADERS.get(lang, HEADERS["vi"]).get(name, name)


# --- the table sheets ---------------------------------------------------------------------


def column_letter(index: int) -> str:
    """0 → ``A``, 25 → ``Z``, 26 → ``AA``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _translated(col: pa.ChunkedArray, mapping: Mapping[str, str]) -> pa.ChunkedArray:
    """Each value that ``mapping`` names replaced by its word; the others kept."""
    keys = pa.array(list(mapping), pa.string())
    words = pa.array(list(mapping.values()), pa.string())
    return pc.coalesce(pc.take(words, pc.index_in(col, value_set=keys)), col)


def shown_values(name: str, col: pa.ChunkedArray, lang: str) -> pa.ChunkedArray:
    """The column as the report shows it: severities and field names in ``lang``."""
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        return col
    if name == "severity":
        return _translated(col, SEVERITY.get(lang, SEVERITY["vi"]))
    if name == "field":
        return _translated(col, FIELD_NAMES.get(lang, FIELD_NAMES["vi"]))
    return col


def text_bytes(arr: pa.Array | pa.ChunkedArray) -> Iterator[np.ndarray]:
    """The bytes of a string column's values, chunk by chunk, as numpy views (no copy)."""
    for chunk in arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]:
        offsets, data = _buffers(chunk)
        if len(offsets) and data is not None:
            yield data[int(offsets[0]) : int(offsets[-1])]


def has_byte(arr: pa.Array | pa.ChunkedArray, *values: int, below: int = 0) -> bool:
    """Whether any value holds one of these bytes (or a byte below ``below``).

    A plain byte comparison over the column's buffer: far cheaper than a regex pass, so
    the rare text that needs escaping or cleaning is found before any kernel runs on it.
    """
    for data in text_bytes(arr):
        if below and bool((data < below).any()):
            return True
        for v in values:
            if bool((data == v).any()):
                return True
    return False


def _buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray | None]:
    """A string array's offsets (int32, one more than its length) and data bytes."""
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32, count=len(arr) + 1, offset=arr.offset * 4)
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else None
    return offsets, data


def _xml_escaped(arr: pa.Array) -> pa.Array:
    """Text for an XML text node: ``& < >`` as entities, a literal ``_xHHHH_`` guarded."""
    if has_byte(arr, ord("&")):
        arr = pc.replace_substring(arr, "&", "&amp;")
    if has_byte(arr, ord("<")):
        arr = pc.replace_substring(arr, "<", "&lt;")
    if has_byte(arr, ord(">")):
        arr = pc.replace_substring(arr, ">", "&gt;")
    if has_byte(arr, ord("_")) and pc.any(pc.match_substring(arr, "_x")).as_py():
        # Excel reads _x0041_ as "A"; it writes a literal one as _x005F_x0041_.
        arr = pc.replace_substring_regex(arr, "_(x[0-9A-Fa-f]{4}_)", r"_x005F_\1")
    return arr


_XML_SPACE = np.zeros(256, dtype=bool)
_XML_SPACE[[0x20, 0x09, 0x0A, 0x0D]] = True


def _edges(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Per value: empty (or missing), and begins or ends with XML white space."""
    offsets, data = _buffers(arr)
    start, end = offsets[:-1], offsets[1:]
    empty = end <= start
    if arr.null_count:
        empty |= ~np.asarray(arr.is_valid())
    spaced = np.zeros(len(arr), dtype=bool)
    if data is not None and not empty.all():
        full = ~empty
        spaced[full] = _XML_SPACE[data[start[full]]] | _XML_SPACE[data[end[full] - 1]]
    return empty, spaced


@dataclass
class _Column:
    """How one column's cells are written: its letter and kind."""

    letter: str
    kind: str  # "text", "int", "float", "bool"


def _kind(col: pa.ChunkedArray) -> str:
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return "text"
    if pa.types.is_boolean(col.type):
        return "bool"
    if pa.types.is_floating(col.type):
        return "float"
    if pa.types.is_integer(col.type):
        return "int"
    return "text"  # write_tables gives only the four kinds; anything else as text


def _cells(arr: pa.Array, spec: _Column, rownum: pa.Array, text_style: int) -> pa.Array:
    """One ``<c>`` element per row (an empty string where the cell is empty)."""
    start = f'<c r="{spec.letter}'
    if spec.kind == "text":
        if arr.type != pa.string():
            arr = arr.cast(pa.string())
        empty, spaced = _edges(arr)
        open_t: Any = "<is><t>"
        if spaced.any():
            open_t = pc.if_else(pa.array(spaced), '<is><t xml:space="preserve">', "<is><t>")
        cell = pc.binary_join_element_wise(
            start,
            rownum,
            f'" s="{text_style}" t="inlineStr">',
            open_t,
            _xml_escaped(arr),
            "</t></is></c>",
            "",
        )
        if empty.any():
            cell = pc.if_else(pa.array(empty), "", cell)
        return cell
    if spec.kind == "bool":
        digit = pc.if_else(arr, "1", "0")
        cell = pc.binary_join_element_wise(start, rownum, '" t="b"><v>', digit, "</v></c>", "")
    else:
        if spec.kind == "float":
            arr = pc.if_else(pc.is_finite(arr), arr, pa.scalar(None, arr.type))
        text = arr.cast(pa.string())
        cell = pc.binary_join_element_wise(start, rownum, '"><v>', text, "</v></c>", "")
    return pc.fill_null(cell, "") if cell.null_count else cell


def _text_bytes(arr: pa.Array) -> memoryview:
    """The values of a string array with no nulls, end to end, without copying them."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    offsets, _data = _buffers(arr)
    data = arr.buffers()[2]
    if not len(arr) or data is None:
        return memoryview(b"")
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])]


def rows_xml(batch: pa.RecordBatch, first_row: int, text_style: int) -> memoryview:
    """The ``<row>`` elements of a batch whose first row is sheet row ``first_row``."""
    n = batch.num_rows
    rownum = pa.array(np.arange(first_row, first_row + n, dtype=np.int64)).cast(pa.string())
    cells = [
        _cells(col, _Column(column_letter(i), _kind(col)), rownum, text_style)
        for i, col in enumerate(batch.columns)
    ]
    rows = pc.binary_join_element_wise('<row r="', rownum, '">', *cells, "</row>", "")
    return _text_bytes(rows)


def _width(header: str, col: pa.ChunkedArray) -> float:
    longest = len(header)
    if len(col) and col.null_count < len(col):
        if _kind(col) == "text":
            longest = max(longest, pc.max(pc.utf8_length(col)).as_py() or 0)
        else:
            longest = max(longest, len(str(pc.max(col).as_py())))
    return float(min(max(longest + 2, _MIN_WIDTH), _MAX_WIDTH))


def sheet_titles(name: str, count: int) -> list[str]:
    """``findings``, ``findings (2)``…: Excel allows 31 characters."""
    titles = [name]
    for k in range(2, count + 1):
        suffix = f" ({k})"
        titles.append(name[: 31 - len(suffix)] + suffix)
    return titles


@dataclass
class _Part:
    """One sheet of a table: the rows it holds, and its XML file in the workbook.

    ``ready`` turns a batch of those rows into what the cells show (words in the run's
    language, text made safe for a spreadsheet): done a batch at a time, so no second
    copy of a whole table is ever made.
    """

    title: str
    table: pa.Table
    ready: Callable[[pa.Table], pa.Table]
    member: str = ""


@dataclass
class _Styles:
    """The few cell formats a report uses, made once per workbook."""

    text: Format
    bold: Format
    bold_text: Format
    title: Format
    count: Format

    @classmethod
    def of(cls, wb: Workbook) -> _Styles:
        return cls(
            text=wb.add_format({"num_format": "@"}),
            bold=wb.add_format({"bold": True}),
            bold_text=wb.add_format({"bold": True, "num_format": "@"}),
            title=wb.add_format({"bold": True, "font_size": 14, "num_format": "@"}),
            count=wb.add_format({"num_format": "#,##0"}),
        )


def _skeleton_sheet(
    ws: Worksheet, styles: _Styles, headers: list[str], part: _Part, lang: str
) -> None:
    """A table's sheet with only its header row: widths, frozen row, autofilter."""
    table = part.table
    for i, (header, name) in enumerate(zip(headers, table.column_names, strict=True)):
        ws.set_column(i, i, _width(header, shown_values(name, table.column(i), lang)))
    ws.freeze_panes(1, 0)
    for i, header in enumerate(headers):
        ws.write_string(0, i, header, styles.bold_text)
    if headers:
        ws.autofilter(0, 0, table.num_rows, len(headers) - 1)


_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')


def _stream_sheet(skeleton: bytes, out: Any, part: _Part, text_style: int) -> None:
    """Write the skeleton's XML for this sheet with every row of its table inserted."""
    table = part.table
    if b"<sheetData/>" in skeleton:
        skeleton = skeleton.replace(b"<sheetData/>", b"<sheetData></sheetData>")
    head, sep, tail = skeleton.partition(b"</sheetData>")
    if not sep:
        raise ValueError(f"unexpected sheet XML for {part.title!r}")
    if table.num_columns:
        last = f"{column_letter(table.num_columns - 1)}{table.num_rows + 1}"
        head = _DIMENSION.sub(f'<dimension ref="A1:{last}"/>'.encode(), head, count=1)
    out.write(head)
    # The next batch's XML is built (pyarrow, without the GIL) while this one is
    # compressed into the zip (zlib, without the GIL): two cores, two batches in memory.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: Future[memoryview] | None = None
        row = 2  # the header is row 1
        for batch in table.to_batches(max_chunksize=BATCH_ROWS):
            if not batch.num_rows:
                continue
            built = pool.submit(_batch_xml, batch, row, text_style, part.ready)
            row += batch.num_rows
            if pending is not None:
                out.write(pending.result())
            pending = built
        if pending is not None:
            out.write(pending.result())
    out.write(sep + tail)


def _batch_xml(
    batch: pa.RecordBatch, first_row: int, text_style: int, ready: Callable[[pa.Table], pa.Table]
) -> memoryview:
    shown = ready(pa.Table.from_batches([batch])).combine_chunks()
    (one,) = shown.to_batches() or [batch.slice(0, 0)]
    return rows_xml(one, first_row, text_style)


def _may_pass_2gib(part: _Part) -> bool:
    """Whether a sheet's XML might pass 2 GiB, which needs Zip64 entries.

    Only then: a smaller sheet keeps the plain zip entry every reader knows. An upper
    bound: the values twice over (escaping lengthens ``&``) and 96 bytes of markup a
    cell (about 75 at most), against 1.75 GiB. A million findings make 0.7 GB of XML.
    """
    table = part.table
    markup = table.num_rows * max(table.num_columns, 1) * 96
    return 2 * table.nbytes + markup > 7 << 28


def write_workbook(
    tables: Mapping[str, pa.Table],
    path: Path,
    summary: Mapping[str, Any] | None,
    *,
    lang: str,
    max_rows: int,
    clean: Callable[[pa.Table], pa.Table] | None = None,
) -> Path:
    """Write ``report.xlsx``: the summary sheet, then each table on one or more sheets.

    ``clean`` makes a batch of rows safe for a spreadsheet (``write._for_xlsx``: formulas
    neutralised, characters XML cannot hold replaced); it runs a batch at a time, after
    the severities and fields are put in words. A table longer than
    ``max_rows - 1`` rows continues on ``NAME (2)``, ``NAME (3)``…, each sheet with its
    header; the summary sheet lists them. Temporary files go in a folder beside ``path``
    (the staging folder), never in TMPDIR: they hold IDs and names.
    """
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    per_sheet = max(1, max_rows - 1)
    parts: dict[str, list[_Part]] = {}
    headers: dict[str, list[str]] = {}

    def ready(batch: pa.Table) -> pa.Table:
        columns = zip(batch.column_names, batch.columns, strict=True)
        shown = pa.table([shown_values(n, c, lang) for n, c in columns], names=batch.column_names)
        return clean(shown) if clean is not None else shown

    for name, table in tables.items():
        count = max(1, math.ceil(table.num_rows / per_sheet))
        titles = sheet_titles(name, count)
        parts[name] = [
            _Part(title, table.slice(k * per_sheet, per_sheet), ready)
            for k, title in enumerate(titles)
        ]
        headers[name] = [header_label(n, lang) for n in table.column_names]

    tmp = Path(tempfile.mkdtemp(prefix=".xlsx-", dir=path.parent))
    try:
        skeleton = tmp / "skeleton.xlsx"
        wb = xlsxwriter.Workbook(
            str(skeleton),
            {
                "constant_memory": True,
                "tmpdir": str(tmp),
                # Text stays text: never guessed into a number, a formula or a link.
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "nan_inf_to_errors": True,
            },
        )
        styles = _Styles.of(wb)
        summary_ws = wb.add_worksheet(SUMMARY_SHEET)  # first sheet: what a reader opens to
        number = 1
        for name, sheets in parts.items():
            for part in sheets:
                number += 1
                part.member = f"xl/worksheets/sheet{number}.xml"
                _skeleton_sheet(wb.add_worksheet(part.title), styles, headers[name], part, lang)
        sheet_list = {n: (tables[n].num_rows, [p.title for p in ps]) for n, ps in parts.items()}
        facts = SummaryFacts.of(summary or {}, tables.get("findings"), sheet_list, lang)
        write_summary_sheet(summary_ws, styles, summary_rows(facts))
        try:
            wb.close()
        except FileCreateError as exc:  # xlsxwriter's wrapper of the OSError (disk full)
            cause = exc.args[0] if exc.args else None
            if isinstance(cause, OSError):
                raise cause from None
            raise
        text_style = styles.text.xf_index
        if text_style is None:  # the summary always writes text: never unused
            raise RuntimeError("the text cell format was not written")
        by_member = {p.member: p for ps in parts.values() for p in ps}
        with (
            zipfile.ZipFile(skeleton) as src,
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst,
        ):
            for info in src.infolist():
                data = src.read(info)
                sheet = by_member.get(info.filename)
                if sheet is None:
                    dst.writestr(info.filename, data)
                    continue
                with dst.open(info.filename, "w", force_zip64=_may_pass_2gib(sheet)) as out:
                    _stream_sheet(data, out, sheet, int(text_style))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


# --- the summary sheet --------------------------------------------------------------------


@dataclass
class SummaryFacts:
    """What the summary sheet shows, gathered from the summary and the findings."""

    lang: str
    summary: dict[str, Any]
    sheets: Mapping[str, tuple[int, list[str]]]
    by_file_rule: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        summary: Mapping[str, Any],
        findings: pa.Table | None,
        sheets: Mapping[str, tuple[int, list[str]]],
        lang: str,
    ) -> SummaryFacts:
        from cleanse.write import json_safe

        counts: dict[tuple[str, str], int] = {}
        if (
            findings is not None
            and findings.num_rows
            and {"source", "rule"} <= set(findings.column_names)
        ):
            grouped = (
                findings.select(["source", "rule"])
                .group_by(["source", "rule"])
                .aggregate([([], "count_all")])
            )
            for src, rule, n in zip(
                grouped.column("source").to_pylist(),
                grouped.column("rule").to_pylist(),
                grouped.column("count_all").to_pylist(),
                strict=True,
            ):
                counts[(src or "", rule or "")] = int(n)
        return cls(lang, json_safe(dict(summary)), sheets, counts)

    def word(self, key: str) -> str:
        return WORDS.get(self.lang, WORDS["vi"]).get(key, key)


Row = tuple[list[Any], str]  # the values of a row and its style: "", "title", "head", "section"


def summary_rows(facts: SummaryFacts) -> Iterator[Row]:
    """The summary sheet, row by row: run facts, inputs, counts, notes, details, sheets."""
    s = dict(facts.summary)
    w = facts.word
    command = str(s.get("command") or "")
    known = command in ("validate", "reconcile")
    title = w("title") + (f": {w('cmd_' + command)}" if known else "")
    yield [title], "title"
    yield [], ""
    yield from _run_facts(facts, s)
    yield from _inputs(facts, s.get("inputs") or [])
    yield from _file_rule_table(facts, s)
    yield from _rules_table(facts, s)
    notes = s.get("notes") or []
    if notes:
        yield [w("notes")], "section"
        for note in notes if isinstance(notes, list) else [notes]:
            yield [_scalar(note, facts)], ""
        yield [], ""
    shown = {"inputs", "counts", "notes", "files"} | set(_RUN_KEYS)
    for key, value in s.items():
        if key not in shown:
            yield from _block(facts, w(key), value)
    yield [w("sheets")], "section"
    yield [w("table"), w("rows"), w("sheet_titles")], "head"
    for name, (rows, titles) in facts.sheets.items():
        yield [name, rows, ", ".join(titles)], ""
    files = s.get("files")
    if isinstance(files, list) and files:
        yield [], ""
        yield [w("files"), ", ".join(map(str, files))], ""


_RUN_KEYS = ("command", "tool", "version", "started_at", "duration_seconds", "lang", "masked")


def _run_facts(facts: SummaryFacts, s: dict[str, Any]) -> Iterator[Row]:
    w = facts.word
    yield [w("run")], "section"
    for key in _RUN_KEYS:
        if key in s:
            yield [w(key), _scalar(s[key], facts)], ""
    counts = s.get("counts") or {}
    if isinstance(counts, dict) and counts:
        by = counts.get("by_severity") or {}
        if "findings" in counts:
            yield [w("findings"), counts["findings"]], "count"
        if isinstance(by, dict):
            for sev, label in (("error", "errors"), ("warning", "warnings")):
                if sev in by:
                    yield [w(label), by[sev]], "count"
        if "rows_with_errors" in counts:
            yield [w("rows_with_errors"), counts["rows_with_errors"]], "count"
    yield [], ""


_INPUT_COLUMNS = ("source", "kind", "rows", "findings", "format", "encoding", "sheet", "reference")


def _inputs(facts: SummaryFacts, inputs: list[Any]) -> Iterator[Row]:
    w = facts.word
    items = [i for i in inputs if isinstance(i, dict)]
    if not items:
        return
    yield [w("inputs")], "section"
    cols = [c for c in _INPUT_COLUMNS if any(c in i for i in items)]
    yield [w("file" if c == "source" else c) for c in cols], "head"
    for item in items:
        yield [_scalar(item.get(c), facts) for c in cols], "count"
    yield [], ""
    for item in items:
        name = str(item.get("source", ""))
        columns = item.get("columns")
        if isinstance(columns, dict) and columns:
            yield [f"{w('columns_of')} {name}"], "section"
            yield [w("header"), w("field")], "head"
            for header, fld in columns.items():
                label = FIELD_NAMES.get(facts.lang, FIELD_NAMES["vi"]).get(str(fld), fld)
                yield [header, f"{label} ({fld})" if fld else w("unmapped")], ""
            yield [], ""
        for key, value in item.items():
            if key in _INPUT_COLUMNS or key == "columns" or value in (None, [], {}, ""):
                continue
            yield from _block(facts, f"{name}: {w(key)}", value)


def _file_rule_table(facts: SummaryFacts, s: dict[str, Any]) -> Iterator[Row]:
    w = facts.word
    yield [w("by_file_rule")], "section"
    counts = facts.by_file_rule
    if not counts:
        yield [w("none")], ""
        yield [], ""
        return
    by_rule = (s.get("counts") or {}).get("by_rule") or {}
    rules = [r for r in by_rule if any(k[1] == r for k in counts)]
    rules += sorted({k[1] for k in counts} - set(rules))
    files = [str(i.get("source")) for i in s.get("inputs") or [] if isinstance(i, dict)]
    files += sorted({k[0] for k in counts} - set(files))
    yield [w("file"), *rules, w("total")], "head"
    for name in files:
        values = [counts.get((name, r), 0) for r in rules]
        yield [name, *values, sum(values)], "count"
    totals = [sum(counts.get((f, r), 0) for f in files) for r in rules]
    yield [w("total"), *totals, sum(totals)], "count_bold"
    yield [], ""


def _rules_table(facts: SummaryFacts, s: dict[str, Any]) -> Iterator[Row]:
    from cleanse.rules import ALL_RULES

    w = facts.word
    by_rule = (s.get("counts") or {}).get("by_rule") or {}
    if not isinstance(by_rule, dict) or not by_rule:
        return
    yield [w("rules")], "section"
    yield [w("rule"), w("severity"), w("count"), w("meaning")], "head"
    for code, n in by_rule.items():
        rule = ALL_RULES.get(code)
        severity = SEVERITY.get(facts.lang, SEVERITY["vi"]).get(rule.severity, "") if rule else ""
        yield [code, severity, n, rule.message(facts.lang) if rule else ""], "count"
    yield [], ""


def _block(facts: SummaryFacts, title: str, value: Any) -> Iterator[Row]:
    """Any other entry of the summary, as lines and small tables, never as JSON text."""
    if _is_records(value):
        yield [title], "section"
        yield from _records(facts, value)
        yield [], ""
        return
    if not isinstance(value, dict):
        yield [title, _scalar(value, facts)], ""
        return
    if not value:
        return
    if value and all(
        isinstance(v, dict) and v and not any(isinstance(x, dict | list) for x in v.values())
        for v in value.values()
    ):
        # {"dob.invalid": {"severity": "error", "count": 3}}: one row per key
        yield [title], "section"
        inner = list(dict.fromkeys(k for v in value.values() for k in v))
        yield ["", *(facts.word(str(k)) for k in inner)], "head"
        for key, fields in value.items():
            yield [str(key), *(_scalar(fields.get(k), facts) for k in inner)], "count"
        yield [], ""
        return
    yield [title], "section"
    nested: list[tuple[str, Any]] = []
    for key, item in value.items():
        if isinstance(item, dict) or _is_records(item):
            nested.append((key, item))
        else:
            yield from _lines(facts, facts.word(str(key)), item)
    yield [], ""
    for key, item in nested:
        yield from _block(facts, f"{title}: {facts.word(str(key))}", item)


def _lines(facts: SummaryFacts, label: str, value: Any) -> Iterator[Row]:
    if isinstance(value, list):
        if value and all(isinstance(v, list) for v in value):
            for item in value:  # a list of pairs or triples: one line each
                yield [label, *(_scalar(v, facts) for v in item)], ""
            return
        yield [label, _scalar(value, facts)], ""
        return
    yield [label, _scalar(value, facts)], "count" if isinstance(value, int) else ""


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _records(facts: SummaryFacts, items: list[dict[str, Any]]) -> Iterator[Row]:
    """A list of dicts as a table: one column per key, one row per dict."""
    keys = list(dict.fromkeys(k for item in items for k in item))
    yield (
        [header_label(k, facts.lang) if k in HEADERS["vi"] else facts.word(k) for k in keys],
        ("head"),
    )
    words = {
        "field": FIELD_NAMES.get(facts.lang, FIELD_NAMES["vi"]),
        "damage": DAMAGE.get(facts.lang, DAMAGE["vi"]),
        "severity": SEVERITY.get(facts.lang, SEVERITY["vi"]),
    }
    for item in items:
        values = [item.get(k) for k in keys]
        shown = [words[k].get(v, v) if k in words and isinstance(v, str) else v
                 for k, v in zip(keys, values, strict=True)]  # fmt: skip
        yield [_scalar(v, facts) for v in shown], "count"


def _scalar(value: Any, facts: SummaryFacts) -> Any:
    """One cell's value: numbers and text as they are, yes/no, lists and dicts in words."""
    if isinstance(value, bool):
        return facts.word("yes" if value else "no")
    if value is None or isinstance(value, int | float | str):
        return value
    if isinstance(value, dict):
        return "; ".join(f"{facts.word(k)}: {_flat(v, facts)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(str(_flat(v, facts)) for v in value)
    return str(value)


def _flat(value: Any, facts: SummaryFacts) -> str:
    out = _scalar(value, facts)
    return "" if out is None else str(out)


_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def write_summary_sheet(ws: Worksheet, styles: _Styles, rows: Iterable[Row]) -> None:
    """Write the summary rows with xlsxwriter (constant memory: row after row)."""
    from cleanse.write import XLSX_MAX_CELL_CHARS, neutralise_text

    ws.set_column(0, 0, 36)
    ws.set_column(1, 40, 16)
    text_of = {"title": styles.title, "head": styles.bold_text, "section": styles.bold_text}
    number_of: dict[str, Format | None] = {
        "count": styles.count,
        "count_bold": styles.bold,
        "head": styles.bold,
    }
    for r, (values, style) in enumerate(rows):
        for c, value in enumerate(values):
            if isinstance(value, str):
                text = neutralise_text(_ILLEGAL.sub("\ufffd", value))
                text = re.sub("\r\n?", "\n", text)[:XLSX_MAX_CELL_CHARS]
                if text:
                    bold = style == "count_bold" and c == 0
                    fmt = styles.bold_text if bold else text_of.get(style, styles.text)
                    ws.write_string(r, c, text, fmt)
            elif isinstance(value, bool):
                ws.write_boolean(r, c, value)
            elif isinstance(value, int | float) and math.isfinite(value):
                fmt = number_of.get(style) if isinstance(value, int) else None
                ws.write_number(r, c, value, fmt)
