"""Views that do not grow (issue 15, item 2): a staff member's /status, a tap while another
person runs /status, and `status --json`, at 40, 500 and 2,000 OPDs.

The data is generated here, inserted with executemany into a database migrated by the project
(`Database.open`): per OPD one PPID Pendukung, plus the Pejabat PID, two PPID Utama, an Atasan
and an admin. Rounds of 200 entries per case: one round at work (steps 1-5 mixed, 30% of the
deadlines passed), one closed ten days ago (still on /status), and eight closed a year ago
(only in `status --json --all`), without entries.

Each view goes through the project's router (`handlers.router.route`, the function every chat
update reaches) with the bot's real service context, as an update would, without HTTP:

* **/status** of a PPID Utama: median wall time of 11, after one warm-up, and
  the peak of Python's allocations during one more (tracemalloc, every thread).
  Goal: at 2,000 OPDs within 3x of 40.
* **a tap while another person runs /status**: one PPID Pendukung presses "📋 Tugas saya" 40 times
  (one every 20 ms after each answer) while a PPID Utama sends /status in a closed loop; the
  press's time from route to response, p50/p95. Goal: p95 under 300 ms.
* **`status --json`**: `build_status` and `json.dumps` as the command runs them, the default
  (open and recent rounds) and `--all`.

`python -m benchmarks.views [--quick]` (quick: 40 and 500 OPDs).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import random
import sqlite3
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import WIB, Figure, SteppedClock, bench_settings, main, ms, percentile, say
from bot.bootstrap import load_calendar, make_ctx
from bot.channels.base import Event
from bot.cli import report_cmds
from bot.services.context import Ctx
from handlers.router import route
from storage.db import Database
from storage.files import FileStore

NAME = "views"
NOW = datetime(2027, 3, 10, 9, 0, tzinfo=WIB)  # a Wednesday, inside office hours
ENTRIES = 200
OLD_ROUNDS = 8
LATE_SHARE = 0.3
TAPS = 40
UTAMA_ID, PENDUKUNG_OF_FIRST_OPD = "3", "1001"


def seed(path: Path, opds: int) -> None:
    """The organisation and its rounds, written straight into the migrated file."""
    rng = random.Random(15)
    created = (NOW - timedelta(days=400)).isoformat()
    users = [
        ("Admin", "admin", None, "1"),
        ("Pejabat PID", "pejabat_pid", None, "2"),
        ("PPID Utama 1", "ppid_utama", None, UTAMA_ID),
        ("PPID Utama 2", "ppid_utama", None, "4"),
        ("Atasan", "atasan", None, "5"),
    ] + [(f"Pendukung {o}", "ppid_pendukung", o, str(1000 + o)) for o in range(1, opds + 1)]
    rounds = [
        (1 + k, f"DIP {2015 + k}", NOW - timedelta(days=800 - k), NOW - timedelta(days=700 - k))
        for k in range(OLD_ROUNDS)
    ]
    rounds += [(OLD_ROUNDS + 1, "DIP Semester II 2026", NOW - timedelta(days=60),
                NOW - timedelta(days=10)),
               (OLD_ROUNDS + 2, "DIP Semester I 2027", NOW - timedelta(days=9), None)]  # fmt: skip
    cases, tasks, entries = [], [], []
    case_id = entry_id = 0
    for round_id, _, opened, closed in rounds:
        for opd in range(1, opds + 1):
            case_id += 1
            step = rng.randint(1, 5) if closed is None else 6
            cases.append((case_id, round_id, opd, step, opened.isoformat(), iso(closed)))
            if step < 6:
                late = rng.random() < LATE_SHARE
                due = NOW - timedelta(hours=rng.randint(1, 72)) if late else (
                    NOW + timedelta(hours=rng.randint(1, 240)))  # fmt: skip
                tasks.append((case_id, step, opened.isoformat(), due.isoformat()))
            if round_id > OLD_ROUNDS:
                for number in range(1, ENTRIES + 1):
                    entry_id += 1
                    entries.append((entry_id, case_id, number, f"Informasi {number} OPD {opd}",
                                    "Ringkasan informasi publik " * 3, "berkala"))  # fmt: skip
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany("INSERT INTO opds (id, code, name) VALUES (?, ?, ?)",
                         [(o, f"OPD{o:04d}", f"Dinas Contoh {o:04d}") for o in range(1, opds + 1)])  # fmt: skip
        conn.executemany(
            "INSERT INTO users (name, role, opd_id, external_id, chat_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(n, r, o, x, x, created) for n, r, o, x in users],
        )
        conn.executemany(
            "INSERT INTO rounds (id, name, created_by, created_at, closed_at)"
            " VALUES (?, ?, 2, ?, ?)",
            [(r, n, o.isoformat(), iso(c)) for r, n, o, c in rounds],
        )
        conn.executemany(
            "INSERT INTO cases (id, round_id, opd_id, step, created_at, closed_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            cases,
        )
        conn.executemany(
            "INSERT INTO tasks (case_id, step, started_at, due_at) VALUES (?, ?, ?, ?)", tasks
        )
        conn.executemany(
            "INSERT INTO entries (id, case_id, number, title, summary, category, holder,"
            " responsible, made, forms, retention) VALUES (?, ?, ?, ?, ?, ?, 'Sekretariat',"
            " 'Kepala Dinas', '2027, Pontianak', 'softcopy', '5 tahun')",
            entries,
        )
    # Into the database file now, not at the bot's first commit.
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def event(who: str, *, command: str | None = None, button: str | None = None) -> Event:
    return Event(channel="telegram", external_id=who, chat_id=who, private=True,
                 first_name="Uji", command=command, button=button,
                 text=f"/{command}" if command else None)  # fmt: skip


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    began = time.perf_counter()
    await call()
    return time.perf_counter() - began


async def measure(root: Path, opds: int) -> tuple[list[Figure], float, int]:
    figures: list[Figure] = []
    data = root / f"data-{opds}"
    settings = bench_settings(data, "1:x", "http://127.0.0.1:9/bot", "")
    db = await Database.open(settings.database_path)
    await db.close()
    began = time.perf_counter()
    seed(settings.database_path, opds)
    say(f"views: {opds} OPDs seeded in {time.perf_counter() - began:.1f} s")
    db = await Database.open(settings.database_path)
    ctx = make_ctx(settings=settings, db=db, calendar=await load_calendar(settings, db),
                   files=FileStore(settings.documents_dir), clock=SteppedClock(NOW))  # fmt: skip
    files: Any = None  # no view here reads a file a person sent
    status = event(UTAMA_ID, command="status")

    async def staff_status() -> None:
        response = await route(status, ctx, files)
        assert response is not None and response.replies, "no answer to /status"

    await staff_status()  # warm-up (imports, caches, SQLite's pages)
    runs = [await timed(staff_status) for _ in range(11)]
    tracemalloc.start()
    tracemalloc.reset_peak()
    await staff_status()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    figures.append(Figure(NAME, f"staff /status at {opds} OPDs: median; peak memory",
                          f"{ms(statistics.median(runs))}; {peak / 2**20:.1f} MiB"))  # fmt: skip

    taps = await taps_during_status(ctx, files, status)
    figures.append(
        Figure(
            NAME,
            f"tap during another's /status at {opds} OPDs: p50 / p95 (n={len(taps)})",
            f"{ms(percentile(taps, 50))} / {ms(percentile(taps, 95))}",
            "p95 < 300 ms",
            "PASS" if percentile(taps, 95) < 0.3 else "MISS",
        )
    )
    figures += await json_status(ctx, opds)
    await db.close()
    return figures, statistics.median(runs), peak


async def taps_during_status(ctx: Ctx, files: Any, status: Event) -> list[float]:
    """A PPID Pendukung's presses while a PPID Utama runs /status without pause."""
    tap = event(PENDUKUNG_OF_FIRST_OPD, button="tg")
    stop = asyncio.Event()
    statuses = 0

    async def hammer() -> None:
        nonlocal statuses
        while not stop.is_set():
            await route(status, ctx, files)
            statuses += 1

    other = asyncio.create_task(hammer())
    latencies = []
    try:
        await asyncio.sleep(0.05)
        for _ in range(TAPS):
            latencies.append(await timed(lambda: route(tap, ctx, files)))
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await other
    say(f"views: {len(latencies)} taps during {statuses} runs of /status")
    return latencies


