"""``write_workbook``: xlsxwriter makes the workbook around the data (the summary sheet,
each table's header row, frozen, with its autofilter, and the drop-downs of the columns
given ``choices``), then each sheet's rows are streamed into its XML in the zip
(``cells``).

Imports ``labels``, ``cells`` and ``summary``.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from cleanse.xlsx.cells import _width, column_letter, rows_xml, sheet_titles, shown_values
from cleanse.xlsx.labels import _MAX_WIDTH, BATCH_ROWS, SUMMARY_SHEET, WORDS, header_label
from cleanse.xlsx.summary import SummaryFacts, _Styles, summary_rows, write_summary_sheet

if TYPE_CHECKING:  # xlsxwriter is imported only when an .xlsx is written
    from xlsxwriter.worksheet import Worksheet


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


def _skeleton_sheet(
    ws: Worksheet,
    styles: _Styles,
    headers: list[str],
    part: _Part,
    lang: str,
    picks: Mapping[int, Sequence[str]] | None = None,
) -> None:
    """A table's sheet with only its header row: widths, frozen row, autofilter. A
    column of ``picks`` (column index -> words) is made wide enough for its words."""
    table = part.table
    for i, (header, name) in enumerate(zip(headers, table.column_names, strict=True)):
        width = _width(header, shown_values(name, table.column(i), lang))
        if picks and i in picks:
            width = max(width, min(max(map(len, picks[i]), default=0) + 4, _MAX_WIDTH))
        ws.set_column(i, i, width)
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


def _quoted(title: str) -> str:
    """A sheet's name as a formula refers to it: ``'danh sách chọn'``."""
    return "'" + title.replace("'", "''") + "'"


def _drop_downs(
    wb: Any,
    tables: Mapping[str, pa.Table],
    choices: Mapping[str, Mapping[str, Sequence[str]]],
    lang: str,
) -> dict[tuple[str, int], str]:
    """The lists of the drop-downs on a hidden sheet, one column each (a list written in
    the validation itself could not hold a comma, "đúng, giữ nguyên", nor pass 255
    characters); returns (table, column index) -> the formula of its list's cells."""
    wanted = [
        (name, table.column_names.index(column), list(words))
        for name, columns in choices.items()
        if (table := tables.get(name)) is not None
        for column, words in columns.items()
        if column in table.column_names and words
    ]
    if not wanted:
        return {}
    title = WORDS.get(lang, WORDS["vi"])["choices_sheet"]
    ws = wb.add_worksheet(title)
    sources: dict[tuple[str, int], str] = {}
    for k, (name, index, words) in enumerate(wanted):
        letter = column_letter(k)
        sources[(name, index)] = f"={_quoted(title)}!${letter}$1:${letter}${len(words)}"
        ws.set_column(k, k, min(max(map(len, words)) + 2, _MAX_WIDTH))
    longest = max(len(words) for _, _, words in wanted)
    for row in range(longest):  # row by row: constant_memory writes rows in order
        for k, (_, _, words) in enumerate(wanted):
            if row < len(words):
                ws.write_string(row, k, words[row])
    ws.hide()
    return sources


def _validate(ws: Worksheet, part: _Part, index: int, source: str, lang: str) -> None:
    """A drop-down (data validation of type list) on every data row of the column."""
    if not part.table.num_rows:
        return
    words = WORDS.get(lang, WORDS["vi"])
    ws.data_validation(
        1,
        index,
        part.table.num_rows,
        index,
        {
            "validate": "list",
            "source": source,
            "ignore_blank": True,
            "error_type": "stop",
            "error_title": words["choice_title"],
            "error_message": words["choice_error"],
        },
    )


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
    choices: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
) -> Path:
    """Write ``report.xlsx``: the summary sheet, then each table on one or more sheets.

    ``choices`` gives drop-downs: table -> column -> the words an officer picks from
    (the worklist's ``ket_qua``). Every data row of that column, on every sheet of the
    table, gets a list validation of those words, kept on a hidden sheet after the
    tables' (``danh sách chọn``).

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
        picked = choices or {}
        sheets_of: dict[str, list[Worksheet]] = {}
        for name, sheets in parts.items():
            names = tables[name].column_names
            picks = {names.index(c): w for c, w in picked.get(name, {}).items() if c in names}
            for part in sheets:
                number += 1
                part.member = f"xl/worksheets/sheet{number}.xml"
                ws = wb.add_worksheet(part.title)
                _skeleton_sheet(ws, styles, headers[name], part, lang, picks)
                sheets_of.setdefault(name, []).append(ws)
        # After the tables' sheets, so that they keep their numbers (part.member).
        for (name, index), source in _drop_downs(wb, tables, picked, lang).items():
            for ws, part in zip(sheets_of[name], parts[name], strict=True):
                _validate(ws, part, index, source, lang)
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
