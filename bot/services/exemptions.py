"""Exemptions that expire: the sweep's notices about them, and the two decisions (extend with a
new consequence test and end date; open it, which changes its category and sends the entry back
to its OPD for documents, then through steps 4 and 5 like any other)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Final, Protocol

from bot import exemptions
from bot.models import Case, Entry, User
from bot.reminders import Policy, next_delivery
from bot.services.cases import load
from bot.services.context import Ctx, audit
from bot.services.handover import hand_over, take
from bot.sop import CLOSED, Category, Role
from bot.workdays import Calendar
from bot.workflow import Refused, Transition, check_exempt
from storage.journal import Queued
from storage.uow import UnitOfWork

OPEN_CATEGORIES: Final = (Category.BERKALA, Category.SERTA_MERTA, Category.SETIAP_SAAT)
# Ten working days are never more than this many calendar days (Lebaran and cuti bersama
# included): exemptions ending later are not looked at yet.
LOOK_AHEAD: Final = timedelta(days=45)


class Holders(Protocol):
    """Active people by role (`bot.services.sweep.People`)."""

    def holding(self, roles: Iterable[tuple[Role, bool]], opd_id: int) -> list[User]: ...


def may_decide(user: User, opd_id: int) -> bool:
    """Every PPID Utama, and the PPID Pendukung of the entry's OPD."""
    return user.active and (
        user.role == Role.UTAMA or (user.role == Role.PENDUKUNG and user.opd_id == opd_id)
    )


async def sweep(
    uow: UnitOfWork, cal: Calendar, policy: Policy, people: Holders, now: datetime
) -> int:
    """Queue the notices that fell due for exemptions ending soon or past (idempotent: each
    notice has one outbox key per exemption period and recipient)."""
    queue: list[Queued] = []
    for row in await uow.exemptions.ending_by((now + LOOK_AHEAD).date()):
        until = row.exempt_until
        for n in exemptions.due_now(row.id, until, cal, policy, now):
            payload = {"kind": f"exempt_{n.kind}", "level": n.level, "entry_id": row.id,
                       "case_id": row.case_id, "until": until.isoformat(),
                       "at": n.at.isoformat(), "deliver_at": n.deliver_at.isoformat()}  # fmt: skip
            not_before = next_delivery(cal, max(n.deliver_at, now))
            queue += [
                Queued(n.key(row.id, until, person.id), person.id, payload, not_before)
                for person in people.holding(exemptions.AUDIENCE_ROLES[n.audience], row.opd_id)
            ]
    return await uow.outbox.enqueue_many(queue, now)


async def exempt_entry(
    uow: UnitOfWork, user: User, entry_id: int, until_ordinal: int, *, taking: bool = False
) -> tuple[Entry, Case]:
    """The exempt entry a press is about, re-checked: still exempt with the same end date, and
    this person may decide on it. `taking` takes its case first (`take`): two decisions on one
    entry at once (the PPID Utama and the OPD, on two instances) are taken one after the other,
    and the second one finds the entry decided."""
    entry = await uow.entries.get(entry_id)
    if taking and entry is not None:
        await take(uow, entry.case_id)
        entry = await uow.entries.get(entry_id)
    case = await uow.cases.get(entry.case_id) if entry is not None else None
    if entry is None or case is None:
        raise Refused("refused-unknown-entry")
    if not may_decide(user, case.opd_id):
        raise Refused("refused-role")
    if (
        entry.category != Category.DIKECUALIKAN
        or entry.exempt_until is None
        or entry.exempt_until.toordinal() != until_ordinal
    ):
        raise Refused("refused-exempt-decided")
    return entry, case


async def extend(
    ctx: Ctx, user: User, entry_id: int, until_ordinal: int, reference: str, until: date
) -> Entry:
    """A new consequence test and end date; the old ones stay in the decision's record."""
    now = ctx.now()
    ref, until = check_exempt(reference, until, now.date())
    async with ctx.db.transaction() as uow:
        entry, case = await exempt_entry(uow, user, entry_id, until_ordinal, taking=True)
        assert entry.exempt_until is not None
        if until <= entry.exempt_until:
            raise Refused("refused-exempt-not-later", until=entry.exempt_until.strftime("%d-%m-%Y"))
        await uow.entries.update(entry.id, exempt_reference=ref, exempt_until=until)
        await uow.exemptions.add_decision(
            entry_id=entry.id, action="extend", old_reference=entry.exempt_reference,
            old_until=entry.exempt_until, new_reference=ref, new_until=until, by=user.id, now=now,
        )  # fmt: skip
        await audit(uow, now, "exempt:extend", user, case_id=case.id, opd_id=case.opd_id,
                    note=f"#{entry.number} {entry.exempt_until} -> {until} {ref}")  # fmt: skip
        await uow.commit()
    return entry.model_copy(update={"exempt_reference": ref, "exempt_until": until})


async def open_entry(
    ctx: Ctx, user: User, entry_id: int, until_ordinal: int, category_index: int, note: str
) -> tuple[Entry, datetime | None]:
    """Open an exempt entry in a public category: its case (closed) goes back to step 3 for this
    entry alone, so the OPD sends its documents, the PPID Utama checks them (step 4) and the
    Pejabat PID publishes them (step 5). Returns the entry and the OPD's deadline."""
    if not 0 <= category_index < len(OPEN_CATEGORIES):
        raise Refused("refused-bad-button")
    category = OPEN_CATEGORIES[category_index]
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        entry, case = await exempt_entry(uow, user, entry_id, until_ordinal, taking=True)
        assert entry.exempt_until is not None
        if case.step != CLOSED:
            # Its case is still at work: opening it now would mix two reviews in one.
            raise Refused("refused-exempt-case-busy")
        v = await load(uow, case.id)
        await uow.entries.update(
            entry.id, category=category.value, resolution="none", resolution_note=None,
            exempt_reference=None, exempt_until=None,
        )  # fmt: skip
        await uow.exemptions.add_decision(
            entry_id=entry.id, action="open", old_reference=entry.exempt_reference,
            old_until=entry.exempt_until, category=category.value, by=user.id, now=now,
        )  # fmt: skip
        await audit(uow, now, "exempt:open", user, case_id=case.id, opd_id=case.opd_id,
                    note=f"#{entry.number} {entry.exempt_until} -> {category.value}")  # fmt: skip
        transition = Transition(to_step=3, outcome="reopened", note=note,
                                reviews={entry.id: "returned"})  # fmt: skip
        await uow.rounds.reopen(case.round_id)  # at work again: in /status, closed once published
        due = await hand_over(uow, ctx, v.case, user, transition, now)
        await uow.commit()
    ctx.kick()
    return entry.model_copy(update={"category": category.value}), due
