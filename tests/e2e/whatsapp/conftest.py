"""The real bot on both chat apps at once: Telegram polling the project's fake Bot API, and
WhatsApp taking the signed webhooks of the project's fake Cloud API (pywa's client sending to it),
one SQLite file, one clock that the test moves (the fake Cloud API reads it for the 24-hour
window)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.channels.telegram.application import build_application
from bot.channels.whatsapp.channel import WhatsAppChannel
from bot.config import Settings
from bot.fakeapi.people import FakePerson
from bot.fakeapi.server import FakeTelegram
from bot.fakeapi.whatsapp import FakeWhatsApp, FakeWhatsAppPerson
from bot.fakeapi.whatsapp.harness import approve_bot_templates, free_port
from bot.models import User
from bot.sop import Role
from tests.e2e.conftest import Clock, Harness, fake_settings, serving

VERIFY_TOKEN = "verify-token-of-the-test"


def wa_settings(wa: FakeWhatsApp, port: int) -> dict[str, Any]:
    """The WhatsApp settings of a bot that talks to the fake Cloud API `wa`."""
    own = {k.removeprefix("PPID_").lower(): v for k, v in wa.environment(VERIFY_TOKEN).items()}
    return {**own, "webhook_listen": "127.0.0.1", "webhook_port": port}


@dataclass
class Mixed:
    """The bot on Telegram and WhatsApp; `h` is the Telegram harness (services, clock, travel)."""

    h: Harness
    wa: FakeWhatsApp

    async def join_wa(
        self, number: str, name: str, role: Role, opd: str | None = None
    ) -> FakeWhatsAppPerson:
        """A person opens the wa.me link of an invitation: the sentence with the token is typed
        for them; they press send and are registered."""
        token = await self.h.invite(role, opd, name)
        person = self.wa.person(number, name.split()[-1])
        await person.send(f"Halo PPID Bot, saya ingin bergabung. Kode undangan: {token}")
        await person.wait_for_text("Selamat bergabung")
        return person

    async def team(
        self, first_uid: int, number: str
    ) -> tuple[FakePerson, FakePerson, FakeWhatsAppPerson]:
        """The three people of one DINKES case: Bapak Andi (Pejabat PID, `first_uid`) and Ibu Rina
        (PPID Utama, the next id) on Telegram, Ibu Sari (its PPID Pendukung) on WhatsApp."""
        await self.h.add_opds("DINKES")
        andi = await self.h.join(first_uid, "Bapak Andi", Role.PEJABAT)
        rina = await self.h.join(first_uid + 1, "Ibu Rina", Role.UTAMA)
        sari = await self.join_wa(number, "Ibu Sari", Role.PENDUKUNG, "DINKES")
        return andi, rina, sari

    async def wa_user(self, person: FakeWhatsAppPerson) -> User:
        async with self.h.ctx.db.read() as uow:
            found = await uow.users.by_external("whatsapp", person.bsuid)
        assert found is not None
        return found


@pytest.fixture
def templates_approved() -> bool:
    """Override in a test module: whether Meta approved the bot's templates before it starts."""
    return True


@pytest.fixture
async def mixed(
    tmp_path: Path, clock: Clock, settings_overrides: dict[str, Any], templates_approved: bool
) -> AsyncIterator[Mixed]:
    async with FakeTelegram() as tg, FakeWhatsApp(clock=clock) as wa:
        if templates_approved:
            approve_bot_templates(wa)
        port = free_port()
        settings: Settings = fake_settings(
            tg, tmp_path / "data", **wa_settings(wa, port), **settings_overrides
        )
        channel = WhatsAppChannel(settings)
        app = build_application(settings, clock=clock, rate_limit=False, also=[channel])
        async with serving(tg, settings, clock, app) as h:
            await wa.deliver_to(f"http://127.0.0.1:{port}/whatsapp", verify_token=VERIFY_TOKEN)
            yield Mixed(h, wa)
            await wa.settled()
