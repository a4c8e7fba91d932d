"""Repository of the six-monthly round schedules and the rounds they already created."""

from __future__ import annotations

from datetime import datetime

from bot.models import RoundSchedule
from storage.base import Repository, as_dict, instant


class ScheduleRepository(Repository):
    async def active(self) -> list[RoundSchedule]:
        rows = await self._all("SELECT * FROM round_schedules WHERE active = 1 ORDER BY id")
        return [RoundSchedule(**as_dict(r)) for r in rows]

    async def set(self, months: str, pattern: str, by: int, now: datetime) -> int:
        """Replace the active schedule (one at a time) with this one."""
        await self._execute("UPDATE round_schedules SET active = 0 WHERE active = 1")
        return await self._insert(
            "INSERT INTO round_schedules (months, name_pattern, created_by, created_at)"
            " VALUES (?, ?, ?, ?)",
            (months, pattern, by, instant(now)),
        )

    async def stop(self) -> bool:
        return await self._execute("UPDATE round_schedules SET active = 0 WHERE active = 1") > 0

    async def claim_period(self, schedule_id: int, period: str, round_id: int) -> bool:
        """Record the round of a period; False when one was created for it before."""
        return (
            await self._execute(
                "INSERT INTO scheduled_rounds (schedule_id, period, round_id) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (schedule_id, period, round_id),
            )
            > 0
        )

    async def has_period(self, schedule_id: int, period: str) -> bool:
        row = await self._one(
            "SELECT 1 FROM scheduled_rounds WHERE schedule_id = ? AND period = ?",
            (schedule_id, period),
        )
        return row is not None

    async def hold(self, schedule_id: int) -> bool:
        """Lock the active schedule until the transaction ends (False: it was stopped), so that
        the sweeps of two instances decide its period one after the other: the second one then
        finds the period's round (`has_period`) instead of opening it again."""
        return (
            await self._execute(
                "UPDATE round_schedules SET active = active WHERE id = ? AND active = 1",
                (schedule_id,),
            )
            > 0
        )
