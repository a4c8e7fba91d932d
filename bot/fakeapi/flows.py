"""Common conversations of simulated people with the bot, shared by the offline demo and the
end-to-end tests: what a person taps and types for one use case, waiting for each answer.

Each flow plays one person. A flow that ends on the bot's answer returns that message, so that a
test can check more of it than the flow waits for."""

from __future__ import annotations

from bot.fakeapi.models import ChatMessage
from bot.fakeapi.people import DEFAULT_TIMEOUT, FakePerson

SEND_TO_UTAMA = "📤 Kirim ke PPID Utama"
APPROVE_DRAFT = "✅ Setujui, teruskan ke OPD"
RETURN_DRAFT = "↩️ Kembalikan untuk revisi"
APPROVE_DOCUMENTS = "✅ Setujui semua, teruskan ke Pejabat PID"
PUBLISH_ON_SITE = "🌐 Terbitkan ke web PPID"


def _has_all(message: ChatMessage, texts: tuple[str, ...], buttons: tuple[str, ...]) -> bool:
    """Whether the message says every one of `texts` and shows every one of `buttons`."""
    shown = str(message.buttons)
    return all(t in message.text for t in texts) and all(b in shown for b in buttons)


# ---------------------------------------------------------------------- everyone


async def accept_invitation(person: FakePerson, token: str) -> ChatMessage:
    """Open an invitation link (``/start TOKEN``); returns the welcome."""
    await person.send(f"/start {token}")
    return await person.wait_for_text("Selamat bergabung")


async def open_menu(person: FakePerson) -> ChatMessage:
    """/menu; returns the menu of the person's role."""
    await person.send("/menu")
    return await person.wait_for_text("Silakan pilih")


async def open_task(person: FakePerson, opd_code: str, *, tasks: int | None = None) -> None:
    """/tugas, then the case of that OPD; with `tasks`, the list must count exactly that many."""
    await person.send("/tugas")
    await person.wait_for_text("Tugas Bapak/Ibu" if tasks is None else f"Tugas Bapak/Ibu ({tasks})")
    await person.press(f"Buka: {opd_code}")


# ---------------------------------------------------------------------- steps 1 and 5: Pejabat PID


async def name_round(pejabat: FakePerson, name: str) -> None:
    """From the main menu: a new round by that name; ends on the choice of OPDs."""
    await open_menu(pejabat)
    await pejabat.press("➕ Mulai putaran baru")
    await pejabat.wait_for_text("Nama putaran")
    await pejabat.send(name)
    await pejabat.wait_for_text("Pilih OPD")


async def start_round(pejabat: FakePerson, name: str, opd_count: int) -> None:
    """From the main menu: a new round for every OPD."""
    await name_round(pejabat, name)
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
) -> ChatMessage:
    """Step 1: one entry, then back to the case with its send button; returns the case panel."""
    await add_entry(pejabat, title, summary, category)
    await pejabat.press("⬅️ Kembali ke berkas")
    return await pejabat.wait_until(lambda m: title in m.text and SEND_TO_UTAMA in str(m.buttons))


async def attach_draft(pejabat: FakePerson, filename: str, data: bytes) -> None:
    """Step 1, on the open case: send a draft list as a file (the bot's answer is left to read)."""
    await pejabat.press("📎 Lampirkan draf")
    await pejabat.wait_for_text("kirim dokumen draf")
    await pejabat.send_document(filename, data)


async def send_draft(pejabat: FakePerson) -> ChatMessage:
    """Step 1, on the case panel: send the draft to the PPID Utama; returns the confirmation."""
    await pejabat.press(SEND_TO_UTAMA)
    return await pejabat.wait_for_text("sudah dikirim ke PPID Utama")


async def publish_on_site(pejabat: FakePerson, step5: ChatMessage | None = None) -> ChatMessage:
    """Step 5: publish the case on the built-in PPID site from `step5` (else the newest message
    with the button); returns the report of what was published."""
    await pejabat.press(PUBLISH_ON_SITE, step5)
    return await pejabat.wait_for_text("sedang diterbitkan di web PPID")


# ---------------------------------------------------------------------- steps 2 and 4: PPID Utama


async def approve_draft(utama: FakePerson, *about: str) -> ChatMessage:
    """Step 2: approve the draft whose review (new or just changed) mentions all of `about`;
    returns the confirmation."""
    review = await utama.wait_until(
        lambda m: _has_all(m, ("Langkah 2", *about), (APPROVE_DRAFT, RETURN_DRAFT))
    )
    await utama.press(APPROVE_DRAFT, review)
    return await utama.wait_for_text("diteruskan ke PPID Pendukung")


