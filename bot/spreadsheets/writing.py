"""Writing DIP spreadsheets: the blank template and the register exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Final

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from bot.sop import Category
from bot.spreadsheets.common import (
    CATEGORY_LABELS,
    COLUMNS,
    CSV_DELIMITER,
    FORMS_CHOICES,
    HEADERS,
    MAX_BYTES,
    MAX_LENGTHS,
    MAX_ROWS,
    REQUIRED,
    WIDTHS,
    ExportEntry,
    clean_text,
    parse_category,
    parse_forms,
)
from bot.untrusted import defuse_formula
from bot.workflow import MAX_SUMMARY, MAX_TITLE

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
        forms, _ = parse_forms(value)
        return forms.replace(",", ", ") if forms else value
    return value


def _included(entries: Sequence[ExportEntry], include_exempt: bool) -> list[ExportEntry]:
    return [
        e
        for e in entries
        if include_exempt or parse_category(clean_text(e.category)) != Category.DIKECUALIKAN.value
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
        ws.column_dimensions[get_column_letter(index)].width = WIDTHS[field]


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
            line.append(defuse_formula(value))
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
    "forms": ("Tidak", f"Bentuk informasi yang tersedia: {FORMS_CHOICES}.", "cetak, softcopy"),
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
