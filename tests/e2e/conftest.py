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
from bot.fakeapi.people import FakePerson
from bot.fakeapi.server import FakeTelegram
from bot.models import User
from bot.scheduler import Scheduler
from bot.services import cases, drafting, people, review
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
    def scheduler(self) -> Scheduler:
        scheduler: Scheduler = self.app.bot_data["scheduler"]
        return scheduler

    async def travel(self, to: datetime) -> None:
        """Move the clock to `to` (never backwards) and let the sweep and dispatcher run."""
        assert to >= self.clock.now, "time travel goes forward only"
        self.clock.now = to
        await self.scheduler.tick()

    @property
    def ctx(self) -> Ctx:
        ctx: Ctx = self.app.bot_data["ctx"]
        return ctx

    async def invite(self, role: Role, opd: str | None = None, name: str | None = None) -> str:
        made = await people.invite(self.ctx.db, role=role, opd_code=opd, name=name,
                                   created_by="test", now=self.ctx.now(),
                                   bot_username="ppid_test_bot")  # fmt: skip
        return made.invitation.token

    async def join(self, uid: int, name: str, role: Role, opd: str | None = None) -> FakePerson:
        """A person opens an invitation link and is registered."""
        token = await self.invite(role, opd, name)
        person = self.fake.person(uid, name.split()[-1])
        await person.send(f"/start {token}")
        await person.wait_for_text("Selamat bergabung")
        return person

    async def user(self, person: FakePerson) -> User:
        async with self.ctx.db.transaction() as uow:
            found = await uow.users.by_external("telegram", str(person.id))
        assert found is not None
        return found

    async def open_round(self, pejabat: FakePerson, *codes: str, name: str = "Uji") -> list[int]:
        """Through the services: a round for these OPDs, in step 1; returns the case ids."""
        async with self.ctx.db.transaction() as uow:
            opds = [await uow.opds.by_code(code) for code in codes]
        ids = [o.id for o in opds if o is not None]
        views = await cases.create_round(self.ctx, await self.user(pejabat), name, ids)
        return [v.case.id for v in views]

    async def round_at_step3(
        self, pejabat: FakePerson, utama: FakePerson, code: str, titles: list[str]
    ) -> int:
        """Through the services: a round for one OPD whose draft is approved; returns the case."""
        ctx = self.ctx
        async with ctx.db.transaction() as uow:
            opd = await uow.opds.by_code(code)
        assert opd is not None
        (view,) = await cases.create_round(ctx, await self.user(pejabat), "Uji", [opd.id])
        case_id = view.case.id
        for title in titles:
            await drafting.add_entry(ctx, await self.user(pejabat), case_id, title, "Ringkasan", 0)
        v = await cases.view(ctx, case_id)
        await drafting.send_to_utama(ctx, await self.user(pejabat), case_id, v.case.version)
        v = await cases.view(ctx, case_id)
        await review.approve_step2(ctx, await self.user(utama), case_id, v.case.version)
        return case_id

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
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to run the harness with other settings."""
    return {}


@pytest.fixture
async def harness(
    tmp_path: Path, clock: Clock, settings_overrides: dict[str, Any]
) -> AsyncIterator[Harness]:
    async with FakeTelegram() as fake:
        settings = Settings(
            telegram_token=fake.token,  # type: ignore[arg-type]
            telegram_base_url=fake.base_url,
            telegram_base_file_url=fake.base_file_url,
            data_dir=tmp_path / "data",
            **settings_overrides,
        )
        app = build_application(settings, clock=clock, rate_limit=False)
        async with running(app, settings, poll_timeout=1):
            yield Harness(fake=fake, settings=settings, clock=clock, app=app)
        fake.assert_no_protocol_errors()


JoinPerson = Callable[..., Any]


async def toast_with(person: FakePerson, text: str) -> str:
    """The next toast containing `text`, skipping the silent answers of earlier presses."""
    while True:
        toast = await person.next_toast()
        if text in toast:
            return toast
        assert toast == "", f"unexpected toast {toast!r} while waiting for {text!r}"
