"""`python -m bot run` when Telegram cannot be used: a rejected token (at start, or revoked while
running) and an unreachable Bot API end the run with one Indonesian line, no traceback, and never
the token itself."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.fakeapi.server import FakeTelegram
from bot.texts import plain
from tests.e2e.processes import bot_env, bot_process, eventually

pytestmark = pytest.mark.e2e

START = datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo("Asia/Pontianak"))
EXIT_S = 15.0


async def exit_code(proc: asyncio.subprocess.Process) -> int:
    return await asyncio.wait_for(proc.wait(), EXIT_S)


async def test_a_token_telegram_rejects_at_start_ends_the_run_with_one_clear_line(
    tmp_path: Path,
) -> None:
    async with FakeTelegram() as fake:
        env = bot_env(fake, tmp_path / "data", tmp_path, START) | {
            "PPID_TELEGRAM_TOKEN": "123456:salah-token-rahasia"
        }
        async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot.log") as bot:
            assert await exit_code(bot.proc) == 2, bot.log()
            log = bot.log()
    assert plain("cli-telegram-rejected") in log
    assert "Traceback" not in log and "salah-token-rahasia" not in log, log


async def test_a_token_revoked_while_running_ends_the_run_with_one_clear_line(
    tmp_path: Path,
) -> None:
    async with FakeTelegram() as fake:
        env = bot_env(fake, tmp_path / "data", tmp_path, START)
        async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot.log") as bot:

            async def polling() -> bool | None:
                # deleteWebhook is the poller's first call; getUpdates is recorded only when a
                # long poll ends.
                return True if fake.calls_of("deleteWebhook") else None

            await eventually(polling, "the bot to start polling", context=bot.log)
            old_token = fake.token
            fake.token = "999999:token-baru"  # revoked at @BotFather: the old one gets 401
            # A message ends the long poll now (rather than in ten seconds); the answer to it
            # fails with 401 too, and the next poll stops the bot.
            await fake.person(2001, "Budi").send("/start")
            assert await exit_code(bot.proc) == 2, bot.log()
            log = bot.log()
    assert log.rstrip().endswith(plain("cli-telegram-rejected")), log
    assert old_token not in log


async def test_an_unreachable_bot_api_ends_the_run_with_one_clear_line(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        env = bot_env(fake, tmp_path / "data", tmp_path, START, timeout_s=2) | {
            "PPID_TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",  # nothing listens there
        }
        async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot.log") as bot:
            assert await exit_code(bot.proc) == 1, bot.log()
            log = bot.log()
    assert "Telegram tidak dapat dihubungi" in log
    assert "Traceback" not in log and fake.token not in log, log
