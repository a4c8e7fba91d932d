"""The offline demo: a whole round for two OPDs, played by simulated people against the embedded
fake Bot API, printed as a readable transcript. No token and no network needed."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bot.bootstrap import settings_clock
from bot.channels.telegram.application import build_application, running
from bot.config import Settings
from bot.fakeapi import flows
from bot.fakeapi.people import FakePerson
from bot.fakeapi.server import FakeTelegram
from bot.services import people
from bot.services.context import Ctx
from bot.sop import Role
from bot.workdays import Calendar

OPDS = (("DINKES", "Dinas Kesehatan"), ("DISHUB", "Dinas Perhubungan"))
PDF = b"%PDF-1.4\n% demo\n" + b"Laporan Keuangan Pemerintah Daerah 2026\n" * 200
XLSX = b"PK\x03\x04" + b"\x00" * 26 + b"xl/workbook.xml" + b"\x00" * 500


class Script:
    """The people of the demo and what they do, step by step."""

    def __init__(self, fake: FakeTelegram, ctx: Ctx) -> None:
        self.fake, self.ctx = fake, ctx

    async def join(self, uid: int, name: str, role: Role, opd: str | None = None) -> FakePerson:
        """Invite a person through the services; they open the link in their chat."""
        made = await people.invite(self.ctx.db, role=role, opd_code=opd, name=name,
                                   created_by="demo", now=self.ctx.now(),
                                   links=self.ctx.invite_links)  # fmt: skip
        person = self.fake.person(uid, name.split()[-1])
        await flows.accept_invitation(person, made.invitation.token)
        return person

    async def play(self) -> None:
        """The whole round, from the invitations to the publication of both OPDs."""
        async with self.ctx.db.transaction() as uow:
            for code, name in OPDS:
                await uow.opds.upsert(code, name)
            await uow.commit()
        andi = await self.join(101, "Bapak Andi", Role.PEJABAT)
        rina = await self.join(102, "Ibu Rina", Role.UTAMA)
        yusuf = await self.join(103, "Bapak Yusuf", Role.UTAMA)
        sari = await self.join(104, "Ibu Sari", Role.PENDUKUNG, "DINKES")
        joko = await self.join(105, "Bapak Joko", Role.PENDUKUNG, "DISHUB")

        await flows.start_round(andi, "DIP Semester I 2027", 2)

        # Step 1, DINKES: two entries; Rina returns the draft once (step 2), then approves.
        await andi.press("DINKES")
        await andi.wait_for_text("Langkah 1")
        await flows.add_entry_and_return(
            andi, "Laporan Keuangan 2026", "LKPD Dinas Kesehatan tahun 2026", "Berkala"
        )
        await flows.add_entry_and_return(
            andi, "Data Puskesmas", "Daftar puskesmas dan layanannya", "Setiap saat"
        )
        await flows.send_draft(andi)
        await rina.wait_until(lambda m: "Kesehatan" in m.text and "Langkah 2" in m.text)
        await flows.return_draft(rina, "Mohon tambahkan data jumlah tenaga kesehatan")
        await andi.wait_for_text("Dikembalikan dengan catatan")
        await flows.add_entry_and_return(
            andi, "Jumlah Tenaga Kesehatan", "Rekap tenaga kesehatan per puskesmas", "Berkala"
        )
        await flows.send_draft(andi)
        await flows.approve_draft(rina, "Jumlah Tenaga")

        # Step 1 and 2, DISHUB: one entry; Yusuf approves.
        await flows.open_task(andi, "DISHUB")
        await andi.wait_for_text("Langkah 1")
        await flows.add_entry_and_return(
            andi, "Data Trayek Angkutan Kota", "Trayek dan jadwal angkutan kota", "Berkala"
        )
        await flows.send_draft(andi)
        await flows.approve_draft(yusuf, "Perhubungan")

        # Step 3: the OPDs answer.
        await sari.wait_for_text("Langkah 3")
        await sari.send_document("lkpd-2026.pdf", PDF, caption="#1")
        await sari.wait_for_text("entri lengkap")
        await flows.not_held(sari, 2, "Data puskesmas dikelola UPT, bukan Dinas")
        await sari.wait_for_text("tidak dikuasai")
        await sari.send_document("nakes.xlsx", XLSX, caption="#3")
        await sari.wait_for_text("3 dari 3 entri lengkap")
        await flows.open_task(sari, "DINKES")
        await flows.send_documents(sari)
        await joko.wait_for_text("Langkah 3")
        await joko.send_document("trayek.pdf", PDF + b"trayek", caption="#1")
        await joko.wait_for_text("1 dari 1 entri lengkap")
        await flows.finish_and_send_documents(joko)

        # Step 4: Rina returns DINKES entry #3 once; DISHUB is approved at once.
        review = await rina.wait_until(lambda m: "Kesehatan" in m.text and "Langkah 4" in m.text)
        await flows.fetch_document(rina, 1, review)
        await flows.return_entry(
            rina, "#3 Jumlah Tenaga Kesehatan", "Mohon kirim dalam PDF yang ditandatangani", review
        )
        await sari.wait_for_text("ditandatangani")
        await sari.send_document("nakes-ttd.pdf", PDF + b"ttd", caption="#3")
        await sari.wait_for_text("lengkap")
        await flows.finish_and_send_documents(sari)
        await flows.approve_documents(yusuf, "Perhubungan")
        # The returned xlsx was rejected with the return: only the signed PDF is current.
        await flows.approve_documents(
            yusuf, "Tenaga Kesehatan [Berkala] — ✅ 1 dokumen · ❌ 1 dokumen ditolak"
        )

        # Step 5: the Pejabat publishes both cases on the built-in PPID site.
        for code in ("DINKES", "DISHUB"):
            await flows.open_task(andi, code)
            step5 = await andi.wait_until(lambda m: "Langkah 5" in m.text)
            await flows.publish_on_site(andi, step5)


async def run_demo(data_dir: Path | None = None) -> str:
    """Play the demo and return its transcript."""
    with tempfile.TemporaryDirectory(prefix="ppid-demo-") as tmp:
        async with FakeTelegram(bot_username="ppid_demo_bot") as fake:
            # Notices wait for office hours; run after hours, the demo starts its clock at the
            # next opening so that they flow at any time of day.
            opening = Calendar().office_instant(datetime.now(UTC))
            settings = Settings(
                telegram_token=fake.token,  # type: ignore[arg-type]
                telegram_base_url=fake.base_url,
                telegram_base_file_url=fake.base_file_url,
                data_dir=data_dir or Path(tmp),
                clock_start=opening,
            )
            app = build_application(settings, clock=settings_clock(settings), rate_limit=False)
            async with running(app, settings, poll_timeout=1):
                await Script(fake, app.bot_data["ctx"]).play()
            fake.assert_no_protocol_errors()
            return fake.transcript()
