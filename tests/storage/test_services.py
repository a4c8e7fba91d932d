"""The use cases against a real database, without Telegram: one case through the five steps, the
notices each hand-over queues, concurrent presses, and refusals that leave nothing behind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.bootstrap import load_calendar, make_ctx
from bot.channels.base import IncomingFile
from bot.config import Settings
from bot.models import Case, DueNotice, OutboxRow, User
from bot.services import cases, drafting, opd_work, publication, review, uploads
from bot.services import sweep as sweep_service
from bot.services.context import Ctx
from bot.sop import CLOSED, Category, Role
from bot.workdays import Calendar, Override
from bot.workflow import Refused
from storage.db import Database
from storage.files import FileStore
from storage.uow import UnitOfWork

TZ = ZoneInfo("Asia/Pontianak")
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=TZ)  # a Monday
URL = "https://ppid.pontianak.go.id/informasi/1"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@dataclass(frozen=True)
class World:
    ctx: Ctx
    opd: int
    other_opd: int
    pejabat: User
    pejabat2: User
    utama: User
    utama2: User
    pendukung: User
    other_pendukung: User


async def add_people(uow: UnitOfWork, specs: list[tuple[str, Role, int | None]]) -> dict[str, User]:
    """People on Telegram, by key (their name), with external ids from 100 in order."""
    people: dict[str, User] = {}
    for ext, (key, role, opd_id) in enumerate(specs, start=100):
        user_id = await uow.users.add(
            name=key, role=role, opd_id=opd_id, channel="telegram", external_id=str(ext),
            chat_id=str(ext), now=NOW,
        )  # fmt: skip
        user = await uow.users.get(user_id)
        assert user is not None
        people[key] = user
    return people


@pytest.fixture
async def w(tmp_path: Path, db_target: Path | str) -> AsyncIterator[World]:
    db = await Database.open(db_target)
    ctx = make_ctx(
        settings=Settings(data_dir=tmp_path / "data"), db=db, calendar=Calendar(),
        files=FileStore(tmp_path / "files"), clock=lambda: NOW,
    )  # fmt: skip
    async with db.transaction() as uow:
        await uow.opds.upsert("DINKES", "Dinas Kesehatan")
        await uow.opds.upsert("DISDIK", "Dinas Pendidikan")
        opd, other = await uow.opds.by_code("DINKES"), await uow.opds.by_code("DISDIK")
        assert opd is not None and other is not None
        people = await add_people(
            uow,
            [
                ("pejabat", Role.PEJABAT, None),
                ("pejabat2", Role.PEJABAT, None),
                ("utama", Role.UTAMA, None),
                ("utama2", Role.UTAMA, None),
                ("gone", Role.UTAMA, None),
                ("pendukung", Role.PENDUKUNG, opd.id),
                ("other_pendukung", Role.PENDUKUNG, other.id),
                ("admin", Role.ADMIN, None),
                ("atasan", Role.ATASAN, None),
            ],
        )
        await uow.users.deactivate(people["gone"].id, NOW)
        await uow.commit()
    yield World(
        ctx=ctx, opd=opd.id, other_opd=other.id, pejabat=people["pejabat"],
        pejabat2=people["pejabat2"], utama=people["utama"], utama2=people["utama2"],
        pendukung=people["pendukung"], other_pendukung=people["other_pendukung"],
    )  # fmt: skip
    await db.close()


# --- helpers -------------------------------------------------------------------------------------


class Bytes:
    """A file source that streams fixed bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def chunks(self, file_id: str) -> AsyncIterator[bytes]:
        yield self.data


async def case_of(w: World, case_id: int) -> Case:
    async with w.ctx.db.transaction() as uow:
        case = await uow.cases.get(case_id)
    assert case is not None
    return case


async def version(w: World, case_id: int) -> int:
    return (await case_of(w, case_id)).version


async def entry_ids(w: World, case_id: int) -> list[int]:
    return [e.id for e in (await cases.view(w.ctx, case_id)).entries]


async def snapshot(w: World, case_id: int) -> tuple[Any, ...]:
    """Everything a refusal must leave as it was."""
    async with w.ctx.db.transaction() as uow:
        return (
            await uow.cases.get(case_id),
            await uow.entries.for_case(case_id),
            await uow.tasks.for_case(case_id),
            await uow.documents.for_case(case_id),
            len(await uow.audit.all()),
            await uow.outbox.listing(("pending", "sent", "failed")),
        )


