"""The floor of the WhatsApp benchmark: a bare pywa webhook receiver, as a process.

The least a WhatsApp bot in library mode does: an aiohttp server with Meta's handshake, the
signature checked and every update parsed by pywa (`webhook_update_validator`,
`webhook_update_handler`), and each text answered with a reply through pywa's async client
before the webhook is answered 200 (as PPID Bot answers only once a message was handled).
Statuses are parsed and ignored. No database, no state.

``python -m benchmarks.wa_bare`` reads its settings from the same environment variables as the
bot (`PPID_WHATSAPP_*`, `PPID_WEBHOOK_LISTEN`, `PPID_WEBHOOK_PORT`) and runs until SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from typing import Any

import httpx
from aiohttp import web
from pywa_async import WhatsApp, handlers, types

PATH = "/whatsapp"


class BareReceiver:
    """The webhook of a bot that echoes every text, on pywa's parser and client."""

    def __init__(self, client: WhatsApp) -> None:
        self.client = client
        client.add_handlers(
            handlers.MessageHandler(self._echo),
            handlers.MessageStatusHandler(self._ignore),
        )

    async def _echo(self, client: Any, message: types.Message) -> None:
        # The number when the webhook names one, else the business-scoped user id.
        to = message.from_user.wa_id or message.from_user.bsuid
        if message.text and to:
            await client.send_message(to=to, text=message.text)

    async def _ignore(self, _: Any, __: Any) -> None:
        return None

    async def challenge(self, request: web.Request) -> web.Response:
        text, status = await self.client.webhook_challenge_handler(
            vt=request.query.get("hub.verify_token"), ch=request.query.get("hub.challenge")
        )
        return web.Response(text=text or "", status=status)

    async def update(self, request: web.Request) -> web.Response:
        body = await request.read()
        refused = await self.client.webhook_update_validator(
            body, request.headers.get("X-Hub-Signature-256")
        )
        if refused is not None:
            return web.Response(text=refused[0], status=refused[1])
        text, status = await self.client.webhook_update_handler(body)
        return web.Response(text=text, status=status)


async def serve() -> None:
    env = os.environ
    api_root = f"{env['PPID_WHATSAPP_API_URL']}/{env.get('PPID_WHATSAPP_API_VERSION', 'v23.0')}"
    async with httpx.AsyncClient(timeout=20) as session:
        client = WhatsApp(
            phone_id=env["PPID_WHATSAPP_PHONE_NUMBER_ID"],
            token=env["PPID_WHATSAPP_TOKEN"],
            session=session,
            app_secret=env["PPID_WHATSAPP_APP_SECRET"],
            verify_token=env["PPID_WHATSAPP_VERIFY_TOKEN"],
            skip_duplicate_updates=False,
        )
        # pywa writes graph.facebook.com into the session: every call goes to the fake.
        session.base_url = httpx.URL(api_root)
        receiver = BareReceiver(client)
        app = web.Application()
        app.router.add_get(PATH, receiver.challenge)
        app.router.add_post(PATH, receiver.update)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(
            runner, env.get("PPID_WEBHOOK_LISTEN", "127.0.0.1"), int(env["PPID_WEBHOOK_PORT"])
        )
        await site.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(serve())
