"""Webhook mode that loses nothing when the process dies.

Telegram POSTs each update to the webhook URL and keeps it until the answer is a 2xx. This server
answers only after the update was handled and recorded (python-telegram-bot's own webhook server
answers at once, so a crash while handling would lose the update): an update interrupted by a
crash is posted again after the restart, and one already handled is recorded and answered 200
without being handled twice. A reverse proxy in front (TLS) forwards the URL's path unchanged.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Sequence
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Bot, Update

from bot.channels.server import MAX_BODY, SHUTDOWN_GRACE_S, Handler, Routes
from bot.channels.telegram.polling import ALLOWED_UPDATES, TelegramIntake
from bot.untrusted import nesting_within

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_POSTS_AT_ONCE = 40  # each post is answered once its own update is done
READ_DEADLINE_S = 10.0  # a body trickling in slower than this holds a connection for nothing
MAX_DEPTH = 32  # an update nests about 6 levels; 200,000 would exhaust the JSON parser's stack


def _same_secret(given: str, secret: str) -> bool:
    """Whether the header carries the secret, in constant time. A header of bytes that are not
    text (decoded with surrogates) is simply not the secret (a secret is `A-Z a-z 0-9 _ -`)."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), secret.encode())


class ReliableWebhook:
    """An aiohttp server on `listen:port` taking Telegram's POSTs at the path of `url`."""

    def __init__(
        self,
        intake: TelegramIntake,
        bot: Bot,
        url: str,
        secret: str | None,
        listen: str,
        port: int,
        read_deadline: float = READ_DEADLINE_S,
        health: Handler | None = None,
        routes: Sequence[Routes] = (),
    ) -> None:
        self._intake = intake
        self._bot = bot
        self._read_deadline = read_deadline
        self._url = url
        self._path = "/" + urlsplit(url).path.lstrip("/")
        self._secret = secret
        self._listen = listen
        self._port = port
        self._runner: web.AppRunner | None = None
        self._health = health  # GET /healthz on the same port, for monitoring
        self._routes = routes  # the other channels' webhooks on the same port (WhatsApp)

    async def start(self) -> None:
        """Listen first, then tell Telegram where to post (its first POST must find us)."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self._path, self._receive)
        for mount in self._routes:
            mount(app)
        if self._health is not None:
            app.router.add_get("/healthz", self._health)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_GRACE_S)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._listen, self._port).start()
            await self._bot.set_webhook(
                url=self._url,
                secret_token=self._secret,
                allowed_updates=ALLOWED_UPDATES,
                # Telegram posts one chat's updates one after the other (the next once the
                # previous was answered) and different chats' at once, up to this many.
                max_connections=MAX_POSTS_AT_ONCE,
            )
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner

    async def stop(self) -> None:
        """Finish the updates in hand, then stop listening. Posts still waiting are answered 503
        and not handled: the webhook stays set, so Telegram posts them again when we are back."""
        await self._intake.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        """Every malformed request gets a 4xx, and no traceback: it is not from Telegram."""
        if self._secret is not None and not _same_secret(
            request.headers.get(SECRET_HEADER, ""), self._secret
        ):
            log.warning("webhook POST without the right secret token from %s", request.remote)
            return web.Response(status=403)
        try:
            async with asyncio.timeout(self._read_deadline):
                body = await request.read()
        except TimeoutError:
            log.warning("webhook POST whose body did not arrive in time from %s", request.remote)
            return web.Response(status=408)
        try:
            if not nesting_within(body, MAX_DEPTH):
                raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
            data = json.loads(body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("no update_id")
            update = Update.de_json(data, self._bot)
        except Exception as exc:  # any parse failure is the sender's fault
            # Telegram sends well-formed updates; anything else is not from Telegram.
            log.warning("webhook POST that is not an update (%s)", type(exc).__name__)
            return web.Response(status=400)
        if not await self._intake.take(update):
            return web.Response(status=503)  # shutting down: Telegram posts it again later
        return web.Response()
