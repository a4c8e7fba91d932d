"""The composition root: the one place that builds settings, database, calendar and the context
every use case is handed (`make_ctx`), for the running bot, the demo and every command."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.services.context import Calendars, Ctx
from bot.workdays import Calendar
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


async def load_calendar(settings: Settings, db: Database) -> Calendar:
    async with db.read() as uow:
        overrides = await uow.calendar.overrides()
    return Calendar(
        tz=settings.tz,
        hours=settings.hours,
        overrides=overrides,
        special_hours=settings.special_periods,
    )


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
