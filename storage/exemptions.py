"""Exemptions that expire: the exempt entries whose end date comes near, and the decisions taken
on them (extend or open)."""

from __future__ import annotations

from datetime import date, datetime

from bot.models import ExemptionDecision, ExemptionEnding
from storage.base import Repository, as_dict, iso

# An exempt entry as decided at step 4: approved, category `dikecualikan`, with an end date.
_EXEMPT = (
    "e.removed = 0 AND e.review = 'approved' AND e.category = 'dikecualikan'"
    " AND e.exempt_until IS NOT NULL"
)


class ExemptionRepository(Repository):
    async def ending_by(self, last: date) -> list[ExemptionEnding]:
        """Exempt entries whose end date is on or before `last`, with their case's OPD."""
        rows = await self._all(
            "SELECT e.id, e.case_id, e.number, e.title, e.exempt_reference, e.exempt_until,"
            " c.opd_id FROM entries e JOIN cases c ON c.id = e.case_id"
            f" WHERE {_EXEMPT} AND e.exempt_until <= ? ORDER BY e.exempt_until, e.id",
            (last.isoformat(),),
        )
        return [ExemptionEnding(**as_dict(r)) for r in rows]

    async def add_decision(
        self, *, entry_id: int, action: str, old_reference: str | None, old_until: date,
        new_reference: str | None = None, new_until: date | None = None,
        category: str | None = None, by: int, now: datetime,
    ) -> int:  # fmt: skip
        return await self._insert(
            "INSERT INTO exemption_decisions (entry_id, action, old_reference, old_until,"
            " new_reference, new_until, category, decided_by, decided_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (entry_id, action, old_reference, old_until.isoformat(), new_reference,
             new_until.isoformat() if new_until else None, category, by, iso(now)),
        )  # fmt: skip

    async def decisions(self) -> list[ExemptionDecision]:
        """Every decision (a city takes a few a month: the caller filters by time, whose
        stored offsets may differ)."""
        rows = await self._all("SELECT * FROM exemption_decisions ORDER BY id")
        return [ExemptionDecision(**as_dict(r)) for r in rows]

    async def due_between(self, first: date, last: date) -> int:
        """Exemption periods ending within [first, last]: those still current, and those
        decided already (their old end date is recorded with the decision)."""
        current = await self._one(
            f"SELECT COUNT(*) FROM entries e WHERE {_EXEMPT} AND e.exempt_until BETWEEN ? AND ?",
            (first.isoformat(), last.isoformat()),
        )
        decided = await self._one(
            "SELECT COUNT(*) FROM exemption_decisions WHERE old_until BETWEEN ? AND ?",
            (first.isoformat(), last.isoformat()),
        )
        return (current[0] if current else 0) + (decided[0] if decided else 0)
