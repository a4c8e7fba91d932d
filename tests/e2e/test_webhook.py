"""The real bot in webhook mode: the fake Bot API POSTs updates to the bot's webhook server, which
answers only after an update was handled and recorded."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.channels.telegram.application import build_application
from bot.channels.telegram.webhook import MAX_POSTS_AT_ONCE
from bot.fakeapi.people import FakePerson
from bot.fakeapi.server import FakeTelegram
from tests.e2e.conftest import Clock, Harness, fake_settings, serving
from tests.e2e.processes import bot_env, bot_process, eventually

SECRET = "Qz7-wK2v_Xq9Lm4Rt8Yb"
START = datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo("Asia/Pontianak"))
HANG_S = 3.0  # the fake holds every answer this long, then fails it
BOT_TIMEOUT_S = 1  # ... but the bot gives up after one second


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def webhook_harness(tmp_path: Path, clock: Clock) -> AsyncIterator[Harness]:
    """The bot of `harness`, receiving its updates on a local webhook instead of polling."""
    async with FakeTelegram() as fake:
        port = free_port()
        settings = fake_settings(
            fake,
            tmp_path / "data",
            webhook_url=f"http://127.0.0.1:{port}/telegram",
            webhook_listen="127.0.0.1",
            webhook_port=port,
            webhook_secret=SECRET,
        )
        app = build_application(settings, clock=clock, rate_limit=False)
        async with serving(fake, settings, clock, app) as h:
            yield h


async def test_a_stranger_gets_the_polite_explanation_through_the_webhook(
    webhook_harness: Harness,
) -> None:
    fake = webhook_harness.fake
    (set_webhook,) = fake.calls_of("setWebhook")
    assert set_webhook.params["url"] == webhook_harness.settings.webhook_url
    assert set_webhook.params["secret_token"] == SECRET
    budi = fake.person(2001, "Budi")
    await budi.send("/start")
    msg = await budi.next_message()
    assert "hanya untuk petugas PPID yang sudah diundang" in msg.text
    await fake.wait_until_confirmed()
    assert fake.calls_of("getUpdates") == []


async def test_an_update_without_the_right_secret_header_is_refused_and_changes_nothing(
    webhook_harness: Harness,
) -> None:
    fake = webhook_harness.fake
    mallory = fake.person(6661, "Mallory", started=True)
    forged = {
        "update_id": 999,
        "message": {
            "message_id": 1,
            "date": fake.now(),
            "chat": mallory.chat.to_api(),
            "from": mallory.user.to_api(),
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    url = webhook_harness.settings.webhook_url
    assert url is not None
    async with httpx.AsyncClient(timeout=5) as client:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong-token"}):
            response = await client.post(url, json=forged, headers=headers)
            assert response.status_code == 403
    # A real update sent afterwards is answered; the forged one, had it been accepted, would have
    # been handled before it.
    budi = fake.person(2001, "Budi")
    await budi.send("/start")
    await budi.wait_for_text("hanya untuk petugas PPID yang sudah diundang")
    assert [int(call.params["chat_id"]) for call in fake.calls_of("sendMessage")] == [budi.id]
    assert fake.chat(mallory.id).bot_messages == []


def stranger_update(fake: FakeTelegram, person: FakePerson, update_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": fake.now(),
            "chat": person.chat.to_api(),
            "from": person.user.to_api(),
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def test_an_update_posted_twice_is_answered_once(webhook_harness: Harness) -> None:
    fake = webhook_harness.fake
    sari = fake.person(6662, "Sari", started=True)
    url = webhook_harness.settings.webhook_url
    assert url is not None
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with httpx.AsyncClient(timeout=5) as client:
        update = stranger_update(fake, sari, 5000)
        answers = await asyncio.gather(
            client.post(url, json=update, headers=headers),
            client.post(url, json=update, headers=headers),
        )
        again = await client.post(url, json=update, headers=headers)
    assert [a.status_code for a in [*answers, again]] == [200, 200, 200]
    assert len(fake.chat(sari.id).bot_messages) == 1


async def test_a_body_that_is_not_an_update_is_refused_and_the_next_update_is_answered(
    webhook_harness: Harness,
) -> None:
    fake = webhook_harness.fake
    url = webhook_harness.settings.webhook_url
    assert url is not None
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with httpx.AsyncClient(timeout=5) as client:
        bodies = (b"{not json", b"[1, 2]", b'"text"', b'{"update_id": 7, "message": 5}')
        for body in (*bodies, b"x" * (2 * 1024 * 1024)):
            response = await client.post(url, content=body, headers=headers)
            assert response.status_code in (400, 413), body[:20]
        assert (await client.get(url, headers=headers)).status_code == 405
    budi = fake.person(2001, "Budi")
    await budi.send("/start")
    await budi.wait_for_text("hanya untuk petugas PPID yang sudah diundang")


def webhook_env(fake: FakeTelegram, tmp_path: Path, timeout_s: float) -> dict[str, str]:
    """A bot process's environment in webhook mode, on a free loopback port."""
    port = free_port()
    return bot_env(fake, tmp_path / "data", tmp_path, START, timeout_s) | {
        "PPID_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "PPID_WEBHOOK_LISTEN": "127.0.0.1",
        "PPID_WEBHOOK_PORT": str(port),
        "PPID_WEBHOOK_SECRET": SECRET,
    }


