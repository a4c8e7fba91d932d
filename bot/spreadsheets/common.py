"""What import and export share: the columns, the results, and cell-text cleaning."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final, Literal

from bot.formatting import MONTHS
from bot.sop import Category
from bot.untrusted import strip_invisible
from bot.workflow import MAX_SUMMARY, MAX_TITLE

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
MAX_BLANK_RUN: Final = 200
"""A run of this many empty rows ends the table: reading stops there (a sheet of a million
styled but empty rows would otherwise be read to its end, empty rows not being data rows)."""
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

CATEGORY_CHOICES: Final = "pilih berkala, serta_merta, setiap_saat atau dikecualikan"
FORMS_CHOICES: Final = "isi satu atau lebih dari cetak, softcopy, online (pisahkan dengan koma)"
WIDTHS: Final = {
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
    "too_slow",
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
    stopped_at: int | None = None
    """The row where reading stopped after `MAX_BLANK_RUN` empty rows, when the sheet went on."""


class SpreadsheetRefused(Exception):
    """The whole file is refused; `key` is the reason code, `message` the Indonesian sentence."""

    def __init__(self, key: RefusalKey, message: str) -> None:
        super().__init__(message)
        self.key: RefusalKey = key
        self.message = message

    def __reduce__(self) -> tuple[type[SpreadsheetRefused], tuple[RefusalKey, str]]:
        # Raised in the child process that reads the file (bot.heavy), re-raised in the bot.
        return (SpreadsheetRefused, (self.key, self.message))


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
    # Invisible characters go as in the chat (one rule: bot.untrusted); then every kind of white
    # space, line breaks and tabs included, becomes one space.
    visible = strip_invisible(value)
    kept = "".join(" " if unicodedata.category(char)[0] == "Z" else char for char in visible)
    return " ".join(unicodedata.normalize("NFC", kept).split())


def header_key(text: str) -> str:
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
HEADER_KEYS: Final = {
    header_key(alias): field for field, aliases in _HEADER_ALIASES.items() for alias in aliases
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


def _key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", text).casefold())


def quoted(text: str, limit: int = 40) -> str:
    return "'" + (text if len(text) <= limit else text[: limit - 1] + "…") + "'"


def parse_category(text: str) -> str | None:
    key = _key(text)
    return _CATEGORY_KEYS.get(key.removeprefix("informasi")) or _CATEGORY_KEYS.get(key)


def parse_forms(text: str) -> tuple[str | None, list[str]]:
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


def cell_text(value: object) -> str:
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
class Problem:
    """A cell whose value cannot be used; `message` says why."""

    message: str


NO_CACHED_VALUE: Final = Problem(
    "berisi rumus tanpa nilai; buka berkas di Excel lalu simpan ulang, "
    "atau salin dan tempel sebagai nilai"
)