async def notices(w: World) -> list[DueNotice]:
    async with w.ctx.db.transaction() as uow:
        return await uow.outbox.due(NOW + timedelta(days=3650), limit=1000)


def handed_to(rows: Sequence[OutboxRow], step: int) -> set[int]:
    return {
        r.user_id for r in rows if r.payload["kind"] == "handover" and r.payload["step"] == step
    }


async def start_case(w: World, categories: tuple[int, ...] = (0, 1, 2)) -> int:
    [v] = await cases.create_round(w.ctx, w.pejabat, "DIP Semester I 2027", [w.opd])
    for n, category in enumerate(categories, start=1):
        await drafting.add_entry(w.ctx, w.pejabat, v.case.id, f"Informasi {n}", "Isi", category)
    return v.case.id


async def to_step3(w: World, categories: tuple[int, ...] = (0, 1, 2)) -> int:
    case_id = await start_case(w, categories)
    await drafting.send_to_utama(w.ctx, w.pejabat, case_id, await version(w, case_id))
    await review.approve_step2(w.ctx, w.utama, case_id, await version(w, case_id))
    return case_id


async def upload(w: World, case_id: int, entry_id: int) -> None:
    await uploads.receive(
        w.ctx, w.pendukung, Bytes(PDF),
        IncomingFile(file_id="f1", name="laporan.pdf", mime="application/pdf", size=len(PDF)),
        case_id=case_id, entry_id=entry_id,
    )  # fmt: skip


async def resolve_three(w: World, case_id: int) -> None:
    """#1 documents, #2 not held, #3 proposed exempt."""
    one, two, three = await entry_ids(w, case_id)
    await upload(w, case_id, one)
    await opd_work.declare_not_held(w.ctx, w.pendukung, two, "Tidak pernah dibuat")
    await opd_work.propose_exempt(w.ctx, w.pendukung, three, "UK/01/2027", date(2030, 12, 31))


async def to_step5(w: World) -> int:
    case_id = await to_step3(w)
    await resolve_three(w, case_id)
    await opd_work.send_to_utama(w.ctx, w.pendukung, case_id, await version(w, case_id))
    await review.approve_step4(w.ctx, w.utama, case_id, await version(w, case_id))
    return case_id


async def refused(call: Awaitable[object]) -> Refused:
    with pytest.raises(Refused) as exc:
        await call
    return exc.value


# --- the lists behind /tugas and /status --------------------------------------------------------


async def statements_of(w: World, call: Callable[[], Awaitable[object]]) -> int:
    seen: list[str] = []
    await w.ctx.db.trace(seen.append)
    try:
        await call()
    finally:
        await w.ctx.db.trace(None)
    return len(seen)


async def add_opds(w: World, count: int) -> list[int]:
    async with w.ctx.db.transaction() as uow:
        for n in range(count):
            await uow.opds.upsert(f"OPD{n:02}", f"Dinas Nomor {n}")
        ids = [o.id for o in await uow.opds.all()]
        await uow.commit()
    return ids


async def test_status_and_tasks_cost_the_same_queries_for_two_cases_or_forty(w: World) -> None:
    await cases.create_round(w.ctx, w.pejabat, "DIP Semester I 2027", [w.opd, w.other_opd])
    few = [
        await statements_of(w, lambda: cases.status(w.ctx, w.utama, 10)),
        await statements_of(w, lambda: cases.my_tasks(w.ctx, w.pejabat, 10)),
    ]
    await cases.create_round(w.ctx, w.pejabat, "DIP Semester II 2027", await add_opds(w, 38))
    many = [
        await statements_of(w, lambda: cases.status(w.ctx, w.utama, 10)),
        await statements_of(w, lambda: cases.my_tasks(w.ctx, w.pejabat, 10)),
    ]
    # Rounds, the newest round's first lines (they fill the ten asked for), the count.
    assert many == few == [3, 2]
    assert (await cases.my_tasks(w.ctx, w.pejabat, 100)).total == 42


