"""The offline demo: a whole round for two OPDs, played by simulated people against the embedded
fake Bot API and fake WhatsApp Cloud API, printed as one readable transcript of both chat apps.
No token and no network needed.

Everyone is on Telegram except Dinas Perhubungan's PPID Pendukung, who is on WhatsApp: he joins
from the wa.me link's sentence, and as he has been silent for days when his task arrives, it
reaches him as a template whose quick reply opens the full screen (WhatsApp's 24-hour window)."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bot.channels.telegram.application import build_application, running
from bot.channels.whatsapp.channel import WhatsAppChannel
from bot.config import Settings
from bot.fakeapi import flows
from bot.fakeapi.people import FakePerson
from bot.fakeapi.server import FakeTelegram
from bot.fakeapi.transcript import render_entry as telegram_line
from bot.fakeapi.whatsapp import FakeWhatsApp, FakeWhatsAppPerson
from bot.fakeapi.whatsapp.harness import approve_bot_templates, free_port
from bot.fakeapi.whatsapp.transcript import render_entry as whatsapp_line
from bot.formatting import instant
from bot.scheduler import Scheduler
from bot.services import people
from bot.services.context import Ctx
from bot.sop import Role
from bot.texts import plain
from bot.workdays import Calendar
from storage.db import Database

OPDS = (("DINKES", "Dinas Kesehatan"), ("DISHUB", "Dinas Perhubungan"))
PDF = b"%PDF-1.4\n% demo\n" + b"Laporan Keuangan Pemerintah Daerah 2026\n" * 200
XLSX = b"PK\x03\x04" + b"\x00" * 26 + b"xl/workbook.xml" + b"\x00" * 500
JOKO_NUMBER = "6281345670105"
WEBHOOK_VERIFY_TOKEN = "demo-verify-token"


class DemoClock:
    """The bot's and the fake Cloud API's clock: it starts at an office opening and runs at
    normal speed; `skip_to` jumps forward when the story lets days pass."""

    def __init__(self, start: datetime) -> None:
        self._start, self._began = start, time.monotonic()

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._began)

    def skip_to(self, when: datetime) -> None:
        self._start += max(when - self(), timedelta(0))


@dataclass(frozen=True)
class Scene:
    """A line of the story in the transcript, between the conversations (e.g. days passing)."""

    text: str
    monotonic: float


class Script:
    """The people of the demo and what they do, step by step."""

    def __init__(
        self, fake: FakeTelegram, wa: FakeWhatsApp, ctx: Ctx, scheduler: Scheduler,
        clock: DemoClock,
    ) -> None:  # fmt: skip
        self.fake, self.wa, self.ctx = fake, wa, ctx
        self.scheduler, self.clock = scheduler, clock
        self.scenes: list[Scene] = []

    async def join(self, uid: int, name: str, role: Role, opd: str | None = None) -> FakePerson:
        """Invite a person through the services; they open the link in their chat."""
        made = await people.invite(self.ctx.db, role=role, opd_code=opd, name=name,
                                   created_by="demo", now=self.ctx.now(),
                                   links=self.ctx.invite_links)  # fmt: skip
        person = self.fake.person(uid, name.split()[-1])
        await flows.accept_invitation(person, made.invitation.token)
        return person

    async def join_wa(self, number: str, name: str, role: Role, opd: str) -> FakeWhatsAppPerson:
        """Invite a person through the services; they open the invitation's wa.me link, which
        types its sentence for them, and press send."""
        made = await people.invite(self.ctx.db, role=role, opd_code=opd, name=name,
                                   created_by="demo", now=self.ctx.now(),
                                   links=self.ctx.invite_links)  # fmt: skip
        link = next(link for link in made.links if link.startswith("https://wa.me/"))
        person = self.wa.person(number, name.split()[-1])
        await person.send(parse_qs(urlsplit(link).query)["text"][0])
        await person.wait_for_text("Selamat bergabung")
        return person

    async def days_pass(self, days: int) -> None:
        """The story jumps to the first office hour at least `days` days later (a weekend may
        make it more); the sweep and the dispatcher run at once, as their jobs would."""
        calendar = self.ctx.calendar
        today = calendar.local(self.clock()).date()
        later = calendar.office_instant(self.clock() + timedelta(days=days))
        self.clock.skip_to(later)
        passed = (later.date() - today).days
        scene = plain("demo-days-later", days=passed, when=instant(later))
        self.scenes.append(Scene(scene, time.monotonic()))
        await self.scheduler.tick()

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
        joko = await self.join_wa(JOKO_NUMBER, "Bapak Joko", Role.PENDUKUNG, "DISHUB")

        # The round starts days after the invitations: by then Joko's 24-hour window is closed.
        await self.days_pass(2)
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

        # Step 3: the OPDs answer; Sari on Telegram, Joko on WhatsApp.
        await sari.wait_for_text("Langkah 3")
        await sari.send_document("lkpd-2026.pdf", PDF, caption="#1")
        await sari.wait_for_text("entri lengkap")
        await flows.not_held(sari, 2, "Data puskesmas dikelola UPT, bukan Dinas")
        await sari.wait_for_text("tidak dikuasai")
        await sari.send_document("nakes.xlsx", XLSX, caption="#3")
        await sari.wait_for_text("3 dari 3 entri lengkap")
        await flows.open_task(sari, "DINKES")
        await flows.send_documents(sari)
        await self.answer_on_whatsapp(joko)

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
        await joko.wait_for_text("sudah diterbitkan")

    async def answer_on_whatsapp(self, joko: FakeWhatsAppPerson) -> None:
        """Step 3 for DISHUB on WhatsApp: the task came as a template (Joko silent for days); its
        quick reply opens the full screen; the entry, its document, then on to the PPID Utama."""
        await joko.wait_until(lambda m: m.template is not None and "Langkah 3" in m.text)
        await joko.press("Buka tugas")
        await joko.wait_for_text("0 dari 1 entri lengkap")
        await joko.press("⬜ #1")
        entry = await joko.wait_until(lambda m: "Kirim dokumen" in str(m.buttons + m.rows))
        await joko.press_in(entry, "📎 Kirim dokumen")
        await joko.wait_for_text("Silakan kirim dokumen untuk entri #1")
        await joko.send_document(PDF + b"trayek", "trayek.pdf", "application/pdf")
        await joko.wait_for_text("1 dari 1 entri lengkap")
        await joko.press("✅ Selesai")
        await joko.wait_until(lambda m: "Kirim ke PPID Utama" in str(m.buttons + m.rows))
        # The button's symbol is dropped to fit WhatsApp's 20 characters.
        await joko.press("Kirim ke PPID Utama")
        await joko.wait_for_text("dikirim ke PPID Utama")


def merged_transcript(
    tg: FakeTelegram, wa: FakeWhatsApp, scenes: list[Scene], bot_name: str
) -> str:
    """Both chat apps' conversations and the story's scenes, in the order they happened."""
    lines = [(e.monotonic, telegram_line(e, bot_name)) for e in tg.events]
    lines += [(e.monotonic, whatsapp_line(e, bot_name)) for e in wa.entries]
    lines += [(s.monotonic, s.text) for s in scenes]
    ordered = [text for _, text in sorted(lines, key=lambda line: line[0])]
    return "\n".join([plain("demo-legend"), "", *ordered])


class DemoNeedsEmptyDatabase(RuntimeError):
    """The demo writes its own people and cases: it never runs on a database in use."""


async def run_demo(data_dir: Path | None = None, database_url: str | None = None) -> str:
    """Play the demo and return its transcript: on a SQLite file of its own, or (with
    `database_url`) on a PostgreSQL database, which must be empty (`DemoNeedsEmptyDatabase`)."""
    if database_url is not None:
        await _check_empty(database_url)
    with tempfile.TemporaryDirectory(prefix="ppid-demo-") as tmp:
        # Notices wait for office hours; run after hours, the demo starts its clock at the
        # next opening so that they flow at any time of day.
        clock = DemoClock(Calendar().office_instant(datetime.now(UTC)))
        async with (
            FakeTelegram(bot_username="ppid_demo_bot") as fake,
            FakeWhatsApp(clock=clock) as wa,
        ):
            approve_bot_templates(wa)
            port = free_port()
            settings = Settings(
                telegram_token=fake.token,  # type: ignore[arg-type]
                telegram_base_url=fake.base_url,
                telegram_base_file_url=fake.base_file_url,
                data_dir=data_dir or Path(tmp),
                whatsapp_token=wa.token,  # type: ignore[arg-type]
                whatsapp_phone_number_id=wa.phone_number_id,
                whatsapp_app_secret=wa.app_secret,  # type: ignore[arg-type]
                whatsapp_verify_token=WEBHOOK_VERIFY_TOKEN,  # type: ignore[arg-type]
                whatsapp_number=wa.number,
                whatsapp_api_url=wa.api_url,
                whatsapp_business_account_id=wa.waba_id,
                webhook_listen="127.0.0.1",
                webhook_port=port,
                database_url=database_url,  # type: ignore[arg-type]
            )
            app = build_application(settings, clock=clock, rate_limit=False,
                                    also=[WhatsAppChannel(settings)])  # fmt: skip
            async with running(app, settings, poll_timeout=1):
                await wa.deliver_to(f"http://127.0.0.1:{port}/whatsapp",
                                    verify_token=WEBHOOK_VERIFY_TOKEN)  # fmt: skip
                script = Script(fake, wa, app.bot_data["ctx"], app.bot_data["scheduler"], clock)
                await script.play()
                await wa.settled()
            fake.assert_no_protocol_errors()
            assert not wa.protocol_errors, wa.protocol_errors
            return merged_transcript(fake, wa, script.scenes, fake.bot_user.first_name)


async def _check_empty(database_url: str) -> None:
    db = await Database.open(database_url)
    try:
        async with db.read() as uow:
            if await uow.users.all() or await uow.opds.all():
                raise DemoNeedsEmptyDatabase(database_url)
    finally:
        await db.close()
