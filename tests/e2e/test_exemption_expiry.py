"""Exemptions that expire, through the chat: ten working days before the end date the PPID Utama
and the OPD's PPID Pendukung are asked with buttons; extending needs a new consequence test and a
later date (a past one is refused in Indonesian); an undecided exemption past its end date is
escalated to the atasan; opening it sends the entry back to its OPD, through steps 4 and 5, to
the public site; `export exempt` and the monthly report show what is due and what was decided."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.fakeapi import flows
from bot.fakeapi.models import ChatMessage
from bot.fakeapi.people import FakePerson
from bot.models import Entry
from bot.reports import ExemptionTotals
from bot.services import cases, exports, opd_work, publication, review
from bot.sop import CLOSED, Role
from tests import samples
from tests.e2e.conftest import Harness, toast_with

TZ = ZoneInfo("Asia/Pontianak")
UNTIL = date(2027, 6, 30)  # asked on Wednesday 16 June 2027 at the opening


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=TZ)


async def exempt_and_published(
    h: Harness, andi: FakePerson, rina: FakePerson, sari: FakePerson
) -> tuple[int, Entry]:
    """A closed case: entry #1 exempt until UNTIL (accepted at step 4), entry #2 published."""
    case_id = await h.round_at_step3(andi, rina, "DINKES", ["Data Rahasia", "Profil Dinas"])
    one, _ = (await cases.view(h.ctx, case_id)).entries
    await opd_work.propose_exempt(h.ctx, await h.user(sari), one.id, "UK-01/2027", UNTIL)
    await sari.send_document("profil.pdf", samples.pdf(["Profil dinas"]), caption="#2")
    await sari.wait_for_text("profil.pdf diterima untuk entri #2")
    version = (await cases.view(h.ctx, case_id)).case.version
    await opd_work.send_to_utama(h.ctx, await h.user(sari), case_id, version)
    version = (await cases.view(h.ctx, case_id)).case.version
    await review.approve_step4(h.ctx, await h.user(rina), case_id, version)
    version = (await cases.view(h.ctx, case_id)).case.version
    await publication.publish_to_site(h.ctx, await h.user(andi), case_id, version)
    v = await cases.view(h.ctx, case_id)
    assert v.case.step == CLOSED and v.entries[0].category == "dikecualikan"
    return case_id, v.entries[0]


def asked(m: ChatMessage) -> bool:
    """The question that asks for a decision, with its buttons."""
    return "Perlu keputusan" in m.text and "🔒 Perpanjang" in str(m.buttons)


async def test_an_exemption_is_extended_with_a_new_reference_and_a_later_date(
    harness: Harness,
) -> None:
    h = harness
    await h.add_opds("DINKES")
    andi, rina, sari = await h.join_team(7800)
    boss = await h.join(7803, "Bapak Kepala", Role.ATASAN)
    _, entry = await exempt_and_published(h, andi, rina, sari)

    await h.travel(local(6, 15, 15))
    assert not any("Perlu keputusan" in m.text for m in rina.messages)
    await h.travel(local(6, 16, 8))
    question = await rina.wait_until(asked)
    assert "#1 Data Rahasia" in question.text and "UK-01/2027" in question.text
    assert "30 Juni 2027" in question.text
    sari_question = await sari.wait_until(asked)
    await h.travel(local(6, 16, 8, 5))  # the next sweeps queue nothing again
    assert [m for m in rina.messages if asked(m)] == [question]

    await rina.press("🔒 Perpanjang", question)
    await rina.wait_for_text("uji konsekuensi yang baru")
    await rina.send("UK-09/2027")
    await rina.wait_for_text("Sampai tanggal berapa")
    await rina.send("01-06-2027")
    await rina.wait_for_text("harus setelah hari ini")
    await rina.send("20-06-2027")
    await rina.wait_for_text("sesudah tanggal berakhir sekarang (30-06-2027)")
    await rina.send("30-06-2028")
    done = await rina.wait_for_text("diperpanjang sampai")
    assert "UK-09/2027" in done.text

    # The PPID Pendukung's question is now stale: refused, nothing changes.
    await sari.press("🔓 Buka untuk publik", sari_question)
    assert "sudah diputuskan" in await toast_with(sari, "sudah diputuskan")
    async with h.ctx.db.read() as uow:
        now = await uow.entries.get(entry.id)
        decisions = await uow.exemptions.decisions()
    assert now is not None and (now.exempt_reference, now.exempt_until) == (
        "UK-09/2027",
        date(2028, 6, 30),
    )
    assert [(d.action, d.old_until, d.new_until) for d in decisions] == [
        ("extend", date(2027, 6, 30), date(2028, 6, 30))
    ]

    # Past the old end date nothing is escalated: it was decided.
    await h.travel(local(7, 5, 9))
    assert not any("Eskalasi" in m.text for m in boss.messages)
    totals = await exports.exemption_totals(h.ctx, (2027, 6))
    assert totals == ExemptionTotals(due=1, extended=1, opened=0)