async def test_status_lists_the_newest_round_first_with_only_the_cases_one_may_see(
    w: World,
) -> None:
    await cases.create_round(w.ctx, w.pejabat, "DIP Semester I 2027", [w.opd, w.other_opd])
    await cases.create_round(w.ctx, w.pejabat, "DIP Semester II 2027", [w.other_opd])
    listing = await cases.status(w.ctx, w.utama, 100)
    assert [(line.round_name, line.opd_code) for line in listing.lines] == [
        ("DIP Semester II 2027", "DISDIK"),
        ("DIP Semester I 2027", "DINKES"),
        ("DIP Semester I 2027", "DISDIK"),
    ]
    own = await cases.status(w.ctx, w.pendukung, 100)
    assert [(line.round_name, line.opd_code) for line in own.lines] == [
        ("DIP Semester I 2027", "DINKES")
    ]
    [line] = own.lines
    assert line.step == 1 and line.due_at is not None and own.total == 1


async def test_status_puts_late_cases_first_and_counts_what_it_does_not_load(w: World) -> None:
    await cases.create_round(w.ctx, w.pejabat, "DIP Semester I 2027", await add_opds(w, 6))
    async with w.ctx.db.transaction() as uow:  # OPD05's deadline passed, the others' not
        opd5 = next(o for o in await uow.opds.all() if o.code == "OPD05")
        [late] = await uow.cases.all(opd_id=opd5.id)
        task = await uow.tasks.current(late.id)
        assert task is not None
        await uow.tasks.set_due(task.id, NOW - timedelta(hours=1))
        await uow.commit()
    listing = await cases.status(w.ctx, w.utama, 3)
    assert [line.opd_code for line in listing.lines] == ["OPD05", "DINKES", "DISDIK"]
    assert listing.total == 8
    tasks = await cases.my_tasks(w.ctx, w.pejabat, 2)
    assert [line.opd_code for line in tasks.lines] == ["OPD05", "DINKES"] and tasks.total == 8


async def test_a_ppid_pendukung_without_an_opd_sees_no_case(w: World) -> None:
    await cases.create_round(w.ctx, w.pejabat, "DIP Semester I 2027", [w.opd, w.other_opd])
    nobody = w.pendukung.model_copy(update={"opd_id": None})
    assert (await cases.status(w.ctx, nobody, 100)).total == 0
    assert (await cases.my_tasks(w.ctx, nobody, 100)).total == 0


# --- the sweep -----------------------------------------------------------------------------------


async def test_a_sweep_over_more_tasks_than_one_unit_of_work_notifies_each_task_once(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweep_service, "CHUNK", 5)
    await cases.create_round(w.ctx, w.pejabat, "DIP Semester I 2027", await add_opds(w, 10))
    later = replace(w.ctx, clock=lambda: NOW + timedelta(days=3))  # every step-1 task overdue
    seen: list[str] = []
    await w.ctx.db.trace(seen.append)
    queued = await sweep_service.sweep(later)
    await w.ctx.db.trace(None)
    assert seen.count("COMMIT") == 4  # 12 tasks in units of 5, 5 and 2, then the digest's
    overdue = [r for r in await notices(w) if r.payload["kind"] != "handover"]
    assert queued == len([r for r in overdue if r.state == "pending"]) > 0
    async with w.ctx.db.read() as uow:
        tasks = await uow.tasks.sweep_rows()
    assert len(tasks) == 12
    assert {r.payload["task_id"] for r in overdue if r.payload.get("task_id")} == {
        t.id for t in tasks
    }
    assert {t.notified_until for t in tasks} == {later.now()}
    assert await sweep_service.sweep(later) == 0


async def test_the_sweep_counts_nothing_over_every_task_inside_a_unit_of_work(w: World) -> None:
    await cases.create_round(w.ctx, w.pejabat, "DIP Semester I 2027", await add_opds(w, 10))
    later = replace(w.ctx, clock=lambda: NOW + timedelta(days=3))  # overdue: a digest is due
    seen: list[str] = []
    await w.ctx.db.trace(seen.append)
    await sweep_service.sweep(later)
    await w.ctx.db.trace(None)
    inside, units = False, list[list[str]]()
    for statement in seen:
        if statement.startswith("BEGIN"):
            inside, units = True, [*units, []]
        elif statement in ("COMMIT", "ROLLBACK"):
            inside = False
        elif inside:
            units[-1].append(statement)
    held = [s for unit in units for s in unit]
    assert any("digest_runs" in s for s in held)  # the digest was decided in a unit of work
    # ... but whether any task is due for it, and which tasks to plan, were read beside them.
    assert not [s for s in held if "julianday(due_at) <" in s or "next_notice_at <=" in s]
    digests = [r for r in await notices(w) if r.payload["kind"] == "digest"]
    assert {w.utama.id, w.pejabat.id} <= {r.user_id for r in digests}