async def test_an_update_interrupted_by_a_crash_is_posted_again_and_answered_once(
    tmp_path: Path,
) -> None:
    async with FakeTelegram() as fake:
        env = webhook_env(fake, tmp_path, BOT_TIMEOUT_S)
        # Every answer hangs and then fails: the bot is killed while it handles the update.
        hang = fake.inject("sendMessage", status=502, delay=HANG_S, times=None)
        budi = fake.person(2001, "Budi")
        async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-1.log") as bot:

            async def webhook_set() -> bool | None:
                return True if fake.webhook_url else None

            await eventually(webhook_set, "the bot to set its webhook", context=bot.log)
            (set_webhook,) = fake.calls_of("setWebhook")
            # Telegram posts a chat's updates in order, different chats' at once.
            assert int(set_webhook.params["max_connections"]) == MAX_POSTS_AT_ONCE
            await budi.send("/start")

            async def answering() -> bool | None:
                return True if hang.hits else None

            await eventually(answering, "the bot to answer", context=bot.log)
            assert await bot.kill() == -9
        assert [u["update_id"] for u in fake.pending_updates] != [], "the update was lost"
        assert fake.chat(budi.id).bot_messages == []

        fake.faults.clear()
        async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-2.log") as bot:
            await budi.wait_for_text("hanya untuk petugas PPID yang sudah diundang", timeout=15)
            await fake.wait_until_confirmed(timeout=10)
            assert await bot.terminate() == 0, bot.log()
            assert "Traceback" not in bot.log(), bot.log()
        assert len(fake.chat(budi.id).bot_messages) == 1
        fake.assert_no_protocol_errors()


async def test_a_bot_stopped_while_answering_finishes_the_update_and_never_repeats_it(
    tmp_path: Path,
) -> None:
    async with FakeTelegram() as fake:
        env = webhook_env(fake, tmp_path, timeout_s=10)
        slow = fake.inject("sendMessage", delay=2.0)  # answered late, but answered
        budi = fake.person(2001, "Budi")
        async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-1.log") as bot:

            async def webhook_set() -> bool | None:
                return True if fake.webhook_url else None

            await eventually(webhook_set, "the bot to set its webhook", context=bot.log)
            await budi.send("/start")

            async def answering() -> bool | None:
                return True if slow.hits else None

            await eventually(answering, "the bot to answer", context=bot.log)
            assert await bot.terminate() == 0, bot.log()  # SIGTERM while the answer is on its way
        assert fake.pending_updates == []  # handled, recorded, confirmed
        assert len(fake.chat(budi.id).bot_messages) == 1

        async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-2.log") as bot:

            async def webhook_set_again() -> bool | None:
                return True if len(fake.calls_of("setWebhook")) == 2 else None

            await eventually(webhook_set_again, "the bot to set its webhook again", context=bot.log)
            await budi.send("/bantuan")

            async def answered() -> int | None:
                return len(fake.chat(budi.id).bot_messages) if not fake.pending_updates else None

            await eventually(answered, "the bot to answer /bantuan", context=bot.log)
            assert await bot.terminate() == 0, bot.log()
        texts = [m.text for m in fake.chat(budi.id).bot_messages]
        assert len(texts) == 2, texts  # /start once, /bantuan once: /start was not repeated
        assert texts[0].startswith("Selamat datang") and texts[1].startswith("Bot ini melayani")
        fake.assert_no_protocol_errors()


