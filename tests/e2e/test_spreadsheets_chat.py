"""Spreadsheets through the chat: the template, importing a filled one into a draft (valid rows or
none), exporting the published register, and the SLA report as a picture."""

from __future__ import annotations

import io
import zipfile

import openpyxl

from bot.fakeapi import flows
from bot.fakeapi.people import FakePerson
from bot.services import cases, publication
from bot.sop import Role
from bot.spreadsheets import parse, template_xlsx
from tests.e2e.conftest import Harness


def filled_template(rows: list[list[str]]) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    sheet = book["DIP"]
    for i, row in enumerate(rows, start=1):
        sheet.append([i, *row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def step1(h: Harness) -> tuple[int, FakePerson]:
    """The Pejabat PID on the still empty case of a new round for DINKES; returns the case."""
    await h.add_opds("DINKES")
    andi = await h.join(9501, "Bapak Andi", Role.PEJABAT)
    return await h.start_drafting(andi, "DINKES"), andi


async def test_the_template_comes_as_a_workbook(harness: Harness) -> None:
    andi = await harness.join(9500, "Bapak Andi", Role.PEJABAT)
    await andi.send("/templat")
    got = await andi.wait_until(lambda m: m.document is not None)
    assert got.document is not None
    book = openpyxl.load_workbook(io.BytesIO(got.document.data))
    assert book.sheetnames == ["DIP", "Petunjuk"]


async def test_a_filled_template_imports_its_valid_rows_in_one_go(harness: Harness) -> None:
    case_id, andi = await step1(harness)
    data = filled_template([
        ["Laporan Keuangan 2026", "LKPD", "berkala", "", "", "", "", ""],
        ["Renstra", "Rencana strategis", "Setiap saat", "Bidang Program", "", "2025, Pontianak", "cetak, online", "5 tahun"],
        ["Data Rahasia", "Tidak jelas", "rahasia", "", "", "", "", ""],
    ])  # fmt: skip
    await flows.attach_draft(andi, "dip-dinkes.xlsx", data)
    offer = await andi.wait_for_text("2 baris siap diimpor, 1 baris bermasalah")
    assert "Baris 4, kolom Kategori: 'rahasia' tidak dikenal" in offer.text
    await andi.press("📥 Impor 2 baris yang valid")
    await andi.wait_for_text("2 entri diimpor")
    v = await cases.view(harness.ctx, case_id)
    assert [(e.title, e.category, e.holder, e.forms) for e in v.entries] == [
        ("Laporan Keuangan 2026", "berkala", "Dinas Dinkes", "softcopy"),
        ("Renstra", "setiap_saat", "Bidang Program", "cetak,online"),
    ]
    assert [d.name for d in v.docs_of(None)] == ["dip-dinkes.xlsx"]


async def test_choosing_not_to_import_leaves_the_draft_as_it_was(harness: Harness) -> None:
    case_id, andi = await step1(harness)
    await flows.attach_draft(
        andi, "dip.csv", b"Judul;Ringkasan isi informasi;Kategori\nA;B;berkala\n"
    )
    await andi.wait_for_text("1 baris siap diimpor")
    await andi.press("Jangan impor")
    await andi.wait_for_text("dibatalkan")
    assert (await cases.view(harness.ctx, case_id)).entries == []


async def test_a_zip_bomb_named_xlsx_is_kept_as_an_attachment_but_never_imported(
    harness: Harness,
) -> None:
    case_id, andi = await step1(harness)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", b"<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    await flows.attach_draft(andi, "dip.xlsx", bomb.getvalue())
    refused = await andi.wait_for_text("tidak dapat diimpor")
    assert refused
    assert (await cases.view(harness.ctx, case_id)).entries == []


async def test_the_published_register_exports_and_imports_back_the_same(harness: Harness) -> None:
    h = harness
    await h.add_opds("DINKES")
    andi, rina, sari = await h.join_team(9601)
    case_id = await h.round_at_step5(andi, rina, sari, "DINKES", ["Laporan", "Renstra"])
    v = await cases.view(h.ctx, case_id)
    await publication.publish_to_site(h.ctx, await h.user(andi), case_id, v.case.version)
    await sari.send("/ekspor")
    xlsx = await sari.wait_until(
        lambda m: m.document is not None and (m.document.filename or "").endswith(".xlsx")
    )
    csv = await sari.wait_until(
        lambda m: m.document is not None and (m.document.filename or "").endswith(".csv")
    )
    assert xlsx.document is not None and csv.document is not None
    published = (await cases.view(h.ctx, case_id)).entries
    for doc in (xlsx.document, csv.document):
        back = parse(doc.data, doc.filename or "")
        assert back.errors == []
        assert [r.fields["title"] for r in back.rows] == [e.title for e in published]
        assert [r.fields["category"] for r in back.rows] == [e.category for e in published]
    await rina.send("/laporan")
    chart = await rina.wait_until(lambda m: m.photo is not None)
    assert chart.photo is not None and chart.photo.data.startswith(b"\x89PNG")
    summary = await rina.wait_for_text("Laporan ketepatan waktu")
    assert "DINKES" in summary.text or "Dinas" in summary.text
    await sari.send("/laporan")
    assert await sari.wait_for_text("bukan tugas peran")
