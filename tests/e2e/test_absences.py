"""Absences (Plh/Plt) through the running bot: an officer records leave from the menu, the
stand-in gets the work and acts "a.n.", the absent officer may look but not act, both are told
once when it ends; an admin names a Plt for a vacancy; and every bad input a clear answer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.cli import main
from bot.fakeapi import flows
from bot.services import cases
from bot.sop import Role
from handlers.codec import encode
from tests.e2e.conftest import Harness, toast_with


async def test_leave_hands_the_work_to_the_stand_in_who_acts_on_behalf_until_it_ends(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await harness.add_opds("DINKES")
    andi, rina, sari = await harness.join_team(6100)
    budi = await harness.join(6103, "Ibu Budi", Role.PENDUKUNG, "DINKES")
    # Monday 1 March 2027: Sari is on leave until Wednesday, Budi stands in.
    saved = await flows.record_absence(sari, "1-3-2027", "3-3-2027", "Ibu Budi")
    assert "1 Mar 2027 s.d. 3 Mar 2027, pengganti: Ibu Budi" in saved.text
    await budi.wait_for_text("ditunjuk sebagai pengganti Ibu Sari")

    case_id = await harness.round_at_step3(andi, rina, "DINKES", ["Laporan Keuangan"])
    handover = await budi.wait_for_text("Langkah 3")
    assert "a.n. Ibu Sari" in handover.text
    assert not any("Langkah 3" in m.text for m in sari.messages)

    # Sari may look, not act: no tasks, her menu says who acts, an act is refused.
    await sari.send("/tugas")
    await sari.wait_for_text("Tidak ada tugas")
    menu = await flows.open_menu(sari)
    assert "tercatat tidak hadir sampai 3 Mar 2027" in menu.text and "Ibu Budi" in menu.text
    await sari.press("📊 Status")
    await sari.wait_for_text("DINKES: Langkah 3")
    await sari.press("DINKES")
    panel = await sari.wait_for_text("Laporan Keuangan")
    assert "#1" not in str(panel.buttons) and "Kirim" not in str(panel.buttons)
    version = (await cases.view(harness.ctx, case_id)).case.version
    await sari.press_data(encode("s3", case_id, version), menu)
    assert "ditangani pengganti (Ibu Budi)" in await toast_with(sari, "tidak hadir")

    # Budi acts: the document he sends is recorded on Sari's behalf.
    await budi.send_document("laporan.pdf", b"%PDF-1.4 laporan", caption="#1")
    await budi.wait_for_text("untuk entri #1")
    monkeypatch.setenv("PPID_DATA_DIR", str(harness.settings.data_dir))
    assert await asyncio.to_thread(main, ["audit", "--case", str(case_id)]) == 0
    assert "Ibu Budi (PPID Pendukung) a.n. Ibu Sari" in capsys.readouterr().out

    # Thursday morning the leave is over: both are told, once; the task is Sari's again.
    await harness.travel(datetime(2027, 3, 4, 0, 30, tzinfo=UTC))  # 07:30 WIB
    back = await sari.wait_for_text("Selamat kembali")
    assert "1 tugas terbuka kembali" in back.text
    await budi.wait_for_text("Ketidakhadiran Ibu Sari (1 Mar 2027 s.d. 3 Mar 2027) sudah berakhir")
    await harness.travel(datetime(2027, 3, 4, 2, 0, tzinfo=UTC))
    await flows.open_task(sari, "DINKES", tasks=1)
    assert sum("Selamat kembali" in m.text for m in sari.messages) == 1
    assert sum("sudah berakhir" in m.text for m in budi.messages) == 1


async def test_an_admin_names_a_plt_for_a_vacancy_and_ends_it(harness: Harness) -> None:
    await harness.add_opds("DINKES")
    admin = await harness.join(6200, "Admin Kominfo", Role.ADMIN)
    await harness.join(6201, "Ibu Sari", Role.PENDUKUNG, "DINKES")
    budi = await harness.join(6202, "Ibu Budi", Role.PENDUKUNG, "DINKES")
    await flows.open_menu(admin)
    await admin.press("🏖 Ketidakhadiran")
    await admin.wait_for_text("Ketidakhadiran petugas")
    await admin.press("➕ Catat ketidakhadiran petugas")
    await admin.wait_for_text("Ketidakhadiran siapa")
    await admin.press("Ibu Sari (PPID Pendukung DINKES)")
    await admin.wait_for_text("Mulai tanggal berapa Ibu Sari")
    await admin.send("1-3-2027")
    await admin.wait_for_text("Sampai tanggal berapa")
    await admin.press("♾ Tanpa tanggal selesai (Plt)")
    await admin.wait_for_text("Siapa pengganti Ibu Sari")
    await admin.press("Ibu Budi")
    saved = await admin.wait_for_text("Ketidakhadiran dicatat")
    assert "tanpa batas (Plt)" in saved.text
    await budi.wait_for_text("ditunjuk sebagai pengganti Ibu Sari")
    await admin.press("🏖 Ketidakhadiran")
    await admin.wait_for_text("Ibu Sari: 1 Mar 2027 s.d. tanpa batas (Plt)")
    await admin.press("⏹ Akhiri: Ibu Sari")
    await admin.wait_for_text("Ketidakhadiran diakhiri")
    await budi.wait_for_text("sudah berakhir")


async def test_bad_absences_get_a_clear_answer_and_record_nothing(harness: Harness) -> None:
    await harness.add_opds("DINKES", "DISDIK")
    rina = await harness.join(6300, "Ibu Rina", Role.UTAMA)
    sari = await harness.join(6301, "Ibu Sari", Role.PENDUKUNG, "DINKES")
    budi = await harness.join(6302, "Ibu Budi", Role.PENDUKUNG, "DINKES")
    dewi = await harness.join(6303, "Ibu Dewi", Role.PENDUKUNG, "DINKES")
    ani = await harness.join(6304, "Ibu Ani", Role.PENDUKUNG, "DISDIK")

    # Dates: not a date, in the past, ending before it starts.
    await flows.open_menu(sari)
    await sari.press("🏖 Ketidakhadiran")
    await sari.wait_for_text("Ketidakhadiran Bapak/Ibu")
    await sari.press("➕ Catat ketidakhadiran saya")
    await sari.wait_for_text("Mulai tanggal berapa")
    await sari.send("besok")
    await sari.wait_for_text("Tanggal tidak dikenali")
    await sari.send("26-2-2027")
    await sari.wait_for_text("tanggal itu sudah lewat")
    await sari.send("8-3-2027")
    await sari.wait_for_text("Sampai tanggal berapa")
    await sari.send("5-3-2027")
    await sari.wait_for_text("tidak boleh sebelum tanggal mulai (8 Mar 2027)")
    await sari.send("/batal")

    # Budi is away 8-9 March with Dewi as stand-in; an overlapping absence of his is refused.
    await flows.record_absence(budi, "8-3-2027", "9-3-2027", "Ibu Dewi")
    await flows.begin_absence(budi, "9-3-2027", "12-3-2027")
    await budi.press("Ibu Sari")
    assert "bertumpuk" in await toast_with(budi, "Mohon maaf")
    await budi.send("/batal")

    # Sari names Budi, who is away himself then; a forged press naming another OPD's officer.
    question = await flows.begin_absence(sari, "8-3-2027", "10-3-2027")
    assert "Ibu Ani" not in str(question.buttons)
    await sari.press("Ibu Budi")
    assert "Ibu Budi sendiri tercatat tidak hadir" in await toast_with(sari, "Mohon maaf")
    ani_user = await harness.user(ani)
    await sari.press_data(encode("as", ani_user.id), question)
    assert "harus dari OPD yang sama" in await toast_with(sari, "Mohon maaf")
    await sari.send("/batal")

    # The only PPID Utama going on leave: nobody could take the work.
    question = await flows.begin_absence(rina, "8-3-2027", "10-3-2027")
    assert "Tidak ada PPID Utama lain" in question.text
    await rina.press("Tanpa pengganti")
    assert "tidak ada petugas lain dengan peran yang sama" in await toast_with(rina, "Mohon maaf")

    async with harness.ctx.db.read() as uow:
        recorded = await uow.absences.unsettled()
    assert [(a.user_id, a.starts.isoformat()) for a in recorded] == [
        ((await harness.user(budi)).id, "2027-03-08")
    ]
    assert dewi is not None


async def test_when_every_ppid_utama_is_away_the_admin_and_atasan_are_told_at_once(
    harness: Harness,
) -> None:
    await harness.add_opds("DINKES")
    admin = await harness.join(6400, "Admin Kominfo", Role.ADMIN)
    atasan = await harness.join(6401, "Bapak Kadis", Role.ATASAN)
    andi = await harness.join(6402, "Bapak Andi", Role.PEJABAT)
    rina = await harness.join(6403, "Ibu Rina", Role.UTAMA)
    tono = await harness.join(6404, "Bapak Tono", Role.UTAMA)
    # Each may go without a stand-in while the other is there; together they leave nobody.
    await flows.record_absence(rina, "1-3-2027", "3-3-2027", "Tanpa pengganti")
    await flows.record_absence(tono, "2-3-2027", "2-3-2027", "Tanpa pengganti")
    for person in (admin, atasan):
        gap = await person.wait_for_text("tidak ada PPID Utama yang dapat bertindak")
        assert "Mulai 2 Mar 2027" in gap.text
    # Tuesday: a draft reaches step 2 while both are away: told at once, not at the deadline.
    await harness.travel(datetime(2027, 3, 2, 2, 0, tzinfo=UTC))
    await harness.round_at_step2(andi, "DINKES", ["Profil"])
    for person in (admin, atasan):
        await person.wait_for_text("Tugas tanpa petugas: Dinas Dinkes")
    assert not any("Langkah 2" in m.text for m in rina.messages + tono.messages)
