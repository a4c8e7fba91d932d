"""Another person's answer while the bot imports the largest accepted spreadsheet and rebuilds the
site: does one person's heavy work stall everyone?

The bot runs as a child process (`python -m bot run --no-demo`), as deployed, against the fake
Bot API in this process. Prepared through the services before it starts: 20 OPDs whose cases (10
entries, each with a PDF) are approved into step 5, 19 of them published on the built-in site; a
round for DINKES in step 1; two Pejabat PID and one PPID Pendukung.

Measured: the PPID Pendukung sends /bantuan, waits for the answer, sends it again (a closed loop,
send → answer visible), while the first Pejabat PID attaches the largest accepted spreadsheet (2,000
rows with every column filled to its limit, just under 5 MB) to the DINKES draft and presses
"import", and the second publishes the 20th case, which rebuilds the site (200 entries and their
documents). Reported: p50/p95/max of the /bantuan answers while that work is in progress, and how
long the import offer, the import and the publication took. An unmeasured /bantuan goes first.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl

from benchmarks.common import Figure, ms, percentile, say, verdict
from bot.bootstrap import load_calendar, make_ctx
from bot.channels.base import IncomingFile
from bot.config import Settings
from bot.fakeapi import flows
from bot.fakeapi.people import FakePerson
from bot.fakeapi.server import FakeTelegram
from bot.services import cases, drafting, opd_work, publication, review, uploads
from bot.sop import Role
from bot.spreadsheets import MAX_BYTES, MAX_ROWS, template_xlsx
from storage.db import Database
from storage.files import FileStore

NAME = "stall"
WIB = ZoneInfo("Asia/Pontianak")
T0 = datetime(2027, 3, 1, 8, 0, tzinfo=WIB)  # Monday, office hours
IMPORTER, PUBLISHER, UTAMA, OTHER = 9001, 9002, 9003, 9004
OPDS, ENTRIES = 20, 10
TARGET_P95_S = 0.3


class _Bytes:
    """A FileSource of one in-memory file (the services' upload path, without a chat)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def chunks(self, file_id: str) -> AsyncIterator[bytes]:
        yield self._data


def largest_spreadsheet() -> bytes:
    """The DIP template with MAX_ROWS valid rows, every column near its limit, under MAX_BYTES."""
    book = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    sheet = book["DIP"]
    rng = random.Random(7)  # text that neither repeats (shared strings) nor compresses well
    letters = "abcdefghijklmnopqrstuvwxyz     "
    for i in range(1, MAX_ROWS + 1):
        text = "".join(rng.choices(letters, k=990)).strip()
        sheet.append([i, f"Judul {i} " + text[:180], text, "berkala", text[:290], text[:290],
                      f"2026, Pontianak {text[:250]}", "cetak, softcopy", text[:290]])  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    assert len(data) <= MAX_BYTES, len(data)
    return data


async def prepare(settings: Settings) -> None:
    """The people, 20 cases in step 5 (19 published), and DINKES's case in step 1."""
    db = await Database.open(settings.database_path)
    try:
        ctx = make_ctx(settings=settings, db=db, calendar=await load_calendar(settings, db),
                  files=FileStore(settings.documents_dir), clock=lambda: T0)  # fmt: skip
        async with db.transaction() as uow:
            for i in range(OPDS):
                await uow.opds.upsert(f"OPD{i:02d}", f"Dinas Contoh {i:02d}")
            await uow.opds.upsert("DINKES", "Dinas Kesehatan")
            opd_ids = {o.code: o.id for o in await uow.opds.all()}
            people = [
                (IMPORTER, Role.PEJABAT, None),
                (PUBLISHER, Role.PEJABAT, None),
                (UTAMA, Role.UTAMA, None),
                (OTHER, Role.PENDUKUNG, opd_ids["DINKES"]),
            ]
            people += [(9100 + i, Role.PENDUKUNG, opd_ids[f"OPD{i:02d}"]) for i in range(OPDS)]  # fmt: skip
            for uid, role, opd in people:
                await uow.users.add(name=f"Orang {uid}", role=role, opd_id=opd,
                                    channel="telegram", external_id=str(uid), chat_id=str(uid),
                                    now=T0)  # fmt: skip
            users = {int(u.external_id or 0): u for u in await uow.users.all()}
            await uow.commit()
        pejabat, utama = users[PUBLISHER], users[UTAMA]
        views = await cases.create_round(ctx, pejabat, "DIP 2027",
                                         [opd_ids[f"OPD{i:02d}"] for i in range(OPDS)])  # fmt: skip
        for i, view in enumerate(sorted(views, key=lambda v: v.opd.code)):
            case_id = view.case.id
            for n in range(ENTRIES):
                await drafting.add_entry(ctx, pejabat, case_id, f"Dokumen {n} OPD{i:02d}",
                                         "Ringkasan", 0)  # fmt: skip
            v = await cases.view(ctx, case_id)
            await drafting.send_to_utama(ctx, pejabat, case_id, v.case.version)
            v = await cases.view(ctx, case_id)
            await review.approve_step2(ctx, utama, case_id, v.case.version)
            v = await cases.view(ctx, case_id)
            officer = users[9100 + i]
            for e in v.entries:
                pdf = b"%PDF-1.4\n" + os.urandom(200_000)
                await uploads.receive(ctx, officer, _Bytes(pdf),  # type: ignore[arg-type]
                                      IncomingFile(f"f{e.id}", f"dokumen-{e.id}.pdf",
                                                   "application/pdf", len(pdf)),
                                      case_id=case_id, entry_id=e.id)  # fmt: skip
            v = await cases.view(ctx, case_id)
            await opd_work.send_to_utama(ctx, officer, case_id, v.case.version)
            v = await cases.view(ctx, case_id)
            await review.approve_step4(ctx, utama, case_id, v.case.version)
            if i < OPDS - 1:
                v = await cases.view(ctx, case_id)
                await publication.publish_to_site(ctx, pejabat, case_id, v.case.version)
        await cases.create_round(ctx, users[IMPORTER], "DIP DINKES", [opd_ids["DINKES"]])
        async with db.transaction() as uow:  # the notices of the preparation: not measured
            for row in await uow.outbox.listing(("pending",)):
                await uow.outbox.mark_sent(row.id, T0)
            await uow.commit()
    finally:
        await db.close()


def bot_env(fake: FakeTelegram, data_dir: Path, home: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "PPID_TELEGRAM_TOKEN": fake.token,
        "PPID_TELEGRAM_BASE_URL": fake.base_url,
        "PPID_TELEGRAM_BASE_FILE_URL": fake.base_file_url,
        "PPID_BOT_USERNAME": "ppid_bench_bot",
        "PPID_DATA_DIR": str(data_dir),
        "PPID_CLOCK_START": (T0 + timedelta(minutes=5)).isoformat(),
        "PPID_LOG_LEVEL": "WARNING",
    }


async def bantuan(person: FakePerson) -> float:
    began = time.perf_counter()
    await person.send("/bantuan")
    await person.wait_for_text("Sebagai PPID Pendukung", timeout=600)
    return time.perf_counter() - began


async def run(quick: bool) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="ppid-stall-") as tmp:
        home = Path(tmp)
        data_dir = home / "data"
        async with FakeTelegram() as fake:
            settings = Settings(data_dir=data_dir)
            say("stall: preparing 20 cases in step 5 (19 published) ...")
            await prepare(settings)
            sheet = largest_spreadsheet()
            importer = fake.person(IMPORTER, "Andi", started=True)
            publisher = fake.person(PUBLISHER, "Budi", started=True)
            other = fake.person(OTHER, "Sari", started=True)
            with (home / "bot.log").open("wb") as log:
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot", "run", "--no-demo",
                    env=bot_env(fake, data_dir, home), cwd=home, stdout=log, stderr=log,
                )  # fmt: skip
                try:
                    return await measure(importer, publisher, other, sheet)
                except BaseException:
                    print((home / "bot.log").read_text()[-3000:], file=sys.stderr)
                    raise
                finally:
                    with contextlib.suppress(ProcessLookupError):
                        proc.terminate()
                    await proc.wait()


