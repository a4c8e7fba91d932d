"""SIGKILL in the middle of a WhatsApp webhook, and Meta's redelivery: one effect.

The bot runs as a real process (`python -m bot run`, WhatsApp alone) against the fake Cloud API.
Ibu Sari (PPID Pendukung on WhatsApp) sends a document, later presses "Kirim ke PPID Utama"; each
time the bot commits what she did, then hangs sending its answer (the fake takes the message and
answers late) and is killed there. The webhook was never answered 200, so the fake posts it again
to the restarted bot.

What is guaranteed: the case changes once (one document stored, one hand-over), because the
handling is re-checked against the database on redelivery; the webhook is confirmed only after
the handling and its record. What is not: the answer the bot was sending when it died may reach
her, and the redelivery is answered again (the document's confirmation once more, that her press
was already recorded), so she may read two answers to one message.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.bootstrap import load_calendar, make_ctx
from bot.config import Settings
from bot.fakeapi.whatsapp import FakeWhatsApp, FakeWhatsAppPerson
from bot.fakeapi.whatsapp.harness import approve_bot_templates, free_port
from bot.services import cases, drafting, review
from bot.sop import Role
from storage.db import Database
from storage.files import FileStore
from tests.e2e.processes import BotProcess, bot_process, database_env, eventually
from tests.e2e.whatsapp.conftest import VERIFY_TOKEN

pytestmark = pytest.mark.e2e

START = datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo("Asia/Pontianak"))
PDF = b"%PDF-1.4\n" + b"laporan keuangan " * 500
HANG_S = 25.0  # the fake answers the hung send this late; the bot is killed long before


def running_clock() -> Callable[[], datetime]:
    """The fake's clock: START, then real time (as the bot's PPID_CLOCK_START clock runs)."""
    began = time.monotonic()
    return lambda: START.astimezone(UTC) + timedelta(seconds=time.monotonic() - began)


def wa_env(wa: FakeWhatsApp, data_dir: Path, home: Path, port: int) -> dict[str, str]:
    """Exactly the environment of a bot on WhatsApp alone."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[3]),
        "PPID_DATA_DIR": str(data_dir),
        "PPID_CLOCK_START": START.isoformat(),
        "PPID_WHATSAPP_TOKEN": wa.token,
        "PPID_WHATSAPP_PHONE_NUMBER_ID": wa.phone_number_id,
        "PPID_WHATSAPP_APP_SECRET": wa.app_secret,
        "PPID_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "PPID_WHATSAPP_NUMBER": wa.number,
        "PPID_WHATSAPP_API_URL": wa.api_url,
        "PPID_WHATSAPP_BUSINESS_ACCOUNT_ID": wa.waba_id,
        "PPID_WEBHOOK_LISTEN": "127.0.0.1",
        "PPID_WEBHOOK_PORT": str(port),
        **database_env(),
    }


async def prepare(settings: Settings, db: Database, sari: FakeWhatsAppPerson) -> int:
    """DINKES's case at step 3 with one entry: the Pejabat PID and the PPID Utama on Telegram
    (not running here: their notices wait), Ibu Sari on WhatsApp. Returns the case."""
    ctx = make_ctx(settings=settings, db=db, calendar=await load_calendar(settings, db),
                   files=FileStore(settings.documents_dir), clock=lambda: START)  # fmt: skip
    async with db.transaction() as uow:
        await uow.opds.upsert("DINKES", "Dinas Kesehatan")
        opd = await uow.opds.by_code("DINKES")
        assert opd is not None
        for name, role, opd_id, channel, key in (
            ("Bapak Andi", Role.PEJABAT, None, "telegram", "7201"),
            ("Ibu Rina", Role.UTAMA, None, "telegram", "7202"),
            ("Ibu Sari", Role.PENDUKUNG, opd.id, "whatsapp", sari.bsuid),
        ):
            await uow.users.add(name=name, role=role, opd_id=opd_id, channel=channel,
                                external_id=key, chat_id=key, now=START)  # fmt: skip
        andi = await uow.users.by_external("telegram", "7201")
        rina = await uow.users.by_external("telegram", "7202")
        await uow.commit()
    assert andi is not None and rina is not None
    (view,) = await cases.create_round(ctx, andi, "DIP 2027", [opd.id])
    case_id = view.case.id
    await drafting.add_entry(ctx, andi, case_id, "Laporan Keuangan 2026", "Ringkasan", 0)
    v = await cases.view(ctx, case_id)
    await drafting.send_to_utama(ctx, andi, case_id, v.case.version)
    v = await cases.view(ctx, case_id)
    await review.approve_step2(ctx, rina, case_id, v.case.version)
    return case_id


