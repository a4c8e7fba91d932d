"""The real bot, polling the project's fake Bot API over HTTP, with a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application, running
from bot.config import Settings
from bot.fakeapi.server import FakeTelegram
from bot.services import people
from bot.services.context import Ctx
from bot.sop import Role


@dataclass
class Clock:
    """A clock the test moves; the bot reads it for every deadline."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class Harness:
    fake: FakeTelegram
    settings: Settings
    clock: Clock
    app: Any

    @property
    def ctx(self) -> Ctx:
        ctx: Ctx = self.app.bot_data["ctx"]
        return ctx

    async def invite(self, role: Role, opd: str | None = None, name: str | None = None) -> str:
        made = await people.invite(self.ctx.db, role=role, opd_code=opd, name=name,
                                   created_by="test", now=self.ctx.now(),
                                   bot_username="ppid_test_bot")  # fmt: skip
        return made.invitation.token

    async def add_opds(self, *codes: str) -> None:
        async with self.ctx.db.transaction() as uow:
            for code in codes:
                await uow.opds.upsert(code, f"Dinas {code.title()}")
            await uow.commit()


@pytest.fixture
def clock() -> Clock:
    # Monday 1 March 2027, 09:00 WIB: inside office hours.
    return Clock(datetime(2027, 3, 1, 2, 0, tzinfo=UTC))


@pytest.fixture
async def harness(tmp_path: Path, clock: Clock) -> AsyncIterator[Harness]:
    async with FakeTelegram() as fake:
        settings = Settings(
            telegram_token=fake.token,  # type: ignore[arg-type]
            telegram_base_url=fake.base_url,
            telegram_base_file_url=fake.base_file_url,
            data_dir=tmp_path / "data",
        )
        app = build_application(settings, clock=clock, rate_limit=False)
        async with running(app, settings, poll_timeout=1):
            yield Harness(fake=fake, settings=settings, clock=clock, app=app)
        fake.assert_no_protocol_errors()


JoinPerson = Callable[..., Any]
