"""The site updated in the background after a publication: presses that meet coalesce into one
update, a failing update is told to the admins once, and two publishes of one case at once
publish it once."""

from __future__ import annotations

import asyncio
import errno
import json
from collections.abc import Callable
from typing import Any

import pytest

from bot import heavy
from bot.services import publication, register
from bot.services.site_updates import SiteUpdates
from bot.workflow import Refused
from tests.storage import test_services
from tests.storage.test_services import World, notices, to_step5, version

w = test_services.w  # the fixture of the services' tests: a database with OPDs and people


async def test_requests_that_meet_a_running_update_are_served_by_one_more() -> None:
    updates = SiteUpdates()
    started = asyncio.Event()
    release = asyncio.Event()
    runs = 0

    async def work() -> None:
        nonlocal runs
        runs += 1
        started.set()
        await release.wait()

    async def report(error: BaseException) -> None:
        raise AssertionError("no failure expected")

    updates.connect(work, report)
    first = updates.request()
    await started.wait()
    later = [updates.request() for _ in range(5)]  # five presses while the first update runs
    release.set()
    assert await updates.settled(first)
    assert await updates.settled(later[-1])
    assert runs == 2
    assert await updates.idle()
    await updates.close()


async def test_a_run_of_failures_is_told_once_and_again_after_a_success() -> None:
    updates = SiteUpdates()
    outcomes = [False, False, True, False]
    told: list[str] = []

    async def work() -> None:
        if not outcomes.pop(0):
            raise OSError(errno.ENOSPC, "No space left on device")

    async def report(error: BaseException) -> None:
        told.append(str(error))

    updates.connect(work, report)
    results = [await updates.settled(updates.request()) for _ in range(4)]
    assert results == [False, False, True, False]
    assert len(told) == 2


def failing_build(monkeypatch: pytest.MonkeyPatch, fail: Callable[[], bool]) -> list[str]:
    """The site's child process replaced by a call in this process that runs out of disk while
    `fail()`; returns the names of the builds that ran."""
    ran: list[str] = []
    real = heavy.run

    async def run(fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        if fn.__name__ == "check_file":  # the personal-data check of an upload: not the site's
            return await real(fn, *args, **kw)
        ran.append(fn.__name__)
        if fail():
            raise OSError(errno.ENOSPC, "No space left on device", "/srv/ppid-bot/data/web")
        return await real(fn, *args, **kw)

    monkeypatch.setattr(heavy, "run", run)
    return ran


async def test_a_full_disk_is_told_to_the_admins_once_and_the_live_site_stays(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = w.ctx
    register.connect_site(ctx)
    first = await to_step5(w)
    await publication.publish_to_site(ctx, w.pejabat, first, await version(w, first))
    assert await ctx.site.idle()
    live = (ctx.settings.web_dir / "current").resolve()
    full = True
    ran = failing_build(monkeypatch, lambda: full)
    second = await to_step5(w)
    await publication.publish_to_site(ctx, w.pejabat, second, await version(w, second))
    assert not await ctx.site.idle()
    # A withdrawal meanwhile says so: the site could not be updated.
    async with ctx.db.read() as uow:
        entry = (await register.public_entries(uow, ctx))[0]
    done = await publication.withdraw(ctx, w.utama, entry.id, "Data pribadi")
    assert not done.off_site
    assert (ctx.settings.web_dir / "current").resolve() == live
    told = [n for n in await notices(w) if n.payload["kind"] == "site_failed"]
    assert len(told) == 1  # one admin, told once for the run of failures
    assert "No space left on device" in told[0].payload["error"]
    # Space again: the next update publishes everything, and a later failure is told again.
    full = False
    assert await register.update_site(ctx, wait=True)
    data = json.loads((ctx.settings.web_dir / "current" / "dip.json").read_text("utf-8"))
    assert entry.id not in [e["id"] for e in data["informasi"]]
    assert len(ran) == 3
    await ctx.site.close()


async def test_two_publishes_of_the_same_case_at_once_publish_it_once(w: World) -> None:
    ctx = w.ctx
    register.connect_site(ctx)
    case_id = await to_step5(w)
    at = await version(w, case_id)
    results = await asyncio.gather(
        publication.publish_to_site(ctx, w.pejabat, case_id, at),
        publication.publish_to_site(ctx, w.pejabat, case_id, at),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Refused) for r in results) == 1
    assert await ctx.site.idle()
    data = json.loads((ctx.settings.web_dir / "current" / "dip.json").read_text("utf-8"))
    assert [e["judul"] for e in data["informasi"]] == ["Informasi 1"]
    published = [n for n in await notices(w) if n.payload["kind"] == "published"]
    assert len(published) == len({n.user_id for n in published})  # each person told once
    await ctx.site.close()


async def test_the_register_is_read_in_two_queries_whatever_its_size(w: World) -> None:
    ctx = w.ctx
    counts = []
    for _ in range(3):
        case_id = await to_step5(w)
        await publication.publish_to_site(ctx, w.pejabat, case_id, await version(w, case_id))
        seen: list[str] = []
        await ctx.db.trace(seen.append)
        async with ctx.db.read() as uow:
            entries = await register.public_entries(uow, ctx)
        await ctx.db.trace(None)
        counts.append((len(entries), len(seen)))
    assert counts == [(1, 2), (2, 2), (3, 2)]