async def return_draft(utama: FakePerson, reason: str) -> ChatMessage:
    """Step 2: return the newest draft under review to the Pejabat PID with a reason; returns the
    confirmation."""
    await utama.press(RETURN_DRAFT)
    await utama.wait_for_text("alasan pengembalian")
    await utama.send(reason)
    return await utama.wait_for_text("dikembalikan ke Pejabat PID")


async def fetch_document(
    utama: FakePerson, number: int, review: ChatMessage | None = None
) -> ChatMessage:
    """Step 4: ask for the document of entry #number (from `review`, else the newest message with
    the button); returns the message that carries the file."""
    await utama.press(f"📄 Dokumen #{number}", review)
    return await utama.wait_until(lambda m: m.document is not None)


async def return_entry(
    utama: FakePerson, entry: str, note: str, review: ChatMessage | None = None
) -> ChatMessage:
    """Step 4: return one entry (``#3 Title``, as its button reads) to the OPD with a note, from
    `review` (else the newest message with the button); returns the confirmation."""
    await utama.press("↩️ Kembalikan entri tertentu", review)
    await utama.wait_for_text("Pilih entri yang dikembalikan")
    await utama.press(f"⬜ {entry}")
    await utama.wait_until(lambda m: "Terpilih: 1" in m.text)
    await utama.press("Lanjut ➡️")
    await utama.wait_for_text("catatan untuk OPD")
    await utama.send(note)
    return await utama.wait_for_text("1 entri dikembalikan")


async def approve_documents(utama: FakePerson, *about: str) -> ChatMessage:
    """Step 4: approve every entry of the case whose review mentions all of `about` (the newest
    such message, whenever it came: reviews of two cases may arrive in either order); returns the
    confirmation."""

    def newest() -> ChatMessage | None:
        wanted = ("Langkah 4", *about)
        found = [m for m in utama.messages if _has_all(m, wanted, (APPROVE_DOCUMENTS,))]
        return found[-1] if found else None

    review = await utama.fake.wait_for(newest, DEFAULT_TIMEOUT)
    assert review is not None, f"person {utama.id} got no step-4 review about {about}"
    await utama.press(APPROVE_DOCUMENTS, review)
    return await utama.wait_for_text("disetujui dan diteruskan ke Pejabat PID")


# ---------------------------------------------------------------------- step 3: PPID Pendukung


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


async def begin_exemption(opd_officer: FakePerson, number: int, reference: str) -> None:
    """Step 3: propose entry #number exempt, citing its consequence test; ends on the question of
    the end date."""
    await entry_action(opd_officer, number, "🔒 Usulkan dikecualikan")
    await opd_officer.wait_for_text("uji konsekuensi")
    await opd_officer.send(reference)
    await opd_officer.wait_for_text("Sampai tanggal")


async def propose_exempt(opd_officer: FakePerson, number: int, reference: str, until: str) -> None:
    """Step 3: propose entry #number exempt until a date (``31-12-2030``), citing its consequence
    test."""
    await begin_exemption(opd_officer, number, reference)
    await opd_officer.send(until)


async def send_documents(opd_officer: FakePerson) -> ChatMessage:
    """Step 3: once the case panel offers it, send the documents to the PPID Utama; returns the
    confirmation."""
    await opd_officer.wait_until(lambda m: SEND_TO_UTAMA in str(m.buttons))
    await opd_officer.press(SEND_TO_UTAMA)
    return await opd_officer.wait_for_text("dikirim ke PPID Utama")


async def finish_and_send_documents(opd_officer: FakePerson) -> ChatMessage:
    """Step 3, while sending files for an entry: done, then send the documents to the PPID Utama;
    returns the confirmation."""
    await opd_officer.press("✅ Selesai")
    return await send_documents(opd_officer)


# ---------------------------------------------------------------------- absences (Plh / Plt)


async def begin_absence(person: FakePerson, starts: str, ends: str) -> ChatMessage:
    """From the main menu: record one's own absence from ``starts`` until ``ends`` (``1-3-2027``);
    returns the question of the stand-in (its buttons name the people who may stand in)."""
    await open_menu(person)
    await person.press("🏖 Ketidakhadiran")
    await person.wait_for_text("Ketidakhadiran Bapak/Ibu")
    await person.press("➕ Catat ketidakhadiran saya")
    await person.wait_for_text("Mulai tanggal berapa")
    await person.send(starts)
    await person.wait_for_text("Sampai tanggal berapa")
    await person.send(ends)
    return await person.wait_for_text("Siapa pengganti")


async def record_absence(person: FakePerson, starts: str, ends: str, stand_in: str) -> ChatMessage:
    """Record one's own absence with ``stand_in`` (a button label: their name, or "Tanpa
    pengganti"); returns the confirmation."""
    await begin_absence(person, starts, ends)
    await person.press(stand_in)
    return await person.wait_for_text("Ketidakhadiran dicatat")
