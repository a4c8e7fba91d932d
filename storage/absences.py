"""Repository of absences: who is away when, and who stands in for them (issue 17, part 1)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.absences import Absence
from bot.models import User
from storage.base import Repository, as_dict, instant

_ABSENCE = ("id", "user_id", "starts", "ends", "stand_in_id", "created_by", "created_at",
            "ended_at")  # fmt: skip


def _absence(r: Any) -> Absence:
    return Absence(
        id=r["id"],
        user_id=r["user_id"],
        starts=date.fromisoformat(r["starts"]),
        ends=date.fromisoformat(r["ends"]) if r["ends"] else None,
        stand_in_id=r["stand_in_id"],
        created_by=r["created_by"],
        created_at=datetime.fromisoformat(r["created_at"]),
        ended_at=datetime.fromisoformat(r["ended_at"]) if r["ended_at"] else None,
    )


class AbsenceRepository(Repository):
    async def add(
        self,
        *,
        user_id: int,
        starts: date,
        ends: date | None,
        stand_in_id: int | None,
        created_by: int | None,
        now: datetime,
    ) -> int:
        return await self._insert(
            "INSERT INTO absences (user_id, starts, ends, stand_in_id, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (user_id, starts.isoformat(), ends.isoformat() if ends else None, stand_in_id,
             created_by, instant(now)),
        )  # fmt: skip

    async def person(self, channel: str, external_id: str) -> tuple[User | None, list[Absence]]:
        """The person writing and their absences not yet over, in one round trip (the router
        asks for every update, so that every check sees whether they are away)."""
        columns = ", ".join(f"a.{c} AS a_{c}" for c in _ABSENCE)
        rows = await self._all(
            f"SELECT u.*, {columns} FROM users u LEFT JOIN absences a"
            " ON a.user_id = u.id AND a.returned_told_at IS NULL"
            " WHERE u.channel = ? AND u.external_id = ? ORDER BY a.id",
            (channel, external_id),
        )
        if not rows:
            return None, []
        user = User(**{k: v for k, v in as_dict(rows[0]).items() if not k.startswith("a_")})
        own = [_absence({c: r[f"a_{c}"] for c in _ABSENCE}) for r in rows if r["a_id"] is not None]
        return user, own

    async def get(self, absence_id: int) -> Absence | None:
        row = await self._one("SELECT * FROM absences WHERE id = ?", (absence_id,))
        return None if row is None else _absence(row)

    async def unsettled(self) -> list[Absence]:
        """Every absence whose return was not told yet: those in force, to come, and those just
        over. Few at any time (one per person away), so the rule works on all of them."""
        rows = await self._all(
            "SELECT * FROM absences WHERE returned_told_at IS NULL ORDER BY starts, id"
        )
        return [_absence(r) for r in rows]

    async def end(self, absence_id: int, now: datetime) -> bool:
        """End an absence early (or withdraw it before it began); False when it was ended."""
        return (
            await self._execute(
                "UPDATE absences SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
                (instant(now), absence_id),
            )
            > 0
        )

    async def mark_told(self, absence_id: int, now: datetime) -> bool:
        """Record that the return was told (or that there is nothing to tell); once."""
        return (
            await self._execute(
                "UPDATE absences SET returned_told_at = ?"
                " WHERE id = ? AND returned_told_at IS NULL",
                (instant(now), absence_id),
            )
            > 0
        )
