"""Publishing on the built-in DIP site at 40, 500 and 2,000 OPDs of 50 published entries each
(issue 15): how soon a publication is live, how long the bot's database is held meanwhile, and
what `web build` costs when nothing changed against a full build.

The data is generated here, in a real SQLite file and document store: one closed round in which
every OPD published 50 entries with one document each (rows inserted directly; each document a
small file of its own in the content-addressed store), and the site built in full from it. Then
an OPD in the middle of the alphabet (its pages sort between the others') goes through a new
round by the services, 50 entries with a document each, to step 5. Measured, with the running
bot's background updates connected (`connect_site`, the real child process of `bot.heavy`):

* **the start's catch-up**: connecting the background updates (as the bot does when it
  starts) runs one update, which finds nothing changed; it is waited for before the press
  (in the figures measured before 2026-11-27 the press waited behind it);
* **the press**: `publish_to_site` (what the step 5 button does) until it returns;
* **publish-to-live**: from the press until `web/current` points at a generation with the new
  entries (polled every 5 ms);
* **the longest lock held**: the longest unit of work or read of the bot's database from the
  press until the update finished (every other person's answer waits behind it);
* **`web build` with nothing changed** (incremental, the default) against **`web build
  --full`** of the same register;
* the **CPU time** of those two builds, and of the publication's update itself (its 50
  entries taken off the register and the site updated, then put back and the site updated
  again: the second is measured), run again in the benchmark's own process: on a machine
  shared with other work the wall times above are mostly waiting for a core, this is not.

Goals: at 500 OPDs (25,000 entries) live within 5 s with no lock held 100 ms or more; `web
build` with nothing changed under a quarter of a full build. `--quick` uses 40 and 100 OPDs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

from benchmarks.common import OFFICE_MORNING, Figure, RunningClock, main, ms, say, verdict
from bot.bootstrap import load_calendar, make_ctx
from bot.channels.base import IncomingFile
from bot.config import Settings
from bot.models import User
from bot.services import cases, drafting, opd_work, publication, review, uploads
from bot.services.context import Ctx
from bot.services.register import _build_site, connect_site, rebuild_site
from storage.db import Database
from storage.files import FileStore
from storage.uow import UnitOfWork

NAME = "bench_publish"
SIZES = (40, 500, 2000)
QUICK_SIZES = (40, 100)
PER_OPD = 50
GOAL_SIZE = 500  # 25,000 entries: the size the goals are set at
LIVE_GOAL_S = 5.0
LOCK_GOAL_S = 0.100
UNCHANGED_GOAL = 0.25  # of a full build

_WORDS = (
    *("laporan", "keuangan", "anggaran", "realisasi", "program", "kegiatan", "rencana"),
    *("strategis", "kinerja", "pelayanan", "publik", "kesehatan", "pendidikan", "jalan"),
    *("jembatan", "drainase", "banjir", "sampah", "air", "bersih", "sekolah", "puskesmas"),
    *("perizinan", "investasi", "pasar", "tenaga", "kerja", "sosial", "bantuan", "pangan"),
)


class Pdf:
    """A file source: a small PDF of its own for each entry."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def chunks(self, file_id: str) -> AsyncIterator[bytes]:
        yield self.data


def seed(settings: Settings, opds: int) -> None:
    """Every OPD with 50 published entries (one document each) in a closed round; the people
    of the new round; the documents in the store."""
    rng = random.Random(15)
    created = (OFFICE_MORNING - timedelta(days=90)).isoformat()
    published = (OFFICE_MORNING - timedelta(days=60)).isoformat()
    store = FileStore(settings.documents_dir)
    categories = ("berkala", "berkala", "setiap_saat", "serta_merta")
    entries, documents = [], []
    for opd in range(1, opds + 1):
        for n in range(1, PER_OPD + 1):
            entry_id = (opd - 1) * PER_OPD + n
            title = " ".join(rng.sample(_WORDS, 5)).capitalize() + f" {2020 + n % 7}"
            summary = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(20, 60))) + "."
            entries.append(
                (entry_id, opd, n, title, summary.capitalize(), categories[entry_id % 4],
                 "Sekretariat", "Kepala Dinas", "Januari 2026, Pontianak", "Softcopy",
                 "5 tahun", f"informasi/{entry_id}.html", published)
            )  # fmt: skip
            data = b"%PDF-1.4\n" + f"dokumen {entry_id}\n".encode() + b"%%EOF\n"
            sha = _put(store, data)
            documents.append(
                (entry_id, opd, entry_id, sha, len(data), f"dokumen-{entry_id}.pdf", created)
            )
    conn = sqlite3.connect(settings.database_path)
    with conn:
        conn.executemany(
            "INSERT INTO opds (id, code, name) VALUES (?, ?, ?)",
            [(i, f"OPD{i:04d}", f"Dinas Contoh {i:04d}") for i in range(1, opds + 1)],
        )
        middle = opds // 2
        conn.executemany(
            "INSERT INTO users (id, name, role, opd_id, external_id, chat_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (1, "Admin", "admin", None, "1", "1", created),
                (2, "Pejabat PID", "pejabat_pid", None, "2", "2", created),
                (3, "PPID Utama", "ppid_utama", None, "3", "3", created),
                (4, "Pendukung", "ppid_pendukung", middle, "4", "4", created),
            ],
        )
        conn.execute(
            "INSERT INTO rounds (id, name, created_by, created_at, closed_at)"
            " VALUES (1, 'DIP Semester II 2026', 2, ?, ?)",
            (created, published),
        )
        conn.executemany(
            "INSERT INTO cases (id, round_id, opd_id, step, created_at, closed_at)"
            " VALUES (?, 1, ?, 6, ?, ?)",
            [(i, i, created, published) for i in range(1, opds + 1)],
        )
        conn.executemany(
            "INSERT INTO entries (id, case_id, number, title, summary, category, holder,"
            " responsible, made, forms, retention, resolution, review, published_url,"
            " published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'documents', 'approved',"
            " ?, ?)",
            entries,
        )
        conn.executemany(
            "INSERT INTO documents (id, case_id, entry_id, step, sha256, size, mime, name,"
            " uploaded_by, uploaded_at) VALUES (?, ?, ?, 3, ?, ?, 'application/pdf', ?, 4, ?)",
            documents,
        )
    conn.close()


