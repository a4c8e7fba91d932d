"""The real bot in webhook mode: the fake Bot API POSTs updates to PTB's webhook server."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.app import build_application, running
from bot.config import Settings
from bot.fakeapi.server import FakeTelegram
from tests.e2e.conftest import Clock, Harness

SECRET = "s3cret-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def webhook_harness(tmp_path: Path, clock: Clock) -> AsyncIterator[Harness]:
    async with FakeTelegram() as fake:
        port = free_port()
        settings = Settings(
            telegram_token=fake.token,  # type: ignore[arg-type]
            telegram_base_url=fake.base_url,
            telegram_base_file_url=fake.base_file_url,
            data_dir=tmp_path / "data",
            webhook_url=f"http://127.0.0.1:{port}/telegram",
            webhook_listen="127.0.0.1",
            webhook_port=port,
            webhook_secret=SECRET,  # type: ignore[arg-type]
        )
        app = build_application(settings, clock=clock, rate_limit=False)
        async with running(app, settings, poll_timeout=1):
            yield Harness(fake=fake, settings=settings, clock=clock, app=app)
        fake.assert_no_protocol_errors()


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
