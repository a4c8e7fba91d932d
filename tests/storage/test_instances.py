"""Two bot instances on one PostgreSQL database (two `Database` objects: two pools, no lock in
common): simultaneous presses decide once, simultaneous changes of one case are served one after
the other, and an event given to both instances is applied once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.bootstrap import make_ctx
from bot.channels.base import IncomingFile, Reply
from bot.channels.port import TELEGRAM, Brief, Capabilities
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.intake import Intake
from bot.models import User
from bot.services import (
    absences,
    cases,
    drafting,
    exemptions,
    exports,
    opd_work,
    people,
    publication,
    recurring,
    review,
    uploads,
)
from bot.services.context import Ctx
from bot.sop import Role
from bot.spreadsheets import ImportResult
from bot.spreadsheets.common import Row
from bot.workdays import Calendar
from bot.workflow import Refused
from handlers import notices
from storage.db import Database
from storage.files import FileStore
from tests.pgcluster import Cluster
from tests.storage.test_services import NOW, PDF, URL, Bytes, add_people

STALE = {"refused-stale", "refused-wrong-step"}


@dataclass(frozen=True)
class Two:
    """One database, two instances."""

    one: Ctx
    two: Ctx
    opd: int
    pejabat: User
    utama: User
    utama2: User
    pendukung: User
    pendukung2: User

    def ctx(self, i: int) -> Ctx:
        return (self.one, self.two)[i % 2]


@pytest.fixture
async def w(tmp_path: Path, pg_cluster: Cluster) -> AsyncIterator[Two]:
    url = pg_cluster.database()
    dbs = [await Database.open(url), await Database.open(url)]
    files = FileStore(tmp_path / "files")  # shared by the instances (NFS in production)
    one, other = (
        make_ctx(
            settings=Settings(data_dir=tmp_path / "data"),
            db=db,
            calendar=Calendar(),
            files=files,
            clock=lambda: NOW,
        )
        for db in dbs
    )
    async with one.db.transaction() as uow:
        await uow.opds.upsert("DINKES", "Dinas Kesehatan")
        [opd] = await uow.opds.all()
        people = await add_people(
            uow,
            [
                ("pejabat", Role.PEJABAT, None),
                ("utama", Role.UTAMA, None),
                ("utama2", Role.UTAMA, None),
                ("pendukung", Role.PENDUKUNG, opd.id),
                ("pendukung2", Role.PENDUKUNG, opd.id),
            ],
        )
        await uow.commit()
    yield Two(one=one, two=other, opd=opd.id, **people)
    for db in dbs:
        await db.close()


async def version(w: Two, case_id: int) -> int:
    return (await cases.view(w.one, case_id)).case.version


async def draft(w: Two, entries: int = 3) -> int:
    [v] = await cases.create_round(w.one, w.pejabat, "DIP Semester I 2027", [w.opd])
    for n in range(1, entries + 1):
        await drafting.add_entry(w.one, w.pejabat, v.case.id, f"Informasi {n}", "Isi", n % 3)
    return v.case.id


async def at_step2(w: Two) -> int:
    case_id = await draft(w)
    await drafting.send_to_utama(w.one, w.pejabat, case_id, await version(w, case_id))
    return case_id


async def at_step3(w: Two) -> int:
    case_id = await at_step2(w)
    await review.approve_step2(w.one, w.utama, case_id, await version(w, case_id))
    return case_id


async def at_step5(w: Two) -> int:
    case_id = await at_step3(w)
    for e in (await cases.view(w.one, case_id)).entries:
        await opd_work.declare_not_held(w.one, w.pendukung, e.id, "Tidak pernah dibuat")
    await opd_work.send_to_utama(w.one, w.pendukung, case_id, await version(w, case_id))
    await review.approve_step4(w.one, w.utama, case_id, await version(w, case_id))
    return case_id


async def at_once(*calls: Awaitable[object]) -> list[object]:
    return list(await asyncio.gather(*calls, return_exceptions=True))


def refusals(results: list[object]) -> list[Refused]:
    return [r for r in results if isinstance(r, Refused)]


def failures(results: list[object]) -> list[BaseException]:
    return [r for r in results if isinstance(r, BaseException) and not isinstance(r, Refused)]


async def audited(w: Two, case_id: int, action: str) -> int:
    async with w.one.db.read() as uow:
        return len([a for a in await uow.audit.for_case(case_id) if a.action == action])


# --- one button pressed on both instances ------------------------------------------------------


async def test_fifty_approvals_spread_over_two_instances_make_one_transition(w: Two) -> None:
    case_id = await at_step2(w)
    pressed = await version(w, case_id)
    results = await at_once(
        *(
            review.approve_step2(w.ctx(i), (w.utama, w.utama2)[i // 2 % 2], case_id, pressed)
            for i in range(50)
        )
    )
    assert not failures(results)
    assert len([r for r in results if isinstance(r, datetime)]) == 1
    losers = refusals(results)
    assert len(losers) == 49
    assert {r.key for r in losers} <= STALE
    v = await cases.view(w.two, case_id)
    assert v.case.step == 3
    assert await audited(w, case_id, "step2:forwarded") == 1
    async with w.two.db.read() as uow:
        tasks = await uow.tasks.for_case(case_id)
    assert [t.step for t in tasks if t.done_at is None] == [3]


async def test_a_case_published_on_both_instances_at_once_is_published_once(w: Two) -> None:
    case_id = await at_step5(w)
    pressed = await version(w, case_id)
    results = await at_once(
        publication.close(w.one, w.pejabat, case_id, pressed),
        publication.close(w.two, w.pejabat, case_id, pressed),
    )
    assert not failures(results)
    assert [r.key in STALE for r in refusals(results)] == [True]
    assert await audited(w, case_id, "step5:published") == 1


async def test_a_spreadsheet_imported_on_both_instances_at_once_is_imported_once(w: Two) -> None:
    case_id = await draft(w, entries=0)
    fields: dict[str, str | None] = dict.fromkeys(exports.FIELDS)
    fields |= {"title": "Dari templat", "summary": "Isi", "category": "berkala"}
    result = ImportResult(rows=[Row(2, fields), Row(3, fields)], errors=[], skipped_empty=0)
    pressed = await version(w, case_id)
    outcome = await at_once(
        *(exports.import_rows(w.ctx(i), w.pejabat, case_id, pressed, result) for i in range(2))
    )
    assert not failures(outcome)
    assert [r.key in STALE for r in refusals(outcome)] == [True]
    assert len((await cases.view(w.one, case_id)).entries) == 2


# --- changes without a button's version: served one after the other --------------------------


async def test_entries_added_on_both_instances_at_once_are_both_kept_with_their_numbers(
    w: Two,
) -> None:
    case_id = await draft(w, entries=1)
    before = await version(w, case_id)
    results = await at_once(
        *(drafting.add_entry(w.ctx(i), w.pejabat, case_id, f"Baru {i}", "Isi", 0) for i in range(6))
    )
    assert not failures(results) and not refusals(results)
    v = await cases.view(w.one, case_id)
    assert sorted(e.number for e in v.entries) == [1, 2, 3, 4, 5, 6, 7]
    assert v.case.version == before + 6  # each change claimed the case once


async def test_entries_edited_on_both_instances_at_once_are_both_changed(w: Two) -> None:
    case_id = await draft(w, entries=2)
    one, two = (e.id for e in (await cases.view(w.one, case_id)).entries)
    before = await version(w, case_id)
    results = await at_once(
        drafting.edit_entry(w.one, w.pejabat, one, "title", "Judul satu"),
        drafting.edit_entry(w.two, w.pejabat, two, "summary", "Ringkasan dua"),
    )
    assert not failures(results) and not refusals(results)
    v = await cases.view(w.two, case_id)
    assert [(e.title, e.summary) for e in v.entries] == [
        ("Judul satu", "Isi"),
        ("Informasi 2", "Ringkasan dua"),
    ]
    assert v.case.version == before + 2


async def test_answers_given_on_both_instances_at_once_are_all_kept(w: Two) -> None:
    case_id = await at_step3(w)
    one, two, three = (e.id for e in (await cases.view(w.one, case_id)).entries)
    before = await version(w, case_id)
    results = await at_once(
        opd_work.declare_not_held(w.one, w.pendukung, one, "Tidak ada"),
        opd_work.propose_exempt(w.two, w.pendukung2, two, "UK/01/2027", date(2030, 12, 31)),
        drafting_edit_refused(w, three),
    )
    assert not failures(results)
    v = await cases.view(w.two, case_id)
    assert [e.resolution for e in v.entries] == ["not_held", "exempt", "none"]
    assert v.case.version == before + 2


async def drafting_edit_refused(w: Two, entry_id: int) -> None:
    """An edit of the draft once it went on: refused, whichever instance it reaches."""
    with pytest.raises(Refused):
        await drafting.edit_entry(w.two, w.pejabat, entry_id, "title", "Judul baru")


async def test_documents_uploaded_on_both_instances_at_once_are_both_recorded(w: Two) -> None:
    case_id = await at_step3(w)
    one, two, _ = (e.id for e in (await cases.view(w.one, case_id)).entries)
    before = await version(w, case_id)

    def send(ctx: Ctx, who: User, entry_id: int, data: bytes) -> Awaitable[object]:
        incoming = IncomingFile(file_id=f"f{entry_id}", name="laporan.pdf",
                                mime="application/pdf", size=len(data))  # fmt: skip
        return uploads.receive(ctx, who, Bytes(data), incoming, case_id=case_id, entry_id=entry_id)

    results = await at_once(
        send(w.one, w.pendukung, one, PDF), send(w.two, w.pendukung2, two, PDF + b"%2\n")
    )
    assert not failures(results) and not refusals(results)
    v = await cases.view(w.one, case_id)
    assert sorted(d.entry_id or 0 for d in v.documents) == sorted([one, two])
    assert v.case.version == before + 2


async def test_addresses_recorded_on_both_instances_at_once_are_recorded_in_turn(
    w: Two,
) -> None:
    case_id = await at_step3(w)
    one, *others = (e.id for e in (await cases.view(w.one, case_id)).entries)
    incoming = IncomingFile(file_id="f1", name="laporan.pdf", mime="application/pdf",
                            size=len(PDF))  # fmt: skip
    await uploads.receive(w.one, w.pendukung, Bytes(PDF), incoming, case_id=case_id, entry_id=one)
    for entry_id in others:
        await opd_work.declare_not_held(w.one, w.pendukung, entry_id, "Tidak pernah dibuat")
    await opd_work.send_to_utama(w.one, w.pendukung, case_id, await version(w, case_id))
    await review.approve_step4(w.one, w.utama, case_id, await version(w, case_id))
    before = await version(w, case_id)
    results = await at_once(
        publication.record_url(w.one, w.pejabat, case_id, URL, one),
        publication.record_url(w.two, w.pejabat, case_id, URL + "?b", one),
    )
    assert results == [1, 1]
    assert await version(w, case_id) == before + 2
    assert await audited(w, case_id, "entry:url") == 2


async def test_an_exemption_extended_on_both_instances_at_once_is_decided_once(w: Two) -> None:
    case_id = await at_step3(w)
    entries = (await cases.view(w.one, case_id)).entries
    for e in entries:
        await opd_work.propose_exempt(w.one, w.pendukung, e.id, "UK/01/2027", date(2030, 12, 31))
    await opd_work.send_to_utama(w.one, w.pendukung, case_id, await version(w, case_id))
    await review.approve_step4(w.one, w.utama, case_id, await version(w, case_id))
    await publication.close(w.one, w.pejabat, case_id, await version(w, case_id))
    entry = entries[0]
    until = date(2030, 12, 31).toordinal()
    results = await at_once(
        exemptions.extend(w.one, w.utama, entry.id, until, "UK/02/2030", date(2032, 12, 31)),
        exemptions.extend(w.two, w.pendukung, entry.id, until, "UK/03/2030", date(2033, 12, 31)),
    )
    assert not failures(results)
    assert [r.key for r in refusals(results)] == ["refused-exempt-decided"]
    async with w.one.db.read() as uow:
        decided = [d for d in await uow.exemptions.decisions() if d.entry_id == entry.id]
    assert len(decided) == 1


# --- one event given to both instances --------------------------------------------------------


@dataclass(frozen=True)
class Event:
    id: str
    title: str


def intakes(
    w: Two, case_id: int, handle: Callable[[Ctx, Event], Awaitable[object]]
) -> list[Intake[Event]]:
    def on(ctx: Ctx) -> Intake[Event]:
        return Intake("telegram", ctx.db, ctx.clock, lambda e: handle(ctx, e),
                      key=lambda e: e.id, lane=lambda e: e.id)  # fmt: skip

    return [on(w.one), on(w.two)]


async def claims_waiting(w: Two) -> int:
    """Instances waiting at their claim of an event another one is handling (PostgreSQL's view
    of its sessions)."""
    async with w.one.db.read() as uow:
        rows = await uow.dialogs._conn.all(  # a look inside the server, for this test only
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND query LIKE 'INSERT INTO processed_updates%'"
        )
    return int(rows[0][0])


async def test_an_update_given_to_both_instances_at_once_is_applied_once(w: Two) -> None:
    case_id = await draft(w, entries=0)
    began, finish = asyncio.Event(), asyncio.Event()

    async def handle(ctx: Ctx, event: Event) -> None:
        began.set()
        await drafting.add_entry(ctx, w.pejabat, case_id, event.title, "Isi", 0)
        await finish.wait()  # its answer is on its way: the event is not recorded yet

    first, second = intakes(w, case_id, handle)
    event = Event("7001", "Laporan keuangan")
    one = asyncio.create_task(first.take(event))
    await began.wait()
    other = asyncio.create_task(second.take(event))
    for _ in range(1000):  # the second instance reaches the first one's claim, and waits there
        if await claims_waiting(w):
            break
        await asyncio.sleep(0.01)
    assert await claims_waiting(w) == 1
    finish.set()
    assert [await one, await other] == [True, True]
    assert [e.title for e in (await cases.view(w.one, case_id)).entries] == ["Laporan keuangan"]
    async with w.two.db.read() as uow:
        assert await uow.updates.seen("telegram", ["7001"]) == {"7001"}


async def test_an_update_whose_handling_failed_is_handled_when_delivered_again(w: Two) -> None:
    case_id = await draft(w, entries=0)
    attempts: list[str] = []

    async def handle(ctx: Ctx, event: Event) -> None:
        attempts.append(event.id)
        if len(attempts) == 1:  # the first instance fails inside the unit of work
            async with ctx.db.transaction() as uow:
                await uow.entries.add(case_id, {"title": "x"})  # an incomplete row: it fails
        await drafting.add_entry(ctx, w.pejabat, case_id, event.title, "Isi", 0)

    first, second = intakes(w, case_id, handle)
    event = Event("7002", "Laporan kinerja")
    with pytest.raises(KeyError):
        await first.take(event)
    async with w.one.db.read() as uow:
        assert await uow.updates.seen("telegram", ["7002"]) == set()  # left unclaimed
    assert await second.take(event)
    assert await first.take(event)  # delivered a third time: a no-op
    assert [e.title for e in (await cases.view(w.one, case_id)).entries] == ["Laporan kinerja"]
    assert attempts == ["7002", "7002"]


# --- questions and invitations answered on both instances ---------------------------------------


async def test_a_round_confirmed_on_both_instances_at_once_is_opened_once(w: Two) -> None:
    async with w.one.db.transaction() as uow:
        await uow.dialogs.set(w.pejabat.id, "round_opds", {"name": "DIP", "chosen": [w.opd]}, NOW)
        await uow.commit()
    results = await at_once(
        *(
            cases.create_round(w.ctx(i), w.pejabat, "DIP 2027", [w.opd], asked="round_opds")
            for i in range(2)
        )
    )
    assert not failures(results)
    assert [r.key for r in refusals(results)] == ["refused-stale"]
    async with w.one.db.read() as uow:
        assert [r.name for r in await uow.rounds.all()] == ["DIP 2027"]
        assert await uow.dialogs.get(w.pejabat.id) is None


async def test_an_invitation_opened_on_both_instances_at_once_joins_the_person_once(
    w: Two,
) -> None:
    made = await people.invite(w.one.db, role=Role.UTAMA, opd_code=None, name="Ibu Rina",
                               created_by="admin", now=NOW, links=lambda token: [])  # fmt: skip
    token = made.invitation.token
    results = await at_once(
        *(
            people.join(
                w.ctx(i),
                token,
                channel="telegram",
                external_id="555",
                chat_id="555",
                first_name="Rina",
            )
            for i in range(2)
        )
    )
    assert not failures(results)
    assert [r.key for r in refusals(results)] == ["refused-already-joined"]
    async with w.two.db.read() as uow:
        joined = await uow.users.by_external("telegram", "555")
    assert joined is not None and joined.role == Role.UTAMA


# --- decisions over many rows: one at a time ----------------------------------------------------


async def test_an_absence_recorded_twice_at_once_on_two_instances_is_recorded_once(w: Two) -> None:
    starts, ends = date(2027, 3, 2), date(2027, 3, 3)
    results = await at_once(
        *(
            absences.record(w.ctx(i), w.pendukung, w.pendukung.id, starts, ends, w.pendukung2.id)
            for i in range(2)
        )
    )
    assert not failures(results)
    assert [r.key for r in refusals(results)] == ["refused-absence-overlap"]
    async with w.one.db.read() as uow:
        assert len(await uow.absences.unsettled()) == 1


async def test_the_sweeps_of_two_instances_open_a_scheduled_round_once(w: Two) -> None:
    await recurring.set_schedule(w.one, w.pejabat, "3")  # NOW is the first working day of March

    async def sweep_on(ctx: Ctx) -> list[int]:
        async with ctx.db.transaction() as uow:
            opened = await recurring.open_due_rounds(uow, ctx, ctx.now())
            await uow.commit()
        return opened

    results = await at_once(sweep_on(w.one), sweep_on(w.two))
    assert not failures(results)
    assert sorted(len(r) for r in results if isinstance(r, list)) == [0, 1]
    async with w.two.db.read() as uow:
        assert len(await uow.rounds.all()) == 1


# --- the outbox: each notice sent by one instance -----------------------------------------------


@dataclass
class Slow:
    """A sender that takes its time over each part (other instances run meanwhile)."""

    sent: list[str] = field(default_factory=list)
    capabilities: Capabilities = TELEGRAM

    def parts(self, reply: Reply) -> int:
        return len(reply.files) + 1

    async def send_part(self, chat_id: str | int, reply: Reply, index: int) -> list[str]:
        await asyncio.sleep(0.01)
        self.sent.append(f"{chat_id}:{reply.text}")
        return [str(len(self.sent))]

    async def send_brief(self, chat_id: str | int, brief: Brief) -> list[str]:
        raise AssertionError("Telegram never sends a brief")


async def test_the_dispatchers_of_two_instances_send_each_notice_once(w: Two) -> None:
    for _ in range(4):
        await at_step2(w)  # each hand-over queues a notice to both PPID Utama
    async with w.one.db.read() as uow:
        queued = len(await uow.outbox.listing(("pending",)))
    outs = [Slow(), Slow()]
    dispatchers = [Dispatcher(w.ctx(i), {"telegram": outs[i]}, notices) for i in range(2)]
    results = await at_once(*(d.run_once() for d in dispatchers))
    assert not failures(results)
    assert sum(r for r in results if isinstance(r, int)) == queued == 8
    # One instance sends at a time (the limits are the bot's, not an instance's): it sent all.
    assert sorted([len(outs[0].sent), len(outs[1].sent)]) == [0, queued]
    async with w.two.db.read() as uow:
        assert await uow.outbox.listing(("pending",)) == []


async def test_notices_stamped_by_an_instance_that_stopped_are_sent_at_once_by_another(
    w: Two,
) -> None:
    await at_step2(w)  # a notice to each PPID Utama
    async with w.one.db.read() as uow:
        ids = [r.id for r in await uow.outbox.listing(("pending",))]
    gone = await Database.open(w.one.db.source)
    owner = await gone.instance()
    async with gone.transaction() as uow:  # it took them, then died before sending them
        assert await uow.outbox.claim_many(ids, NOW, NOW, owner=owner)
        await uow.commit()
    out = Slow()
    dispatcher = Dispatcher(w.two, {"telegram": out}, notices)
    assert await dispatcher.run_once() == 0  # a running instance's claim is left to it
    await gone.close()  # its process ended: the server ends its lock
    assert await dispatcher.run_once() == 2
    assert len(out.sent) == 2


async def test_notices_left_stamped_by_a_failed_pass_are_sent_by_the_next_pass_at_once(
    w: Two,
) -> None:
    await at_step2(w)
    async with w.two.db.read() as uow:
        ids = [r.id for r in await uow.outbox.listing(("pending",))]
    async with w.two.db.transaction() as uow:  # its pass took them, then failed
        assert await uow.outbox.claim_many(ids, NOW, NOW, owner=await w.two.db.instance())
        await uow.commit()
    out = Slow()
    assert await Dispatcher(w.two, {"telegram": out}, notices).run_once() == 2
    assert len(out.sent) == 2


async def test_two_sweeps_asked_for_at_once_in_one_instance_both_run_one_after_the_other(
    w: Two, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.scheduler

    moments: list[object] = []

    async def slow_sweep(ctx: Ctx, now: datetime) -> int:
        moments.append(now)
        await asyncio.sleep(0.05)  # long enough for the second to arrive meanwhile
        return 0

    monkeypatch.setattr(bot.scheduler, "sweep", slow_sweep)
    scheduler = bot.scheduler.Scheduler(w.one, Dispatcher(w.one, {}, notices))
    # The minute's job and a nudge (or a test's time travel): the second is not skipped as if
    # another instance held the sweep.
    assert await at_once(scheduler.sweep(), scheduler.sweep()) == [0, 0]
    assert len(moments) == 2


async def test_a_notice_being_claimed_elsewhere_is_skipped_without_waiting(w: Two) -> None:
    await at_step2(w)
    async with w.one.db.read() as uow:
        ids = [r.id for r in await uow.outbox.listing(("pending",))]
    mine, theirs = await w.one.db.instance(), await w.two.db.instance()
    assert mine != theirs
    async with w.one.db.transaction() as first:
        assert await first.outbox.claim_many(ids, NOW, NOW, owner=mine)
        async with w.two.db.transaction() as second:  # before the first one commits
            assert not await second.outbox.claim_many(ids, NOW, NOW, owner=theirs)
        await first.commit()


# --- the intake's cost on either engine ---------------------------------------------------------


@pytest.fixture
async def single(tmp_path: Path, db_target: Path | str) -> AsyncIterator[tuple[Ctx, User, int]]:
    """One instance on either engine: a Pejabat PID and a draft."""
    db = await Database.open(db_target)
    ctx = make_ctx(settings=Settings(data_dir=tmp_path / "data"), db=db, calendar=Calendar(),
                   files=FileStore(tmp_path / "files"), clock=lambda: NOW)  # fmt: skip
    async with db.transaction() as uow:
        await uow.opds.upsert("DINKES", "Dinas Kesehatan")
        [opd] = await uow.opds.all()
        user_id = await uow.users.add(name="pejabat", role=Role.PEJABAT, opd_id=None,
                                      channel="telegram", external_id="1", chat_id="1",
                                      now=NOW)  # fmt: skip
        pejabat = await uow.users.get(user_id)
        await uow.commit()
    assert pejabat is not None
    [v] = await cases.create_round(ctx, pejabat, "DIP Semester I 2027", [opd.id])
    yield ctx, pejabat, v.case.id
    await db.close()


async def traced(ctx: Ctx, call: Callable[[], Awaitable[object]]) -> list[str]:
    seen: list[str] = []
    await ctx.db.trace(seen.append)
    try:
        await call()
    finally:
        await ctx.db.trace(None)
    return seen


async def test_an_update_is_recorded_after_its_handler_at_the_cost_of_two_statements(
    single: tuple[Ctx, User, int],
) -> None:
    ctx, pejabat, case_id = single

    async def handle(event: Event) -> None:
        await drafting.add_entry(ctx, pejabat, case_id, event.title, "Isi", 0)

    intake = Intake("telegram", ctx.db, ctx.clock, handle, key=lambda e: e.id, lane=lambda e: 1)
    alone = await traced(ctx, lambda: handle(Event("-", "Pertama")))
    through = await traced(ctx, lambda: intake.take(Event("8001", "Kedua")))
    # SQLite: whether it was seen, then its record. PostgreSQL: the claim, then its COMMIT once
    # the handler is done (and a BEGIN, which the trace does not show).
    assert len(through) == len(alone) + 2
    records = [i for i, s in enumerate(through) if s.startswith("INSERT INTO processed_updates")]
    assert len(records) == 1
    assert await intake.handled_among([Event("8001", "")]) == {"8001"}


async def test_an_update_whose_handler_commits_nothing_is_recorded_after_it(
    single: tuple[Ctx, User, int],
) -> None:
    ctx, _, case_id = single

    async def look(event: Event) -> None:
        await cases.view(ctx, case_id)  # a view: no unit of work

    intake = Intake("telegram", ctx.db, ctx.clock, look, key=lambda e: e.id, lane=lambda e: 1)
    assert await intake.take(Event("8002", "lihat"))
    assert await intake.handled_among([Event("8002", "")]) == {"8002"}


async def test_an_update_whose_handler_failed_after_committing_is_left_for_the_next_delivery(
    single: tuple[Ctx, User, int],
) -> None:
    """A crash between a handler's commit and its answer: the next delivery handles the event
    again (and the services answer it again), on either engine."""
    ctx, pejabat, case_id = single

    async def handle(event: Event) -> None:
        await drafting.add_entry(ctx, pejabat, case_id, "Laporan", "Isi", 0)
        raise RuntimeError("the answer could not be sent")

    intake = Intake("telegram", ctx.db, ctx.clock, handle, key=lambda e: e.id, lane=lambda e: 1)
    with pytest.raises(RuntimeError):
        await intake.take(Event("8003", ""))
    assert await intake.handled_among([Event("8003", "")]) == set()  # delivered again later
