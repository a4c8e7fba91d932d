"""Use cases of the admins' calendar: add a local holiday, add an extra working day, remove either;
each recomputes the deadlines of open tasks in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from bot.config import Settings
from bot.services.sweep import recompute_deadlines
from bot.workdays import Calendar, Override
from storage.db import Database
from storage.uow import UnitOfWork

MAX_NAME = 200


class CalendarChangeRefused(Exception):
    """The change makes no sense for that date; `key` names the catalogue sentence that explains."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class CalendarChange:
    override: Override | None
    removed: Override | None = None
    moved_tasks: int = 0


def _check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise CalendarChangeRefused("cli-name-invalid")
    return name


async def load_calendar(settings: Settings, db: Database) -> Calendar:
    """The working-day calendar in force: the settings' hours and the admins' overrides."""
    async with db.read() as uow:
        overrides = await uow.calendar.overrides()
    return calendar_of(settings, overrides)


def calendar_of(settings: Settings, overrides: list[Override]) -> Calendar:
    return Calendar(
        tz=settings.tz,
        hours=settings.hours,
        overrides=overrides,
        special_hours=settings.special_periods,
    )


async def _recompute(uow: UnitOfWork, settings: Settings, now: datetime) -> int:
    return await recompute_deadlines(
        uow, calendar_of(settings, await uow.calendar.overrides()), now
    )


async def set_override(
    db: Database,
    settings: Settings,
    day: date,
    kind: Literal["holiday", "workday"],
    name: str,
    *,
    by: str,
    now: datetime,
) -> CalendarChange:
    """Record a local holiday or an extra working day for `day`."""
    name = _check_name(name)
    async with db.transaction() as uow:
        calendar = calendar_of(settings, await uow.calendar.overrides())
        if kind == "holiday" and day.weekday() >= 5:
            raise CalendarChangeRefused("cli-holiday-on-weekend")
        if kind == "workday" and calendar.is_workday(day):
            raise CalendarChangeRefused("cli-workday-already")
        override = Override(day=day, kind=kind, name=name)
        await uow.calendar.put(override, by=by, at=now)
        moved = await _recompute(uow, settings, now)
        await uow.audit.append(at=now, action=f"calendar:{kind}", note=f"{day} {name} by {by}")
        await uow.commit()
    return CalendarChange(override=override, moved_tasks=moved)


async def remove_override(
    db: Database, settings: Settings, day: date, *, by: str, now: datetime
) -> CalendarChange:
    async with db.transaction() as uow:
        existing = await uow.calendar.get(day)
        if existing is None:
            raise CalendarChangeRefused("cli-override-missing")
        await uow.calendar.remove(day)
        moved = await _recompute(uow, settings, now)
        await uow.audit.append(at=now, action="calendar:remove", note=f"{day} by {by}")
        await uow.commit()
    return CalendarChange(override=None, removed=existing, moved_tasks=moved)
