"""Repository of the admins' calendar overrides (extra holidays, extra working days)."""

from __future__ import annotations

from datetime import date, datetime

from bot.workdays import Override
from storage.base import Repository, instant


class CalendarRepository(Repository):
    """SQL for the `calendar_overrides` table."""

    async def overrides(self) -> list[Override]:
        rows = await self._all("SELECT day, kind, name FROM calendar_overrides ORDER BY day")
        return [Override(day=date.fromisoformat(r[0]), kind=r[1], name=r[2]) for r in rows]

    async def get(self, day: date) -> Override | None:
        row = await self._one(
            "SELECT day, kind, name FROM calendar_overrides WHERE day = ?", (day.isoformat(),)
        )
        if row is None:
            return None
        return Override(day=date.fromisoformat(row[0]), kind=row[1], name=row[2])

    async def put(self, override: Override, *, by: str, at: datetime) -> None:
        """Add or replace the override of that day."""
        await self._execute(
            "INSERT INTO calendar_overrides (day, kind, name, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name,"
            " created_by = excluded.created_by, created_at = excluded.created_at",
            (override.day.isoformat(), override.kind, override.name, by, instant(at)),
        )

    async def remove(self, day: date) -> bool:
        return (
            await self._execute("DELETE FROM calendar_overrides WHERE day = ?", (day.isoformat(),))
            > 0
        )
