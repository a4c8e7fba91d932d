"""A press taken just before the bot died: after the restart the person learns its outcome.

The bot runs as a real process against the fake Bot API. The Pejabat PID sends a draft; the bot
commits the step, then hangs answering the press and is killed (SIGKILL) there. The press was never
confirmed to Telegram, so it is delivered again after the restart; by then Telegram no longer
takes an answer to it ("query is too old"), and the bot says in the chat what happened.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.bootstrap import load_calendar, make_ctx
from bot.config import Settings
from bot.fakeapi.messages import QUERY_TOO_OLD
from bot.fakeapi.server import FakeTelegram
from bot.services import cases, drafting
from bot.sop import Role
from storage.db import Database
from storage.files import FileStore
from tests.e2e.processes import bot_env, bot_process, eventually

pytestmark = pytest.mark.e2e

START = datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo("Asia/Pontianak"))
ANDI = 7101
SEND = "📤 Kirim ke PPID Utama"


async def prepare(settings: Settings, db: Database) -> int:
    """Bapak Andi (Pejabat PID) and a DINKES case in step 1 with one entry; returns the case."""
    ctx = make_ctx(settings=settings, db=db, calendar=await load_calendar(settings, db),
              files=FileStore(settings.documents_dir), clock=lambda: START)  # fmt: skip
    async with db.transaction() as uow:
        await uow.opds.upsert("DINKES", "Dinas Kesehatan")
        opd = await uow.opds.by_code("DINKES")
        assert opd is not None
        await uow.users.add(name="Bapak Andi", role=Role.PEJABAT, opd_id=None,
                            channel="telegram", external_id=str(ANDI), chat_id=str(ANDI),
                            now=START)  # fmt: skip
        await uow.users.add(name="Ibu Rina", role=Role.UTAMA, opd_id=None, channel="telegram",
                            external_id="7102", chat_id="7102", now=START)  # fmt: skip
        andi = await uow.users.by_external("telegram", str(ANDI))
        await uow.commit()
    assert andi is not None
    (view,) = await cases.create_round(ctx, andi, "DIP 2027", [opd.id])
    await drafting.add_entry(ctx, andi, view.case.id, "Laporan Keuangan", "Isi", 0)
    return view.case.id


async def step_of(db: Database, case_id: int) -> int:
    async with db.read() as uow:
        case = await uow.cases.get(case_id)
    assert case is not None
    return case.step


async def test_a_press_committed_just_before_a_crash_is_told_in_the_chat_after_the_restart(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir)
    db = await Database.open(settings.database_target)
    try:
        case_id = await prepare(settings, db)
        async with FakeTelegram() as fake:
            andi = fake.person(ANDI, "Andi", started=True)
            fake.person(7102, "Rina", started=True)
            # Long enough that the bot is killed while it still waits for the answer.
            env = bot_env(fake, data_dir, tmp_path, START, timeout_s=60)
            async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-1.log") as bot:
                await andi.send("/tugas")
                await andi.wait_for_text("Tugas Bapak/Ibu", timeout=30)
                await andi.press("Buka: DINKES")
                panel = await andi.wait_until(lambda m: SEND in str(m.buttons), timeout=30)
                hang = fake.inject("answerCallbackQuery", status=502, delay=120, times=None)
                await andi.press(SEND, panel)

                async def committed_and_answering() -> bool | None:
                    return True if hang.hits and await step_of(db, case_id) == 2 else None

                await eventually(committed_and_answering, "the press to commit", context=bot.log)
                assert await bot.kill() == -9
            assert fake.pending_updates, "the press was confirmed although never answered"
            assert not any("sudah dikirim" in m.text for m in andi.messages)

            fake.faults.clear()
            fake.inject("answerCallbackQuery", status=400, description=QUERY_TOO_OLD, times=None)
            async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-2.log") as bot:
                told = await andi.wait_for_text("sudah tercatat", timeout=30)
                assert "Langkah 2" in told.text
                await fake.wait_until_confirmed(timeout=30)
                assert await bot.terminate() == 0, bot.log()
                assert "Traceback" not in bot.log(), bot.log()
        assert await step_of(db, case_id) == 2
        async with db.read() as uow:
            tasks = await uow.tasks.for_case(case_id)
        assert [t.step for t in tasks] == [1, 2]  # one transition, not two
    finally:
        await db.close()
