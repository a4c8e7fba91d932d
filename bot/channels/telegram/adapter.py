"""The Telegram adapter: python-telegram-bot updates in, channel-neutral events to the router,
replies rendered back as messages, inline keyboards, edits, toasts and documents."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.channels.base import Event, IncomingFile, OutgoingFile, Reply, Response
from bot.channels.fit import Fitted, fit
from bot.channels.html import clip_plain
from bot.channels.markup import to_plain
from bot.channels.port import TELEGRAM, Brief, Capabilities, DeliveryError
from bot.channels.telegram.pacing import NOTICE, retry_after

log = logging.getLogger(__name__)
CHANNEL = "telegram"
MAX_TEXT = 4096
MAX_TOAST = 200


def to_event(update: Update, bot_username: str | None = None) -> Event | None:
    """The neutral event of an update; None for updates the bot ignores (edits, channel posts,
    commands addressed to another bot)."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
    base = {
        "channel": CHANNEL,
        "external_id": str(user.id),
        "chat_id": str(chat.id),
        "private": chat.type == ChatType.PRIVATE,
        "first_name": user.first_name or "",
        "event_id": str(update.update_id),
    }
    if update.callback_query is not None:
        q = update.callback_query
        mid = str(q.message.message_id) if q.message else None
        return Event(**base, button=q.data or "", message_id=mid)  # type: ignore[arg-type]
    msg = update.message
    if msg is None:
        return None  # edited messages and other kinds change nothing
    mid = str(msg.message_id)
    doc = msg.document
    if doc is not None:
        f = IncomingFile(
            file_id=doc.file_id, name=doc.file_name, mime=doc.mime_type, size=doc.file_size
        )
        return Event(**base, file=f, caption=msg.caption, message_id=mid)  # type: ignore[arg-type]
    if msg.photo:
        p = msg.photo[-1]
        f = IncomingFile(
            file_id=p.file_id, name="foto.jpg", mime="image/jpeg", size=p.file_size, photo=True
        )
        return Event(**base, file=f, caption=msg.caption, message_id=mid)  # type: ignore[arg-type]
    text = (msg.text or "")[:MAX_TEXT]
    if text.startswith("/"):
        head, _, args = text.partition(" ")
        name, _, addressee = head[1:].partition("@")
        if addressee and bot_username and addressee.lower() != bot_username.lower():
            return None  # `/status@other_bot` in a group is for that bot
        name = name.lower()
        # A deep link opens the chat with `/start TOKEN`: the token redeems an invitation.
        token = args.strip() if name == "start" and args.strip() else None
        return Event(**base, command=name, args=args, text=text, message_id=mid,  # type: ignore[arg-type]
                     invitation=token)  # fmt: skip
    if not text:
        return Event(**base, text=None, message_id=mid)  # type: ignore[arg-type]
    return Event(**base, text=text, message_id=mid)  # type: ignore[arg-type]


def keyboard(message: Fitted) -> InlineKeyboardMarkup | None:
    """A fitted message's actions as an inline keyboard, row by row."""
    if not message.rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in message.rows]
    )


def delivery_error(exc: TelegramError) -> DeliveryError:
    """What a Bot API error means for a notice, in the port's neutral terms."""
    if isinstance(exc, RetryAfter):
        wait = retry_after(exc)
        return DeliveryError("retry_after", f"429 retry after {wait.total_seconds():.0f}s",
                             retry_in=wait)  # fmt: skip
    if isinstance(exc, Forbidden | BadRequest):
        # Blocked, chat not found, a message Telegram will never take: trying again won't help.
        return DeliveryError("permanent", str(exc), reach=_unreachable_reason(exc))
    if isinstance(exc, TimedOut | NetworkError):  # includes 5xx answers
        return DeliveryError("transient", f"network: {exc}")
    return DeliveryError("transient", f"telegram: {exc}")


def _unreachable_reason(exc: TelegramError) -> str | None:
    """The catalogue key for a refusal that says the person cannot be written to at all."""
    text = str(exc).lower()
    if isinstance(exc, Forbidden):
        return "unreachable-blocked" if "blocked" in text else "unreachable-refused"
    if "chat not found" in text or "user not found" in text:
        return "unreachable-gone"
    return None


def _caption(f: OutgoingFile) -> str | None:
    """A file's caption, sent without a parse mode: its text without styles."""
    return to_plain(f.caption) if f.caption else None


