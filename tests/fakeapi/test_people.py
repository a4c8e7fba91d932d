"""Fake people: what they send, how they read the bot's answers, and the transcript of it all."""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.fakeapi import FakePerson, FakeTelegram


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    """One row of callback buttons whose data is the lower-case label."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(x, callback_data=x.lower()) for x in labels]]
    )


@pytest.fixture
def sari(fake: FakeTelegram) -> FakePerson:
    """A person who has already started the bot."""
    return fake.person(1001, "Sari", username="sari", started=True)


async def test_next_message_returns_each_new_message_once_in_order(
    bot: Bot, sari: FakePerson
) -> None:
    for text in ("satu", "dua", "tiga"):
        await bot.send_message(sari.id, text)
    assert [(await sari.next_message()).text for _ in range(3)] == ["satu", "dua", "tiga"]
    with pytest.raises(AssertionError, match=r"waited 0.1s for a new message(.|\n)*#3 bot: tiga"):
        await sari.next_message(timeout=0.1)


async def test_a_message_deleted_before_it_is_read_is_skipped(bot: Bot, sari: FakePerson) -> None:
    first = await bot.send_message(sari.id, "sementara")
    await bot.send_message(sari.id, "tetap")
    await bot.delete_message(sari.id, first.message_id)
    assert (await sari.next_message()).text == "tetap"
    assert [m.text for m in sari.messages] == ["tetap"]


async def test_wait_for_text_sees_an_edit_made_after_the_persons_action(
    bot: Bot, sari: FakePerson
) -> None:
    sent = await bot.send_message(sari.id, "Menunggu persetujuan", reply_markup=keyboard("Setuju"))
    assert (await sari.next_message()).buttons == [["Setuju"]]
    await sari.press("Setuju")
    await bot.send_message(sari.id, "Notifikasi lain")
    await bot.edit_message_text("Disetujui", sari.id, sent.message_id)
    assert (await sari.wait_for_text("Disetujui")).message_id == sent.message_id
    # An edit does not move the reading position: the new message is still to be read.
    assert (await sari.next_message()).text == "Notifikasi lain"


async def test_wait_until_does_not_match_old_messages_already_read(
    bot: Bot, sari: FakePerson
) -> None:
    await bot.send_message(sari.id, "Menu utama")
    await sari.next_message()
    await sari.send("/menu")
    with pytest.raises(AssertionError, match="a message containing 'Menu utama'"):
        await sari.wait_for_text("Menu utama", timeout=0.1)
    await bot.send_message(sari.id, "Menu utama")
    assert (await sari.wait_for_text("Menu utama")).message_id == 3


async def test_wait_until_consumes_up_to_the_match(bot: Bot, sari: FakePerson) -> None:
    for text in ("a", "b", "c"):
        await bot.send_message(sari.id, text)
    found = await sari.wait_until(lambda m: m.text == "b")
    assert found.text == "b"
    assert (await sari.next_message()).text == "c"


async def test_press_prefers_an_exact_label_on_the_newest_message(
    bot: Bot, fake: FakeTelegram, sari: FakePerson
) -> None:
    old = await bot.send_message(sari.id, "lama", reply_markup=keyboard("Setuju"))
    await bot.send_message(sari.id, "baru", reply_markup=keyboard("Setuju semua", "Setuju"))
    await sari.press("Setuju")
    await sari.press("semua")
    await sari.press("Setuju", old.message_id)
    presses = [u["callback_query"] for u in fake.pending_updates]
    assert [(q["message"]["message_id"], q["data"]) for q in presses] == [
        (2, "setuju"),
        (2, "setuju semua"),
        (1, "setuju"),
    ]
    assert presses[0]["from"]["id"] == sari.id
    assert set(fake.unanswered_callbacks()) == {"setuju", "setuju semua"}


async def test_press_data_sends_forged_callback_data(
    bot: Bot, fake: FakeTelegram, sari: FakePerson
) -> None:
    sent = await bot.send_message(sari.id, "pilih", reply_markup=keyboard("Setuju"))
    await sari.press_data("ap:999:1", sent.message_id)
    assert fake.pending_updates[-1]["callback_query"]["data"] == "ap:999:1"
    assert "Sari sent button data 'ap:999:1' (no such button)" in fake.transcript()


async def test_a_persons_document_declares_its_size_and_guessed_type(
    fake: FakeTelegram, sari: FakePerson
) -> None:
    await sari.send_document("DIP 2025.xlsx", b"PK\x03\x04", declared_size=30 * 1024 * 1024)
    await sari.send_photo(b"\xff\xd8photo", caption="bukti")
    document = fake.pending_updates[0]["message"]["document"]
    assert document["file_name"] == "DIP 2025.xlsx"
    assert document["file_size"] == 30 * 1024 * 1024
    assert document["mime_type"].endswith("spreadsheetml.sheet")
    photo = fake.pending_updates[1]["message"]
    assert photo["caption"] == "bukti" and photo["photo"][0]["file_id"]


async def test_writing_to_a_blocked_bot_unblocks_it_like_restart(
    bot: Bot, fake: FakeTelegram, sari: FakePerson
) -> None:
    sari.block_bot()
    await sari.send("/start")
    await bot.send_message(sari.id, "Selamat datang kembali")
    statuses = [
        u["my_chat_member"]["new_chat_member"]["status"]
        for u in fake.pending_updates
        if "my_chat_member" in u
    ]
    assert statuses == ["kicked", "member"]


async def test_the_transcript_tells_the_conversation_in_order(
    bot: Bot, fake: FakeTelegram, sari: FakePerson
) -> None:
    budi = fake.person(1002, "Budi", started=True)
    await sari.send("/start")
    sent = await bot.send_message(
        sari.id, "Halo <b>Sari</b>\nPilih:", parse_mode="HTML", reply_markup=keyboard("Ya", "Tidak")
    )
    query_id = await sari.press("Ya")
    await bot.answer_callback_query(query_id, "Tersimpan")
    await bot.edit_message_reply_markup(sari.id, sent.message_id)
    await budi.send_document("laporan.pdf", b"%PDF" * 256, caption="Laporan Januari")
    await bot.send_document(budi.id, b"a;b\n", filename="rekap.csv")
    assert fake.transcript() == "\n".join(
        [
            "Sari: /start",
            "PPID Bot → Sari: Halo Sari",
            "    Pilih:",
            "    [ Ya ] [ Tidak ]",
            "Sari pressed [ Ya ]",
            "PPID Bot → Sari (toast): Tersimpan",
            "PPID Bot → Sari (buttons of #2): removed",
            "Budi: 📎 laporan.pdf (1.0 KB, application/pdf)",
            "    Laporan Januari",
            "PPID Bot → Budi: 📎 rekap.csv (4 B, text/csv)",
        ]
    )
