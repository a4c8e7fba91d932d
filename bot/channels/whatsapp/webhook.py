"""The WhatsApp webhook: Meta's verification handshake, and its signed POSTs handled before
they are answered.

Meta posts every message and status at least once, retrying for days until it gets a 200, in no
guaranteed order. So a POST is answered 200 only after each message in it was handled and
recorded (a crash in between means Meta posts it again, and the record makes the second time a
no-op); its signature (`X-Hub-Signature-256`, an HMAC-SHA256 of the raw body with the app
secret) is checked in constant time before anything is parsed; the body is bounded in size,
time and nesting. Whatever is not a signed WhatsApp webhook gets a 4xx and no traceback.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.channels.server import MAX_BODY
from bot.channels.whatsapp.events import Incoming, Malformed, Status, read
from bot.intake import Intake
from bot.untrusted import nesting_within

log = logging.getLogger(__name__)
PATH = "/whatsapp"
READ_DEADLINE_S = 10.0
MAX_DEPTH = 32
SIGNATURE_HEADER = "X-Hub-Signature-256"

OnStatus = Callable[[Status], Awaitable[None]]


def signature(body: bytes, app_secret: str) -> str:
    """The header value Meta sends with `body`."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signed(body: bytes, header: str, app_secret: str) -> bool:
    """Whether `header` is the signature of `body`, compared in constant time."""
    return hmac.compare_digest(
        header.encode("utf-8", "replace"), signature(body, app_secret).encode()
    )


class WhatsAppWebhook:
    """The routes of the WhatsApp webhook, to be mounted on an aiohttp application (its own
    server, or the one the Telegram webhook already runs on the same port)."""

    def __init__(
        self,
        intake: Intake[Incoming],
        on_status: OnStatus,
        app_secret: str,
        verify_token: str,
        read_deadline: float = READ_DEADLINE_S,
    ) -> None:
        self._intake = intake
        self._on_status = on_status
        self._secret = app_secret
        self._verify = verify_token
        self._read_deadline = read_deadline

    def mount(self, app: web.Application) -> None:
        app.router.add_get(PATH, self.verify)
        app.router.add_post(PATH, self.receive)

    async def verify(self, request: web.Request) -> web.Response:
        """Meta's handshake when the webhook URL is set: echo the challenge to the right token."""
        q = request.query
        token = q.get("hub.verify_token", "")
        same = hmac.compare_digest(token.encode("utf-8", "replace"), self._verify.encode())
        if q.get("hub.mode") != "subscribe" or not same:
            log.warning("WhatsApp webhook verification with a wrong token from %s", request.remote)
            return web.Response(status=403)
        return web.Response(text=q.get("hub.challenge", ""))

    async def receive(self, request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(self._read_deadline):
                body = await request.read()
        except TimeoutError:
            log.warning("WhatsApp webhook body did not arrive in time from %s", request.remote)
            return web.Response(status=408)
        except web.HTTPRequestEntityTooLarge:
            log.warning("WhatsApp webhook body over %d bytes from %s", MAX_BODY, request.remote)
            return web.Response(status=413)
        if not signed(body, request.headers.get(SIGNATURE_HEADER, ""), self._secret):
            log.warning("WhatsApp webhook POST without a valid signature from %s", request.remote)
            return web.Response(status=403)
        try:
            if not nesting_within(body, MAX_DEPTH):
                raise Malformed(f"JSON nested deeper than {MAX_DEPTH} levels")
            data = json.loads(body)
            if not isinstance(data, dict):
                raise Malformed("not an object")
            messages, statuses = read(data)
        except (ValueError, KeyError, TypeError) as exc:  # Malformed is a ValueError
            log.warning("signed WhatsApp webhook POST that is not one (%s)", exc)
            return web.Response(status=400)
        for status in statuses:
            await self._on_status(status)
        # A person's messages in the order they came (one lane each), different people's at once.
        tasks = [self._intake.submit(m) for m in messages]
        for task in tasks:
            # A post whose sender hung up (or a server shutting down) still finishes the work
            # begun: it must be answered and recorded as a whole.
            if task is None or not await asyncio.shield(task):
                return web.Response(status=503)  # shutting down: Meta posts it again later
        return web.Response()

    async def close(self) -> None:
        await self._intake.close()
