"""Absences (Plh/Plt) against a real database: hand-overs, reminders and queued notices reach the
stand-in on behalf of the absent person, the absent person is refused and the stand-in's acts are
recorded "a.n.", returns are told once, and a role left with nobody is told at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.bootstrap import make_ctx
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.models import OutboxRow, User
from bot.services import absences, cases, drafting, recurring, review
from bot.services.context import Ctx
from bot.services.sweep import sweep
from bot.sop import Role
from bot.workdays import Calendar
from bot.workflow import Refused
from handlers import notices
from storage.db import Database
from storage.files import FileStore
from tests.storage.test_dispatcher import Recorder

TZ = ZoneInfo("Asia/Pontianak")
MONDAY = datetime(2027, 3, 1, 9, 0, tzinfo=TZ)


@dataclass
class World:
    ctx: Ctx
    clock: list[datetime]
    opd: int
    u: dict[str, User]

    def at(self, when: datetime) -> None:
        self.clock[0] = when


@pytest.fixture
async def w(tmp_path: Path, db_target: Path | str) -> AsyncIterator[World]:
    clock = [MONDAY]
    db = await Database.open(db_target)
    ctx = make_ctx(settings=Settings(data_dir=tmp_path / "data"), db=db, calendar=Calendar(),
                   files=FileStore(tmp_path / "files"), clock=lambda: clock[0])  # fmt: skip
    people: dict[str, User] = {}
    async with db.transaction() as uow:
        await uow.opds.upsert("DINKES", "Dinas Kesehatan")
        await uow.opds.upsert("DISDIK", "Dinas Pendidikan")
        opd, other = await uow.opds.by_code("DINKES"), await uow.opds.by_code("DISDIK")
        assert opd is not None and other is not None
        roster = [("pejabat", Role.PEJABAT, None), ("pejabat2", Role.PEJABAT, None),
                  ("utama", Role.UTAMA, None), ("utama2", Role.UTAMA, None),
                  ("sari", Role.PENDUKUNG, opd.id), ("budi", Role.PENDUKUNG, opd.id),
                  ("dewi", Role.PENDUKUNG, other.id), ("admin", Role.ADMIN, None),
                  ("atasan", Role.ATASAN, None)]  # fmt: skip
        for ext, (key, role, opd_id) in enumerate(roster, start=300):
            uid = await uow.users.add(name=key.capitalize(), role=role, opd_id=opd_id,
                                      channel="telegram", external_id=str(ext),
                                      chat_id=str(ext), now=MONDAY)  # fmt: skip
            found = await uow.users.get(uid)
            assert found is not None
            people[key] = found
        await uow.commit()
    yield World(ctx, clock, opd.id, people)
    await db.close()


async def rows(w: World, kind: str | None = None) -> list[OutboxRow]:
    async with w.ctx.db.read() as uow:
        listed = await uow.outbox.listing(("pending", "sent", "failed", "skipped"))
    return [r for r in listed if kind is None or r.kind == kind]


async def seen(w: World, key: str) -> User:
    """The person as the router sees them now (with their absence)."""
    async with w.ctx.db.read() as uow:
        return await absences.as_seen(uow, w.u[key], w.ctx.now())


async def version(w: World, case_id: int) -> int:
    return (await cases.view(w.ctx, case_id)).case.version


async def to_step2(w: World) -> int:
    [v] = await cases.create_round(w.ctx, w.u["pejabat"], "DIP Semester I 2027", [w.opd])
    await drafting.add_entry(w.ctx, w.u["pejabat"], v.case.id, "Profil", "Isi", 0)
    await drafting.send_to_utama(w.ctx, w.u["pejabat"], v.case.id, await version(w, v.case.id))
    return v.case.id


def day(n: int) -> date:
    return MONDAY.date() + timedelta(days=n)


async def test_a_task_handed_over_during_an_absence_reaches_only_the_stand_in_on_behalf(
    w: World,
) -> None:
    await absences.record(w.ctx, w.u["sari"], w.u["sari"].id, day(0), day(4), w.u["budi"].id)
    case_id = await to_step2(w)
    await review.approve_step2(w.ctx, w.u["utama"], case_id, await version(w, case_id))
    step3 = [r for r in await rows(w, "handover") if r.payload["step"] == 3]
    assert [(r.user_id, r.payload.get("for")) for r in step3] == [
        (w.u["budi"].id, [w.u["sari"].id])
    ]


async def test_the_absent_person_is_refused_and_the_stand_in_s_act_is_recorded_a_n(
    w: World,
) -> None:
    case_id = await to_step2(w)
    await absences.record(w.ctx, w.u["utama"], w.u["utama"].id, day(0), day(2), w.u["utama2"].id)
    with pytest.raises(Refused) as refused:
        await review.approve_step2(w.ctx, await seen(w, "utama"), case_id, 3)
    assert refused.value.key == "refused-absent"
    assert refused.value.values["stand_in"] == "Utama2"
    await review.approve_step2(w.ctx, await seen(w, "utama2"), case_id, await version(w, case_id))
    async with w.ctx.db.read() as uow:
        trail = await uow.audit.for_case(case_id)
    [act] = [r for r in trail if r.action == "step2:forwarded"]
    assert (act.user_id, act.acting_for) == (w.u["utama2"].id, w.u["utama"].id)
    # The Pejabat's own acts before the absence are for themselves.
    assert all(r.acting_for is None for r in trail if r.user_id == w.u["pejabat"].id)


async def test_the_absent_person_sees_no_tasks_while_the_stand_in_does(w: World) -> None:
    case_id = await to_step2(w)
    await absences.record(w.ctx, w.u["utama"], w.u["utama"].id, day(0), day(2), w.u["utama2"].id)
    assert (await cases.my_tasks(w.ctx, await seen(w, "utama"), 50)).total == 0
    listed = await cases.my_tasks(w.ctx, await seen(w, "utama2"), 50)
    assert [line.case_id for line in listed.lines] == [case_id]


async def test_reminders_of_an_open_task_go_to_the_stand_in_and_the_deadline_stays(
    w: World,
) -> None:
    case_id = await to_step2(w)
    due = (await cases.view(w.ctx, case_id)).task
    assert due is not None
    # Only one PPID Utama keeps the role at step 2 today; the other is away from today.
    await absences.record(w.ctx, w.u["utama"], w.u["utama"].id, day(0), day(2), w.u["utama2"].id)
    w.at(MONDAY + timedelta(days=1))  # past the half-point of the 1-day step
    await sweep(w.ctx)
    reminders = await rows(w, "reminder")
    assert reminders and {r.user_id for r in reminders} == {w.u["utama2"].id}
    assert all(r.payload["for"] == [w.u["utama"].id] for r in reminders)
    after = (await cases.view(w.ctx, case_id)).task
    assert after is not None and after.due_at == due.due_at


async def test_when_an_absence_is_over_both_are_told_once(w: World) -> None:
    await absences.record(w.ctx, w.u["sari"], w.u["sari"].id, day(0), day(1), w.u["budi"].id)
    w.at(MONDAY + timedelta(days=2))
    await sweep(w.ctx)
    await sweep(w.ctx)
    w.at(MONDAY + timedelta(days=3))
    await sweep(w.ctx)
    over = await rows(w, "absence_over")
    assert sorted(r.user_id for r in over) == sorted([w.u["sari"].id, w.u["budi"].id])
    assert (await seen(w, "sari")).away is None


async def test_an_absence_ended_early_is_told_at_once_and_one_withdrawn_is_not(w: World) -> None:
    early = await absences.record(w.ctx, w.u["sari"], w.u["sari"].id, day(0), day(4), None)
    later = await absences.record(
        w.ctx, w.u["utama"], w.u["utama"].id, day(7), day(9), w.u["utama2"].id
    )
    await absences.end(w.ctx, w.u["sari"], early.id)
    await absences.end(w.ctx, w.u["utama"], later.id)
    assert [r.user_id for r in await rows(w, "absence_over")] == [w.u["sari"].id]
    # The stand-in of the withdrawn one hears that they will not stand in after all.
    [withdrawn] = await rows(w, "absence_withdrawn")
    assert withdrawn.user_id == w.u["utama2"].id
    said = await notices.render(w.ctx, w.u["utama2"].id, withdrawn.payload)
    assert (
        said is not None
        and "Ketidakhadiran Utama (8 Mar 2027 s.d. 10 Mar 2027) dibatalkan" in said.text
    )
    assert (await seen(w, "sari")).away is None
    with pytest.raises(Refused) as refused:
        await absences.end(w.ctx, w.u["sari"], early.id)
    assert refused.value.key == "refused-absence-ended"


async def test_a_role_left_with_nobody_is_told_to_the_admins_and_atasan_at_once(w: World) -> None:
    await absences.record(w.ctx, w.u["admin"], w.u["pejabat"].id, day(0), day(3), None)
    await absences.record(w.ctx, w.u["admin"], w.u["pejabat2"].id, day(1), day(3), None)
    told = await rows(w, "absence_uncovered")
    assert sorted(r.user_id for r in told) == sorted([w.u["admin"].id, w.u["atasan"].id])
    assert told[0].payload["day"] == day(1).isoformat()
    # A task opened when nobody is left goes to nobody, and they are told about it at once.
    w.at(MONDAY + timedelta(days=1))
    [v] = await cases.create_round(w.ctx, w.u["pejabat"], "Uji", [w.opd])
    uncovered = await rows(w, "task_uncovered")
    assert sorted(r.user_id for r in uncovered) == sorted([w.u["admin"].id, w.u["atasan"].id])
    assert [r for r in await rows(w, "handover") if r.payload["case_id"] == v.case.id] == []


async def test_a_refused_absence_leaves_nothing_behind(w: World) -> None:
    await absences.record(w.ctx, w.u["sari"], w.u["sari"].id, day(2), day(4), w.u["budi"].id)
    before = await rows(w)
    for call, key in [
        (absences.record(w.ctx, w.u["sari"], w.u["sari"].id, day(3), day(6), w.u["budi"].id),
         "refused-absence-overlap"),
        (absences.record(w.ctx, w.u["budi"], w.u["budi"].id, day(1), day(3), w.u["sari"].id),
         "refused-absence-is-stand-in"),
        (absences.record(w.ctx, w.u["dewi"], w.u["dewi"].id, day(1), day(3), None),
         "refused-absence-only-holder"),
        (absences.record(w.ctx, w.u["sari"], w.u["sari"].id, day(8), day(9), w.u["dewi"].id),
         "refused-stand-in-opd"),
        (absences.record(w.ctx, w.u["budi"], w.u["sari"].id, day(8), day(9), None),
         "refused-role"),
    ]:  # fmt: skip
        with pytest.raises(Refused) as refused:
            await call
        assert refused.value.key == key
    assert await rows(w) == before
    async with w.ctx.db.read() as uow:
        assert len(await uow.absences.unsettled()) == 1


async def test_a_notice_queued_before_the_absence_is_forwarded_when_it_leaves(w: World) -> None:
    # A hand-over on Friday evening waits for Monday's opening; Sari is away from Monday.
    w.at(datetime(2027, 4, 16, 19, 0, tzinfo=TZ))
    case_id = await to_step2(w)
    await review.approve_step2(w.ctx, w.u["utama"], case_id, await version(w, case_id))
    await absences.record(
        w.ctx, w.u["sari"], w.u["sari"].id, date(2027, 4, 19), date(2027, 4, 20), w.u["budi"].id
    )
    w.at(datetime(2027, 4, 19, 7, 30, tzinfo=TZ))
    out = Recorder()
    await Dispatcher(w.ctx, {"telegram": out}, notices).run_once()
    assert out.to(w.u["sari"]) == []
    # Budi had the hand-over as a PPID Pendukung of the OPD already: one message, now "a.n.".
    [to_budi] = [text for text in out.to(w.u["budi"]) if "Dinas Kesehatan" in text]
    assert "a.n. Sari" in to_budi
    [skipped] = [r for r in await rows(w, "handover")
                 if r.user_id == w.u["sari"].id and r.payload["step"] == 3]  # fmt: skip
    assert skipped.state == "skipped"


async def test_the_daily_digest_skips_a_person_who_is_away(w: World) -> None:
    await to_step2(w)  # due Tuesday 16:00: Tuesday's digest lists it
    await absences.record(w.ctx, w.u["utama"], w.u["utama"].id, day(1), day(1), w.u["utama2"].id)
    w.at(datetime(2027, 3, 2, 7, 30, tzinfo=TZ))
    await sweep(w.ctx)
    digest = {r.user_id for r in await rows(w, "digest")}
    assert w.u["utama2"].id in digest and w.u["atasan"].id in digest
    assert w.u["utama"].id not in digest


async def test_an_absent_pejabat_may_not_open_a_round_or_change_the_schedule(w: World) -> None:
    await absences.record(w.ctx, w.u["pejabat"], w.u["pejabat"].id, day(0), day(1), None)
    pejabat = await seen(w, "pejabat")
    with pytest.raises(Refused) as refused:
        await cases.create_round(w.ctx, pejabat, "Uji", [w.opd])
    assert refused.value.key == "refused-absent"
    with pytest.raises(Refused):
        await recurring.set_schedule(w.ctx, pejabat)
    # The other Pejabat PID, present, opens it: nothing for the absent one, and (one Pejabat
    # PID is there) nobody is told the task is uncovered.
    await cases.create_round(w.ctx, await seen(w, "pejabat2"), "Uji", [w.opd])
    assert [r for r in await rows(w, "handover") if r.user_id == w.u["pejabat"].id] == []
    assert await rows(w, "task_uncovered") == []


async def test_the_router_s_lookup_finds_the_person_and_their_absences_in_one_query(
    w: World,
) -> None:
    await absences.record(w.ctx, w.u["sari"], w.u["sari"].id, day(0), day(1), w.u["budi"].id)
    await absences.record(w.ctx, w.u["sari"], w.u["sari"].id, day(5), day(6), None)
    async with w.ctx.db.read() as uow:
        sari, own = await uow.absences.person("telegram", w.u["sari"].external_id or "")
        budi, none = await uow.absences.person("telegram", w.u["budi"].external_id or "")
        nobody, _ = await uow.absences.person("telegram", "999999")
        seen_sari = (
            await absences.person_seen(uow, "telegram", sari.external_id or "", w.ctx.now())
            if sari
            else None
        )
    assert sari == w.u["sari"] and [a.starts for a in own] == [day(0), day(5)]
    assert budi == w.u["budi"] and none == [] and nobody is None
    assert seen_sari is not None and seen_sari.away is not None
    assert (seen_sari.away.until, seen_sari.away.stand_in) == (day(1), "Budi")


async def test_an_escalation_names_the_stand_in_acting_for_the_absent_officer(w: World) -> None:
    case_id = await to_step2(w)
    await absences.record(w.ctx, w.u["utama"], w.u["utama"].id, day(0), day(4), w.u["utama2"].id)
    task = (await cases.view(w.ctx, case_id)).task
    assert task is not None
    w.at(datetime(2027, 3, 2, 16, 30, tzinfo=TZ))  # past Tuesday's 16:00 deadline
    payload = {"kind": "escalation", "level": 1, "case_id": case_id, "task_id": task.id,
               "step": 2}  # fmt: skip
    said = await notices.render(w.ctx, w.u["atasan"].id, payload)
    assert said is not None and "Pelaksana: Utama2 a.n. Utama." in said.text
