"""The composition root: the one place that builds settings, database, calendar and the context
every use case is handed (`make_ctx`), for the running bot, the demo and every command."""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from aiohttp import web

from bot.channels.port import Sender
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.formatting import show_in
from bot.scheduler import Scheduler
from bot.services.calendar_admin import load_calendar as load_calendar
from bot.services.context import Calendars, Ctx
from bot.services.register import connect_site
from bot.workdays import Calendar
from handlers import notices
from storage.db import Database
from storage.files import FileStore

KICK_CHANNEL = "ppid_kick"  # PostgreSQL's NOTIFY channel of the dispatchers' nudges


@dataclass
class Core:
    """What every entry point needs: settings, the open database, and the working-day calendar."""

    settings: Settings
    db: Database
    calendar: Calendar

    async def reload_calendar(self) -> Calendar:
        """Rebuild the calendar after the admins changed an override."""
        self.calendar = await load_calendar(self.settings, self.db)
        return self.calendar


@asynccontextmanager
async def open_core(settings: Settings) -> AsyncIterator[Core]:
    db = await Database.open(settings.database_target)
    try:
        yield Core(settings=settings, db=db, calendar=await load_calendar(settings, db))
    finally:
        await db.close()


def make_ctx(
    *,
    settings: Settings,
    db: Database,
    calendar: Calendar,
    clock: Callable[[], datetime],
    files: FileStore | None = None,
    bot_username: str = "ppid_bot",
    channels: tuple[str, ...] = (),
    links_on: Callable[[str, str], list[str]] | None = None,
) -> Ctx:
    """The context of the use cases: built here only, never changed after (the calendar in force
    and the dispatcher's nudge are holders that the scheduler updates)."""
    show_in(settings.tz)
    return Ctx(
        settings=settings, db=db, calendars=Calendars(calendar),
        files=files or FileStore(settings.documents_dir), clock=clock,
        bot_username=bot_username, policy=settings.policy,
        channels=channels, links_on=links_on or (lambda token, channel: []),
    )  # fmt: skip


@dataclass(frozen=True)
class Runtime:
    """The running bot's core, whatever its channels: the context of the use cases and the
    scheduler (sweep, dispatcher over every channel's sender, daily backup)."""

    ctx: Ctx
    scheduler: Scheduler


class Channel(Protocol):
    """A chat app that joins the core once it is open (its intake and files need the
    database): it makes its invitation links, and hands its sender to the dispatcher."""

    name: str

    def links(self, token: str) -> list[str]: ...

    def attach(self, ctx: Ctx) -> Sender: ...


class ServedChannel(Channel, Protocol):
    """A channel that takes webhooks on the bot's own server (WhatsApp)."""

    def routes(self, app: web.Application) -> None: ...

    async def started(self) -> None:
        """The server listens: check what the channel needs (raises `ChannelRejected` or
        `ChannelUnreachable` when it cannot work)."""

    async def close(self) -> None: ...


async def start_runtime(
    settings: Settings,
    clock: Callable[[], datetime],
    *,
    senders: Mapping[str, Sender] | None = None,
    channels: Sequence[Channel] = (),
    bot_username: str = "ppid_bot",
    invite_links: Callable[[str], list[str]] | None = None,
) -> Runtime:
    """Open the database and build the core for the configured channels: `senders` made
    already (Telegram's), `channels` attached here; each invitation gets every channel's link.
    The caller then runs the scheduler's jobs and feeds each channel's intake. A database
    server that cannot be reached yet is waited for."""
    db = await Database.open(settings.database_target, wait_s=math.inf)
    files = FileStore(settings.documents_dir)
    files.cleanup_temp()
    own = invite_links or (lambda token: [])
    names = (*(senders or {}), *(c.name for c in channels))

    def links_on(token: str, channel: str) -> list[str]:
        """The links of one channel (`invite_links` belong to the senders' channel)."""
        if senders and channel in senders:
            return own(token)
        return [link for c in channels if c.name == channel for link in c.links(token)]

    ctx = make_ctx(settings=settings, db=db, calendar=await load_calendar(settings, db),
                   clock=clock, files=files, bot_username=bot_username,
                   channels=names, links_on=links_on)  # fmt: skip
    connect_site(ctx)  # publications update the site in the background
    if db.dialect == "postgresql":  # several instances: a nudge wakes every dispatcher
        ctx.kick.share(lambda: db.notify(KICK_CHANNEL))
        await db.listen(KICK_CHANNEL, ctx.kick.local)
    every = {**(senders or {}), **{c.name: c.attach(ctx) for c in channels}}
    return Runtime(ctx, Scheduler(ctx, Dispatcher(ctx, every, notices)))


def settings_clock(settings: Settings) -> Callable[[], datetime]:
    """The wall clock, or (PPID_CLOCK_START, for tests and demos) one that starts at a given
    instant and then runs at normal speed."""
    start = settings.clock_start
    if start is None:
        return utc_now
    if start.tzinfo is None:
        start = start.replace(tzinfo=settings.tz)
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


def utc_now() -> datetime:
    return datetime.now(UTC)
