"""Six-monthly rounds open by themselves on the first working day, once, from the last round."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.fakeapi import flows
from bot.services import cases, drafting
from bot.sop import Role
from tests.e2e.conftest import Harness

WIB = ZoneInfo("Asia/Pontianak")


async def test_a_january_round_opens_on_the_first_working_day_with_the_previous_entries(
    harness: Harness,
) -> None:
    h = harness
    h.clock.now = datetime(2026, 12, 1, 9, 0, tzinfo=WIB)
    await h.add_opds("DINKES", "DISHUB")
    andi = await h.join(9701, "Bapak Andi", Role.PEJABAT)
    await flows.open_menu(andi)
    await andi.press("🔁 Putaran berkala")
    await andi.wait_for_text("belum aktif")
    await andi.press("Aktifkan (Januari dan Juli)")
    await andi.wait_for_text("aktif: setiap Januari, Juli")
    async with h.ctx.db.transaction() as uow:
        dinkes = await uow.opds.by_code("DINKES")
    assert dinkes is not None
    (view,) = await cases.create_round(
        h.ctx, await h.user(andi), "DIP Semester II 2026", [dinkes.id]
    )
    await drafting.add_entry(h.ctx, await h.user(andi), view.case.id, "Laporan Keuangan", "LKPD", 0)
    # 1 January 2027 is a holiday and then comes a weekend: the round opens Monday 4 January.
    await h.travel(datetime(2027, 1, 1, 9, 0, tzinfo=WIB))
    await h.travel(datetime(2027, 1, 4, 7, 0, tzinfo=WIB))
    async with h.ctx.db.transaction() as uow:
        assert len(await uow.rounds.all()) == 1
    await h.travel(datetime(2027, 1, 4, 7, 31, tzinfo=WIB))
    await h.travel(datetime(2027, 1, 4, 9, 0, tzinfo=WIB))
    async with h.ctx.db.transaction() as uow:
        rounds = await uow.rounds.all()
        assert [r.name for r in rounds] == ["DIP Semester II 2026", "DIP Semester I 2027"]
        [case] = await uow.cases.all(round_id=rounds[-1].id)
        entries = await uow.entries.for_case(case.id)
    assert case.opd_id == dinkes.id and case.step == 1
    assert [(e.title, e.summary, e.category) for e in entries] == [
        ("Laporan Keuangan", "LKPD", "berkala")
    ]
    notice = await andi.wait_for_text("DIP Semester I 2027")
    assert "Langkah 1" in notice.text
