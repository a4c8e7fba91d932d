"""People who write to the business through the fake WhatsApp: what a test (or the demo) plays.

A :class:`FakeWhatsAppPerson` is made by :meth:`bot.fakeapi.whatsapp.server.FakeWhatsApp.person`.
Its actions become signed webhooks posted to the bot (:meth:`~FakeWhatsAppPerson.send`,
:meth:`~FakeWhatsAppPerson.press`, documents, reactions...); its reading methods wait for what the
bot sent.

Reading rules (as for the Telegram fake's people, without edits: WhatsApp has none):

* :meth:`FakeWhatsAppPerson.next_message` returns the bot's messages one by one, oldest first, each
  once ("consumed").
* :meth:`FakeWhatsAppPerson.wait_until` and :meth:`FakeWhatsAppPerson.wait_for_text` look at the
  messages not yet consumed and return the first one that matches; it is consumed together with
  every older one (the person has read the chat up to there).
* Consuming a message *reads* it: the bot gets ``read`` statuses up to it.

Only messages that reached the person count: one that failed (outside the 24-hour window, to an
unreachable number) is in ``fake.messages`` with status ``failed``, never in ``person.messages``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from bot.fakeapi.whatsapp.models import JSON, WaMessage

if TYPE_CHECKING:
    from bot.fakeapi.whatsapp.server import FakeWhatsApp

DEFAULT_TIMEOUT = 15.0  # generous: CI may run on a busy machine; only a failing wait costs it


class FakeWhatsAppPerson:
    """A WhatsApp user played by a test: writes, presses buttons, sends files, reads."""

    def __init__(self, fake: FakeWhatsApp, *, wa_id: str, name: str, bsuid: str) -> None:
        self.fake = fake
        self.wa_id = wa_id
        """The phone number in international form without ``+``."""
        self.name = name
        """The profile name (``contacts[].profile.name``)."""
        self.bsuid = bsuid
        """The business-scoped user id (``contacts[].user_id``)."""
        self.can_receive = True
        """False after :meth:`unreachable`: messages to this number fail with 131026."""
        self.last_incoming: datetime | None = None
        """When the person last wrote to the business (fake clock): the 24-hour window."""
        self.inbox: list[WaMessage] = []
        self._consumed_seq = 0

    def __repr__(self) -> str:
        return f"FakeWhatsAppPerson({self.wa_id}, {self.name!r})"

    # ------------------------------------------------------------------ state

    def unreachable(self) -> None:
        """From now on messages to this number fail with 131026 (no WhatsApp, blocked...)."""
        self.can_receive = False

    def reachable(self) -> None:
        """Messages reach this number again."""
        self.can_receive = True

    @property
    def in_window(self) -> bool:
        """Whether the business may send free-form messages to this person now."""
        return self.fake.in_window(self)

    # ------------------------------------------------------------------ acting

    async def send(self, text: str, *, reply_to: WaMessage | str | None = None) -> str:
        """Write a text; returns its wamid."""
        if not text.strip():
            raise ValueError("WhatsApp does not send empty messages")
        message: JSON = {"type": "text", "text": {"body": text}}
        if reply_to is not None:
            message["context"] = self._context(reply_to)
        return await self._post(message, text)

    async def open_link(self, link: str) -> str:
        """Follow a ``https://wa.me/<number>?text=...`` link: the chat opens with the text typed,
        and the person sends it; returns the wamid. The number must be the business's."""
        parsed = urlsplit(link)
        if parsed.scheme != "https" or parsed.netloc not in ("wa.me", "api.whatsapp.com"):
            raise AssertionError(f"{link!r} is not a wa.me link")
        number = parsed.path.strip("/")
        if number != self.fake.number:
            raise AssertionError(f"{link!r} opens a chat with {number}, not {self.fake.number}")
        text = parse_qs(parsed.query).get("text", [""])[0]
        if not text.strip():
            raise AssertionError(f"{link!r} carries no text")
        return await self.send(text)

    async def press(self, label: str) -> str:
        """Tap a reply button, a list row (opening the list first) or a template's quick reply
        labelled ``label`` on the newest message that shows it; returns the new wamid."""
        candidates = list(reversed(self.inbox))
        for matches in _matchers(label):
            for candidate in candidates:
                if any(matches(t) for t in _labels(candidate)):
                    return await self._press(candidate, label, matches)
        raise AssertionError(
            f"{self.name} sees no button {label!r}.\nVisible buttons:\n{self._visible()}"
        )

    async def press_in(self, message: WaMessage | str, label: str) -> str:
        """Tap ``label`` on a given (possibly old) message."""
        found = self._message(message)
        for matches in _matchers(label):
            if any(matches(t) for t in _labels(found)):
                return await self._press(found, label, matches)
        raise AssertionError(f"message {found.id} shows no {label!r}: {_labels(found)}")

    async def send_document(
        self,
        content: bytes,
        filename: str,
        mime_type: str,
        caption: str | None = None,
        *,
        forwarded: bool = False,
        declared_size: int | None = None,
    ) -> str:
        """Send a file as a document; returns the wamid.

        ``declared_size`` makes ``GET /{media-id}`` report that ``file_size`` instead of
        ``len(content)`` (to emulate a 150 MB file cheaply; the download still gives ``content``).
        """
        media = self.fake.add_incoming_media(
            content, mime_type, filename, declared_size=declared_size
        )
        document: JSON = {
            "filename": filename,
            "mime_type": mime_type,
            "sha256": _b64_sha256(content),
            "id": media.id,
        }
        if caption is not None:
            document["caption"] = caption
        message: JSON = {"type": "document", "document": document}
        if forwarded:
            message["context"] = {"forwarded": True}
        return await self._post(message, caption or "", attachment=f"📎 {filename}")

    async def send_image(
        self, content: bytes, mime_type: str = "image/jpeg", caption: str | None = None
    ) -> str:
        """Send a photo; returns the wamid."""
        media = self.fake.add_incoming_media(content, mime_type)
        image: JSON = {"mime_type": mime_type, "sha256": _b64_sha256(content), "id": media.id}
        if caption is not None:
            image["caption"] = caption
        return await self._post(
            {"type": "image", "image": image}, caption or "", attachment="🖼 photo"
        )

    async def send_voice(self, content: bytes = b"OggS\x00voice") -> str:
        """Send a voice note (audio, ``voice: true``)."""
        mime = "audio/ogg; codecs=opus"
        media = self.fake.add_incoming_media(content, mime)
        audio = {"mime_type": mime, "sha256": _b64_sha256(content), "id": media.id, "voice": True}
        return await self._post({"type": "audio", "audio": audio}, "", attachment="🎤 voice note")

    async def send_sticker(self, content: bytes = b"RIFF\x00\x00\x00\x00WEBP") -> str:
        """Send a sticker (webp)."""
        media = self.fake.add_incoming_media(content, "image/webp")
        sticker = {
            "mime_type": "image/webp",
            "sha256": _b64_sha256(content),
            "id": media.id,
            "animated": False,
        }
        return await self._post({"type": "sticker", "sticker": sticker}, "", attachment="🏷 sticker")

    async def send_location(
        self,
        latitude: float = -0.0263,
        longitude: float = 109.3425,
        name: str | None = None,
        address: str | None = None,
    ) -> str:
        """Share a location (Pontianak by default)."""
        location: JSON = {"latitude": latitude, "longitude": longitude}
        if name is not None:
            location["name"] = name
        if address is not None:
            location["address"] = address
        return await self._post(
            {"type": "location", "location": location}, "", attachment=f"📍 {latitude},{longitude}"
        )

    async def send_contacts(self, name: str = "Budi", phone: str = "6281200000009") -> str:
        """Share a contact card."""
        card = {
            "name": {"formatted_name": name, "first_name": name},
            "phones": [{"phone": f"+{phone}", "wa_id": phone, "type": "CELL"}],
        }
        return await self._post(
            {"type": "contacts", "contacts": [card]}, "", attachment=f"👤 contact {name}"
        )

    async def react(self, message: WaMessage | str, emoji: str) -> str:
        """React to one of the bot's messages (an empty ``emoji`` removes the reaction)."""
        wamid = message.id if isinstance(message, WaMessage) else message
        return await self._post(
            {"type": "reaction", "reaction": {"message_id": wamid, "emoji": emoji}},
            "",
            attachment=f"reacted {emoji or '(removed)'} to {wamid[-8:]}",
        )

    async def edit(self, message: str, new_text: str) -> str:
        """Edit one of the person's own texts (the ``edit`` message of the webhook); the new wamid."""
        if not any(m.id == message and m.wa_id == self.wa_id for m in self.fake.incoming):
            raise AssertionError(f"{self.name} has no message {message!r} to edit")
        body = {
            "type": "edit",
            "edit": {
                "original_message_id": message,
                "message": {"type": "text", "text": {"body": new_text}},
            },
        }
        return await self._post(body, new_text, attachment="(edited)")

    async def send_raw(self, message: JSON, description: str = "(raw message)") -> str:
        """Post any ``messages[0]`` object (without id, from and timestamp): e.g. ``unsupported``."""
        return await self._post(message, "", attachment=description)

    # ------------------------------------------------------------------ reading

    @property
    def messages(self) -> list[WaMessage]:
        """The bot's messages that reached this person, oldest first."""
        return list(self.inbox)

    @property
    def last_message(self) -> WaMessage | None:
        return self.inbox[-1] if self.inbox else None

    async def next_message(self, timeout: float = DEFAULT_TIMEOUT) -> WaMessage:  # noqa: ASYNC109
        """Wait for the next message from the bot, consume (and read) it."""

        def oldest_new() -> WaMessage | None:
            return next((m for m in self.inbox if m.seq > self._consumed_seq), None)

        found = await self.fake.wait_for(oldest_new, timeout)
        if found is None:
            raise self._timeout("a new message", timeout)
        self._consume(found)
        return found

    async def wait_until(
        self,
        predicate: Callable[[WaMessage], bool],
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
        *,
        description: str = "a message matching the condition",
    ) -> WaMessage:
        """Wait until a new message of the bot satisfies ``predicate``."""

        def first_match() -> WaMessage | None:
            return next(
                (m for m in self.inbox if m.seq > self._consumed_seq and predicate(m)), None
            )

        found = await self.fake.wait_for(first_match, timeout)
        if found is None:
            raise self._timeout(description, timeout)
        self._consume(found)
        return found

    async def wait_for_text(
        self,
        substring: str,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    ) -> WaMessage:
        """Wait until a new message of the bot contains ``substring`` (markup kept or stripped)."""
        return await self.wait_until(
            lambda m: substring in m.text or substring in m.plain,
            timeout,
            description=f"a message containing {substring!r}",
        )

    # ------------------------------------------------------------------ internals

    async def _post(self, message: JSON, text: str, *, attachment: str | None = None) -> str:
        incoming = self.fake.post_incoming(self, message)
        self.fake.add_entry("person", self.name, text, attachment=attachment)
        await asyncio.sleep(0)
        return incoming.id

    async def _press(self, message: WaMessage, label: str, matches: Callable[[str], bool]) -> str:
        context = self._context(message)
        if message.template is not None:
            index = next(i for i, t in enumerate(message.template.quick_replies) if matches(t))
            title = message.template.quick_replies[index]
            body: JSON = {
                "type": "button",
                "button": {"payload": message.template.payloads[index], "text": title},
                "context": context,
            }
            shown = f"pressed [ {title} ]"
        elif message.reply_buttons:
            button_id, title = next((i, t) for i, t in message.reply_buttons if matches(t))
            body = {
                "type": "interactive",
                "interactive": {
                    "type": "button_reply",
                    "button_reply": {"id": button_id, "title": title},
                },
                "context": context,
            }
            shown = f"pressed [ {title} ]"
        else:
            row_id, title, description = next(r for r in message.list_rows if matches(r[1]))
            reply: JSON = {"id": row_id, "title": title}
            if description is not None:
                reply["description"] = description
            body = {
                "type": "interactive",
                "interactive": {"type": "list_reply", "list_reply": reply},
                "context": context,
            }
            shown = f"opened [ {message.list_button} ] and chose [ {title} ]"
        incoming = self.fake.post_incoming(self, body)
        self.fake.add_entry("person", self.name, "", attachment=shown)
        await asyncio.sleep(0)
        return incoming.id

    def _context(self, message: WaMessage | str) -> JSON:
        wamid = message.id if isinstance(message, WaMessage) else message
        return {"from": self.fake.number, "id": wamid}

    def _message(self, message: WaMessage | str) -> WaMessage:
        wamid = message.id if isinstance(message, WaMessage) else message
        found = next((m for m in self.inbox if m.id == wamid), None)
        if found is None:
            raise AssertionError(f"{self.name} never got message {wamid!r}")
        return found

    def _consume(self, message: WaMessage) -> None:
        self._consumed_seq = max(self._consumed_seq, message.seq)
        self.fake.mark_read(self, message)

    def _visible(self) -> str:
        lines = [
            f"  {m.id[-10:]} {m.plain[:40]!r}: {' / '.join(_labels(m))}"
            for m in reversed(self.inbox)
            if _labels(m)
        ]
        return "\n".join(lines[:8]) or "  (no message with buttons)"

    def _timeout(self, what: str, timeout: float) -> AssertionError:
        recent = "\n".join(
            f"    {m.id[-10:]} [{m.status}] {m.plain[:80]!r} {_labels(m)}" for m in self.inbox[-8:]
        )
        failed = [
            f"{m.id[-10:]} {m.errors[0].get('code') if m.errors else ''}"
            for m in self.fake.messages.values()
            if m.to == self.wa_id and m.status == "failed"
        ]
        details = [
            f"{self.name} waited {timeout}s for {what}.",
            "Recent messages:",
            recent or "    (none)",
        ]
        if failed:
            details.append(f"Messages to {self.name} that failed: {failed}")
        pending = self.fake.pending_events
        if pending:
            details.append(f"Webhooks the bot has not accepted: {len(pending)}")
        return AssertionError("\n".join(details))


def _labels(message: WaMessage) -> list[str]:
    return message.buttons or message.rows


def _matchers(label: str) -> list[Callable[[str], bool]]:
    return [
        lambda text: text == label,
        lambda text: label in text,
        lambda text: label.casefold() in text.casefold(),
    ]


def _b64_sha256(content: bytes) -> str:
    return base64.b64encode(hashlib.sha256(content).digest()).decode()
