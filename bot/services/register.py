"""The public register and the internal register of exempt information, read from the database,
and the updates of the built-in site (now, or in the background for the running bot). Only
approved, documented, non-exempt, non-withdrawn entries ever become a `PublicEntry`; the site
builder refuses exempt ones once more."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot import exemptions, heavy
from bot.publishing.model import ExemptEntry, PublicDocument, PublicEntry
from bot.publishing.site import SiteBuilder
from bot.services.admin_notices import notify_admins
from bot.services.context import Ctx
from bot.sop import Category
from bot.workdays import Calendar
from storage.files import FileStore
from storage.register import RegisterRows, Row, read_public_register
from storage.uow import UnitOfWork

_rebuild_lock = asyncio.Lock()
SITE_BUILD_TIMEOUT_S = 600.0  # thousands of documents copied and synced
SITE_BUILD_MEMORY = 4 * 1024 * 1024 * 1024
"""The build's address space on top of the child's: the register is the bot's own data, not a
hostile file, and grows with the city (25,000 entries take about 1 GiB, with the threads that
compress the `.gz` twins)."""


def site_of(ctx: Ctx) -> SiteBuilder:
    return SiteBuilder(ctx.settings.web_dir, base_url=ctx.settings.public_base_url)


async def public_entries(uow: UnitOfWork, ctx: Ctx) -> list[PublicEntry]:
    """The public register, in two queries whatever its size."""
    documents: dict[int, list[Row]] = {}
    for d in await uow.entries.register_documents():
        documents.setdefault(d["entry_id"], []).append(d)
    rows = RegisterRows(entries=await uow.entries.register_rows(), documents=documents)
    return entries_of(rows, ctx.files.path_for)


def entries_of(rows: RegisterRows, path_for: Callable[[str], Path | str]) -> list[PublicEntry]:
    """The register's rows as the site builder's records (documents found by `path_for`)."""
    result = []
    for row in rows.entries:
        if row["category"] == Category.DIKECUALIKAN:  # defence in depth; the query excludes it
            continue
        docs = tuple(
            PublicDocument(sha256=d["sha256"], name=d["name"], mime=d["mime"], size=d["size"],
                           source=path_for(d["sha256"]))
            # Current documents only: removed and rejected ones never reach the public.
            for d in rows.documents.get(row["id"], ())
        )  # fmt: skip
        result.append(
            PublicEntry(
                id=row["id"], opd_code=row["opd_code"], opd_name=row["opd_name"],
                round_name=row["round_name"], number=row["number"], title=row["title"],
                summary=row["summary"], category=row["category"], holder=row["holder"],
                responsible=row["responsible"], made=row["made"], forms=row["forms"],
                retention=row["retention"],
                published_at=datetime.fromisoformat(row["published_at"]), documents=docs,
            )
        )  # fmt: skip
    return result


async def exempt_entries(
    uow: UnitOfWork, cal: Calendar | None = None, now: datetime | None = None
) -> list[ExemptEntry]:
    """The internal register; with a calendar and the time, each line says when its decision is
    asked for and where it stands (`bot.exemptions`)."""
    result = []
    for r in await uow.entries.exempt_register():
        until = r.exempt_until
        decide_by, status = "", ""
        if until is not None and cal is not None and now is not None:
            decide_by = exemptions.ask_date(until, cal).isoformat()
            status = (
                "lewat, belum diputuskan" if exemptions.is_overdue(until, cal, now)
                else "perlu keputusan" if exemptions.is_asked(until, cal, now)
                else "berlaku"
            )  # fmt: skip
        result.append(ExemptEntry(
            opd_code=r.opd_code, opd_name=r.opd_name, round_name=r.round_name, number=r.number,
            title=r.title, reference=r.exempt_reference or "",
            valid_until=until.isoformat() if until else "", decide_by=decide_by, status=status,
        ))  # fmt: skip
    return result


@dataclass(frozen=True)
class SiteBuilt:
    """What an update of the site did (see `SiteBuilder.update`)."""

    entries: int
    rendered: int
    reused: int
    unchanged: bool  # the live site was up to date: nothing was written


async def rebuild_site(ctx: Ctx, *, full: bool = False) -> SiteBuilt:
    """Brings the site up to date with the database now (incremental unless `full`).

    The register is read and the site built in a child process (bot.heavy), over a read-only
    connection of its own, so that everyone else is answered meanwhile and no lock of the bot
    is held; the builder swaps the site atomically, and a failed or killed build leaves the
    live site as it was.
    """
    settings = ctx.settings
    # One build at a time in this process, and (several instances on PostgreSQL sharing the
    # site's folder) in every instance.
    async with _rebuild_lock, ctx.db.exclusive("site", wait=True):
        return await heavy.run(
            _build_site, settings.web_dir, settings.public_base_url, ctx.db.source,
            ctx.files.root, ctx.now(), full, timeout=SITE_BUILD_TIMEOUT_S,
            memory=SITE_BUILD_MEMORY,
        )  # fmt: skip


async def update_site(ctx: Ctx, *, wait: bool = False) -> bool:
    """After a change of the register: the running bot updates the site in the background
    (coalesced, see `SiteUpdates`); `wait` waits for it. Elsewhere (the command line, service
    tests) the update runs now. Whether the site is known to be up to date (False: an update
    failed, and the admins were told; or not waited for)."""
    if not ctx.site.connected:
        await rebuild_site(ctx)
        return True
    ticket = ctx.site.request()
    return await ctx.site.settled(ticket) if wait else False


def connect_site(ctx: Ctx) -> None:
    """For the running bot: site updates run in the background, and the admins hear once of a
    run of failures (a full disk, a folder that cannot be written)."""
    if ctx.settings.publisher != "site":
        return

    async def work() -> None:
        await rebuild_site(ctx)

    async def report(error: BaseException) -> None:
        now = ctx.now()
        payload = {"kind": "site_failed", "at": f"{now:%Y-%m-%d %H.%M}", "error": _reason(error)}
        async with ctx.db.transaction() as uow:
            await notify_admins(uow, ctx.calendar, now, f"site_failed:{now.isoformat()}", payload)
            await uow.commit()
        ctx.kick()

    ctx.site.connect(work, report)
    if (ctx.settings.web_dir / "current").is_symlink():
        # Catch up with what a stop in the middle of an update left out (cheap when nothing did).
        ctx.site.request()


def _reason(error: BaseException) -> str:
    """An error in a few words for the admins (the log has the traceback)."""
    if isinstance(error, OSError):
        return f"{error.strerror or type(error).__name__} ({error.filename or '-'})"[:300]
    return f"{type(error).__name__}: {error}"[:300]


def _build_site(
    root: Path,
    base_url: str | None,
    database: Path | str,
    documents: Path,
    updated_at: datetime,
    full: bool,
) -> SiteBuilt:
    """In the child process: the builder itself does not cross processes (its templates). The
    register is read under the site's lock, so an older read never replaces a newer site."""
    store = FileStore(documents)

    def load() -> list[PublicEntry]:
        return entries_of(read_public_register(database), store.location_for)

    report = SiteBuilder(root, base_url=base_url).update(load, updated_at=updated_at, full=full)
    return SiteBuilt(
        entries=report.entries, rendered=report.rendered, reused=report.reused,
        unchanged=report.unchanged,
    )  # fmt: skip
