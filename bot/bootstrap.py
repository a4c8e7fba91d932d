"""The composition root: the one place that builds settings, database, calendar and services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.config import Settings
from bot.workdays import Calendar
from storage.db import Database


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
