"""The deadline sweep: turns due reminders, escalations, overdue notices and the daily digest into
outbox rows, idempotently; recomputes deadlines when the calendar changed. The database is the
source of truth, so a sweep after any downtime catches up, and running it twice changes nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.absences import Cover, Routed
from bot.models import SweepTask, User
from bot.reminders import (
    TASK_KINDS,
    OpenTask,
    Policy,
    audience,
    audience_roles,
    digest_day,
    digest_deliver_at,
    next_delivery,
    plan_task,
    recompute_due,
)
from bot.services import exemptions
from bot.services.absences import cover_at, settle_returns
from bot.services.context import Ctx
from bot.services.recurring import open_due_rounds
from bot.sop import STEPS, Role
from bot.workdays import Calendar
from storage.journal import Queued
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
# Tasks per unit of work, then the lock is free again. Planning takes ~0.1 ms per task (most in
# `reminders.schedule`) and queuing ~0.03 ms per notice; a commit that checkpoints the WAL adds up
# to ~40 ms. 500 held the lock up to 0.38 s on the morning after a working day with 70,000 overdue
# tasks (benchmarks/sweep.py, "next morning"); 100 keeps a unit at ~15-30 ms.
CHUNK = 100
DIGEST_ROLES = (Role.UTAMA, Role.PEJABAT, Role.ATASAN)


def open_task(row: SweepTask) -> OpenTask:
    return OpenTask(
        task_id=row.id,
        case_id=row.case_id,
        step=row.step,
        sla_days=STEPS[row.step].sla_days,
        started_at=row.started_at,
        due_at=row.due_at,
    )


class People:
    """Active people by role (and OPD), loaded once per unit of work, with the cover in force
    (who is away and who stands in for them, `bot.absences`)."""

    def __init__(self, users: Iterable[User], cover: Cover | None = None) -> None:
        self.cover = cover or Cover((), date.min)
        self._by_role: dict[Role, list[User]] = {}
        self._by_opd: dict[tuple[Role, int | None], list[User]] = {}
        for u in users:
            if u.active:
                self._by_role.setdefault(u.role, []).append(u)
                self._by_opd.setdefault((u.role, u.opd_id), []).append(u)

    def holding(self, roles: Iterable[tuple[Role, bool]], opd_id: int) -> list[User]:
        found: dict[int, User] = {}
        for role, same_opd in roles:
            for u in self._by_opd.get((role, opd_id), []) if same_opd else self.with_role(role):
                found[u.id] = u
        return sorted(found.values(), key=lambda u: u.id)

    def with_role(self, role: Role) -> list[User]:
        return self._by_role.get(role, [])

    def present(self, role: Role) -> list[User]:
        """The holders of `role` who are not away (the digest skips absent people)."""
        return [u for u in self.with_role(role) if not self.cover.is_absent(u.id)]

    def routed(self, roles: Iterable[tuple[Role, bool]], opd_id: int) -> list[Routed]:
        """Who receives what is meant for `roles`: absent holders through their stand-in."""
        found: dict[int, Routed] = {}
        for role, same_opd in roles:
            for r in self.cover.route(self.holding([(role, same_opd)], opd_id)):
                had = found.get(r.user.id)
                on_behalf = tuple(sorted({*r.on_behalf, *(had.on_behalf if had else ())}))
                found[r.user.id] = Routed(r.user, on_behalf)
        return [found[uid] for uid in sorted(found)]


async def people_now(
    uow: UnitOfWork, now: datetime, opd_ids: Iterable[int] | None = None
) -> People:
    """The active people, with the cover in force: everyone, or (`opd_ids`) those a notice
    about these OPDs' cases may go to (the staff and these OPDs' PPID Pendukung; a stand-in is
    of the same role and OPD, so the cover finds them among them)."""
    users = await (uow.users.all() if opd_ids is None else uow.users.active_for(opd_ids))
    return People(users, await cover_at(uow, now, users))


async def sweep(ctx: Ctx, policy: Policy | None = None, now: datetime | None = None) -> int:
    """One pass at `now` (`ctx.now()` when not given); returns how many outbox rows it queued.

    The due tasks are planned in units of work of `CHUNK` tasks, so that a long pass (after an
    upgrade or a calendar change, over many thousands of open tasks) lets the people's updates
    in between; each unit commits its notices with the tasks' progress, so a crash loses nothing
    and the next pass carries on. The digest and the recurring rounds come last, in one more.
    """
    policy = policy or ctx.policy
    now = now or ctx.now()
    queued = 0
    # What to look at is read beside the units of work, not inside one: at a million open
    # tasks the list of due ones (and whether anything is due for the digest) takes long
    # enough to keep everyone's taps waiting (issue 15).
    day = digest_day(ctx.calendar, now)
    async with ctx.db.read_aside() as aside:
        due = await aside.tasks.due_for_sweep(now)
        digest_due = day is not None and await aside.tasks.any_due_by(end_of_day(ctx.calendar, day))
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
                queued += await _finish(uow, ctx, policy, now, digest_due)
            else:
                queued += await _plan(uow, ctx.calendar, policy, now, unit)
            await uow.commit()
    if queued:
        ctx.kick()
    return queued


async def _calendar_current(uow: UnitOfWork, cal: Calendar) -> bool:
    """Whether the database's calendar overrides are those `cal` was built with."""
    return {o.day: o for o in await uow.calendar.overrides()} == dict(cal.overrides)


