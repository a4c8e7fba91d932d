"""What every use case is handed: the database, calendar, file store, clock and a dispatcher nudge."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.absences import Cover
from bot.config import Settings
from bot.models import User
from bot.reminders import Policy
from bot.services.site_updates import SiteUpdates
from bot.workdays import Calendar
from storage.db import Database
from storage.files import FileStore
from storage.uow import UnitOfWork


class Calendars:
    """The working-day calendar in force. The admins change holidays from the command line (another
    process); the scheduler notices and puts the new calendar here, whole, for every reader."""

    def __init__(self, calendar: Calendar) -> None:
        self._current = calendar

    @property
    def current(self) -> Calendar:
        return self._current

    def replace(self, calendar: Calendar) -> None:
        self._current = calendar


class Nudge:
    """Wakes the outbox dispatcher at once (after an act queued notices); a no-op until the
    running bot's scheduler connects it, as in the command line and the tests of services."""

    def __init__(self) -> None:
        self._target: Callable[[], None] | None = None
        self._others: Callable[[], None] | None = None

    def connect(self, target: Callable[[], None]) -> None:
        self._target = target

    def share(self, others: Callable[[], None]) -> None:
        """Several instances (PostgreSQL): a nudge also wakes the other instances'
        dispatchers (their periodic pass is the fallback)."""
        self._others = others

    def local(self) -> None:
        """Wake this instance's dispatcher only (a nudge that came from another instance)."""
        if self._target is not None:
            self._target()

    def __call__(self) -> None:
        self.local()
        if self._others is not None:
            self._others()


@dataclass(frozen=True)
class Ctx:
    """What every use case is handed; built once by the composition root (`bot.bootstrap`),
    never changed after: the calendar in force, the dispatcher's nudge and the site's background
    updates are holders."""

    settings: Settings
    db: Database
    calendars: Calendars
    files: FileStore
    clock: Callable[[], datetime]
    bot_username: str = "ppid_bot"
    kick: Nudge = field(default_factory=Nudge)  # wakes the outbox dispatcher
    site: SiteUpdates = field(default_factory=SiteUpdates)  # the public site, in the background
    policy: Policy = field(default_factory=Policy)
    channels: tuple[str, ...] = ()
    """The chat apps this bot runs on (a person may move to another of them)."""
    links_on: Callable[[str, str], list[str]] = field(default=lambda token, channel: [])
    """The links of an invitation token on one channel (`links_on(token, "whatsapp")`)."""

    @property
    def calendar(self) -> Calendar:
        """The working-day calendar in force now."""
        return self.calendars.current

    def now(self) -> datetime:
        return self.calendar.local(self.clock())

    def invite_links(self, token: str) -> list[str]:
        """The links of an invitation token, one per configured channel (the channels make
        them)."""
        return [link for channel in self.channels for link in self.links_on(token, channel)]


async def audit(
    uow: UnitOfWork,
    now: datetime,
    action: str,
    user: User | None = None,
    *,
    external_id: str | None = None,
    case_id: int | None = None,
    opd_id: int | None = None,
    step: int | None = None,
    outcome: str = "ok",
    note: str | None = None,
    message_id: str | None = None,
) -> None:
    """Append one act to the audit trail, inside the caller's transaction. An act on a case by
    a stand-in is recorded on behalf of the absent person ("Z a.n. X")."""
    acting_for = None
    if user is not None and case_id is not None and outcome == "ok":
        absences = await uow.absences.unsettled()
        if absences:
            represented = Cover(absences, now.date()).represented(user.id)
            acting_for = represented[0] if represented else None
    await uow.audit.append(
        at=now,
        action=action,
        user_id=user.id if user else None,
        external_id=external_id
        if external_id is not None
        else (user.external_id if user else None),
        role=user.role.value if user else None,
        opd_id=opd_id if opd_id is not None else (user.opd_id if user else None),
        case_id=case_id,
        step=step,
        outcome=outcome,
        note=note,
        message_id=message_id,
        acting_for=acting_for,
    )


async def refuse(
    ctx: Ctx,
    key: str,
    user: User | None,
    action: str,
    *,
    external_id: str | None = None,
    case_id: int | None = None,
    message_id: str | None = None,
) -> None:
    """Record a refusal in a transaction of its own (the refused change itself was rolled back)."""
    async with ctx.db.transaction() as uow:
        await audit(
            uow, ctx.now(), action, user, external_id=external_id, case_id=case_id,
            outcome="refused", note=key, message_id=message_id,
        )  # fmt: skip
        await uow.commit()
