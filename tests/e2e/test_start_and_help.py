"""The running bot answers /start and /bantuan, for strangers and for invited people."""

from __future__ import annotations

from bot.sop import Role
from tests.e2e.conftest import Harness


async def test_a_stranger_gets_one_polite_explanation_and_nothing_else(harness: Harness) -> None:
    budi = harness.fake.person(2001, "Budi")
    await budi.send("/start")
    msg = await budi.next_message()
    assert "hanya untuk petugas PPID yang sudah diundang" in msg.text
    assert msg.buttons == []
    await budi.send("/bantuan")
    assert "undangan" in (await budi.next_message()).text


async def test_an_invited_person_joins_and_gets_help_for_their_role(harness: Harness) -> None:
    token = await harness.invite(Role.UTAMA, name="Ibu Rina")
    rina = harness.fake.person(2002, "Rina")
    await rina.send(f"/start {token}")
    joined = await rina.next_message()
    assert "Selamat bergabung, Ibu Rina" in joined.text and "PPID Utama" in joined.text
    await rina.send("/bantuan")
    help_msg = await rina.next_message()
    assert "menelaah draf" in help_msg.text
    assert ["📋 Tugas saya", "📊 Status"] in help_msg.buttons


async def test_the_command_menu_is_set_on_start(harness: Harness) -> None:
    names = [c["command"] for c in harness.fake.commands()]
    assert names == ["tugas", "status", "bantuan", "batal", "menu", "templat", "ekspor", "laporan"]
