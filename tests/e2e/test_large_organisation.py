"""A province-sized organisation in the chat (issue 15): 2,000 OPDs in one round. The lists show a
screenful, late cases first, and count the rest; a person pressing /status ten times a second
gets every answer, and nothing piles up behind them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.fakeapi.server import FakeTelegram
from bot.sop import Role
from bot.texts import t
from tests.e2e.conftest import Harness
from tests.e2e.processes import eventually

OPDS = 2000
LATE = 7  # OPDs whose deadline has passed: the status lists them first
ROUND = "DIP Provinsi 2027"


async def a_round_for_every_opd(harness: Harness, pejabat_id: int) -> None:
    """2,000 OPDs in one round at step 1, the first `LATE` of them (by code) late."""
    now = harness.ctx.calendar.local(harness.clock.now)
    async with harness.ctx.db.transaction() as uow:
        for n in range(OPDS):
            await uow.opds.upsert(f"OPD{n:04}", f"Dinas Contoh {n:04}")
        round_id = await uow.rounds.add(ROUND, pejabat_id, now)
        for opd in await uow.opds.all():
            case_id = await uow.cases.add(round_id, opd.id, now)
            late = int(opd.code[3:]) >= OPDS - LATE
            due = now - timedelta(hours=2) if late else now + timedelta(days=1)
            await uow.tasks.open(case_id, 1, now, due)
        await uow.commit()


def confirmed(fake: FakeTelegram) -> bool | None:
    return True if not fake.pending_updates else None


async def test_status_ten_times_a_second_at_two_thousand_opds_is_answered_every_time(
    harness: Harness,
) -> None:
    andi = await harness.join(5001, "Bapak Andi", Role.PEJABAT)
    rina = await harness.join(5002, "Ibu Rina", Role.UTAMA)
    await a_round_for_every_opd(harness, (await harness.user(andi)).id)
    presses = 20
    for _ in range(presses):
        await rina.send("/status")
        await asyncio.sleep(0.1)  # ten a second, as a person hammering the command
    await andi.send("/tugas")  # someone else, meanwhile
    # (The morning's digest may come in between: the status answers are those of the round.)
    answers = [
        await rina.wait_until(lambda m: m.text.startswith(ROUND), timeout=60)
        for _ in range(presses)
    ]
    tasks = await andi.wait_for_text(t("tasks-title", count=OPDS), timeout=60)

    for answer in answers:
        lines = answer.text.splitlines()
        assert lines[0] == ROUND
        # Late first (by code), then the others by code; a screenful, the rest counted.
        late = [f"• OPD{n:04}" for n in range(OPDS - LATE, OPDS)]
        assert [line.split(":")[0] for line in lines[1 : 1 + LATE]] == late
        assert all("TERLAMBAT" in line for line in lines[1 : 1 + LATE])
        assert lines[1 + LATE].startswith("• OPD0000:")
        shown = len(lines) - 2
        assert lines[-1] == t("status-more", count=OPDS - shown).replace("*", "")
        assert len(answer.text) < 4096
    # Most urgent first: the late ones lead /tugas too, and the rest is counted.
    assert tasks.text.splitlines()[1].startswith(f"• Dinas Contoh {OPDS - LATE:04}")
    listed = tasks.text.count("• ")
    assert tasks.text.splitlines()[-1] == t("status-more", count=OPDS - listed).replace("*", "")

    async def all_confirmed() -> bool | None:
        return confirmed(harness.fake)

    await eventually(all_confirmed, "every update to be confirmed", timeout=60)
    # One answer each, none lost, none doubled.
    assert len([m for m in rina.messages if m.text.startswith(ROUND)]) == presses


async def test_a_ppid_pendukung_sees_only_their_own_case_among_two_thousand(
    harness: Harness,
) -> None:
    andi = await harness.join(5101, "Bapak Andi", Role.PEJABAT)
    await a_round_for_every_opd(harness, (await harness.user(andi)).id)
    sari = await harness.join(5102, "Ibu Sari", Role.PENDUKUNG, "OPD1234")
    await sari.send("/status")
    answer = await sari.wait_until(lambda m: m.text.startswith(ROUND), timeout=30)
    assert [line.split(":")[0] for line in answer.text.splitlines()[1:]] == ["• OPD1234"]
