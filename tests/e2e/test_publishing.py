"""Publishing on the built-in site through the chat: the press is answered at once and the site
follows in the background; a double press, a full disk, a site deleted by hand and an admin's
`web build --full` at the same moment each end with a true answer and a complete site."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import shutil
import sys
from collections.abc import Callable
from typing import Any

import pytest

from bot import heavy
from bot.fakeapi import flows
from bot.fakeapi.people import FakePerson
from bot.sop import Role
from tests.e2e.conftest import Harness


def site_titles(h: Harness) -> list[str]:
    path = h.settings.web_dir / "current" / "dip.json"
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return sorted(e["judul"] for e in data["informasi"])


async def at_step5(h: Harness, code: str, uid: int, titles: list[str]) -> FakePerson:
    """A team of `code` whose case with these entries waits for publication; its Pejabat PID,
    who sees the step 5 panel."""
    await h.add_opds(code)
    andi, rina, sari = await h.join_team(uid, code)
    await h.round_at_step5(andi, rina, sari, code, titles)
    await andi.wait_until(lambda m: "Langkah 5" in m.text)
    return andi


def site_build(monkeypatch: pytest.MonkeyPatch, before: Callable[[], Any]) -> list[str]:
    """The site's child process replaced by the same work in a thread of this process, after
    `before()` (awaited when it is a coroutine: a held build; raising: a failed one)."""
    ran: list[str] = []
    real = heavy.run

    async def run(fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        if fn.__name__ == "check_file":  # the personal-data check of an upload: not the site's
            return await real(fn, *args, **kw)
        ran.append(fn.__name__)
        waited = before()
        if asyncio.iscoroutine(waited):
            await waited
        return await asyncio.to_thread(fn, *args)

    monkeypatch.setattr(heavy, "run", run)
    return ran


async def test_a_publish_is_answered_at_once_and_the_site_follows(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    release = asyncio.Event()
    site_build(monkeypatch, release.wait)  # the build waits until the test lets it go
    andi = await at_step5(h, "DINKES", 8100, ["Laporan Keuangan", "Renstra"])
    done = await flows.publish_on_site(andi)
    # Answered while the site is still being built: it says so, and the site is not yet there.
    assert "sedang diterbitkan di web PPID: 2 entri terbit" in done.text
    assert "diperbarui dalam beberapa saat" in done.text
    assert site_titles(h) == []
    release.set()
    await h.site_settled()
    assert site_titles(h) == ["Laporan Keuangan", "Renstra"]


async def test_a_double_press_on_publish_publishes_the_case_once(harness: Harness) -> None:
    h = harness
    andi = await at_step5(h, "DINKES", 8200, ["Laporan"])
    await asyncio.gather(andi.press(flows.PUBLISH_ON_SITE), andi.press(flows.PUBLISH_ON_SITE))
    await andi.wait_for_text("sedang diterbitkan di web PPID")
    toasts = [await andi.next_toast(), await andi.next_toast()]
    assert sorted(toasts) == [
        "",
        "Berkas ini sudah selesai diterbitkan; tidak ada yang perlu dilakukan.",
    ]
    await h.site_settled()
    assert site_titles(h) == ["Laporan"]
    assert sum("sedang diterbitkan" in m.text for m in andi.messages) == 1


async def test_a_full_disk_is_told_to_the_admins_once_and_the_live_site_stays(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    admin = await h.join(8300, "Bapak Admin", Role.ADMIN)
    first = await at_step5(h, "DINKES", 8301, ["Laporan DINKES"])
    await flows.publish_on_site(first)
    await h.site_settled()
    live = (h.settings.web_dir / "current").resolve()

    def no_space() -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(h.settings.web_dir))

    site_build(monkeypatch, no_space)
    for code, uid in (("DISHUB", 8310), ("BAPPEDA", 8320)):
        andi = await at_step5(h, code, uid, [f"Laporan {code}"])
        done = await flows.publish_on_site(andi)
        assert "sedang diterbitkan" in done.text
        assert not await h.ctx.site.idle()
    await h.scheduler.dispatch()
    told = await admin.wait_for_text("Situs DIP gagal diperbarui")
    assert "No space left on device" in told.text and "versi sebelumnya" in told.text
    assert (h.settings.web_dir / "current").resolve() == live
    assert site_titles(h) == ["Laporan DINKES"]
    await h.scheduler.dispatch()
    assert sum("Situs DIP gagal" in m.text for m in admin.messages) == 1  # once for the run


async def test_a_site_deleted_by_hand_is_rebuilt_whole_at_the_next_publish(
    harness: Harness,
) -> None:
    h = harness
    first = await at_step5(h, "DINKES", 8400, ["Laporan DINKES"])
    await flows.publish_on_site(first)
    await h.site_settled()
    shutil.rmtree(h.settings.web_dir)
    second = await at_step5(h, "DISHUB", 8410, ["Laporan DISHUB"])
    await flows.publish_on_site(second)
    await h.site_settled()
    assert site_titles(h) == ["Laporan DINKES", "Laporan DISHUB"]


async def test_a_publish_while_the_admin_runs_web_build_full_ends_complete(
    harness: Harness,
) -> None:
    h = harness
    first = await at_step5(h, "DINKES", 8500, ["Laporan DINKES"])
    await flows.publish_on_site(first)
    await h.site_settled()
    andi = await at_step5(h, "DISHUB", 8510, ["Laporan DISHUB"])
    env = {**os.environ, "PPID_DATA_DIR": str(h.settings.data_dir)}
    env.pop("PPID_TELEGRAM_TOKEN", None)
    cli = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "web", "build", "--full",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    done, (out, err) = await asyncio.gather(flows.publish_on_site(andi), cli.communicate())
    assert cli.returncode == 0, err.decode()
    assert "dibangun ulang" in out.decode()
    assert "sedang diterbitkan" in done.text
    await h.site_settled()
    assert site_titles(h) == ["Laporan DINKES", "Laporan DISHUB"]
