"""The personal-data detector: a table of NIK, KK, mobile numbers and e-mail addresses that are
found, and of look-alikes that are not (NPWP with dots, account numbers, impossible dates)."""

from __future__ import annotations

import pytest

from bot.personal_data import find, is_kk, is_nik


@pytest.mark.parametrize(
    ("number", "valid", "why"),
    [
        ("6171010101900001", True, "Kota Pontianak, man born 01-01-1990"),
        ("6171014101900002", True, "a woman: day 01 + 40"),
        ("6171017112990003", True, "a woman born 31-12-1999"),
        ("3273012902000004", True, "29 February (the year has two digits)"),
        ("1101010101010001", True, "Aceh, the first province code"),
        ("9601010101010001", True, "Papua Barat Daya, the newest province code"),
        ("6171 0101 0190 0001", True, "written in groups of four"),
        ("617101 010190 0001", True, "written as region, date, sequence"),
        ("6171013201900001", False, "day 32"),
        ("6171017201900001", False, "day 72 (a woman's 32)"),
        ("6171014001900001", False, "day 40 (a woman's 0)"),
        ("6171010113900001", False, "month 13"),
        ("6171010100900001", False, "month 00"),
        ("6171013102900001", False, "31 February"),
        ("6171010101900000", False, "sequence 0000"),
        ("2071010101900001", False, "province 20 does not exist"),
        ("0071010101900001", False, "province 00"),
        ("6100010101900001", False, "regency 00"),
        ("6171000101900001", False, "district 00"),
        ("1234567890123456", False, "an account-like run: day 78"),
        ("617101010190000", False, "15 digits"),
        ("61710101019000012", False, "17 digits"),
        ("6171.0101.0190.0001", False, "dots are no NIK notation"),
    ],
)
def test_nik_structure_table(number: str, valid: bool, why: str) -> None:
    assert is_nik(number) is valid, why


@pytest.mark.parametrize(
    ("number", "valid"),
    [("6171011503150007", True), ("6171015503150007", False), ("6171011513150007", False)],
)
def test_kk_numbers_carry_an_issue_date_without_the_plus_40_rule(number: str, valid: bool) -> None:
    assert is_kk(number) is valid


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("Penerima: Budi, NIK 6171010101900001", {"nik": 1}),
        ("NIK: 6171 0101 0190 0001 dan 6171014101900002", {"nik": 2}),
        ("NIK 6171010101900001, sekali lagi 6171010101900001", {"nik": 1}),
        ("No. KK 6171011503150007", {"kk": 1}),
        ("Kartu Keluarga: 6171011503150007", {"kk": 1}),
        ("No. KK 6171015503150007", {}),  # an impossible issue date
        ("NPWP 01.234.567.8-901.000", {}),
        ("NPWP 61.710.101.0190.0001", {}),
        ("NPWP: 6171010101900001", {}),
        ("No. Rekening 6171010101900001", {}),
        ("rek. BRI 6171010101900001", {}),
        ("Rekening 1234567890123456", {}),
        ("Kode transaksi 12345678901234567890", {}),
        ("Tanggal 01/01/1990, pukul 6171010101900001/2", {}),
        ("HP 0812-3456-7890", {"phone": 1}),
        ("Telp. +62 812 3456 7890 atau 081234567890", {"phone": 1}),
        ("WA 6285712345678", {"phone": 1}),
        ("Kantor (0561) 736541", {}),
        ("email budi.santoso@gmail.com", {"email": 1}),
        ("Surel: ppid@pontianak.go.id, PPID@pontianak.go.id", {"email": 1}),
        ("Laporan kinerja 2026, anggaran Rp 1.234.567.890.123.456", {}),
        ("", {}),
    ],
)
def test_personal_data_found_in_text(text: str, counts: dict[str, int]) -> None:
    assert find([(1, text)]).counts == counts


def test_places_name_the_pages_where_each_kind_was_found() -> None:
    finding = find([(1, "kosong"), (3, "NIK 6171010101900001"), (5, "NIK 6171014101900002"),
                    (6, "HP 081234567890")])  # fmt: skip
    assert finding.counts == {"nik": 2, "phone": 1}
    assert finding.places == {"nik": [3, 5], "phone": [6]}


def test_a_phone_number_is_never_found_inside_a_sixteen_digit_number() -> None:
    assert find([(None, "6281234567890123")]).counts == {}
