"""Webhook delivery of the fake WhatsApp: Meta's subscription handshake, then at-least-once POSTs.

Events are posted one at a time (or up to ``concurrency`` at once, as Meta does for a busy number),
oldest due first, each signed with the app secret. An answer other than 200, a connection error or a
time-out puts the event back with an exponential backoff (real seconds, bounded), so later events
may overtake it, as on the real platform.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from urllib.parse import urlencode

import aiohttp

from bot.fakeapi.whatsapp.models import WebhookEvent
from bot.fakeapi.whatsapp.webhooks import SIGNATURE_HEADER, signature


class WebhookDelivery:
    """Posts the fake's webhooks to the subscribed URL until each is accepted."""

    def __init__(self, app_secret: str, on_change: Callable[[], None]) -> None:
        self.app_secret = app_secret
        self.url: str | None = None
        """The subscribed webhook URL (None: events wait)."""
        self.timeout = 10.0
        """Seconds a POST may take before it counts as failed (and is retried)."""
        self.retry_backoff = (0.05, 2.0)
        """(first, longest) delay in real seconds between attempts of a refused event."""
        self.concurrency = 1
        """POSTs in flight at once: 1 keeps the tests' order; a benchmark of many people raises it
        (Meta does not wait for one webhook's answer before posting the next)."""
        self._in_flight: set[asyncio.Task[None]] = set()
        self._on_change = on_change
        self._pending: list[tuple[float, WebhookEvent]] = []
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._wake = asyncio.Event()
        self._session = aiohttp.ClientSession()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        for task in [self._task, *self._in_flight]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def subscribe(self, url: str, verify_token: str) -> None:
        """Meta's GET handshake; on success every event goes to ``url``."""
        assert self._session is not None, "start the fake first"
        challenge = str(secrets.randbelow(10**9))
        query = urlencode(
            {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge}
        )
        separator = "&" if "?" in url else "?"
        async with self._session.get(f"{url}{separator}{query}") as response:
            body = await response.text()
            if response.status != 200 or body.strip() != challenge:
                raise AssertionError(
                    f"the webhook at {url} failed the verification handshake: "
                    f"HTTP {response.status}, body {body[:200]!r} (expected {challenge!r})"
                )
        self.url = url
        self._wake_up()

    def queue(self, event: WebhookEvent) -> None:
        """Owe ``event`` to the bot."""
        self._pending.append((0.0, event))
        self._wake_up()

    async def post(self, body: bytes, signature_header: str | None) -> int:
        """One POST to the webhook with this ``X-Hub-Signature-256`` (None: none); the status."""
        if self.url is None or self._session is None:
            raise AssertionError("no webhook URL: call deliver_to() first")
        headers = {"Content-Type": "application/json"}
        if signature_header is not None:
            headers[SIGNATURE_HEADER] = signature_header
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with self._session.post(
            self.url, data=body, headers=headers, timeout=timeout
        ) as response:
            await response.read()
            return response.status

    def _wake_up(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._wake is not None
        while True:
            now = loop.time()
            due = [item for item in self._pending if item[0] <= now]
            if self.url is None or not due or len(self._in_flight) >= self.concurrency:
                waits = [at - now for at, _ in self._pending]
                timeout = min(waits) if waits and self.url is not None else None
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
                continue
            item = due[0]
            self._pending.remove(item)
            if self.concurrency <= 1:
                await self._attempt(item[1])
                continue
            task = asyncio.create_task(self._attempt(item[1]))
            self._in_flight.add(task)
            task.add_done_callback(self._landed)

    def _landed(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._wake_up()

    async def _attempt(self, event: WebhookEvent) -> None:
        """One POST of ``event``; refused, it is owed again after a backoff."""
        event.attempts += 1
        try:
            status = await self.post(event.body, signature(event.body, self.app_secret))
        except (aiohttp.ClientError, TimeoutError, OSError, AssertionError):
            status = 0
        event.statuses_answered.append(status)
        if status == 200:
            event.delivered = True
        else:
            first, longest = self.retry_backoff
            delay = min(longest, first * 2 ** (event.attempts - 1))
            self._pending.append((asyncio.get_running_loop().time() + delay, event))
            self._wake_up()
        self._on_change()