def _put(store: FileStore, data: bytes) -> str:
    """A document into the store, as the bot keeps it (by its SHA-256)."""
    sha = hashlib.sha256(data).hexdigest()
    path = store.path_for(sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return sha


@contextlib.contextmanager
def lock_holds(db: Database) -> Iterator[list[float]]:
    """How long each unit of work and each read held the bot's database."""
    held: list[float] = []
    transaction, read = db.transaction, db.read

    def timed(open_: object) -> object:
        @contextlib.asynccontextmanager
        async def hold() -> AsyncIterator[UnitOfWork]:
            async with open_() as uow:  # type: ignore[operator]
                began = time.perf_counter()
                try:
                    yield uow
                finally:
                    held.append(time.perf_counter() - began)

        return hold

    setattr(db, "transaction", timed(transaction))  # noqa: B010
    setattr(db, "read", timed(read))  # noqa: B010
    try:
        yield held
    finally:
        delattr(db, "transaction")
        delattr(db, "read")


async def user(db: Database, user_id: int) -> User:
    async with db.read() as uow:
        found = await uow.users.get(user_id)
    assert found is not None
    return found


async def case_at_step5(ctx: Ctx, opd_id: int) -> tuple[int, int]:
    """The middle OPD's new round, by the services, to step 5; (case, version)."""
    pejabat, utama, pendukung = [await user(ctx.db, i) for i in (2, 3, 4)]
    [v] = await cases.create_round(ctx, pejabat, "DIP Semester I 2027", [opd_id])
    case_id = v.case.id
    for n in range(1, PER_OPD + 1):
        await drafting.add_entry(ctx, pejabat, case_id, f"Informasi baru {n} tahun 2027",
                                 "Ringkasan informasi yang baru diterbitkan.", n % 3)  # fmt: skip
    v = await cases.view(ctx, case_id)
    await drafting.send_to_utama(ctx, pejabat, case_id, v.case.version)
    v = await cases.view(ctx, case_id)
    await review.approve_step2(ctx, utama, case_id, v.case.version)
    v = await cases.view(ctx, case_id)
    for e in v.entries:
        data = b"%PDF-1.4\n" + f"baru {e.id}\n".encode() + b"%%EOF\n"
        await uploads.receive(
            ctx, pendukung, Pdf(data),
            IncomingFile(file_id=f"f{e.id}", name=f"baru-{e.number}.pdf",
                         mime="application/pdf", size=len(data)),
            case_id=case_id, entry_id=e.id,
        )  # fmt: skip
    v = await cases.view(ctx, case_id)
    await opd_work.send_to_utama(ctx, pendukung, case_id, v.case.version)
    v = await cases.view(ctx, case_id)
    await review.approve_step4(ctx, utama, case_id, v.case.version)
    v = await cases.view(ctx, case_id)
    return case_id, v.case.version


def update_cpu(settings: Settings, case_id: int) -> float:
    """The CPU time of the update that publishes the case, run again in this process: its
    entries out of the public register (an update), then back (the update measured)."""
    conn = sqlite3.connect(settings.database_path)
    try:
        published = conn.execute(
            "SELECT id, published_url FROM entries WHERE case_id = ?", (case_id,)
        ).fetchall()
        with conn:
            conn.execute("UPDATE entries SET published_url = NULL WHERE case_id = ?", (case_id,))
        build_cpu(settings, full=False)
        with conn:
            conn.executemany(
                "UPDATE entries SET published_url = ? WHERE id = ?",
                [(url, entry_id) for entry_id, url in published],
            )
    finally:
        conn.close()
    return build_cpu(settings, full=False)


def build_cpu(settings: Settings, *, full: bool) -> float:
    """The CPU time (every thread of this process) of one build, run here, not in a child."""
    began = time.process_time()
    _build_site(
        settings.web_dir, settings.public_base_url, settings.database_path,
        settings.documents_dir, RunningClock()(), full,
    )  # fmt: skip
    return time.process_time() - began


async def watch_swap(current: Path, before: str, began: float) -> float:
    """Seconds from `began` until `current` points elsewhere than `before`."""
    while True:
        with contextlib.suppress(OSError):
            if os.readlink(current) != before:  # noqa: PTH115 - a syscall, no thread hop
                return time.perf_counter() - began
        await asyncio.sleep(0.005)


async def one_size(opds: int, tmp: Path) -> list[Figure]:
    label = f"{opds} OPDs ({opds * PER_OPD:,} entries)"
    settings = Settings(data_dir=tmp / "data", public_base_url="https://ppid.example.go.id/dip")
    db = await Database.open(settings.database_path)
    await db.close()
    say(f"{label}: generating the register")
    seed(settings, opds)
    db = await Database.open(settings.database_path)
    ctx = make_ctx(settings=settings, db=db, calendar=await load_calendar(settings, db),
                   files=FileStore(settings.documents_dir), clock=RunningClock())  # fmt: skip
    try:
        say(f"{label}: the first (full) build")
        began = time.perf_counter()
        await rebuild_site(ctx, full=True)
        first_full = time.perf_counter() - began
        case_id, version = await case_at_step5(ctx, opds // 2)
        # The bot's start catches up with the register (nothing to change here): measured on
        # its own, and out of the way of the press, which would otherwise wait behind it.
        began = time.perf_counter()
        connect_site(ctx)
        assert await ctx.site.idle(), "the catch-up at the start failed"
        catch_up = time.perf_counter() - began
        current = settings.web_dir / "current"
        before = str(current.readlink())
        say(f"{label}: publishing one OPD's case of {PER_OPD} entries")
        with lock_holds(db) as held:
            began = time.perf_counter()
            swapped = asyncio.create_task(watch_swap(current, before, began))
            pejabat = await user(db, 2)
            await publication.publish_to_site(ctx, pejabat, case_id, version)
            press = time.perf_counter() - began
            live = await swapped
            assert await ctx.site.idle(), "the background update failed"
            settled = time.perf_counter() - began
        longest = max(held)
        say(f"{label}: web build with nothing changed, then --full")
        began = time.perf_counter()
        unchanged_report = await rebuild_site(ctx)
        unchanged = time.perf_counter() - began
        began = time.perf_counter()
        await rebuild_site(ctx, full=True)
        full = time.perf_counter() - began
        # The same two builds in this process, for their CPU time (all threads): what the wall
        # times above would be on an idle machine, short of the waits for the disk.
        say(f"{label}: the same builds in this process, for their CPU time")
        cpu_unchanged = build_cpu(settings, full=False)
        cpu_full = build_cpu(settings, full=True)
        cpu_update = update_cpu(settings, case_id)
    finally:
        await ctx.site.close()
        await db.close()
    at_goal = opds == GOAL_SIZE
    ratio = unchanged / full
    return [
        Figure(NAME, f"{label}: first full build", ms(first_full)),
        Figure(NAME, f"{label}: the start's catch-up, nothing changed", ms(catch_up)),
        Figure(NAME, f"{label}: publish press answered", ms(press)),
        Figure(
            NAME,
            f"{label}: publish-to-live",
            ms(live),
            f"< {LIVE_GOAL_S:.0f} s" if at_goal else "-",
            verdict(live < LIVE_GOAL_S) if at_goal else "info",
        ),
        Figure(NAME, f"{label}: background update finished", ms(settled)),
        Figure(NAME, f"{label}: CPU of the publication's update", ms(cpu_update)),
        Figure(
            NAME,
            f"{label}: longest lock held ({len(held)} holds)",
            ms(longest),
            f"< {LOCK_GOAL_S * 1000:.0f} ms",
            verdict(longest < LOCK_GOAL_S),
        ),
        Figure(
            NAME,
            f"{label}: web build, nothing changed ({unchanged_report.rendered} written)",
            ms(unchanged),
        ),
        Figure(NAME, f"{label}: web build --full", ms(full)),
        Figure(
            NAME,
            f"{label}: CPU of a build, nothing changed / full",
            f"{ms(cpu_unchanged)} / {ms(cpu_full)}",
        ),
        Figure(
            NAME,
            f"{label}: nothing changed / full",
            f"{ratio:.2f}",
            f"< {UNCHANGED_GOAL}",
            verdict(ratio < UNCHANGED_GOAL),
        ),
    ]


async def run(quick: bool) -> list[Figure]:
    figures: list[Figure] = []
    for opds in QUICK_SIZES if quick else SIZES:
        tmp = Path(tempfile.mkdtemp(prefix="ppid-bench-publish-"))
        try:
            figures += await one_size(opds, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return figures


if __name__ == "__main__":
    sys.exit(main(NAME, run))
