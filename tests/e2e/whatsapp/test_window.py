"""WhatsApp's 24-hour window: a notice to a person silent for over a day goes as a template with
the essentials; its quick reply opens the window and the full screen."""

from __future__ import annotations

from datetime import timedelta

from bot.sop import Role
from tests.e2e.whatsapp.conftest import Mixed


async def test_a_hand_over_to_a_person_silent_for_a_day_goes_as_a_template_that_opens_it(
    mixed: Mixed,
) -> None:
    m, h = mixed, mixed.h
    await h.add_opds("DINKES")
    andi = await h.join(4101, "Bapak Andi", Role.PEJABAT)
    rina = await h.join(4102, "Ibu Rina", Role.UTAMA)
    sari = await m.join_wa("6281234567020", "Ibu Sari", Role.PENDUKUNG, "DINKES")
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
