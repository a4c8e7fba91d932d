"""The data check through the chat: a document carrying residents' NIK is flagged to its uploader
at once (count and pages), the PPID Utama sees it at step 4 and returns the entry in one tap;
documents the check could not read (encrypted, scanned, over its budget) say so; nothing records
the numbers themselves."""

from __future__ import annotations

import pytest

from bot.fakeapi import flows
from bot.services import uploads
from tests import samples
from tests.e2e.conftest import Harness, toast_with

NIKS = ["6171010101900001", "6171014101900002", "6171012505850003"]


def pages_with_nik() -> list[str]:
    return ["Daftar penerima bantuan", "Ringkasan", f"Budi NIK {NIKS[0]}\nSari NIK {NIKS[1]}",
            "Lampiran", f"Ahmad NIK {NIKS[2]}"]  # fmt: skip


def loops_forever(path: object, ext: str) -> None:  # pragma: no cover - runs in the child
    while True:
        pass


def grows_forever(path: object, ext: str) -> None:  # pragma: no cover - runs in the child
    hoard = []
    while True:
        hoard.append(bytearray(64 * 1024 * 1024))


async def test_nik_in_a_pdf_warns_the_uploader_and_the_ppid_utama_returns_it_in_one_tap(
    harness: Harness,
) -> None:
    h = harness
    await h.add_opds("DINKES")
    andi, rina, sari = await h.join_team(7700)
    case_id = await h.round_at_step3(andi, rina, "DINKES", ["Penerima Bantuan Sosial"])
    await sari.wait_for_text("0 dari 1 entri lengkap")

    await sari.send_document("penerima.pdf", samples.pdf(pages_with_nik()), caption="#1")
    got = await sari.wait_for_text("penerima.pdf diterima untuk entri #1")
    assert "⚠️ Dokumen ini tampaknya memuat 3 NIK (halaman 3, 5)" in got.text
    await flows.finish_and_send_documents(sari)

    # Step 4: the warning is on the entry, with a one-tap return.
    review = await rina.wait_until(lambda m: "Langkah 4" in m.text)
    assert "⚠️ data pribadi: 3 NIK" in review.text
    await flows.fetch_document(rina, 1, review)
    listing = await rina.wait_until(lambda m: "Dokumen entri #1" in m.text)
    assert "penerima.pdf" in listing.text and "3 NIK (halaman 3, 5)" in listing.text
    await rina.press("↩️ #1 mengandung data pribadi", review)
    done = await rina.wait_for_text("1 entri dikembalikan")
    assert "1 dokumen ditolak" in done.text

    back = await sari.wait_until(lambda m: "Langkah 3" in m.text and "data pribadi" in m.text)
    assert "Mengandung data pribadi (3 NIK)" in back.text

    # Recorded with the document: counts and pages, never a number (nor in the audit trail).
    async with h.ctx.db.read() as uow:
        (doc,) = (await uow.documents.with_taken_out([case_id]))[case_id]
        trail = await uow.audit.for_case(case_id)
    assert doc.removed_kind == "rejected" and doc.check is not None
    assert (doc.check.counts, doc.check.places) == ({"nik": 3}, {"nik": [3, 5]})
    recorded = (doc.data_check or "") + " ".join(a.note or "" for a in trail)
    assert "nik=3@3/5" in recorded
    assert not any(n in recorded for n in NIKS)

    # The old one-tap button, pressed again, changes nothing.
    await rina.press("↩️ #1 mengandung data pribadi", review)
    assert "Langkah 3" in await toast_with(rina, "Langkah 3")


async def test_documents_the_check_cannot_read_say_so_and_are_kept(harness: Harness) -> None:
    h = harness
    await h.add_opds("DINKES")
    andi, rina, sari = await h.join_team(7710)
    await h.round_at_step3(andi, rina, "DINKES", ["Penerima Bantuan Sosial"])
    await sari.wait_for_text("0 dari 1 entri lengkap")

    await sari.send_document("kunci.pdf", samples.encrypted_pdf([f"NIK {NIKS[0]}"]), caption="#1")
    locked = await sari.wait_for_text("kunci.pdf diterima")
    assert "tidak dapat diperiksa otomatis untuk data pribadi (PDF terkunci sandi)" in locked.text
    await sari.send_document("pindai.pdf", samples.pdf(["", ""]), caption="#1")
    scanned = await sari.wait_for_text("pindai.pdf diterima")
    assert "PDF hasil pindai" in scanned.text
    await sari.send_document("bersih.pdf", samples.pdf(["Laporan kinerja", ""]), caption="#1")
    clean = await sari.wait_for_text("bersih.pdf diterima")
    assert "⚠️" not in clean.text and "Halaman 2 tidak berteks" in clean.text
    await flows.finish_and_send_documents(sari)

    review = await rina.wait_until(lambda m: "Langkah 4" in m.text)
    assert "❔ 3 dokumen tidak dapat diperiksa" in review.text
    assert "mengandung data pribadi" not in str(review.buttons)

    # The in-chat help explains the check.
    await sari.send("/bantuan")
    await sari.wait_for_text("diperiksa otomatis untuk data pribadi")


@pytest.mark.parametrize(
    ("work", "seconds", "said"),
    [
        (loops_forever, 2.0, "melebihi batas waktu"),
        # Generous: the memory limit, not a busy machine's clock, must stop this one.
        (grows_forever, 60.0, "terlalu besar untuk diperiksa"),
    ],
)
async def test_a_document_that_makes_the_check_loop_or_grow_is_kept_and_said_unchecked(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, work: object, seconds: float, said: str
) -> None:
    h = harness
    monkeypatch.setattr(uploads, "check_file", work)
    monkeypatch.setattr(uploads, "CHECK_TIMEOUT_S", seconds)
    monkeypatch.setattr(uploads, "CHECK_MEMORY", 256 * 1024 * 1024)
    await h.add_opds("DINKES")
    andi, rina, sari = await h.join_team(7720)
    await h.round_at_step3(andi, rina, "DINKES", ["Penerima Bantuan Sosial"])
    await sari.wait_for_text("0 dari 1 entri lengkap")
    await sari.send_document("berat.pdf", samples.pdf(["x"]), caption="#1")
    got = await sari.wait_for_text("berat.pdf diterima untuk entri #1")
    assert said in got.text
    await flows.finish_and_send_documents(sari)


async def test_a_draft_spreadsheet_with_kk_and_phone_columns_warns_the_pejabat(
    harness: Harness,
) -> None:
    h = harness
    await h.add_opds("DINKES")
    andi, _, _ = await h.join_team(7730)
    await h.start_drafting(andi, "DINKES")
    rows: list[list[object]] = [
        ["Nama", "No. KK", "No. HP"],
        ["Budi", "6171011503150007", "0812-3456-7890"],
        ["Sari", "6171011503150008", "0813 1111 2222"],
    ]
    await flows.attach_draft(andi, "warga.xlsx", samples.xlsx([rows]))
    got = await andi.wait_for_text("warga.xlsx")
    assert "2 nomor KK (lembar 1) dan 2 nomor HP (lembar 1)" in got.text
