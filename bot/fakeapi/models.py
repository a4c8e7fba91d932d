"""State of the fake Telegram Bot API: users, chats, files, messages and the logs kept about them.

These are plain data classes owned by :class:`bot.fakeapi.server.FakeTelegram`. Tests and the offline
demo read them (through :class:`bot.fakeapi.people.FakePerson` mostly); only the server changes them.
Every ``to_api()`` method returns the object exactly as the real Bot API would put it in JSON: the real
field names, dates in Unix seconds, optional fields left out instead of ``null``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

JSON = dict[str, Any]
"""A JSON object as the Bot API sends it."""

MessageKind = Literal["text", "document", "photo"]
ChatType = Literal["private", "group", "supergroup", "channel"]
EntryKind = Literal[
    "user_text",
    "user_edit",
    "user_file",
    "press",
    "block",
    "unblock",
    "bot_send",
    "bot_edit",
    "bot_markup",
    "bot_delete",
    "toast",
]
"""Kinds of transcript entries."""


def _drop_none(values: JSON) -> JSON:
    """Leave out the fields whose value is ``None``, as Telegram does."""
    return {key: value for key, value in values.items() if value is not None}


@dataclass(eq=False)
class FakeUser:
    """A Telegram user: a person played by a test, or the bot itself."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    @property
    def full_name(self) -> str:
        """First and last name, as Telegram clients show them."""
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def to_api(self) -> JSON:
        """The ``User`` object."""
        return _drop_none(
            {
                "id": self.id,
                "is_bot": self.is_bot,
                "first_name": self.first_name,
                "last_name": self.last_name,
                "username": self.username,
                "language_code": self.language_code,
            }
        )


@dataclass(eq=False)
class FakeFile:
    """A file known to the fake server, uploaded by a person or by the bot.

    ``size`` is the size Telegram declares (``file_size``); it equals ``len(data)`` unless a test chose
    to lie about it, e.g. to emulate a 30 MB document without allocating 30 MB.
    """

    file_id: str
    file_unique_id: str
    data: bytes
    filename: str | None
    mime_type: str | None
    size: int
    kind: Literal["document", "photo"]
    width: int = 0
    height: int = 0
    file_path: str | None = None

    def to_document(self) -> JSON:
        """The ``Document`` object."""
        return _drop_none(
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_name": self.filename,
                "mime_type": self.mime_type,
                "file_size": self.size,
            }
        )

    def to_photo_sizes(self) -> list[JSON]:
        """The ``photo`` array of ``PhotoSize`` objects (the fake keeps one size)."""
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "width": self.width,
                "height": self.height,
                "file_size": self.size,
            }
        ]

    def to_file(self) -> JSON:
        """The ``File`` object returned by ``getFile``."""
        return _drop_none(
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_size": self.size,
                "file_path": self.file_path,
            }
        )


