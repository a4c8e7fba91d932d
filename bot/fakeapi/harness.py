"""Running a real python-telegram-bot Application against the fake Bot API.

Shared by the end-to-end tests and the offline demo::

    async with FakeTelegram() as fake:
        app = application_builder(fake).build()
        app.add_handler(...)
        async with polling(app):
            sari = fake.person(1001, "Sari")
            await sari.send("/start")
            print((await sari.next_message()).text)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from telegram.ext import Application

from bot.fakeapi.server import FakeTelegram

if TYPE_CHECKING:
    from telegram.ext._applicationbuilder import InitApplicationBuilder

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def application_builder(fake: FakeTelegram) -> InitApplicationBuilder:
    """``Application.builder()`` pointed at the fake: token, base_url and base_file_url set."""
    return (
        Application.builder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
    )


@asynccontextmanager
async def polling(app: AnyApplication, *, poll_timeout: int = 1) -> AsyncIterator[AnyApplication]:
    """Initialise and start ``app`` and poll the fake; stop everything cleanly on exit.

    A short long-poll ``poll_timeout`` keeps shutdown quick (the updater waits for the pending poll).
    """
    await app.initialize()
    try:
        await app.start()
        assert app.updater is not None, "build the Application with an Updater"
        await app.updater.start_polling(poll_interval=0, timeout=poll_timeout)
        try:
            yield app
        finally:
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
    finally:
        await app.shutdown()
