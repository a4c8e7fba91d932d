"""A fake WhatsApp Cloud API (Meta's Graph API) on 127.0.0.1, for the tests and the offline demo.

The bot's WhatsApp adapter (pywa's async client) talks to it over HTTP as it talks to
``graph.facebook.com``; people played by the tests post signed webhooks to the bot::

    async with FakeWhatsApp() as fake:
        await fake.deliver_to("http://127.0.0.1:8443/whatsapp", verify_token="...")
        sari = fake.person("6281234567001", "Sari")
        await sari.send("halo")
        reply = await sari.next_message()

What it answers, with Meta's shapes and error codes (``{"error": {"message", "type", "code",
"error_subcode", "error_data": {"details"}, "fbtrace_id"}}``):

* ``POST /{v}/{phone-number-id}/messages``: text, interactive ``button`` and ``list``, ``document`` and
  ``image`` (by media ``id`` or ``link``), ``template``, and read receipts. Limits break with a
  synchronous 400 (see :mod:`bot.fakeapi.whatsapp.validation`); throughput (``rate_limit_per_second``,
  80 by default) with 130429; the optional per-person ``pair_limit`` with 131056. A message the person
  cannot get is accepted (200, a wamid) and then fails *asynchronously* with a ``failed`` status
  webhook, as on the real platform: 131047 outside the 24-hour window (templates excepted), 131026 for
  an unknown or unreachable number, 131053 for media that cannot be found (an unknown or expired
  media id; a ``link`` is taken as it is, not fetched). A delivered message gets ``sent`` then ``delivered``, and
  ``read`` once the person reads it.
* ``POST /{v}/{phone-number-id}/media`` (multipart ``file``, ``type``, ``messaging_product``), ``GET
  /{v}/{media-id}`` (a download URL valid 5 minutes of the fake clock), the download itself (Bearer
  token), ``DELETE /{v}/{media-id}``. Incoming media ids live 7 days, uploaded ones 30 days; then
  ``GET`` answers 400 with code 100, subcode 33, like any unknown object. Uploads: images up to 5 MB,
  documents 100 MB.
* ``GET``/``POST``/``DELETE /{v}/{waba-id}/message_templates`` in Meta's creation format; a template
  is APPROVED at once with ``auto_approve_templates`` (else PENDING until :meth:`approve`). Sending a
  template that is unknown or not approved answers 132001; a wrong parameter count 132000.

Every request needs ``Authorization: Bearer <token>`` (else 401, code 190). Webhooks are posted one
per event, signed ``X-Hub-Signature-256``, at least once: a non-200 answer, a connection error or a
time-out is retried with backoff until accepted (:meth:`settled` waits for all of them).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import itertools
import json
import re
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Literal, Self, TypeVar, cast

from aiohttp import web

from bot.fakeapi.whatsapp.delivery import WebhookDelivery
from bot.fakeapi.whatsapp.media import (
    INCOMING_MEDIA_TTL,
    MAX_DOCUMENT_SIZE,
    MEDIA_URL_TTL,
    UPLOADED_MEDIA_TTL,
    read_upload,
)
from bot.fakeapi.whatsapp.models import (
    JSON,
    STATUS_RANK,
    ApiCall,
    DocumentView,
    EntryKind,
    GraphError,
    IncomingMessage,
    Media,
    MessageKind,
    Template,
    TranscriptEntry,
    WaMessage,
    WebhookEvent,
)
from bot.fakeapi.whatsapp.people import FakeWhatsAppPerson
from bot.fakeapi.whatsapp.templates import create as create_template
from bot.fakeapi.whatsapp.templates import find as find_template
from bot.fakeapi.whatsapp.templates import listing
from bot.fakeapi.whatsapp.templates import render as render_template
from bot.fakeapi.whatsapp.transcript import render_transcript
from bot.fakeapi.whatsapp.validation import Outgoing, invalid, malformed, parse_send
from bot.fakeapi.whatsapp.webhooks import (
    contact,
    encode,
    envelope,
    message_value,
    signature,
    status_error,
    status_value,
)

T = TypeVar("T")

DEFAULT_TOKEN = "TEST-WA-TOKEN"
DEFAULT_API_VERSION = "v23.0"
WINDOW = timedelta(hours=24)
_VERSION = re.compile(r"^/(v\d+\.\d+)(/.*)$")


def _object_missing(node: str) -> GraphError:
    return GraphError(
        400,
        100,
        f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded due "
        "to missing permissions, or does not support this operation.",
        subcode=33,
    )


@dataclass
class _Fault:
    remaining: int
    status: int
    code: int | None
    delay: float
    only: str | None


@dataclass
class _MediaUrl:
    media_id: str
    expires: datetime


class FakeWhatsApp:
    """The fake Cloud API server, its state, and the people who write to the business."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        phone_number_id: str = "1000000001",
        waba_id: str = "2000000001",
        app_secret: str = "test-app-secret",
        number: str = "6281100000001",
        clock: Callable[[], datetime] | None = None,
        auto_approve_templates: bool = True,
    ) -> None:
        self.token = token
        self.phone_number_id = phone_number_id
        self.waba_id = waba_id
        self.app_secret = app_secret
        self.number = number
        self.auto_approve_templates = auto_approve_templates
        self.verified_name = "PPID Kota Pontianak"
        """The business name ``GET /{phone-number-id}`` reports."""
        self._clock = clock or (lambda: datetime.now(UTC))
        self._offset = timedelta(0)

        self.rate_limit_per_second: int | None = 80
        """Messages per second the number may send (130429 beyond); None: unlimited."""
        self.pair_limit: tuple[int, float] | None = None
        """(count, seconds): at most ``count`` messages to one person per ``seconds`` (131056)."""
        self.monotonic: Callable[[], float] = time.monotonic
        """The clock of the rate limits (real seconds); a test may freeze it."""
        self.reverse_statuses = False
        """Post each message's ``delivered`` status before its ``sent`` status."""
        self.duplicate_statuses = False
        """Post every status webhook twice."""
        self.failed_status_contacts = True
        """Whether ``failed`` statuses carry ``contacts`` (pywa 4.5 needs it to parse them). Meta's
        2026 payloads leave it out, and ``recipient_user_id`` too when the message was sent to a
        phone number: set False to test a parser against that."""
        self.delivery = WebhookDelivery(app_secret, self._notify)
        """The webhook poster (``delivery.timeout``, ``delivery.retry_backoff`` may be tuned)."""

        self.sent: list[ApiCall] = []
        """Every API request, oldest first (the bot's calls, for assertions)."""
        self.messages: dict[str, WaMessage] = {}
        """Every message the API accepted, by wamid (including those that failed later)."""
        self.incoming: list[IncomingMessage] = []
        """Every message people posted, oldest first."""
        self.events: list[WebhookEvent] = []
        """Every webhook the fake owes or delivered, oldest first."""
        self.templates: list[Template] = []
        self.media: dict[str, Media] = {}
        self.entries: list[TranscriptEntry] = []
        """The conversation, for :meth:`transcript`."""
        self.protocol_errors: list[str] = []
        """Requests the fake did not understand (an unknown path)."""

        self._people: dict[str, FakeWhatsAppPerson] = {}
        self._by_bsuid: dict[str, FakeWhatsAppPerson] = {}
        self._media_urls: dict[str, _MediaUrl] = {}
        self._faults: list[_Fault] = []
        self._sends: deque[float] = deque()
        self._pair_sends: dict[str, deque[float]] = {}
        self._ids = itertools.count(1)
        self._seq = 0
        self._changed: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._port = 0

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Serve on 127.0.0.1 on a free port."""
        self._changed = asyncio.Event()
        app = web.Application(client_max_size=MAX_DOCUMENT_SIZE + 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self._port = int(sockets[0].getsockname()[1])
        await self.delivery.start()

    async def stop(self) -> None:
        """Stop delivering and serving."""
        await self.delivery.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_url(self) -> str:
        """The Graph API root, without the version (the client appends ``/v23.0``)."""
        return f"http://127.0.0.1:{self._port}"

    def environment(self, verify_token: str = "test-verify-token") -> dict[str, str]:
        """The bot's settings (issue 14's names) that point it at this fake."""
        return {
            "PPID_WHATSAPP_TOKEN": self.token,
            "PPID_WHATSAPP_PHONE_NUMBER_ID": self.phone_number_id,
            "PPID_WHATSAPP_APP_SECRET": self.app_secret,
            "PPID_WHATSAPP_VERIFY_TOKEN": verify_token,
            "PPID_WHATSAPP_NUMBER": self.number,
            "PPID_WHATSAPP_API_URL": self.api_url,
            "PPID_WHATSAPP_API_VERSION": DEFAULT_API_VERSION,
            "PPID_WHATSAPP_BUSINESS_ACCOUNT_ID": self.waba_id,
        }

    # ------------------------------------------------------------------ time

    def now(self) -> datetime:
        """The fake's clock (the ``clock`` given, moved by :meth:`travel`)."""
        return self._clock() + self._offset

    def travel(self, delta: timedelta) -> None:
        """Move the fake's clock forward (windows close, media URLs and ids expire)."""
        self._offset += delta

    # ------------------------------------------------------------------ people

    def person(self, wa_id: str, name: str, bsuid: str | None = None) -> FakeWhatsAppPerson:
        """The person with this number (created on first use); ``bsuid`` defaults to a stable one."""
        existing = self._people.get(wa_id)
        if existing is not None:
            return existing
        if bsuid is None:
            digest = int(hashlib.sha256(wa_id.encode()).hexdigest(), 16)
            bsuid = f"{'ID' if wa_id.startswith('62') else 'US'}.{digest % 10**16:016d}"
        created = FakeWhatsAppPerson(self, wa_id=wa_id, name=name, bsuid=bsuid)
        self._people[wa_id] = created
        self._by_bsuid[bsuid] = created
        return created

    @property
    def people(self) -> list[FakeWhatsAppPerson]:
        return list(self._people.values())

    def find_person(self, recipient: str) -> FakeWhatsAppPerson | None:
        """The person a ``to`` (number, with or without ``+``) or ``recipient`` (BSUID) names."""
        if recipient in self._by_bsuid:
            return self._by_bsuid[recipient]
        digits = re.sub(r"\D", "", recipient)
        return self._people.get(digits)

    def in_window(self, person: FakeWhatsAppPerson) -> bool:
        """Whether the person wrote to the business within the last 24 hours (fake clock)."""
        last = person.last_incoming
        return last is not None and self.now() - last < WINDOW

    # ------------------------------------------------------------------ templates

    def approve(self, name: str) -> None:
        """Approve every language of a PENDING template."""
        found = [t for t in self.templates if t.name == name]
        if not found:
            raise KeyError(f"no template {name!r}")
        for template in found:
            template.status = "APPROVED"

    def reject(self, name: str) -> None:
        """Reject a template (it can no longer be sent)."""
        for template in self.templates:
            if template.name == name:
                template.status = "REJECTED"

    def remove_template(self, name: str) -> None:
        """Delete a template (every language), as the business manager would."""
        self.templates = [t for t in self.templates if t.name != name]

    def add_template(
        self,
        name: str,
        body: str,
        *,
        language: str = "id",
        quick_replies: tuple[str, ...] = (),
        status: str = "APPROVED",
    ) -> Template:
        """Create a template directly (without the API), e.g. to pre-approve what the bot needs."""
        components: list[JSON] = [{"type": "BODY", "text": body}]
        if quick_replies:
            components.append(
                {
                    "type": "BUTTONS",
                    "buttons": [{"type": "QUICK_REPLY", "text": q} for q in quick_replies],
                }
            )
        template = Template(
            id=self._new_numeric_id(),
            name=name,
            language=language,
            category="UTILITY",
            components=components,
            status="APPROVED" if status == "APPROVED" else "PENDING",
        )
        self.templates.append(template)
        return template

    def template(self, name: str, language: str | None = None) -> Template | None:
        """The template of that name (and language), whatever its status."""
        return find_template(self.templates, name, language)

    # ------------------------------------------------------------------ faults

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 500,
        code: int | None = None,
        only: str | None = "/messages",
    ) -> None:
        """Answer the next ``n`` API calls whose path contains ``only`` (None: every call) with an
        error: 500 (code 1 by default), 503 (131016) or 429 / 400 (130429 by default)."""
        self._faults.append(_Fault(n, status, code, 0.0, only))

    def slow_next(self, n: int = 1, *, seconds: float, only: str | None = "/messages") -> None:
        """Answer the next ``n`` calls only after ``seconds`` (then normally): client time-outs."""
        self._faults.append(_Fault(n, 200, None, seconds, only))

    def _take_fault(self, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and (fault.only is None or fault.only in path):
                fault.remaining -= 1
                return fault
        return None

    # ------------------------------------------------------------------ reading state

    def statuses_of(self, wamid: str) -> list[str]:
        """The statuses posted (or owed) for a message, in the order they were queued."""
        return [
            json.loads(e.body)["entry"][0]["changes"][0]["value"]["statuses"][0]["status"]
            for e in self.events
            if e.kind == "status" and e.ref == wamid
        ]

    def calls_to(self, suffix: str, method: str = "POST") -> list[ApiCall]:
        """The API calls whose path ends with ``suffix`` (e.g. ``/messages``)."""
        return [c for c in self.sent if c.method == method and c.path.endswith(suffix)]

    @property
    def pending_events(self) -> list[WebhookEvent]:
        """Webhooks not yet accepted by the bot."""
        return [e for e in self.events if not e.delivered]

    def transcript(self, bot_name: str = "PPID Bot") -> str:
        """The WhatsApp conversation of all people, chronological and readable."""
        return render_transcript(self.entries, bot_name)

    async def wait_for(self, check: Callable[[], T | None], timeout: float) -> T | None:  # noqa: ASYNC109
        """Return ``check()`` as soon as it is not None, re-checking after every change."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._changed
            result = check()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0 or changed is None:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = asyncio.Event()

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # ------------------------------------------------------------------ webhooks

    async def deliver_to(self, url: str, *, verify_token: str) -> None:
        """Subscribe ``url`` as Meta does (the GET handshake) and deliver every webhook there."""
        await self.delivery.subscribe(url, verify_token)

    @property
    def webhook_timeout(self) -> float:
        """Seconds a webhook POST may take before it counts as failed (and is retried)."""
        return self.delivery.timeout

    @webhook_timeout.setter
    def webhook_timeout(self, seconds: float) -> None:
        self.delivery.timeout = seconds

    def stop_delivery(self) -> None:
        """Stop posting webhooks (they stay pending until :meth:`deliver_to` again)."""
        self.delivery.url = None

    async def settled(self, timeout: float = 15.0) -> None:  # noqa: ASYNC109
        """Wait until the bot accepted every webhook owed so far."""
        done = await self.wait_for(lambda: True if not self.pending_events else None, timeout)
        if done is None:
            pending = self.pending_events
            raise AssertionError(
                f"{len(pending)} webhook(s) not accepted within {timeout}s: "
                + "; ".join(
                    f"{e.id} {e.kind} {e.ref} answers {e.statuses_answered}" for e in pending[:5]
                )
            )

    async def post_raw(self, body: bytes, signature: str | None) -> int:
        """POST arbitrary bytes to the webhook, with this ``X-Hub-Signature-256`` (None: none)."""
        return await self.delivery.post(body, signature)

    def sign(self, body: bytes) -> str:
        """The signature Meta would put on ``body``."""
        return signature(body, self.app_secret)

    async def replay(self, event_id: str) -> int:
        """POST an already posted webhook again (by its event id or the wamid it is about)."""
        event = next((e for e in self.events if e.id == event_id), None)
        if event is None:
            event = next((e for e in self.events if e.ref == event_id), None)
        if event is None:
            raise KeyError(f"no webhook event {event_id!r}")
        return await self.delivery.post(event.body, self.sign(event.body))

    def _queue_event(
        self, kind: Literal["message", "status"], ref: str, body: JSON
    ) -> WebhookEvent:
        event = WebhookEvent(id=f"evt-{next(self._ids)}", body=encode(body), kind=kind, ref=ref)
        self.events.append(event)
        self.delivery.queue(event)
        self._notify()
        return event

    # ------------------------------------------------------------------ people's messages

    def post_incoming(self, person: FakeWhatsAppPerson, message: JSON) -> IncomingMessage:
        """Record a message a person sends (``message`` without id/from/timestamp) and queue it."""
        now = self.now()
        wamid = self._new_wamid()
        full: JSON = {
            "from": person.wa_id,
            "from_user_id": person.bsuid,
            "id": wamid,
            "timestamp": str(int(now.timestamp())),
            **message,
        }
        incoming = IncomingMessage(
            id=wamid, wa_id=person.wa_id, type=str(message["type"]), payload=full, at=now
        )
        self.incoming.append(incoming)
        person.last_incoming = now
        body = envelope(
            self.waba_id,
            self._metadata(),
            message_value(contact(person.wa_id, person.bsuid, person.name), full),
        )
        self._queue_event("message", wamid, body)
        return incoming

    def add_incoming_media(
        self,
        content: bytes,
        mime_type: str,
        filename: str | None = None,
        *,
        declared_size: int | None = None,
    ) -> Media:
        """Store a person's attachment (its id lives 7 days)."""
        media = Media(
            id=self._new_numeric_id(),
            content=content,
            mime_type=mime_type,
            sha256=hashlib.sha256(content).hexdigest(),
            created_at=self.now(),
            origin="incoming",
            filename=filename,
            declared_size=declared_size,
        )
        self.media[media.id] = media
        return media

    def add_entry(
        self,
        kind: EntryKind,
        person: str,
        text: str,
        *,
        buttons: tuple[str, ...] = (),
        list_button: str | None = None,
        rows: tuple[str, ...] = (),
        attachment: str | None = None,
    ) -> None:
        """Append a line to the transcript."""
        self.entries.append(
            TranscriptEntry(
                kind=kind,
                person=person,
                text=text,
                seq=self._next_seq(),
                monotonic=time.monotonic(),
                buttons=buttons,
                list_button=list_button,
                rows=rows,
                attachment=attachment,
            )
        )
        self._notify()

    def forge_status(
        self, wamid: str, status: str = "delivered", *, wa_id: str = "6280000000000"
    ) -> WebhookEvent:
        """Queue a status webhook about a message the API never sent (a hostile or stale one)."""
        known = self._people.get(wa_id)
        contact_entry = (
            contact(known.wa_id, known.bsuid, None) if known is not None else {"wa_id": wa_id}
        )
        errors = [status_error(131026)] if status == "failed" else None
        value = status_value(
            wamid, status, int(self.now().timestamp()), contact_entry, errors=errors
        )
        return self._queue_event("status", wamid, envelope(self.waba_id, self._metadata(), value))

    def mark_read(self, person: FakeWhatsAppPerson, upto: WaMessage) -> None:
        """The person read the chat up to ``upto``: ``read`` statuses for what was not read yet."""
        for message in person.inbox:
            if message.seq <= upto.seq and message.status in ("sent", "delivered"):
                self._set_status(message, "read")

    # ------------------------------------------------------------------ HTTP

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        fbtrace = base64.b64encode(secrets.token_bytes(9)).decode()
        if request.path.startswith("/media-download/"):
            return await self._download(request)
        call = ApiCall(method=request.method, path=request.path, version="", body=None)
        try:
            self._check_auth(request)
            match = _VERSION.match(request.path)
            if match is None:
                self.protocol_errors.append(f"{request.method} {request.path}: no version")
                raise malformed(f"Unknown path components: {request.path}")
            call.version, call.path = match.group(1), match.group(2)
            fault = self._take_fault(call.path)
            self.sent.append(call)
            if fault is not None and not fault.delay:
                raise _fault_error(fault)
            try:
                result = await self._route(request, call)
            except (AttributeError, KeyError, TypeError, ValueError) as exc:
                # A request of a shape the fake did not foresee: Meta would say 100; make it loud.
                self.protocol_errors.append(f"{request.method} {call.path}: {exc!r}")
                raise malformed(f"Invalid parameter ({exc})") from exc
            call.status, call.response = 200, result
            self._notify()
            if fault is not None:
                # Done, but answered late: the client may give up while the message goes out.
                await asyncio.sleep(fault.delay)
            return web.json_response(result, dumps=lambda o: json.dumps(o, ensure_ascii=False))
        except GraphError as error:
            if call not in self.sent:
                self.sent.append(call)
            call.status, call.response = error.status, error.body(fbtrace)
            self._notify()
            return web.json_response(call.response, status=error.status)

    def _check_auth(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
        if token is None:
            token = request.query.get("access_token")
        if token != self.token:
            raise GraphError(
                401,
                190,
                "Invalid OAuth access token - Cannot parse access token"
                if not token
                else "Error validating access token: The session is invalid.",
            )

    async def _route(self, request: web.Request, call: ApiCall) -> JSON:
        parts = [p for p in call.path.split("/") if p]
        method = request.method
        if len(parts) == 2 and parts[0] == self.phone_number_id and parts[1] == "messages":
            if method != "POST":
                raise malformed("Unsupported method")
            try:
                payload = await request.json()
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise malformed("The request body is not valid JSON.") from exc
            call.body = payload
            return self._send(payload)
        if len(parts) == 2 and parts[0] == self.phone_number_id and parts[1] == "media":
            if method != "POST":
                raise malformed("Unsupported method")
            return await self._upload(request, call)
        if len(parts) == 2 and parts[0] == self.waba_id and parts[1] == "message_templates":
            return await self._templates(request, call)
        if parts == [self.phone_number_id] and method == "GET":
            call.body = dict(request.query)
            return self._phone_number()
        if len(parts) == 1 and parts[0] in self.media:
            call.body = dict(request.query)
            return self._media_node(parts[0], method)
        if len(parts) == 1 and (
            found := next((t for t in self.templates if t.id == parts[0]), None)
        ):
            return found.as_json()
        if len(parts) == 1:
            raise _object_missing(parts[0])
        self.protocol_errors.append(f"{method} {call.path}")
        raise malformed(f"Unknown path components: /{'/'.join(parts[1:])}")

    def _phone_number(self) -> JSON:
        """``GET /{phone-number-id}``: the business number (a start-up check of the token)."""
        return {
            "id": self.phone_number_id,
            "verified_name": self.verified_name,
            "display_phone_number": f"+{self.number}",
            "quality_rating": "GREEN",
            "code_verification_status": "VERIFIED",
            "platform_type": "CLOUD_API",
            "throughput": {"level": "STANDARD"},
            "status": "CONNECTED",
        }

    # ------------------------------------------------------------------ sending

    def _send(self, payload: Any) -> JSON:
        if isinstance(payload, dict) and "status" in payload:
            return self._read_receipt(payload)
        out = parse_send(payload)
        person = self.find_person(out.recipient)
        self._check_rates(out.recipient if person is None else person.wa_id)
        template_view = render_template(self.templates, out.template) if out.template else None
        document, media_error = self._document(out)
        wamid = self._new_wamid()
        message = WaMessage(
            id=wamid,
            to=person.wa_id if person is not None else re.sub(r"\D", "", out.recipient),
            # parse_send lets through only the kinds below (131051 for the others).
            kind=cast(MessageKind, "template" if template_view is not None else out.type),
            text=template_view.body if template_view is not None else out.text,
            payload=payload,
            seq=self._next_seq(),
            sent_at=self.now(),
            reply_buttons=tuple(out.reply_buttons),
            list_button=out.list_button,
            list_rows=tuple(out.list_rows),
            template=template_view,
            document=document,
            header=out.header,
            footer=out.footer,
        )
        self.messages[wamid] = message
        self._sends.append(self.monotonic())
        if person is not None:
            self._pair_sends.setdefault(person.wa_id, deque()).append(self.monotonic())
        failure: int | None = None
        if person is None or not person.can_receive:
            failure = 131026
        elif template_view is None and not self.in_window(person):
            failure = 131047
        elif media_error:
            failure = 131053
        name = person.name if person is not None else out.recipient
        if failure is not None:
            self._set_status(message, "failed", errors=[status_error(failure)], person=person)
            self.add_entry(
                "failed",
                name,
                message.text,
                attachment=f"✗ failed {failure}",
            )
        else:
            assert person is not None
            person.inbox.append(message)
            self.add_entry(
                "bot",
                name,
                message.text,
                buttons=tuple(message.buttons),
                list_button=message.list_button,
                rows=tuple(message.rows),
                attachment=_describe_document(document)
                if document is not None
                else f"📋 {template_view.name}"
                if template_view is not None
                else None,
            )
            category = "utility" if template_view is not None else "service"
            order = ("delivered", "sent") if self.reverse_statuses else ("sent", "delivered")
            for status in order:
                self._set_status(message, status, category=category)
        recipient_contact: JSON = {"input": out.recipient}
        if out.by_user_id and person is not None:
            recipient_contact["user_id"] = person.bsuid
        else:
            recipient_contact["wa_id"] = message.to
        return {
            "messaging_product": "whatsapp",
            "contacts": [recipient_contact],
            "messages": [{"id": wamid, "message_status": "accepted"}],
        }

    def _read_receipt(self, payload: JSON) -> JSON:
        if payload.get("status") != "read" or not isinstance(payload.get("message_id"), str):
            raise invalid("status must be 'read' with a message_id")
        if not any(m.id == payload["message_id"] for m in self.incoming):
            raise invalid(f"Invalid message_id {payload['message_id']!r}")
        return {"success": True}

    def _check_rates(self, key: str) -> None:
        now = self.monotonic()
        while self._sends and now - self._sends[0] >= 1.0:
            self._sends.popleft()
        if (
            self.rate_limit_per_second is not None
            and len(self._sends) >= self.rate_limit_per_second
        ):
            raise GraphError(
                400,
                130429,
                "(#130429) Rate limit hit",
                "Cloud API message throughput has been reached.",
            )
        if self.pair_limit is not None:
            count, seconds = self.pair_limit
            sends = self._pair_sends.setdefault(key, deque())
            while sends and now - sends[0] >= seconds:
                sends.popleft()
            if len(sends) >= count:
                raise GraphError(
                    400,
                    131056,
                    "(#131056) (Business Account, Consumer Account) pair rate limit hit",
                    "Too many messages sent from the sender phone number to the same recipient "
                    "phone number in a short period of time.",
                )

    def _document(self, out: Outgoing) -> tuple[DocumentView | None, bool]:
        """The document or image sent, and whether its media cannot be found."""
        if out.media is None:
            return None, False
        kind: Literal["document", "image"] = "image" if out.type == "image" else "document"
        media_id = out.media.get("id")
        link = out.media.get("link")
        filename = out.media.get("filename")
        stored = self._live_media(str(media_id)) if media_id else None
        view = DocumentView(
            kind=kind,
            filename=filename if filename is not None else stored.filename if stored else None,
            content=stored.content if stored else None,
            mime_type=stored.mime_type if stored else None,
            caption=out.media.get("caption"),
            media_id=str(media_id) if media_id else None,
            link=str(link) if link else None,
        )
        # A link is not fetched (the fake has no internet); an unknown or expired id fails.
        return view, bool(media_id) and stored is None

    # ------------------------------------------------------------------ statuses

    def _set_status(
        self,
        message: WaMessage,
        status: str,
        *,
        errors: list[JSON] | None = None,
        category: str = "service",
        person: FakeWhatsAppPerson | None = None,
    ) -> None:
        """Record ``status`` (never moving back) and queue its webhook (twice with
        ``duplicate_statuses``)."""
        if STATUS_RANK[status] > STATUS_RANK[message.status]:
            message.status = status  # type: ignore[assignment]
        if errors:
            message.errors = errors
        owner = person or self._people.get(message.to)
        if owner is not None:
            contact_entry = contact(owner.wa_id, owner.bsuid, None)
        else:
            # A number without WhatsApp has no business-scoped user id.
            contact_entry = {"wa_id": message.to}
        value = status_value(
            message.id,
            status,
            int(self.now().timestamp()),
            contact_entry,
            errors=errors,
            pricing_category=category,
        )
        if status == "failed" and not self.failed_status_contacts:
            del value["contacts"]
            if message.payload.get("to"):
                value["statuses"][0].pop("recipient_user_id", None)
        body = envelope(self.waba_id, self._metadata(), value)
        for _ in range(2 if self.duplicate_statuses else 1):
            self._queue_event("status", message.id, body)

    # ------------------------------------------------------------------ media

    async def _upload(self, request: web.Request, call: ApiCall) -> JSON:
        upload = await read_upload(request)
        call.body = {**upload.fields, "file": len(upload.content)}
        content, filename, mime_type = upload.content, upload.filename, upload.mime_type
        media = Media(
            id=self._new_numeric_id(),
            content=content,
            mime_type=mime_type,
            sha256=hashlib.sha256(content).hexdigest(),
            created_at=self.now(),
            origin="upload",
            filename=filename,
        )
        self.media[media.id] = media
        return {"id": media.id}

    def _live_media(self, media_id: str) -> Media | None:
        media = self.media.get(media_id)
        if media is None:
            return None
        ttl = UPLOADED_MEDIA_TTL if media.origin == "upload" else INCOMING_MEDIA_TTL
        if self.now() - media.created_at >= ttl:
            return None
        return media

    def _media_node(self, media_id: str, method: str) -> JSON:
        media = self._live_media(media_id)
        if media is None:
            raise _object_missing(media_id)
        if method == "DELETE":
            del self.media[media_id]
            return {"success": True}
        if method != "GET":
            raise malformed("Unsupported method")
        token = secrets.token_urlsafe(12)
        self._media_urls[token] = _MediaUrl(media_id, self.now() + MEDIA_URL_TTL)
        return {
            "messaging_product": "whatsapp",
            "url": f"{self.api_url}/media-download/{token}?mid={media_id}",
            "mime_type": media.mime_type,
            "sha256": media.sha256,
            "file_size": media.size,
            "id": media.id,
        }

    async def _download(self, request: web.Request) -> web.StreamResponse:
        call = ApiCall(method=request.method, path=request.path, version="", body=None)
        self.sent.append(call)
        try:
            self._check_auth(request)
        except GraphError as error:
            call.status = 401
            return web.json_response(error.body("download"), status=401)
        token = request.path.removeprefix("/media-download/")
        found = self._media_urls.get(token)
        media = self.media.get(found.media_id) if found is not None else None
        if found is None or media is None or self.now() >= found.expires:
            call.status = 404
            return web.Response(status=404, text="URL signature expired")
        call.status = 200
        return web.Response(body=media.content, content_type=media.mime_type)

    # ------------------------------------------------------------------ templates

    async def _templates(self, request: web.Request, call: ApiCall) -> JSON:
        if request.method == "GET":
            call.body = dict(request.query)
            return listing(self.templates, request.query)
        if request.method == "DELETE":
            call.body = dict(request.query)
            name = request.query.get("name")
            if not name or self.template(name) is None:
                raise GraphError(
                    400, 100, "(#100) Invalid parameter", f"Template {name!r} not found", 2593002
                )
            self.remove_template(name)
            return {"success": True}
        try:
            payload = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise malformed("The request body is not valid JSON.") from exc
        call.body = payload
        template = create_template(
            self.templates,
            payload,
            new_id=self._new_numeric_id(),
            approved=self.auto_approve_templates,
        )
        self.templates.append(template)
        return {"id": template.id, "status": template.status, "category": template.category}

    # ------------------------------------------------------------------ ids

    def _metadata(self) -> JSON:
        return {"display_phone_number": self.number, "phone_number_id": self.phone_number_id}

    def _new_wamid(self) -> str:
        raw = f"\x15\x02\x00\x11\x18\x12{self._seq:08d}{secrets.token_hex(6).upper()}".encode()
        return "wamid." + base64.b64encode(b"HBgN" + raw).decode()

    def _new_numeric_id(self) -> str:
        return str(10**15 + next(self._ids) * 7919 + secrets.randbelow(7919))


def _fault_error(fault: _Fault) -> GraphError:
    if fault.status == 503:
        code = fault.code or 131016
        return GraphError(503, code, "(#131016) Service unavailable", is_transient=True)
    if fault.status in (429, 400) and (fault.code in (None, 130429)):
        return GraphError(
            fault.status,
            130429,
            "(#130429) Rate limit hit",
            "Cloud API message throughput has been reached.",
        )
    code = fault.code or 1
    message = "An unknown error occurred" if code == 1 else f"(#{code}) Injected fault"
    return GraphError(fault.status, code, message, is_transient=fault.status >= 500)


def _describe_document(document: DocumentView) -> str:
    size = f", {len(document.content)} B" if document.content is not None else ""
    icon = "🖼" if document.kind == "image" else "📎"
    return f"{icon} {document.filename or document.link or document.media_id}{size}"
