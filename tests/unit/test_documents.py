"""Tests of the pure document policy: names, declared type and size, content sniffing."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from bot.documents import (
    ACCEPTED_EXTENSIONS,
    MAX_NAME_LENGTH,
    AcceptedFile,
    FileRejected,
    check,
    check_declared,
    extension_of,
    mime_for,
    photo_name,
    sanitize_name,
    sniff_matches,
)

MB = 1024 * 1024

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 32
EMPTY_ZIP = b"PK\x05\x06" + b"\x00" * 18
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
ELF = b"\x7fELF\x02\x01\x01\x00"
CSV_UTF8 = b"nama,jumlah\nDinas Pendidikan,3\nKelurahan Sungai Jawi,5\n"


# --- sanitize_name --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\x\\y.pdf", "y.pdf"),
        ("/var/lib/../secret.docx", "secret.docx"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("<script>.pdf", "script.pdf"),
        ("laporan \"final\" & 'revisi'.pdf", "laporan final revisi.pdf"),
        ("a:b*c?d|e.xlsx", "abcde.xlsx"),
        ("Laporan   Keuangan\t2024.pdf", "Laporan Keuangan 2024.pdf"),
        ("  spasi di tepi.pdf  ", "spasi di tepi.pdf"),
        ("nul\x00byte.pdf", "nulbyte.pdf"),
        ("bel\x07\x1b[31mred.pdf", "bel[31mred.pdf"),
        (".bashrc", "bashrc"),
        ("...hidden.pdf", "hidden.pdf"),
        ("titik di akhir.pdf...", "titik di akhir.pdf"),
        ("SK Kepala Dinas.pdf", "SK Kepala Dinas.pdf"),
    ],
)
def test_sanitize_name_keeps_a_safe_base_name(raw: str, expected: str) -> None:
    assert sanitize_name(raw) == expected


@pytest.mark.parametrize(
    "raw", [None, "", "   ", ".", "..", "...", "....", "../..", "/", "\\", "<>"]
)
def test_sanitize_name_falls_back_when_nothing_is_left(raw: str | None) -> None:
    assert sanitize_name(raw) == "dokumen"


def test_sanitize_name_uses_the_given_fallback() -> None:
    assert sanitize_name("..", fallback="berkas") == "berkas"


def test_a_name_that_is_only_an_extension_gets_the_fallback_as_stem() -> None:
    assert sanitize_name(".pdf") == "dokumen.pdf"


def test_sanitize_name_normalises_combining_characters_to_nfc() -> None:
    decomposed = "Cafe\u0301 Pontianak.pdf"
    result = sanitize_name(decomposed)
    assert result == "Café Pontianak.pdf"
    assert unicodedata.is_normalized("NFC", result)


def test_sanitize_name_removes_the_right_to_left_override_that_disguises_extensions() -> None:
    # Displayed as "laporanfdp.exe" reversed: "laporan\u202efdp.exe" looks like "laporanexe.pdf".
    assert sanitize_name("laporan\u202efdp.exe") == "laporanfdp.exe"


def test_sanitize_name_removes_zero_width_and_other_format_characters() -> None:
    assert sanitize_name("lap\u200bor\u2066an\ufeff.pdf") == "laporan.pdf"


def test_sanitize_name_keeps_non_latin_letters() -> None:
    assert sanitize_name("تقرير 2024.pdf") == "تقرير 2024.pdf"
    assert sanitize_name("报告.docx") == "报告.docx"


def test_sanitize_name_turns_unicode_line_separators_into_spaces() -> None:
    assert sanitize_name("satu\u2028dua\nTiga.pdf") == "satu dua Tiga.pdf"


def test_a_300_character_name_is_cut_to_120_keeping_the_extension() -> None:
    result = sanitize_name("a" * 300 + ".xlsx")
    assert len(result) == MAX_NAME_LENGTH
    assert result.endswith(".xlsx")
    assert result == "a" * (MAX_NAME_LENGTH - 5) + ".xlsx"


def test_a_300_character_name_without_extension_is_cut_to_120() -> None:
    assert sanitize_name("b" * 300) == "b" * MAX_NAME_LENGTH


def test_a_long_name_cut_before_a_space_does_not_end_with_the_space() -> None:
    result = sanitize_name("x" * 115 + " yyyyyyyyyy.pdf")
    assert result == "x" * 115 + ".pdf"


def test_windows_device_names_are_made_harmless() -> None:
    assert sanitize_name("CON.pdf") == "_CON.pdf"
    assert sanitize_name("nul") == "_nul"
    assert sanitize_name("console.pdf") == "console.pdf"


@pytest.mark.parametrize(
    "raw",
    [
        "../../etc/passwd",
        "C:\\x\\y.pdf",
        "<img src=x onerror=alert(1)>.png",
        "\u202e\u0000\u0007..",
        "a" * 1000,
        "../" * 100 + "z.pdf",
        "é" * 500 + ".pdf",
    ],
)
def test_sanitized_names_are_never_empty_nor_dangerous(raw: str) -> None:
    result = sanitize_name(raw)
    assert result
    assert len(result) <= MAX_NAME_LENGTH
    assert not result.startswith(".")
    assert not set(result) & set("<>:\"/\\|?*'&\x00")
    assert all(not unicodedata.category(c).startswith("C") for c in result)
    assert sanitize_name(result) == result


# --- extension_of, mime_for ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "ext"),
    [
        ("Laporan.PDF", "pdf"),
        ("arsip.tar.gz", "gz"),
        ("foto.JPeG", "jpeg"),
        ("tanpa_ekstensi", ""),
        (".bashrc", ""),
        ("titik.", ""),
        ("dir.v2/berkas", ""),
        ("C:\\dok\\tabel.Xlsx", "xlsx"),
        ("", ""),
        (None, ""),
    ],
)
def test_extension_of_is_the_lower_case_suffix_without_dot(name: str | None, ext: str) -> None:
    assert extension_of(name) == ext


def test_every_accepted_extension_has_a_specific_mime_type() -> None:
    assert {
        "pdf",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "odt",
        "ods",
        "csv",
        "jpg",
        "jpeg",
        "png",
        "zip",
    } == ACCEPTED_EXTENSIONS
    for ext in ACCEPTED_EXTENSIONS:
        assert mime_for(ext) != "application/octet-stream"


@pytest.mark.parametrize(
    ("ext", "mime"),
    [
        ("pdf", "application/pdf"),
        ("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("jpg", "image/jpeg"),
        ("jpeg", "image/jpeg"),
        ("csv", "text/csv"),
        ("exe", "application/octet-stream"),
    ],
)
def test_mime_for_gives_the_canonical_type(ext: str, mime: str) -> None:
    assert mime_for(ext) == mime


# --- check_declared, check ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "mime", "size", "reason"),
    [
        ("laporan.pdf", "application/pdf", 1000, None),
        ("LAPORAN.PDF", None, 1000, None),
        ("tabel.xlsx", "application/octet-stream", 1000, None),
        ("laporan.pdf", "application/pdf", 20 * MB, None),
        ("laporan.pdf", "application/pdf", 20 * MB + 1, "too_big"),
        ("laporan.pdf", "application/pdf", 0, "empty"),
        ("laporan.pdf", "application/pdf", None, None),
        ("program.exe", "application/x-msdownload", 1000, "type"),
        ("laporan.pdf.exe", "application/pdf", 1000, "type"),
        ("skrip.js", "text/javascript", 1000, "type"),
        ("program.exe", "application/x-msdownload", 50 * MB, "type"),
        ("tanpa_ekstensi", "application/pdf", 1000, None),
        ("tanpa_ekstensi", "Application/PDF; charset=binary", 1000, None),
        ("tanpa_ekstensi", "application/octet-stream", 1000, "type"),
        ("tanpa_ekstensi", None, 1000, "type"),
        (None, "image/jpeg", 1000, None),
        (None, None, 1000, "type"),
    ],
)
def test_check_declared_gives_the_reason_of_a_refusal(
    name: str | None, mime: str | None, size: int | None, reason: str | None
) -> None:
    assert check_declared(name, mime, size, max_bytes=20 * MB) == reason


def test_check_gives_a_clean_name_and_the_canonical_mime_type() -> None:
    accepted = check("..\\<i>Laporan.PDF", "application/octet-stream", 1234, 20 * MB)
    assert accepted == AcceptedFile(
        name="iLaporan.PDF", ext="pdf", mime="application/pdf", size=1234
    )


def test_check_adds_the_extension_inferred_from_the_mime_type() -> None:
    accepted = check("foto kegiatan", "image/png", 10, 20 * MB)
    assert accepted.name == "foto kegiatan.png"
    assert accepted.ext == "png"


def test_check_names_a_nameless_file_after_its_type() -> None:
    assert check(None, "application/pdf", 10, 20 * MB).name == "dokumen.pdf"


def test_check_raises_with_the_reason() -> None:
    with pytest.raises(FileRejected) as info:
        check("virus.exe", None, 10, 20 * MB)
    assert info.value.reason == "type"


# --- sniff_matches ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ext", "head"),
    [
        ("pdf", PDF),
        ("PDF", PDF),
        ("doc", OLE2),
        ("xls", OLE2),
        ("docx", ZIP),
        ("xlsx", ZIP),
        ("odt", ZIP),
        ("ods", ZIP),
        ("zip", ZIP),
        ("zip", EMPTY_ZIP),
        ("jpg", JPEG),
        ("jpeg", JPEG),
        ("png", PNG),
        ("csv", CSV_UTF8),
        ("csv", b"\xef\xbb\xbf" + CSV_UTF8),
        ("csv", "kota;nilai\nPontianak;1,5\u00b0\n".encode("cp1252")),
    ],
)
def test_sniff_matches_accepts_real_content(ext: str, head: bytes) -> None:
    assert sniff_matches(ext, head)


@pytest.mark.parametrize(
    ("ext", "head"),
    [
        ("pdf", EXE),
        ("pdf", ELF),
        ("pdf", PNG),
        ("png", PDF),
        ("jpg", PNG),
        ("docx", OLE2),
        ("doc", ZIP),
        ("xlsx", EMPTY_ZIP),
        ("csv", EXE),
        ("csv", PDF.replace(b"\n", b"\x00")),
        ("csv", b"a,b\n\x81\x8d\x8f\x90\x9d"),
        ("exe", EXE),
        ("html", b"<html></html>"),
        ("pdf", b"%PDF"),
        ("pdf", b" %PDF-1.7"),
    ],
)
def test_sniff_matches_refuses_content_that_lies_about_its_type(ext: str, head: bytes) -> None:
    assert not sniff_matches(ext, head)


@pytest.mark.parametrize("ext", sorted(ACCEPTED_EXTENSIONS))
def test_an_empty_file_matches_no_type(ext: str) -> None:
    assert not sniff_matches(ext, b"")


def test_a_zip_named_docx_passes_at_this_level() -> None:
    # Office Open XML is a ZIP: telling a plain archive from a document needs its directory.
    assert sniff_matches("docx", ZIP)


def test_a_csv_head_cut_inside_a_multibyte_character_still_matches() -> None:
    # "ā" is C4 81 in UTF-8; 0x81 is not cp1252 either, so only a tolerant UTF-8 check passes.
    text = ("ā" + "a" * 8189 + "ā" * 10).encode()
    cut = text[: 8 * 1024]
    assert cut.endswith(b"\xc4")
    with pytest.raises(UnicodeDecodeError):
        cut.decode("cp1252")
    assert sniff_matches("csv", cut)


def test_a_photo_is_named_from_its_entry_and_day_never_twice_the_same() -> None:
    day = date(2027, 3, 1)
    assert photo_name(3, day, set()) == "foto-3-20270301-1.jpg"
    taken = {"foto-3-20270301-1.jpg", "foto-3-20270301-2.jpg", "foto-4-20270301-3.jpg"}
    assert photo_name(3, day, taken) == "foto-3-20270301-3.jpg"
    assert photo_name(None, day, set()) == "foto-draf-20270301-1.jpg"
    assert sanitize_name(photo_name(12, day, set())) == "foto-12-20270301-1.jpg"
    assert photo_name(3, day, {"foto-3-20270301-1.png"}, "png") == "foto-3-20270301-2.png"
