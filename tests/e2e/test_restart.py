"""Deadlines that hold: the bot process is killed with SIGKILL while notices are pending and
reminders are due, started again, and every notice arrives exactly once.

The bot runs as a real child process (`python -m bot run --no-demo`) against the fake Bot API;
the test prepares the database in-process before the first start and reads it between the runs.
Nothing depends on lucky timing: the first run is killed while the fake holds one of its sends
(every send hangs, then fails), after its catch-up sweep has queued the due reminders.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.bootstrap import load_calendar
from bot.bootstrap import make_ctx as build_ctx
from bot.channels.markup import to_html
from bot.config import Settings
from bot.fakeapi.server import FakeTelegram
from bot.models import OutboxRow, User
from bot.reminders import intended_at, is_late
from bot.services import cases, drafting, review
from bot.services.context import Ctx
from bot.sop import Role
from bot.texts import t
from bot.workdays import Calendar
from handlers.notices import render
from storage.db import Database
from storage.files import FileStore
from tests.e2e.processes import BotProcess, bot_env, bot_process, eventually

pytestmark = pytest.mark.e2e

WIB = ZoneInfo("Asia/Pontianak")
# Monday 1 March 2027, 09:00: the round is drafted, reviewed and handed to the OPDs (step 3).
T0 = datetime(2027, 3, 1, 9, 0, tzinfo=WIB)
# Step 3 (10 working days, skipping Idul Fitri and its cuti bersama) is due Tue 23 Mar 16:00;
# its reminders open Thu 18 Mar and Mon 22 Mar. The bot first starts Mon 22 Mar 10:00, when
# both are due and late and nothing is overdue yet (so there is no digest and no escalation).
DUE = datetime(2027, 3, 23, 16, 0, tzinfo=WIB)
FIRST_START = datetime(2027, 3, 22, 10, 0, tzinfo=WIB)
SECOND_START = datetime(2027, 3, 22, 10, 5, tzinfo=WIB)
THIRD_START = datetime(2027, 3, 22, 10, 10, tzinfo=WIB)
HANG_S = 3.0  # the fake holds every send this long, then answers 502
BOT_TIMEOUT_S = 1  # ... but the bot gives up after one second

PEJABAT, UTAMA1, UTAMA2, ATASAN = 7001, 7002, 7003, 7004
SARI, JOKO, DEWI = 7011, 7012, 7013
PEOPLE: dict[int, tuple[str, Role, str | None]] = {
    PEJABAT: ("Bapak Andi", Role.PEJABAT, None),
    UTAMA1: ("Ibu Rina", Role.UTAMA, None),
    UTAMA2: ("Ibu Wati", Role.UTAMA, None),
    ATASAN: ("Bapak Kadis", Role.ATASAN, None),
    SARI: ("Ibu Sari", Role.PENDUKUNG, "DINKES"),
    JOKO: ("Bapak Joko", Role.PENDUKUNG, "DISHUB"),
    DEWI: ("Ibu Dewi", Role.PENDUKUNG, "DISDIK"),
}
OPDS = {"DINKES": "Dinas Kesehatan", "DISHUB": "Dinas Perhubungan", "DISDIK": "Dinas Pendidikan"}
PENDUKUNG = (SARI, JOKO, DEWI)


def make_ctx(settings: Settings, db: Database, calendar: Calendar, at: datetime) -> Ctx:
    return build_ctx(settings=settings, db=db, calendar=calendar,
               files=FileStore(settings.documents_dir), clock=lambda: at)  # fmt: skip


async def prepare_round(settings: Settings, db: Database) -> None:
    """At T0, without any bot: the people, and a round for three OPDs approved into step 3.

    Each hand-over queues notices in the outbox; no bot runs, so they all stay pending.
    """
    ctx = make_ctx(settings, db, await load_calendar(settings, db), T0)
    async with db.transaction() as uow:
        for code, name in OPDS.items():
            await uow.opds.upsert(code, name)
        opd_ids = {o.code: o.id for o in await uow.opds.all()}
        for uid, (name, role, opd) in PEOPLE.items():
            await uow.users.add(
                name=name, role=role, opd_id=opd_ids[opd] if opd else None, channel="telegram",
                external_id=str(uid), chat_id=str(uid), now=T0,
            )  # fmt: skip
        users = {int(u.external_id or 0): u for u in await uow.users.all()}
        await uow.commit()
    pejabat, utama = users[PEJABAT], users[UTAMA1]
    views = await cases.create_round(ctx, pejabat, "DIP 2027", list(opd_ids.values()))
    for view in views:
        case_id = view.case.id
        for title in ("Laporan Keuangan", "Renstra"):
            await drafting.add_entry(ctx, pejabat, case_id, f"{title} {view.opd.code}", "Isi", 0)
        v = await cases.view(ctx, case_id)
        await drafting.send_to_utama(ctx, pejabat, case_id, v.case.version)
        v = await cases.view(ctx, case_id)
        assert await review.approve_step2(ctx, utama, case_id, v.case.version) == DUE


async def outbox(db: Database) -> dict[int, OutboxRow]:
    """Every outbox row by id."""
    async with db.transaction() as uow:
        rows = await uow.outbox.listing(("pending", "sent", "failed", "skipped"))
    return {r.id: r for r in rows}


async def chat_of_users(db: Database) -> dict[int, int]:
    async with db.transaction() as uow:
        return {u.id: int(u.chat_id or 0) for u in await uow.users.all()}


def received(fake: FakeTelegram) -> Counter[tuple[int, str, str]]:
    """(chat, method, HTML text or caption) of every message the fake accepted, with counts."""
    return Counter((m.chat_id, m.method, m.html) for m in fake.sent if m.action == "send")


async def expected_messages(
    settings: Settings, db: Database, at: datetime
) -> Counter[tuple[int, str, str]]:
    """What the sent outbox rows say, rendered as the bot renders them: one message per row
    (files first), none for a row about a step that is over by now."""
    ctx = make_ctx(settings, db, await load_calendar(settings, db), at)
    chats = await chat_of_users(db)
    async with db.transaction() as uow:
        rows = await uow.outbox.sent_rows()
    want: Counter[tuple[int, str, str]] = Counter()
    for row in rows:
        reply = await render(ctx, row.user_id, row.payload,
                             late=is_late(intended_at(row.payload, row.not_before), at, ctx.policy))  # fmt: skip
        if reply is None:
            continue
        chat = chats[row.user_id]
        for f in reply.files:
            want[(chat, "sendDocument", f.caption or "")] += 1
        want[(chat, "sendMessage", to_html(reply.text))] += 1
    return want


def texts_to(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [m.text for m in fake.sent if m.action == "send" and m.chat_id == chat_id]


async def test_a_bot_killed_while_notices_are_pending_delivers_each_exactly_once_after_restarts(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir)
    db = await Database.open(settings.database_target)
    try:
        await prepare_round(settings, db)
        queued = await outbox(db)
        assert queued and all(r.state == "pending" for r in queued.values())
        async with FakeTelegram() as fake:
            for uid, (name, _, _) in PEOPLE.items():
                fake.person(uid, name.split()[-1], started=True)

            # Run 1: every send hangs in the fake, then fails; the bot gives up after 1 s and
            # tries again later. Killed while it waits for Telegram's answer to one of them.
            hangs = [
                fake.inject(method, status=502, delay=HANG_S, times=None)
                for method in ("sendMessage", "sendDocument")
            ]

            def attempts() -> int:
                return sum(f.hits for f in hangs)

            env = bot_env(fake, data_dir, tmp_path, FIRST_START, BOT_TIMEOUT_S)
            async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-1.log") as bot:

                async def reminders_queued_and_a_send_retried() -> int | None:
                    rows = (await outbox(db)).values()
                    reminders = [r for r in rows if r.payload["kind"] == "reminder"]
                    # The second attempt starts only after the first one timed out and was
                    # recorded for a retry: the dispatcher sends one row at a time.
                    return attempts() if len(reminders) == 6 and attempts() >= 2 else None

                seen = await eventually(
                    reminders_queued_and_a_send_retried,
                    "the catch-up sweep to queue 6 reminders and the bot to retry a send",
                    context=bot.log,
                )

                async def a_new_send_in_flight() -> bool | None:
                    return True if attempts() > seen else None

                await eventually(a_new_send_in_flight, "another send", context=bot.log)
                code = await bot.kill()
            log1 = bot.log()
            assert code == -9, log1
            assert received(fake) == Counter(), f"delivered despite the faults:\n{log1}"

            after_kill = await outbox(db)
            assert after_kill.keys() > queued.keys(), log1
            # The hand-overs to step 2 are about a step that is over: dropped without a message
            # (recorded as skipped). Those about step 3 (the hand-overs to the OPDs and their
            # reminders) wait; of two reminders missed while down, only the latest (level 2)
            # will be sent: which one is decided when they leave, so whatever this run reached
            # is recorded skipped, the rest waits.
            pending = {i for i, r in after_kill.items() if r.state == "pending"}
            step3 = {i for i, r in after_kill.items() if r.payload["step"] == 3}
            skipped = {i for i, r in after_kill.items() if r.state == "skipped"}
            assert pending <= step3 and step3 - pending <= skipped, log1
            assert all(after_kill[i].payload["step"] == 2 for i in skipped - step3), log1
            assert all(after_kill[i].payload.get("level") == 1 for i in skipped & step3), log1
            retried = [after_kill[i] for i in pending if after_kill[i].attempts >= 1]
            assert retried and all((r.last_error or "").startswith("network") for r in retried), (
                log1
            )
            reminders = [r for r in after_kill.values() if r.payload["kind"] == "reminder"]
            users = {int(u.external_id or 0): u.id for u in await _users(db)}
            assert sorted((r.user_id, r.payload["level"]) for r in reminders) == sorted(
                (users[uid], level) for uid in PENDUKUNG for level in (1, 2)
            )

            # Run 2: Telegram works again. Killed as soon as nothing is pending any more.
            fake.faults.clear()
            env = bot_env(fake, data_dir, tmp_path, SECOND_START, BOT_TIMEOUT_S)
            async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-2.log") as bot:

                async def nothing_pending() -> bool | None:
                    async with db.transaction() as uow:
                        return True if await uow.outbox.count("pending") == 0 else None

                await eventually(nothing_pending, "every notice to be delivered", context=bot.log)
                code = await bot.kill()
            log2 = bot.log()
            assert code == -9, log2
            assert "Traceback" not in log2, log2

            delivered = await outbox(db)
            assert delivered.keys() == after_kill.keys(), "the restart queued or lost notices"
            assert {r.state for r in delivered.values()} == {"sent", "skipped"}, log2
            superseded = {
                i for i, r in delivered.items()
                if r.state == "skipped" and r.payload["step"] == 3
            }  # fmt: skip
            assert {delivered[i].payload["level"] for i in superseded} == {1}, log2
            assert {delivered[i].user_id for i in superseded} == {
                users[uid] for uid in PENDUKUNG
            }, log2
            want = await expected_messages(settings, db, SECOND_START)
            got = received(fake)
            assert got == want, f"missing: {want - got}\nextra: {got - want}\n{log2}"
            # Concretely: each PPID Pendukung got the hand-over of step 3 and the latest due
            # reminder (late), once each; the others' notices were about steps that are over.
            late_reminder = t("notice-late") + "⏰ Pengingat"
            for uid in PENDUKUNG:
                texts = texts_to(fake, uid)
                assert len(texts) == 2, texts
                # Both are three weeks late (the bot was down) and say so.
                assert texts[0].startswith(t("notice-late") + "📥"), texts
                assert texts[1].startswith(late_reminder), texts
            for uid in (PEJABAT, UTAMA1, UTAMA2, ATASAN):
                assert texts_to(fake, uid) == []

            # Run 3: started again right after that kill, then stopped gracefully: it sweeps and
            # dispatches, and sends nothing new.
            before = list(fake.sent)
            env = bot_env(fake, data_dir, tmp_path, THIRD_START, BOT_TIMEOUT_S)
            async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-3.log") as bot:
                await eventually(
                    lambda: swept_since(db, THIRD_START), "the sweep of run 3", context=bot.log
                )
                await wait_for_dispatch_pass(bot)
                code = await bot.terminate()
            log3 = bot.log()
            assert code == 0, log3
            assert "Traceback" not in log3, log3
            assert fake.sent == before, "the third run sent again what was delivered"
            assert await outbox(db) == delivered
            fake.assert_no_protocol_errors()
    finally:
        await db.close()


async def _users(db: Database) -> list[User]:
    async with db.transaction() as uow:
        return await uow.users.all()


async def swept_since(db: Database, start: datetime) -> bool | None:
    """True once a sweep ran at or after `start` (by the process started then)."""
    async with db.transaction() as uow:
        last = await uow.meta.get("last_sweep")
    return True if last and datetime.fromisoformat(last) >= start else None


async def wait_for_dispatch_pass(bot: BotProcess) -> None:
    """The dispatcher's first pass runs 0.3 s after the sweep's; give it well over that."""
    await asyncio.sleep(1.0)
    assert bot.running, bot.log()
