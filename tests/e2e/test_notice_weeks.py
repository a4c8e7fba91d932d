"""Notices that keep their promises over weeks, with the bot as a process: started at night and
before the opening, killed with SIGKILL in the middle of a burst, a holiday added from the command
line for the next day, and a person who blocked the bot.

The bot runs as a real child process against the fake Bot API, its clock started at a chosen
instant each time (`PPID_CLOCK_START`, then real time). The round is prepared in-process before
the first start (see `test_restart.prepare_round`): three OPDs in step 3, due Tue 23 Mar 2027
16:00, with reminders on Thu 18 and Mon 22 March that nobody was there to send.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from bot.config import Settings
from bot.fakeapi.people import FakePerson
from bot.fakeapi.server import FakeTelegram
from bot.sop import Role
from bot.texts import t
from bot.workdays import Calendar
from storage.db import Database
from tests.e2e.processes import BotProcess, bot_env, bot_process, eventually
from tests.e2e.test_restart import (
    ATASAN,
    DEWI,
    JOKO,
    PEOPLE,
    SARI,
    UTAMA1,
    outbox,
    prepare_round,
    swept_since,
)

pytestmark = pytest.mark.e2e

WIB = ZoneInfo("Asia/Pontianak")
ADMIN = 7020
CLOSED = "outside office hours: notices wait for the opening"


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def messages_to(fake: FakeTelegram, chat: int) -> list[str]:
    return [m.text for m in fake.sent if m.action == "send" and m.chat_id == chat]


async def closed_and_silent(bot: BotProcess, db: Database, start: datetime) -> None:
    """The run swept and its dispatcher found the office closed."""
    await eventually(lambda: swept_since(db, start), "the run's first sweep", context=bot.log)

    async def said_closed() -> bool | None:
        return True if CLOSED in bot.log() else None

    await eventually(said_closed, "the dispatcher to find the office closed", context=bot.log)


async def nothing_left_for(db: Database, reachable: set[int]) -> bool | None:
    """True once no row for these users is pending (the others' rows are held)."""
    rows = (await outbox(db)).values()
    return (
        True if not [r for r in rows if r.state == "pending" and r.user_id in reachable] else None
    )


async def test_over_weeks_of_restarts_nothing_leaves_after_hours_and_each_person_gets_one_message(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir)
    db = await Database.open(settings.database_target)
    try:
        await prepare_round(settings, db)
        async with db.transaction() as uow:
            await uow.users.add(name="Admin Kominfo", role=Role.ADMIN, opd_id=None,
                                channel="telegram", external_id=str(ADMIN), chat_id=str(ADMIN),
                                now=wib("2027-03-01T09:00"))  # fmt: skip
            ids = {int(u.external_id or 0): u.id for u in await uow.users.all()}
            await uow.commit()
        async with FakeTelegram() as fake:
            persons: dict[int, FakePerson] = {
                uid: fake.person(uid, name.split()[-1], started=True)
                for uid, (name, _, _) in PEOPLE.items()
            }
            fake.person(ADMIN, "Admin", started=True)
            sent_per_run: list[Counter[int]] = []

            def count() -> Counter[int]:
                return Counter(m.chat_id for m in fake.sent if m.action == "send")

            # Run 1: started Monday 22 March at 19:00. The catch-up sweep queues the missed
            # reminders; nothing leaves at night.
            at = wib("2027-03-22T19:00")
            env = bot_env(fake, data_dir, tmp_path, at)
            async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-1.log") as bot:
                await closed_and_silent(bot, db, at)
                assert await bot.kill() == -9
            assert count() == Counter(), bot.log()
            queued = await outbox(db)
            assert [r for r in queued.values() if r.payload["kind"] == "reminder"], bot.log()

            # Run 2: Tuesday 07:15, before the opening: still nothing.
            at = wib("2027-03-23T07:15")
            env = bot_env(fake, data_dir, tmp_path, at)
            async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-2.log") as bot:
                await closed_and_silent(bot, db, at)
                assert await bot.kill() == -9
            assert count() == Counter(), bot.log()

            # Ibu Sari has blocked the bot. Run 3 starts two seconds before the opening, every
            # send is slowed down, and the bot is killed in the middle of the morning's burst.
            persons[SARI].block_bot()
            slow = fake.inject("sendMessage", delay=0.3, times=None)
            at = wib("2027-03-23T07:29:58")
            env = bot_env(fake, data_dir, tmp_path, at)
            async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-3.log") as bot:

                async def a_few_sent() -> bool | None:
                    return True if sum(count().values()) >= 2 else None

                await eventually(a_few_sent, "the first messages of the morning", context=bot.log)
                assert await bot.kill() == -9
            log3 = bot.log()
            sent_per_run.append(count())
            fake.faults.remove(slow)

            # Run 4: Tuesday 09:00: the rest of the burst, once.
            reachable = {i for uid, i in ids.items() if uid != SARI}
            at = wib("2027-03-23T09:00")
            env = bot_env(fake, data_dir, tmp_path, at)
            async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-4.log") as bot:
                await eventually(lambda: nothing_left_for(db, reachable),
                                 "the rest of the morning's notices", context=bot.log)  # fmt: skip
                assert await bot.terminate() == 0
            log4 = bot.log()
            assert "Traceback" not in log3 + log4, log3 + log4
            after_tuesday = count()

            # The admin declares Wednesday 24 March a local holiday, from the command line.
            assert await asyncio.to_thread(main, ["holidays", "add", "2027-03-24", "Banjir"]) == 0

            # Run 5: Wednesday 09:00, now a holiday: nothing leaves.
            at = wib("2027-03-24T09:00")
            env = bot_env(fake, data_dir, tmp_path, at)
            async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-5.log") as bot:
                await closed_and_silent(bot, db, at)
                assert await bot.kill() == -9
            assert count() == after_tuesday, bot.log()

            # Run 6: Monday 29 March (Thursday 25 is cuti bersama, Friday 26 Good Friday), the
            # first working day overdue: escalation 1 (Tuesday 16:00) and the overdue notices
            # leave with the digests, one message each.
            at = wib("2027-03-29T07:30")
            env = bot_env(fake, data_dir, tmp_path, at)
            async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-6.log") as bot:
                await eventually(lambda: swept_since(db, at), "Monday's sweep", context=bot.log)
                await eventually(lambda: nothing_left_for(db, reachable),
                                 "Monday's notices", context=bot.log)  # fmt: skip
                assert await bot.terminate() == 0
            log6 = bot.log()
            assert "Traceback" not in log6, log6
            monday = count() - after_tuesday
            fake.assert_no_protocol_errors()

        rows = (await outbox(db)).values()
        cal = Calendar()
        # Never outside office hours, whatever the clock did.
        sent = [r for r in rows if r.state == "sent"]
        assert sent and all(r.sent_at and cal.is_office_hours(r.sent_at) for r in sent)
        # Monday: one message per person (no hand-overs that day).
        assert monday and max(monday.values()) == 1, monday
        for uid in (JOKO, DEWI, UTAMA1, ATASAN):
            assert monday[uid] == 1, (uid, monday)
        joko = messages_to(fake, JOKO)[-1]
        assert "terlambat 1 hari kerja" in joko and "sisa" not in joko
        # Each person got one message per row group, the in-flight repeat of the kill aside.
        groups: Counter[int] = Counter()
        seen: set[tuple[int, object]] = set()
        chat = {i: uid for uid, i in ids.items()}
        for r in sent:
            group = (r.user_id, r.bundle_id or r.id)
            if group not in seen:
                seen.add(group)
                groups[chat[r.user_id]] += 1
        extra = count() - groups
        assert sum(extra.values()) <= 1 and not groups - count(), (groups, count())
        # Tuesday's morning to the OPDs: the three-week-late hand-over and one reminder, both
        # marked late; the reminder of Thursday 18 March superseded by Monday's.
        for uid in (JOKO, DEWI):
            tuesday = messages_to(fake, uid)[:2]
            assert all(x.startswith(t("notice-late")) for x in tuesday), tuesday
        # Ibu Sari blocked the bot: the admin was told once, her notices are held, and the
        # escalation about her OPD still reached the PPID Utama.
        alerts = [x for x in messages_to(fake, ADMIN) if "tidak dapat dikirim" in x]
        told = [r for r in rows if r.payload["kind"] == "unreachable"]
        # One alert (a second copy only as the documented in-flight repeat of the SIGKILL).
        assert len(told) == 1 and told[0].state == "sent", told
        same = {x.removeprefix(t("notice-late")) for x in alerts}
        assert 1 <= len(alerts) <= 2 and len(same) == 1, messages_to(fake, ADMIN)
        assert "Ibu Sari" in alerts[0]
        held = [r for r in rows if r.user_id == ids[SARI] and r.state == "pending"]
        assert held and all(r.attempts == 0 for r in held)
        assert any("Dinas Kesehatan" in x for x in messages_to(fake, UTAMA1)[-1:])
        assert sent_per_run
    finally:
        await db.close()
