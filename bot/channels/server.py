"""The bot's own HTTP server for the chat apps' webhooks (and /healthz): one aiohttp server on
`PPID_WEBHOOK_LISTEN:PPID_WEBHOOK_PORT`, on which each channel mounts its routes (WhatsApp at
`/whatsapp`, Telegram's webhook at its own path)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

MAX_BODY = 1024 * 1024  # webhooks are a few kilobytes; files arrive by id, not in the body
SHUTDOWN_GRACE_S = 10.0  # a message in hand may finish; an unfinished one is posted again

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Routes = Callable[[web.Application], None]


async def serve(
    routes: Sequence[Routes], listen: str, port: int, health: Handler | None = None
) -> web.AppRunner:
    """Listen on `listen:port` with every channel's routes (and GET /healthz)."""
    app = web.Application(client_max_size=MAX_BODY)
    for mount in routes:
        mount(app)
    if health is not None:
        app.router.add_get("/healthz", health)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_GRACE_S)
    await runner.setup()
    try:
        await web.TCPSite(runner, listen, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner
