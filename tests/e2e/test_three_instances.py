"""Three bot processes on one PostgreSQL database, behind a round-robin load balancer that both
fakes post to (issue 18, item 7): a 40-OPD round through both chat apps, one instance SIGKILLed
twice in the middle of it, and 50 simultaneous presses of one button spread over the instances.

The round is prepared through the services in the test process (the OPDs, the people, the drafts
approved at step 2, so that 40 hand-overs of step 3 wait in the outbox). Then each OPD's PPID
Pendukung plays step 3 in the chat, half of them on WhatsApp, half on Telegram, all at once: the
hand-over arrives, they open the entry, send its document and send the case on to the PPID Utama,
whose 40 hand-overs of step 4 must arrive in her Telegram chat. One PPID Pendukung on WhatsApp
presses "Kirim ke PPID Utama" 50 times at once; Meta's fake posts them concurrently, and the
balancer spreads them over the three instances. (Telegram posts one chat's updates one after the
other, so simultaneous presses of one person reach the bot from WhatsApp only.)

What is checked: nothing lost (every case at step 4 with its document, every hand-over in its
person's chat), nothing doubled beyond the documented in-flight limit (a notice is sent twice only
when the instance sending it died between the platform's answer and its record: at most one notice
per kill), and one transition out of the 50 presses.

The victim is killed at a moment when no notice is in flight: a notice claimed by an instance that
dies waits for the claim's lease (ten minutes, `bot.dispatcher.IN_FLIGHT_LEASE`), which this test
does not wait for (tests/storage/test_instances.py covers the lease). What it is doing then (an
update in hand, a webhook half answered) is left to chance, and the balancer counts the requests an
instance died with.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.bootstrap import load_calendar, make_ctx
from bot.config import Settings
from bot.fakeapi import flows
from bot.fakeapi.people import FakePerson
from bot.fakeapi.server import FakeTelegram
from bot.fakeapi.whatsapp import FakeWhatsApp, FakeWhatsAppPerson
from bot.fakeapi.whatsapp.harness import approve_bot_templates
from bot.models import User
from bot.services import cases, drafting, review
from bot.services.context import Ctx
from bot.sop import Role
from storage.db import Database
from storage.files import FileStore
from tests.e2e.instances import Instances, running_clock, three_instances
from tests.e2e.processes import eventually
from tests.pgcluster import Cluster

pytestmark = pytest.mark.e2e

START = datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo("Asia/Pontianak"))  # a Monday, office hours
OPDS = 40
PRESSES = 50
KILLS = 2
VICTIM = 1  # the instance killed (and restarted) twice
SECRET = "Qz7-wK2v_Xq9Lm4Rt8Yb"
VERIFY_TOKEN = "verify-token-of-the-test"
PDF = b"%PDF-1.4\n" + b"laporan keuangan " * 500
WAIT_S = 60.0  # a generous deadline for each wait: the test waits for progress, not for time
SEND = "Kirim ke PPID Utama"


@dataclass
class Opd:
    """One OPD of the round: its case and its PPID Pendukung (on one of the two apps)."""

    code: str
    name: str
    case_id: int
    person: FakePerson | FakeWhatsAppPerson
    asked: int = 0  # case panels the person asked for again (/tugas), after a kill's confusion


@dataclass
class Round:
    ctx: Ctx
    andi: FakePerson  # Pejabat PID, Telegram
    rina: FakePerson  # PPID Utama, Telegram
    opds: list[Opd]
    round_id: int


async def add_user(ctx: Ctx, name: str, role: Role, opd_id: int | None, channel: str,
                   key: str) -> User:  # fmt: skip
    async with ctx.db.transaction() as uow:
        await uow.users.add(name=name, role=role, opd_id=opd_id, channel=channel,
                            external_id=key, chat_id=key, now=START)  # fmt: skip
        user = await uow.users.by_external(channel, key)
        await uow.commit()
    assert user is not None
    return user


async def prepare(ctx: Ctx, tg: FakeTelegram, wa: FakeWhatsApp) -> Round:
    """40 OPDs, each case at step 3 with one entry; the odd OPDs' PPID Pendukung on WhatsApp,
    the even ones' on Telegram. Their hand-overs are queued, for the instances to send."""
    andi = tg.person(9001, "Andi", started=True)
    rina = tg.person(9002, "Rina", started=True)
    pejabat = await add_user(ctx, "Bapak Andi", Role.PEJABAT, None, "telegram", "9001")
    utama = await add_user(ctx, "Ibu Rina", Role.UTAMA, None, "telegram", "9002")
    opd_ids: dict[str, int] = {}
    people: dict[str, FakePerson | FakeWhatsAppPerson] = {}
    for n in range(1, OPDS + 1):
        code = f"OPD{n:02}"
        async with ctx.db.transaction() as uow:
            await uow.opds.upsert(code, f"Dinas Uji {n:02}")
            opd = await uow.opds.by_code(code)
            await uow.commit()
        assert opd is not None
        opd_ids[code] = opd.id
        if n % 2:
            wa_person = wa.person(f"62812345{n:05}", f"Pendukung {n:02}")
            people[code] = wa_person
            await add_user(ctx, f"Ibu Pendukung {n:02}", Role.PENDUKUNG, opd.id, "whatsapp",
                           wa_person.bsuid)  # fmt: skip
        else:
            people[code] = tg.person(9100 + n, f"Pendukung {n:02}", started=True)
            await add_user(ctx, f"Ibu Pendukung {n:02}", Role.PENDUKUNG, opd.id, "telegram",
                           str(9100 + n))  # fmt: skip
    views = await cases.create_round(ctx, pejabat, "DIP 2027", list(opd_ids.values()))
    by_opd = {v.case.opd_id: v.case.id for v in views}
    opds: list[Opd] = []
    for code, opd_id in opd_ids.items():
        case_id = by_opd[opd_id]
        await drafting.add_entry(ctx, pejabat, case_id, f"Laporan {code}", "Ringkasan", 0)
        v = await cases.view(ctx, case_id)
        await drafting.send_to_utama(ctx, pejabat, case_id, v.case.version)
        v = await cases.view(ctx, case_id)
        await review.approve_step2(ctx, utama, case_id, v.case.version)
        opds.append(Opd(code, f"Dinas Uji {code[3:]}", case_id, people[code]))
    return Round(ctx, andi, rina, opds, views[0].round.id)