async def json_status(ctx: Ctx, opds: int) -> list[Figure]:
    """`status --json` as the command builds it: the default, and every round."""
    figures = []
    takes_all = "every_round" in inspect.signature(report_cmds.build_status).parameters
    variants: list[tuple[str, dict[str, bool]]] = [("default", {})]
    if takes_all:
        variants.append(("--all", {"every_round": True}))
    for label, kwargs in variants:
        sizes: list[int] = []

        async def build(kwargs: dict[str, bool] = kwargs, sizes: list[int] = sizes) -> None:
            async with ctx.db.read() as uow:
                report = await report_cmds.build_status(uow, NOW, WIB, **kwargs)
            sizes.append(len(json.dumps(report, ensure_ascii=False, indent=2)))

        took = await timed(build)
        figures.append(Figure(NAME, f"status --json {label} at {opds} OPDs: time; output",
                              f"{took:.2f} s; {sizes[-1] / 2**20:.1f} MiB"))  # fmt: skip
    return figures


async def run(quick: bool) -> list[Figure]:
    sizes = (40, 500) if quick else (40, 500, 2000)
    figures: list[Figure] = []
    status_of: dict[int, tuple[float, int]] = {}
    with tempfile.TemporaryDirectory(prefix="ppid-views-") as tmp:
        for opds in sizes:
            found, median, peak = await measure(Path(tmp), opds)
            figures += found
            status_of[opds] = (median, peak)
    small, large = status_of[sizes[0]], status_of[sizes[-1]]
    ratio = large[0] / small[0]
    figures.append(Figure(NAME, f"staff /status time, {sizes[-1]} / {sizes[0]} OPDs",
                          f"{ratio:.1f}x (memory {large[1] / max(small[1], 1):.1f}x)", "<= 3x",
                          "PASS" if ratio <= 3 else "MISS"))  # fmt: skip
    return figures


if __name__ == "__main__":
    raise SystemExit(main(NAME, run))
