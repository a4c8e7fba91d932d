"""Hostile text through the chat: cell text and typed text are shown as text (never as markup), long
views arrive whole, and invisible characters never reach the register."""

from __future__ import annotations

from bot.fakeapi import flows
from bot.services import cases, drafting
from bot.sop import Role
from tests.e2e.conftest import Harness

LINK = '<a href="https://evil.example/login">Klik di sini</a>'


async def test_cell_text_of_an_imported_sheet_is_shown_as_text_never_as_a_link(
    harness: Harness,
) -> None:
    await harness.add_opds("DINKES")
    andi = await harness.join(9601, "Bapak Andi", Role.PEJABAT)
    case_id = await harness.start_drafting(andi, "DINKES")
    sheet = (
        "Judul;Ringkasan isi informasi;Kategori\n"
        f"Laporan;Isi;{LINK}\n"
        "Renstra;Isi;<b>rahasia\n"
        "Profil;Isi;berkala\n"
    )
    await flows.attach_draft(andi, "dip.csv", sheet.encode())
    offer = await andi.wait_for_text("1 baris siap diimpor, 2 baris bermasalah")
    # The person reads the cell as it was typed; Telegram makes no link and no bold of it.
    assert "'<a href=\"https://evil.example/login" in offer.text
    assert "'<b>rahasia' tidak dikenal" in offer.text
    assert all(e["type"] not in ("text_link", "bold") for e in offer.entities), offer.entities
    await andi.press("📥 Impor 1 baris yang valid")
    await andi.wait_for_text("1 entri diimpor")
    assert [e.title for e in (await cases.view(harness.ctx, case_id)).entries] == ["Profil"]


async def test_typed_markup_is_shown_as_typed_in_every_view(harness: Harness) -> None:
    await harness.add_opds("DINKES")
    andi = await harness.join(9611, "Bapak Andi", Role.PEJABAT)
    await harness.start_drafting(andi, "DINKES")
    await flows.add_entry_and_return(andi, "Data <b>A & B</b>", f"Lihat {LINK} &amp;", "Berkala")
    await andi.press("#1")
    card = await andi.wait_for_text("Ringkasan: Lihat")
    assert "Data <b>A & B</b>" in card.text and f"Lihat {LINK} &amp;" in card.text
    assert all(e["type"] != "text_link" for e in card.entities)


async def test_a_details_view_longer_than_one_message_arrives_whole(harness: Harness) -> None:
    await harness.add_opds("DINKES")
    andi, rina, _ = await harness.join_team(9620)
    # Nine entries of about 1,100 characters each, full of markup and entities: far more than
    # one message holds, so the view must be split, and never inside a tag or an entity.
    titles = [f"Entri {n} <Laporan> & lampiran" for n in range(1, 10)]
    (case_id,) = await harness.open_round(andi, "DINKES")
    user = await harness.user(andi)
    for title in titles:
        await drafting.add_entry(harness.ctx, user, case_id, title, "A&B <c> " * 120, 0)
    v = await cases.view(harness.ctx, case_id)
    await drafting.send_to_utama(harness.ctx, user, case_id, v.case.version)
    await flows.open_task(rina, "DINKES")
    await rina.wait_for_text("Langkah 2")
    before = rina.messages[-1].message_id
    await rina.press("🔎 Rincian")
    last = await rina.wait_until(lambda m: "Kembali ke berkas" in str(m.buttons))
    shown = "".join(m.text for m in rina.messages if before < m.message_id <= last.message_id)
    for number, title in enumerate(titles, start=1):
        assert f"#{number} {title}" in shown
    assert all(len(m.text) <= 4096 for m in rina.messages)


async def test_invisible_characters_typed_in_the_chat_never_reach_the_register(
    harness: Harness,
) -> None:
    await harness.add_opds("DINKES")
    andi = await harness.join(9631, "Bapak Andi", Role.PEJABAT)
    case_id = await harness.start_drafting(andi, "DINKES")
    # U+202E shows "Laporan fdp.exe" as "Laporan exe.pdf"; zero-width characters make two
    # equal-looking titles differ.
    await flows.add_entry(
        andi, "Lap\u200boran\u2066 \u202efdp.exe\ufeff", "Isi\u200d\u2060 ringkas\u200e", "Berkala"
    )
    (entry,) = (await cases.view(harness.ctx, case_id)).entries
    assert (entry.title, entry.summary) == ("Laporan fdp.exe", "Isi ringkas")