class TelegramSender:
    """Sends neutral replies into one chat."""

    capabilities: Capabilities = TELEGRAM

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(
        self, chat_id: str | int, reply: Reply, edit_message: Message | None = None
    ) -> None:
        """A screen in answer to a person: fitted to Telegram, replacing the pressed message
        where the screen supersedes it and fits in one message."""
        messages = fit(reply, TELEGRAM)
        if edit_message is not None and len(messages) == 1 and messages[0].replaces:
            try:
                await edit_message.edit_text(
                    messages[0].text, parse_mode=ParseMode.HTML,
                    reply_markup=keyboard(messages[0]),
                )  # fmt: skip
                return
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    return
                raise
        for f in reply.files:
            await self.send_file(chat_id, f)
        await self._send_messages(chat_id, messages)

    async def _send_messages(
        self, chat_id: str | int, messages: list[Fitted], notice: bool = False
    ) -> list[str]:
        """The fitted messages in order (a long text as several, the buttons under the last)."""
        sent = []
        for message in messages:
            done = await self.bot.send_message(
                chat_id, message.text, parse_mode=ParseMode.HTML,
                reply_markup=keyboard(message), **self._paced(notice=notice),
            )  # fmt: skip
            sent.append(str(done.message_id))
        return sent

    def parts(self, reply: Reply) -> int:
        """Each file, then the text with its buttons as one part (a long text is several
        messages sent together: notices are short)."""
        return len(reply.files) + 1

    async def send_part(self, chat_id: str | int, reply: Reply, index: int) -> list[str]:
        """One part of a notice (see `_send_part`); Telegram's refusals as `DeliveryError`."""
        try:
            return await self._send_part(chat_id, reply, index)
        except TelegramError as exc:
            raise delivery_error(exc) from exc

    async def send_brief(self, chat_id: str | int, brief: Brief) -> list[str]:
        """Never needed: Telegram has no reply window, every notice goes in full."""
        raise DeliveryError("permanent", "Telegram sends notices in full, never as a brief")

    async def _send_part(self, chat_id: str | int, reply: Reply, index: int) -> list[str]:
        """Part `index` of a notice: its files in order, then the text with its buttons last
        (so the buttons stay at the bottom of the chat). A text longer than one message is one
        part of several messages: notices are short, and a retry after a failure in the middle
        of one would repeat only its first messages. Notices wait for the capacity that the
        people's own taps leave (see `telegram_pacing`)."""
        if index < len(reply.files):
            await self.send_file(chat_id, reply.files[index], notice=True)
            return []
        return await self._send_messages(chat_id, fit(reply, TELEGRAM), notice=True)

    def _paced(self, *, notice: bool) -> dict[str, Any]:
        """The extra arguments that mark a request as a notice, where the bot is paced."""
        if notice and getattr(self.bot, "rate_limiter", None) is not None:
            return {"rate_limit_args": NOTICE}
        return {}

    async def send_file(self, chat_id: str | int, f: OutgoingFile, notice: bool = False) -> None:
        bot = self.bot
        paced = self._paced(notice=notice)
        if f.file_id:
            try:
                await bot.send_document(chat_id, f.file_id, caption=_caption(f), **paced)
                return
            except BadRequest:
                log.info("re-uploading %s: its file id is no longer valid", f.name)
        if f.data is not None:
            if f.mime == "image/png":
                await bot.send_photo(chat_id, f.data, caption=_caption(f), **paced)
            else:
                await bot.send_document(
                    chat_id, f.data, filename=f.name, caption=_caption(f), **paced
                )
            return
        if f.path is None:
            return
        with f.path.open("rb") as fh:
            await bot.send_document(chat_id, fh, filename=f.name, caption=_caption(f), **paced)


async def answer(update: Update, response: Response | None, sender: TelegramSender) -> None:
    """Render the router's response to the update it answers."""
    query = update.callback_query
    late_toast: str | None = None
    if query is not None:
        toast = response.note if response else None
        try:
            # A toast is plain text: the catalogue's sentences are marked up.
            await query.answer(
                clip_plain(to_plain(toast), MAX_TOAST) if toast else None,
                show_alert=bool(response and response.alert),
            )
        except BadRequest as exc:
            # A press delivered again after a restart is handled, but Telegram no longer takes
            # an answer to it: what the toast would have said goes into the chat instead.
            if (
                "query is too old" not in str(exc).lower()
                and "query id is invalid" not in str(exc).lower()
            ):
                raise
            log.info("press %s answered too late: %s", query.id, exc)
            late_toast = toast
    if response is None or update.effective_chat is None:
        return
    chat_id = update.effective_chat.id
    edit_target = (
        query.message if query is not None and isinstance(query.message, Message) else None
    )
    if late_toast:
        await sender.send(chat_id, Reply(text=late_toast))
    for reply in response.replies:
        await sender.send(chat_id, reply, edit_target)