async def subscribed(wa: FakeWhatsApp, port: int, bot: BotProcess) -> None:
    """The fake posts to the bot's webhook once the bot answers Meta's handshake."""

    async def handshake() -> bool | None:
        try:
            await wa.deliver_to(f"http://127.0.0.1:{port}/whatsapp", verify_token=VERIFY_TOKEN)
        except Exception:
            return None
        return True

    await eventually(handshake, "the webhook to answer", timeout=30, context=bot.log)


async def test_sigkill_mid_webhook_and_the_redelivery_give_one_effect(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir)
    db = await Database.open(settings.database_target)
    try:
        async with FakeWhatsApp(clock=running_clock()) as wa:
            approve_bot_templates(wa)
            wa.webhook_timeout = 2 * HANG_S  # Meta waits; the kill ends the wait
            sari = wa.person("6281234562001", "Sari")
            case_id = await prepare(settings, db, sari)
            port = free_port()
            env = wa_env(wa, data_dir, tmp_path, port)

            async def documents() -> int:
                async with db.read() as uow:
                    return len(await uow.documents.for_case(case_id))

            async def step() -> int:
                async with db.read() as uow:
                    case = await uow.cases.get(case_id)
                assert case is not None
                return case.step

            def answering(before: int) -> Callable[[], Awaitable[bool | None]]:
                """The bot is sending a message (after `before` calls), which hangs."""

                async def check() -> bool | None:
                    return True if len(wa.calls_to("/messages")) > before else None

                return check

            # 1. A document, its handling killed after it was stored.
            async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-1.log") as bot:
                await subscribed(wa, port, bot)
                brief = await sari.wait_until(lambda x: x.template is not None, timeout=30)
                await sari.press_in(brief, "Buka tugas")
                await sari.wait_for_text("0 dari 1 entri lengkap", timeout=30)
                await sari.press("⬜ #1")
                entry = await sari.wait_until(
                    lambda x: "Kirim dokumen" in str(x.buttons + x.rows), timeout=30
                )
                await sari.press_in(entry, "📎 Kirim dokumen")
                await sari.wait_for_text("Silakan kirim dokumen untuk entri #1", timeout=30)
                await wa.settled(timeout=30)

                wa.slow_next(1, seconds=HANG_S)  # her answer
                before = len(wa.calls_to("/messages"))
                wamid = await sari.send_document(PDF, "lkpd.pdf", "application/pdf")

                async def stored_and_answering() -> bool | None:
                    hung = await answering(before)()
                    return True if hung and await documents() == 1 else None

                await eventually(stored_and_answering, "the document to be stored",
                                 timeout=30, context=bot.log)  # fmt: skip
                assert await bot.kill() == -9
            event = next(e for e in wa.events if e.ref == wamid)
            assert not event.delivered, "the webhook was confirmed before it was recorded"

            # 2. Restarted: the fake posts the document's webhook again; nothing is stored twice.
            async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-2.log") as bot:
                await subscribed(wa, port, bot)
                await wa.settled(timeout=30)
                assert await documents() == 1
                # Her message is answered as the first time (not "received before").
                saved = [x for x in sari.messages if "lkpd.pdf" in x.text]
                assert len(saved) == 2 and saved[0].text == saved[1].text, saved

                # 3. The hand-over to the PPID Utama, its handling killed after the commit.
                await sari.press("✅ Selesai")
                send = await sari.wait_until(
                    lambda x: "Kirim ke PPID Utama" in str(x.buttons + x.rows), timeout=30
                )
                await wa.settled(timeout=30)
                wa.slow_next(1, seconds=HANG_S)  # her answer
                before = len(wa.calls_to("/messages"))
                wamid = await sari.press_in(send, "Kirim ke PPID Utama")

                async def handed_over_and_answering() -> bool | None:
                    hung = await answering(before)()
                    return True if hung and await step() == 4 else None

                await eventually(handed_over_and_answering, "the hand-over to commit",
                                 timeout=30, context=bot.log)  # fmt: skip
                assert await bot.kill() == -9
            event = next(e for e in wa.events if e.ref == wamid)
            assert not event.delivered, "the press was confirmed before it was recorded"

            async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-3.log") as bot:
                await subscribed(wa, port, bot)
                await wa.settled(timeout=30)
                told = await sari.wait_for_text("sudah tercatat", timeout=30)
                assert "Langkah 4" in told.text
                assert await bot.terminate() == 0, bot.log()
                assert "Traceback" not in bot.log(), bot.log()

        assert await step() == 4 and await documents() == 1
        async with db.read() as uow:
            tasks = await uow.tasks.for_case(case_id)
        assert [t.step for t in tasks] == [1, 2, 3, 4]  # one hand-over, not two
    finally:
        await db.close()
