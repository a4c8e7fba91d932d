"""Refusals through the running bot: a clear Indonesian answer, nothing changed, an audit entry."""

from __future__ import annotations

import asyncio

from bot.fakeapi import flows
from bot.services import cases, people
from bot.sop import Role
from handlers.codec import encode
from tests.e2e.conftest import Harness


async def refusals(h: Harness) -> list[str]:
    async with h.ctx.db.transaction() as uow:
        return [a.note or "" for a in await uow.audit.all() if a.outcome == "refused"]


async def test_a_forged_button_is_refused_and_audited(harness: Harness) -> None:
    rina = await harness.join(4001, "Ibu Rina", Role.UTAMA)
    await rina.press_data("1:a2:999:1;DROP", rina.messages[-1])
    assert "tidak dikenali" in await rina.next_toast()
    assert (await refusals(harness))[-1].startswith("bad-button")


async def test_used_malformed_and_expired_invitations_are_refused(harness: Harness) -> None:
    token = await harness.invite(Role.PEJABAT, name="Bapak Andi")
    andi = harness.fake.person(4002, "Andi")
    await flows.accept_invitation(andi, token)
    other = harness.fake.person(4003, "Budi")
    await other.send(f"/start {token}")
    assert "sudah dipakai" in (await other.next_message()).text
    await other.send("/start bad$token")
    assert "tidak valid" in (await other.next_message()).text
    late = await harness.invite(Role.ATASAN)
    harness.clock.advance(days=8)
    await other.send(f"/start {late}")
    assert "kedaluwarsa" in (await other.next_message()).text
    await other.send("halo")
    assert "hanya untuk petugas PPID" not in (await other.next_message()).text  # the short version
    assert {"refused-invite-used", "refused-invite-malformed", "refused-invite-expired"} <= set(
        await refusals(harness)
    )


async def test_a_caption_for_a_missing_entry_gets_a_clear_answer(harness: Harness) -> None:
    await harness.add_opds("DINKES")
    andi, rina, sari = await harness.join_team(4010)
    await sari.send_document("x.pdf", b"%PDF-1.4 x", caption="#1")
    assert "tidak ada berkas OPD" in (await sari.next_message()).text
    await harness.round_at_step3(andi, rina, "DINKES", ["Laporan"])
    await sari.wait_for_text("Langkah 3")
    await sari.send_document("x.pdf", b"%PDF-1.4 x", caption="#99")
    assert "Entri #99 tidak ada" in (await sari.next_message()).text


async def test_bad_files_are_refused_with_the_reason(harness: Harness) -> None:
    await harness.add_opds("DINKES")
    andi, rina, sari = await harness.join_team(4020)
    case_id = await harness.round_at_step3(andi, rina, "DINKES", ["Laporan"])
    await sari.wait_for_text("Langkah 3")
    await sari.send_document("besar.pdf", b"%PDF-1.4", caption="#1", declared_size=25 * 2**20)
    assert "terlalu besar" in (await sari.next_message()).text
    await sari.send_document("program.exe", b"MZ\x90\x00", caption="#1")
    assert "tidak diterima" in (await sari.next_message()).text
    await sari.send_document("laporan.pdf", b"MZ\x90\x00 not a pdf", caption="#1")
    assert "tidak sesuai dengan jenisnya" in (await sari.next_message()).text
    v = await cases.view(harness.ctx, case_id)
    assert v.documents == [] and v.entries[0].resolution == "none"
    assert {"refused-file-too_big", "refused-file-type", "refused-file-mismatch"} <= set(
        await refusals(harness)
    )


async def test_text_and_files_in_the_wrong_place_get_a_hint(harness: Harness) -> None:
    await harness.add_opds("DINKES")
    andi, rina, sari = await harness.join_team(4030)
    await harness.round_at_step3(andi, rina, "DINKES", ["Laporan", "Renstra"])
    await sari.wait_for_text("Langkah 3")
    await flows.entry_action(sari, 1, "📎 Kirim dokumen")
    await sari.wait_for_text("Silakan kirim dokumen")
    await sari.send("ini teksnya")
    assert "Mohon kirim dokumen" in (await sari.next_message()).text
    await sari.send("/batal")
    await sari.wait_for_text("dibatalkan")
    await sari.send_document("a.pdf", b"%PDF-1.4 a")
    assert "tidak menunggu dokumen" in (await sari.next_message()).text
    await flows.entry_action(sari, 2, "🚫 Tidak dikuasai")
    await sari.wait_for_text("alasan")
    await sari.send_document("a.pdf", b"%PDF-1.4 a")
    assert "ketik jawaban sebagai teks" in (await sari.next_message()).text


async def test_step3_cannot_be_sent_with_unresolved_entries_nor_by_another_opd(
    harness: Harness,
) -> None:
    await harness.add_opds("DINKES", "DISHUB")
    andi, rina, sari = await harness.join_team(4040)
    joko = await harness.join(4043, "Bapak Joko", Role.PENDUKUNG, "DISHUB")
    case_id = await harness.round_at_step3(andi, rina, "DINKES", ["Laporan", "Renstra"])
    panel = await sari.wait_for_text("0 dari 2 entri lengkap")
    assert "Kirim ke PPID Utama" not in str(panel.buttons)
    v = await cases.view(harness.ctx, case_id)
    await sari.press_data(encode("s3", case_id, v.case.version), panel)
    assert "Masih ada 2 dari 2 entri" in await sari.next_toast()
    await joko.press_data(encode("e3", v.entries[0].id), joko.messages[-1])
    assert "milik OPD lain" in await joko.next_toast()
    after = await cases.view(harness.ctx, case_id)
    assert after.case.step == 3 and after.case.version == v.case.version


