"""Step-1 editing, step-2 category correction, and an admin inviting from the chat."""

from __future__ import annotations

import re

import pytest

from bot.fakeapi import flows
from bot.services import cases
from bot.sop import Role
from tests.e2e.conftest import Harness, toast_with


async def test_the_pejabat_edits_and_removes_entries_and_utama_corrects_a_category(
    harness: Harness,
) -> None:
    h = harness
    await h.add_opds("DINKES")
    andi = await h.join(5001, "Bapak Andi", Role.PEJABAT)
    rina = await h.join(5002, "Ibu Rina", Role.UTAMA)
    case_id = await h.start_drafting(andi, "DINKES")
    for title in ("Laporan Keuangan", "Entri keliru"):
        await flows.add_entry(andi, title, "Ringkasan " + title, "Berkala")
    await andi.press("Bentuk")
    await andi.wait_for_text("Bentuk informasi?")
    await andi.send("cetak, kertas")
    assert "cetak, softcopy dan/atau online" in (await andi.next_message()).text
    await andi.send("cetak, online")
    card = await andi.wait_for_text("Bentuk: cetak,online")
    assert "#2 Entri keliru" in card.text
    await andi.press("⬅️ Kembali ke berkas")
    await andi.wait_until(lambda m: "[ #2 ]" in str(m.buttons) or "#2" in str(m.buttons))
    await andi.press("#2")
    await andi.wait_until(lambda m: "🗑 Hapus entri" in str(m.buttons))
    await andi.press("🗑 Hapus entri")
    await andi.wait_for_text("Entri #2 dihapus")
    panel = await andi.wait_for_text("Langkah 1")
    assert "Entri keliru" not in panel.text
    await flows.send_draft(andi)

    await rina.wait_until(lambda m: "Langkah 2" in m.text)
    await rina.press("🏷 Koreksi kategori")
    await rina.wait_for_text("Pilih entri")
    await rina.press("#1 Laporan Keuangan")
    await rina.wait_until(lambda m: "Serta merta" in str(m.buttons))
    await rina.press("Setiap saat")
    await toast_with(rina, "diubah menjadi Setiap saat")
    v = await cases.view(h.ctx, case_id)
    # Entry #2 (whose form was edited) is gone; #1 keeps its default form.
    assert [(e.number, e.category, e.forms) for e in v.entries] == [(1, "setiap_saat", "softcopy")]


async def test_an_admin_invites_a_ppid_pendukung_from_the_chat(harness: Harness) -> None:
    await harness.add_opds("DINKES", "DISHUB")
    admin = await harness.join(5100, "Admin Kominfo", Role.ADMIN)
    await flows.open_menu(admin)
    await admin.press("✉️ Undang petugas")
    await admin.wait_for_text("Undang petugas sebagai")
    await admin.press("PPID Pendukung")
    await admin.wait_for_text("OPD mana")
    await admin.press("DISHUB")
    made = await admin.wait_for_text("Tautan undangan PPID Pendukung Dinas Dishub")
    match = re.search(r"https://t\.me/ppid_test_bot\?start=([A-Za-z0-9_-]{1,64})", made.text)
    assert match is not None
    joko = harness.fake.person(5101, "Joko")
    await joko.send(f"/start {match.group(1)}")
    assert "PPID Pendukung Dinas Dishub" in (await joko.next_message()).text


async def test_a_draft_attachment_reaches_every_ppid_utama_as_a_file(harness: Harness) -> None:
    h = harness
    await h.add_opds("DINKES")
    andi = await h.join(5201, "Bapak Andi", Role.PEJABAT)
    rina = await h.join(5202, "Ibu Rina", Role.UTAMA)
    await h.start_drafting(andi, "DINKES")
    draft = b"kode,judul\n1,Laporan Keuangan\n"
    await flows.attach_draft(andi, "draf dinkes.csv", draft)
    await andi.wait_for_text("Lampiran draf draf dinkes.csv diterima")
    await andi.wait_until(lambda m: "📤 Kirim ke PPID Utama" in str(m.buttons))
    await flows.send_draft(andi)
    got = await rina.wait_until(lambda m: m.document is not None)
    assert got.document is not None and got.document.data == draft
    notice = await rina.wait_for_text("Langkah 2")
    assert "Lampiran draf: draf dinkes.csv" in notice.text
    # Without entries the draft cannot be approved: it goes back to be filled in.
    await rina.press("✅ Setujui, teruskan ke OPD")
    await toast_with(rina, "Draf belum berisi entri")
    await rina.press("🔎 Rincian")
    details = await rina.wait_until(lambda m: m.document is not None and m.document.data == draft)
    assert details.document is not None


async def test_an_unexpected_error_is_logged_and_the_person_told_politely(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from handlers import base

    async def broken(req: base.Request) -> object:
        raise RuntimeError("database on fire")

    rina = await harness.join(5301, "Ibu Rina", Role.UTAMA)
    monkeypatch.setitem(base.COMMANDS, "status", broken)
    await rina.send("/status")
    msg = await rina.wait_for_text("terjadi kesalahan")
    assert "database on fire" not in msg.text and "Traceback" not in msg.text
