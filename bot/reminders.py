"""The reminder and escalation policy: when each open task is reminded, escalated and chased.

This module decides *what* is due *when*; it sends nothing and stores nothing. For one open
task (a step of a case, handed over at `started_at` and due at `due_at`), `schedule` lists every
notification the product's `Policy` plans for it:

* **reminders before the deadline** (kind "reminder"), so nobody is warned only after the breach.
  Short steps (fewer than `Policy.long_step_days` working days, i.e. the 1-day steps) get one
  when half of their office time has passed and one `short_hours_before` office hours before
  the deadline. Long steps (step 3, 10 working days) get one at the opening of the working day
  3 and 1 working days before the due day, and one at the opening of the due day.
* **escalations** (kind "escalation"): level 1 at the deadline itself, level 2 at the closing
  of the `escalation2_after_days`-th working day after the due day.
* **overdue notices** (kind "overdue"): one at the opening of every working day after the due
  day; level N is the N-th working day overdue.

Each notification has a policy instant `at` and a delivery instant `deliver_at`, which is `at`
moved to the next office opening when `at` falls outside office hours (a deadline is a closing
time, so escalation 1 is always delivered at the next opening): nothing is ever planned for the
night, a weekend or a holiday.

A notification is identified by (task, kind, level) and, once addressed, by its recipient (see
`Planned.key`), never by its instant. The caller inserts notifications into an outbox that is
unique by that key, so calling `due_now` every minute, after a restart, after a long downtime or
after a deadline was recomputed sends each notification at most once, ever; after a downtime the
missed ones are sent once and marked late.

The module is pure: no I/O, no clock. Every instant is passed in as an aware `datetime`; the
working-day arithmetic is `bot.workdays.Calendar`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal, get_args

from bot.sop import STEPS, Role
from bot.workdays import Calendar

__all__ = [
    "BUNDLED_KINDS",
    "EXEMPT_KINDS",
    "HORIZON",
    "MAX_OVERDUE",
    "TASK_KINDS",
    "Audience",
    "Kind",
    "OpenTask",
    "Pending",
    "Planned",
    "Policy",
    "Standing",
    "TaskPlan",
    "audience",
    "audience_roles",
    "digest_day",
    "digest_deliver_at",
    "due_now",
    "intended_at",
    "is_late",
    "may_deliver",
    "next_delivery",
    "plan_task",
    "recompute_due",
    "schedule",
    "standing",
    "supersede",
]

Kind = Literal["reminder", "escalation", "overdue"]
Audience = Literal["assignees", "escalation1", "escalation2"]

MAX_OVERDUE = 60
"""At most this many daily overdue notices per task (about three months of working days)."""

HORIZON = timedelta(days=30)
"""A task with nothing planned sooner is looked at again this long after a sweep."""

TASK_KINDS: tuple[Kind, ...] = ("reminder", "escalation", "overdue")

EXEMPT_KINDS: tuple[str, ...] = (
    "exempt_ask",
    "exempt_reminder",
    "exempt_escalation",
    "exempt_overdue",
)
"""Notices about the decision on an exemption that expires (`bot.exemptions`)."""

BUNDLED_KINDS: frozenset[str] = frozenset({*TASK_KINDS, *EXEMPT_KINDS, "digest", "deadline_moved"})
"""What falls due for one person at one moment goes out as one message: the notices about tasks,
the daily digest and the deadlines a calendar change moved. A hand-over (a new task for you) and
the other notices stay their own."""

# Ties between notifications at the same instant are listed in this order.
_KIND_ORDER: dict[str, int] = {kind: i for i, kind in enumerate(get_args(Kind))}


def _hours_text(hours: float) -> str:
    """`2` for 2.0, `1,5` for 1.5: Indonesian decimal comma, no useless zero."""
    return f"{hours:g}".replace(".", ",")


@dataclass(frozen=True)
class Policy:
    """When to remind and escalate. The defaults are the product's defaults.

    `long_days_before` is normalised to distinct values in descending order (earliest reminder
    first). Setting `short_hours_before` to 0, `long_days_before` to `()` or
    `escalation2_after_days` to 0 switches that notification off.
    """

    short_half: bool = True
    """Short steps: a reminder when half the office time between hand-over and due has passed."""
    short_hours_before: float = 2.0
    """Short steps: a reminder this many office hours before the deadline."""
    long_step_days: int = 2
    """Steps with `sla_days >= long_step_days` follow the long rules, the others the short ones."""
    long_days_before: tuple[int, ...] = (3, 1)
    """Long steps: reminders at the opening of the working day N working days before the due day."""
    long_due_day_opening: bool = True
    """Long steps: a reminder at the opening of the due day."""
    escalation2_after_days: int = 1
    """Escalation level 2 at the closing of the N-th working day after the due day (0: none)."""
    late_grace: timedelta = timedelta(minutes=15)
    """A notification delivered later than this after its `deliver_at` is marked late."""

    def __post_init__(self) -> None:
        if not self.short_hours_before >= 0:  # also rejects NaN
            raise ValueError(
                f"short_hours_before must not be negative, got {self.short_hours_before}"
            )
        if isinstance(self.long_step_days, bool) or self.long_step_days < 1:
            raise ValueError(f"long_step_days must be at least 1, got {self.long_step_days}")
        for n in self.long_days_before:
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"long_days_before must hold whole numbers >= 1, got {n!r}")
        if isinstance(self.escalation2_after_days, bool) or self.escalation2_after_days < 0:
            raise ValueError(
                f"escalation2_after_days must not be negative, got {self.escalation2_after_days}"
            )
        if self.late_grace < timedelta(0):
            raise ValueError(f"late_grace must not be negative, got {self.late_grace}")
        object.__setattr__(
            self, "long_days_before", tuple(sorted(set(self.long_days_before), reverse=True))
        )

    def describe(self) -> list[str]:
        """The policy in plain Bahasa Indonesia, one line per rule (for the admin's screen)."""
        lines: list[str] = []
        short: list[str] = []
        if self.short_half:
            short.append("saat separuh waktu kerja terlewati")
        if self.short_hours_before > 0:
            short.append(f"{_hours_text(self.short_hours_before)} jam kerja sebelum tenggat")
        lines.append(
            f"Tahap kurang dari {self.long_step_days} hari kerja: "
            + (f"pengingat {' dan '.join(short)}." if short else "tanpa pengingat.")
        )
        long: list[str] = []
        if self.long_days_before:
            days = " dan ".join(str(n) for n in self.long_days_before)
            long.append(f"pada jam buka kantor {days} hari kerja sebelum hari tenggat")
        if self.long_due_day_opening:
            long.append("pada jam buka kantor di hari tenggat")
        lines.append(
            f"Tahap {self.long_step_days} hari kerja atau lebih: "
            + (f"pengingat {' serta '.join(long)}." if long else "tanpa pengingat.")
        )
        lines.append("Eskalasi tingkat 1: saat tenggat terlewati.")
        if self.escalation2_after_days:
            lines.append(
                f"Eskalasi tingkat 2: pada jam tutup kantor {self.escalation2_after_days} "
                "hari kerja setelah hari tenggat."
            )
        lines.append("Pemberitahuan keterlambatan: setiap hari kerja pada jam buka kantor.")
        lines.append("Semua pesan hanya dikirim pada jam kerja.")
        return lines


@dataclass(frozen=True)
class OpenTask:
    """An open step of a case: who must act is given by `step`; the deadline is `due_at`."""

    task_id: int
    case_id: int
    step: int
    sla_days: int
    started_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class Planned:
    """One planned notification of one task.

    `level` numbers notifications of the same kind: reminders by the rule that produced them
    (see `schedule`), escalations 1 and 2, overdue notices by the working day overdue.
    `at` is the instant the policy names; `deliver_at` is the first office instant at or after
    it (`Calendar.office_instant(at)`), so it always lies inside office hours.
    `late` is set by `due_now`: the notification is being handed out more than the policy's
    grace after `deliver_at` (e.g. after a downtime).
    """

    task_id: int
    kind: Kind
    level: int
    at: datetime
    deliver_at: datetime
    late: bool = False

    def key(self, recipient_id: int) -> str:
        """The outbox's unique key: one notification per (task, kind, level, recipient), ever."""
        return f"task:{self.task_id}:{self.kind}:{self.level}:{recipient_id}"


def _opening(cal: Calendar, d: date) -> datetime | None:
    """Opening instant of `d`, None when it is not a working day."""
    hours = cal.hours_on(d)
    if hours is None:
        return None
    return datetime.combine(d, hours.opens, tzinfo=cal.tz)


def _half_point(task: OpenTask, cal: Calendar) -> datetime | None:
    """The first office instant at which half the step's office time has passed.

    The step's office time is `office_time_between(started_at, due_at)`; walking half of it
    forward from the hand-over (`add_office_time`, which skips nights, weekends and holidays)
    gives the half point. When the walk ends exactly at a closing, the half point is the next
    opening: the same position in office time, but an instant when someone is at the office.
    """
    total = cal.office_time_between(task.started_at, task.due_at)
    if total <= timedelta(0):
        return None
    start = cal.office_instant(task.started_at)
    return cal.office_instant(cal.add_office_time(start, total / 2))


def _reminders(task: OpenTask, cal: Calendar, policy: Policy) -> list[tuple[int, datetime]]:
    """(level, at) of the task's reminders, in time order, strictly between hand-over and due.

    Levels are fixed by the rule, so a level always means the same reminder even when an
    earlier one is skipped: short steps 1 = half point, 2 = hours before the deadline; long
    steps 1..k = the `long_days_before` days (earliest first), k+1 = the due day's opening.
    """
    started, due = cal.local(task.started_at), cal.local(task.due_at)
    candidates: list[tuple[int, datetime]] = []
    if task.sla_days < policy.long_step_days:
        before = cal.before_due(due, policy.short_hours_before)
        if policy.short_half:
            half = _half_point(task, cal)
            # A half point at or after the last reminder adds nothing: keep the later rule only.
            if half is not None and half < before:
                candidates.append((1, half))
        candidates.append((2, before))
    else:
        due_day = due.date()
        for level, n in enumerate(policy.long_days_before, start=1):
            day = due_day
            for _ in range(n):
                day = cal.previous_workday(day)
            opening = _opening(cal, day)
            if opening is not None:
                candidates.append((level, opening))
        if policy.long_due_day_opening:
            opening = _opening(cal, due_day)
            if opening is not None:
                candidates.append((len(policy.long_days_before) + 1, opening))
    kept: list[tuple[int, datetime]] = []
    for level, at in sorted(candidates, key=lambda c: (c[1], c[0])):
        if started < at < due and (not kept or kept[-1][1] != at):
            kept.append((level, at))
    return kept


def schedule(task: OpenTask, cal: Calendar, policy: Policy, until: datetime) -> list[Planned]:
    """Every notification of `task` whose `at` is at or before `until`, in time order.

    Reminders (see `Policy`):
      * short steps (`sla_days < long_step_days`): level 1 at the half point (the first office
        instant at which half the office time between hand-over and deadline has passed), level
        2 at `short_hours_before` office hours before the deadline (`Calendar.before_due`). The
        half point is dropped when it is not before the level 2 reminder;
      * long steps: level i at the opening of the working day `long_days_before[i-1]` working
        days before the due day, and level `len(long_days_before) + 1` at the due day's opening.
      Reminders that are not strictly after the hand-over and strictly before the deadline are
      dropped (a task handed over late gets fewer reminders; the levels of the others stay).
    Escalation level 1 at `due_at`; level 2 at the closing of the `escalation2_after_days`-th
    working day after the due day.
    Overdue level N at the opening of the N-th working day after the due day, for N up to
    `MAX_OVERDUE`.

    The task's `due_at` is taken as given (see `recompute_due` after a calendar change).
    Every item has `late=False`; `due_now` sets it.
    """
    limit = cal.local(until)
    due = cal.local(task.due_at)
    due_day = due.date()
    timed: list[tuple[Kind, int, datetime]] = [
        ("reminder", level, at) for level, at in _reminders(task, cal, policy)
    ]
    timed.append(("escalation", 1, due))
    if policy.escalation2_after_days:
        timed.append(("escalation", 2, cal.due(due, policy.escalation2_after_days)))
    timed = [t for t in timed if t[2] <= limit]
    # Overdue notices come at openings, which are office instants already: building them apart
    # saves the sweep most of its work on long-overdue tasks (up to a month of them each).
    overdue: list[Planned] = []
    for n, day in zip(range(1, MAX_OVERDUE + 1), cal.workdays_after(due_day), strict=False):
        opening = _opening(cal, day)
        if opening is None or opening > limit:
            break
        overdue.append(Planned(task.task_id, "overdue", n, opening, opening))
    planned = [
        Planned(task.task_id, k, level, at, cal.office_instant(at)) for k, level, at in timed
    ]
    planned += overdue
    planned.sort(key=lambda p: (p.at, _KIND_ORDER[p.kind], p.level))
    return planned


@dataclass(frozen=True)
class TaskPlan:
    """What one sweep does for one task: the notices that fell due since the last look
    (`fresh`), and when to look at the task again (`next_at`)."""

    fresh: list[Planned]
    next_at: datetime


def plan_task(
    task: OpenTask,
    cal: Calendar,
    policy: Policy,
    now: datetime,
    since: datetime | None = None,
    horizon: timedelta = HORIZON,
) -> TaskPlan:
    """The notices of `task` with `since < at <= now` (all up to `now` when `since` is None),
    with `late` set, and the instant of its next notice (at most `horizon` ahead).

    An item is late when it is handed out more than the policy's grace after its `deliver_at`
    (see `is_late`); whether it is still late when it leaves is decided again at that moment.
    Items whose `at` has passed but whose `deliver_at` has not (escalation 1 at a 16:00
    deadline, delivered the next morning) are included: the outbox holds them until then.
    """
    plan = schedule(task, cal, policy, until=now + horizon)
    fresh = [
        Planned(p.task_id, p.kind, p.level, p.at, p.deliver_at,
                late=is_late(p.deliver_at, now, policy))
        for p in plan
        if p.at <= now and (since is None or p.at > since)
    ]  # fmt: skip
    next_at = next((p.at for p in plan if p.at > now), now + horizon)
    return TaskPlan(fresh, next_at)


def due_now(
    tasks: Iterable[OpenTask], cal: Calendar, policy: Policy, now: datetime
) -> list[Planned]:
    """Everything planned with `at <= now` for all `tasks`, with `late` set (see `plan_task`).

    The result depends only on the arguments (the same `now` gives the same list) and grows
    with `now`: every key of an earlier call is in a later one, so inserting by `Planned.key`
    gives each notification once however often, or however rarely, this is called.
    Sorted by `at`, then task, kind and level.
    """
    items = [p for task in tasks for p in plan_task(task, cal, policy, now).fresh]
    items.sort(key=lambda p: (p.at, p.task_id, _KIND_ORDER[p.kind], p.level))
    return items


def is_late(deliver_at: datetime, now: datetime, policy: Policy) -> bool:
    """Whether a notice meant for `deliver_at` and leaving at `now` is late: more than the
    policy's grace after it (after a downtime, a held retry, a person out of reach). Decided
    when the notice leaves, so that what it says is true when it is read."""
    return deliver_at < now - policy.late_grace


def intended_at(payload: Mapping[str, Any], not_before: datetime) -> datetime:
    """When a queued notice was meant to reach its person: the policy's delivery instant when it
    has one (the sweep's notices), else the first moment it was allowed to leave."""
    at = payload.get("deliver_at")
    return datetime.fromisoformat(at) if at else not_before


def may_deliver(cal: Calendar, now: datetime) -> bool:
    """Whether a notice may leave at `now`: only inside office hours, whatever queued it and
    whenever. Answers to a person's own message or press are not notices and always go."""
    return cal.is_office_hours(now)


def next_delivery(cal: Calendar, at: datetime) -> datetime:
    """The first instant at or after `at` at which a notice may leave (a retry that would fall
    at night waits for the next opening)."""
    return cal.office_instant(at)


@dataclass(frozen=True)
class Pending:
    """A queued notice about a task, as the dispatcher sees it when the notice leaves."""

    row_id: int
    task_id: int
    kind: Kind
    level: int
    at: datetime


def supersede(items: Iterable[Pending]) -> tuple[list[Pending], list[Pending]]:
    """Of one person's notices leaving together: per task only the newest (latest `at`, then
    the later kind: reminder < escalation < overdue, then the higher level), and the others,
    which it supersedes ("overdue" beats "2 hours left"). Returns (kept, superseded), each in
    row order. Whatever sweep queued them, only one notice per task and person goes out."""
    items = list(items)
    newest: dict[int, Pending] = {}
    for p in items:
        best = newest.get(p.task_id)
        if best is None or _rank(p) > _rank(best):
            newest[p.task_id] = p
    kept_ids = {p.row_id for p in newest.values()}
    ordered = sorted(items, key=lambda p: p.row_id)
    return (
        [p for p in ordered if p.row_id in kept_ids],
        [p for p in ordered if p.row_id not in kept_ids],
    )


def _rank(p: Pending) -> tuple[datetime, int, int, int]:
    return (p.at, _KIND_ORDER[p.kind], p.level, p.row_id)


@dataclass(frozen=True)
class Standing:
    """Where a task stands against its deadline at one instant, for what a notice says.

    `overdue`: the deadline has passed, `days` working days ago (0: earlier today, or since the
    last closing). Otherwise `days` working days are left after today, and on the due day
    itself (`days == 0`) `minutes` of office time."""

    overdue: bool
    days: int
    minutes: int = 0


def standing(cal: Calendar, due: datetime, now: datetime) -> Standing:
    """How `due` stands at `now`, in working days and office time (never "time left" once
    the deadline has passed)."""
    local_due, local_now = cal.local(due), cal.local(now)
    if local_now >= local_due:
        return Standing(True, cal.workdays_between(local_due.date(), local_now.date()))
    days = cal.workdays_between(local_now.date(), local_due.date())
    if days >= 1:
        return Standing(False, days)
    left = cal.office_time_between(local_now, local_due)
    return Standing(False, 0, int(left.total_seconds() // 60))


_ESCALATION1: dict[int, tuple[Role, ...]] = {
    1: (Role.ATASAN, Role.UTAMA),
    2: (Role.ATASAN, Role.PEJABAT),
    3: (Role.UTAMA,),
    4: (Role.ATASAN, Role.PEJABAT),
    5: (Role.ATASAN, Role.UTAMA),
}
_ESCALATION2: tuple[Role, ...] = (Role.ATASAN, Role.ADMIN)


def audience(kind: Kind, level: int) -> Audience:
    """Who receives a notification: reminders and overdue notices go to the assignees,
    escalations to the audience of their level."""
    if kind in ("reminder", "overdue"):
        return "assignees"
    if kind == "escalation" and level in (1, 2):
        return "escalation1" if level == 1 else "escalation2"
    raise ValueError(f"no audience for {kind!r} level {level!r}")


def audience_roles(step: int, aud: Audience) -> tuple[tuple[Role, bool], ...]:
    """The roles that make up an audience for a step, as (role, same_opd_only).

    `same_opd_only` is True for PPID Pendukung, who is reached only for the case's own OPD.
      * assignees: the step's actor;
      * escalation1: step 3 (the OPD's) -> PPID Utama; steps 1 and 5 (Pejabat PID's) -> Atasan
        and PPID Utama; steps 2 and 4 (PPID Utama's) -> Atasan and Pejabat PID;
      * escalation2: Atasan and Admin.
    """
    if step not in STEPS:
        raise ValueError(f"unknown step {step!r} (expected one of {sorted(STEPS)})")
    if aud == "assignees":
        roles: tuple[Role, ...] = (STEPS[step].actor,)
    elif aud == "escalation1":
        roles = _ESCALATION1[step]
    elif aud == "escalation2":
        roles = _ESCALATION2
    else:
        raise ValueError(f"unknown audience {aud!r}")
    return tuple((role, role == Role.PENDUKUNG) for role in roles)


def digest_day(cal: Calendar, now: datetime) -> date | None:
    """The day whose daily digest is due at `now`: today (local), once today's office opening
    has passed on a working day; None on non-working days and before the opening."""
    local = cal.local(now)
    opening = _opening(cal, local.date())
    if opening is None or local < opening:
        return None
    return local.date()


def digest_deliver_at(cal: Calendar, day: date) -> datetime:
    """The opening instant of `day`, when its digest is delivered; `day` must be a working day."""
    opening = _opening(cal, day)
    if opening is None:
        raise ValueError(f"{day} is not a working day: it has no digest")
    return opening


def recompute_due(task: OpenTask, cal: Calendar) -> datetime:
    """The task's deadline under `cal` (e.g. after an admin added a holiday): the SOP rule,
    `Calendar.due(started_at, sla_days)`."""
    return cal.due(task.started_at, task.sla_days)
