"""The deadline sweep: turns due reminders, escalations, overdue notices and the daily digest into
outbox rows, idempotently; recomputes deadlines when the calendar changed. The database is the
source of truth, so a sweep after any downtime catches up, and running it twice changes nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from bot.models import User
from bot.reminders import (
    OpenTask,
    Policy,
    audience,
    audience_roles,
    digest_day,
    digest_deliver_at,
    recompute_due,
    schedule,
)
from bot.services.context import Ctx
from bot.services.recurring import open_due_rounds
from bot.sop import STEPS, Role
from bot.workdays import Calendar
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
TASK_NOTICE_KINDS = ("reminder", "escalation", "overdue")
HORIZON = timedelta(days=30)
CHUNK = 1000  # tasks per unit of work: about 0.1 s of planning, then the lock is free again
ASSIGNEE_PINGS = ("reminder", "overdue")
DIGEST_ROLES = (Role.UTAMA, Role.PEJABAT, Role.ATASAN)


def open_task(row: dict[str, Any]) -> OpenTask:
    return OpenTask(
        task_id=row["id"],
        case_id=row["case_id"],
        step=row["step"],
        sla_days=STEPS[row["step"]].sla_days,
        started_at=datetime.fromisoformat(row["started_at"]),
        due_at=datetime.fromisoformat(row["due_at"]),
    )


class People:
    """Active people by role, loaded once per sweep."""

    def __init__(self, users: Iterable[User]) -> None:
        self._users = [u for u in users if u.active]

    def holding(self, roles: Iterable[tuple[Role, bool]], opd_id: int) -> list[User]:
        found: dict[int, User] = {}
        for role, same_opd in roles:
            for u in self._users:
                if u.role == role and (not same_opd or u.opd_id == opd_id):
                    found[u.id] = u
        return sorted(found.values(), key=lambda u: u.id)

    def with_role(self, role: Role) -> list[User]:
        return [u for u in self._users if u.role == role]


async def sweep(ctx: Ctx, policy: Policy | None = None) -> int:
    """One pass at `ctx.now()`; returns how many outbox rows it queued.

    The due tasks are planned in units of work of `CHUNK` tasks, so that a long pass (after an
    upgrade or a calendar change, over many thousands of open tasks) lets the people's updates
    in between; each unit commits its notices with the tasks' progress, so a crash loses nothing
    and the next pass carries on. The digest and the recurring rounds come last, in one more.
    """
    policy = policy or ctx.policy
    now = ctx.now()
    queued = 0
    async with ctx.db.read() as uow:
        due = await uow.tasks.due_for_sweep(now)
    units: list[list[int] | None] = [due[at : at + CHUNK] for at in range(0, len(due), CHUNK)]
    for unit in [*units, None]:  # None: the closing unit (digest, recurring rounds)
        async with ctx.db.transaction() as uow:
            # Between two units of work an admin may change the holidays from the command line
            # (another process): planning on with the old calendar would send on a new holiday.
            # The pass stops; the next one, a minute later, goes on with the new calendar.
            if not await _calendar_current(uow, ctx.calendar):
                log.info("the calendar changed during the sweep; the next sweep carries on")
                break
            if unit is None:
                queued += await _finish(uow, ctx, policy, now)
            else:
                queued += await _plan(uow, ctx.calendar, policy, now, unit)
            await uow.commit()
    if queued:
        ctx.kick()
    return queued


async def _calendar_current(uow: UnitOfWork, cal: Calendar) -> bool:
    """Whether the database's calendar overrides are those `cal` was built with."""
    return {o.day: o for o in await uow.calendar.overrides()} == dict(cal.overrides)


async def _finish(uow: UnitOfWork, ctx: Ctx, policy: Policy, now: datetime) -> int:
    """The once-per-pass work: today's digest, the recurring rounds, the pass's record."""
    people = People(await uow.users.all())
    queued = await _digest(uow, ctx.calendar, policy, people, now)
    queued += len(await open_due_rounds(uow, ctx, now))
    await uow.meta.set("last_sweep", now.isoformat())
    return queued


