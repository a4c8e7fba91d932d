"""Every screen of the bot fits every channel: the demo's whole round (every role, both returns,
documents, publication) and the largest pickers, recorded as the Telegram adapter sends them,
then shaped by the fitter for Telegram's and for WhatsApp's capabilities."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.channels.base import Reply
from bot.channels.fit import fit, problems
from bot.channels.port import TELEGRAM, Capabilities
from bot.channels.telegram.adapter import TelegramSender
from bot.channels.whatsapp.sender import WhatsAppSender
from bot.demo import run_demo
from bot.fakeapi import flows
from bot.sop import Role
from tests.e2e.conftest import Harness

pytestmark = pytest.mark.e2e
# The capabilities the real adapters declare (and send by).
CHANNELS = pytest.mark.parametrize(
    "caps", [TelegramSender.capabilities, WhatsAppSender.capabilities], ids=["telegram", "whatsapp"]
)


@pytest.fixture
def screens(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Reply]]:
    """Every reply and notice the bot sends, as the handlers made it."""
    seen: list[Reply] = []
    send, part = TelegramSender.send, TelegramSender._send_part

    async def record_send(self: TelegramSender, chat_id: str | int, reply: Reply, *a: Any) -> None:
        seen.append(reply)
        await send(self, chat_id, reply, *a)

    async def record_part(
        self: TelegramSender, chat_id: str | int, reply: Reply, i: int
    ) -> list[str]:
        if i == len(reply.files):
            seen.append(reply)
        return await part(self, chat_id, reply, i)

    monkeypatch.setattr(TelegramSender, "send", record_send)
    monkeypatch.setattr(TelegramSender, "_send_part", record_part)
    yield seen


def misfits(replies: list[Reply], caps: Capabilities) -> list[str]:
    return [
        f"{reply.text[:60]!r}: {p}"
        for reply in replies
        for message in fit(reply, caps)
        for p in problems(message, caps)
    ]


@CHANNELS
async def test_every_screen_of_a_whole_round_fits(screens: list[Reply], caps: Capabilities) -> None:
    await run_demo()
    assert len(screens) > 80
    assert misfits(screens, caps) == []


async def test_on_telegram_the_screens_look_as_the_handlers_made_them(
    screens: list[Reply],
) -> None:
    await run_demo()
    pickers = 0
    for reply in screens:
        fitted = [b.label for m in fit(reply, TELEGRAM) for b in m.actions]
        # A picker's choices are toggle buttons above the screen's own, as they always were.
        toggles = []
        for c in reply.picker.choices if reply.picker else []:
            toggles += [
                f"{'☑️' if c.chosen else '⬜'} {c.label}",
                *([c.extra.label] if c.extra else []),
            ]
        pickers += bool(toggles)
        assert fitted == [*toggles, *(b.label for row in reply.buttons for b in row)]
    assert pickers >= 3


@CHANNELS
async def test_the_largest_pickers_fit(
    harness: Harness, screens: list[Reply], caps: Capabilities
) -> None:
    h = harness
    await h.add_opds(*(f"OPD{i:02d}" for i in range(60)))
    andi = await h.join(9901, "Bapak Andi", Role.PEJABAT)
    admin = await h.join(9902, "Admin Kominfo", Role.ADMIN)
    await flows.open_menu(andi)
    await andi.press("➕ Mulai putaran baru")
    await andi.wait_for_text("Nama putaran")
    await andi.send("DIP Semester I 2027 untuk semua OPD kota")
    await andi.wait_for_text("Pilih OPD yang ikut")
    await flows.open_menu(admin)
    await admin.press("✉️ Undang petugas")
    await admin.wait_for_text("Undang petugas sebagai")
    await admin.press("PPID Pendukung")
    await admin.wait_for_text("OPD mana")
    biggest = max(screens, key=lambda r: sum(len(row) for row in r.buttons))
    assert sum(len(row) for row in biggest.buttons) >= 60
    assert misfits(screens, caps) == []


@CHANNELS
async def test_the_absence_screens_fit(
    harness: Harness, screens: list[Reply], caps: Capabilities
) -> None:
    h = harness
    await h.add_opds("OPD00", "OPD01", "OPD02")
    admin = await h.join(9951, "Admin Kominfo", Role.ADMIN)
    for i in range(45):  # more than one screen of people; a dozen in OPD00 to stand in
        await h.join(
            9960 + i, f"Ibu Petugas Nomor {i:02d}", Role.PENDUKUNG, f"OPD0{min(i // 12, 2)}"
        )
    await flows.open_menu(admin)
    await admin.press("🏖 Ketidakhadiran")
    await admin.wait_for_text("Ketidakhadiran petugas")
    await admin.press("➕ Catat ketidakhadiran petugas")
    await admin.wait_for_text("Ketidakhadiran siapa")
    await admin.press("Ibu Petugas Nomor 00")
    await admin.wait_for_text("Mulai tanggal berapa")
    await admin.send("1-3-2027")
    await admin.wait_for_text("Sampai tanggal berapa")
    await admin.press("♾ Tanpa tanggal selesai (Plt)")
    await admin.wait_for_text("Siapa pengganti")
    await admin.press("Ibu Petugas Nomor 01")
    await admin.wait_for_text("Ketidakhadiran dicatat")
    assert misfits(screens, caps) == []
