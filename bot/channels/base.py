"""Channel-neutral events and replies: what handlers receive and return, on Telegram or WhatsApp.

An adapter turns a platform update into an `Event`, calls the router, and renders the `Response`
(buttons become an inline keyboard on Telegram, reply buttons or a list on WhatsApp).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # encoded by handlers.codec, at most 64 bytes


@dataclass(frozen=True)
class IncomingFile:
    file_id: str
    name: str | None
    mime: str | None
    size: int | None
    photo: bool = False  # a chat photo: no name of its own, the bot names it


@dataclass(frozen=True)
class Event:
    channel: str
    external_id: str  # the person's id on the channel
    chat_id: str
    private: bool
    first_name: str
    message_id: str | None = None
    text: str | None = None
    command: str | None = None  # without the slash, lower case
    args: str = ""
    button: str | None = None  # raw button data
    file: IncomingFile | None = None
    caption: str | None = None
    event_id: str = ""  # the incoming event's id, unique within its channel (handled once)
    invitation: str | None = None  # an invitation token the channel found (Telegram: /start TOKEN)
    unsupported: str | None = None  # a kind of message the bot cannot read (a voice note, ...)


@dataclass(frozen=True)
class OutgoingFile:
    name: str
    mime: str
    path: Path | None = None  # read from disk when the channel has no id for it yet
    file_id: str | None = None  # re-send without uploading again
    caption: str | None = None
    data: bytes | None = None  # made on the fly (a template, an export, a chart)


@dataclass(frozen=True)
class Choice:
    """One of a picker's choices: its label, the press that toggles it, whether it is chosen,
    and an action of its own once chosen (e.g. keep or reject an entry's documents)."""

    label: str
    data: str
    chosen: bool = False
    extra: Button | None = None


@dataclass(frozen=True)
class Picker:
    """Several chosen among many (the OPDs of a round, the entries to return): a model of its
    own, so that each channel shows it as it can. Where a message can be replaced (Telegram),
    each choice is a toggle button, `columns` to a row; where it cannot (WhatsApp), the choices
    are numbered in the text and the person types the numbers to toggle (the handler's dialog
    reads them with `handlers.base.numbers_of`), instead of a new list at every tap."""

    choices: list[Choice]
    columns: int = 1


@dataclass
class Reply:
    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    files: list[OutgoingFile] = field(default_factory=list)
    supersedes: bool = False  # replaces the pressed screen (edited in place where the channel can)
    picker: Picker | None = None  # shown above the buttons (the actions after choosing)


@dataclass
class Response:
    replies: list[Reply] = field(default_factory=list)
    note: str | None = None  # the short answer to a press (a toast, or a message where none)
    alert: bool = False

    def add(self, text: str, buttons: list[list[Button]] | None = None) -> Response:
        self.replies.append(Reply(text=text, buttons=buttons or []))
        return self


class FileUnavailable(Exception):
    """A file a person sent could not be fetched from their chat app (expired, refused, the
    network): they are asked to send it again."""


class FileSource(Protocol):
    """Streams a file a person sent, without loading it whole."""

    def chunks(self, file_id: str) -> AsyncIterator[bytes]: ...


@dataclass
class TroubleNotices:
    """Whom the bot told that the database is out of reach: once per person per `quiet`, as
    the chat app delivers their message again and again until it is handled."""

    quiet_s: float = 600.0
    told: dict[str, float] = field(default_factory=dict)

    def should_tell(self, person: str, now_s: float) -> bool:
        last = self.told.get(person)
        if last is not None and now_s - last < self.quiet_s:
            return False
        if len(self.told) > 10_000:  # a long outage in a large organisation: start afresh
            self.told.clear()
        self.told[person] = now_s
        return True