async def test_status_leaves_out_rounds_closed_more_than_thirty_days_ago(w: World) -> None:
    [old] = await cases.create_round(w.ctx, w.pejabat, "DIP 2025", [w.opd])
    [recent] = await cases.create_round(w.ctx, w.pejabat, "DIP 2026", [w.opd])
    await cases.create_round(w.ctx, w.pejabat, "DIP Semester I 2027", [w.opd])
    async with w.ctx.db.transaction() as uow:
        for v, closed in ((old, NOW - timedelta(days=31)), (recent, NOW - timedelta(days=29))):
            await uow.cases.move(v.case.id, CLOSED, None, closed)
            assert await uow.rounds.close_if_done(v.round.id, closed)
        await uow.commit()
    listing = await cases.status(w.ctx, w.utama, 100)
    assert [line.round_name for line in listing.lines] == ["DIP Semester I 2027", "DIP 2026"]


async def test_a_sweep_stops_when_the_holidays_change_between_its_units_of_work(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweep_service, "CHUNK", 5)
    await cases.create_round(w.ctx, w.pejabat, "DIP Semester I 2027", await add_opds(w, 10))
    later = replace(w.ctx, clock=lambda: NOW + timedelta(days=3))
    plan = sweep_service._plan

    async def plan_then_an_admin_adds_a_holiday(uow: UnitOfWork, *args: Any) -> int:
        queued = await plan(uow, *args)
        holiday = Override(day=date(2027, 3, 5), kind="holiday", name="Libur daerah")
        await uow.calendar.put(holiday, by="admin", at=NOW)  # as if committed by the CLI
        return queued

    monkeypatch.setattr(sweep_service, "_plan", plan_then_an_admin_adds_a_holiday)
    await sweep_service.sweep(later)
    async with w.ctx.db.read() as uow:
        planned = [t for t in await uow.tasks.sweep_rows() if t.notified_until]
        assert await uow.meta.get("last_sweep") is None
    assert len(planned) == 5  # the first unit only: the others wait for the new calendar
    monkeypatch.setattr(sweep_service, "_plan", plan)
    later.calendars.replace(await load_calendar(later.settings, later.db))
    await sweep_service.sweep(later)
    async with w.ctx.db.read() as uow:
        assert all(t.notified_until for t in await uow.tasks.sweep_rows())


# --- the whole SOP -------------------------------------------------------------------------------


