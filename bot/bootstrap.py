"""The composition root: the one place that builds settings, database, calendar and the context
every use case is handed (`make_ctx`), for the running bot, the demo and every command."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from bot.channels.port import Sender
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.scheduler import Scheduler
from bot.services.calendar_admin import load_calendar as load_calendar
from bot.services.context import Calendars, Ctx
from bot.services.register import connect_site
from bot.workdays import Calendar
from handlers import notices
from storage.db import Database
from storage.files import FileStore


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
    db = await Database.open(settings.database_path)
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
    invite_links: Callable[[str], list[str]] | None = None,
) -> Ctx:
    """The context of the use cases: built here only, never changed after (the calendar in force
    and the dispatcher's nudge are holders that the scheduler updates)."""
    return Ctx(
        settings=settings, db=db, calendars=Calendars(calendar),
        files=files or FileStore(settings.documents_dir), clock=clock,
        bot_username=bot_username, policy=settings.policy,
        invite_links=invite_links or (lambda token: []),
    )  # fmt: skip


@dataclass(frozen=True)
class Runtime:
    """The running bot's core, whatever its channels: the context of the use cases and the
    scheduler (sweep, dispatcher over every channel's sender, daily backup)."""

    ctx: Ctx
    scheduler: Scheduler


async def start_runtime(
    settings: Settings,
    clock: Callable[[], datetime],
    *,
    senders: Mapping[str, Sender],
    bot_username: str = "ppid_bot",
    invite_links: Callable[[str], list[str]] | None = None,
) -> Runtime:
    """Open the database and build the core for the configured channels (`senders`, one per
    channel); each channel's runtime then runs the scheduler's jobs and feeds its intake."""
    db = await Database.open(settings.database_path)
    files = FileStore(settings.documents_dir)
    files.cleanup_temp()
    ctx = make_ctx(settings=settings, db=db, calendar=await load_calendar(settings, db),
                   clock=clock, files=files, bot_username=bot_username,
                   invite_links=invite_links)  # fmt: skip
    connect_site(ctx)  # publications update the site in the background
    return Runtime(ctx, Scheduler(ctx, Dispatcher(ctx, senders, notices)))
