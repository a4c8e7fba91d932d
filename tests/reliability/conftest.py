"""The reliability suite drives the real bot as the end-to-end tests do: the same fixtures.

`harness` runs the bot in-process, polling the fake Bot API; `concurrent_harness` is the same
bot built with python-telegram-bot's `concurrent_updates(64)`. The bot's own intake (bot/polling.py)
hands updates to python-telegram-bot one person at a time, different people at once, whatever
that setting, so both put the database's serialisation of simultaneous acts to the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import ApplicationBuilder

from bot.channels.telegram.application import build_application
from bot.fakeapi.server import FakeTelegram
from tests.e2e.conftest import (
    Clock,
    Harness,
    clock,
    fake_settings,
    harness,
    serving,
    settings_overrides,
)

__all__ = ["clock", "concurrent_harness", "harness", "settings_overrides"]

CONCURRENT_UPDATES = 64


@pytest.fixture
async def concurrent_harness(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Harness]:
    """The bot of `harness`, built with `ApplicationBuilder.concurrent_updates(64)`."""
    build = ApplicationBuilder.build

    def concurrent_build(self: Any) -> Any:
        return build(self.concurrent_updates(CONCURRENT_UPDATES))

    monkeypatch.setattr(ApplicationBuilder, "build", concurrent_build)
    async with FakeTelegram() as fake:
        settings = fake_settings(fake, tmp_path / "data")
        app = build_application(settings, clock=clock, rate_limit=False)
        monkeypatch.setattr(ApplicationBuilder, "build", build)
        assert app.update_processor.max_concurrent_updates == CONCURRENT_UPDATES
        async with serving(fake, settings, clock, app) as h:
            yield h
