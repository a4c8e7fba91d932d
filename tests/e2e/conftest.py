"""The real bot, polling the project's fake Bot API over HTTP, with a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.channels.links import telegram_link as invite_link
from bot.channels.telegram.application import build_application, running
from bot.config import Settings
from bot.fakeapi import flows
from bot.fakeapi.people import FakePerson
from bot.fakeapi.server import FakeTelegram
from bot.models import User
from bot.scheduler import Scheduler
from bot.services import cases, drafting, opd_work, people, review
from bot.services.context import Ctx
from bot.sop import Role


@dataclass
class Clock:
    """A clock the test moves; the bot reads it for every deadline."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        """Move the clock forward by a `timedelta(**kw)`."""
        self.now += timedelta(**kw)


@dataclass
class Harness:
    """The running bot, the fake Bot API it talks to and the clock it reads; joins people and
    prepares cases through the services, so that a test plays in the chat only what it checks."""

    fake: FakeTelegram
    settings: Settings
    clock: Clock
    app: Any

    @property
    def scheduler(self) -> Scheduler:
        """The bot's scheduler (sweep and outbox dispatcher)."""
        scheduler: Scheduler = self.app.bot_data["scheduler"]
        return scheduler

    async def travel(self, to: datetime) -> None:
        """Move the clock to `to` (never backwards) and let the sweep and dispatcher run."""
        assert to >= self.clock.now, "time travel goes forward only"
        self.clock.now = to
        await self.scheduler.tick()

    async def site_settled(self) -> None:
        """Waits for the background updates of the site asked for so far, and checks they
        succeeded (a publication answers before the site is updated)."""
        assert await self.ctx.site.idle(), "the site update failed"

    @property
    def ctx(self) -> Ctx:
        """The bot's service context: database, files, calendar and clock."""
        ctx: Ctx = self.app.bot_data["ctx"]
        return ctx

    async def invite(self, role: Role, opd: str | None = None, name: str | None = None) -> str:
        """Through the services: an invitation for that role; returns its token."""
        made = await people.invite(self.ctx.db, role=role, opd_code=opd, name=name,
                                   created_by="test", now=self.ctx.now(),
                                   links=lambda token: [invite_link("ppid_test_bot", token)])  # fmt: skip
        return made.invitation.token

    async def join(self, uid: int, name: str, role: Role, opd: str | None = None) -> FakePerson:
        """A person opens an invitation link and is registered."""
        token = await self.invite(role, opd, name)
        person = self.fake.person(uid, name.split()[-1])
        await flows.accept_invitation(person, token)
        return person

    async def join_team(
        self, first_uid: int, opd: str = "DINKES"
    ) -> tuple[FakePerson, FakePerson, FakePerson]:
        """The three people one case needs, joined: Bapak Andi (Pejabat PID, `first_uid`), Ibu
        Rina (PPID Utama, the next id) and Ibu Sari (PPID Pendukung of `opd`, the one after)."""
        andi = await self.join(first_uid, "Bapak Andi", Role.PEJABAT)
        rina = await self.join(first_uid + 1, "Ibu Rina", Role.UTAMA)
        sari = await self.join(first_uid + 2, "Ibu Sari", Role.PENDUKUNG, opd)
        return andi, rina, sari

    async def user(self, person: FakePerson) -> User:
        """The registered user behind a person of the chat."""
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

    async def start_drafting(self, pejabat: FakePerson, code: str) -> int:
        """Through the services: a round for one OPD; then, in the chat, the Pejabat opens its
        case (the only task) from /tugas and sees it still without entries. Returns the case."""
        (case_id,) = await self.open_round(pejabat, code)
        await flows.open_task(pejabat, code, tasks=1)
        await pejabat.wait_for_text("Belum ada entri")
        return case_id

    async def round_at_step2(self, pejabat: FakePerson, code: str, titles: list[str]) -> int:
        """Through the services: a round for one OPD whose draft with these entries is sent to
        the PPID Utama; returns the case."""
        ctx = self.ctx
        (case_id,) = await self.open_round(pejabat, code)
        for title in titles:
            await drafting.add_entry(ctx, await self.user(pejabat), case_id, title, "Ringkasan", 0)
        v = await cases.view(ctx, case_id)
        await drafting.send_to_utama(ctx, await self.user(pejabat), case_id, v.case.version)
        return case_id

    async def round_at_step3(
        self, pejabat: FakePerson, utama: FakePerson, code: str, titles: list[str]
    ) -> int:
        """Through the services: a round for one OPD whose draft is approved; returns the case."""
        case_id = await self.round_at_step2(pejabat, code, titles)
        v = await cases.view(self.ctx, case_id)
        await review.approve_step2(self.ctx, await self.user(utama), case_id, v.case.version)
        return case_id

    async def round_at_step5(
        self,
        pejabat: FakePerson,
        utama: FakePerson,
        opd_officer: FakePerson,
        code: str,
        titles: list[str],
    ) -> int:
        """A round for one OPD at step 3 (see `round_at_step3`); the OPD's officer sends a PDF for
        each entry through the chat, then the services send them on and the PPID Utama approves
        them all. Returns the case, waiting for its publication."""
        case_id = await self.round_at_step3(pejabat, utama, code, titles)
        for e in (await cases.view(self.ctx, case_id)).entries:
            await opd_officer.send_document(
                f"{code}-{e.number}.pdf",
                b"%PDF-1.4 " + code.encode() + bytes([e.number]),
                caption=f"#{e.number}",
            )
            await opd_officer.wait_for_text(f"untuk entri #{e.number}")
        v = await cases.view(self.ctx, case_id)
        await opd_work.send_to_utama(
            self.ctx, await self.user(opd_officer), case_id, v.case.version
        )
        v = await cases.view(self.ctx, case_id)
        await review.approve_step4(self.ctx, await self.user(utama), case_id, v.case.version)
        return case_id

    async def add_opds(self, *codes: str) -> None:
        """Register these OPDs (named ``Dinas Code``), or keep them if they exist."""
        async with self.ctx.db.transaction() as uow:
            for code in codes:
                await uow.opds.upsert(code, f"Dinas {code.title()}")
            await uow.commit()


