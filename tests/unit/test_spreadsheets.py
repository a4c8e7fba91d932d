"""Tests of the DIP spreadsheets: the template, the validated import and the exports."""

from __future__ import annotations

import io
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.spreadsheets import (
    COLUMNS,
    FIELDS,
    MAX_LENGTHS,
    ExportEntry,
    ImportResult,
    RowError,
    SpreadsheetRefused,
    clean_text,
    export_csv,
    export_xlsx,
    parse,
    template_xlsx,
)

HEADER = [header for _, header in COLUMNS]
GOOD: list[object] = [1, "Rencana Strategis", "Tujuan dan sasaran lima tahun", "berkala"]
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MB = 1024 * 1024


def xlsx(
    rows: Sequence[Sequence[Any]],
    *,
    sheet: str = "DIP",
    setup: Callable[[Worksheet], None] | None = None,
) -> bytes:
    """A workbook whose first sheet holds `rows` from A1."""
    book = Workbook()
    ws = book.active
    assert isinstance(ws, Worksheet)
    ws.title = sheet
    for row in rows:
        ws.append(list(row))
    if setup is not None:
        setup(ws)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def patch_sheet(data: bytes, pattern: str, replacement: str) -> bytes:
    """Rewrite the first sheet's XML, e.g. to add the cached values Excel stores."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                xml, count = re.subn(pattern, replacement, content.decode())
                assert count == 1, pattern
                content = xml.encode()
            target.writestr(info.filename, content)
    return out.getvalue()


def refusal(data: bytes, filename: str = "dip.xlsx", **limits: int) -> SpreadsheetRefused:
    with pytest.raises(SpreadsheetRefused) as caught:
        parse(data, filename, **limits)
    return caught.value


def messages(result: ImportResult) -> list[str]:
    return [str(error) for error in result.errors]


def entry(**changes: object) -> ExportEntry:
    values: dict[str, object] = {
        "opd_code": "DINKES",
        "opd_name": "Dinas Kesehatan",
        "round_name": "DIP Semester I 2027",
        "number": 1,
        "title": "Rencana Strategis",
        "summary": "Tujuan, sasaran, program dan kegiatan lima tahunan",
        "category": "berkala",
        "holder": "Sekretariat",
        "responsible": "Kepala Dinas Kesehatan",
        "made": "2 Maret 2027, Pontianak",
        "forms": "cetak,softcopy",
        "retention": "5 tahun",
    }
    values.update(changes)
    return ExportEntry(**values)  # type: ignore[arg-type]


def fields_of(e: ExportEntry) -> dict[str, str | None]:
    return {field: getattr(e, field) or None for field in FIELDS}


# --- template ---------------------------------------------------------------------------------


def test_the_template_opens_with_the_dip_header_bold_and_frozen() -> None:
    book = load_workbook(io.BytesIO(template_xlsx()))
    ws = book["DIP"]
    assert book.sheetnames == ["DIP", "Petunjuk"]
    assert book.active is not None and book.active.title == "DIP"
    assert [cell.value for cell in ws[1]] == HEADER
    assert all(cell.font.bold for cell in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["C"].width >= 40
    assert ws.max_row == 1  # no data rows: examples live on the instructions sheet


def test_the_template_offers_the_four_categories_as_a_drop_down() -> None:
    ws = load_workbook(io.BytesIO(template_xlsx()))["DIP"]
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert len(lists) == 1
    assert lists[0].formula1 == '"berkala,serta_merta,setiap_saat,dikecualikan"'
    assert "D2" in lists[0].sqref and "D2001" in lists[0].sqref


def test_the_template_hints_at_the_forms_when_the_cell_is_selected() -> None:
    ws = load_workbook(io.BytesIO(template_xlsx()))["DIP"]
    hints = [dv for dv in ws.data_validations.dataValidation if "H2" in dv.sqref]
    assert len(hints) == 1
    assert hints[0].showInputMessage
    assert "cetak, softcopy, online" in (hints[0].prompt or "")


def test_the_instructions_explain_columns_categories_limits_and_sending() -> None:
    ws = load_workbook(io.BytesIO(template_xlsx()))["Petunjuk"]
    text = " ".join(str(cell.value) for row in ws.iter_rows() for cell in row if cell.value)
    for header in HEADER:
        assert header in text
    for article in ("Pasal 9", "Pasal 10", "Pasal 11", "Pasal 17", "Pasal 19"):
        assert article in text
    assert "uji konsekuensi" in text
    assert "2.000 baris" in text
    assert "bot PPID" in text
    assert "Rencana Strategis" in text  # the examples


def test_the_blank_template_reads_as_no_rows_and_no_errors() -> None:
    assert parse(template_xlsx(), "templat-dip.xlsx") == ImportResult([], [], 0)


def test_a_filled_template_is_read_from_the_dip_sheet_not_the_instructions() -> None:
    book = load_workbook(io.BytesIO(template_xlsx()))
    book["DIP"].append(GOOD)
    out = io.BytesIO()
    book.save(out)
    result = parse(out.getvalue(), "dip.xlsx")
    assert [row.fields["title"] for row in result.rows] == ["Rencana Strategis"]


# --- refusals ---------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_reading() -> None:
    refused = refusal(b"x" * 2048, "dip.csv", max_bytes=1024)
    assert refused.key == "too_big"
    assert "terlalu besar" in refused.message


def test_the_default_size_limit_is_five_megabytes() -> None:
    refused = refusal(b"a" * (5 * MB + 1), "dip.csv")
    assert refused.key == "too_big"
    assert "5 MB" in refused.message


def test_more_than_two_thousand_data_rows_are_refused() -> None:
    lines = ["Judul;Ringkasan isi informasi;Kategori"]
    lines += [f"Judul {i};Ringkasan {i};berkala" for i in range(2001)]
    refused = refusal("\n".join(lines).encode(), "dip.csv")
    assert refused.key == "too_many_rows"
    assert "2.000" in refused.message


def test_exactly_the_row_limit_is_accepted_and_empty_rows_do_not_count() -> None:
    data = xlsx([HEADER, GOOD, [], GOOD, [None, ""], GOOD])
    assert len(parse(data, "dip.xlsx", max_rows=3).rows) == 3
    assert refusal(data, max_rows=2).key == "too_many_rows"


def test_a_pdf_renamed_xlsx_is_not_a_spreadsheet() -> None:
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" * 20
    refused = refusal(pdf, "dip.xlsx")
    assert refused.key == "not_spreadsheet"
    assert ".xlsx" in refused.message


@pytest.mark.parametrize("filename", ["dip.xlsx", "dip.csv", "dip"])
def test_random_bytes_are_not_a_spreadsheet(filename: str) -> None:
    assert refusal(os.urandom(4096), filename).key == "not_spreadsheet"


def test_an_encrypted_office_file_is_refused_as_password_protected() -> None:
    ole = OLE2 + b"\x00" * 1000 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 500
    refused = refusal(ole, "dip.xlsx")
    assert refused.key == "encrypted"
    assert "kata sandi" in refused.message


def test_an_old_xls_file_is_refused_with_advice_to_save_as_xlsx() -> None:
    refused = refusal(OLE2 + b"\x00" * 2000, "dip.xls")
    assert refused.key == "not_spreadsheet"
    assert ".xls" in refused.message


def test_a_zip_bomb_is_refused_from_its_declared_sizes() -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (60 * MB))
    assert len(bomb.getvalue()) < MB
    refused = refusal(bomb.getvalue(), "dip.xlsx")
    assert refused.key == "zip_bomb"


def test_a_member_compressed_more_than_a_hundredfold_is_a_zip_bomb() -> None:
    data = patch_sheet(xlsx([HEADER, GOOD]), r"</sheetData>", "</sheetData>" + " " * (5 * MB))
    assert refusal(data).key == "zip_bomb"


def test_a_zip_with_thousands_of_members_is_a_zip_bomb() -> None:
    crowd = io.BytesIO()
    with zipfile.ZipFile(crowd, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for i in range(1500):
            archive.writestr(f"xl/media/{i}.bin", b"")
    assert refusal(crowd.getvalue()).key == "zip_bomb"


def test_a_zip_that_is_not_a_workbook_is_not_a_spreadsheet() -> None:
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    assert refusal(docx.getvalue()).key == "not_spreadsheet"


def test_a_damaged_workbook_is_not_a_spreadsheet() -> None:
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as archive:
        archive.writestr("xl/workbook.xml", "bukan xml <<")
    assert refusal(damaged.getvalue()).key == "not_spreadsheet"


def test_a_sheet_cut_off_midway_is_not_a_spreadsheet() -> None:
    data = patch_sheet(xlsx([HEADER, GOOD, GOOD]), r"</row><row r=\"3\".*", "</row><row r=")
    assert refusal(data).key == "not_spreadsheet"


def test_a_workbook_named_csv_is_not_taken_for_text() -> None:
    assert refusal(xlsx([HEADER, GOOD]), "dip.csv").key == "not_spreadsheet"


def test_other_extensions_are_not_spreadsheets() -> None:
    assert refusal(b"Judul,Ringkasan isi informasi,Kategori\n", "dip.pdf").key == "not_spreadsheet"


def test_a_sheet_without_a_header_in_its_first_ten_rows_is_refused() -> None:
    rows: list[list[Any]] = [["Daftar informasi"]] + [[f"baris {i}"] for i in range(12)]
    refused = refusal(xlsx([*rows, HEADER, GOOD]))
    assert refused.key == "no_header"
    assert "10 baris pertama" in refused.message


def test_missing_required_columns_are_named() -> None:
    refused = refusal(xlsx([["No", "Judul", "Bentuk informasi"], [1, "Renstra", "cetak"]]))
    assert refused.key == "wrong_columns"
    assert "Ringkasan isi informasi, Kategori" in refused.message


def test_an_empty_csv_has_no_header() -> None:
    assert refusal(b"", "dip.csv").key == "no_header"


# --- the header -------------------------------------------------------------------------------


def test_the_header_may_sit_below_a_title_with_columns_in_any_order_and_extras() -> None:
    rows: list[list[object]] = [
        ["Daftar Informasi Publik Dinas Kesehatan"],
        [],
        ["Catatan", "  KATEGORI ", "ringkasan   isi\u00a0informasi", "JUDUL", "Bentuk Informasi"],
        ["abaikan", "Setiap saat", "Isi ringkas", "Daftar aset", "Soft copy"],
    ]
    result = parse(xlsx(rows), "dip.xlsx")
    assert result.errors == []
    [row] = result.rows
    assert row.number == 4
    assert row.fields == {
        "title": "Daftar aset",
        "summary": "Isi ringkas",
        "category": "setiap_saat",
        "holder": None,
        "responsible": None,
        "made": None,
        "forms": "softcopy",
        "retention": None,
    }


def test_the_long_headers_of_the_regulation_are_recognised() -> None:
    header = [
        "Nomor",
        "Judul Informasi",
        "Ringkasan",
        "Kategori Informasi",
        "Pejabat atau unit/satuan kerja yang menguasai informasi",
        "Penanggung jawab pembuatan atau penerbitan informasi",
        "Waktu dan tempat pembuatan informasi",
        "Bentuk informasi yang tersedia",
        "Jangka waktu penyimpanan atau retensi arsip",
    ]
    row = [1, "Renstra", "Isi", "berkala", "Sekretariat", "Kadis", "2027", "cetak", "5 tahun"]
    [parsed] = parse(xlsx([header, row]), "dip.xlsx").rows
    assert parsed.fields["holder"] == "Sekretariat"
    assert parsed.fields["retention"] == "5 tahun"


# --- per-row validation -----------------------------------------------------------------------


def test_an_unknown_category_is_reported_with_row_column_and_choices() -> None:
    rows: list[list[Any]] = [HEADER] + [GOOD] * 5 + [[6, "Anggaran", "Rincian", "rahasia"]]
    result = parse(xlsx(rows), "dip.xlsx")
    assert messages(result) == [
        "Baris 7, kolom Kategori: 'rahasia' tidak dikenal; "
        "pilih berkala, serta_merta, setiap_saat atau dikecualikan"
    ]
    assert result.errors == [
        RowError(
            7,
            "Kategori",
            "'rahasia' tidak dikenal; pilih berkala, serta_merta, setiap_saat atau dikecualikan",
        )
    ]
    assert [row.number for row in result.rows] == [2, 3, 4, 5, 6]


def test_missing_required_values_are_reported_per_column() -> None:
    result = parse(xlsx([HEADER, [1, None, "  ", None, "Sekretariat"]]), "dip.xlsx")
    assert messages(result) == [
        "Baris 2, kolom Judul: wajib diisi",
        "Baris 2, kolom Ringkasan isi informasi: wajib diisi",
        "Baris 2, kolom Kategori: wajib diisi",
    ]
    assert result.rows == []


def test_text_over_the_limit_is_reported_with_its_length() -> None:
    result = parse(xlsx([HEADER, [1, "J" * 201, "R" * 1001, "berkala"]]), "dip.xlsx")
    assert messages(result) == [
        "Baris 2, kolom Judul: terlalu panjang (201 karakter); paling banyak 200 karakter",
        "Baris 2, kolom Ringkasan isi informasi: terlalu panjang (1001 karakter); "
        "paling banyak 1000 karakter",
    ]


@pytest.mark.parametrize(
    ("label", "value"),
    [
        ("Berkala", "berkala"),
        ("Serta merta", "serta_merta"),
        ("Serta-merta", "serta_merta"),
        ("SERTA_MERTA", "serta_merta"),
        ("Setiap saat", "setiap_saat"),
        ("setiap  saat", "setiap_saat"),
        ("Dikecualikan", "dikecualikan"),
        ("Informasi berkala", "berkala"),
    ],
)
def test_category_labels_are_read_case_insensitively(label: str, value: str) -> None:
    [row] = parse(xlsx([HEADER, [1, "Judul", "Ringkasan", label]]), "dip.xlsx").rows
    assert row.fields["category"] == value


@pytest.mark.parametrize(
    ("written", "forms"),
    [
        ("cetak", "cetak"),
        ("Cetak, Softcopy", "cetak,softcopy"),
        ("online; cetak", "online,cetak"),
        ("Soft copy / hardcopy dan daring", "softcopy,cetak,online"),
        ("cetak, cetak ,ONLINE", "cetak,online"),
    ],
)
def test_forms_are_normalised_to_known_words_in_the_writers_order(written: str, forms: str) -> None:
    row = [1, "Judul", "Ringkasan", "berkala", None, None, None, written]
    [parsed] = parse(xlsx([HEADER, row]), "dip.xlsx").rows
    assert parsed.fields["forms"] == forms


def test_unknown_forms_name_the_unknown_word() -> None:
    row = [1, "Judul", "Ringkasan", "berkala", None, None, None, "cetak, faks"]
    result = parse(xlsx([HEADER, row]), "dip.xlsx")
    assert messages(result) == [
        "Baris 2, kolom Bentuk informasi: 'faks' tidak dikenal; "
        "isi satu atau lebih dari cetak, softcopy, online (pisahkan dengan koma)"
    ]


def test_a_row_with_an_error_is_left_out_while_the_others_are_kept() -> None:
    rows: list[list[Any]] = [HEADER, GOOD, [2, "Tanpa ringkasan", None, "berkala"], GOOD]
    result = parse(xlsx(rows), "dip.xlsx")
    assert [row.number for row in result.rows] == [2, 4]
    assert [error.row for error in result.errors] == [3]


def test_empty_rows_between_data_are_skipped_and_counted_but_trailing_ones_are_not() -> None:
    rows: list[list[Any]] = [HEADER, GOOD, [], [None, "  ", "\u200b"], [7], GOOD, [], []]
    result = parse(xlsx(rows), "dip.xlsx")
    assert [row.number for row in result.rows] == [2, 6]
    assert result.skipped_empty == 3  # a row holding only its number is empty too
    assert result.errors == []


def test_optional_columns_left_empty_come_back_as_none() -> None:
    [row] = parse(xlsx([HEADER, GOOD]), "dip.xlsx").rows
    assert row.fields == {
        "title": "Rencana Strategis",
        "summary": "Tujuan dan sasaran lima tahun",
        "category": "berkala",
        "holder": None,
        "responsible": None,
        "made": None,
        "forms": None,
        "retention": None,
    }


# --- what Excel puts in cells -----------------------------------------------------------------


def test_formulas_with_cached_values_give_the_values() -> None:
    data = xlsx([HEADER, [1, '=UPPER("renstra")', "Ringkasan", '=LOWER("BERKALA")']])
    data = patch_sheet(
        data, r'<c r="B2"><f>(.*?)</f><v\s*/>', r'<c r="B2" t="str"><f>\1</f><v>RENSTRA</v>'
    )
    data = patch_sheet(
        data, r'<c r="D2"><f>(.*?)</f><v\s*/>', r'<c r="D2" t="str"><f>\1</f><v>berkala</v>'
    )
    result = parse(data, "dip.xlsx")
    assert result.errors == []
    assert result.rows[0].fields["title"] == "RENSTRA"
    assert result.rows[0].fields["category"] == "berkala"


def test_formulas_without_cached_values_are_reported() -> None:
    data = xlsx([HEADER, [1, "Renstra", "Ringkasan", "berkala", "=A1&B1"]])
    result = parse(data, "dip.xlsx")
    assert messages(result) == [
        "Baris 2, kolom Pejabat/unit yang menguasai informasi: berisi rumus tanpa nilai; "
        "buka berkas di Excel lalu simpan ulang, atau salin dan tempel sebagai nilai"
    ]


def test_a_formula_in_the_number_column_is_ignored() -> None:
    data = xlsx([HEADER, ["=ROW()-1", "Renstra", "Ringkasan", "berkala"]])
    assert len(parse(data, "dip.xlsx").rows) == 1


def test_a_cached_formula_error_is_reported() -> None:
    data = xlsx([HEADER, [1, "=#REF!", "Ringkasan", "berkala"]])
    data = patch_sheet(
        data, r'<c r="B2"><f>(.*?)</f><v\s*/>', r'<c r="B2" t="e"><f>\1</f><v>#REF!</v>'
    )
    assert messages(parse(data, "dip.xlsx")) == [
        "Baris 2, kolom Judul: berisi galat rumus #REF!; perbaiki rumusnya atau ketik nilainya"
    ]


def test_text_that_looks_like_a_formula_but_is_text_is_kept() -> None:
    def as_text(ws: Worksheet) -> None:
        ws["B2"].data_type = "s"

    [row] = parse(xlsx([HEADER, [1, "=bukan rumus", "R", "berkala"]], setup=as_text), "d.xlsx").rows
    assert row.fields["title"] == "=bukan rumus"


def test_merged_cells_give_the_top_left_value_and_leave_the_rest_empty() -> None:
    def merge(ws: Worksheet) -> None:
        ws.merge_cells("E2:E4")  # one holder for three rows
        ws.merge_cells("B5:C5")  # title spilling over the summary

    rows: list[list[Any]] = [
        HEADER,
        [1, "Renstra", "Ringkasan", "berkala", "Sekretariat"],
        [2, "Renja", "Ringkasan", "berkala"],
        [3, "LKjIP", "Ringkasan", "berkala"],
        [4, "Judul lebar", None, "berkala"],
    ]
    result = parse(xlsx(rows, setup=merge), "dip.xlsx")
    assert [row.fields["holder"] for row in result.rows] == ["Sekretariat", None, None]
    assert messages(result) == ["Baris 5, kolom Ringkasan isi informasi: wajib diisi"]


def test_dates_typed_as_text_or_as_real_dates_become_indonesian_text() -> None:
    rows: list[list[Any]] = [
        HEADER,
        [1, "A", "R", "berkala", None, None, "Januari 2027, Pontianak"],
        [2, "B", "R", "berkala", None, None, datetime(2027, 3, 2)],
        [3, "C", "R", "berkala", None, None, date(2026, 12, 23)],
        [4, "D", "R", "berkala", None, None, datetime(2027, 3, 2, 14, 30)],
    ]
    result = parse(xlsx(rows), "dip.xlsx")
    assert [row.fields["made"] for row in result.rows] == [
        "Januari 2027, Pontianak",
        "2 Maret 2027",
        "23 Desember 2026",
        "2 Maret 2027 pukul 14.30",
    ]


def test_numbers_become_text_without_a_trailing_point_zero() -> None:
    rows: list[list[Any]] = [HEADER, [1, 2027, 3.0, "berkala", None, None, 2.5, None, 5]]
    [row] = parse(xlsx(rows), "dip.xlsx").rows
    assert (row.fields["title"], row.fields["summary"]) == ("2027", "3")
    assert (row.fields["made"], row.fields["retention"]) == ("2.5", "5")


def test_unicode_oddities_are_cleaned() -> None:
    rows: list[list[Any]] = [
        HEADER,
        [
            1,
            "\u00a0Laporan\u00a0Keuangan\u200b  2027\u2060 ",
            "Cafe\u0301 di Jl.\u2003Ahmad\u00adYani\ufeff",
            "Berkala\u200b",
        ],
    ]
    [row] = parse(xlsx(rows), "dip.xlsx").rows
    assert row.fields["title"] == "Laporan Keuangan 2027"
    assert row.fields["summary"] == "Café di Jl. AhmadYani"
    assert unicodedata.is_normalized("NFC", row.fields["summary"] or "")
    assert row.fields["category"] == "berkala"


def test_line_breaks_excel_escaped_as_x000d_become_spaces() -> None:
    rows: list[list[Any]] = [
        HEADER,
        [1, "Baris satu_x000D_\nbaris dua", "Ringkasan_x0009_isi", "berkala"],
    ]
    [row] = parse(xlsx(rows), "dip.xlsx").rows
    assert (row.fields["title"], row.fields["summary"]) == ("Baris satu baris dua", "Ringkasan isi")


def test_a_wrong_dimension_in_the_sheet_does_not_hide_rows() -> None:
    data = patch_sheet(
        xlsx([HEADER, GOOD, GOOD]), r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1"/>'
    )
    assert len(parse(data, "dip.xlsx").rows) == 2


# --- CSV --------------------------------------------------------------------------------------


def test_a_semicolon_csv_with_a_bom_is_read() -> None:
    text = "\ufeffNo;Judul;Ringkasan isi informasi;Kategori;Bentuk informasi\r\n"
    text += '1;Renstra;"Tujuan; sasaran";Serta merta;cetak, online\r\n'
    result = parse(text.encode("utf-8"), "dip.csv")
    [row] = result.rows
    assert row.number == 2
    assert row.fields["summary"] == "Tujuan; sasaran"
    assert row.fields["category"] == "serta_merta"
    assert row.fields["forms"] == "cetak,online"


def test_a_comma_csv_without_a_bom_is_read() -> None:
    text = 'Judul,Ringkasan isi informasi,Kategori\nRenstra,"Tujuan, sasaran",berkala\n'
    [row] = parse(text.encode(), "dip.csv").rows
    assert row.fields["summary"] == "Tujuan, sasaran"


def test_a_cp1252_csv_from_old_excel_is_read() -> None:
    text = "Judul;Ringkasan isi informasi;Kategori\nCafé – daftar;Ringkasan “isi”;berkala\n"
    [row] = parse(text.encode("cp1252"), "dip.csv").rows
    assert row.fields["title"] == "Café – daftar"
    assert row.fields["summary"] == "Ringkasan “isi”"


def test_control_characters_in_a_csv_are_removed() -> None:
    text = "Judul;Ringkasan isi informasi;Kategori\nRen\x07stra\t2027;Isi\x0bringkas;berkala\n"
    [row] = parse(text.encode(), "dip.csv").rows
    assert row.fields["title"] == "Renstra 2027"
    assert row.fields["summary"] == "Isi ringkas"


def test_a_csv_row_number_is_its_record_number_even_with_line_breaks_in_cells() -> None:
    text = 'Judul;Ringkasan isi informasi;Kategori\nA;"baris\nkedua";berkala\nB;R;rahasia\n'
    result = parse(text.encode(), "dip.csv")
    assert result.rows[0].fields["summary"] == "baris kedua"
    assert [error.row for error in result.errors] == [3]


# --- export -----------------------------------------------------------------------------------


def test_the_xlsx_export_looks_like_a_published_register() -> None:
    title = "Daftar Informasi Publik Dinas Kesehatan — DIP Semester I 2027"
    data = export_xlsx([entry(), entry(number=2, title="Renja")], title=title)
    ws = load_workbook(io.BytesIO(data))["DIP"]
    assert ws["A1"].value == title and ws["A1"].font.bold
    assert [cell.value for cell in ws[2]] == HEADER
    assert all(c.font.bold and c.fill.fgColor.rgb.endswith("DDEBF7") for c in ws[2])
    assert all(c.border.left.style == "thin" and c.alignment.wrap_text for c in ws[3])
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == "A2:I4"
    assert ws.column_dimensions["C"].width == 60
    assert [ws.cell(row=r, column=2).value for r in (3, 4)] == ["Rencana Strategis", "Renja"]
    assert ws["D3"].value == "Berkala"
    assert ws["H3"].value == "cetak, softcopy"


def test_opd_and_period_columns_appear_only_when_several_are_present() -> None:
    other_opd = entry(opd_code="DISDIK", opd_name="Dinas Pendidikan")
    other_round = entry(round_name="DIP Semester II 2027")

    def header(entries: list[ExportEntry]) -> list[object]:
        ws = load_workbook(io.BytesIO(export_xlsx(entries, title="DIP")))["DIP"]
        return [cell.value for cell in ws[2]]

    assert header([entry(), entry()]) == HEADER
    assert header([entry(), other_opd]) == ["No", "OPD", *HEADER[1:]]
    assert header([entry(), other_round]) == ["No", "Periode", *HEADER[1:]]
    assert header([entry(), other_opd, other_round])[:3] == ["No", "OPD", "Periode"]
    csv_header = export_csv([entry(), other_opd]).decode("utf-8-sig").splitlines()[0]
    assert csv_header.split(";")[:3] == ["No", "OPD", "Judul"]


def test_exempt_entries_are_dropped_unless_asked_for() -> None:
    entries = [entry(), entry(number=2, title="Hasil uji konsekuensi", category="dikecualikan")]
    for data, name in (
        (export_xlsx(entries, title="DIP"), "d.xlsx"),
        (export_csv(entries), "d.csv"),
    ):
        assert [row.fields["title"] for row in parse(data, name).rows] == ["Rencana Strategis"]
    internal = export_xlsx(entries, title="DIP internal", include_exempt=True)
    assert [r.fields["category"] for r in parse(internal, "d.xlsx").rows] == [
        "berkala",
        "dikecualikan",
    ]
    assert len(parse(export_csv(entries, include_exempt=True), "d.csv").rows) == 2


def test_the_csv_export_is_utf8_with_bom_and_semicolons() -> None:
    data = export_csv([entry(title="Kafé; “isi”")])
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == ";".join(HEADER)
    assert lines[1].startswith('1;"Kafé; “isi”";')


def test_the_csv_export_defuses_text_excel_would_run_as_a_formula() -> None:
    data = export_csv([entry(title='=HYPERLINK("http://x")', summary="-5 tahun", holder="'=a")])
    line = data.decode("utf-8-sig").splitlines()[1]
    assert line.startswith('1;"\'=HYPERLINK(""http://x"")";\'-5 tahun;')
    assert ";''=a;" in line
    [row] = parse(data, "dip.csv").rows
    assert row.fields["title"] == '=HYPERLINK("http://x")'
    assert row.fields["summary"] == "-5 tahun"
    assert row.fields["holder"] == "'=a"


def test_the_xlsx_export_keeps_formula_like_text_as_text() -> None:
    data = export_xlsx([entry(title="=1+1")], title="=judul")
    ws = load_workbook(io.BytesIO(data))["DIP"]
    assert ws["B3"].data_type == "s" and ws["A1"].data_type == "s"
    [row] = parse(data, "dip.xlsx").rows
    assert row.fields["title"] == "=1+1"


# --- round trips ------------------------------------------------------------------------------

FIXED_CASES = [
    entry(),
    entry(holder="", responsible="", made="", forms="", retention=""),
    entry(
        title="J" * MAX_LENGTHS["title"],
        summary="R" * MAX_LENGTHS["summary"],
        holder="H" * MAX_LENGTHS["holder"],
        made="2027",
        retention="1.0",
        forms="online,cetak",
        category="serta_merta",
    ),
    entry(title="=SUM(A1)", summary="+62 561", holder="@dinkes", responsible="'=x", made="-"),
    entry(
        title="Kafé “ūji” — 😀 ملف", summary='isi "berkutip"; koma, titik', category="setiap_saat"
    ),
    entry(category="dikecualikan", forms="softcopy"),
]


def round_trip_xlsx(entries: list[ExportEntry]) -> ImportResult:
    return parse(export_xlsx(entries, title="DIP", include_exempt=True), "dip.xlsx")


def round_trip_csv(entries: list[ExportEntry]) -> ImportResult:
    return parse(export_csv(entries, include_exempt=True), "dip.csv")


@pytest.mark.parametrize("trip", [round_trip_xlsx, round_trip_csv])
def test_fixed_entries_survive_a_round_trip(
    trip: Callable[[list[ExportEntry]], ImportResult],
) -> None:
    result = trip(FIXED_CASES)
    assert result.errors == []
    assert [row.fields for row in result.rows] == [fields_of(e) for e in FIXED_CASES]


printable = st.characters(categories=["L", "M", "N", "P", "S", "Zs"])


def text(max_size: int, *, required: bool = False) -> st.SearchStrategy[str]:
    cleaned = st.text(printable, max_size=max_size).map(clean_text)
    return cleaned.filter(bool) if required else cleaned


entries_strategy = st.lists(
    st.builds(
        ExportEntry,
        opd_code=st.sampled_from(["DINKES", "DISDIK"]),
        opd_name=text(30, required=True),
        round_name=st.sampled_from(["DIP Semester I 2027", "DIP Semester II 2027"]),
        number=st.integers(1, 999),
        title=text(80, required=True),
        summary=text(200, required=True),
        category=st.sampled_from(["berkala", "serta_merta", "setiap_saat", "dikecualikan"]),
        holder=text(60),
        responsible=text(60),
        made=text(40),
        forms=st.sampled_from(["", "cetak", "online,softcopy", "cetak,softcopy,online"]),
        retention=text(40),
    ),
    min_size=1,
    max_size=4,
)
round_trip_settings = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@round_trip_settings
@given(entries_strategy)
def test_any_entries_survive_an_xlsx_round_trip(entries: list[ExportEntry]) -> None:
    result = round_trip_xlsx(entries)
    assert result.errors == []
    assert [row.fields for row in result.rows] == [fields_of(e) for e in entries]


@round_trip_settings
@given(entries_strategy)
def test_any_entries_survive_a_csv_round_trip(entries: list[ExportEntry]) -> None:
    result = round_trip_csv(entries)
    assert result.errors == []
    assert [row.fields for row in result.rows] == [fields_of(e) for e in entries]


@given(st.text())
def test_cleaning_text_is_idempotent_and_leaves_no_control_or_extra_space(raw: str) -> None:
    cleaned = clean_text(raw)
    assert clean_text(cleaned) == cleaned
    assert cleaned == cleaned.strip() and "  " not in cleaned
    assert not any(unicodedata.category(ch)[0] == "C" for ch in cleaned)
    assert unicodedata.is_normalized("NFC", cleaned)
