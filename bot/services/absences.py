"""Use cases of absences (Plh/Plt): record one (a person for themselves, an admin for anyone),
end one early, tell both people once when it is over; and the cover in force, loaded for the rule
in `bot.absences` that every hand-over, sweep, delivery and press goes through."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.absences import Absence, Cover, check_absence, returned, same_post, uncovered_day
from bot.models import Case, User
from bot.reminders import next_delivery
from bot.services.context import Ctx, audit
from bot.sop import STEPS, Role
from bot.workdays import Calendar
from bot.workflow import Refused
from storage.uow import UnitOfWork

RECORDS = (Role.PEJABAT, Role.UTAMA, Role.PENDUKUNG, Role.ATASAN)  # roles that may be away


async def cover_at(uow: UnitOfWork, now: datetime, users: list[User] | None = None) -> Cover:
    """The cover in force on `now`'s local day. Without any absence recorded (the usual case)
    it costs one small query: the people are loaded only when somebody is or will be away."""
    absences = await uow.absences.unsettled()
    if not absences:
        return Cover((), now.date())
    people = users if users is not None else await uow.users.all()
    return Cover(absences, now.date(), {u.id: u for u in people})


async def as_seen(uow: UnitOfWork, user: User, now: datetime) -> User:
    """The person as the rules see them now (with `away` when they are away)."""
    return (await cover_at(uow, now)).as_seen(user)


async def person_seen(
    uow: UnitOfWork, channel: str, external_id: str, now: datetime
) -> User | None:
    """The person writing, as the rules see them now, in one round trip when they are not away
    (the router's lookup of every update); their stand-in's name costs one more when they are."""
    user, own = await uow.absences.person(channel, external_id)
    if user is None:
        return None
    cover = Cover(own, now.date())
    away = cover.absence(user.id)
    if away is not None and away.stand_in_id is not None:
        stand_in = await uow.users.get(away.stand_in_id)
        if stand_in is not None:
            cover = Cover(own, now.date(), {stand_in.id: stand_in})
    return cover.as_seen(user)


def holders_of(users: list[User], role: Role, opd_id: int | None) -> list[User]:
    """The active holders of `role` (for a PPID Pendukung, of `opd_id`), by id."""
    return sorted(
        (u for u in users if u.active and u.role == role
         and (role != Role.PENDUKUNG or u.opd_id == opd_id)),
        key=lambda u: u.id,
    )  # fmt: skip


async def prepare(ctx: Ctx, actor: User, person_id: int) -> tuple[User, list[User]]:
    """The person whose absence `actor` may record (themselves; an admin: anyone of the roles
    that act) and who may stand in for them (same role, for a PPID Pendukung the same OPD,
    active, not themselves), by name."""
    async with ctx.db.read() as uow:
        person = await uow.users.get(person_id)
        users = await uow.users.all()
    if person is None:
        raise Refused("refused-absence-person")
    _may_record(actor, person)
    others = [u for u in users if u.active and u.id != person.id and same_post(person, u)]
    return person, sorted(others, key=lambda u: u.name)


def _may_record(actor: User, person: User) -> None:
    if not actor.active:
        raise Refused("refused-inactive")
    if actor.id != person.id and actor.role != Role.ADMIN:
        raise Refused("refused-role")
    if person.role not in RECORDS or not person.active:
        raise Refused("refused-absence-person")


async def record(
    ctx: Ctx,
    actor: User,
    person_id: int,
    starts: date,
    ends: date | None,
    stand_in_id: int | None,
) -> Absence:
    """Record an absence after every check; the stand-in is told at once (and the person, when
    an admin recorded it); when nobody of the role is left, the admins and the atasan too."""
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        # Checked against everyone's absences (a stand-in away too, the last holder of a role):
        # two recorded at once on two instances would each miss the other.
        await uow.meta.hold("absences")
        person = await uow.users.get(person_id)
        if person is None:
            raise Refused("refused-absence-person")
        _may_record(actor, person)
        users = await uow.users.all()
        people = {u.id: u for u in users}
        stand_in = people.get(stand_in_id) if stand_in_id else None
        if stand_in_id and stand_in is None:
            raise Refused("refused-stand-in-inactive")
        absences = await uow.absences.unsettled()
        check_absence(person, starts, ends, stand_in, absences, people, now.date(),
                      by_admin=actor.role == Role.ADMIN)  # fmt: skip
        absence_id = await uow.absences.add(
            user_id=person.id, starts=starts, ends=ends, stand_in_id=stand_in_id,
            created_by=actor.id, now=now,
        )  # fmt: skip
        absence = await uow.absences.get(absence_id)
        assert absence is not None
        note = f"{starts.isoformat()}..{ends.isoformat() if ends else ''}"
        if stand_in is not None:
            note += f" pengganti={stand_in.name}"
        await audit(uow, now, "absence:record", actor, opd_id=person.opd_id,
                    note=f"{person.name}: {note}")  # fmt: skip
        payload: dict[str, Any] = {"kind": "absence_recorded", "absence_id": absence_id}
        told = [stand_in] if stand_in is not None else []
        if actor.id != person.id:
            told.append(person)
        for who in told:
            await _tell(uow, ctx.calendar, now, f"absence:{absence_id}:recorded:{who.id}",
                        who.id, payload)  # fmt: skip
        holders = holders_of(users, person.role, person.opd_id)
        gap = uncovered_day(holders, [*absences, absence], starts, ends)
        if gap is not None:
            await _tell_uncovered(uow, ctx.calendar, now, users, f"absence:{absence_id}",
                                  {"kind": "absence_uncovered", "absence_id": absence_id,
                                   "day": gap.isoformat()})  # fmt: skip
        await uow.commit()
    ctx.kick()
    return absence


async def end(ctx: Ctx, actor: User, absence_id: int) -> Absence:
    """End an absence early (the person is back), or withdraw one not begun; told at once."""
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        absence = await uow.absences.get(absence_id)
        person = await uow.users.get(absence.user_id) if absence else None
        if absence is None or person is None:
            raise Refused("refused-absence-unknown")
        _may_record(actor, person)
        if not await uow.absences.end(absence_id, now):
            raise Refused("refused-absence-ended")
        await audit(uow, now, "absence:end", actor, opd_id=person.opd_id,
                    note=f"{person.name}: {absence.starts.isoformat()}")  # fmt: skip
        await settle_returns(uow, ctx.calendar, now)
        ended = await uow.absences.get(absence_id)
        assert ended is not None
        await uow.commit()
    ctx.kick()
    return ended


async def mine(ctx: Ctx, user: User) -> tuple[list[Absence], list[Absence], dict[int, User]]:
    """The absences of `user` not yet over, those they stand in for, and the people named."""
    now = ctx.now()
    async with ctx.db.read() as uow:
        unsettled = await uow.absences.unsettled()
        people = {u.id: u for u in await uow.users.all()}
    over = returned(unsettled, now)
    absences = [a for a in unsettled if a not in over]
    own = [a for a in absences if a.user_id == user.id and a.ended_at is None]
    covering = [a for a in absences if a.stand_in_id == user.id and a.ended_at is None]
    return own, covering, people


async def people_to_record(ctx: Ctx, actor: User) -> list[User]:
    """For an admin: the active people whose absence may be recorded, by role and name."""
    if actor.role != Role.ADMIN:
        raise Refused("refused-role")
    async with ctx.db.read() as uow:
        users = await uow.users.all()
    order = {r: i for i, r in enumerate(RECORDS)}
    found = [u for u in users if u.active and u.role in RECORDS]
    return sorted(found, key=lambda u: (order[u.role], u.opd_id or 0, u.name))


async def all_open(ctx: Ctx) -> tuple[list[Absence], dict[int, User]]:
    """Every absence in force or to come (for the admins), with the people named."""
    now = ctx.now()
    async with ctx.db.read() as uow:
        unsettled = await uow.absences.unsettled()
        people = {u.id: u for u in await uow.users.all()}
    over = returned(unsettled, now)
    return [a for a in unsettled if a not in over and a.ended_at is None], people


async def settle_returns(uow: UnitOfWork, cal: Calendar, now: datetime) -> int:
    """Absences that are over: the person and the stand-in are told once that the open tasks are
    the person's again (of one withdrawn before its first day, only the stand-in is told). Run by every
    sweep, so a return is told after any downtime; returns how many notices were queued."""
    unsettled = await uow.absences.unsettled()
    over = returned(unsettled, now)
    queued = 0
    for a in over:
        payload = {"kind": "absence_over", "absence_id": a.id}
        for who in (a.user_id, a.stand_in_id):
            if who is not None:
                queued += await _tell(uow, cal, now, f"absence:{a.id}:over:{who}", who, payload)
        await uow.absences.mark_told(a.id, now)
    for a in unsettled:
        # Withdrawn before it began: only the stand-in, told when it was recorded, is told.
        if a.ended_at is not None and a not in over:
            if a.stand_in_id is not None:
                queued += await _tell(uow, cal, now, f"absence:{a.id}:withdrawn:{a.stand_in_id}",
                                      a.stand_in_id, {"kind": "absence_withdrawn",
                                                      "absence_id": a.id})  # fmt: skip
            await uow.absences.mark_told(a.id, now)
    return queued


async def uncovered_task(
    uow: UnitOfWork, cal: Calendar, now: datetime, case: Case, step: int, task_id: int
) -> None:
    """A task nobody can take (every holder away, no stand-in): the admins and the atasan are
    told at once, not when the deadline has passed."""
    await _tell_uncovered(uow, cal, now, await uow.users.all(), f"task:{task_id}:uncovered",
                          {"kind": "task_uncovered", "case_id": case.id, "step": step,
                           "task_id": task_id, "role": STEPS[step].actor.value})  # fmt: skip


async def _tell_uncovered(
    uow: UnitOfWork, cal: Calendar, now: datetime, users: list[User], key: str,
    payload: dict[str, Any],
) -> None:  # fmt: skip
    for who in users:
        if who.active and who.role in (Role.ADMIN, Role.ATASAN):
            await _tell(uow, cal, now, f"{key}:{who.id}", who.id, payload)


async def _tell(
    uow: UnitOfWork, cal: Calendar, now: datetime, key: str, user_id: int, payload: dict[str, Any]
) -> int:
    return await uow.outbox.enqueue(key=key, user_id=user_id, payload=payload, now=now,
                                    not_before=next_delivery(cal, now))  # fmt: skip
