"""Sending on WhatsApp: screens and notices fitted to WhatsApp's limits, files by media id, and
notices in short (templates) for people outside the 24-hour window.

A screen goes through the fitter with `WHATSAPP`'s capabilities: up to 3 actions as reply
buttons, more as a list of up to 10 rows (and further lists, "Pilihan lainnya 2/3"); a text too
long for one message as several. WhatsApp cannot edit a sent message, so a screen that replaces
the pressed one is simply sent anew. A file is uploaded once and re-sent by its media id while
Meta keeps it (30 days; the bot re-uploads after 29).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Protocol, TypeVar

import httpx
from pywa.types.callback import Button, Section, SectionList, SectionRow
from pywa.types.templates import TemplateLanguage
from pywa_async.client import WhatsApp
from pywa_async.errors import WhatsAppError

from bot.channels.base import OutgoingFile, Reply, Response
from bot.channels.fit import Fitted, fit
from bot.channels.markup import to_plain
from bot.channels.port import WHATSAPP, Brief, Capabilities, DeliveryError
from bot.channels.whatsapp.templates import LANGUAGE, template_of
from bot.texts import t

log = logging.getLogger(__name__)
# Meta lets one number send 80 messages a second (error 130429 beyond); the bot keeps a margin
# for the clocks of both sides, and counts every message, answers and notices, in one budget.
MESSAGES_PER_SECOND = 76.0
MAX_CAPTION = 1024
MAX_TEMPLATE_VALUE = 300  # a template parameter: one line, short (Meta refuses newlines, tabs)
ANSWER_TRIES = 3  # an answer refused for a passing reason, tried again while the person waits
ANSWER_PAUSE_S = 2.0  # the longest pause between those tries

T = TypeVar("T")


class MediaIds(Protocol):
    """Where the ids of uploaded files are kept (by the sha256 of their bytes)."""

    async def get(self, digest: str) -> str | None: ...

    async def put(self, digest: str, media_id: str) -> None: ...

    async def forget(self, digest: str) -> None: ...


# Meta's error codes, by what they mean for a notice.
WAIT = {130429: 2.0, 131056: 10.0, 4: 60.0, 80007: 60.0, 131048: 3600.0, 133016: 600.0,
        # A template not (yet) approved, paused or disabled: an admin or Meta's review fixes it.
        132001: 3600.0, 132005: 3600.0, 132007: 3600.0, 132015: 3600.0, 132016: 3600.0}  # fmt: skip
WINDOW = {131047}
MEDIA_GONE = {100, 131009, 131052, 131053}  # the media id is unknown or expired: upload again
GONE = {131026: "unreachable-wa-gone", 131030: "unreachable-wa-refused",
        131021: "unreachable-wa-refused", 131031: "unreachable-wa-refused",
        131050: "unreachable-blocked"}  # fmt: skip
TRANSIENT = {
    1,
    2,
    131000,
    131016,
    131049,
    0,
    190,
    10,
    3,
}  # service faults; credentials fixed by an admin


def delivery_error(code: int | None, detail: str, http_status: int | None = None) -> DeliveryError:
    """What one of Meta's error codes (synchronous, or in a `failed` status) means for a
    notice, in the port's neutral terms. A refused token is retried: the notices must survive
    until an admin fixes the settings (the start and the log say so)."""
    text = f"whatsapp {code}: {detail}"
    if code in WAIT:
        return DeliveryError("retry_after", text, retry_in=timedelta(seconds=WAIT[code]))
    if code in WINDOW:
        return DeliveryError("window_closed", text)
    if code in GONE:
        return DeliveryError("permanent", text, reach=GONE[code])
    if code in TRANSIENT or (http_status is not None and http_status >= 500) or code is None:
        return DeliveryError("transient", text)
    if code is not None and 200 <= code < 300:
        return DeliveryError("transient", text)  # a permission an admin must grant
    return DeliveryError("permanent", text)


def _as_delivery_error(exc: Exception) -> DeliveryError:
    if isinstance(exc, WhatsAppError):
        return delivery_error(exc.code, exc.message or type(exc).__name__, exc.status_code)
    return DeliveryError("transient", f"network: {type(exc).__name__}: {exc}")


def _single_line(value: str) -> str:
    """A template parameter: plain, on one line, without runs of spaces (Meta's rules)."""
    text = " ".join(to_plain(value).split())
    return text[: MAX_TEMPLATE_VALUE - 1] + "…" if len(text) > MAX_TEMPLATE_VALUE else text


class Pace:
    """One number's budget of `rate` messages a second, answers first: an answer to a person
    takes its slot at once (`now`), a notice waits for a free one (`turn`), so that notices use
    what the people's own taps leave and the two together stay within the rate."""

    def __init__(self, rate: float) -> None:
        self._gap = 1.0 / rate
        self._next = 0.0
        self._lock = asyncio.Lock()

    def now(self) -> None:
        """An answer goes now; the notices after it move one slot on."""
        self._next = max(time.monotonic(), self._next) + self._gap

    async def turn(self) -> None:
        async with self._lock:
            while True:
                wait = self._next - time.monotonic()
                if wait <= 0:
                    break
                # An answer may take the slot meanwhile: look again after the pause.
                await asyncio.sleep(wait)
            self._next = max(time.monotonic(), self._next) + self._gap


class WhatsAppSender:
    """Sends neutral replies and notices to WhatsApp people (by their business-scoped user id or
    number)."""

    capabilities: Capabilities = WHATSAPP

    def __init__(
        self, client: WhatsApp, media: MediaIds, rate: float = MESSAGES_PER_SECOND
    ) -> None:
        self.client = client
        self.media = media
        self._pace = Pace(rate)

    # ------------------------------------------------------------------ answers to a person

    async def answer(self, chat_id: str, response: Response) -> None:
        """The router's response to a person's message or press: WhatsApp has no toasts, so the
        short answer to a press is a message of its own, before the screens."""
        if response.note:
            await self._text(chat_id, response.note)
        for reply in response.replies:
            await self.send(chat_id, reply)

    async def send(self, chat_id: str, reply: Reply, notice: bool = False) -> list[str]:
        """One screen: its files in order, then its text and actions (fitted)."""
        sent = []
        for f in reply.files:
            sent += await self.send_file(chat_id, f, notice=notice)
        for message in fit(reply, WHATSAPP):
            sent.append(await self._message(chat_id, message, notice=notice))
        return sent

    # ------------------------------------------------------------------ notices (the port)

    def parts(self, reply: Reply) -> int:
        """Each file, then each message of the fitted text: on WhatsApp a notice is often two
        or three (a list of 10 cases and its further choices), and a retry after a refusal of
        the second must not send the first again."""
        return len(reply.files) + len(fit(reply, WHATSAPP))

    async def send_part(self, chat_id: str | int, reply: Reply, index: int) -> list[str]:
        """Part `index` of a notice: one of its files, or one message of its fitted text."""
        try:
            if index < len(reply.files):
                return await self.send_file(str(chat_id), reply.files[index], notice=True)
            messages = fit(reply, WHATSAPP)
            at = min(index - len(reply.files), len(messages) - 1)
            return [await self._message(str(chat_id), messages[at], notice=True)]
        except (WhatsAppError, httpx.HTTPError) as exc:
            raise _as_delivery_error(exc) from exc

    async def send_brief(self, chat_id: str | int, brief: Brief) -> list[str]:
        """A notice in short: its approved template, the essentials as parameters, and the quick
        reply that opens it in full."""
        template = template_of(brief.kind)
        params = [
            {"type": "body", "parameters": [{"type": "text", "text": _single_line(v)}
                                            for v in brief.values]},
            {"type": "button", "sub_type": "quick_reply", "index": "0",
             "parameters": [{"type": "payload", "payload": brief.button}]},
        ]  # fmt: skip
        try:
            await self._pace.turn()
            sent = await self.client.send_template(
                str(chat_id),
                name=template.name,
                language=TemplateLanguage(LANGUAGE),
                params=params,
            )
        except (WhatsAppError, httpx.HTTPError) as exc:
            raise _as_delivery_error(exc) from exc
        return [sent.id]

    # ------------------------------------------------------------------ the messages

    async def _text(self, chat_id: str, text: str) -> str:
        for message in fit(Reply(text=text), WHATSAPP):
            last = await self._message(chat_id, message)
        return last

    async def _message(self, chat_id: str, message: Fitted, notice: bool = False) -> str:
        await self._paced(notice)
        actions = message.actions
        buttons: list[Button] | SectionList | None = None
        if actions and not message.as_list:
            buttons = [Button(title=b.label, callback_data=b.data) for b in actions]
        elif actions:
            rows = [SectionRow(title=b.label, callback_data=b.data) for b in actions]
            section = Section(title=to_plain(t("fit-list-title")), rows=rows)
            buttons = SectionList(button_title=to_plain(t("fit-list-button")), sections=[section])
        sent = await self._call(
            lambda: self.client.send_message(chat_id, message.text, buttons=buttons), notice
        )
        return str(sent.id)

    async def _paced(self, notice: bool) -> None:
        """Take a slot of the number's budget: a notice waits for one, an answer takes it now."""
        if notice:
            await self._pace.turn()
        else:
            self._pace.now()

    async def _call(self, send: Callable[[], Awaitable[T]], notice: bool) -> T:
        """One request to the Graph API. An answer is tried again, briefly, when Meta refused it
        for a reason that passes (a server fault, a throughput limit): the person is waiting for
        it now, and a lost answer would be an error message instead. Only a refusal is tried
        again, never a time-out (Meta may have taken that one). A notice's send is the
        dispatcher's to retry, with its records."""
        for attempt in range(1, ANSWER_TRIES + 1):
            try:
                return await send()
            except WhatsAppError as exc:
                error = _as_delivery_error(exc)
                passing = error.kind in ("transient", "retry_after")
                if notice or not passing or attempt == ANSWER_TRIES:
                    raise
                pause = error.retry_in.total_seconds() if error.retry_in else 0.5 * attempt
                log.info("answer refused (%s), trying again", error.detail)
                await asyncio.sleep(min(pause, ANSWER_PAUSE_S))
        raise AssertionError("unreachable")  # pragma: no cover

    async def send_file(self, chat_id: str, f: OutgoingFile, notice: bool = False) -> list[str]:
        """A file by its media id: uploaded once, re-sent while Meta keeps it."""
        content = f.data if f.data is not None else (f.path.read_bytes() if f.path else None)
        if content is None:
            return []
        digest = hashlib.sha256(content).hexdigest()
        caption = to_plain(f.caption)[:MAX_CAPTION] if f.caption else None
        media_id = await self.media.get(digest)
        await self._paced(notice)
        if media_id is not None:
            try:
                return [await self._send_media(chat_id, f, media_id, caption, notice)]
            except WhatsAppError as exc:
                if exc.code not in MEDIA_GONE:
                    raise  # a refusal of the message, not of the file: uploading would not help
                log.info("re-uploading %s: media id refused (%s)", f.name, exc.code)
                await self.media.forget(digest)
        phone = self.client.phone_id
        assert phone is not None
        uploaded = await self._call(
            lambda: self.client.api.upload_media(
                phone_id=str(phone), media=content, mime_type=f.mime, filename=f.name
            ),
            notice,
        )
        media_id = str(uploaded["id"])
        await self.media.put(digest, media_id)
        return [await self._send_media(chat_id, f, media_id, caption, notice)]

    async def _send_media(
        self, chat_id: str, f: OutgoingFile, media_id: str, caption: str | None, notice: bool
    ) -> str:
        if f.mime.startswith("image/"):
            sent = await self._call(
                lambda: self.client.send_image(chat_id, media_id, caption=caption), notice
            )
        else:
            sent = await self._call(
                lambda: self.client.send_document(
                    chat_id, media_id, filename=f.name, caption=caption, mime_type=f.mime
                ),
                notice,
            )
        return str(sent.id)
