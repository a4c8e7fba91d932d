"""A real python-telegram-bot Application, polling the fake over HTTP, talking to fake people."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, EndPointNotFound, RetryAfter
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.fakeapi import FakeTelegram, application_builder, polling


@dataclass
class EchoBot:
    """What the tiny bot under test noticed."""

    errors: list[object] = field(default_factory=list)
    """Exceptions that reached the Application's error handler (should stay empty)."""
    refused: list[str] = field(default_factory=list)
    """Texts of the Telegram errors the handlers caught on purpose."""


@pytest.fixture
async def echo(fake: FakeTelegram) -> AsyncIterator[EchoBot]:
    """A tiny bot (echo, a keyboard, buttons, documents) running against the fake."""
    state = EchoBot()

    async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("Setuju", callback_data="ok"),
                    InlineKeyboardButton("Tolak", callback_data="no"),
                ],
                [InlineKeyboardButton("Situs PPID", url="https://ppid.example.go.id")],
            ]
        )
        await update.message.reply_text(
            f"Halo <b>{update.message.chat.first_name}</b>, token={' '.join(context.args or [])}",
            parse_mode="HTML",
            reply_markup=keyboard,
        )

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer(f"Pilihan: {query.data}")
        await query.edit_message_text(f"Anda memilih {query.data}")

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    async def on_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.edited_message is not None
        await update.edited_message.reply_text(f"diubah: {update.edited_message.text}")

    async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.document is not None
        file = await update.message.document.get_file()
        buffer = io.BytesIO()
        await file.download_to_memory(buffer)
        data = buffer.getvalue()
        await update.message.reply_text(f"sha256={hashlib.sha256(data).hexdigest()}")

    async def on_report(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_document(
            b"no;opd\n1;Dinas Kominfo\n", filename="laporan.csv", caption="Laporan"
        )

    async def on_long(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        try:
            await update.message.reply_text("x" * 5000)
        except BadRequest as error:
            state.refused.append(error.message)
            await update.message.reply_text("terlalu panjang")

    async def on_flood(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        try:
            await update.message.reply_text("pertama")
        except RetryAfter as error:
            state.refused.append(str(error))
            await update.message.reply_text("kedua")

    async def on_unknown_method(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await context.bot.do_api_request("sendTeleportation")
        except EndPointNotFound as error:
            state.refused.append(error.message)

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        state.errors.append(context.error)

    app = application_builder(fake).build()
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CommandHandler("laporan", on_report))
    app.add_handler(CommandHandler("panjang", on_long))
    app.add_handler(CommandHandler("banjir", on_flood))
    app.add_handler(CommandHandler("aneh", on_unknown_method))
    app.add_handler(CallbackQueryHandler(on_press))
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, on_edit))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_error_handler(on_error)
    async with polling(app, poll_timeout=1):
        yield state
    assert state.errors == []


async def test_a_text_is_echoed(fake: FakeTelegram, echo: EchoBot) -> None:
    sari = fake.person(1001, "Sari")
    await sari.send("Selamat pagi")
    reply = await sari.next_message()
    assert reply.text == "Selamat pagi"


async def test_a_command_reaches_its_handler_with_its_arguments(
    fake: FakeTelegram, echo: EchoBot
) -> None:
    sari = fake.person(1001, "Sari")
    await sari.send("/start UNDANGAN42")
    reply = await sari.next_message()
    assert reply.text == "Halo Sari, token=UNDANGAN42"
    assert reply.html == "Halo <b>Sari</b>, token=UNDANGAN42"
    assert reply.buttons == [["Setuju", "Tolak"], ["Situs PPID"]]


async def test_a_button_press_reaches_the_bot_and_the_toast_reaches_the_person(
    fake: FakeTelegram, echo: EchoBot
) -> None:
    sari = fake.person(1001, "Sari")
    await sari.send("/start")
    await sari.next_message()
    await sari.press("Setuju")
    assert await sari.next_toast() == "Pilihan: ok"
    edited = await sari.wait_for_text("Anda memilih ok")
    assert edited.edited and edited.buttons == []
    assert fake.unanswered_callbacks() == []


async def test_pressing_a_missing_or_url_button_fails_clearly(
    fake: FakeTelegram, echo: EchoBot
) -> None:
    sari = fake.person(1001, "Sari")
    await sari.send("/start")
    await sari.next_message()
    with pytest.raises(
        AssertionError, match=r"sees no button 'Hapus'(.|\n)*\[ Setuju \] \[ Tolak \]"
    ):
        await sari.press("Hapus")
    with pytest.raises(AssertionError, match="is not a callback button"):
        await sari.press("Situs")


async def test_a_document_sent_by_a_person_is_downloaded_byte_identical(
    fake: FakeTelegram, echo: EchoBot
) -> None:
    sari = fake.person(1001, "Sari")
    payload = bytes(range(256)) * 4096  # 1 MB, every byte value
    await sari.send_document("daftar.pdf", payload, caption="DIP 2025")
    reply = await sari.next_message()
    assert reply.text == f"sha256={hashlib.sha256(payload).hexdigest()}"


async def test_a_document_the_bot_uploads_arrives_with_its_bytes(
    fake: FakeTelegram, echo: EchoBot
) -> None:
    sari = fake.person(1001, "Sari")
    await sari.send("/laporan")
    reply = await sari.next_message()
    assert reply.document is not None
    assert reply.document.filename == "laporan.csv"
    assert reply.document.mime_type == "text/csv"
    assert reply.document.data == b"no;opd\n1;Dinas Kominfo\n"
    assert reply.caption == "Laporan"


async def test_an_edited_message_reaches_the_bot(fake: FakeTelegram, echo: EchoBot) -> None:
    sari = fake.person(1001, "Sari")
    message_id = await sari.send("draf")
    await sari.next_message()
    await sari.edit(message_id, "final")
    assert (await sari.next_message()).text == "diubah: final"


async def test_a_text_over_4096_characters_raises_bad_request_in_the_bot(
    fake: FakeTelegram, echo: EchoBot
) -> None:
    sari = fake.person(1001, "Sari")
    await sari.send("/panjang")
    assert (await sari.next_message()).text == "terlalu panjang"
    assert echo.refused == ["Message is too long"]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_an_injected_429_raises_retry_after_in_the_bot(
    fake: FakeTelegram, echo: EchoBot
) -> None:
    sari = fake.person(1001, "Sari")
    fault = fake.inject("sendMessage", status=429, retry_after=3, times=1)
    await sari.send("/banjir")
    assert (await sari.next_message()).text == "kedua"
    assert echo.refused == ["Flood control exceeded. Retry in 3 seconds"]
    assert fault.hits == 1


async def test_an_unknown_method_is_recorded_as_a_protocol_error(
    fake: FakeTelegram, echo: EchoBot
) -> None:
    sari = fake.person(1001, "Sari")
    await sari.send("/aneh")
    await fake.wait_until_confirmed()
    await fake.wait_for(lambda: echo.refused or None, 5)
    assert echo.refused and "sendTeleportation" in echo.refused[0]
    assert fake.take_protocol_errors() == [
        "sendTeleportation: unknown Bot API method (not implemented by the fake)"
    ]


async def test_people_talk_in_a_group_too(fake: FakeTelegram, echo: EchoBot) -> None:
    group = fake.group(-1001234567890, "PPID Pontianak")
    sari, budi = fake.person(1001, "Sari"), fake.person(1002, "Budi")
    await sari.send("rapat jam 9", chat=group)
    assert (await budi.next_message(chat=group)).text == "rapat jam 9"
    assert (await sari.next_message(chat=group)).text == "rapat jam 9"
    assert sari.messages == []
    assert "Sari in PPID Pontianak: rapat jam 9" in fake.transcript()
