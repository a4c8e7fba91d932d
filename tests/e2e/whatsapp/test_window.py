"""WhatsApp's 24-hour window: a notice to a person silent for over a day goes as a template with
the essentials; its quick reply opens the window and the full screen."""

from __future__ import annotations

from datetime import timedelta

from bot.fakeapi import flows
from tests.e2e.whatsapp.conftest import Mixed


async def test_a_hand_over_to_a_person_silent_for_a_day_goes_as_a_template_that_opens_it(
    mixed: Mixed,
) -> None:
    m, h = mixed, mixed.h
    andi, rina, sari = await m.team(4101, "6281234567020")
    await h.travel(h.clock.now + timedelta(days=2))  # Wednesday 09:00: Sari silent for 48 hours

    await h.round_at_step3(andi, rina, "DINKES", ["Laporan Keuangan 2026"])
    await h.scheduler.tick()
    brief = await sari.wait_until(lambda x: x.template is not None)
    assert brief.template is not None and brief.template.name == "ppid_tugas_baru_v1"
    assert "Dinas Dinkes" in brief.text and "Langkah 3" in brief.text
    assert "paling lambat" in brief.text and brief.buttons == ["Buka tugas"]
    assert not [x for x in m.wa.messages.values() if x.status == "failed"]

    await sari.press("Buka tugas")
    full = await sari.wait_for_text("0 dari 1 entri lengkap")
    assert "⬜ #1" in full.buttons


async def test_reminders_to_a_silent_person_go_as_one_template_that_opens_the_list(
    mixed: Mixed,
) -> None:
    m, h = mixed, mixed.h
    andi, rina, sari = await m.team(4111, "6281234567021")
    await h.round_at_step3(andi, rina, "DINKES", ["Laporan Keuangan 2026"])
    await sari.wait_for_text("Langkah 3")  # in the window: the full hand-over
    # Monday 22 March, 08:00: the working day before the deadline of Tuesday 23 March.
    await h.travel(h.clock.now.replace(day=22, hour=1))
    brief = await sari.wait_until(lambda x: x.template is not None)
    assert brief.template is not None and brief.template.name == "ppid_pengingat_v1"
    assert "1 berkas" in brief.text and "Dinas Dinkes" in brief.text
    await sari.press("Buka tugas")
    listed = await sari.wait_for_text("Dinas Dinkes")
    assert any("Dinas Dinkes" in label for label in listed.buttons + listed.rows)


async def test_a_publication_notice_to_a_silent_person_opens_in_full(mixed: Mixed) -> None:
    m, h = mixed, mixed.h
    andi, rina, sari = await m.team(4121, "6281234567022")
    await h.round_at_step3(andi, rina, "DINKES", ["Laporan Keuangan 2026"])
    await sari.wait_for_text("Langkah 3")
    await sari.press("⬜ #1")
    entry = await sari.wait_until(lambda x: "Kirim dokumen" in str(x.buttons + x.rows))
    await sari.press_in(entry, "📎 Kirim dokumen")
    await sari.wait_for_text("Silakan kirim dokumen")
    await sari.send_document(b"%PDF-1.4\nlaporan", "lkpd.pdf", "application/pdf")
    await sari.wait_for_text("1 dari 1 entri lengkap")
    await sari.press("✅ Selesai")
    await sari.wait_until(lambda x: "Kirim ke PPID Utama" in x.buttons)
    await sari.press("Kirim ke PPID Utama")
    await sari.wait_for_text("dikirim ke PPID Utama")
    await flows.approve_documents(rina, "Dinkes")
    await h.travel(h.clock.now + timedelta(days=2))  # Sari silent since Monday
    await andi.wait_until(lambda x: "Langkah 5" in x.text)
    await flows.publish_on_site(andi)
    brief = await sari.wait_until(lambda x: x.template is not None)
    assert brief.template is not None and brief.template.name == "ppid_pemberitahuan_v1"
    assert "hasil publikasi DIP" in brief.text and brief.buttons == ["Buka pesan"]
    await sari.press("Buka pesan")
    assert "sudah diterbitkan" in (await sari.next_message()).text
