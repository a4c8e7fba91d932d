"""Delivery under faults: 429 with retry_after, 502, time-outs and blocked chats. Nothing is lost,
nothing arrives twice, and what cannot be delivered is reported to the admins."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from typing import Any

import pytest

from bot.cli import main
from bot.fakeapi.people import FakePerson
from bot.services import cases, drafting
from bot.sop import Role
from storage.journal import UpdateLogRepository
from tests.e2e.conftest import Harness


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"telegram_timeout": 1.0}


async def pending(h: Harness) -> int:
    async with h.ctx.db.transaction() as uow:
        return await uow.outbox.count("pending")


async def deliver_everything(h: Harness, rounds: int = 40) -> None:
    """Advance the clock a minute at a time until the outbox is empty (backoffs use the clock)."""
    for _ in range(rounds):
        if await pending(h) == 0:
            return
        await h.travel(h.clock.now + timedelta(minutes=1))
    raise AssertionError(f"{await pending(h)} notices still pending")


async def draft_for_every_opd(
    h: Harness,
    pejabat: FakePerson,
    codes: list[str],
    between: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """A round with a draft sent to the PPID Utama for every OPD; `between`: awaited after each
    draft is sent (what the bot did with its hand-overs in the meantime)."""
    async with h.ctx.db.transaction() as uow:
        ids = [o.id for o in await uow.opds.all()]
    user = await h.user(pejabat)
    for view in await cases.create_round(h.ctx, user, "Uji", ids):
        await drafting.add_entry(h.ctx, user, view.case.id, "Laporan", "Ringkasan", 0)
        v = await cases.view(h.ctx, view.case.id)
        await drafting.send_to_utama(h.ctx, user, v.case.id, v.case.version)
        if between is not None:
            await between()


async def test_429_502_and_timeouts_lose_nothing_and_double_nothing(harness: Harness) -> None:
    h = harness
    codes = ["DINKES", "DISHUB", "DLH", "DINSOS", "BAPPEDA"]
    await h.add_opds(*codes)
    pejabat = await h.join(8000, "Bapak Andi", Role.PEJABAT)
    utama = [await h.join(8001 + i, f"Ibu Utama{i}", Role.UTAMA) for i in range(6)]
    h.fake.inject(method="sendMessage", status=429, retry_after=1, times=4)
    h.fake.inject(method="sendMessage", status=502, times=4)
    # A request that hangs past the bot's 1 s time-out and is then dropped by the server.
    h.fake.inject(method="sendMessage", status=504, delay=1.5, times=2)
    await draft_for_every_opd(h, pejabat, codes)
    await deliver_everything(h)
    for person in utama:
        notices = [m.text for m in person.messages if "Langkah 2" in m.text]
        assert len(notices) == len(codes), (person, notices)
        assert len(set(notices)) == len(codes)
    async with h.ctx.db.transaction() as uow:
        rows = await uow.outbox.sent_rows()
    assert len(rows) == 6 * len(codes)
    assert sum(r.attempts > 1 for r in rows) >= 3
    assert all(f.hits == f.times for f in h.fake.faults)


async def test_a_blocked_chat_fails_once_is_reported_and_can_be_retried(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    h = harness
    await h.add_opds("DINKES")
    pejabat = await h.join(8100, "Bapak Andi", Role.PEJABAT)
    rina = await h.join(8101, "Ibu Rina", Role.UTAMA)
    admin = await h.join(8102, "Admin Kominfo", Role.ADMIN)
    rina.block_bot()
    await draft_for_every_opd(h, pejabat, ["DINKES"])
    await deliver_everything(h)
    alert = await admin.wait_for_text("tidak dapat dikirim")
    assert "Ibu Rina (PPID Utama)" in alert.text and "memblokir bot" in alert.text
    assert "python -m bot" not in alert.text  # what to do is a button, not a shell command
    assert alert.buttons == [["🔁 Coba kirim lagi", "🚫 Nonaktifkan"]]
    async with h.ctx.db.transaction() as uow:
        [failed] = await uow.outbox.listing(("failed",))
    assert failed.attempts == 1
    # The admin asks Ibu Rina to unblock the bot, then queues the notice again.
    # The command line is another process in real life; here a thread with its own connection.
    assert await asyncio.to_thread(main, ["outbox"]) == 0
    listing = capsys.readouterr().out
    assert f"#{failed.id} [gagal] untuk Ibu Rina" in listing
    rina.unblock_bot()
    assert await asyncio.to_thread(main, ["outbox", "retry", str(failed.id)]) == 0
    assert await asyncio.to_thread(main, ["outbox", "retry", str(failed.id)]) == 2
    await deliver_everything(h)
    assert [m for m in rina.messages if "Langkah 2" in m.text]


async def test_polling_carries_on_after_a_failure_it_did_not_expect(
    harness: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = UpdateLogRepository.seen
    failures = [sqlite3.OperationalError("database is locked")]

    async def busy_once(
        self: UpdateLogRepository, channel: str, event_ids: Iterable[str]
    ) -> set[str]:
        if failures:
            raise failures.pop()
        return await seen(self, channel, event_ids)

    monkeypatch.setattr(UpdateLogRepository, "seen", busy_once)
    budi = harness.fake.person(2001, "Budi")
    await budi.send("/start")
    await budi.wait_for_text("hanya untuk petugas PPID yang sudah diundang", timeout=10)
    assert "polling failed; trying again in 1 s" in caplog.text
    assert len(harness.fake.chat(budi.id).bot_messages) == 1


async def test_an_unreachable_person_is_reported_once_and_the_admin_decides_in_the_chat(
    harness: Harness,
) -> None:
    h = harness
    await h.add_opds("DINKES", "DISHUB", "DISDIK")
    pejabat = await h.join(8200, "Bapak Andi", Role.PEJABAT)
    rina = await h.join(8201, "Ibu Rina", Role.UTAMA)
    wati = await h.join(8202, "Ibu Wati", Role.UTAMA)
    admin = await h.join(8203, "Admin Kominfo", Role.ADMIN)
    rina.block_bot()
    wati.block_bot()
    refusing = [await h.user(rina), await h.user(wati)]

    async def refused_once() -> None:
        """The first hand-over to each was tried (and refused) before the next draft: the
        services' statements need not give the dispatcher a turn in between."""
        deadline = asyncio.get_running_loop().time() + 10
        while asyncio.get_running_loop().time() < deadline:
            async with h.ctx.db.read() as uow:
                now = [await uow.users.get(u.id) for u in refusing]
            if all(u is not None and u.unreachable_since is not None for u in now):
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the first hand-overs were never tried")

    # Three drafts reach the PPID Utama one after the other: the first hand-over to each is
    # refused, the later ones are held.
    await draft_for_every_opd(h, pejabat, ["DINKES", "DISHUB", "DISDIK"], between=refused_once)
    for _ in range(3):
        await h.travel(h.clock.now + timedelta(minutes=1))
    alerts = [m for m in admin.messages if "tidak dapat dikirim" in m.text]
    # Told once per person, not once per message, in Indonesian, with buttons instead of a
    # command to type.
    assert sorted(m.text.split(" (")[0] for m in alerts) == [
        "⚠️ Pesan untuk Ibu Rina",
        "⚠️ Pesan untuk Ibu Wati",
    ]
    assert all("Forbidden" not in m.text and "python" not in m.text for m in alerts)
    async with h.ctx.db.transaction() as uow:
        held = [r for r in await uow.outbox.listing(("pending",)) if r.attempts == 0]
    assert len(held) == 4  # the hand-overs after the first refusal of each are held

    # Ibu Rina unblocks the bot after a phone call; the admin tries her again from the chat.
    rina.unblock_bot()
    rina_alert = next(m for m in alerts if "Ibu Rina" in m.text)
    await admin.press("🔁 Coba kirim lagi", rina_alert)
    await admin.wait_for_text("Pemberitahuan untuk Ibu Rina akan dikirim lagi")
    await h.travel(h.clock.now + timedelta(minutes=1))
    summary = await rina.wait_for_text("Ada 3 berkas yang perlu perhatian")
    assert summary.text.count("· tugas baru") == 3

    # Ibu Wati unblocks the bot and writes to it: she is reachable again, and what was held
    # for her goes out as one summary.
    wati.unblock_bot()
    await wati.send("/menu")
    summary = await wati.wait_for_text("Ada 3 berkas yang perlu perhatian")
    assert summary.text.count("· tugas baru") == 3
    assert [m for m in wati.messages if m.text.startswith("📥")] == []
    await h.travel(h.clock.now + timedelta(minutes=1))  # waits for the pass that sent it
    assert await pending(h) == 0

    # Another person leaves the office for good; the admin deactivates them from the alert.
    dedi = await h.join(8204, "Bapak Dedi", Role.UTAMA)
    dedi.block_bot()
    await draft_for_every_opd(h, pejabat, ["DINKES"])
    await h.travel(h.clock.now + timedelta(minutes=1))
    alert = await admin.wait_for_text("Pesan untuk Bapak Dedi")
    await admin.press("🚫 Nonaktifkan", alert)
    await admin.wait_for_text("Bapak Dedi sudah dinonaktifkan")
    async with h.ctx.db.transaction() as uow:
        user = await uow.users.by_external("telegram", str(dedi.id))
    assert user is not None and not user.active


async def test_a_long_bundle_is_paged_in_the_chat(harness: Harness) -> None:
    h = harness
    codes = [f"OPD{i:02d}" for i in range(12)]
    await h.add_opds(*codes)
    pejabat = await h.join(8300, "Bapak Andi", Role.PEJABAT)
    async with h.ctx.db.transaction() as uow:
        ids = [o.id for o in await uow.opds.all()]
    await cases.create_round(h.ctx, await h.user(pejabat), "Uji", ids)
    # Monday 09:00 round, due Tuesday 16:00; Wednesday's opening: twelve overdue cases.
    await h.travel(h.clock.now.replace(day=3, hour=0, minute=31))  # 07:31 WIB
    digest = await pejabat.wait_for_text("Ringkasan tugas Rabu, 3 Maret 2027")
    assert "Halaman 1 dari 2 (12 berkas)" in digest.text
    await pejabat.press("Berikutnya ▶️", digest)
    page2 = await pejabat.wait_for_text("Halaman 2 dari 2")
    assert "11. Dinas Opd10" in page2.text and "12. Dinas Opd11" in page2.text
    await pejabat.press("12. Dinas Opd11", page2)
    await pejabat.wait_for_text("Dinas Opd11")
