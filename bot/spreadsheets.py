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

import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import zip_longest
from typing import Final, Literal

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from bot.formatting import MONTHS
from bot.sop import Category
from bot.workflow import MAX_SUMMARY, MAX_TITLE

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

COLUMNS: Final[list[tuple[str, str]]] = [
    ("number", "No"),
    ("title", "Judul"),
    ("summary", "Ringkasan isi informasi"),
    ("category", "Kategori"),
    ("holder", "Pejabat/unit yang menguasai informasi"),
    ("responsible", "Penanggung jawab pembuatan/penerbitan"),
    ("made", "Waktu dan tempat pembuatan"),
    ("forms", "Bentuk informasi"),
    ("retention", "Jangka waktu penyimpanan"),
]
"""(field, Indonesian header) of the DIP sheet, in order."""

HEADERS: Final = dict(COLUMNS)
FIELDS: Final = tuple(field for field, _ in COLUMNS if field != "number")
"""The entry fields `parse` returns, named as in `bot.models.Entry`."""
REQUIRED: Final = ("title", "summary", "category")
FORMS: Final = ("cetak", "softcopy", "online")

MAX_OTHER: Final = 300
MAX_LENGTHS: Final = {"title": MAX_TITLE, "summary": MAX_SUMMARY} | {
    field: MAX_OTHER for field in FIELDS if field not in ("title", "summary", "category")
}
"""Longest accepted text per field, in characters (the same limits as typing in the chat)."""

MAX_BYTES: Final = 5 * 1024 * 1024
MAX_ROWS: Final = 2000
HEADER_SEARCH_ROWS: Final = 10
MAX_UNZIPPED: Final = 50 * 1024 * 1024
MAX_RATIO: Final = 100
RATIO_FLOOR: Final = 1024 * 1024
"""Members smaller than this once unpacked are harmless whatever their compression ratio."""
MAX_ZIP_MEMBERS: Final = 1000
CSV_DELIMITER: Final = ";"
"""What `export_csv` writes: Excel with Indonesian regional settings splits on ';'."""

CATEGORY_LABELS: Final = {
    Category.BERKALA.value: "Berkala",
    Category.SERTA_MERTA.value: "Serta merta",
    Category.SETIAP_SAAT.value: "Setiap saat",
    Category.DIKECUALIKAN.value: "Dikecualikan",
}
"""How the export writes each category; `parse` reads labels and values alike."""

_CATEGORY_CHOICES: Final = "pilih berkala, serta_merta, setiap_saat atau dikecualikan"
_FORMS_CHOICES: Final = "isi satu atau lebih dari cetak, softcopy, online (pisahkan dengan koma)"
_WIDTHS: Final = {
    "number": 6,
    "opd": 28,
    "round": 22,
    "title": 40,
    "summary": 60,
    "category": 15,
    "holder": 30,
    "responsible": 30,
    "made": 24,
    "forms": 20,
    "retention": 24,
}

RefusalKey = Literal[
    "too_big",
    "too_many_rows",
    "not_spreadsheet",
    "encrypted",
    "zip_bomb",
    "no_header",
    "wrong_columns",
]


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One valid data row: `number` is its row number in the spreadsheet."""

    number: int
    fields: dict[str, str | None]


@dataclass(frozen=True)
class RowError:
    """One problem in one cell; `message` is the Indonesian explanation after the location."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"Baris {self.row}, kolom {self.column}: {self.message}"


@dataclass(frozen=True)
class ImportResult:
    """Valid rows, the errors of the other rows, and how many empty rows between them were skipped.

    A row with any error is left out of `rows`; the caller decides whether to import the rest.
    """

    rows: list[Row]
    errors: list[RowError]
    skipped_empty: int


class SpreadsheetRefused(Exception):
    """The whole file is refused; `key` is the reason code, `message` the Indonesian sentence."""

    def __init__(self, key: RefusalKey, message: str) -> None:
        super().__init__(message)
        self.key: RefusalKey = key
        self.message = message


@dataclass(frozen=True)
class ExportEntry:
    """One register line as the exports need it (the caller joins entry, OPD and round)."""

    opd_code: str
    opd_name: str
    round_name: str
    number: int
    title: str
    summary: str
    category: str
    holder: str
    responsible: str
    made: str
    forms: str
    retention: str


