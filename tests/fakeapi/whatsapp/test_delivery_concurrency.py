"""Webhooks posted several at once (`delivery.concurrency`), as Meta posts them for a busy
number; one at a time stays the default."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web

from bot.fakeapi.whatsapp import FakeWhatsApp

DEADLINE_S = 15.0


class HoldingReceiver:
    """A webhook that holds every POST until released, counting those it holds."""

    def __init__(self) -> None:
        self.held = 0
        self.most_held = 0
        self.release = asyncio.Event()
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/whatsapp", self._challenge)
        app.router.add_post("/whatsapp", self._hold)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = int(getattr(server, "sockets", [])[0].getsockname()[1])
        self.url = f"http://127.0.0.1:{port}/whatsapp"

    async def stop(self) -> None:
        self.release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _challenge(self, request: web.Request) -> web.Response:
        return web.Response(text=request.query.get("hub.challenge", ""))

    async def _hold(self, request: web.Request) -> web.Response:
        await request.read()
        self.held += 1
        self.most_held = max(self.most_held, self.held)
        try:
            await self.release.wait()
        finally:
            self.held -= 1
        return web.Response()


@pytest.fixture
async def holding() -> AsyncIterator[HoldingReceiver]:
    receiver = HoldingReceiver()
    await receiver.start()
    yield receiver
    await receiver.stop()


async def until(check: Callable[[], bool], what: str) -> None:
    """Poll `check` until true, with a generous overall deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_S
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def test_webhooks_of_different_people_are_posted_at_once_when_concurrency_allows(
    holding: HoldingReceiver,
) -> None:
    async with FakeWhatsApp() as fake:
        fake.delivery.concurrency = 3
        await fake.deliver_to(holding.url, verify_token="any")
        for i in range(4):
            await fake.person(f"62812345670{i:02d}", f"Orang {i}").send("halo")
        await until(lambda: holding.held == 3, "three webhooks held at once")
        holding.release.set()
        await fake.settled()
        assert holding.most_held == 3  # never more than allowed
        assert all(e.statuses_answered == [200] for e in fake.events)


async def test_webhooks_are_posted_one_at_a_time_by_default(holding: HoldingReceiver) -> None:
    async with FakeWhatsApp() as fake:
        await fake.deliver_to(holding.url, verify_token="any")
        first = await fake.person("6281234567001", "Sari").send("halo")
        await fake.person("6281234567002", "Budi").send("halo")
        await until(lambda: holding.held == 1, "the first webhook held")
        # The second is owed, not posted, while the first waits for its answer.
        assert [e.ref for e in fake.events if e.attempts] == [first]
        holding.release.set()
        await fake.settled()
        assert holding.most_held == 1
