"""The unit of work: one transaction and the repositories that work inside it; and the claim of
the event being handled, which the first unit of work that commits records with its acts."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from storage.absences import AbsenceRepository
from storage.calendar import CalendarRepository
from storage.cases import (
    CaseRepository,
    DocumentRepository,
    EntryRepository,
    RoundRepository,
    TaskRepository,
)
from storage.engine import Conn
from storage.exemptions import ExemptionRepository
from storage.journal import (
    AuditRepository,
    ChannelMediaRepository,
    ChannelMessageRepository,
    DialogRepository,
    MetaRepository,
    OutboxRepository,
    UpdateLogRepository,
)
from storage.people import InvitationRepository, OpdRepository, UserRepository
from storage.schedules import ScheduleRepository


class AlreadyHandled(BaseException):
    """Another instance handled this event: it committed its claim first. Handling stops here,
    and nothing of this handling is kept. A BaseException so that it passes the `except
    Exception` of the handlers and channels (which would tell the person that something went
    wrong) up to the intake, which counts the event as handled."""


@dataclass
class EventClaim:
    """The event a task is handling (the intake sets it in `HANDLING`): the first unit of work
    of that task records the event as handled as its first statement, so that the record is
    kept exactly when that unit's acts are. On PostgreSQL a second instance given the same
    event waits at that statement for the first one's transaction, then stops (`AlreadyHandled`)
    if it committed, or goes on if it rolled back (a refusal, a failure: the next unit claims)."""

    channel: str
    event_id: str
    at: datetime
    owner: asyncio.Task[object] | None = field(default_factory=asyncio.current_task)
    state: Literal["open", "claimed", "lost", "closed"] = "open"


HANDLING: ContextVar[EventClaim | None] = ContextVar("HANDLING", default=None)


@contextmanager
def apart() -> Iterator[None]:
    """Units of work opened inside are bookkeeping around the event being handled (the person
    is reachable again), not its acts: they do not record it as handled, so that a crash
    before the acts are committed leaves it to be delivered again."""
    token = HANDLING.set(None)
    try:
        yield
    finally:
        HANDLING.reset(token)


class UnitOfWork:
    """Repositories sharing one open transaction; nothing is kept unless `commit()` is awaited."""

    def __init__(self, conn: Conn, *, autocommit: bool = False) -> None:
        self._conn = conn
        self.dialect = conn.dialect
        self.committed = False
        self._autocommit = autocommit
        self.calendar = CalendarRepository(conn)
        self.opds = OpdRepository(conn)
        self.users = UserRepository(conn)
        self.invitations = InvitationRepository(conn)
        self.rounds = RoundRepository(conn)
        self.cases = CaseRepository(conn)
        self.tasks = TaskRepository(conn)
        self.entries = EntryRepository(conn)
        self.documents = DocumentRepository(conn)
        self.exemptions = ExemptionRepository(conn)
        self.audit = AuditRepository(conn)
        self.dialogs = DialogRepository(conn)
        self.outbox = OutboxRepository(conn)
        self.schedules = ScheduleRepository(conn)
        self.meta = MetaRepository(conn)
        self.updates = UpdateLogRepository(conn)
        self.messages = ChannelMessageRepository(conn)
        self.media = ChannelMediaRepository(conn)
        self.absences = AbsenceRepository(conn)
        self._claim: EventClaim | None = None

    async def claim_event(self) -> None:
        """Called by the engines right after BEGIN: claim the event this task is handling, if
        none of its units of work has yet (see `EventClaim`). Only the handling task's own units
        claim: a background task it started (a site update) inherits the context, not the event."""
        claim = HANDLING.get()
        if claim is None or claim.state != "open" or claim.owner is not asyncio.current_task():
            return
        if not await self.updates.claim(claim.channel, claim.event_id, claim.at):
            claim.state = "lost"
            raise AlreadyHandled(f"{claim.channel} event {claim.event_id}")
        self._claim = claim

    async def commit(self) -> None:
        if self.committed:
            raise RuntimeError("unit of work committed twice")
        if self._autocommit:
            raise RuntimeError("Database.read() has no transaction to commit")
        await self._conn.execute("COMMIT")
        self.committed = True
        if self._claim is not None:
            self._claim.state = "claimed"
