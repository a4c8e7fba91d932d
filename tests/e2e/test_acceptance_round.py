"""What people met in an acceptance round, played through the chat: late answers to presses, stale
buttons on a case that came back, and refused presses in a case's history."""

from __future__ import annotations

import asyncio
import os
import sys

from bot.fakeapi import flows
from bot.fakeapi.messages import QUERY_TOO_OLD
from bot.fakeapi.people import FakePerson
from bot.services import cases, drafting, review
from bot.sop import Role
from handlers.codec import encode
from tests.e2e.conftest import Harness, toast_with

SEND = "📤 Kirim ke PPID Utama"


async def draft_panel(h: Harness, pejabat: FakePerson) -> int:
    """A round for DINKES with one entry; the Pejabat opens its panel. Returns the case."""
    (case_id,) = await h.open_round(pejabat, "DINKES")
    await drafting.add_entry(h.ctx, await h.user(pejabat), case_id, "Laporan", "Isi", 0)
    await pejabat.send("/tugas")
    await pejabat.wait_for_text("Tugas Bapak/Ibu")
    await pejabat.press("Buka: DINKES")
    await pejabat.wait_until(lambda m: SEND in str(m.buttons))
    return case_id


async def test_a_press_taken_before_a_restart_and_answered_too_late_tells_its_outcome(
    harness: Harness,
) -> None:
    await harness.add_opds("DINKES")
    andi, _, _ = await harness.join_team(9701)
    await draft_panel(harness, andi)
    panel = andi.messages[-1]
    await andi.press(SEND, panel)
    await andi.wait_for_text("sudah dikirim ke PPID Utama")
    # After a restart Telegram delivers the same press again; by now it no longer takes an
    # answer to it ("query is too old"), so a toast would reach no one.
    harness.fake.inject("answerCallbackQuery", status=400, description=QUERY_TOO_OLD)
    await andi.press(SEND, panel)
    told = await andi.wait_for_text("sudah tercatat")
    assert "Langkah 2" in told.text


async def test_a_stale_send_after_the_draft_came_back_points_to_the_newest_message(
    harness: Harness,
) -> None:
    await harness.add_opds("DINKES")
    andi, rina, _ = await harness.join_team(9711)
    case_id = await draft_panel(harness, andi)
    old_panel = andi.messages[-1]
    await andi.press(SEND, old_panel)
    await andi.wait_for_text("sudah dikirim ke PPID Utama")
    v = await cases.view(harness.ctx, case_id)
    await review.return_step2(
        harness.ctx, await harness.user(rina), case_id, v.case.version, "Lengkapi"
    )
    seen = len(andi.messages)
    await andi.press(SEND, old_panel)
    toast = await toast_with(andi, "pesan terbaru")
    assert "diproses oleh" not in toast, toast
    newest = await andi.wait_until(lambda m: SEND in str(m.buttons) and m is not old_panel)
    assert andi.messages.index(newest) >= seen and "Langkah 1" in newest.text
    await andi.press(SEND, newest)
    await andi.wait_for_text("sudah dikirim ke PPID Utama")
    assert (await cases.view(harness.ctx, case_id)).case.step == 2


async def test_the_history_of_a_case_shows_the_presses_refused_on_it(harness: Harness) -> None:
    await harness.add_opds("DINKES", "DISHUB")
    andi, rina, _ = await harness.join_team(9721)
    joko = await harness.join(9724, "Bapak Joko", Role.PENDUKUNG, "DISHUB")
    case_id = await harness.round_at_step3(andi, rina, "DINKES", ["Laporan"])
    v = await cases.view(harness.ctx, case_id)
    await joko.press_data(encode("s3", case_id, v.case.version), joko.messages[-1])
    await toast_with(joko, "milik OPD lain")
    await rina.press_data(encode("a2", case_id, 1), rina.messages[-1])
    await toast_with(rina, "sudah tercatat")
    await joko.press_data(encode("e3", v.entries[0].id), joko.messages[-1])
    await toast_with(joko, "milik OPD lain")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "audit", "--case", str(case_id),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=os.environ | {"PPID_DATA_DIR": str(harness.settings.data_dir)},
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    refused = [line for line in out.decode().splitlines() if "ditolak" in line]
    assert len(refused) == 3, out.decode()
    assert sum("Joko" in line for line in refused) == 2
    assert sum("Rina" in line for line in refused) == 1


async def test_a_missing_public_address_is_named_to_the_admins_only(harness: Harness) -> None:
    await harness.add_opds("DINKES")
    andi, rina, sari = await harness.join_team(9731)
    admin = await harness.join(9734, "Bapak Admin", Role.ADMIN)
    await harness.round_at_step5(andi, rina, sari, "DINKES", ["Laporan"])
    step5 = await andi.wait_until(lambda m: "Langkah 5" in m.text)
    done = await flows.publish_on_site(andi, step5)
    assert "PPID_" not in done.text and "Admin PPID sudah diberi tahu" in done.text
    told = await admin.wait_for_text("PPID_PUBLIC_BASE_URL")
    assert "belum diisi" in told.text
    assert all("PPID_" not in m.text for person in (andi, rina, sari) for m in person.messages)


async def test_a_press_whose_reply_telegram_refuses_still_gets_the_error_message(
    harness: Harness,
) -> None:
    andi = await harness.join(9741, "Bapak Andi", Role.PEJABAT)
    await andi.send("/menu")
    await andi.wait_for_text("Silakan pilih")
    # The press is answered, then Telegram refuses the reply: the person must still hear of it.
    harness.fake.inject("sendMessage", status=400, description="Bad Request: can't parse entities")
    await andi.press("Tugas saya")
    told = await andi.wait_for_text("terjadi kesalahan")
    assert "Data Bapak/Ibu aman" in told.text