async def post_raw(port: int, head: bytes, body: bytes, *, trickle: bool = False) -> bytes:
    """Send a raw HTTP POST to the bot's webhook; `trickle`: send only part of the body and keep
    the connection open. Returns the status line of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head + b"\r\n" + (body[:10] if trickle else body))
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), timeout=30)
    finally:
        writer.close()
    return status.strip()


async def test_malformed_posts_get_a_4xx_and_no_secret_or_traceback_reaches_the_log(
    tmp_path: Path,
) -> None:
    async with FakeTelegram() as fake:
        env = webhook_env(fake, tmp_path, BOT_TIMEOUT_S) | {"PPID_LOG_LEVEL": "DEBUG"}
        port = int(env["PPID_WEBHOOK_PORT"])
        async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot.log") as bot:

            async def webhook_set() -> bool | None:
                return True if fake.webhook_url else None

            await eventually(webhook_set, "the bot to set its webhook", context=bot.log)

            def head(secret: bytes, length: int) -> bytes:
                return (
                    b"POST /telegram HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Type: application/json\r\n"
                    b"X-Telegram-Bot-Api-Secret-Token: " + secret + b"\r\n"
                    b"Content-Length: " + str(length).encode() + b"\r\n"
                )

            update = json.dumps({"update_id": 1, "message": {}}).encode()
            # A secret header of bytes that are not UTF-8, without knowing the secret.
            status = await post_raw(port, head(b"\xff\xfe\xc3(", len(update)), update)
            assert status.startswith(b"HTTP/1.1 403"), status
            # JSON nested 200,000 deep, with the right secret.
            deep = b"[" * 200_000 + b"]" * 200_000
            status = await post_raw(port, head(SECRET.encode(), len(deep)), deep)
            assert status.startswith(b"HTTP/1.1 400"), status
            deep_object = b'{"update_id": 2, "a": ' + b'{"b": ' * 100_000 + b"1" + b"}" * 100_001
            status = await post_raw(port, head(SECRET.encode(), len(deep_object)), deep_object)
            assert status.startswith(b"HTTP/1.1 400"), status
            # A body that trickles in: the bot stops waiting for it.
            status = await post_raw(port, head(SECRET.encode(), 100), b"{" * 100, trickle=True)
            assert status.startswith(b"HTTP/1.1 408"), status
            # And the bot still answers a real update.
            budi = fake.person(2001, "Budi")
            await budi.send("/start")
            await budi.wait_for_text("hanya untuk petugas PPID yang sudah diundang", timeout=15)
            assert await bot.terminate() == 0, bot.log()
        log = bot.log()
        assert "setWebhook" in log  # python-telegram-bot's DEBUG line with its parameters
        assert SECRET not in log and "Traceback" not in log and " 500" not in log, log
        assert "ERROR" not in log, log


async def run_command(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """A one-shot command as a process (the fake keeps answering meanwhile)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode or 0, out.decode()


async def test_a_short_webhook_secret_is_refused_and_no_secret_is_shown_by_config(
    tmp_path: Path,
) -> None:
    async with FakeTelegram() as fake:
        env = webhook_env(fake, tmp_path, BOT_TIMEOUT_S)
        code, out = await run_command(
            ["run", "--no-demo"], env | {"PPID_WEBHOOK_SECRET": "a"}, tmp_path
        )
        assert code == 2, out
        assert "PPID_WEBHOOK_SECRET" in out and "16 karakter" in out and "Traceback" not in out
        code, out = await run_command(["config"], env, tmp_path)
        assert code == 0, out
        shown = {line.split()[0]: line for line in out.splitlines() if "PPID_" in line}
        for name, secret in (("PPID_WEBHOOK_SECRET", SECRET), ("PPID_TELEGRAM_TOKEN", fake.token)):
            assert "disamarkan" in shown[name]
            # Not even a part of it.
            assert not any(secret[i : i + 6] in out for i in range(len(secret) - 5)), out
