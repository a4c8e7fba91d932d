"""The domain's records as pydantic models: what storage returns and services pass around."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from bot.personal_data import DataCheck
from bot.sop import CLOSED, Category, Role


class Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class Opd(Record):
    id: int
    code: str
    name: str
    active: bool = True


class Away(Record):
    """A person's absence in force today, as the router sees it for each of their updates:
    they may look but not act (`workflow.check_actor`); `stand_in` acts for them."""

    until: date | None  # None: open-ended (a vacancy filled by a Plt)
    stand_in: str | None  # the stand-in's name; None: none named


class User(Record):
    id: int
    name: str
    role: Role
    opd_id: int | None
    channel: str
    external_id: str | None
    chat_id: str | None
    active: bool
    created_at: datetime
    unreachable_since: datetime | None = None  # their chat refused messages for good
    last_seen_at: datetime | None = None  # their last message to the bot (WhatsApp's window)
    phone: str | None = None  # contact data only (a WhatsApp number), never a key
    away: Away | None = None  # not stored: set per update from the absences in force


class Invitation(Record):
    token: str
    role: Role
    opd_id: int | None
    name: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime
    used_by: int | None
    used_at: datetime | None
    user_id: int | None = None  # made for a person who takes part already: redeeming moves them


class Round(Record):
    id: int
    name: str
    created_by: int | None
    created_at: datetime
    closed_at: datetime | None


class Case(Record):
    id: int
    round_id: int
    opd_id: int
    step: int
    version: int
    return_note: str | None
    created_at: datetime
    closed_at: datetime | None

    @property
    def closed(self) -> bool:
        return self.step == CLOSED


class Task(Record):
    id: int
    case_id: int
    step: int
    started_at: datetime
    due_at: datetime
    done_at: datetime | None
    done_by: int | None
    outcome: str | None
    notified_until: datetime | None = None


class SweepTask(Record):
    """An open task as the sweep plans it: with its case's OPD, and until when its notices
    were planned (None: not yet)."""

    id: int
    case_id: int
    step: int
    started_at: datetime
    due_at: datetime
    notified_until: datetime | None
    opd_id: int


class TaskBrief(Record):
    """What a notice's line says of a task: its OPD and round, step and deadline, and whether
    it is still the open one (`done_at` None and its case still at `step`)."""

    id: int
    case_id: int
    step: int
    due_at: datetime
    done_at: datetime | None
    case_step: int
    opd_name: str
    round_name: str


class OpenTaskName(Record):
    """An open task with its OPD's names, as a digest lists it."""

    id: int
    step: int
    due_at: datetime
    opd_code: str
    opd_name: str


class CaseLine(Record):
    """One case as a list shows it (/tugas, /status, `status --json`): what the line says and
    nothing more, so that a list costs the same whatever the cases hold."""

    case_id: int
    round_id: int
    round_name: str
    opd_id: int
    opd_code: str
    opd_name: str
    step: int
    due_at: datetime | None  # the open task's deadline (None once closed)
    entries: int = 0  # counted only where the list shows it


class Entry(Record):
    id: int
    case_id: int
    number: int
    title: str
    summary: str
    category: Category
    holder: str
    responsible: str
    made: str
    forms: str
    retention: str
    resolution: str = "none"  # none | documents | not_held | exempt
    resolution_note: str | None = None
    exempt_reference: str | None = None
    exempt_until: date | None = None
    review: str = "pending"  # pending | approved | returned
    review_note: str | None = None
    published_url: str | None = None
    published_at: datetime | None = None
    withdrawn_at: datetime | None = None
    withdrawn_reason: str | None = None


class RegisteredEntry(Entry):
    """An entry as a register lists it: with its OPD's and its round's names."""

    opd_code: str
    opd_name: str
    round_name: str


class Document(Record):
    id: int
    case_id: int
    entry_id: int | None
    step: int
    sha256: str
    size: int
    mime: str
    name: str
    channel_file_id: str | None  # the file's reference on `channel`, where it came from
    channel: str = "telegram"
    uploaded_by: int
    uploaded_at: datetime
    removed_kind: str | None = None  # None: current; removed (by its OPD) | rejected (PPID Utama)
    removed_at: datetime | None = None
    removed_by: int | None = None
    removed_reason: str | None = None
    data_check: str | None = None  # bot.personal_data.DataCheck as JSON; None: not checked

    @property
    def check(self) -> DataCheck | None:
        """The data check made when the document arrived (None for older documents)."""
        return DataCheck.from_json(self.data_check)

    def file_ref(self, channel: str) -> str | None:
        """The platform reference to re-send the file on `channel`; None: upload it."""
        return self.channel_file_id if channel == self.channel else None

    @property
    def current(self) -> bool:
        return self.removed_kind is None


class AuditRecord(Record):
    id: int
    at: datetime
    user_id: int | None
    external_id: str | None
    role: str | None
    opd_id: int | None
    case_id: int | None
    step: int | None
    action: str
    outcome: str
    note: str | None
    message_id: str | None
    acting_for: int | None = None  # "Z a.n. X": the absent person Z acted for


class OutboxRow(Record):
    """One queued notice (`storage.journal.OutboxRepository`): what it is about (`payload`, the
    JSON it was queued with; its `kind` says which notice it is) and how far its delivery got."""

    id: int
    key: str
    user_id: int
    payload: dict[str, Any]
    created_at: datetime
    not_before: datetime
    state: str  # pending | sent | failed | skipped
    attempts: int
    next_try_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    parts_sent: int
    in_flight_since: datetime | None  # a part handed to the platform, not confirmed yet
    claimed_by: int | None = None  # the instance that stamped it in flight (`Database.instance`)
    bundle_id: int | None  # the first row of the bundle message that carried it
    brief: bool  # the platform refused the full text: it goes as its template

    @property
    def kind(self) -> str:
        return str(self.payload["kind"])


class DueNotice(OutboxRow):
    """A row due now, with what the dispatcher needs of its person to reach them."""

    chat_id: str
    channel: str
    last_seen_at: datetime | None


class ExemptionEnding(Record):
    """An exempt entry whose exemption ends soon (or ended), with its case's OPD."""

    id: int  # the entry's
    case_id: int
    number: int
    title: str
    exempt_reference: str | None
    exempt_until: date
    opd_id: int


class ExemptionDecision(Record):
    """A decision on an exemption that ended: extended (a new end date) or opened (a new
    category)."""

    id: int
    entry_id: int
    action: str  # extend | open
    old_reference: str | None
    old_until: date
    new_reference: str | None
    new_until: date | None
    category: str | None
    decided_by: int
    decided_at: datetime


class RoundSchedule(Record):
    """When rounds are opened by themselves: the months, and the name pattern of each."""

    id: int
    months: str  # e.g. "1,7": January and July
    name_pattern: str  # e.g. "DIP Semester {semester} {year}"
    created_by: int
    created_at: datetime
    active: bool
