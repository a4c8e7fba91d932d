"""Choosing several of many on WhatsApp, where a message cannot be replaced: the choices are
numbered and the person types the numbers, instead of a new list at every tap."""

from __future__ import annotations

from bot.services import cases, opd_work, review
from bot.sop import Role
from tests.e2e.whatsapp.conftest import Mixed


async def test_the_pejabat_chooses_opds_of_a_round_by_typing_their_numbers(mixed: Mixed) -> None:
    m, h = mixed, mixed.h
    await h.add_opds(*(f"OPD{i:02d}" for i in range(31)))
    andi = await m.join_wa("6281234567070", "Bapak Andi", Role.PEJABAT)
    await andi.send("menu")
    await andi.wait_until(lambda x: "➕ Mulai putaran baru" in x.buttons + x.rows)
    await andi.press("➕ Mulai putaran baru")
    await andi.wait_for_text("Nama putaran")
    await andi.send("DIP 2027")
    picker = await andi.wait_for_text("Pilih OPD")
    assert "1. ⬜ OPD00" in picker.text and "31. ⬜ OPD30" in picker.text
    assert "Balas dengan nomor" in picker.text
    assert len(picker.buttons) <= 3  # the actions only: all, create, cancel
    sent_before = len(andi.messages)
    await andi.send("1 3 5-7")
    chosen = await andi.wait_for_text("Terpilih: 5")
    assert "1. ☑️ OPD00" in chosen.text and "2. ⬜ OPD01" in chosen.text
    assert "7. ☑️ OPD06" in chosen.text
    assert len(andi.messages) == sent_before + 1  # one message per answer, not one per OPD list
    await andi.send("3")
    await andi.wait_for_text("Terpilih: 4")
    await andi.send("40")
    refused = await andi.next_message()
    assert "1 sampai 31" in refused.text
    await andi.send("semuanya saja")
    assert "1 sampai 31" in (await andi.next_message()).text
    await andi.press("✅ Buat putaran")
    await andi.wait_for_text("dibuat untuk 4 OPD")


async def test_the_ppid_utama_returns_an_entry_by_typing_its_number(mixed: Mixed) -> None:
    m, h = mixed, mixed.h
    await h.add_opds("DINKES")
    andi = await h.join(4401, "Bapak Andi", Role.PEJABAT)
    rina = await m.join_wa("6281234567071", "Ibu Rina", Role.UTAMA)
    sari = await m.join_wa("6281234567072", "Ibu Sari", Role.PENDUKUNG, "DINKES")
    titles = ["Laporan Keuangan 2026", "Renstra 2025-2029"]
    case_id = await h.round_at_step2(andi, "DINKES", titles)
    async with h.ctx.db.read() as uow:
        case = await uow.cases.get(case_id)
    assert case is not None
    await review.approve_step2(h.ctx, await m.wa_user(rina), case_id, case.version)
    for number in (1, 2):
        label = f"⬜ #{number}"
        await sari.wait_until(lambda x, label=label: label in x.buttons + x.rows)  # type: ignore[misc]
        await sari.press(f"⬜ #{number}")
        await sari.wait_until(lambda x: "📎 Kirim dokumen" in x.buttons + x.rows)
        await sari.press("📎 Kirim dokumen")
        await sari.wait_for_text(f"untuk entri #{number}")
        await sari.send_document(b"%PDF-1.4 " + bytes([number]) * 50, f"e{number}.pdf",
                                 "application/pdf")  # fmt: skip
        await sari.wait_for_text(f"{number} dari 2 entri lengkap")
        await sari.press("✅ Selesai")
    v = await cases.view(h.ctx, case_id)
    await opd_work.send_to_utama(h.ctx, await m.wa_user(sari), case_id, v.case.version)

    step4 = await rina.wait_for_text("Langkah 4")
    assert any("Kembalikan entri" in b for b in step4.buttons + step4.rows)
    await rina.press("Kembalikan entri")
    picker = await rina.wait_for_text("Pilih entri yang dikembalikan")
    assert "1. ⬜ #1 Laporan Keuangan 2026" in picker.text
    await rina.send("2")
    chosen = await rina.wait_for_text("Terpilih: 1")
    assert "2. ☑️ #2 Renstra 2025-2029" in chosen.text
    # Its documents are rejected by default; the choice to keep them is an action of its own.
    assert any("#2" in b for b in chosen.buttons + chosen.rows)
    await rina.press("Lanjut ➡️")
    await rina.wait_for_text("catatan untuk OPD")
    await rina.send("Mohon versi yang ditandatangani")
    await rina.wait_for_text("1 entri dikembalikan")
    await sari.wait_for_text("Mohon versi yang ditandatangani")
