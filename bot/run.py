"""Running the bot with the channels the settings configure: Telegram (polling, or its webhook)
and WhatsApp (its webhook at `/whatsapp`), in one process, or either alone. Both share one core:
one database, one dispatcher that picks each notice's channel by its recipient, one scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.bootstrap import ServedChannel, settings_clock, start_runtime
from bot.channels.server import serve
from bot.config import Settings
from bot.health import healthz
from bot.jobs import Jobs

log = logging.getLogger(__name__)


def channels_of(settings: Settings) -> list[ServedChannel]:
    """The webhook channels the settings turn on (WhatsApp when its token and number id are
    set), made before the database opens."""
    if not settings.whatsapp_on:
        return []
    from bot.channels.whatsapp.channel import WhatsAppChannel

    return [WhatsAppChannel(settings)]


async def run(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run until SIGINT/SIGTERM or `stop`; `ChannelRejected`/`ChannelUnreachable` when a chat
    app refuses the credentials or cannot be reached at start."""
    channels = channels_of(settings)
    if settings.telegram_on:
        from bot.channels.telegram.application import run_bot

        await run_bot(settings, stop, also=channels)
        return
    await run_served(settings, channels, stop or asyncio.Event())


async def run_served(
    settings: Settings, channels: list[ServedChannel], stop: asyncio.Event
) -> None:
    """The bot without Telegram: the channels' webhooks on the bot's server, the scheduler's
    jobs on APScheduler."""
    runtime = await start_runtime(settings, settings_clock(settings), channels=channels)
    ctx = runtime.ctx
    jobs = Jobs(runtime.scheduler)
    try:
        runner = await serve([c.routes for c in channels], settings.webhook_listen,
                             settings.webhook_port, healthz(settings, ctx.now))  # fmt: skip
        try:
            for channel in channels:
                await channel.started()
            jobs.start()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, stop.set)
            log.info("PPID Bot is running (WhatsApp webhook on %s:%s%s)",
                     settings.webhook_listen, settings.webhook_port, "/whatsapp")  # fmt: skip
            await stop.wait()
        finally:
            jobs.stop()
            for channel in channels:
                await channel.close()
            await runner.cleanup()
    finally:
        await ctx.site.close()  # an update cut short is caught up at the next start
        await ctx.db.close()