async def step_of(ctx: Ctx, case_id: int) -> int:
    async with ctx.db.read() as uow:
        case = await uow.cases.get(case_id)
    assert case is not None
    return case.step


async def documents_of(ctx: Ctx, case_id: int) -> int:
    async with ctx.db.read() as uow:
        return len(await uow.documents.for_case(case_id))


def until(check: Callable[[], Awaitable[bool]]) -> Callable[[], Awaitable[bool | None]]:
    async def poll() -> bool | None:
        return True if await check() else None

    return poll


async def play_telegram(r: Round, opd: Opd, instances: Instances) -> None:
    """Step 3 in the Telegram chat: the hand-over, the entry's document, the case sent on. A
    step whose answer an instance's death replaced (an answer repeated, "already recorded") is
    taken again from /tugas, as a person would."""
    person = opd.person
    assert isinstance(person, FakePerson)
    ctx = r.ctx
    await person.wait_until(lambda m: m.text.startswith("📥"), timeout=WAIT_S)  # hand-over
    for attempt in range(3):
        try:
            if attempt:  # the case panel again, asked for (its text is the hand-over's)
                opd.asked += 1
                await flows.open_task(person, opd.code)
            if await documents_of(ctx, opd.case_id) == 0:
                await flows.entry_action(person, 1, "📎 Kirim dokumen")
                await person.wait_for_text("Silakan kirim dokumen", timeout=WAIT_S)
                await person.send_document("lkpd.pdf", PDF, "application/pdf")
                await eventually(until(lambda: has_document(ctx, opd)), f"{opd.code}'s document",
                                 timeout=WAIT_S, context=instances.logs)  # fmt: skip
                await person.press("✅ Selesai")
            await person.wait_until(lambda m: flows.SEND_TO_UTAMA in str(m.buttons),
                                    timeout=WAIT_S)  # fmt: skip
            await person.press(flows.SEND_TO_UTAMA)
            await eventually(until(lambda: at_step(ctx, opd, 4)), f"{opd.code} at step 4",
                             timeout=WAIT_S, context=instances.logs)  # fmt: skip
            return
        except AssertionError:
            if attempt == 2 or await step_of(ctx, opd.case_id) >= 4:
                raise


