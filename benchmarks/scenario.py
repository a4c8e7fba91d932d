"""Preparing a database for a benchmark through the project's own services (no bot running)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from bot.bootstrap import load_calendar, make_ctx
from bot.config import Settings
from bot.models import OutboxRow, User
from bot.services import cases, drafting, review
from bot.services.context import Ctx
from bot.sop import Role
from storage.db import Database
from storage.files import FileStore


@asynccontextmanager
async def open_ctx(settings: Settings, clock: Callable[[], datetime]) -> AsyncIterator[Ctx]:
    """The database (created and migrated if new) with a context around it, closed on exit."""
    db = await Database.open(settings.database_path)
    try:
        yield make_ctx(
            settings=settings,
            db=db,
            calendar=await load_calendar(settings, db),
            files=FileStore(settings.documents_dir),
            clock=clock,
        )
    finally:
        await db.close()


async def add_opds(ctx: Ctx, count: int) -> list[int]:
    """`count` OPDs, OPD000.., returns their ids in code order."""
    async with ctx.db.transaction() as uow:
        for i in range(count):
            await uow.opds.upsert(f"OPD{i:03d}", f"Dinas Contoh {i:03d}")
        await uow.commit()
    async with ctx.db.transaction() as uow:
        return [o.id for o in sorted(await uow.opds.all(), key=lambda o: o.code)]


async def add_users(ctx: Ctx, people: list[tuple[int, Role, int | None]]) -> list[User]:
    """Registered people (as if they had joined), as (Telegram id, role, OPD id)."""
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        ids = [
            await uow.users.add(
                name=f"Orang {uid}",
                role=role,
                opd_id=opd_id,
                channel="telegram",
                external_id=str(uid),
                chat_id=str(uid),
                now=now,
            )
            for uid, role, opd_id in people
        ]
        await uow.commit()
    async with ctx.db.transaction() as uow:
        users = [await uow.users.get(i) for i in ids]
    return [u for u in users if u is not None]


async def round_at_step3(ctx: Ctx, pejabat: User, utama: User, opd_ids: list[int]) -> list[int]:
    """A round for these OPDs, drafted, sent and approved: every case waits in step 3 for its
    OPD's PPID Pendukung (whose hand-over notices are now pending in the outbox)."""
    views = await cases.create_round(ctx, pejabat, "DIP Semester I 2027", opd_ids)
    for v in views:
        case_id = v.case.id
        await drafting.add_entry(ctx, pejabat, case_id, "Laporan Keuangan 2026", "LKPD", 0)
        version = (await cases.view(ctx, case_id)).case.version
        await drafting.send_to_utama(ctx, pejabat, case_id, version)
        version = (await cases.view(ctx, case_id)).case.version
        await review.approve_step2(ctx, utama, case_id, version)
    return [v.case.id for v in views]


async def settle_outbox(ctx: Ctx, keep: Callable[[OutboxRow], bool] = lambda _: False) -> int:
    """Mark the pending outbox rows as sent, but those `keep` selects; returns how many are kept."""
    kept = 0
    async with ctx.db.transaction() as uow:
        for row in await uow.outbox.listing(("pending",)):
            if keep(row):
                kept += 1
            else:
                await uow.outbox.mark_sent(row.id, ctx.now())
        await uow.commit()
    return kept