async def test_one_case_passes_all_five_steps_and_tells_the_next_people(w: World) -> None:
    case_id = await start_case(w)
    due = await drafting.send_to_utama(w.ctx, w.pejabat, case_id, await version(w, case_id))
    assert due == datetime(2027, 3, 2, 16, 0, tzinfo=TZ)
    await review.approve_step2(w.ctx, w.utama, case_id, await version(w, case_id))
    await resolve_three(w, case_id)
    await opd_work.send_to_utama(w.ctx, w.pendukung, case_id, await version(w, case_id))
    await review.approve_step4(w.ctx, w.utama, case_id, await version(w, case_id))
    assert await publication.record_url(w.ctx, w.pejabat, case_id, URL, None) == 1
    totals = await publication.close(w.ctx, w.pejabat, case_id, await version(w, case_id))

    assert totals == publication.Totals(published=1, not_held=1, exempt=1)
    v = await cases.view(w.ctx, case_id)
    assert (v.case.step, v.case.closed_at, v.task, v.round.closed_at) == (CLOSED, NOW, None, NOW)
    assert [(e.review, e.resolution, e.category, e.published_url) for e in v.entries] == [
        ("approved", "documents", Category.BERKALA, URL),
        ("approved", "not_held", Category.SERTA_MERTA, None),
        ("approved", "exempt", Category.DIKECUALIKAN, None),
    ]
    async with w.ctx.db.transaction() as uow:
        tasks = await uow.tasks.for_case(case_id)
    assert [(t.step, t.done_by, t.outcome) for t in tasks] == [
        (1, w.pejabat.id, "forwarded"),
        (2, w.utama.id, "forwarded"),
        (3, w.pendukung.id, "forwarded"),
        (4, w.utama.id, "forwarded"),
        (5, w.pejabat.id, "published"),
    ]

    rows = await notices(w)
    assert len({r.key for r in rows}) == len(rows)
    assert handed_to(rows, 1) == {w.pejabat2.id}  # the creator of the round sees it already
    assert handed_to(rows, 2) == {w.utama.id, w.utama2.id}  # not the deactivated one
    assert handed_to(rows, 3) == {w.pendukung.id}  # not the other OPD's
    assert handed_to(rows, 4) == {w.utama.id, w.utama2.id}
    assert handed_to(rows, 5) == {w.pejabat.id, w.pejabat2.id}
    published = {r.user_id for r in rows if r.payload["kind"] == "published"}
    assert published == {w.utama.id, w.utama2.id, w.pendukung.id}
    for r in rows:
        if r.payload["kind"] == "handover":
            task = next(t for t in tasks if t.id == r.payload["task_id"])
            assert (task.step, r.key) == (
                r.payload["step"],
                f"task:{task.id}:handover:0:{r.user_id}",
            )


async def test_a_returned_draft_goes_back_to_the_pejabat_pid_with_the_reason(w: World) -> None:
    case_id = await start_case(w)
    await drafting.send_to_utama(w.ctx, w.pejabat, case_id, await version(w, case_id))
    await review.return_step2(w.ctx, w.utama2, case_id, await version(w, case_id), " Kurang  #2 ")
    v = await cases.view(w.ctx, case_id)
    assert (v.case.step, v.case.return_note) == (1, "Kurang #2")
    assert v.task is not None and v.task.step == 1
    rows = [r for r in await notices(w) if r.payload.get("task_id") == v.task.id]
    assert {r.user_id for r in rows} == {w.pejabat.id, w.pejabat2.id}
    assert {r.payload["note"] for r in rows} == {"Kurang #2"}


async def test_returned_entries_go_back_to_the_opd_and_the_others_stay_approved(w: World) -> None:
    case_id = await to_step3(w)
    await resolve_three(w, case_id)
    await opd_work.send_to_utama(w.ctx, w.pendukung, case_id, await version(w, case_id))
    one, two, _ = await entry_ids(w, case_id)
    await review.return_step4(w.ctx, w.utama, case_id, await version(w, case_id), [one], "Salah")
    v = await cases.view(w.ctx, case_id)
    assert v.case.step == 3
    assert [(e.review, e.review_note) for e in v.entries] == [
        ("returned", "Salah"),
        ("approved", None),
        ("approved", None),
    ]
    assert handed_to(await notices(w), 3) == {w.pendukung.id}
    before = await snapshot(w, case_id)
    exc = await refused(opd_work.declare_not_held(w.ctx, w.pendukung, two, "alasan"))
    assert (exc.key, exc.values) == ("refused-entry-approved", {"number": 2})
    assert await snapshot(w, case_id) == before


# --- concurrency ---------------------------------------------------------------------------------


async def test_fifty_simultaneous_approvals_are_decided_once(w: World) -> None:
    case_id = await start_case(w)
    await drafting.send_to_utama(w.ctx, w.pejabat, case_id, await version(w, case_id))
    pressed = await version(w, case_id)
    results = await asyncio.gather(
        *(
            review.approve_step2(w.ctx, (w.utama, w.utama2)[i % 2], case_id, pressed)
            for i in range(50)
        ),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, datetime)]
    losers = [r for r in results if isinstance(r, Refused)]
    assert len(winners) == 1
    assert len(losers) == 49
    assert {e.key for e in losers} <= {"refused-stale", "refused-wrong-step"}
    async with w.ctx.db.transaction() as uow:
        tasks = await uow.tasks.for_case(case_id)
        forwarded = [a for a in await uow.audit.for_case(case_id) if a.action == "step2:forwarded"]
    assert [t.step for t in tasks if t.step == 2 and t.done_at is not None] == [2]
    assert [t.step for t in tasks if t.done_at is None] == [3]
    assert len(forwarded) == 1
    assert len([r for r in await notices(w) if r.payload.get("step") == 3]) == 1