async def has_document(ctx: Ctx, opd: Opd) -> bool:
    return await documents_of(ctx, opd.case_id) == 1


async def at_step(ctx: Ctx, opd: Opd, step: int) -> bool:
    return await step_of(ctx, opd.case_id) >= step


async def play_whatsapp(r: Round, opd: Opd, instances: Instances, presses: int = 1) -> None:
    """Step 3 on WhatsApp, from the hand-over's template (the person had not written before);
    `presses`: how many times the last button is pressed at once."""
    person = opd.person
    assert isinstance(person, FakeWhatsAppPerson)
    ctx = r.ctx
    brief = await person.wait_until(lambda x: x.template is not None, timeout=WAIT_S)
    await person.press_in(brief, "Buka tugas")
    await person.wait_for_text("0 dari 1 entri lengkap", timeout=WAIT_S)
    await person.press("⬜ #1")
    entry = await person.wait_until(lambda x: "Kirim dokumen" in str(x.buttons + x.rows),
                                    timeout=WAIT_S)  # fmt: skip
    await person.press_in(entry, "📎 Kirim dokumen")
    await person.wait_for_text("Silakan kirim dokumen untuk entri #1", timeout=WAIT_S)
    await person.send_document(PDF, "lkpd.pdf", "application/pdf")
    await eventually(until(lambda: has_document(ctx, opd)), f"{opd.code}'s document",
                     timeout=WAIT_S, context=instances.logs)  # fmt: skip
    await person.press("✅ Selesai")
    send = await person.wait_until(lambda x: SEND in str(x.buttons + x.rows), timeout=WAIT_S)
    await asyncio.gather(*(person.press_in(send, SEND) for _ in range(presses)))
    await eventually(until(lambda: at_step(ctx, opd, 4)), f"{opd.code} at step 4",
                     timeout=WAIT_S, context=instances.logs)  # fmt: skip


async def reached(r: Round, step: int) -> int:
    """How many of the round's cases reached `step` (one query)."""
    async with r.ctx.db.read() as uow:
        found = await uow.cases.all(round_id=r.round_id)
    return sum(1 for c in found if c.step >= step)


async def nothing_in_flight(ctx: Ctx) -> bool:
    async with ctx.db.read() as uow:
        rows = await uow.outbox.listing(("pending",))
    return not any(row.in_flight_since for row in rows)


