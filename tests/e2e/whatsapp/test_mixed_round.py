"""A round that mixes both chat apps: the Pejabat PID and the PPID Utama on Telegram, the OPD's
PPID Pendukung on WhatsApp."""

from __future__ import annotations

from bot.fakeapi import flows
from tests.e2e.whatsapp.conftest import Mixed

PDF = b"%PDF-1.4\n" + b"laporan keuangan " * 500


async def test_a_round_with_the_opd_on_whatsapp_reaches_publication(mixed: Mixed) -> None:
    m, h = mixed, mixed.h
    andi, rina, sari = await m.team(4001, "6281234567010")

    await h.round_at_step3(andi, rina, "DINKES", ["Laporan Keuangan 2026"])
    task = await sari.wait_for_text("Langkah 3")
    assert "0 dari 1 entri lengkap" in task.text

    # Step 3 on WhatsApp: the entry, its document, then on to the PPID Utama.
    await sari.press("⬜ #1")
    entry = await sari.wait_until(lambda x: "Kirim dokumen" in str(x.buttons + x.rows))
    await sari.press_in(entry, "📎 Kirim dokumen")
    await sari.wait_for_text("Silakan kirim dokumen untuk entri #1")
    await sari.send_document(PDF, "lkpd.pdf", "application/pdf")
    await sari.wait_for_text("1 dari 1 entri lengkap")
    await sari.press("✅ Selesai")
    await sari.wait_until(lambda x: "Kirim ke PPID Utama" in str(x.buttons + x.rows))
    await sari.press("Kirim ke PPID Utama")  # its symbol dropped to fit 20 characters
    await sari.wait_for_text("dikirim ke PPID Utama")

    # Step 4 on Telegram: Rina gets the very file Sari sent on WhatsApp.
    await rina.wait_until(lambda x: "Langkah 4" in x.text)
    got = await flows.fetch_document(rina, 1)
    assert got.document is not None and got.document.data == PDF
    await flows.approve_documents(rina, "Dinkes")

    # Step 5 on Telegram; Sari on WhatsApp is told of the publication.
    await andi.wait_until(lambda x: "Langkah 5" in x.text)
    done = await flows.publish_on_site(andi)
    assert "1 entri terbit" in done.text
    await sari.wait_for_text("sudah diterbitkan")
