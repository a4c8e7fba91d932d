"""Bot API methods through python-telegram-bot's ``Bot``: results PTB can parse, Telegram's errors."""

from __future__ import annotations

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonCommands,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden

from bot.fakeapi import FakePerson, FakeTelegram

KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Setuju", callback_data="ap:1:1")]])


@pytest.fixture
def sari(fake: FakeTelegram) -> FakePerson:
    """A person who has already started the bot."""
    return fake.person(1001, "Sari", username="sari", started=True)


async def test_html_is_stored_raw_and_as_plain_text(bot: Bot, sari: FakePerson) -> None:
    sent = await bot.send_message(
        sari.id, "<b>Kasus</b> &lt;12&gt; siap", parse_mode=ParseMode.HTML, reply_markup=KEYBOARD
    )
    assert sent.text == "Kasus <12> siap"
    assert sent.entities[0].type == "bold"
    message = sari.messages[0]
    assert message.html == "<b>Kasus</b> &lt;12&gt; siap"
    assert message.text == "Kasus <12> siap"
    assert message.buttons == [["Setuju"]]
    assert message.button_data == {"Setuju": "ap:1:1"}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "Message text is empty"),
        ("   ", "Message text is empty"),
        ("<b></b>", "Message text is empty"),
        ("x" * 4097, "Message is too long"),
        ("a < b", "Can't parse entities: unsupported start tag"),
    ],
)
async def test_texts_telegram_refuses_raise_bad_request_with_its_text(
    bot: Bot, sari: FakePerson, text: str, error: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(sari.id, text, parse_mode=ParseMode.HTML)
    assert caught.value.message.startswith(error)
    assert sari.messages == []


async def test_a_text_of_exactly_4096_characters_is_accepted(bot: Bot, sari: FakePerson) -> None:
    await bot.send_message(sari.id, "é" * 4096)
    assert len(sari.messages[0].text) == 4096


async def test_a_caption_over_1024_characters_is_too_long(bot: Bot, sari: FakePerson) -> None:
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_document(sari.id, b"data", filename="a.txt", caption="x" * 1025)


async def test_callback_data_over_64_bytes_is_button_data_invalid(
    bot: Bot, sari: FakePerson
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(sari.id, "pilih", reply_markup=markup)


async def test_editing_to_identical_text_and_markup_is_not_modified(
    bot: Bot, sari: FakePerson
) -> None:
    sent = await bot.send_message(
        sari.id, "<b>Status</b>", parse_mode="HTML", reply_markup=KEYBOARD
    )
    with pytest.raises(BadRequest) as caught:
        await bot.edit_message_text(
            "<b>Status</b>", sari.id, sent.message_id, parse_mode="HTML", reply_markup=KEYBOARD
        )
    assert caught.value.message == (
        "Message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )
    with pytest.raises(BadRequest, match=r"^Message is not modified"):
        await bot.edit_message_reply_markup(sari.id, sent.message_id, reply_markup=KEYBOARD)


async def test_editing_text_without_markup_removes_the_inline_keyboard(
    bot: Bot, sari: FakePerson
) -> None:
    sent = await bot.send_message(sari.id, "Menunggu", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text("Selesai", sari.id, sent.message_id)
    assert isinstance(edited, Message) and edited.edit_date is not None
    message = sari.messages[0]
    assert (message.text, message.buttons, message.edited) == ("Selesai", [], True)
    assert [(s.action, s.text) for s in sari.fake.sent] == [
        ("send", "Menunggu"),
        ("edit", "Selesai"),
    ]


async def test_editing_or_deleting_an_unknown_message_is_refused(
    bot: Bot, sari: FakePerson
) -> None:
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", sari.id, 99)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(sari.id, 99)


async def test_a_deleted_message_is_gone_for_the_person(bot: Bot, sari: FakePerson) -> None:
    sent = await bot.send_message(sari.id, "sementara")
    assert await bot.delete_message(sari.id, sent.message_id)
    assert sari.messages == []
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(sari.id, sent.message_id)


async def test_sending_to_an_unknown_chat_is_chat_not_found(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "halo")


async def test_the_bot_cannot_write_first_to_a_person(bot: Bot, fake: FakeTelegram) -> None:
    budi = fake.person(1002, "Budi")
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(budi.id, "halo")
    await budi.send("/start")
    await bot.send_message(budi.id, "halo")


async def test_a_person_who_blocked_the_bot_answers_forbidden(bot: Bot, sari: FakePerson) -> None:
    sari.block_bot()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(sari.id, "pengingat")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_chat_action(sari.id, ChatAction.TYPING)


async def test_a_file_over_20_mb_is_too_big_to_download(bot: Bot, sari: FakePerson) -> None:
    await sari.send_document("besar.pdf", b"%PDF", declared_size=25 * 1024 * 1024)
    message = sari.chat.messages[-1]
    assert message.document is not None
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(message.document.file_id)


async def test_a_self_hosted_server_has_no_download_limit() -> None:
    async with (
        FakeTelegram(max_download_size=None) as fake,
        Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as bot,
    ):
        sari = fake.person(1001, "Sari")
        await sari.send_document("besar.pdf", b"%PDF-1.7", declared_size=25 * 1024 * 1024)
        document = sari.chat.messages[-1].document
        assert document is not None
        file = await bot.get_file(document.file_id)
        assert file.file_size == 25 * 1024 * 1024
        assert bytes(await file.download_as_bytearray()) == b"%PDF-1.7"


async def test_a_document_resent_by_file_id_keeps_its_bytes(bot: Bot, sari: FakePerson) -> None:
    first = await bot.send_document(sari.id, b"isi dokumen", filename="dip.xlsx")
    assert first.document is not None
    assert first.document.mime_type == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    await bot.send_document(sari.id, first.document.file_id, caption="lagi")
    again = sari.messages[-1]
    assert again.document is not None
    assert (again.document.filename, again.document.data) == ("dip.xlsx", b"isi dokumen")
    assert again.caption == "lagi"
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_document(sari.id, "no-such-file-id")


async def test_a_photo_must_be_a_picture(bot: Bot, sari: FakePerson, tiny_png: bytes) -> None:
    sent = await bot.send_photo(sari.id, tiny_png, caption="grafik")
    assert (sent.photo[-1].width, sent.photo[-1].height) == (3, 2)
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await bot.send_photo(sari.id, b"not a picture")


async def test_commands_are_kept_per_scope_and_language(bot: Bot, fake: FakeTelegram) -> None:
    sari = fake.person(1001, "Sari")
    await bot.set_my_commands([BotCommand("start", "Mulai")])
    scope = BotCommandScopeChat(sari.id)
    await bot.set_my_commands([BotCommand("tugas", "Tugas saya")], scope=scope, language_code="id")
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert [c.command for c in await bot.get_my_commands(scope=scope, language_code="id")] == [
        "tugas"
    ]
    assert fake.commands() == [{"command": "start", "description": "Mulai"}]
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_menu_button_and_chat_actions_are_recorded(bot: Bot, sari: FakePerson) -> None:
    await bot.set_chat_menu_button(sari.id, MenuButtonCommands())
    assert (await bot.get_chat_menu_button(sari.id)).type == "commands"
    await bot.send_chat_action(sari.id, ChatAction.UPLOAD_DOCUMENT)
    assert sari.chat.actions == ["upload_document"]


async def test_a_reply_keyboard_is_shown_until_removed(bot: Bot, sari: FakePerson) -> None:
    await bot.send_message(sari.id, "Pilih", reply_markup=ReplyKeyboardMarkup([["Ya", "Tidak"]]))
    assert sari.reply_keyboard == [["Ya", "Tidak"]]
    await sari.tap("Ya")
    assert sari.chat.messages[-1].text == "Ya"
    await bot.send_message(sari.id, "Oke", reply_markup=ReplyKeyboardRemove())
    assert sari.reply_keyboard is None


async def test_answering_a_callback_twice_is_refused(bot: Bot, sari: FakePerson) -> None:
    await bot.send_message(sari.id, "Setuju?", reply_markup=KEYBOARD)
    query_id = await sari.press("Setuju")
    assert await bot.answer_callback_query(query_id, "Tersimpan")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id, "lagi")
    assert sari.toasts == ["Tersimpan"]