async def test_an_undecided_exemption_is_escalated_then_opened_and_published(
    harness: Harness,
) -> None:
    h = harness
    await h.add_opds("DINKES")
    andi, rina, sari = await h.join_team(7810)
    boss = await h.join(7813, "Bapak Kepala", Role.ATASAN)
    case_id, entry = await exempt_and_published(h, andi, rina, sari)

    await h.travel(local(7, 2, 9))
    escalation = await boss.wait_until(lambda m: "Eskalasi" in m.text)
    assert "#1 Data Rahasia" in escalation.text and "Yang memutuskan" in escalation.text
    assert "Perpanjang" not in str(escalation.buttons)
    late = await sari.wait_until(
        lambda m: "Terlambat" in m.text and "Buka untuk publik" in str(m.buttons)
    )
    assert "terlambat" in late.text

    # The register says what is due.
    out = await export_exempt(h, local(7, 2, 9))
    assert "2027-06-30" in out and "2027-06-16" in out and "lewat, belum diputuskan" in out

    await sari.press("🔓 Buka untuk publik", late)
    await sari.wait_for_text("pilih kategorinya")
    await sari.press("Berkala")
    opened = await sari.wait_for_text("dibuka sebagai Berkala")
    assert "Dinas Dinkes" in opened.text
    assert (await cases.view(h.ctx, case_id)).case.step == 3
    await andi.send("/status")
    await andi.wait_for_text("DINKES")

    await sari.send_document("data.pdf", samples.pdf(["Data yang kini terbuka"]), caption="#1")
    await sari.wait_for_text("data.pdf diterima untuk entri #1")
    await flows.finish_and_send_documents(sari)
    # The new review, not the one of March that is still in the chat (its button is stale).
    await rina.wait_until(lambda m: "Langkah 4" in m.text and "Rahasia [Berkala] — ✅" in m.text)
    await flows.approve_documents(rina, "Data Rahasia")
    step5 = await andi.wait_until(lambda m: "Langkah 5" in m.text)
    await flows.publish_on_site(andi, step5)
    v = await cases.view(h.ctx, case_id)
    opened_entry = next(e for e in v.entries if e.id == entry.id)
    assert v.case.step == CLOSED
    assert opened_entry.category == "berkala" and opened_entry.published_url
    assert v.round.closed_at is not None  # closed again once published
    totals = await exports.exemption_totals(h.ctx, (2027, 7))
    assert (totals.opened, totals.extended) == (1, 0)


async def test_two_exemptions_ending_together_are_asked_about_in_one_message(
    harness: Harness,
) -> None:
    h = harness
    await h.add_opds("DINKES")
    andi, rina, sari = await h.join_team(7830)
    case_id = await h.round_at_step3(andi, rina, "DINKES", ["Data Rahasia", "Data Lain", "Profil"])
    one, two, _ = (await cases.view(h.ctx, case_id)).entries
    for entry in (one, two):
        await opd_work.propose_exempt(h.ctx, await h.user(sari), entry.id, "UK-01/2027", UNTIL)
    await sari.send_document("profil.pdf", samples.pdf(["Profil dinas"]), caption="#3")
    await sari.wait_for_text("profil.pdf diterima untuk entri #3")
    for step, person in ((3, sari), (4, rina), (5, andi)):
        version = (await cases.view(h.ctx, case_id)).case.version
        if step == 3:
            await opd_work.send_to_utama(h.ctx, await h.user(person), case_id, version)
        elif step == 4:
            await review.approve_step4(h.ctx, await h.user(person), case_id, version)
        else:
            await publication.publish_to_site(h.ctx, await h.user(person), case_id, version)
    before = len(rina.messages)

    await h.travel(local(6, 16, 8))
    both = await rina.wait_until(
        lambda m: (
            "Perlu keputusan" in m.text and "#1 Data Rahasia" in m.text and "#2 Data Lain" in m.text
        )
    )
    assert str(both.buttons).count("🔒 Perpanjang") == 2
    assert [m for m in rina.messages[before:] if "Perlu keputusan" in m.text] == [both]


async def test_an_exemption_end_date_in_the_past_is_refused_when_proposed(
    harness: Harness,
) -> None:
    h = harness
    await h.add_opds("DINKES")
    andi, rina, sari = await h.join_team(7820)
    await h.round_at_step3(andi, rina, "DINKES", ["Data Rahasia"])
    await sari.wait_for_text("0 dari 1 entri lengkap")
    await flows.begin_exemption(sari, 1, "UK-01/2027")
    await sari.send("01-01-2027")
    await sari.wait_for_text("harus setelah hari ini")
    await sari.send("31-12-2030")
    await sari.wait_for_text("diusulkan dikecualikan sampai")
    await sari.send("/bantuan")
    await sari.wait_for_text("Sepuluh hari kerja sebelumnya")


async def export_exempt(h: Harness, now: datetime) -> str:
    """`python -m bot export exempt` as a process, against the running bot's database."""
    env = dict(os.environ, PPID_DATA_DIR=str(h.settings.data_dir),
               PPID_CLOCK_START=now.isoformat())  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "export", "exempt",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode()
