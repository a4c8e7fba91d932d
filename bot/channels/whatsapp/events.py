"""A WhatsApp webhook's body, read: the people's messages as channel-neutral `Event`s, and the
delivery statuses of the bot's own messages.

Meta posts `{"object": "whatsapp_business_account", "entry": [{"changes": [{"field":
"messages", "value": {...}}]}]}`; a value holds `contacts` (who wrote: the business-scoped user
id, and the phone number when the person shares it), `messages` and/or `statuses`. A press on a
reply button or a list row is an ordinary message (`interactive`), a press on a template's quick
reply one of type `button`; both carry the data the bot gave the button.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from bot.channels.base import Event, IncomingFile
from bot.channels.commands import command_of

log = logging.getLogger(__name__)
CHANNEL = "whatsapp"
MAX_TEXT = 4096
# The sentence a wa.me invitation link types ("... Kode undangan: TOKEN"), or `/start TOKEN`.
INVITATION = re.compile(r"(?:kode undangan:|^/start)\s*([A-Za-z0-9_-]{8,64})\s*$", re.I)
UNSUPPORTED = {"audio": "audio", "voice": "audio", "video": "video", "sticker": "sticker",
               "location": "location", "contacts": "contacts"}  # fmt: skip


@dataclass(frozen=True)
class Person:
    """Who wrote: the id the bot keys them on (the business-scoped user id, else the phone
    number), and the phone number as contact data when the person shares it."""

    key: str
    phone: str | None
    name: str


@dataclass(frozen=True)
class Incoming:
    """One message of a person, as the router's event (None: ignored, e.g. a reaction)."""

    event_id: str
    person: Person
    event: Event | None
    at: datetime


@dataclass(frozen=True)
class Status:
    """What became of one of the bot's messages: sent, delivered, read or failed (with the
    platform's error code and title)."""

    message_id: str
    status: str
    at: datetime
    code: int | None = None
    title: str = ""


class Malformed(ValueError):
    """The body is not a WhatsApp webhook."""


def read(body: Mapping[str, Any]) -> tuple[list[Incoming], list[Status]]:
    """The messages and statuses of a webhook body; `Malformed` when it is not one."""
    if body.get("object") != "whatsapp_business_account" or not isinstance(body.get("entry"), list):
        raise Malformed("not a WhatsApp Business Account webhook")
    incoming: list[Incoming] = []
    statuses: list[Status] = []
    for value in _values(body):
        people = [_person(c) for c in _list(value, "contacts")]
        for message in _list(value, "messages"):
            person = _sender(message, people)
            if person is not None:
                incoming.append(_incoming(message, person))
        for status in _list(value, "statuses"):
            # A status the bot does not know ("played", a new one, a bad timestamp) is skipped
            # alone: refusing the POST would refuse the people's messages beside it for a week.
            try:
                statuses.append(_status(status))
            except Malformed as exc:
                log.info("WhatsApp status skipped: %s", exc)
    return incoming, statuses


def _values(body: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for entry in body["entry"]:
        if not isinstance(entry, dict):
            raise Malformed("entry is not an object")
        for change in entry.get("changes") or []:
            if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                raise Malformed("change without a value")
            if change.get("field") == "messages":
                yield change["value"]


def _list(value: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    items = value.get(name) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise Malformed(f"{name} is not a list of objects")
    return items


def _person(contact: Mapping[str, Any]) -> Person:
    phone = contact.get("wa_id") or None
    key = contact.get("user_id") or phone
    if not isinstance(key, str) or not key:
        raise Malformed("a contact without an id")
    profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}
    name = str((profile or {}).get("name") or "")
    return Person(key=key, phone=str(phone) if phone else None, name=name)


def _sender(message: Mapping[str, Any], people: list[Person]) -> Person | None:
    """The contact who sent `message` (by the user id or the number it names, else the only
    contact of the change)."""
    ids = {message.get("from_user_id"), message.get("from")} - {None, ""}
    for person in people:
        if person.key in ids or (person.phone is not None and person.phone in ids):
            return person
    if len(people) == 1:
        return people[0]
    sender = message.get("from_user_id") or message.get("from")
    return Person(str(sender), None, "") if sender else None


def _when(raw: object) -> datetime:
    try:
        return datetime.fromtimestamp(int(str(raw)), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise Malformed("a timestamp that is not one") from None


def _incoming(message: Mapping[str, Any], person: Person) -> Incoming:
    mid = message.get("id")
    if not isinstance(mid, str) or not mid:
        raise Malformed("a message without an id")
    at = _when(message.get("timestamp"))
    base = Event(channel=CHANNEL, external_id=person.key, chat_id=person.key, private=True,
                 first_name=person.name, message_id=mid, event_id=mid)  # fmt: skip
    return Incoming(mid, person, _event(message, base), at)


def _event(message: Mapping[str, Any], base: Event) -> Event | None:
    """The router's event for one message; None for what needs no answer (a reaction)."""
    kind = message.get("type")
    body = message.get(kind) if isinstance(kind, str) else None
    part: Mapping[str, Any] = body if isinstance(body, dict) else {}
    if kind == "text":
        text = str(part.get("body") or "")[:MAX_TEXT]
        return _text(base, text)
    if kind == "interactive":
        reply = part.get("button_reply") or part.get("list_reply")
        data = reply.get("id") if isinstance(reply, dict) else None
        return replace(base, button=str(data or ""))
    if kind == "button":  # a template's quick reply: its payload is the button's data
        return replace(base, button=str(part.get("payload") or ""))
    if kind in ("document", "image"):
        media = part.get("id")
        if not isinstance(media, str) or not media:
            return replace(base, unsupported="other")
        photo = kind == "image"
        # A photo has no name; its declared type (JPEG or PNG) decides, and the bot names it.
        name = part.get("filename") if not photo else None
        f = IncomingFile(file_id=media, name=str(name) if name else None,
                         mime=str(part.get("mime_type") or "") or None, size=None, photo=photo)  # fmt: skip
        caption = part.get("caption")
        return replace(base, file=f, caption=str(caption) if caption else None)
    if kind == "reaction":
        return None  # a 👍 on a message asks nothing; answering it would be noise
    if kind in ("edit", "edited") or message.get("edited"):
        return replace(base, unsupported="edited")
    if isinstance(kind, str) and kind in UNSUPPORTED:
        return replace(base, unsupported=UNSUPPORTED[kind])
    return replace(base, unsupported="other")


def _text(base: Event, text: str) -> Event:
    """A typed text: an invitation's sentence, a command word (`menu`, `/tugas`), or words."""
    found = INVITATION.search(text.strip())
    if found:
        return replace(base, text=text, command="start", invitation=found.group(1))
    command = command_of(text)
    if command is not None:
        name, args = command
        return replace(base, text=text, command=name, args=args)
    return replace(base, text=text or None)


def _status(status: Mapping[str, Any]) -> Status:
    mid = status.get("id")
    state = status.get("status")
    if not isinstance(mid, str) or state not in ("sent", "delivered", "read", "failed"):
        raise Malformed("a status without an id or a known state")
    errors = status.get("errors") or []
    error = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    code = error.get("code")
    return Status(mid, str(state), _when(status.get("timestamp")),
                  int(code) if isinstance(code, int | str) and str(code).isdigit() else None,
                  str(error.get("title") or error.get("message") or ""))  # fmt: skip
