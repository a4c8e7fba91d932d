"""Six-monthly rounds: `berkala` information must be refreshed at least every six months. A
schedule (by default January and July) makes the sweep open a round on the first working day of
those months, for the OPDs of the previous round, with its entries copied into each new draft."""

from __future__ import annotations

from datetime import date, datetime

from bot.models import User
from bot.reminders import digest_day
from bot.services.cases import open_round
from bot.services.context import Ctx, audit
from bot.sop import Role
from bot.workdays import Calendar
from bot.workflow import Refused, check_present
from storage.cases import ENTRY_FIELDS
from storage.uow import UnitOfWork

DEFAULT_MONTHS = "1,7"
DEFAULT_PATTERN = "DIP Semester {semester} {year}"


def round_name(pattern: str, day: date) -> str:
    return pattern.format(semester="I" if day.month <= 6 else "II", year=day.year)


def first_workday(cal: Calendar, year: int, month: int) -> date:
    day = date(year, month, 1)
    while not cal.is_workday(day):
        day = date.fromordinal(day.toordinal() + 1)
    return day


def months_of(text: str) -> list[int]:
    return [int(m) for m in text.split(",") if m.strip()]


async def set_schedule(ctx: Ctx, user: User, months: str = DEFAULT_MONTHS) -> None:
    if not user.active or user.role != Role.PEJABAT:
        raise Refused("refused-role")
    check_present(user)
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        await uow.schedules.set(months, DEFAULT_PATTERN, user.id, now)
        await audit(uow, now, "schedule:set", user, note=months)
        await uow.commit()


async def stop_schedule(ctx: Ctx, user: User) -> bool:
    if not user.active or user.role != Role.PEJABAT:
        raise Refused("refused-role")
    check_present(user)
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        stopped = await uow.schedules.stop()
        await audit(uow, now, "schedule:stop", user)
        await uow.commit()
    return stopped


async def open_due_rounds(uow: UnitOfWork, ctx: Ctx, now: datetime) -> list[int]:
    """Inside the sweep's transaction: open the rounds scheduled for today, once each."""
    cal = ctx.calendar
    day = digest_day(cal, now)
    if day is None:
        return []
    opened = []
    for schedule in await uow.schedules.active():
        if day.month not in months_of(schedule.months):
            continue
        if day != first_workday(cal, day.year, day.month):
            continue
        period = f"{day.year}-{day.month:02d}"
        if not await uow.schedules.hold(schedule.id):
            continue  # stopped meanwhile
        if await uow.schedules.has_period(schedule.id, period):
            continue
        owner = await uow.users.get(schedule.created_by)
        if owner is None:
            continue
        rounds = await uow.rounds.all()
        previous = rounds[-1] if rounds else None
        previous_cases = await uow.cases.all(round_id=previous.id) if previous else []
        opd_ids = [c.opd_id for c in previous_cases] or [o.id for o in await uow.opds.all()]
        if not opd_ids:
            continue
        name = round_name(schedule.name_pattern, day)
        round_id, _ = await open_round(uow, ctx, owner, name, opd_ids, now, exclude=None,
                                              action="round:auto")  # fmt: skip
        new_cases = {c.opd_id: c.id for c in await uow.cases.all(round_id=round_id)}
        for old in previous_cases:
            for entry in await uow.entries.for_case(old.id):
                fields = {f: getattr(entry, f) for f in ENTRY_FIELDS}
                fields["category"] = entry.category.value
                await uow.entries.add(new_cases[old.opd_id], fields)
        await uow.schedules.claim_period(schedule.id, period, round_id)
        opened.append(round_id)
    return opened
