"""Step 5 (Pejabat PID): record where each entry is published, then close the case."""

from __future__ import annotations

from dataclasses import dataclass

from bot.models import Entry, User
from bot.services.cases import CaseView, load
from bot.services.context import Ctx, audit
from bot.services.handover import claim, hand_over, take
from bot.services.register import site_of, update_site
from bot.sop import Role
from bot.workflow import (
    MAX_NOTE,
    Refused,
    check_actor,
    check_present,
    check_url,
    check_version,
    clean_text,
    publish,
    publishable,
)


@dataclass(frozen=True)
class Totals:
    published: int
    not_held: int
    exempt: int


def totals(v: CaseView) -> Totals:
    return Totals(
        published=sum(1 for e in v.entries if publishable(e)),
        not_held=sum(1 for e in v.entries if e.resolution == "not_held"),
        # Each entry counts once: not held wins over a category, an exemption needs no documents.
        exempt=sum(
            1
            for e in v.entries
            if e.resolution == "exempt"
            or (e.resolution == "documents" and e.category == "dikecualikan")
        ),
    )


async def record_url(ctx: Ctx, user: User, case_id: int, url: str, entry_id: int | None) -> int:
    """Record `url` for one entry, or (entry_id None) for every publishable entry still without
    one; returns how many entries got it."""
    url = check_url(url)
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        await take(uow, case_id)
        v = await load(uow, case_id)
        check_actor(user, v.case, step=5)
        targets = [
            e for e in v.entries
            if publishable(e) and (e.id == entry_id if entry_id else not e.published_url)
        ]  # fmt: skip
        if not targets:
            raise Refused("refused-unknown-entry")
        for e in targets:
            await uow.entries.update(e.id, published_url=url, published_at=now)
        await audit(uow, now, "entry:url", user, case_id=case_id, step=5,
                    note=f"{','.join('#' + str(e.number) for e in targets)} {url}")  # fmt: skip
        await uow.commit()
    return len(targets)


async def close(ctx: Ctx, user: User, case_id: int, version: int) -> Totals:
    """Manual mode: every publishable entry has its address on the external site; close."""
    return await _publish(ctx, user, case_id, version, site=False)


async def publish_to_site(ctx: Ctx, user: User, case_id: int, version: int) -> Totals:
    """Built-in site: give every publishable entry its page, close the case, and have the site
    updated (in the background for the running bot: the press is answered at once)."""
    totals_ = await _publish(ctx, user, case_id, version, site=True)
    await update_site(ctx)
    return totals_


async def _publish(ctx: Ctx, user: User, case_id: int, version: int, *, site: bool) -> Totals:
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        v = await load(uow, case_id)
        check_actor(user, v.case, step=5)
        check_version(v.case, version)
        await claim(uow, v.case, version)  # before the entries get their pages
        if site:
            builder = site_of(ctx)
            for e in v.entries:
                if publishable(e) and not e.withdrawn_at:
                    await uow.entries.update(e.id, published_url=builder.url_for(e.id),
                                             published_at=now)  # fmt: skip
            v = await load(uow, case_id)
        transition = publish(v.entries)
        await hand_over(uow, ctx, v.case, user, transition, now)
        result = totals(v)
        # Everyone involved hears of it: whoever acted on the case, the OPD and the PPID Utama.
        involved = {t.done_by for t in await uow.tasks.for_case(case_id) if t.done_by}
        involved |= {u.id for u in await uow.users.with_role(Role.UTAMA)}
        involved |= {u.id for u in await uow.users.with_role(Role.PENDUKUNG, v.case.opd_id)}
        involved.discard(user.id)
        for person in sorted(involved):
            await uow.outbox.enqueue(
                key=f"case:{case_id}:published:0:{person}", user_id=person, now=now,
                not_before=ctx.calendar.office_instant(now),
                payload={"kind": "published", "case_id": case_id, "published": result.published,
                         "not_held": result.not_held, "exempt": result.exempt},
            )  # fmt: skip
        await uow.commit()
    ctx.kick()
    return result


@dataclass(frozen=True)
class Withdrawn:
    """A withdrawn entry, and whether the site no longer shows it (False: the update of the
    site failed, the admins were told, and the next update takes it off)."""

    entry: Entry
    off_site: bool


async def withdraw(ctx: Ctx, user: User, entry_id: int, reason: str) -> Withdrawn:
    """The PPID Utama takes a published entry off the site, with a reason (audited); returns
    once the site no longer shows it."""
    if not user.active:
        raise Refused("refused-inactive")
    if user.role != Role.UTAMA:
        raise Refused("refused-role")
    check_present(user)
    reason = clean_text(reason, MAX_NOTE)
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        entry = await uow.entries.get(entry_id)
        if entry is None or not await uow.entries.withdraw(entry_id, user.id, reason, now):
            raise Refused("refused-not-published")
        await audit(uow, now, "entry:withdraw", user, case_id=entry.case_id, step=None,
                    note=f"#{entry.number} {reason}")  # fmt: skip
        await uow.commit()
    off_site = True
    if ctx.settings.publisher == "site":
        off_site = await update_site(ctx, wait=True)
    return Withdrawn(entry, off_site)