async def test_a_forged_press_on_another_opds_case_reveals_nothing_about_it(
    harness: Harness,
) -> None:
    await harness.add_opds("DINKES", "DISHUB")
    andi, rina, _ = await harness.join_team(4060)
    joko = await harness.join(4063, "Bapak Joko", Role.PENDUKUNG, "DISHUB")
    case_id = await harness.round_at_step3(andi, rina, "DINKES", ["Laporan"])
    v = await cases.view(harness.ctx, case_id)
    # Stale (step 2 is over) and foreign: the answer names neither who nor when nor the step.
    for data in (encode("a2", case_id, 1), encode("s3", case_id, v.case.version),
                 encode("p5", case_id, v.case.version), encode("dt", case_id)):  # fmt: skip
        await joko.press_data(data, joko.messages[-1])
        toast = await joko.next_toast()
        assert toast == "Mohon maaf, berkas ini milik OPD lain.", toast
    assert all("Rina" not in m.text and "Langkah" not in m.text for m in joko.messages[1:])


async def test_an_exemption_needs_a_future_end_date(harness: Harness) -> None:
    await harness.add_opds("DINKES")
    andi, rina, sari = await harness.join_team(4050)
    case_id = await harness.round_at_step3(andi, rina, "DINKES", ["Data pribadi pegawai"])
    await sari.wait_for_text("Langkah 3")
    await flows.begin_exemption(sari, 1, "UK-07/PPID/2027")
    await sari.send("besok lusa")
    assert "Tanggal tidak dikenali" in (await sari.next_message()).text
    await sari.send("01-01-2020")
    assert "harus setelah hari ini" in (await sari.next_message()).text
    v = await cases.view(harness.ctx, case_id)
    assert v.entries[0].resolution == "none"
    await sari.send("31-12-2030")
    assert "diusulkan dikecualikan sampai 31 Des 2030" in (await sari.next_message()).text


async def test_an_empty_round_is_refused(harness: Harness) -> None:
    await harness.add_opds("DINKES")
    andi = await harness.join(4060, "Bapak Andi", Role.PEJABAT)
    await flows.name_round(andi, "DIP Semester II 2027")
    await andi.press("✅ Buat putaran")
    assert await andi.next_toast() == ""  # the press that opened the dialog
    assert "paling sedikit satu OPD" in await andi.next_toast()
    async with harness.ctx.db.transaction() as uow:
        assert await uow.rounds.all() == []


async def test_commands_of_another_role_are_refused(harness: Harness) -> None:
    await harness.add_opds("DINKES")
    sari = await harness.join(4070, "Ibu Sari", Role.PENDUKUNG, "DINKES")
    await sari.press_data(encode("rn"), sari.messages[-1])
    assert "bukan tugas peran" in await sari.next_toast()
    await sari.press_data(encode("iv", 0), sari.messages[-1])
    assert "bukan tugas peran" in await sari.next_toast()


async def test_a_deactivated_persons_old_buttons_are_refused_until_invited_again(
    harness: Harness,
) -> None:
    await harness.add_opds("DINKES")
    andi = await harness.join(4080, "Bapak Andi", Role.PEJABAT)
    menu = await flows.open_menu(andi)
    user = await harness.user(andi)
    await people.deactivate(harness.ctx.db, user.id, harness.ctx.now(), by="test")
    await andi.press("➕ Mulai putaran baru", menu)
    assert "dinonaktifkan" in await andi.next_toast()
    await andi.send("/tugas")
    assert "dinonaktifkan" in (await andi.next_message()).text
    token = await harness.invite(Role.PEJABAT, name="Bapak Andi")
    await flows.accept_invitation(andi, token)
    assert (await harness.user(andi)).active


async def test_two_ppid_utama_approving_at_once_give_one_transition(harness: Harness) -> None:
    await harness.add_opds("DINKES")
    andi = await harness.join(4090, "Bapak Andi", Role.PEJABAT)
    rina = await harness.join(4091, "Ibu Rina", Role.UTAMA)
    yusuf = await harness.join(4092, "Bapak Yusuf", Role.UTAMA)
    case_id = await harness.round_at_step2(andi, "DINKES", ["Laporan"])
    for p in (rina, yusuf):
        await p.wait_until(lambda m: "Langkah 2" in m.text)
    await asyncio.gather(
        rina.press("✅ Setujui, teruskan ke OPD"), yusuf.press("✅ Setujui, teruskan ke OPD")
    )
    toasts = [await rina.next_toast(), await yusuf.next_toast()]
    assert sum("sudah diproses oleh" in t for t in toasts) == 1
    async with harness.ctx.db.transaction() as uow:
        tasks = await uow.tasks.for_case(case_id)
    assert [t.step for t in tasks] == [1, 2, 3]


async def test_in_groups_the_bot_only_says_it_works_in_private(harness: Harness) -> None:
    budi = harness.fake.person(4100, "Budi")
    group = harness.fake.group(-100123, "Grup PPID")
    await budi.send("/tugas", chat=group)
    msg = await budi.next_message(chat=group)
    assert "hanya melayani di chat pribadi" in msg.text
    await budi.send("halo semua", chat=group)
    await asyncio.sleep(0.3)
    assert len(budi.messages_in(group)) == 1
