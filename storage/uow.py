"""The unit of work: one transaction and the repositories that work inside it."""

from __future__ import annotations

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
from storage.tables import TableRepository


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
        self.tables = TableRepository(conn)

    async def commit(self) -> None:
        if self.committed:
            raise RuntimeError("unit of work committed twice")
        if self._autocommit:
            raise RuntimeError("Database.read() has no transaction to commit")
        await self._conn.execute("COMMIT")
        self.committed = True
