"""On WhatsApp every press is an ordinary message that may come weeks after its screen: it is
checked again on the server. And messages the bot does not read (an edit, a contact card, a
video) get a short answer that says what to do."""

from __future__ import annotations

from datetime import timedelta

from bot.sop import Role
from tests.e2e.whatsapp.conftest import Mixed

PDF = b"%PDF-1.4\n" + b"laporan keuangan " * 500


async def step_of(m: Mixed, case_id: int) -> int:
    async with m.h.ctx.db.read() as uow:
        case = await uow.cases.get(case_id)
    assert case is not None
    return case.step


async def test_presses_on_screens_from_weeks_ago_are_checked_again_and_change_nothing(
    mixed: Mixed,
) -> None:
    m, h = mixed, mixed.h
    await h.add_opds("DINKES")
    andi = await h.join(4301, "Bapak Andi", Role.PEJABAT)
    rina = await h.join(4302, "Ibu Rina", Role.UTAMA)
    sari = await m.join_wa("6281234564001", "Ibu Sari", Role.PENDUKUNG, "DINKES")
    case_id = await h.round_at_step3(andi, rina, "DINKES", ["Laporan Keuangan 2026"])
    task = await sari.wait_for_text("Langkah 3")
    await sari.press("⬜ #1")
    entry = await sari.wait_until(lambda x: "Kirim dokumen" in str(x.buttons + x.rows))
    await sari.press_in(entry, "📎 Kirim dokumen")
    await sari.wait_for_text("Silakan kirim dokumen untuk entri #1")
    await sari.send_document(PDF, "lkpd.pdf", "application/pdf")
    await sari.wait_for_text("1 dari 1 entri lengkap")
    await sari.press("✅ Selesai")
    send = await sari.wait_until(lambda x: "Kirim ke PPID Utama" in str(x.buttons + x.rows))
    await sari.press_in(send, "Kirim ke PPID Utama")
    await sari.wait_for_text("dikirim ke PPID Utama")
    assert await step_of(m, case_id) == 4

    await h.travel(h.clock.now + timedelta(weeks=3))
    before = len(sari.messages)
    # The hand-over again, from its old screen: no second transition, and she is told why.
    await sari.press_in(send, "Kirim ke PPID Utama")
    again = await sari.wait_until(lambda x: x.seq > sari.messages[before - 1].seq)
    assert "sudah tercatat" in again.text and "Langkah 4" in again.text, again.text
    # The entry's "send a document" and the old task list's row: checked, refused, explained.
    await sari.press_in(entry, "📎 Kirim dokumen")
    stale = await sari.next_message()
    assert "sudah tercatat" in stale.text and "Langkah 4" in stale.text, stale.text
    await sari.press_in(task, "⬜ #1")
    assert "Langkah 4" in (await sari.next_message()).text
    await m.wa.settled()
    assert await step_of(m, case_id) == 4
    async with h.ctx.db.read() as uow:
        tasks = await uow.tasks.for_case(case_id)
        docs = await uow.documents.for_case(case_id)
    assert [t.step for t in tasks] == [1, 2, 3, 4]  # one hand-over, not two
    assert [d.name for d in docs] == ["lkpd.pdf"]
    handed = [x for x in sari.messages if "dikirim ke PPID Utama" in x.text]
    assert len(handed) == 1
    # Whatever she is asked now, a document is not taken for the closed step.
    await sari.send_document(PDF + b"v2", "lkpd-2.pdf", "application/pdf")
    await sari.next_message()
    async with h.ctx.db.read() as uow:
        assert len(await uow.documents.for_case(case_id)) == 1


async def test_an_edited_message_is_not_acted_on_and_she_is_asked_to_send_it_anew(
    mixed: Mixed,
) -> None:
    sari = await mixed.join_wa("6281234564011", "Ibu Sari", Role.UTAMA)
    wamid = await sari.send("Laporan")
    await sari.next_message()  # the menu, for an unrecognised text
    await sari.edit(wamid, "tugas")
    answer = await sari.next_message()
    assert "diubah" in answer.text and "pesan baru" in answer.text
    assert not answer.buttons or "Tugas Bapak/Ibu" not in answer.text


async def test_contact_cards_and_videos_get_a_short_answer(mixed: Mixed) -> None:
    sari = await mixed.join_wa("6281234564021", "Ibu Sari", Role.UTAMA)
    await sari.send_contacts("Budi", "6281200000009")
    assert "kontak" in (await sari.next_message()).text
    await sari.send_raw(
        {"type": "video", "video": {"id": "9911", "mime_type": "video/mp4", "sha256": "x"}},
        "🎬 video",
    )
    video = await sari.next_message()
    assert "video" in video.text
    await sari.send_raw({"type": "unsupported", "errors": [{"code": 131051}]})
    assert "jenis pesan ini" in (await sari.next_message()).text
