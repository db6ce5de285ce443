"""The Excel report, ``report.xlsx``: the file an officer opens (SPEC §5).

xlsxwriter makes the workbook around the data: the summary sheet, cell by cell (it is
small), and for each table a sheet holding only its header row, frozen, bold, in the
run's language, with column widths, an autofilter over the rows to come and the
drop-downs of the columns an officer fills in from a list (``choices``: the worklist's
``ket_qua``, whose words sit on a hidden sheet). The rows themselves, up to a million a
sheet, are then written straight into that sheet's XML:
each batch of rows becomes one block of ``<row>`` text built with pyarrow string kernels
over whole columns, and is streamed into the zip. No Python call per cell, and no more
than one batch of text in memory, so a million findings take seconds, not minutes.

What a cell holds follows ``write_tables``: text is an inline string with the text
format ``@`` (an ID stays ``001085012345``), integer, float and boolean columns are
numbers and booleans, an empty or missing value is no cell at all. The text reaching
here is already neutralised against formulas and cleared of the control characters XML
cannot hold (``write._for_xlsx``, with ``cell_text``); here it is escaped for XML
(``& < >``, and a literal ``_xHHHH_``, which Excel would read as an escaped character).

Fixed values are shown in the run's language: the headers, the ``severity`` column
(``lỗi``/``cảnh báo``) and the ``field`` column (``Số định danh cá nhân``). Rule codes
stay codes: they are what ``cleanse rules`` lists and what a jobs file filters on.

Modules: ``labels`` (the words), ``cells`` (rows as sheet XML), ``summary`` (the summary
sheet), ``workbook`` (``write_workbook``, putting them together). Imports nothing of
cleanse but the rule registry and ``safe``; ``write`` calls it, and ``rewrite`` (the
fixed copy of an .xlsx extract) uses ``cell_text`` and ``rows_xml``.
"""

from cleanse.xlsx.cells import (
    cell_text,
    column_letter,
    has_byte,
    rows_xml,
    sheet_titles,
    shown_values,
)
from cleanse.xlsx.labels import (
    DAMAGE,
    FIELD_NAMES,
    HEADERS,
    ID_COLUMN,
    NAME_COLUMN,
    PEOPLE_COLUMNS,
    SEVERITY,
    SUMMARY_SHEET,
    header_label,
)
from cleanse.xlsx.summary import SummaryFacts, summary_rows
from cleanse.xlsx.workbook import write_workbook

__all__ = [
    "DAMAGE",
    "FIELD_NAMES",
    "HEADERS",
    "ID_COLUMN",
    "NAME_COLUMN",
    "PEOPLE_COLUMNS",
    "SEVERITY",
    "SUMMARY_SHEET",
    "SummaryFacts",
    "cell_text",
    "column_letter",
    "has_byte",
    "header_label",
    "rows_xml",
    "sheet_titles",
    "shown_values",
    "summary_rows",
    "write_workbook",
]
