"""Moving a case from one step to the next: close the task, open the next with its deadline,
queue the notices for the people who act next, and audit it, all in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from bot.models import Case, User
from bot.services.absences import cover_at, uncovered_task
from bot.services.context import Ctx, audit
from bot.sop import CLOSED, STEPS, Role
from bot.workflow import Refused, Transition
from storage.uow import UnitOfWork


async def recipients(uow: UnitOfWork, case: Case, step: int) -> list[User]:
    """The active people who act on `case` at `step`."""
    role = STEPS[step].actor
    return await uow.users.with_role(role, case.opd_id if role == Role.PENDUKUNG else None)


async def claim(uow: UnitOfWork, case: Case, version: int) -> None:
    """Take the case for one change, before writing anything; a second press of the same
    button loses here. `version` is the pressed button's, or the one read with the case before
    any other row of it: whatever changed the case since then bumped it, so the claim fails
    rather than act on what was read (on PostgreSQL, under READ COMMITTED, the second claim
    waits for the first one's commit, then matches no row)."""
    if not await uow.cases.bump(case.id, version):
        raise Refused("refused-stale")


async def take(uow: UnitOfWork, case_id: int) -> None:
    """Take the case for a change that no button's version names (a typed answer, an upload),
    before reading it: a simultaneous change of the same case waits for this one and then reads
    what it did, so two people working on one draft are served one after the other, as on
    SQLite, instead of one of them being refused."""
    if not await uow.cases.take(case_id):
        raise Refused("refused-unknown-case")


async def start_step(
    uow: UnitOfWork,
    ctx: Ctx,
    case: Case,
    step: int,
    now: datetime,
    note: str | None = None,
    exclude: int | None = None,
) -> datetime:
    """Open the task of `step` with its deadline and tell its people (but the one who just
    acted, who sees the answer in the chat already); returns the deadline."""
    due = ctx.calendar.due(now, STEPS[step].sla_days)
    task_id = await uow.tasks.open(case.id, step, now, due)
    holders = await recipients(uow, case, step)
    # Absent holders are skipped; their stand-in gets it on their behalf (`bot.absences`).
    routed = (await cover_at(uow, now)).route(holders) if holders else []
    if holders and not routed:
        await uncovered_task(uow, ctx.calendar, now, case, step, task_id)
    for r in routed:
        person = r.user
        if person.id == exclude:
            continue
        payload = {"kind": "handover", "case_id": case.id, "step": step, "task_id": task_id,
                   "due": due.isoformat(), "note": note}  # fmt: skip
        if r.on_behalf:
            payload["for"] = list(r.on_behalf)
        await uow.outbox.enqueue(
            key=f"task:{task_id}:handover:0:{person.id}",
            user_id=person.id,
            payload=payload,
            now=now,
            # Nobody is pinged after hours: a hand-over at 20:00 reaches people at the next opening.
            not_before=ctx.calendar.office_instant(now),
        )  # fmt: skip
    return due


async def hand_over(
    uow: UnitOfWork, ctx: Ctx, case: Case, user: User, transition: Transition, now: datetime
) -> datetime | None:
    """Apply `transition` to a claimed case; returns the new deadline (None once published)."""
    task = await uow.tasks.current(case.id)
    if task is not None:
        await uow.tasks.close(task.id, user.id, transition.outcome, now)
    for entry_id, review in transition.reviews.items():
        changes: dict[str, object] = {"review": review}
        if review == "returned":
            changes["review_note"] = transition.note
        await uow.entries.update(entry_id, **changes)
    await uow.cases.move(case.id, transition.to_step, transition.note, now)
    await audit(
        uow, now, f"step{case.step}:{transition.outcome}", user, case_id=case.id,
        opd_id=case.opd_id, step=case.step, note=transition.note,
    )  # fmt: skip
    if transition.to_step == CLOSED:
        await uow.rounds.close_if_done(case.round_id, now)
        return None
    return await start_step(
        uow, ctx, case, transition.to_step, now, transition.note, exclude=user.id
    )
