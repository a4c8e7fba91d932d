"""Delivery under faults: 429 with retry_after, 502, time-outs and blocked chats. Nothing is lost,
nothing arrives twice, and what cannot be delivered is reported to the admins."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable
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


async def draft_for_every_opd(h: Harness, pejabat: FakePerson, codes: list[str]) -> None:
    async with h.ctx.db.transaction() as uow:
        ids = [o.id for o in await uow.opds.all()]
    user = await h.user(pejabat)
    for view in await cases.create_round(h.ctx, user, "Uji", ids):
        await drafting.add_entry(h.ctx, user, view.case.id, "Laporan", "Ringkasan", 0)
        v = await cases.view(h.ctx, view.case.id)
        await drafting.send_to_utama(h.ctx, user, v.case.id, v.case.version)


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
    assert sum(r["attempts"] > 1 for r in rows) >= 3
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
    assert failed["attempts"] == 1
    # The admin asks Ibu Rina to unblock the bot, then queues the notice again.
    # The command line is another process in real life; here a thread with its own connection.
    assert await asyncio.to_thread(main, ["outbox"]) == 0
    listing = capsys.readouterr().out
    assert f"#{failed['id']} [gagal] untuk Ibu Rina" in listing
    rina.unblock_bot()
    assert await asyncio.to_thread(main, ["outbox", "retry", str(failed["id"])]) == 0
    assert await asyncio.to_thread(main, ["outbox", "retry", str(failed["id"])]) == 2
    await deliver_everything(h)
    assert [m for m in rina.messages if "Langkah 2" in m.text]


async def test_polling_carries_on_after_a_failure_it_did_not_expect(
    harness: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = UpdateLogRepository.seen
    failures = [sqlite3.OperationalError("database is locked")]

    async def busy_once(self: UpdateLogRepository, update_ids: Iterable[int]) -> set[int]:
        if failures:
            raise failures.pop()
        return await seen(self, update_ids)

    monkeypatch.setattr(UpdateLogRepository, "seen", busy_once)
    budi = harness.fake.person(2001, "Budi")
    await budi.send("/start")
    await budi.wait_for_text("hanya untuk petugas PPID yang sudah diundang", timeout=10)
    assert "polling failed; trying again in 1 s" in caplog.text
    assert len(harness.fake.chat(budi.id).bot_messages) == 1