# --- refusals leave the database as it was ------------------------------------------------------

# (world, case, its version, its entry ids) -> the act
Act = Callable[[World, int, int, list[int]], Awaitable[object]]

OTHER_OPD_ACTS: list[tuple[str, Act]] = [
    ("not-held", lambda w, c, v, e: opd_work.declare_not_held(w.ctx, w.other_pendukung, e[0], "x")),
    (
        "exempt",
        lambda w, c, v, e: opd_work.propose_exempt(
            w.ctx, w.other_pendukung, e[0], "UK/1", date(2030, 1, 1)
        ),
    ),
    ("send", lambda w, c, v, e: opd_work.send_to_utama(w.ctx, w.other_pendukung, c, v)),
]


@pytest.mark.parametrize("act", [a for _, a in OTHER_OPD_ACTS], ids=[n for n, _ in OTHER_OPD_ACTS])
async def test_a_ppid_pendukung_of_another_opd_is_refused_in_step_3(w: World, act: Act) -> None:
    case_id = await to_step3(w)
    before = await snapshot(w, case_id)
    exc = await refused(act(w, case_id, await version(w, case_id), await entry_ids(w, case_id)))
    assert exc.key == "refused-opd"
    assert await snapshot(w, case_id) == before


async def test_documents_with_unresolved_entries_are_refused_with_the_missing_count(
    w: World,
) -> None:
    case_id = await to_step3(w)
    await opd_work.declare_not_held(w.ctx, w.pendukung, (await entry_ids(w, case_id))[0], "x")
    before = await snapshot(w, case_id)
    exc = await refused(
        opd_work.send_to_utama(w.ctx, w.pendukung, case_id, await version(w, case_id))
    )
    assert (exc.key, exc.values) == ("refused-unresolved", {"missing": 2, "total": 3})
    assert await snapshot(w, case_id) == before


@pytest.mark.parametrize(
    ("reference", "until", "key"),
    [
        ("UK/01/2027", NOW.date() - timedelta(days=1), "refused-exempt-until-past"),
        ("UK/01/2027", NOW.date(), "refused-exempt-until-past"),
        ("   ", date(2030, 12, 31), "refused-exempt-reference"),
        ("", date(2030, 12, 31), "refused-exempt-reference"),
    ],
)
async def test_an_exemption_without_reference_or_future_date_is_refused(
    w: World, reference: str, until: date, key: str
) -> None:
    case_id = await to_step3(w)
    before = await snapshot(w, case_id)
    entry = (await entry_ids(w, case_id))[0]
    exc = await refused(opd_work.propose_exempt(w.ctx, w.pendukung, entry, reference, until))
    assert exc.key == key
    assert await snapshot(w, case_id) == before


async def test_stale_wrong_role_and_wrong_step_approvals_change_nothing(w: World) -> None:
    case_id = await start_case(w)
    await drafting.send_to_utama(w.ctx, w.pejabat, case_id, await version(w, case_id))
    current = await version(w, case_id)
    before = await snapshot(w, case_id)
    attempts: list[tuple[Callable[[], Awaitable[object]], str]] = [
        (lambda: review.approve_step2(w.ctx, w.utama, case_id, current - 1), "refused-stale"),
        (lambda: review.approve_step2(w.ctx, w.pejabat, case_id, current), "refused-role"),
        (lambda: review.approve_step4(w.ctx, w.utama, case_id, current), "refused-wrong-step"),
        (lambda: review.return_step2(w.ctx, w.utama, case_id, current, " "), "refused-empty-text"),
        (lambda: publication.close(w.ctx, w.pejabat, case_id, current), "refused-wrong-step"),
        (lambda: drafting.send_to_utama(w.ctx, w.pejabat, case_id, current), "refused-wrong-step"),
    ]
    for call, key in attempts:
        assert (await refused(call())).key == key
    assert await snapshot(w, case_id) == before


