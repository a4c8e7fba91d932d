"""Notices to a WhatsApp person while the Graph API misbehaves: 5xx, 130429 and 131056 (throughput
and pair limits), and answers that come too late. Nothing is lost; nothing the API refused is
sent twice, and the dispatcher records each message's statuses. A number that cannot receive
(131026 in a `failed` status) makes the person unreachable and the admins are told once.

What is guaranteed, precisely: every notice reaches the person; one whose send the API refused
(an error answer) is sent again and arrives once; one whose answer was lost after the API took it
(a time-out) is sent again and may arrive twice, like on Telegram (the Cloud API has no
idempotency key, and a lost hand-over costs more than a repeated one). The case itself changes
once whatever happens to its notices."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from bot.channels.whatsapp import channel
from bot.fakeapi.whatsapp import FakeWhatsAppPerson
from bot.sop import Role
from tests.e2e.whatsapp.conftest import Mixed

HANDOVER = "Langkah 3"


@pytest.fixture(autouse=True)
def short_timeout(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The bot gives up on a Graph API call after 1 s (20 s in production), so that a late
    answer is a time-out without a slow test."""
    monkeypatch.setattr(channel, "HTTP_TIMEOUT", httpx.Timeout(1.0))
    yield


async def pending(m: Mixed) -> int:
    async with m.h.ctx.db.transaction() as uow:
        return await uow.outbox.count("pending")


async def deliver_everything(m: Mixed, rounds: int = 40) -> None:
    """Advance the clock a minute at a time until the outbox is empty (retries use the clock)."""
    for _ in range(rounds):
        await m.wa.settled()  # the statuses of what was sent, recorded
        if await pending(m) == 0:
            return
        await m.h.travel(m.h.clock.now + timedelta(minutes=1))
    raise AssertionError(f"{await pending(m)} notices still pending")


def handovers(person: FakeWhatsAppPerson) -> list[str]:
    return [x.text for x in person.messages if HANDOVER in x.text and "Dinas" in x.text]


async def test_5xx_and_throughput_limits_lose_nothing_and_double_nothing(mixed: Mixed) -> None:
    m, h = mixed, mixed.h
    await h.add_opds("DINKES", "DISHUB")
    andi = await h.join(4401, "Bapak Andi", Role.PEJABAT)
    rina = await h.join(4402, "Ibu Rina", Role.UTAMA)
    sari = await m.join_wa("6281234563001", "Ibu Sari", Role.PENDUKUNG, "DINKES")
    budi = await m.join_wa("6281234563002", "Bapak Budi", Role.PENDUKUNG, "DISHUB")
    m.wa.fail_next(2, status=500)
    m.wa.fail_next(1, status=503)
    m.wa.fail_next(2, status=429)  # 130429: the number's throughput
    m.wa.fail_next(1, status=400, code=131056)  # too many to one person
    await h.round_at_step3(andi, rina, "DINKES", ["Laporan Keuangan 2026"])
    await h.round_at_step3(andi, rina, "DISHUB", ["Data Angkutan 2026"])
    await deliver_everything(m)

    assert len(handovers(sari)) == 1 and len(handovers(budi)) == 1
    refused = [c for c in m.wa.calls_to("/messages") if c.status >= 400]
    assert len(refused) == 6  # each fault was met, and each retried
    # Each message the notices went out as has its status recorded, as the API reported it.
    sent = [x for x in m.wa.messages.values() if x.to in (sari.wa_id, budi.wa_id)
            and HANDOVER in x.text]  # fmt: skip
    async with h.ctx.db.read() as uow:
        statuses = [await uow.messages.status_of("whatsapp", x.id) for x in sent]
    assert len(sent) == 2 and statuses == [x.status for x in sent], statuses


async def test_a_late_answer_is_sent_again_and_arrives_at_most_twice(mixed: Mixed) -> None:
    m, h = mixed, mixed.h
    await h.add_opds("DINKES")
    andi = await h.join(4411, "Bapak Andi", Role.PEJABAT)
    rina = await h.join(4412, "Ibu Rina", Role.UTAMA)
    sari = await m.join_wa("6281234563011", "Ibu Sari", Role.PENDUKUNG, "DINKES")
    m.wa.slow_next(1, seconds=2.0)  # taken by the API, answered after the bot gave up
    case_id = await h.round_at_step3(andi, rina, "DINKES", ["Laporan Keuangan 2026"])
    await deliver_everything(m)
    assert 1 <= len(handovers(sari)) <= 2
    async with h.ctx.db.read() as uow:
        tasks = await uow.tasks.for_case(case_id)
    assert [t.step for t in tasks] == [1, 2, 3]


async def test_a_number_that_cannot_receive_holds_the_notices_and_the_admins_are_told_once(
    mixed: Mixed,
) -> None:
    m, h = mixed, mixed.h
    await h.add_opds("DINKES")
    admin = await h.join(4421, "Pak Admin", Role.ADMIN)
    andi = await h.join(4422, "Bapak Andi", Role.PEJABAT)
    rina = await h.join(4423, "Ibu Rina", Role.UTAMA)
    sari = await m.join_wa("6281234563021", "Ibu Sari", Role.PENDUKUNG, "DINKES")
    sari.unreachable()
    await h.round_at_step3(andi, rina, "DINKES", ["Laporan Keuangan 2026"])
    await deliver_everything(m)
    told = await admin.wait_until(lambda x: "tidak dapat dikirim" in x.text)
    assert "Ibu Sari" in told.text and "tidak dapat menerima pesan WhatsApp" in told.text
    user = await m.wa_user(sari)
    assert user.unreachable_since is not None
    failed = [x for x in m.wa.messages.values() if x.status == "failed"]
    assert failed and all(x.errors[0]["code"] == 131026 for x in failed)

    # Days pass: reminders for her are held, not sent into the void, and the admins are not
    # told again.
    sends = len(m.wa.calls_to("/messages"))
    for _ in range(3):
        await h.travel(h.clock.now + timedelta(days=1))
        await deliver_everything(m)
    assert len(m.wa.calls_to("/messages")) == sends
    assert len([x for x in admin.messages if "tidak dapat dikirim" in x.text]) == 1

    # She writes again: reachable, and what was held reaches her.
    sari.reachable()
    await sari.send("tugas")
    await sari.wait_for_text(HANDOVER)
    await deliver_everything(m)
    assert (await m.wa_user(sari)).unreachable_since is None


async def test_an_answer_refused_by_a_5xx_or_a_throughput_limit_still_reaches_her(
    mixed: Mixed,
) -> None:
    m, h = mixed, mixed.h
    admin = await h.join(4431, "Pak Admin", Role.ADMIN)
    sari = await m.join_wa("6281234563031", "Ibu Sari", Role.UTAMA)
    m.wa.fail_next(1, status=500)
    await sari.send("menu")
    menu = await sari.next_message()
    assert menu.buttons or menu.rows, menu.text
    m.wa.fail_next(2, status=429)  # 130429
    await sari.send("bantuan")
    assert "PPID" in (await sari.next_message()).text
    await m.wa.settled()
    assert not [x for x in sari.messages if "kesalahan" in x.text]
    assert not [x for x in admin.messages if "kesalahan" in x.text or "error" in x.text.lower()]
    # Joined, the menu, the help (a long help is two messages on WhatsApp): nothing twice.
    texts = [x.text for x in sari.messages]
    assert len(texts) == len(set(texts)) and 3 <= len(texts) <= 4, texts
