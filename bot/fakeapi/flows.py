"""Common conversations of simulated people with the bot, shared by the offline demo and the
end-to-end tests: what a person taps and types for one use case, waiting for each answer."""

from __future__ import annotations

from bot.fakeapi.people import FakePerson


async def start_round(pejabat: FakePerson, name: str, opd_count: int) -> None:
    """From the main menu: a new round for every OPD."""
    await pejabat.send("/menu")
    await pejabat.wait_for_text("Silakan pilih")
    await pejabat.press("➕ Mulai putaran baru")
    await pejabat.wait_for_text("Nama putaran")
    await pejabat.send(name)
    await pejabat.wait_for_text("Pilih OPD")
    await pejabat.press("Pilih semua")
    await pejabat.wait_until(lambda m: f"Terpilih: {opd_count}" in m.text)
    await pejabat.press("✅ Buat putaran")
    await pejabat.wait_for_text(f"dibuat untuk {opd_count} OPD")


async def add_entry(pejabat: FakePerson, title: str, summary: str, category: str) -> None:
    """Step 1: one entry by title, summary and category button; ends on the entry's card."""
    await pejabat.press("➕ Tambah entri")
    await pejabat.wait_for_text("Judul informasi")
    await pejabat.send(title)
    await pejabat.wait_for_text("Ringkasan isi")
    await pejabat.send(summary)
    await pejabat.wait_for_text("Kategori informasi")
    await pejabat.press(category)
    await pejabat.wait_for_text("disimpan")


async def add_entry_and_return(
    pejabat: FakePerson, title: str, summary: str, category: str
) -> None:
    """Step 1: one entry, then back to the case with its send button."""
    await add_entry(pejabat, title, summary, category)
    await pejabat.press("⬅️ Kembali ke berkas")
    await pejabat.wait_until(lambda m: title in m.text and "Kirim ke PPID Utama" in str(m.buttons))


async def open_task(person: FakePerson, opd_code: str) -> None:
    """/tugas, then the case of that OPD."""
    await person.send("/tugas")
    await person.wait_for_text("Tugas Bapak/Ibu")
    await person.press(f"Buka: {opd_code}")


async def entry_action(opd_officer: FakePerson, number: int, label: str) -> None:
    """Step 3: open entry #number of the case panel and press one of its actions."""
    await opd_officer.press(f"⬜ #{number}")
    await opd_officer.wait_until(lambda m: label in str(m.buttons))
    await opd_officer.press(label)


async def not_held(opd_officer: FakePerson, number: int, reason: str) -> None:
    """Step 3: declare entry #number not held by the OPD, with the reason."""
    await entry_action(opd_officer, number, "🚫 Tidak dikuasai")
    await opd_officer.wait_for_text("alasan")
    await opd_officer.send(reason)