async def measure(
    importer: FakePerson, publisher: FakePerson, other: FakePerson, sheet: bytes
) -> list[Figure]:
    await flows.open_task(publisher, f"OPD{OPDS - 1:02d}")
    step5 = await publisher.wait_until(
        lambda m: flows.PUBLISH_ON_SITE in str(m.buttons), timeout=60
    )
    await bantuan(other)  # warm-up, unmeasured
    await flows.open_task(importer, "DINKES")
    await importer.wait_for_text("Belum ada entri")
    say("stall: importing the largest spreadsheet while the site is rebuilt ...")
    times: dict[str, float] = {}

    async def importing() -> None:
        began = time.perf_counter()
        await flows.attach_draft(importer, "dip-terbesar.xlsx", sheet)
        await importer.wait_for_text(f"{MAX_ROWS} baris siap diimpor", timeout=600)
        times["offer"] = time.perf_counter() - began
        began = time.perf_counter()
        await importer.press(f"📥 Impor {MAX_ROWS} baris yang valid")
        await importer.wait_for_text(f"{MAX_ROWS} entri diimpor", timeout=600)
        times["import"] = time.perf_counter() - began

    async def publishing() -> None:
        began = time.perf_counter()
        await flows.publish_on_site(publisher, step5)
        times["publish"] = time.perf_counter() - began

    work = asyncio.gather(importing(), publishing())
    latencies: list[float] = []
    while not work.done():
        latencies.append(await bantuan(other))
    await work
    p50, p95 = statistics.median(latencies), percentile(latencies, 95)
    b = NAME
    return [
        Figure(b, f"/bantuan answered during the work ({len(latencies)} in a closed loop), p50",
               ms(p50)),
        Figure(b, "... p95", ms(p95), f"< {ms(TARGET_P95_S)}", verdict(p95 < TARGET_P95_S)),
        Figure(b, "... slowest", ms(max(latencies))),
        Figure(b, f"import offer of {MAX_ROWS} full rows ({len(sheet) / 1e6:.1f} MB)",
               f"{times['offer']:.1f} s"),
        Figure(b, "import after the press", f"{times['import']:.1f} s"),
        Figure(b, f"publication with the site rebuild ({OPDS * ENTRIES} entries)",
               f"{times['publish']:.1f} s"),
    ]  # fmt: skip


if __name__ == "__main__":
    from benchmarks.common import main

    raise SystemExit(main(NAME, run))
