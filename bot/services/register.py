"""The public register and the internal register of exempt information, read from the database,
and the rebuild of the built-in site. Only approved, documented, non-exempt, non-withdrawn entries
ever become a `PublicEntry`; the site builder refuses exempt ones once more."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path

from bot import exemptions, heavy
from bot.publishing.model import ExemptEntry, PublicDocument, PublicEntry
from bot.publishing.site import SiteBuilder
from bot.services.context import Ctx
from bot.sop import Category
from bot.workdays import Calendar
from storage.uow import UnitOfWork

_rebuild_lock = asyncio.Lock()
SITE_BUILD_TIMEOUT_S = 600.0  # thousands of documents copied and synced


def site_of(ctx: Ctx) -> SiteBuilder:
    return SiteBuilder(ctx.settings.web_dir, base_url=ctx.settings.public_base_url)


async def public_entries(uow: UnitOfWork, ctx: Ctx) -> list[PublicEntry]:
    result = []
    for row in await uow.entries.register_rows():
        if row["category"] == Category.DIKECUALIKAN:  # defence in depth; the query excludes it
            continue
        docs = tuple(
            PublicDocument(sha256=d.sha256, name=d.name, mime=d.mime, size=d.size,
                           source=ctx.files.path_for(d.sha256))
            # Current documents only: removed and rejected ones never reach the public.
            for d in await uow.documents.for_entry(row["id"])
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
    for r in await uow.entries.register_rows(exempt=True):
        until = date.fromisoformat(r["exempt_until"]) if r["exempt_until"] else None
        decide_by, status = "", ""
        if until is not None and cal is not None and now is not None:
            decide_by = exemptions.ask_date(until, cal).isoformat()
            status = (
                "lewat, belum diputuskan" if exemptions.is_overdue(until, cal, now)
                else "perlu keputusan" if exemptions.is_asked(until, cal, now)
                else "berlaku"
            )  # fmt: skip
        result.append(ExemptEntry(
            opd_code=r["opd_code"], opd_name=r["opd_name"], round_name=r["round_name"],
            number=r["number"], title=r["title"], reference=r["exempt_reference"] or "",
            valid_until=r["exempt_until"] or "", decide_by=decide_by, status=status,
        ))  # fmt: skip
    return result


async def rebuild_site(ctx: Ctx) -> int:
    """Write the site anew from the database; returns how many entries it shows."""
    async with _rebuild_lock:
        async with ctx.db.transaction() as uow:
            entries = await public_entries(uow, ctx)
        # Templating and copying run in a child process (bot.heavy), so that everyone else is
        # answered meanwhile; the builder swaps the site atomically, a killed build leaves the
        # live site as it was.
        settings = ctx.settings
        await heavy.run(_build_site, settings.web_dir, settings.public_base_url, entries,
                        ctx.now(), timeout=SITE_BUILD_TIMEOUT_S)  # fmt: skip
    return len(entries)


def _build_site(
    root: Path, base_url: str | None, entries: list[PublicEntry], updated_at: datetime
) -> None:
    """In the child process: the builder itself does not cross processes (its templates)."""
    SiteBuilder(root, base_url=base_url).build(entries, updated_at=updated_at)