async def _finish(
    uow: UnitOfWork, ctx: Ctx, policy: Policy, now: datetime, digest_due: bool
) -> int:
    """The once-per-pass work: absences that are over (both people told once), today's digest,
    the exemptions that end soon, the recurring rounds, the pass's record."""
    people = await people_now(uow, now)
    queued = await settle_returns(uow, ctx.calendar, now)
    queued += await _digest(uow, ctx.calendar, policy, people, now, digest_due)
    queued += await exemptions.sweep(uow, ctx.calendar, policy, people, now)
    queued += len(await open_due_rounds(uow, ctx, now))
    await uow.meta.set("last_sweep", now.isoformat())
    return queued


async def _plan(
    uow: UnitOfWork, cal: Calendar, policy: Policy, now: datetime, task_ids: list[int]
) -> int:
    """Queue what fell due for these tasks (those still open) and when to look at them again.

    Every notice is queued, also one that a later one makes pointless: which of a person's
    notices goes out is decided when they leave together (`reminders.supersede`), so that the
    rule holds whichever sweep queued them. Whether a notice is late is decided then too."""
    rows = await uow.tasks.sweep_rows(task_ids)
    # Only the people these tasks may concern: a province has thousands of PPID Pendukung, and
    # loading them all in every unit of work cost more than planning its hundred tasks.
    people = await people_now(uow, now, [r.opd_id for r in rows])
    queue: list[Queued] = []
    planned: list[tuple[int, datetime | None, datetime | None]] = []
    for row in rows:
        task = open_task(row)
        plan = plan_task(task, cal, policy, now, row.notified_until)
        for p in plan.fresh:
            roles = audience_roles(task.step, audience(p.kind, p.level))
            payload = {"kind": p.kind, "level": p.level, "case_id": task.case_id,
                       "task_id": task.task_id, "step": task.step, "due": task.due_at.isoformat(),
                       "at": p.at.isoformat(), "deliver_at": p.deliver_at.isoformat()}  # fmt: skip
            not_before = next_delivery(cal, max(p.deliver_at, now))
            queue += [
                Queued(p.key(r.user.id), r.user.id, _for(payload, r), not_before)
                for r in people.routed(roles, row.opd_id)
            ]
        # The sweep looks at the task again at its next notice, or in a month at the latest
        # (overdue notices continue every working day).
        planned.append((task.task_id, now, plan.next_at))
    queued = await uow.outbox.enqueue_many(queue, now)
    await uow.tasks.set_planned(planned)
    return queued


async def _digest(
    uow: UnitOfWork, cal: Calendar, policy: Policy, people: People, now: datetime, due: bool
) -> int:
    """Decide today's digest once, at opening: one per person, none when nothing is due (`due`,
    read before the unit of work). It leaves with the person's other notices of that moment,
    as one message; what it lists is counted when it leaves."""
    day = digest_day(cal, now)
    if day is None or not await uow.outbox.digest_decided(day.isoformat(), now):
        return 0
    if not due:
        return 0
    opening = digest_deliver_at(cal, day)
    payload = {"kind": "digest", "day": day.isoformat(), "deliver_at": opening.isoformat()}
    return await uow.outbox.enqueue_many(
        [
            Queued(f"digest:{day.isoformat()}:{person.id}", person.id, payload,
                   next_delivery(cal, max(opening, now)))
            for role in DIGEST_ROLES
            for person in people.present(role)
        ],
        now,
    )  # fmt: skip


def _for(payload: dict[str, Any], r: Routed) -> dict[str, Any]:
    """The payload for one recipient: with the absent people it reaches them on behalf of."""
    return payload | {"for": list(r.on_behalf)} if r.on_behalf else payload


def end_of_day(cal: Calendar, day: date) -> datetime:
    """The first instant after `day` (local): what is due before it is due today or overdue."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=cal.tz)


async def recompute_deadlines(uow: UnitOfWork, cal: Calendar, now: datetime) -> int:
    """After a calendar change: move the deadlines of open tasks, re-plan their unsent notices and
    tell the assignees the new deadline once. Returns how many tasks moved."""
    people = await people_now(uow, now)
    moved = 0
    for row in await uow.tasks.sweep_rows():
        task = open_task(row)
        new_due = recompute_due(task, cal)
        if new_due == task.due_at:
            continue
        moved += 1
        await uow.tasks.set_due(task.task_id, new_due)
        await uow.outbox.drop_pending_of_task(task.task_id, TASK_KINDS)
        await uow.tasks.set_planned([(task.task_id, None, None)])
        roles = audience_roles(task.step, "assignees")
        for r in people.routed(roles, row.opd_id):
            await uow.outbox.enqueue(
                key=f"task:{task.task_id}:moved:{new_due.isoformat()}:{r.user.id}",
                user_id=r.user.id, now=now, not_before=next_delivery(cal, now),
                payload=_for({"kind": "deadline_moved", "case_id": task.case_id,
                              "step": task.step, "task_id": task.task_id,
                              "due": new_due.isoformat(), "old_due": task.due_at.isoformat()}, r),
            )  # fmt: skip
    return moved