async def kill_twice(r: Round, instances: Instances) -> None:
    """SIGKILL the victim once a quarter of the cases moved, and again at two thirds, each time
    while it has a webhook in hand (if the moment comes: a webhook's handling is short) and no
    notice in flight; each time it is started again at once (its clock where the others')."""
    port = instances.port(VICTIM)
    for share in (OPDS // 4, 2 * OPDS // 3):

        async def progressed(share: int = share) -> bool:
            moved = await reached(r, 4)
            if moved < share or not await nothing_in_flight(r.ctx):
                return False
            # Looked at last, just before the kill: a webhook is handled in milliseconds.
            return instances.balancer.in_hand[port] > 0 or moved >= share + OPDS // 8

        await eventually(until(progressed), f"{share} cases at step 4", timeout=4 * WAIT_S,
                         every=0.02, context=instances.logs)  # fmt: skip
        await instances.kill(VICTIM)
        await instances.start(VICTIM)


def handovers_sent(tg: FakeTelegram, chat_id: int, step: int) -> Counter[str]:
    """Hand-over messages of `step` the bot sent to a Telegram chat, by the text's OPD name."""
    found: Counter[str] = Counter()
    for call in tg.calls_of("sendMessage"):
        text = str(call.params.get("text", ""))
        if (
            int(call.params["chat_id"]) == chat_id
            and call.status == 200
            and text.startswith("📥")
            and f"Langkah {step}" in text
            and "Dinas Uji " in text
        ):
            found[text.split("Dinas Uji ", 1)[1][:2]] += 1
    return found


async def test_three_instances_play_a_40_opd_round_through_two_kills_and_a_storm_of_presses(
    tmp_path: Path, pg_cluster: Cluster
) -> None:
    url = pg_cluster.database()
    clock = running_clock(START)
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir)  # the database: `db`, opened here
    db = await Database.open(url)
    try:
        async with FakeTelegram() as tg, FakeWhatsApp(clock=clock) as wa:
            approve_bot_templates(wa)
            wa.delivery.concurrency = 12  # Meta posts several webhooks at once
            ctx = make_ctx(settings=settings, db=db, calendar=await load_calendar(settings, db),
                           files=FileStore(settings.documents_dir), clock=clock)  # fmt: skip
            r = await prepare(ctx, tg, wa)
            storm = r.opds[0]  # on WhatsApp
            async with three_instances(
                tg, wa, database_url=url, data_dir=data_dir, home=tmp_path, secret=SECRET,
                verify_token=VERIFY_TOKEN, clock=clock,
            ) as instances:  # fmt: skip
                players = [
                    play_whatsapp(r, o, instances, PRESSES if o is storm else 1)
                    if isinstance(o.person, FakeWhatsAppPerson)
                    else play_telegram(r, o, instances)
                    for o in r.opds
                ]
                await asyncio.gather(kill_twice(r, instances), *players)
                assert instances.starts[VICTIM] == 1 + KILLS

                # Every hand-over of step 4 reached the PPID Utama.
                async def all_handed() -> bool:
                    return len(handovers_sent(tg, r.rina.id, 4)) == OPDS

                await eventually(until(all_handed), "every hand-over of step 4", timeout=WAIT_S,
                                 context=instances.logs)  # fmt: skip
                await wa.settled(timeout=WAIT_S)
                await tg.wait_until_confirmed(timeout=WAIT_S)
                codes = await instances.stop_all()
                logs = instances.logs()
            assert set(codes.values()) == {0}, logs
            # Every instance took its share of the posts.
            assert all(instances.balancer.served[p] > 0 for p in instances.balancer.ports)

        # Nothing lost: every case at step 4, having passed each step once.
        for o in r.opds:
            async with db.read() as uow:
                tasks = await uow.tasks.for_case(o.case_id)
            assert [t.step for t in tasks] == [1, 2, 3, 4], (o.code, tasks)
            assert await documents_of(ctx, o.case_id) == 1, o.code
        # One transition out of the 50 presses: step 3 closed once, one audit entry of it.
        async with db.read() as uow:
            audit = await uow.audit.for_case(storm.case_id)
        moves = [a for a in audit if a.outcome == "ok" and a.action.startswith("step3")]
        assert len(moves) == 1, audit
        # Nothing doubled beyond the in-flight limit: one message per hand-over, but for at
        # most one notice per kill (sent, then the instance died before recording it).
        extra = 0
        to_rina = handovers_sent(tg, r.rina.id, 4)
        assert len(to_rina) == OPDS and to_rina[storm.code[3:]] == 1, to_rina
        extra += sum(n - 1 for n in to_rina.values())
        for o in r.opds:
            if isinstance(o.person, FakeWhatsAppPerson):
                briefs = [m for m in o.person.inbox if m.template is not None]
                assert briefs, o.code
                extra += len(briefs) - 1
            else:
                sent = handovers_sent(tg, o.person.id, 3)
                assert sum(sent.values()) >= 1, o.code
                extra += max(sum(sent.values()) - 1 - o.asked, 0)
        assert extra <= KILLS, extra
    finally:
        await db.close()
