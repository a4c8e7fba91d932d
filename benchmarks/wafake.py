"""How fast the fake WhatsApp Cloud API is, so that a WhatsApp benchmark of the bot measures the bot.

Three figures against :class:`bot.fakeapi.whatsapp.FakeWhatsApp` on this machine, with pywa's own
async client and a bare pywa webhook receiver (signature check and parsing, no handler work):

* sends per second: ``send_message`` one after the other, then 8 at a time (the fake's 80/s
  throughput limit switched off, the recipient inside the 24-hour window);
* webhooks per second: messages a person posts, delivered (signed, one POST each) and accepted by
  the receiver, until :meth:`FakeWhatsApp.settled`.

The bot's own WhatsApp path (taps per second, notices within 80/s) is measured elsewhere; these
figures are its ceiling. ``--quick`` uses fewer messages.
"""

from __future__ import annotations

import asyncio
import sys
import time

import httpx
from aiohttp import web
from pywa_async import WhatsApp

from benchmarks.common import Figure, say
from bot.fakeapi.whatsapp import DEFAULT_API_VERSION, FakeWhatsApp

NAME = "wafake"
VERIFY_TOKEN = "bench"


async def _receiver(client: WhatsApp) -> tuple[web.AppRunner, str]:
    async def challenge(request: web.Request) -> web.Response:
        text, status = await client.webhook_challenge_handler(
            vt=request.query.get("hub.verify_token"), ch=request.query.get("hub.challenge")
        )
        return web.Response(text=text or "", status=status)

    async def update(request: web.Request) -> web.Response:
        body = await request.read()
        refused = await client.webhook_update_validator(
            body, request.headers.get("X-Hub-Signature-256")
        )
        if refused is not None:
            return web.Response(text=refused[0], status=refused[1])
        text, status = await client.webhook_update_handler(body)
        return web.Response(text=text, status=status)

    app = web.Application()
    app.router.add_get("/whatsapp", challenge)
    app.router.add_post("/whatsapp", update)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    port = int(getattr(server, "sockets", [])[0].getsockname()[1])
    return runner, f"http://127.0.0.1:{port}/whatsapp"


async def run(quick: bool) -> list[Figure]:
    count = 200 if quick else 1000
    figures: list[Figure] = []
    async with FakeWhatsApp() as fake, httpx.AsyncClient(timeout=30) as session:
        fake.rate_limit_per_second = None
        client = WhatsApp(
            phone_id=fake.phone_number_id,
            token=fake.token,
            session=session,
            waba_id=fake.waba_id,
            app_secret=fake.app_secret,
            verify_token=VERIFY_TOKEN,
        )
        client.api._session.base_url = f"{fake.api_url}/{DEFAULT_API_VERSION}"
        runner, url = await _receiver(client)
        try:
            await fake.deliver_to(url, verify_token=VERIFY_TOKEN)
            sari = fake.person("6281234567001", "Sari")
            await sari.send("halo")
            await fake.settled(timeout=60)

            say(f"wafake: {count} sends, one after the other")
            began = time.perf_counter()
            for i in range(count):
                await client.send_message(to=sari.wa_id, text=f"pesan {i}")
            serial = count / (time.perf_counter() - began)
            await fake.settled(timeout=300)

            say(f"wafake: {count} sends, 8 at a time")
            began = time.perf_counter()
            for start in range(0, count, 8):
                await asyncio.gather(
                    *(
                        client.send_message(to=sari.wa_id, text=f"pesan {i}")
                        for i in range(start, min(count, start + 8))
                    )
                )
            concurrent = count / (time.perf_counter() - began)
            await fake.settled(timeout=300)

            say(f"wafake: {count} webhooks to a bare pywa receiver")
            began = time.perf_counter()
            for i in range(count):
                await sari.send(f"tugas {i}")
            await fake.settled(timeout=300)
            webhooks = count / (time.perf_counter() - began)
        finally:
            await runner.cleanup()
    figures.append(Figure(NAME, "sends/s (pywa, serial)", f"{serial:.0f}", "> 80", _ok(serial)))
    figures.append(
        Figure(NAME, "sends/s (pywa, 8 at a time)", f"{concurrent:.0f}", "> 80", _ok(concurrent))
    )
    figures.append(Figure(NAME, "webhooks/s (bare pywa receiver)", f"{webhooks:.0f}"))
    return figures


def _ok(rate: float) -> str:
    return "PASS" if rate > 80 else "MISS"


if __name__ == "__main__":
    from benchmarks.common import main

    sys.exit(main(NAME, run))