async def _plan(
    uow: UnitOfWork, cal: Calendar, policy: Policy, now: datetime, task_ids: list[int]
) -> int:
    """Queue what fell due for these tasks (those still open) and when to look at them again."""
    people = People(await uow.users.all())
    queued = 0
    planned: list[tuple[int, datetime | None, datetime | None]] = []
    for row in await uow.tasks.sweep_rows(task_ids):
        task = open_task(row)
        since = datetime.fromisoformat(row["notified_until"]) if row["notified_until"] else None
        plan = schedule(task, cal, policy, until=now + HORIZON)
        fresh = [p for p in plan if p.at <= now and (since is None or p.at > since)]
        # After downtime several pings to the assignees can be due at once; only the latest
        # says something true now ("overdue" beats "2 hours left"), the others are recorded
        # as skipped so that they never go out.
        pings = [p for p in fresh if p.kind in ASSIGNEE_PINGS]
        superseded = {id(p) for p in pings[:-1]}
        for p in fresh:
            late = p.deliver_at < now - policy.late_grace
            not_before = cal.office_instant(max(p.deliver_at, now))
            roles = audience_roles(task.step, audience(p.kind, p.level))
            payload = {"kind": p.kind, "level": p.level, "case_id": task.case_id,
                       "task_id": task.task_id, "step": task.step,
                       "due": task.due_at.isoformat(), "late": late}  # fmt: skip
            skipped = "superseded by a later notice" if id(p) in superseded else None
            for person in people.holding(roles, row["opd_id"]):
                if await uow.outbox.enqueue(key=p.key(person.id), user_id=person.id,
                                            payload=payload, now=now, not_before=not_before,
                                            skipped=skipped):  # fmt: skip
                    queued += 0 if skipped else 1
        # The sweep looks at the task again at its next notice, or in a month at the latest
        # (overdue notices continue every working day).
        upcoming = next((p.at for p in plan if p.at > now), now + HORIZON)
        planned.append((task.task_id, now, upcoming))
    await uow.tasks.set_planned(planned)
    return queued


async def _digest(
    uow: UnitOfWork, cal: Calendar, policy: Policy, people: People, now: datetime
) -> int:
    """Decide today's digest once, at opening: one message per person, none when nothing is due."""
    day = digest_day(cal, now)
    if day is None or not await uow.outbox.digest_decided(day.isoformat(), now):
        return 0
    rows = await uow.tasks.sweep_rows()
    due_today = [r for r in rows if cal.local(datetime.fromisoformat(r["due_at"])).date() == day]
    overdue = [r for r in rows if datetime.fromisoformat(r["due_at"]) < now]
    if not due_today and not overdue:
        return 0
    opening = digest_deliver_at(cal, day)
    payload = {"kind": "digest", "day": day.isoformat(), "late": opening < now - policy.late_grace}
    queued = 0
    for role in DIGEST_ROLES:
        for person in people.with_role(role):
            if await uow.outbox.enqueue(key=f"digest:{day.isoformat()}:{person.id}",
                                        user_id=person.id, payload=payload, now=now,
                                        not_before=cal.office_instant(max(opening, now))):  # fmt: skip
                queued += 1
    return queued


async def recompute_deadlines(uow: UnitOfWork, cal: Calendar, now: datetime) -> int:
    """After a calendar change: move the deadlines of open tasks, re-plan their unsent notices and
    tell the assignees the new deadline once. Returns how many tasks moved."""
    people = People(await uow.users.all())
    moved = 0
    for row in await uow.tasks.sweep_rows():
        task = open_task(row)
        new_due = recompute_due(task, cal)
        if new_due == task.due_at:
            continue
        moved += 1
        await uow.tasks.set_due(task.task_id, new_due)
        await uow.outbox.drop_pending_of_task(task.task_id, TASK_NOTICE_KINDS)
        await uow.tasks.set_planned([(task.task_id, None, None)])
        roles = audience_roles(task.step, "assignees")
        for person in people.holding(roles, row["opd_id"]):
            await uow.outbox.enqueue(
                key=f"task:{task.task_id}:moved:{new_due.isoformat()}:{person.id}",
                user_id=person.id, now=now, not_before=cal.office_instant(now),
                payload={"kind": "deadline_moved", "case_id": task.case_id, "step": task.step,
                         "task_id": task.task_id, "due": new_due.isoformat(),
                         "old_due": task.due_at.isoformat()},
            )  # fmt: skip
    return moved