@dataclass(eq=False)
class ChatMessage:
    """One message of a chat, in its current state: edits applied, ``deleted`` once deleted.

    ``text`` is the plain text (tags stripped, HTML entities decoded) of the text or, for a document or
    photo, of its caption; ``html`` is that text exactly as the bot sent it.
    """

    chat: FakeChat
    message_id: int
    date: int
    sender: FakeUser
    kind: MessageKind = "text"
    text: str = ""
    html: str = ""
    parse_mode: str | None = None
    entities: list[JSON] = field(default_factory=list)
    reply_markup: JSON | None = None
    file: FakeFile | None = None
    edit_date: int | None = None
    deleted: bool = False
    reply_to_message_id: int | None = None
    link_preview_options: JSON | None = None
    seq_sent: int = 0
    """Global sequence number of the moment the message appeared."""
    seq_changed: int = 0
    """Global sequence number of its last change (sending, editing)."""

    @property
    def chat_id(self) -> int:
        """Id of the chat the message belongs to."""
        return self.chat.id

    @property
    def from_bot(self) -> bool:
        """True for a message the bot sent."""
        return self.sender.is_bot

    @property
    def edited(self) -> bool:
        """True once the message has been edited."""
        return self.edit_date is not None

    @property
    def caption(self) -> str:
        """The plain caption of a document or photo ('' for a text message)."""
        return self.text if self.kind != "text" else ""

    @property
    def document(self) -> FakeFile | None:
        """The document (name, bytes, MIME type), if this message carries one."""
        return self.file if self.kind == "document" else None

    @property
    def photo(self) -> FakeFile | None:
        """The photo, if this message carries one."""
        return self.file if self.kind == "photo" else None

    @property
    def inline_keyboard(self) -> list[list[JSON]]:
        """The rows of inline buttons as Bot API objects ([] when there is no inline keyboard)."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard") or []
        return [list(row) for row in rows]

    @property
    def buttons(self) -> list[list[str]]:
        """The labels of the inline buttons, row by row."""
        return [[str(button.get("text", "")) for button in row] for row in self.inline_keyboard]

    @property
    def button_data(self) -> dict[str, str]:
        """Label -> callback_data of every inline button that carries callback data."""
        return {
            str(button.get("text", "")): str(button["callback_data"])
            for row in self.inline_keyboard
            for button in row
            if "callback_data" in button
        }

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """The labels of a reply keyboard sent with this message, if any."""
        if not self.reply_markup or "keyboard" not in self.reply_markup:
            return None
        return [
            [str(button.get("text", "")) for button in row] for row in self.reply_markup["keyboard"]
        ]

    def to_api(self) -> JSON:
        """The ``Message`` object."""
        result: JSON = {
            "message_id": self.message_id,
            "from": self.sender.to_api(),
            "chat": self.chat.to_api(),
            "date": self.date,
        }
        if self.edit_date is not None:
            result["edit_date"] = self.edit_date
        if self.reply_to_message_id is not None:
            replied = self.chat.find(self.reply_to_message_id)
            if replied is not None and replied is not self:
                reply = replied.to_api()
                reply.pop("reply_to_message", None)
                result["reply_to_message"] = reply
        if self.kind == "text":
            result["text"] = self.text
            if self.entities:
                result["entities"] = self.entities
            if self.link_preview_options:
                result["link_preview_options"] = self.link_preview_options
        else:
            assert self.file is not None
            if self.kind == "document":
                result["document"] = self.file.to_document()
            else:
                result["photo"] = self.file.to_photo_sizes()
            if self.text:
                result["caption"] = self.text
                if self.entities:
                    result["caption_entities"] = self.entities
        # Only an inline keyboard is part of the message; reply keyboards belong to the client.
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            result["reply_markup"] = self.reply_markup
        return result


@dataclass(eq=False)
class FakeChat:
    """A chat the bot can talk in: the private chat with one person, or a group."""

    id: int
    type: ChatType
    title: str | None = None
    username: str | None = None
    user: FakeUser | None = None
    """The other side of a private chat."""
    messages: list[ChatMessage] = field(default_factory=list)
    """Every message ever posted in the chat, deleted ones included (flagged)."""
    next_message_id: int = 1
    started: bool = False
    """Private chats: the person has written to the bot, so the bot may write to them."""
    blocked: bool = False
    """Private chats: the person has blocked the bot."""
    member_ids: set[int] = field(default_factory=set)
    actions: list[str] = field(default_factory=list)
    """Every chat action (``typing``, ``upload_document``...) the bot sent here."""
    reply_keyboard: JSON | None = None
    """The reply keyboard the client currently shows, if any."""

    @property
    def is_private(self) -> bool:
        """True for a private chat with one person."""
        return self.type == "private"

    @property
    def display_name(self) -> str:
        """Name for transcripts: the person's first name or the group's title."""
        if self.user is not None:
            return self.user.first_name
        return self.title or str(self.id)

    @property
    def bot_messages(self) -> list[ChatMessage]:
        """The bot's messages that still exist, oldest first, edits applied."""
        return [m for m in self.messages if m.from_bot and not m.deleted]

    def find(self, message_id: int) -> ChatMessage | None:
        """The message with this id, deleted or not, or None."""
        for message in self.messages:
            if message.message_id == message_id:
                return message
        return None

    def allocate_message_id(self) -> int:
        """The next message id of this chat (ids increase per chat, like Telegram's)."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def to_api(self) -> JSON:
        """The ``Chat`` object."""
        if self.user is not None:
            return _drop_none(
                {
                    "id": self.id,
                    "type": self.type,
                    "first_name": self.user.first_name,
                    "last_name": self.user.last_name,
                    "username": self.user.username,
                }
            )
        return _drop_none(
            {"id": self.id, "type": self.type, "title": self.title, "username": self.username}
        )


@dataclass(frozen=True)
class SentMessage:
    """One thing the bot did to a message, as it was at that moment (an entry of ``fake.sent``).

    ``action`` is ``send``, ``edit`` or ``delete``; ``method`` the Bot API method that did it.
    """

    action: Literal["send", "edit", "delete"]
    method: str
    chat_id: int
    message_id: int
    text: str
    html: str
    buttons: tuple[tuple[str, ...], ...]
    file: FakeFile | None
    date: int


@dataclass(frozen=True)
class ApiCall:
    """One request the bot made (an entry of ``fake.calls``): method, parameters, HTTP answer."""

    method: str
    params: JSON
    status: int
    description: str | None = None


@dataclass(frozen=True)
class CallbackAnswer:
    """The bot's ``answerCallbackQuery`` for one press of an inline button."""

    query_id: str
    data: str
    text: str
    show_alert: bool
    url: str | None


@dataclass(frozen=True)
class TranscriptEntry:
    """One line of the conversation, for :meth:`FakeTelegram.transcript` (a snapshot)."""

    kind: EntryKind
    chat_id: int
    chat_name: str
    is_private: bool
    actor: str
    text: str = ""
    buttons: tuple[tuple[str, ...], ...] = ()
    file: FakeFile | None = None
    message_id: int = 0
    alert: bool = False
    monotonic: float = field(default_factory=time.monotonic)
    """``time.monotonic()`` when it happened: merge with another channel's transcript by it."""
