"""Steps 2 and 4 (PPID Utama): approve or return the draft list, then the OPD's documents."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.models import User
from bot.services.cases import load
from bot.services.context import Ctx, audit
from bot.services.drafting import CATEGORIES
from bot.services.handover import claim, hand_over
from bot.services.lifecycle import take_out
from bot.sop import Category
from bot.workflow import (
    Refused,
    Transition,
    approve_documents,
    approve_draft,
    check_actor,
    check_version,
    return_draft,
    return_entries,
)


async def _decide(
    ctx: Ctx, user: User, case_id: int, version: int, step: int, transition: Transition | None,
    *, chosen: Iterable[int] = (), note: str = "", keep: Iterable[int] = (),
) -> datetime | None:  # fmt: skip
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        v = await load(uow, case_id)
        check_actor(user, v.case, step=step)
        check_version(v.case, version)
        if transition is None:  # decided on the entries as they are now
            if step == 2:
                transition = approve_draft(v.entries)
            else:
                documented = {d.entry_id for d in v.documents if d.entry_id is not None}
                transition = (
                    return_entries(v.entries, chosen, note, keep)
                    if note
                    else approve_documents(v.entries, documented)
                )
        await claim(uow, v.case, version)
        for e in v.entries:
            if e.id in transition.reject_documents:
                await take_out(uow, user, v, e, v.docs_of(e.id), "rejected",
                               transition.note or "", now)  # fmt: skip
        if step == 4 and transition.to_step == 5:
            # An exemption the PPID Utama accepts makes the entry exempt for good.
            for e in v.entries:
                if e.resolution == "exempt" and e.category != Category.DIKECUALIKAN:
                    await uow.entries.update(e.id, category=Category.DIKECUALIKAN.value)
        due = await hand_over(uow, ctx, v.case, user, transition, now)
        await uow.commit()
    ctx.kick()
    return due


async def approve_step2(ctx: Ctx, user: User, case_id: int, version: int) -> datetime | None:
    return await _decide(ctx, user, case_id, version, 2, None)


async def return_step2(
    ctx: Ctx, user: User, case_id: int, version: int, reason: str
) -> datetime | None:
    return await _decide(ctx, user, case_id, version, 2, return_draft(reason))


async def approve_step4(ctx: Ctx, user: User, case_id: int, version: int) -> datetime | None:
    return await _decide(ctx, user, case_id, version, 4, None)


async def return_step4(
    ctx: Ctx, user: User, case_id: int, version: int, entry_ids: Iterable[int], note: str,
    keep: Iterable[int] = (),
) -> datetime | None:  # fmt: skip
    """Return entries to the OPD; their current documents are rejected with `note` as the
    reason, except those of the entries in `keep`."""
    if not note.strip():
        raise Refused("refused-empty-text")
    return await _decide(
        ctx, user, case_id, version, 4, None, chosen=entry_ids, note=note, keep=keep
    )


async def correct_category(
    ctx: Ctx, user: User, entry_id: int, category: int, version: int
) -> None:
    if not 0 <= category < len(CATEGORIES):
        raise Refused("refused-bad-button")
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        entry = await uow.entries.get(entry_id)
        if entry is None:
            raise Refused("refused-unknown-entry")
        v = await load(uow, entry.case_id)
        check_actor(user, v.case, step=2)
        check_version(v.case, version)
        await claim(uow, v.case, version)
        await uow.entries.update(entry_id, category=CATEGORIES[category].value)
        await audit(uow, now, "entry:category", user, case_id=v.case.id, step=2,
                    note=f"#{entry.number} {entry.category} -> {CATEGORIES[category].value}")  # fmt: skip
        await uow.commit()