# --- text ---------------------------------------------------------------------------------------


def clean_text(value: str) -> str:
    """NFC, white space collapsed to single spaces and stripped, control/format chars removed.

    Idempotent: `clean_text(clean_text(s)) == clean_text(s)`.
    """
    kept: list[str] = []
    for char in value:
        category = unicodedata.category(char)
        if char.isspace() or category[0] == "Z":
            kept.append(" ")
        elif category[0] != "C":  # Cc control, Cf zero-width/format, Cs, Co, Cn
            kept.append(char)
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).split())


def _header_key(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


_HEADER_ALIASES: Final = {
    "number": ("No", "Nomor", "No urut", "Nomor urut"),
    "title": ("Judul", "Judul informasi"),
    "summary": ("Ringkasan isi informasi", "Ringkasan", "Ringkasan informasi", "Ringkasan isi"),
    "category": ("Kategori", "Kategori informasi", "Jenis informasi"),
    "holder": (
        "Pejabat/unit yang menguasai informasi",
        "Pejabat atau unit/satuan kerja yang menguasai informasi",
        "Pejabat atau unit yang menguasai informasi",
        "Pejabat yang menguasai informasi",
        "Unit yang menguasai informasi",
    ),
    "responsible": (
        "Penanggung jawab pembuatan/penerbitan",
        "Penanggung jawab pembuatan atau penerbitan",
        "Penanggung jawab pembuatan atau penerbitan informasi",
        "Penanggung jawab pembuatan/penerbitan informasi",
        "Penanggung jawab",
    ),
    "made": (
        "Waktu dan tempat pembuatan",
        "Waktu dan tempat pembuatan informasi",
        "Waktu & tempat pembuatan",
        "Waktu dan tempat",
    ),
    "forms": ("Bentuk informasi", "Bentuk informasi yang tersedia", "Bentuk"),
    "retention": (
        "Jangka waktu penyimpanan",
        "Jangka waktu penyimpanan atau retensi arsip",
        "Jangka waktu penyimpanan/retensi arsip",
        "Retensi arsip",
        "Retensi",
    ),
}
_HEADER_KEYS: Final = {
    _header_key(alias): field for field, aliases in _HEADER_ALIASES.items() for alias in aliases
}

_CATEGORY_KEYS: Final = {
    "berkala": Category.BERKALA.value,
    "sertamerta": Category.SERTA_MERTA.value,
    "setiapsaat": Category.SETIAP_SAAT.value,
    "dikecualikan": Category.DIKECUALIKAN.value,
}
_FORM_KEYS: Final = {
    "cetak": "cetak",
    "tercetak": "cetak",
    "hardcopy": "cetak",
    "softcopy": "softcopy",
    "online": "online",
    "daring": "online",
}
_FORM_SEPARATORS: Final = re.compile(r"\s*(?:[,;/&+]|\bdan\b)\s*", re.IGNORECASE)
_CSV_FORMULA_START: Final = re.compile(r"'*[=+\-@]")
"""Text Excel would run as a formula from a CSV; the export puts an apostrophe in front."""


def _key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", text).casefold())


def _quoted(text: str, limit: int = 40) -> str:
    return "'" + (text if len(text) <= limit else text[: limit - 1] + "…") + "'"


def _category(text: str) -> str | None:
    key = _key(text)
    return _CATEGORY_KEYS.get(key.removeprefix("informasi")) or _CATEGORY_KEYS.get(key)


def _forms(text: str) -> tuple[str | None, list[str]]:
    """The normalised forms (`cetak,softcopy`, the writer's order) or the unknown words."""
    known: list[str] = []
    unknown: list[str] = []
    for word in _FORM_SEPARATORS.split(text):
        if not word:
            continue
        form = _FORM_KEYS.get(_key(word))
        (known if form else unknown).append(form or word)
    if unknown or not known:
        return None, unknown or [text]
    return ",".join(dict.fromkeys(known)), []


def _date_text(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def _cell_text(value: object) -> str:
    """A cell's value as the text a person saw (numbers without `.0`, dates in Indonesian)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool):
        return "Ya" if value else "Tidak"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return _date_text(value.date())
        return f"{_date_text(value.date())} pukul {value:%H.%M}"
    if isinstance(value, date):
        return _date_text(value)
    if isinstance(value, time):
        return f"{value:%H.%M}"
    if isinstance(value, timedelta):
        return str(value)
    return clean_text(str(value))


@dataclass(frozen=True)
class _Problem:
    """A cell whose value cannot be used; `message` says why."""

    message: str


_NO_CACHED_VALUE: Final = _Problem(
    "berisi rumus tanpa nilai; buka berkas di Excel lalu simpan ulang, "
    "atau salin dan tempel sebagai nilai"
)


# --- refusals -----------------------------------------------------------------------------------


def _mb(size: int) -> str:
    text = f"{size / (1024 * 1024):.1f}".replace(".", ",")
    return text.removesuffix(",0")


def _refused(key: RefusalKey, detail: str = "") -> SpreadsheetRefused:
    messages: dict[RefusalKey, str] = {
        "too_big": "Berkas terlalu besar{detail}. Mohon perkecil atau bagi menjadi beberapa berkas.",
        "too_many_rows": (
            "Berkas berisi lebih dari {detail} baris data; paling banyak {detail} baris per berkas. "
            "Mohon bagi menjadi beberapa berkas."
        ),
        "not_spreadsheet": (
            "Berkas ini tidak dapat dibaca sebagai lembar kerja{detail}. Mohon kirim berkas Excel "
            "(.xlsx) atau CSV, sebaiknya dari templat DIP."
        ),
        "encrypted": (
            "Berkas dilindungi kata sandi sehingga tidak dapat dibaca. Mohon buka di Excel, hapus "
            "kata sandinya, simpan, lalu kirim kembali."
        ),
        "zip_bomb": (
            "Isi berkas tidak wajar (terlalu besar setelah dibuka) sehingga tidak diproses. "
            "Mohon salin datanya ke templat DIP lalu kirim kembali."
        ),
        "no_header": (
            "Baris judul kolom tidak ditemukan di 10 baris pertama. Pastikan ada baris berisi "
            "judul kolom Judul, Ringkasan isi informasi dan Kategori; sebaiknya gunakan templat DIP."
        ),
        "wrong_columns": (
            "Kolom wajib tidak ditemukan: {detail}. Mohon tambahkan kolom tersebut atau gunakan "
            "templat DIP."
        ),
    }
    return SpreadsheetRefused(key, messages[key].format(detail=detail))


_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC: Final = b"PK\x03\x04"
_ENCRYPTED_STREAM: Final = "EncryptedPackage".encode("utf-16-le")
_BINARY_MAGICS: Final = (_OLE_MAGIC, _ZIP_MAGIC, b"PK\x05\x06", b"%PDF", b"\x7fELF", b"MZ")
XLSX_EXTENSIONS: Final = frozenset({"xlsx", "xlsm"})
CSV_EXTENSIONS: Final = frozenset({"csv", "txt"})


def _extension(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].strip().lower() if "." in name else ""


def _check_zip(data: bytes) -> None:
    """Refuse zip bombs from the central directory alone, and zips that are not workbooks."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise _refused("not_spreadsheet") from exc
    if len(members) > MAX_ZIP_MEMBERS:
        raise _refused("zip_bomb")
    total = sum(member.file_size for member in members)
    if total > MAX_UNZIPPED:
        raise _refused("zip_bomb")
    for member in members:
        if member.file_size > RATIO_FLOOR and member.file_size > MAX_RATIO * max(
            member.compress_size, 1
        ):
            raise _refused("zip_bomb")
    if "xl/workbook.xml" not in {member.filename for member in members}:
        raise _refused("not_spreadsheet")


def _decode_text(data: bytes) -> str | None:
    """The text of a CSV file, or None when the bytes are not text."""
    if data.startswith(_BINARY_MAGICS):
        return None
    text: str | None = None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    if text is None or "\x00" in text:
        return None
    sample = text[:8192]
    controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n\f")
    return None if controls * 20 > len(sample) else text  # random bytes: about 11 %


# --- the table, whatever the format -------------------------------------------------------------

_RawRow = tuple[int, Sequence[object]]


@dataclass(frozen=True)
class _Header:
    row: int
    columns: dict[str, int]


def _find_header(rows: Sequence[_RawRow]) -> _Header | None:
    best: _Header | None = None
    for number, cells in rows:
        columns: dict[str, int] = {}
        for index, cell in enumerate(cells):
            if isinstance(cell, _Problem) or cell is None:
                continue
            field = _HEADER_KEYS.get(_header_key(_cell_text(cell)))
            if field is not None and field not in columns:
                columns[field] = index
        if columns and (best is None or len(columns) > len(best.columns)):
            best = _Header(number, columns)
    return best


def _validate(
    number: int, values: dict[str, object]
) -> tuple[dict[str, str | None], list[RowError]]:
    fields: dict[str, str | None] = {}
    errors: list[RowError] = []

    def fail(field: str, message: str) -> None:
        errors.append(RowError(number, HEADERS[field], message))

    for field in FIELDS:
        raw = values.get(field)
        if isinstance(raw, _Problem):
            fail(field, raw.message)
            continue
        text = _cell_text(raw) if raw is not None else ""
        fields[field] = None
        if not text:
            if field in REQUIRED:
                fail(field, "wajib diisi")
            continue
        if field == "category":
            category = _category(text)
            if category is None:
                fail(field, f"{_quoted(text)} tidak dikenal; {_CATEGORY_CHOICES}")
            fields[field] = category
            continue
        limit = MAX_LENGTHS[field]
        if len(text) > limit:
            fail(field, f"terlalu panjang ({len(text)} karakter); paling banyak {limit} karakter")
            continue
        if field == "forms":
            forms, unknown = _forms(text)
            if forms is None:
                shown = ", ".join(_quoted(word) for word in unknown)
                fail(field, f"{shown} tidak dikenal; {_FORMS_CHOICES}")
            fields[field] = forms
            continue
        fields[field] = text
    return fields, errors


def _is_empty(values: dict[str, object]) -> bool:
    return all(
        value is None or (not isinstance(value, _Problem) and not _cell_text(value))
        for value in values.values()
    )


def _read_table(rows: Iterator[_RawRow], max_rows: int) -> ImportResult:
    """Find the header among the first rows, then validate every data row below it."""
    head: list[_RawRow] = []
    for row in rows:
        head.append(row)
        if len(head) == HEADER_SEARCH_ROWS:
            break
    header = _find_header(head)
    if header is None:
        raise _refused("no_header")
    missing = [HEADERS[field] for field in REQUIRED if field not in header.columns]
    if missing:
        raise _refused("wrong_columns", ", ".join(missing))
    columns = {field: index for field, index in header.columns.items() if field in FIELDS}

    valid: list[Row] = []
    errors: list[RowError] = []
    skipped = pending = count = 0
    below = (row for row in head if row[0] > header.row)
    for number, cells in _chain(below, rows):
        values = {f: cells[i] if i < len(cells) else None for f, i in columns.items()}
        if _is_empty(values):
            pending += 1  # counted only when data follows: trailing blank rows are not rows
            continue
        skipped, pending, count = skipped + pending, 0, count + 1
        if count > max_rows:
            raise _refused("too_many_rows", f"{max_rows:,}".replace(",", "."))
        fields, row_errors = _validate(number, values)
        if row_errors:
            errors.extend(row_errors)
        else:
            valid.append(Row(number, fields))
    return ImportResult(valid, errors, skipped)


def _chain(*parts: Iterable[_RawRow]) -> Iterator[_RawRow]:
    for part in parts:
        yield from part


# --- xlsx ---------------------------------------------------------------------------------------


_EXCEL_CONTROL_ESCAPE: Final = re.compile(r"_x00[01][0-9A-Fa-f]_")
"""Excel stores a control character (the CR of a line break) as `_x000D_`; openpyxl keeps it."""


def _xlsx_cell(value_cell: object, formula_cell: object) -> object:
    value = getattr(value_cell, "value", None)
    if isinstance(value, str):
        value = _EXCEL_CONTROL_ESCAPE.sub(" ", value)
    if getattr(value_cell, "data_type", None) == "e":
        return _Problem(f"berisi galat rumus {value}; perbaiki rumusnya atau ketik nilainya")
    if value is None and getattr(formula_cell, "data_type", None) == "f":
        return _NO_CACHED_VALUE
    return value


def _sheet_rows(values: ReadOnlyWorksheet, formulas: ReadOnlyWorksheet) -> Iterator[_RawRow]:
    """The rows of one sheet: cached values, with formulas that never ran marked as problems.

    Both read-only worksheets parse the same XML, so their rows come in lockstep.
    """
    values.reset_dimensions()  # a wrong <dimension> would otherwise cut rows or columns
    formulas.reset_dimensions()
    value_rows, formula_rows = values.rows, formulas.rows
    number = 0
    while True:
        try:
            value_row = next(value_rows, None)
            formula_row = next(formula_rows, None)
        except Exception as exc:  # malformed sheet XML surfaces while streaming
            raise _refused("not_spreadsheet") from exc
        if value_row is None:
            return
        number += 1
        yield number, [_xlsx_cell(v, f) for v, f in zip_longest(value_row, formula_row or ())]


def _sheet_order(names: list[str]) -> list[str]:
    """The sheet named DIP first, then the others in order; the instructions sheet never."""
    dip = [name for name in names if name.strip().casefold() == "dip"]
    others = [n for n in names if n not in dip and n.strip().casefold() != "petunjuk"]
    return dip + others


def _parse_xlsx(data: bytes, max_rows: int) -> ImportResult:
    books: list[Workbook] = []
    try:
        with warnings.catch_warnings():
            # openpyxl warns about extensions it drops (slicers, conditional formats, ...).
            warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\.|$)")
            try:
                for data_only in (True, False):
                    stream = io.BytesIO(data)
                    books.append(
                        load_workbook(stream, read_only=True, data_only=data_only, keep_links=False)
                    )
                values_book, formulas_book = books
                sheets = [
                    (values_book[name], formulas_book[name])
                    for name in _sheet_order(values_book.sheetnames)
                ]
            except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
                raise _refused("not_spreadsheet") from exc
            for values, formulas in sheets:
                if not isinstance(values, ReadOnlyWorksheet) or not isinstance(
                    formulas, ReadOnlyWorksheet
                ):
                    continue  # a chart sheet
                try:
                    return _read_table(_sheet_rows(values, formulas), max_rows)
                except SpreadsheetRefused as refusal:
                    if refusal.key != "no_header":
                        raise
        raise _refused("no_header")
    finally:
        for book in books:
            book.close()


# --- csv ----------------------------------------------------------------------------------------


def _csv_rows(text: str, delimiter: str) -> Iterator[_RawRow]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for record in reader:
            number += 1
            yield number, [_csv_cell(cell) for cell in record]
    except csv.Error as exc:
        raise _refused("not_spreadsheet", f" (CSV rusak di baris {number + 1})") from exc


def _csv_cell(raw: str) -> str:
    text = clean_text(raw)
    return text[1:] if text.startswith("'") and _CSV_FORMULA_START.match(text) else text


def _parse_csv(text: str, max_rows: int) -> ImportResult:
    best, best_score = ",", 0
    for delimiter in (",", ";", "\t"):
        head = []
        for row in _csv_rows(text, delimiter):
            head.append(row)
            if len(head) == HEADER_SEARCH_ROWS:
                break
        header = _find_header(head)
        score = len(header.columns) if header else 0
        if score > best_score:
            best, best_score = delimiter, score
    return _read_table(_csv_rows(text, best), max_rows)


# --- import -------------------------------------------------------------------------------------


def parse(
    data: bytes, filename: str, *, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS
) -> ImportResult:
    """Read an uploaded DIP spreadsheet (.xlsx or .csv); raise `SpreadsheetRefused` for the file."""
    if len(data) > max_bytes:
        raise _refused("too_big", f" ({_mb(len(data))} MB); paling besar {_mb(max_bytes)} MB")
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_STREAM in data:
            raise _refused("encrypted")
        raise _refused("not_spreadsheet", " (format Excel lama .xls: simpan sebagai .xlsx)")
    extension = _extension(filename)
    is_zip = data.startswith(_ZIP_MAGIC)
    if extension in XLSX_EXTENSIONS or (not extension and is_zip):
        if not is_zip:
            raise _refused("not_spreadsheet")
        _check_zip(data)
        return _parse_xlsx(data, max_rows)
    if extension in CSV_EXTENSIONS or not extension:
        text = _decode_text(data)
        if text is None:
            raise _refused("not_spreadsheet")
        return _parse_csv(text, max_rows)
    raise _refused("not_spreadsheet")


# --- export -------------------------------------------------------------------------------------


def _export_columns(entries: Sequence[ExportEntry]) -> list[tuple[str, str]]:
    """The DIP columns, with OPD and Periode after No when the entries span several."""
    extra: list[tuple[str, str]] = []
    if len({e.opd_code for e in entries}) > 1:
        extra.append(("opd", "OPD"))
    if len({e.round_name for e in entries}) > 1:
        extra.append(("round", "Periode"))
    return COLUMNS[:1] + extra + COLUMNS[1:]


def _export_value(entry: ExportEntry, field: str) -> int | str:
    if field == "number":
        return entry.number
    if field == "opd":
        return clean_text(entry.opd_name)
    if field == "round":
        return clean_text(entry.round_name)
    value = clean_text(str(getattr(entry, field)))
    if field == "category":
        return CATEGORY_LABELS.get(value, value)
    if field == "forms":
        forms, _ = _forms(value)
        return forms.replace(",", ", ") if forms else value
    return value


def _included(entries: Sequence[ExportEntry], include_exempt: bool) -> list[ExportEntry]:
    return [
        e
        for e in entries
        if include_exempt or _category(clean_text(e.category)) != Category.DIKECUALIKAN.value
    ]


_THIN: Final = Side(style="thin", color="808080")
_BORDER: Final = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL: Final = PatternFill("solid", fgColor="DDEBF7")
_WRAP: Final = Alignment(wrap_text=True, vertical="top")
_HEADER_ALIGN: Final = Alignment(wrap_text=True, vertical="center", horizontal="center")


def _style_header(ws: Worksheet, row: int, columns: list[tuple[str, str]]) -> None:
    for index, (field, header) in enumerate(columns, start=1):
        cell = ws.cell(row=row, column=index, value=header)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = _HEADER_ALIGN
        ws.column_dimensions[get_column_letter(index)].width = _WIDTHS[field]


def export_xlsx(
    entries: Sequence[ExportEntry], *, title: str, include_exempt: bool = False
) -> bytes:
    """The register as a formatted workbook: title row, styled header, filter, frozen panes.

    Entries of category dikecualikan are dropped unless `include_exempt` (internal registers).
    """
    rows = _included(entries, include_exempt)
    columns = _export_columns(rows)
    book = Workbook()
    ws = book.active
    assert isinstance(ws, Worksheet)
    ws.title = "DIP"
    last = get_column_letter(len(columns))
    ws["A1"] = clean_text(title)
    ws["A1"].data_type = "s"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(vertical="center")
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 24
    _style_header(ws, 2, columns)
    for offset, entry in enumerate(rows):
        for index, (field, _) in enumerate(columns, start=1):
            cell = ws.cell(row=3 + offset, column=index, value=_export_value(entry, field))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text that starts with '=' stays text, never a formula
            cell.border = _BORDER
            cell.alignment = _WRAP
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:{last}{max(2 + len(rows), 3)}"
    ws.print_title_rows = "2:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True  # type: ignore[union-attr]
    return _save(book)


def export_csv(entries: Sequence[ExportEntry], *, include_exempt: bool = False) -> bytes:
    """The register as CSV for Excel: UTF-8 with BOM, ';'-separated, the export's columns.

    Text that Excel would run as a formula (starting with = + - @) gets a leading apostrophe,
    which `parse` removes again.
    """
    rows = _included(entries, include_exempt)
    columns = _export_columns(rows)
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([header for _, header in columns])
    for entry in rows:
        line: list[str] = []
        for field, _ in columns:
            value = str(_export_value(entry, field))
            line.append("'" + value if _CSV_FORMULA_START.match(value) else value)
        writer.writerow(line)
    return out.getvalue().encode("utf-8-sig")


def _save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- template -----------------------------------------------------------------------------------

_CATEGORY_HELP: Final = (
    (
        "berkala",
        "Pasal 9 UU 14/2008",
        "Informasi yang wajib disediakan dan diumumkan secara berkala, paling sedikit setiap "
        "6 bulan (mis. profil, laporan kinerja, laporan keuangan).",
    ),
    (
        "serta_merta",
        "Pasal 10 UU 14/2008",
        "Informasi yang wajib diumumkan serta-merta karena dapat mengancam hajat hidup orang "
        "banyak dan ketertiban umum (mis. bencana, wabah).",
    ),
    (
        "setiap_saat",
        "Pasal 11 UU 14/2008",
        "Informasi yang wajib tersedia setiap saat dan diberikan atas permohonan "
        "(mis. daftar aset, perjanjian, prosedur kerja).",
    ),
    (
        "dikecualikan",
        "Pasal 17 UU 14/2008",
        "Informasi yang dikecualikan. Hanya boleh dipilih bila sudah ada uji konsekuensi "
        "(Pasal 19) yang terdokumentasi; catat nomor uji konsekuensi dan batas waktu "
        "pengecualiannya. Informasi ini tidak pernah diterbitkan di situs PPID.",
    ),
)

_COLUMN_HELP: Final = {
    "number": ("Tidak", "Nomor urut; boleh dikosongkan, bot memberi nomor sendiri.", "1"),
    "title": ("Ya", f"Judul informasi, paling banyak {MAX_TITLE} karakter.", "Rencana Strategis"),
    "summary": (
        "Ya",
        f"Ringkasan isi informasi, paling banyak {MAX_SUMMARY} karakter.",
        "Tujuan, sasaran, program dan kegiatan lima tahunan.",
    ),
    "category": (
        "Ya",
        "berkala, serta_merta, setiap_saat atau dikecualikan (lihat di bawah).",
        "berkala",
    ),
    "holder": (
        "Tidak",
        "Pejabat atau unit/satuan kerja yang menguasai informasi.",
        "Sekretariat",
    ),
    "responsible": (
        "Tidak",
        "Penanggung jawab pembuatan atau penerbitan informasi.",
        "Kepala Dinas",
    ),
    "made": (
        "Tidak",
        "Waktu dan tempat pembuatan informasi; tanggal boleh diketik atau berformat tanggal.",
        "2 Januari 2027, Pontianak",
    ),
    "forms": ("Tidak", f"Bentuk informasi yang tersedia: {_FORMS_CHOICES}.", "cetak, softcopy"),
    "retention": (
        "Tidak",
        "Jangka waktu penyimpanan atau retensi arsip.",
        "5 tahun",
    ),
}

_EXAMPLES: Final = (
    (
        1,
        "Rencana Strategis Dinas Kesehatan 2025-2029",
        "Dokumen perencanaan lima tahunan berisi tujuan, sasaran, program dan kegiatan.",
        "berkala",
        "Sekretariat, Subbagian Perencanaan",
        "Kepala Dinas Kesehatan",
        "2025, Pontianak",
        "cetak, softcopy, online",
        "Sesuai Jadwal Retensi Arsip",
    ),
    (
        2,
        "Informasi kejadian luar biasa demam berdarah",
        "Jumlah kasus, wilayah terdampak dan langkah pencegahan bagi warga.",
        "serta_merta",
        "Bidang Pencegahan dan Pengendalian Penyakit",
        "Kepala Dinas Kesehatan",
        "Saat kejadian, Pontianak",
        "online",
        "5 tahun",
    ),
)


def template_xlsx() -> bytes:
    """The blank DIP workbook handed to OPDs: sheet DIP to fill in, sheet Petunjuk to read."""
    book = Workbook()
    ws = book.active
    assert isinstance(ws, Worksheet)
    ws.title = "DIP"
    _style_header(ws, 1, COLUMNS)
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = "A2"
    letters = {field: get_column_letter(i) for i, (field, _) in enumerate(COLUMNS, start=1)}
    last_row = MAX_ROWS + 1

    def cells(field: str) -> str:
        return f"{letters[field]}2:{letters[field]}{last_row}"

    category = DataValidation(
        type="list",
        formula1='"' + ",".join(CATEGORY_LABELS) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Kategori tidak dikenal",
        error="Pilih berkala, serta_merta, setiap_saat atau dikecualikan.",
        showInputMessage=True,
        promptTitle="Kategori",
        prompt="Pilih dari daftar. Dikecualikan hanya dengan uji konsekuensi (Pasal 19).",
    )
    category.add(cells("category"))
    forms = DataValidation(
        allow_blank=True,
        showInputMessage=True,
        promptTitle="Bentuk informasi",
        prompt="Isi satu atau lebih: cetak, softcopy, online. Pisahkan dengan koma, "
        "mis. cetak, softcopy",
    )
    forms.add(cells("forms"))
    ws.add_data_validation(category)
    ws.add_data_validation(forms)
    for field in ("title", "summary", "holder", "responsible", "made", "retention"):
        limit = MAX_LENGTHS[field]
        length = DataValidation(
            type="textLength",
            operator="lessThanOrEqual",
            formula1=str(limit),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Teks terlalu panjang",
            error=f"Paling banyak {limit} karakter.",
            showInputMessage=field in REQUIRED,
            promptTitle=HEADERS[field][:32],
            prompt=f"Wajib diisi, paling banyak {limit} karakter.",
        )
        length.add(cells(field))
        ws.add_data_validation(length)

    _instructions(book.create_sheet("Petunjuk"))
    book.active = 0
    return _save(book)


def _instructions(ws: Worksheet) -> None:
    bold = Font(bold=True)
    row = 1

    def line(*values: str | int, font: Font | None = None, wrap: bool = True) -> None:
        nonlocal row
        for column, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=column, value=value)
            cell.alignment = Alignment(wrap_text=wrap, vertical="top")
            if font is not None:
                cell.font = font
        row += 1

    line(
        "Petunjuk pengisian Daftar Informasi Publik (DIP)",
        font=Font(bold=True, size=14),
        wrap=False,
    )
    line(
        "Dasar: UU 14/2008 tentang Keterbukaan Informasi Publik dan Perki 1/2021 tentang "
        "Standar Layanan Informasi Publik. Isi satu informasi per baris di lembar DIP.",
        wrap=False,
    )
    row += 1
    line("Kolom", "Wajib?", "Keterangan", "Contoh", font=bold)
    for field, header in COLUMNS:
        required, meaning, example = _COLUMN_HELP[field]
        line(header, required, meaning, example)
    row += 1
    line("Kategori", "Dasar hukum", "Artinya", font=bold)
    for value, article, meaning in _CATEGORY_HELP:
        line(value, article, meaning)
    row += 1
    line("Aturan", font=bold)
    for rule in (
        "Jangan mengubah judul kolom di baris 1 lembar DIP; urutan kolom boleh diubah dan kolom "
        "tambahan akan diabaikan.",
        f"Paling banyak {MAX_ROWS:,} baris data per berkas dan ukuran berkas paling besar "
        f"{MAX_BYTES // (1024 * 1024)} MB; baris kosong dilewati.".replace(",", "."),
        "Hindari sel gabungan (merge) dan rumus; bila memakai rumus, simpan berkas di Excel "
        "agar nilainya ikut tersimpan.",
        "Kategori dikecualikan wajib disertai uji konsekuensi (Pasal 19 UU 14/2008); "
        "informasinya masuk daftar internal dan tidak diterbitkan.",
        "Simpan sebagai .xlsx (atau CSV UTF-8) tanpa kata sandi.",
    ):
        line("•", rule)
    row += 1
    line("Cara mengirim", font=bold)
    for step in (
        "1. Simpan berkas ini setelah diisi.",
        "2. Kirim sebagai dokumen (lampiran berkas, bukan foto) ke bot PPID di Telegram saat "
        "menyusun daftar informasi OPD.",
        "3. Bot memeriksa setiap baris dan membalas dengan nomor baris serta kolom yang perlu "
        "diperbaiki; perbaiki lalu kirim ulang.",
    ):
        line(step, wrap=False)
    row += 1
    line(
        "Contoh pengisian (jangan disalin ke lembar DIP bila bukan informasi OPD Bapak/Ibu)",
        font=bold,
    )
    line(*(header for _, header in COLUMNS), font=bold)
    for sample in _EXAMPLES:
        line(*sample)
    for column, width in zip("ABCDEFGHI", (38, 22, 70, 30, 30, 30, 26, 24, 28), strict=True):
        ws.column_dimensions[column].width = width
