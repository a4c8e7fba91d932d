"""Step 3 (PPID Pendukung): answer every requested entry, then send the answers to PPID Utama."""

from __future__ import annotations

from datetime import date, datetime

from bot.models import Entry, User
from bot.services.cases import CaseView, load
from bot.services.context import Ctx, audit
from bot.services.handover import claim, hand_over, take
from bot.workflow import (
    MAX_NOTE,
    Refused,
    check_actor,
    check_entry_editable_in_step3,
    check_exempt,
    check_version,
    clean_text,
    submit_documents,
)
from storage.uow import UnitOfWork


async def entry_in_step3(
    uow: UnitOfWork, user: User, entry_id: int, *, taking: bool = False
) -> tuple[CaseView, Entry]:
    """The entry and its case, re-checked: this person answers it in step 3 now. `taking`
    takes the case for a change first (`take`), so what is checked is what is changed."""
    found = await uow.entries.get(entry_id)
    if found is None:
        raise Refused("refused-unknown-entry")
    if taking:
        await take(uow, found.case_id)
    v = await load(uow, found.case_id)
    check_actor(user, v.case, step=3)
    entry = next((e for e in v.entries if e.id == entry_id), None) if taking else found
    if entry is None:
        raise Refused("refused-unknown-entry")
    check_entry_editable_in_step3(entry)
    return v, entry


async def open_case_of(ctx: Ctx, user: User, number: int) -> tuple[int, int]:
    """The (case, entry) a caption `#number` means: the person's most urgent case in step 3."""
    async with ctx.db.read() as uow:
        cases = [c for c in await uow.cases.all(opd_id=user.opd_id, open_only=True) if c.step == 3]
        if not cases or user.opd_id is None:
            raise Refused("refused-no-step3-case")
        tasks = await uow.tasks.current_of(c.id for c in cases)
        cases.sort(key=lambda c: t.due_at if (t := tasks.get(c.id)) else datetime.max.astimezone())
        entry = await uow.entries.by_number(cases[0].id, number)
        if entry is None:
            raise Refused("refused-unknown-number", number=number)
        return cases[0].id, entry.id


async def _resolve(ctx: Ctx, user: User, entry_id: int, action: str, **changes: object) -> Entry:
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        v, entry = await entry_in_step3(uow, user, entry_id, taking=True)
        await uow.entries.update(entry_id, review="pending", **changes)
        await audit(uow, now, action, user, case_id=v.case.id, step=3,
                    note=f"#{entry.number} {changes.get('resolution_note') or changes.get('exempt_reference') or ''}".strip())  # fmt: skip
        updated = await uow.entries.get(entry_id)
        # The dialog that asked for this ends in the same transaction: were it cleared after
        # the commit, a crash in between would leave it open, and the answer, delivered again
        # after the restart, would be recorded a second time.
        await uow.dialogs.clear(user.id)
        await uow.commit()
    assert updated is not None
    return updated


async def declare_not_held(ctx: Ctx, user: User, entry_id: int, reason: str) -> Entry:
    reason = clean_text(reason, MAX_NOTE)
    return await _resolve(
        ctx, user, entry_id, "entry:not_held", resolution="not_held", resolution_note=reason,
        exempt_reference=None, exempt_until=None,
    )  # fmt: skip


async def propose_exempt(ctx: Ctx, user: User, entry_id: int, reference: str, until: date) -> Entry:
    ref, until = check_exempt(reference, until, ctx.now().date())
    return await _resolve(
        ctx, user, entry_id, "entry:exempt", resolution="exempt", exempt_reference=ref,
        exempt_until=until, resolution_note=None,
    )  # fmt: skip


async def send_to_utama(ctx: Ctx, user: User, case_id: int, version: int) -> datetime | None:
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        v = await load(uow, case_id)
        check_actor(user, v.case, step=3)
        check_version(v.case, version)
        transition = submit_documents(v.entries)
        await claim(uow, v.case, version)
        due = await hand_over(uow, ctx, v.case, user, transition, now)
        await uow.commit()
    ctx.kick()
    return due