async def test_closing_without_the_urls_of_publishable_entries_is_refused(w: World) -> None:
    case_id = await to_step5(w)
    before = await snapshot(w, case_id)
    exc = await refused(publication.close(w.ctx, w.pejabat, case_id, await version(w, case_id)))
    assert (exc.key, exc.values) == ("refused-urls-missing", {"missing": 1})
    assert await snapshot(w, case_id) == before


async def test_a_url_for_an_unpublishable_entry_is_refused(w: World) -> None:
    case_id = await to_step5(w)
    before = await snapshot(w, case_id)
    exempt = (await entry_ids(w, case_id))[2]
    exc = await refused(publication.record_url(w.ctx, w.pejabat, case_id, URL, exempt))
    assert exc.key == "refused-unknown-entry"
    assert await snapshot(w, case_id) == before


# --- exemptions ----------------------------------------------------------------------------------


async def test_an_approved_exemption_makes_the_entry_exempt_and_unpublished(w: World) -> None:
    case_id = await to_step5(w)
    exempt = (await cases.view(w.ctx, case_id)).entries[2]
    assert (exempt.resolution, exempt.category, exempt.review) == (
        "exempt",
        Category.DIKECUALIKAN,
        "approved",
    )
    assert (exempt.exempt_reference, exempt.exempt_until) == ("UK/01/2027", date(2030, 12, 31))
    await publication.record_url(w.ctx, w.pejabat, case_id, URL, None)
    totals = await publication.close(w.ctx, w.pejabat, case_id, await version(w, case_id))
    assert totals.published == 1
    assert totals.exempt == 1
    assert (await cases.view(w.ctx, case_id)).entries[2].published_url is None


async def test_each_entry_is_counted_once_in_the_totals(w: World) -> None:
    case_id = await to_step3(w, categories=(3,))
    [entry] = await entry_ids(w, case_id)
    await opd_work.declare_not_held(w.ctx, w.pendukung, entry, "Tidak ada")
    await opd_work.send_to_utama(w.ctx, w.pendukung, case_id, await version(w, case_id))
    await review.approve_step4(w.ctx, w.utama, case_id, await version(w, case_id))
    totals = await publication.close(w.ctx, w.pejabat, case_id, await version(w, case_id))
    assert totals.published + totals.not_held + totals.exempt == 1


async def test_recording_an_answer_ends_its_dialog_in_the_same_transaction(w: World) -> None:
    """A crash after the entry was recorded but before a separate clearing of the dialog would
    leave the dialog open; the answer, delivered again after the restart, would then be
    recorded twice (seen as two `entry:not_held` rows in tests/reliability/test_crash.py)."""
    case_id = await to_step3(w)
    one, two, _ = await entry_ids(w, case_id)

    async def not_held() -> object:
        return await opd_work.declare_not_held(w.ctx, w.pendukung, one, "alasan")

    async def exempt() -> object:
        return await opd_work.propose_exempt(
            w.ctx, w.pendukung, two, "UK/01/2027", date(2030, 12, 31)
        )

    for entry_id, kind, record in ((one, "not_held", not_held), (two, "exempt_until", exempt)):
        async with w.ctx.db.transaction() as uow:
            await uow.dialogs.set(w.pendukung.id, kind, {"entry": entry_id}, w.ctx.now())
            await uow.commit()
        await record()
        async with w.ctx.db.transaction() as uow:
            assert await uow.dialogs.get(w.pendukung.id) is None, kind


async def test_adding_an_entry_ends_its_dialog_in_the_same_transaction(w: World) -> None:
    """The category press that saves an entry, delivered again after a crash, finds no open
    question (refused as stale) instead of adding the entry a second time."""
    views = await cases.create_round(w.ctx, w.pejabat, "Uji", [w.opd])
    async with w.ctx.db.transaction() as uow:
        await uow.dialogs.set(w.pejabat.id, "entry_category", {"case": views[0].case.id},
                              w.ctx.now())  # fmt: skip
        await uow.commit()
    await drafting.add_entry(w.ctx, w.pejabat, views[0].case.id, "Laporan", "Isi", 0)
    async with w.ctx.db.transaction() as uow:
        assert await uow.dialogs.get(w.pejabat.id) is None
