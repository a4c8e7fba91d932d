"""DIP spreadsheets in the Perki 1/2021 format: the blank template, a validated import, the export.

OPDs keep their Daftar Informasi Publik in Excel. This module turns such a file into plain rows
and back, without a database or a chat:

* `template_xlsx`: the workbook the bot hands out (sheet "DIP" to fill in, sheet "Petunjuk"
  explaining every column and category in Indonesian);
* `parse`: reads an uploaded `.xlsx` or `.csv` into `Row`s and per-cell `RowError`s. A bad
  row never raises; a file that cannot or must not be read raises `SpreadsheetRefused`;
* `export_xlsx` / `export_csv`: a register formatted for reading and printing, which `parse`
  reads back to the same fields.

Uploads are untrusted. Before openpyxl sees a byte, `parse` checks the size, that the content
really is what the extension claims (a zip holding `xl/workbook.xml`, or text), that it is not a
password-protected OLE container, and that the zip's declared sizes are sane (zip bombs). It then
streams the sheet in read-only mode and stops as soon as there are too many rows.

Cell text is cleaned the way the bot cleans typed text: Unicode NFC, every kind of white space
(NBSP, line breaks, ...) collapsed to one space and stripped, control and zero-width characters
removed. Only the eight entry fields are returned (the "No" column is ignored: the register
numbers its entries itself); empty optional fields are `None`, for the caller to fill defaults.
"""

from __future__ import annotations

from bot.spreadsheets.common import (
    CATEGORY_LABELS,
    COLUMNS,
    CSV_DELIMITER,
    FIELDS,
    FORMS,
    MAX_BYTES,
    MAX_LENGTHS,
    MAX_ROWS,
    ExportEntry,
    ImportResult,
    RefusalKey,
    Row,
    RowError,
    SpreadsheetRefused,
    clean_text,
)
from bot.spreadsheets.reading import parse
from bot.spreadsheets.writing import export_csv, export_xlsx, template_xlsx

__all__ = [
    "CATEGORY_LABELS",
    "COLUMNS",
    "CSV_DELIMITER",
    "FIELDS",
    "FORMS",
    "MAX_BYTES",
    "MAX_LENGTHS",
    "MAX_ROWS",
    "ExportEntry",
    "ImportResult",
    "RefusalKey",
    "Row",
    "RowError",
    "SpreadsheetRefused",
    "clean_text",
    "export_csv",
    "export_xlsx",
    "parse",
    "template_xlsx",
]
