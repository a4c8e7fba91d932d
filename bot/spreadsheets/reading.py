"""Reading an uploaded DIP spreadsheet: the refusals of whole files, and per-row validation."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import Final

from openpyxl import Workbook, load_workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from bot.spreadsheets.common import (
    CATEGORY_CHOICES,
    FIELDS,
    FORMS_CHOICES,
    HEADER_KEYS,
    HEADER_SEARCH_ROWS,
    HEADERS,
    MAX_BLANK_RUN,
    MAX_BYTES,
    MAX_LENGTHS,
    MAX_RATIO,
    MAX_ROWS,
    MAX_UNZIPPED,
    MAX_ZIP_MEMBERS,
    NO_CACHED_VALUE,
    RATIO_FLOOR,
    REQUIRED,
    ImportResult,
    Problem,
    RefusalKey,
    Row,
    RowError,
    SpreadsheetRefused,
    cell_text,
    clean_text,
    header_key,
    parse_category,
    parse_forms,
    quoted,
)
from bot.untrusted import FORMULA_START

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
        "too_slow": (
            "Berkas terlalu lama dibaca{detail}. Mohon hapus baris dan lembar yang tidak "
            "diperlukan atau bagi menjadi beberapa berkas, lalu kirim kembali."
        ),
    }
    return SpreadsheetRefused(key, messages[key].format(detail=detail))


def refusal(key: RefusalKey, detail: str = "") -> SpreadsheetRefused:
    """The refusal of a whole file, for reasons found outside `parse` (it ran out of time)."""
    return _refused(key, detail)


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
            if isinstance(cell, Problem) or cell is None:
                continue
            field = HEADER_KEYS.get(header_key(cell_text(cell)))
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
        if isinstance(raw, Problem):
            fail(field, raw.message)
            continue
        text = cell_text(raw) if raw is not None else ""
        fields[field] = None
        if not text:
            if field in REQUIRED:
                fail(field, "wajib diisi")
            continue
        if field == "category":
            category = parse_category(text)
            if category is None:
                fail(field, f"{quoted(text)} tidak dikenal; {CATEGORY_CHOICES}")
            fields[field] = category
            continue
        limit = MAX_LENGTHS[field]
        if len(text) > limit:
            fail(field, f"terlalu panjang ({len(text)} karakter); paling banyak {limit} karakter")
            continue
        if field == "forms":
            forms, unknown = parse_forms(text)
            if forms is None:
                shown = ", ".join(quoted(word) for word in unknown)
                fail(field, f"{shown} tidak dikenal; {FORMS_CHOICES}")
            fields[field] = forms
            continue
        fields[field] = text
    return fields, errors


def _is_empty(values: dict[str, object]) -> bool:
    return all(
        value is None or (not isinstance(value, Problem) and not cell_text(value))
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
    stopped_at: int | None = None
    table = _chain(below, rows)
    for number, cells in table:
        values = {f: cells[i] if i < len(cells) else None for f, i in columns.items()}
        if _is_empty(values):
            pending += 1  # counted only when data follows: trailing blank rows are not rows
            if pending == MAX_BLANK_RUN:
                # The table ended; a note only when the sheet goes on (its rows are not read).
                stopped_at = number + 1 if next(table, None) is not None else None
                break
            continue
        skipped, pending, count = skipped + pending, 0, count + 1
        if count > max_rows:
            raise _refused("too_many_rows", f"{max_rows:,}".replace(",", "."))
        fields, row_errors = _validate(number, values)
        if row_errors:
            errors.extend(row_errors)
        else:
            valid.append(Row(number, fields))
    return ImportResult(valid, errors, skipped, stopped_at)


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
        return Problem(f"berisi galat rumus {value}; perbaiki rumusnya atau ketik nilainya")
    if value is None and getattr(formula_cell, "data_type", None) == "f":
        return NO_CACHED_VALUE
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
    return text[1:] if text.startswith("'") and FORMULA_START.match(text) else text


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
