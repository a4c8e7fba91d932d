"""Races: one approve button of step 2 pressed 50 times at once by the two PPID Utama.

The presses are queued together, so that the bot fetches them in one or two batches; the bot must
make exactly one transition out of them and refuse the 49 others, each with a clear toast and an
audit entry. The bot handles the two people's presses at the same time (each person's in order),
so only the database's unit of work (one transaction at a time, the case version claimed) stands
between them; the same storm also runs against the bot built with python-telegram-bot's
`concurrent_updates(64)`.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.fakeapi.models import ChatMessage
from bot.fakeapi.people import FakePerson
from bot.models import AuditRecord
from bot.services import cases
from bot.sop import Role
from handlers.codec import encode
from tests.e2e.conftest import Harness

pytestmark = pytest.mark.e2e

PRESSES = 50
STALE_BY = "sudah diproses oleh"


async def refused_rows(h: Harness, since: int) -> list[AuditRecord]:
    async with h.ctx.db.transaction() as uow:
        return [a for a in await uow.audit.all() if a.id > since and a.outcome == "refused"]


async def last_audit_id(h: Harness) -> int:
    async with h.ctx.db.transaction() as uow:
        rows = await uow.audit.all()
    return rows[-1].id if rows else 0


async def toasts(person: FakePerson, count: int) -> list[tuple[str, bool]]:
    """The next `count` answers to this person's presses: (text, shown as an alert)."""
    for _ in range(count):
        await person.next_toast(timeout=20)
    return [(a.text, a.show_alert) for a in person.answers[-count:]]


async def storm_of_approvals(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    await h.add_opds("DINKES")
    andi = await h.join(5001, "Bapak Andi", Role.PEJABAT)
    rina = await h.join(5002, "Ibu Rina", Role.UTAMA)
    yusuf = await h.join(5003, "Bapak Yusuf", Role.UTAMA)
    sari = await h.join(5004, "Ibu Sari", Role.PENDUKUNG, "DINKES")
    dewi = await h.join(5005, "Ibu Dewi", Role.PENDUKUNG, "DINKES")
    ctx = h.ctx
    case_id = await h.round_at_step2(andi, "DINKES", ["Laporan Keuangan"])
    v = await cases.view(ctx, case_id)
    assert v.case.step == 2
    data = encode("a2", case_id, v.case.version)

    def with_approve(m: ChatMessage) -> bool:
        return data in m.button_data.values()

    panels = {p: await p.wait_until(with_approve, timeout=10) for p in (rina, yusuf)}
    before = await last_audit_id(h)
    pressers = [rina if i % 2 == 0 else yusuf for i in range(PRESSES)]
    await asyncio.gather(*(p.press_data(data, panels[p]) for p in pressers))

    answers = await toasts(rina, PRESSES // 2) + await toasts(yusuf, PRESSES // 2)
    async with ctx.db.transaction() as uow:
        tasks = await uow.tasks.for_case(case_id)
        audit = [a for a in await uow.audit.for_case(case_id) if a.id > before]
        outbox = await uow.outbox.listing(("pending", "sent", "failed", "skipped"))
    after = await cases.view(ctx, case_id)

    # Exactly one transition: the task of step 2 closed once, the case in step 3, one audit row.
    assert [t.step for t in tasks] == [1, 2, 3]
    step2 = tasks[1]
    assert step2.outcome == "forwarded" and step2.done_by in {
        (await h.user(rina)).id,
        (await h.user(yusuf)).id,
    }
    # One transition bumps the version twice: the claim, then the move to the next step.
    assert after.case.step == 3 and after.case.version == v.case.version + 2
    assert [a.action for a in audit if a.outcome == "ok"] == ["step2:forwarded"]
    winner = "Ibu Rina" if step2.done_by == (await h.user(rina)).id else "Bapak Yusuf"

    # One hand-over of step 3 per PPID Pendukung of the OPD, and nobody else.
    handovers = [r for r in outbox if r.payload["kind"] == "handover" and r.payload["step"] == 3]
    assert sorted(r.user_id for r in handovers) == sorted(
        [(await h.user(sari)).id, (await h.user(dewi)).id]
    )
    assert {r.key for r in handovers} == {
        f"task:{tasks[2].id}:handover:0:{r.user_id}" for r in handovers
    }

    # The winner's press is answered silently (its answer is a message); the 49 others with an
    # alert: the winner's own further presses are told their act is recorded, the other
    # person's name who handled the case; each of them is in the audit trail as refused.
    silent = [a for a in answers if a == ("", False)]
    refused = [a for a in answers if a != ("", False)]
    assert len(silent) == 1 and len(refused) == PRESSES - 1, answers
    own = [a for a in refused if "sudah tercatat" in a[0]]
    assert len(own) == PRESSES // 2 - 1, refused
    assert all(alert and "Langkah 3" in text for text, alert in own), own
    by_winner = [a for a in refused if a not in own]
    assert all(alert and f"{STALE_BY} {winner}" in text for text, alert in by_winner), refused
    rows = await refused_rows(h, before)
    assert len(rows) == PRESSES - 1
    assert {r.note for r in rows} <= {"refused-wrong-step", "refused-stale"}
    assert {r.action for r in rows} == {data}
    assert h.fake.unanswered_callbacks() == []

    # The approval is confirmed once, to the winner; each PPID Pendukung is told once.
    confirmations = [
        m
        for p in (rina, yusuf)
        for m in p.messages
        if m.text.startswith("Draf Dinas Dinkes disetujui")
    ]
    assert len(confirmations) == 1
    for p in (sari, dewi):
        await p.wait_for_text("📥", timeout=10)

    async def all_delivered() -> bool | None:
        async with ctx.db.transaction() as uow:
            return True if await uow.outbox.count("pending") == 0 else None

    await h.fake.wait_for(lambda: None, 0.3)  # let a stray second delivery show up, if any
    assert await all_delivered()
    for p in (sari, dewi):
        assert sum(m.text.startswith("📥") for m in p.messages) == 1
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_fifty_presses_of_one_approve_button_make_exactly_one_transition(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await storm_of_approvals(harness, caplog)


async def test_fifty_presses_handled_concurrently_still_make_exactly_one_transition(
    concurrent_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await storm_of_approvals(concurrent_harness, caplog)
