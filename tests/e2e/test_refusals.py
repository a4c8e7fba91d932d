"""Refusals through the running bot: a clear Indonesian answer, nothing changed, an audit entry."""

from __future__ import annotations

from bot.sop import Role
from tests.e2e.conftest import Harness


async def test_a_forged_button_is_refused_and_audited(harness: Harness) -> None:
    token = await harness.invite(Role.UTAMA, name="Ibu Rina")
    rina = harness.fake.person(4001, "Rina")
    await rina.send(f"/start {token}")
    joined = await rina.wait_for_text("Selamat bergabung")
    await rina.press_data("1:a2:999:1;DROP", joined)
    assert "tidak dikenali" in await rina.next_toast()
    async with harness.ctx.db.transaction() as uow:
        refusals = [a for a in await uow.audit.all() if a.outcome == "refused"]
    assert refusals and refusals[-1].note is not None and refusals[-1].note.startswith("bad-button")


async def test_a_used_invitation_is_refused_for_the_second_person(harness: Harness) -> None:
    token = await harness.invite(Role.PEJABAT, name="Bapak Andi")
    andi = harness.fake.person(4002, "Andi")
    await andi.send(f"/start {token}")
    await andi.wait_for_text("Selamat bergabung")
    other = harness.fake.person(4003, "Budi")
    await other.send(f"/start {token}")
    assert "sudah dipakai" in (await other.next_message()).text
    await other.send("/start bad$token")
    assert "tidak valid" in (await other.next_message()).text


async def test_a_caption_for_a_missing_entry_gets_a_clear_answer(harness: Harness) -> None:
    await harness.add_opds("DINKES")
    token = await harness.invite(Role.PENDUKUNG, "DINKES", "Ibu Sari")
    sari = harness.fake.person(4004, "Sari")
    await sari.send(f"/start {token}")
    await sari.wait_for_text("Selamat bergabung")
    await sari.send_document("x.pdf", b"%PDF-1.4 x", caption="#99")
    assert "tidak ada berkas OPD" in (await sari.next_message()).text
