"""The Telegram application: builds python-telegram-bot's Application around the core, opens the
database in post_init, routes every update through the channel-neutral router, runs the outbox
dispatcher on the JobQueue, and has the one error handler (it logs the traceback and tells the
admins, at most once per kind of error per hour)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from telegram import Bot, BotCommand, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ContextTypes, JobQueue, TypeHandler

from bot.bootstrap import ServedChannel, settings_clock, start_runtime
from bot.channels.commands import COMMANDS
from bot.channels.links import telegram_link
from bot.channels.port import ChannelRejected, ChannelUnreachable
from bot.channels.server import serve
from bot.channels.telegram.adapter import (
    CHANNEL,
    TelegramSender,
    answer,
    to_event,
)
from bot.channels.telegram.files import TelegramFileSource
from bot.channels.telegram.pacing import TelegramPacing
from bot.channels.telegram.polling import PollerTaken, ReliablePoller, telegram_intake
from bot.channels.telegram.transport import AiohttpRequest
from bot.channels.telegram.webhook import ReliableWebhook
from bot.config import Settings
from bot.health import HealthServer, healthz
from bot.scheduler import DISPATCH_EVERY_S, SWEEP_EVERY_S, Scheduler
from bot.services.context import Ctx
from bot.texts import t
from bot.upkeep import daily_backup, report_error
from handlers.router import route
from storage.db import DatabaseUnavailable

log = logging.getLogger(__name__)
DEFAULT_TELEGRAM_BASE_URL = "https://api.telegram.org/bot"

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_application(
    settings: Settings,
    clock: Clock = _utc_now,
    rate_limit: bool = True,
    also: Sequence[ServedChannel] = (),
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The Telegram application around the core; `also`: the other configured channels
    (WhatsApp), attached to the same core and served beside it by `running`."""
    assert settings.telegram_token is not None
    builder = Application.builder().token(settings.telegram_token.get_secret_value())
    if settings.telegram_base_url:
        builder = builder.base_url(settings.telegram_base_url)
    if settings.telegram_base_file_url:
        builder = builder.base_file_url(settings.telegram_base_file_url)
    wait = settings.telegram_timeout
    # Over aiohttp rather than python-telegram-bot's httpx: a third of the CPU time per call.
    builder = builder.request(
        AiohttpRequest(
            read_timeout=wait, write_timeout=wait, connect_timeout=wait, pool_timeout=wait
        )
    )
    if rate_limit:
        # Taps first: answers go at once; notices use the capacity left under Telegram's bulk
        # limits, one every 1/29.5 s at most rather than bursts (a burst earns a 429 and a pause
        # of every request, which costs more than the smoothing: benchmarks/README.md).
        builder = builder.rate_limiter(TelegramPacing())  # type: ignore[arg-type]
    state: dict[str, Any] = {}
    waiting: set[int] = set()  # updates whose handling waits for the database

    async def post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        me = await app.bot.get_me()
        sender = TelegramSender(app.bot)
        runtime = await start_runtime(
            settings, clock, senders={CHANNEL: sender}, channels=also,
            bot_username=me.username or "ppid_bot",
            invite_links=lambda token: [telegram_link(me.username, token)],
        )  # fmt: skip
        jq = app.job_queue
        assert jq is not None
        install_jobs(runtime.scheduler, jq)
        state.update(ctx=runtime.ctx, files=TelegramFileSource(app.bot), sender=sender,
                     scheduler=runtime.scheduler, also=also)  # fmt: skip
        app.bot_data.update(state)
        # /pindah (move to the other chat app) only where there is another one.
        shown = [c for c in COMMANDS if c != "pindah" or also]
        await app.bot.set_my_commands([BotCommand(c, t(f"cmd-{c}")) for c in shown])

    async def post_shutdown(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if "ctx" in state:
            await state["ctx"].site.close()  # an update cut short is caught up at the next start
            await state["ctx"].db.close()

    async def on_update(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every update goes through the router."""
        if not isinstance(update, Update):
            return
        event = to_event(update, context.bot.username)
        if event is None:
            if update.callback_query is not None:
                await update.callback_query.answer()  # a press we ignore still stops spinning
            return
        response = await route(event, state["ctx"], state["files"])
        await answer(update, response, state["sender"])

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log first, then tell the person something went wrong, without internals."""
        if isinstance(context.error, DatabaseUnavailable):
            # Left to the intake, which keeps the update unconfirmed and tells the person.
            log.warning("an update waits for the database: %s", context.error)
            if isinstance(update, Update):
                waiting.add(update.update_id)
            return
        log.error("error while handling an update", exc_info=context.error)
        if "ctx" in state and context.error is not None:
            await report_error(state["ctx"], context.error)  # to the admins, once an hour
        if isinstance(update, Update) and update.effective_chat is not None:
            if update.callback_query is not None:
                # Often answered already (the error came later): that must not keep the message.
                with contextlib.suppress(Exception):
                    await update.callback_query.answer()
            with contextlib.suppress(Exception):
                await context.bot.send_message(update.effective_chat.id, t("error-generic"))

    # No Updater: bot.channels.telegram.polling and bot.channels.telegram.webhook receive updates (they confirm only handled ones).
    app = builder.updater(None).post_init(post_init).post_shutdown(post_shutdown).build()
    app.add_handler(TypeHandler(Update, on_update))
    app.add_error_handler(on_error)
    app.bot_data["waiting"] = waiting
    return app


@contextlib.asynccontextmanager
async def running(
    app: Application[Any, Any, Any, Any, Any, Any],
    settings: Settings,
    poll_timeout: int = 10,
    on_fatal: Callable[[BaseException], None] | None = None,
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """Initialise, run post_init, start and poll (or serve the webhook); undo it all on exit.

    python-telegram-bot calls post_init/post_shutdown only from run_polling(), which owns the
    event loop; the bot runs inside ours, so they are called here.
    """
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        await app.start()
        try:
            ctx: Ctx = app.bot_data["ctx"]  # set by post_init above
            intake = telegram_intake(app, ctx.db, ctx.now, app.bot_data["waiting"])
            also: Sequence[ServedChannel] = app.bot_data.get("also", ())
            routes = [c.routes for c in also]
            receiver: ReliablePoller | ReliableWebhook
            served: web.AppRunner | None = None
            if settings.webhook_url:
                secret = (
                    settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
                )
                receiver = ReliableWebhook(
                    intake, app.bot, settings.webhook_url, secret, settings.webhook_listen,
                    settings.webhook_port, read_deadline=settings.telegram_timeout,
                    health=healthz(settings, ctx.now), routes=routes,
                )  # fmt: skip
                await receiver.start()
            else:
                if routes:  # Telegram polls; the other channels' webhooks need the server
                    served = await serve(routes, settings.webhook_listen, settings.webhook_port,
                                         healthz(settings, ctx.now))  # fmt: skip
                if not await ctx.db.hold("telegram-poller"):
                    raise PollerTaken
                receiver = ReliablePoller(intake, app.bot, timeout=poll_timeout, on_fatal=on_fatal)
                receiver.start()
            health: HealthServer | None = None
            try:
                for channel in also:
                    await channel.started()
                if settings.health_port is not None and not settings.webhook_url:
                    health = HealthServer(settings, ctx.now, settings.health_listen,
                                          settings.health_port)  # fmt: skip
                    await health.start()
                yield app
            finally:
                if health is not None:
                    await health.stop()
                await receiver.stop()
                for channel in also:
                    await channel.close()
                if served is not None:
                    await served.cleanup()
        finally:
            if app.running:
                await app.stop()
    finally:
        try:
            if app.post_shutdown:
                await app.post_shutdown(app)
        finally:
            await app.shutdown()


async def run_bot(
    settings: Settings, stop: asyncio.Event | None = None, also: Sequence[ServedChannel] = ()
) -> None:
    """Poll Telegram (or serve a webhook) until SIGINT/SIGTERM or `stop` is set. A token that
    Telegram rejects, at start or later (revoked), ends the run with `ChannelRejected`; a Bot API
    that cannot be reached at start, with `ChannelUnreachable` (the token never in its text)."""
    try:
        await _run_bot(settings, stop, also)
    except InvalidToken as exc:
        raise ChannelRejected(str(exc)) from None
    except NetworkError as exc:  # also TimedOut: Telegram (or the proxy) cannot be reached
        token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
        reason = (str(exc).replace(token, "***") if token else str(exc)) or type(exc).__name__
        raise ChannelUnreachable(reason) from None


async def bot_username(settings: Settings) -> str:
    """The bot's @username (without the @), asked from Telegram."""
    assert settings.telegram_token is not None
    token = settings.telegram_token.get_secret_value()
    try:
        async with Bot(
            token, base_url=settings.telegram_base_url or DEFAULT_TELEGRAM_BASE_URL
        ) as bot:
            return bot.username
    except TelegramError as exc:
        raise ChannelUnreachable(str(exc).replace(token, "****")) from None


async def _run_bot(
    settings: Settings, stop: asyncio.Event | None, also: Sequence[ServedChannel]
) -> None:
    app = build_application(settings, settings_clock(settings), also=also)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    fatal: list[BaseException] = []

    def on_fatal(exc: BaseException) -> None:
        fatal.append(exc)
        stop.set()

    async with running(app, settings, on_fatal=on_fatal):
        log.info("PPID Bot is running")
        await stop.wait()
    if fatal:
        raise fatal[0]


def install_jobs(scheduler: Scheduler, jq: JobQueue[Any]) -> None:
    """The scheduler's work as JobQueue jobs, named by what they do; the dispatcher's nudge
    runs a delivery pass at once."""
    ctx = scheduler.ctx

    async def sweep_job(_: ContextTypes.DEFAULT_TYPE) -> None:
        await scheduler.sweep()

    async def dispatch_job(_: ContextTypes.DEFAULT_TYPE) -> None:
        await scheduler.dispatch()

    # The first sweep runs at once: after downtime it catches up with what was missed.
    jq.run_repeating(sweep_job, interval=SWEEP_EVERY_S, first=0.2, name="deadline-sweep")
    jq.run_repeating(dispatch_job, interval=DISPATCH_EVERY_S, first=0.5, name="outbox")

    backup_at = ctx.settings.backup_at
    if backup_at is not None:

        async def backup_job(_: ContextTypes.DEFAULT_TYPE) -> None:
            await daily_backup(ctx)

        # Wall-clock time in the office's zone; its failures reach the admins (bot.upkeep).
        jq.run_daily(backup_job, time=backup_at, name="daily-backup")

    def kick() -> None:
        jq.run_once(dispatch_job, 0, name="outbox-kick")

    ctx.kick.connect(kick)
