"""Fixtures proving the fake WhatsApp Cloud API with pywa's own async client and parser.

``wa`` is pywa's ``WhatsApp`` client pointed at the fake (pywa hard-codes graph.facebook.com, so the
session's ``base_url`` is moved after construction). ``receiver`` is a bare webhook receiver, as a bot
in library mode would write it: pywa checks the handshake and the signature and parses every update
through its own handlers; the parsed updates are collected for the assertions.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from pywa_async import WhatsApp, handlers, types

from bot.fakeapi.whatsapp import DEFAULT_API_VERSION, FakeWhatsApp

VERIFY_TOKEN = "verify-me"


def point_at(client: WhatsApp, fake: FakeWhatsApp) -> None:
    """Send pywa's Graph API calls to the fake instead of graph.facebook.com."""
    client.api._session.base_url = f"{fake.api_url}/{DEFAULT_API_VERSION}"


class PywaReceiver:
    """A webhook endpoint on 127.0.0.1 whose checks and parsing are pywa's."""

    def __init__(self, client: WhatsApp) -> None:
        self.client = client
        self.updates: list[Any] = []
        """Every update pywa parsed, in arrival order."""
        self.posts: list[tuple[bytes, int]] = []
        """Every POST's raw body and the status answered."""
        self.refuse = 0
        """Answer the next N valid POSTs with 500 (as a crashed bot would)."""
        self.stall: asyncio.Event | None = None
        """While set to an unset event, hold every POST until it is set (a hung bot)."""
        self._runner: web.AppRunner | None = None
        self.url = ""
        client.add_handlers(
            handlers.MessageHandler(self._collect),
            handlers.CallbackButtonHandler(self._collect),
            handlers.CallbackSelectionHandler(self._collect),
            handlers.MessageStatusHandler(self._collect),
            handlers.EditedMessageHandler(self._collect),
        )

    async def _collect(self, _: Any, update: Any) -> None:
        self.updates.append(update)

    async def start(self, port: int = 0) -> None:
        app = web.Application()
        app.router.add_get("/whatsapp", self._challenge)
        app.router.add_post("/whatsapp", self._update)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server
        assert server is not None
        port = int(getattr(server, "sockets", [])[0].getsockname()[1])
        self.url = f"http://127.0.0.1:{port}/whatsapp"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].split("/")[0])

    async def _challenge(self, request: web.Request) -> web.Response:
        text, status = await self.client.webhook_challenge_handler(
            vt=request.query.get("hub.verify_token"), ch=request.query.get("hub.challenge")
        )
        return web.Response(text=text or "", status=status)

    async def _update(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.stall is not None:
            await self.stall.wait()
        refused = await self.client.webhook_update_validator(
            body, request.headers.get("X-Hub-Signature-256")
        )
        if refused is not None:
            self.posts.append((body, refused[1]))
            return web.Response(text=refused[0], status=refused[1])
        if self.refuse > 0:
            self.refuse -= 1
            self.posts.append((body, 500))
            return web.Response(status=500)
        text, status = await self.client.webhook_update_handler(body)
        self.posts.append((body, status))
        return web.Response(text=text, status=status)

    def of_type(self, kind: type[Any]) -> list[Any]:
        return [u for u in self.updates if type(u) is kind]

    def messages(self) -> list[types.Message]:
        return self.of_type(types.Message)

    def statuses(self, wamid: str | None = None) -> list[types.MessageStatus[Any]]:
        found: list[types.MessageStatus[Any]] = self.of_type(types.MessageStatus)
        return [s for s in found if wamid is None or s.id == wamid]


@pytest.fixture
async def fake() -> AsyncIterator[FakeWhatsApp]:
    """A running fake Cloud API; fails the test if a request hit an unknown path."""
    async with FakeWhatsApp() as server:
        yield server
        assert not server.protocol_errors, server.protocol_errors


@pytest.fixture
async def wa(fake: FakeWhatsApp) -> AsyncIterator[WhatsApp]:
    """pywa's async client talking to the fake, able to validate and parse its webhooks."""
    async with httpx.AsyncClient(timeout=10) as session:
        client = WhatsApp(
            phone_id=fake.phone_number_id,
            token=fake.token,
            session=session,
            waba_id=fake.waba_id,
            app_secret=fake.app_secret,
            verify_token=VERIFY_TOKEN,
            skip_duplicate_updates=False,
        )
        point_at(client, fake)
        yield client


@pytest.fixture
async def receiver(fake: FakeWhatsApp, wa: WhatsApp) -> AsyncIterator[PywaReceiver]:
    """A pywa webhook receiver subscribed to the fake (the handshake done)."""
    endpoint = PywaReceiver(wa)
    await endpoint.start()
    await fake.deliver_to(endpoint.url, verify_token=VERIFY_TOKEN)
    yield endpoint
    await endpoint.stop()
