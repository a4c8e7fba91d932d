"""The data check of a document's text, by format: what it finds (counts and pages), and that what
it could not read says so (encrypted, scanned, damaged, over budget) instead of passing as clean."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot import heavy
from bot.datacheck import check_file
from bot.personal_data import DataCheck
from tests import samples

NIK_A = "6171010101900001"
NIK_B = "6171014101900002"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_pdf_with_nik_on_two_pages_names_the_pages(tmp_path: Path) -> None:
    pages = ["Daftar penerima", "", f"Budi NIK {NIK_A}", "Tidak ada", f"Sari NIK {NIK_B}"]
    check = check_file(write(tmp_path, "a.pdf", samples.pdf(pages)), "pdf")
    assert check.counts == {"nik": 2}
    assert check.places == {"nik": [3, 5]}
    assert check.unit == "page"
    assert check.textless == [2]
    assert check.unchecked is None and not check.partial


def test_a_pdf_without_any_text_is_unchecked_not_clean(tmp_path: Path) -> None:
    check = check_file(write(tmp_path, "scan.pdf", samples.pdf(["", ""])), "pdf")
    assert check.unchecked == "no_text"
    assert not check.found


def test_an_encrypted_pdf_is_unchecked(tmp_path: Path) -> None:
    data = samples.encrypted_pdf([f"NIK {NIK_A}"])
    assert check_file(write(tmp_path, "kunci.pdf", data), "pdf").unchecked == "encrypted"


def test_a_damaged_pdf_is_unreadable(tmp_path: Path) -> None:
    data = b"%PDF-1.4\nPenerima: Budi, NIK 6171010101010001\n%%EOF\n"
    check = check_file(write(tmp_path, "rusak.pdf", data), "pdf")
    assert check.unchecked in ("unreadable", "no_text")


def test_a_large_file_that_only_starts_like_a_pdf_is_unreadable_without_a_scan(
    tmp_path: Path,
) -> None:
    data = b"%PDF-1.4\n" + bytes(8 * 1024 * 1024)
    assert check_file(write(tmp_path, "junk.pdf", data), "pdf").unchecked == "unreadable"
    # The marker is looked for near the end only: a real PDF with trailing bytes still reads.
    padded = samples.pdf([f"NIK {NIK_A}"]) + b"\n" * 1000
    assert check_file(write(tmp_path, "padded.pdf", padded), "pdf").counts == {"nik": 1}


def test_the_budget_ends_a_long_pdf_between_pages_and_says_how_far(tmp_path: Path) -> None:
    pages = [f"Halaman {i} NIK {NIK_A}" for i in range(1, 41)]
    check = check_file(write(tmp_path, "panjang.pdf", samples.pdf(pages)), "pdf", chars=200)
    assert check.partial
    assert 0 < check.done < check.total == 40
    assert check.counts == {"nik": 1}


def test_a_docx_is_read_paragraph_by_paragraph(tmp_path: Path) -> None:
    data = samples.docx(["Data warga", f"NIK {NIK_A}", "HP 0812-3456-7890", "budi@mail.com"])
    check = check_file(write(tmp_path, "a.docx", data), "docx")
    assert check.counts == {"nik": 1, "phone": 1, "email": 1}
    assert check.unit is None


def test_a_workbook_column_heading_tells_a_kk_number_from_a_nik(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Nama", "No. KK", "NIK"], ["Budi", "6171011503150007", NIK_A],
            ["Sari", "6171011503150007", int(NIK_B)]]  # fmt: skip
    data = samples.xlsx([[["Laporan"]], rows])
    # Stored by its hash, without an extension, as the bot's store keeps it.
    check = check_file(write(tmp_path, "0f3a9c", data), "xlsx")
    assert check.counts == {"kk": 1, "nik": 2}
    assert check.places == {"kk": [2], "nik": [2]}
    assert check.unit == "sheet"


def test_a_csv_with_semicolons_and_an_account_column(tmp_path: Path) -> None:
    text = f"nama;rekening;nik\nBudi;6171010101900001;{NIK_B}\n"
    check = check_file(write(tmp_path, "a.csv", text.encode()), "csv")
    assert check.counts == {"nik": 1}


@pytest.mark.parametrize("ext", ["jpg", "png", "zip", "doc", "xls"])
def test_types_without_readable_text_are_unchecked(tmp_path: Path, ext: str) -> None:
    assert check_file(write(tmp_path, f"a.{ext}", b"x"), ext).unchecked == "type"


def test_the_check_round_trips_through_json_without_the_numbers(tmp_path: Path) -> None:
    check = check_file(write(tmp_path, "a.pdf", samples.pdf([f"NIK {NIK_A}"])), "pdf")
    text = check.to_json()
    assert NIK_A not in text
    assert DataCheck.from_json(text) == check


def test_the_check_runs_in_a_child_process_killed_at_its_time_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "a.pdf", samples.pdf([f"NIK {NIK_A}"] * 3))

    async def run() -> None:
        assert (await heavy.run(check_file, path, "pdf")).counts == {"nik": 1}
        with pytest.raises(heavy.WorkTooLong):
            await heavy.run(_forever, timeout=0.5)

    asyncio.run(run())


def _forever() -> None:  # pragma: no cover - runs in the child, killed there
    while True:
        pass
