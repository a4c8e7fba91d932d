"""Every role of the SOP on WhatsApp: the Pejabat PID starts a round and drafts, the PPID Utama
returns and approves, the PPID Pendukung answers, the Pejabat publishes; all through buttons,
lists and typed words, nothing edited in place."""

from __future__ import annotations

from collections.abc import Callable

from bot.fakeapi.whatsapp import FakeWhatsAppPerson
from bot.fakeapi.whatsapp.models import WaMessage
from bot.sop import Role
from tests.e2e.whatsapp.conftest import Mixed

PDF = b"%PDF-1.4\n" + b"renstra dinas " * 300


def shows(label: str) -> Callable[[WaMessage], bool]:
    """Whether a message shows `label` (a button shortened to 20 characters may have dropped
    its leading symbol; a list row of 24 keeps it)."""
    return lambda m: any(label in b for b in m.buttons + m.rows)


async def press_when_shown(person: FakeWhatsAppPerson, label: str) -> None:
    """Press `label` on the newest message, or on the next one that shows it."""
    if not (person.messages and shows(label)(person.messages[-1])):
        await person.wait_until(shows(label), description=f"a message showing {label!r}")
    await person.press(label)


async def test_a_whole_round_with_everyone_on_whatsapp(mixed: Mixed) -> None:
    m, h = mixed, mixed.h
    await h.add_opds("DINKES", "DISHUB")
    andi = await m.join_wa("6281234567060", "Bapak Andi", Role.PEJABAT)
    rina = await m.join_wa("6281234567061", "Ibu Rina", Role.UTAMA)
    sari = await m.join_wa("6281234567062", "Ibu Sari", Role.PENDUKUNG, "DINKES")

    # Step 1: the round, typed and picked from the menu.
    await andi.send("menu")
    await press_when_shown(andi, "➕ Mulai putaran baru")
    await andi.wait_for_text("Nama putaran")
    await andi.send("DIP Semester I 2027")
    await andi.wait_for_text("Pilih OPD")
    await press_when_shown(andi, "Pilih semua")
    await andi.wait_for_text("Terpilih: 2")
    await press_when_shown(andi, "✅ Buat putaran")
    await andi.wait_for_text("dibuat untuk 2 OPD")
    await press_when_shown(andi, "DINKES")
    await andi.wait_for_text("Langkah 1")
    await press_when_shown(andi, "➕ Tambah entri")
    await andi.wait_for_text("Judul informasi")
    await andi.send("Renstra 2025-2029")
    await andi.wait_for_text("Ringkasan isi")
    await andi.send("Rencana strategis *dinas* <b>kesehatan</b>")  # markup stays text
    await andi.wait_for_text("Kategori informasi")
    await press_when_shown(andi, "Setiap saat")
    await andi.wait_for_text("disimpan")
    await press_when_shown(andi, "⬅️ Kembali ke berkas")
    await press_when_shown(andi, "Kirim ke PPID Utama")
    await andi.wait_for_text("sudah dikirim ke PPID Utama")

    # Step 2: Rina returns it with a reason, then approves the second draft.
    review = await rina.wait_for_text("Langkah 2")
    assert "Renstra 2025-2029" in review.text
    await press_when_shown(rina, "Kembalikan untuk revisi")
    await rina.wait_for_text("alasan")
    await rina.send("Lengkapi ringkasannya")
    await andi.wait_for_text("Lengkapi ringkasannya")
    await press_when_shown(andi, "Kirim ke PPID Utama")
    await andi.wait_for_text("sudah dikirim ke PPID Utama")
    await rina.wait_for_text("Langkah 2")
    await press_when_shown(rina, "Setujui, teruskan ke OPD")
    await rina.wait_for_text("disetujui")

    # Step 3: Sari answers on WhatsApp.
    await sari.wait_for_text("Langkah 3")
    await press_when_shown(sari, "⬜ #1")
    await press_when_shown(sari, "📎 Kirim dokumen")
    await sari.wait_for_text("Silakan kirim dokumen untuk entri #1")
    await sari.send_document(PDF, "renstra.pdf", "application/pdf")
    await sari.wait_for_text("1 dari 1 entri lengkap")
    await press_when_shown(sari, "✅ Selesai")
    await press_when_shown(sari, "Kirim ke PPID Utama")
    await sari.wait_for_text("dikirim ke PPID Utama")

    # Step 4: Rina gets the document on WhatsApp and approves.
    await rina.wait_for_text("Langkah 4")
    await press_when_shown(rina, "✅ Setujui semua")  # its first clause, in 24 characters
    await rina.wait_for_text("disetujui dan diteruskan ke Pejabat PID")

    # Step 5: Andi publishes on the site; Sari is told.
    await andi.wait_for_text("Langkah 5")
    await press_when_shown(andi, "Terbitkan ke web")
    done = await andi.wait_for_text("diterbitkan di web PPID")
    assert "1 entri terbit" in done.text
    await sari.wait_for_text("sudah diterbitkan")
    # Nobody's screen was edited; every message fit WhatsApp (the fake refuses what does not).
    assert not [x for x in m.wa.messages.values() if x.status == "failed"]
