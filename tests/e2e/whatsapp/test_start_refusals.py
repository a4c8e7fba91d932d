"""`python -m bot run` with WhatsApp settings Meta refuses, or a Graph API that cannot be
reached: one Indonesian line and a non-zero exit, the secrets never printed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.fakeapi.whatsapp import FakeWhatsApp
from bot.fakeapi.whatsapp.harness import free_port
from bot.texts import plain
from tests.e2e.processes import bot_process
from tests.e2e.whatsapp.test_whatsapp_alone import whatsapp_env

EXIT_S = 60.0  # generous: CI may run on a busy machine; a passing run exits in about a second


async def exit_of(env: dict[str, str], tmp_path: Path) -> tuple[int, str]:
    async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot.log") as bot:
        code = await asyncio.wait_for(bot.proc.wait(), EXIT_S)
        return code, bot.log()


async def test_a_token_meta_refuses_ends_the_run_with_one_line(tmp_path: Path) -> None:
    async with FakeWhatsApp() as wa:
        env = whatsapp_env(wa, tmp_path / "data", tmp_path, free_port())
        env["PPID_WHATSAPP_TOKEN"] = "EAAG-a-revoked-token"
        code, log = await exit_of(env, tmp_path)
    assert code == 2, log
    assert plain("cli-whatsapp-rejected") in log and "EAAG-a-revoked-token" not in log


async def test_a_graph_api_that_cannot_be_reached_ends_the_run_with_one_line(
    tmp_path: Path,
) -> None:
    async with FakeWhatsApp() as wa:
        env = whatsapp_env(wa, tmp_path / "data", tmp_path, free_port())
    env["PPID_WHATSAPP_API_URL"] = f"http://127.0.0.1:{free_port()}"  # nobody listens
    code, log = await exit_of(env, tmp_path)
    assert code == 1, log
    assert "WhatsApp Cloud API tidak dapat dihubungi" in log and "Traceback" not in log
    assert wa.token not in log
