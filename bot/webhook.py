"""Webhook mode that loses nothing when the process dies.

Telegram POSTs each update to the webhook URL and keeps it until the answer is a 2xx. This server
answers only after the update was handled and recorded (python-telegram-bot's own webhook server
answers at once, so a crash while handling would lose the update): an update interrupted by a
crash is posted again after the restart, and one already handled is recorded and answered 200
without being handled twice. A reverse proxy in front (TLS) forwards the URL's path unchanged.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update

from bot.polling import ALLOWED_UPDATES, Intake

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # updates are a few kilobytes; files arrive by file_id, not in the body
SHUTDOWN_GRACE_S = 10.0  # an update in hand may finish; an unfinished one is posted again


class ReliableWebhook:
    """An aiohttp server on `listen:port` taking Telegram's POSTs at the path of `url`."""

    def __init__(
        self, intake: Intake, url: str, secret: str | None, listen: str, port: int,
        health: Handler | None = None,
    ) -> None:  # fmt: skip
        self._intake = intake
        self._url = url
        self._path = "/" + urlsplit(url).path.lstrip("/")
        self._secret = secret
        self._listen = listen
        self._port = port
        self._runner: web.AppRunner | None = None
        self._health = health  # GET /healthz on the same port, for monitoring

    async def start(self) -> None:
        """Listen first, then tell Telegram where to post (its first POST must find us)."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self._path, self._receive)
        if self._health is not None:
            app.router.add_get("/healthz", self._health)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_GRACE_S)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._listen, self._port).start()
            await self._intake.app.bot.set_webhook(
                url=self._url,
                secret_token=self._secret,
                allowed_updates=ALLOWED_UPDATES,
                # One post at a time: updates are handled one by one and in order anyway, and
                # more connections would only queue posts here until Telegram's time-out.
                max_connections=1,
            )
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner

    async def stop(self) -> None:
        """Finish the update in hand, then stop listening. Posts still waiting are answered 503
        and not handled: the webhook stays set, so Telegram posts them again when we are back."""
        await self._intake.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        if self._secret is not None and not hmac.compare_digest(
            request.headers.get(SECRET_HEADER, "").encode(), self._secret.encode()
        ):
            log.warning("webhook POST without the right secret token from %s", request.remote)
            return web.Response(status=403)
        try:
            data = await request.json()
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("no update_id")
            update = Update.de_json(data, self._intake.app.bot)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # Telegram sends well-formed updates; anything else is not from Telegram.
            log.warning("webhook POST that is not an update (%s)", exc)
            return web.Response(status=400)
        if not await self._intake.take(update):
            return web.Response(status=503)  # shutting down: Telegram posts it again later
        return web.Response()
