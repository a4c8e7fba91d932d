"""Use cases of the admins' calendar: add a local holiday, add an extra working day, remove either."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from bot.workdays import Calendar, Override
from storage.db import Database

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


def _check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise CalendarChangeRefused("cli-name-invalid")
    return name


async def set_override(
    db: Database,
    calendar: Calendar,
    day: date,
    kind: Literal["holiday", "workday"],
    name: str,
    *,
    by: str,
    now: datetime,
) -> CalendarChange:
    """Record a local holiday or an extra working day for `day`."""
    name = _check_name(name)
    if kind == "holiday" and day.weekday() >= 5:
        raise CalendarChangeRefused("cli-holiday-on-weekend")
    if kind == "workday" and calendar.is_workday(day) and calendar.holiday_name(day) is None:
        raise CalendarChangeRefused("cli-workday-already")
    override = Override(day=day, kind=kind, name=name)
    async with db.transaction() as uow:
        await uow.calendar.put(override, by=by, at=now)
        await uow.commit()
    return CalendarChange(override=override)


async def remove_override(db: Database, day: date) -> CalendarChange:
    async with db.transaction() as uow:
        existing = await uow.calendar.get(day)
        if existing is None:
            raise CalendarChangeRefused("cli-override-missing")
        await uow.calendar.remove(day)
        await uow.commit()
    return CalendarChange(override=None, removed=existing)