@pytest.fixture
def clock() -> Clock:
    """The harness's clock, starting inside office hours."""
    # Monday 1 March 2027, 09:00 WIB: inside office hours.
    return Clock(datetime(2027, 3, 1, 2, 0, tzinfo=UTC))


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to run the harness with other settings."""
    return {}


def fake_settings(fake: FakeTelegram, data_dir: Path, **overrides: Any) -> Settings:
    """The settings of a bot that talks to `fake` and keeps its data in `data_dir`."""
    return Settings(
        telegram_token=fake.token,  # type: ignore[arg-type]
        telegram_base_url=fake.base_url,
        telegram_base_file_url=fake.base_file_url,
        data_dir=data_dir,
        **overrides,
    )


@asynccontextmanager
async def serving(
    fake: FakeTelegram, settings: Settings, clock: Clock, app: Any
) -> AsyncIterator[Harness]:
    """Run the built `app` against `fake` for the length of the block; afterwards, fail on any
    request the bot made that the real Bot API would have refused."""
    async with running(app, settings, poll_timeout=1):
        yield Harness(fake=fake, settings=settings, clock=clock, app=app)
    fake.assert_no_protocol_errors()


@pytest.fixture
async def harness(
    tmp_path: Path, clock: Clock, settings_overrides: dict[str, Any]
) -> AsyncIterator[Harness]:
    """The real bot polling the fake Bot API, with a real database under `tmp_path`."""
    async with FakeTelegram() as fake:
        settings = fake_settings(fake, tmp_path / "data", **settings_overrides)
        app = build_application(settings, clock=clock, rate_limit=False)
        async with serving(fake, settings, clock, app) as h:
            yield h


async def toast_with(person: FakePerson, text: str) -> str:
    """The next toast containing `text`, skipping the silent answers of earlier presses."""
    while True:
        toast = await person.next_toast()
        if text in toast:
            return toast
        assert toast == "", f"unexpected toast {toast!r} while waiting for {text!r}"
