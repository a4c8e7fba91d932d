"""The first sweep of the day at 1,000,000 open tasks (issue 15, item 4): how long does any unit
of work hold the database, the sweep's and the digest's?

The data is generated here and inserted with executemany into a database migrated by the
project: 1,000 OPDs with two PPID Pendukung each, five staff, 1,000 rounds, one case per round
and OPD, each with one open task (steps mixed; 70% of the deadlines passed). Every task was
planned the evening before (`notified_until`, and its `next_notice_at` at a later opening), but
for 1,000 of them, whose next notice is this morning's opening. The day's digest is not decided
yet.

At 07:30 WIB (a Tuesday) the project's `sweep` runs: it plans those 1,000 tasks and decides the
digest. Then one pass of the real `Dispatcher` with a sender that only counts: the digest of the
four staff who get one lists every open task due by tonight (about 700,000), one page each.
Every hold of the database's lock is timed, by units of work (`transaction`) and reads under
the lock (`read`), over the sweep and over the dispatcher's pass; the reads beside the lock
(`read_aside`, where this version has it) are timed apart: they keep nobody waiting. Goal: no
unit over 100 ms.

`python -m benchmarks.morning [--quick]` (quick: 100,000 tasks).
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import WIB, Figure, SteppedClock, bench_settings, main, ms, percentile, say
from benchmarks.sweep import CountingSender
from bot.bootstrap import load_calendar, make_ctx
from bot.dispatcher import Dispatcher
from bot.services.context import Ctx
from bot.services.sweep import sweep
from bot.sop import STEPS
from handlers import notices
from storage.base import instant
from storage.db import Database
from storage.files import FileStore

NAME = "morning"
MORNING = datetime(2027, 4, 13, 7, 30, tzinfo=WIB)  # Tuesday's opening
OPDS = 1000
PLANNED_THIS_MORNING = 1000
OVERDUE_SHARE = 0.7
STEP_WEIGHTS = {1: 15, 2: 15, 3: 40, 4: 15, 5: 15}


def morning_rows(tasks: int) -> dict[str, tuple[str, list[tuple[Any, ...]]]]:
    """`benchmarks.morning`'s organisation and open tasks, every instant in the one convention
    (`storage.base.instant`): table -> (columns, rows)."""
    rng = random.Random(15)
    created = instant(MORNING - timedelta(days=60))
    evening = instant(MORNING - timedelta(hours=15, minutes=30))
    this_morning = instant(MORNING)
    later = instant(MORNING + timedelta(days=1))
    users = [
        ("Admin", "admin", None, "1"),
        ("Pejabat PID", "pejabat_pid", None, "2"),
        ("PPID Utama 1", "ppid_utama", None, "3"),
        ("PPID Utama 2", "ppid_utama", None, "4"),
        ("Atasan", "atasan", None, "5"),
    ] + [
        (f"Pendukung {o}.{k}", "ppid_pendukung", o, str(100 + o * 10 + k))
        for o in range(1, OPDS + 1)
        for k in (1, 2)
    ]
    rounds = -(-tasks // OPDS)
    steps, weights = list(STEP_WEIGHTS), list(STEP_WEIGHTS.values())
    cases, rows = [], []
    for case_id in range(1, tasks + 1):
        round_id, opd = (case_id - 1) // OPDS + 1, (case_id - 1) % OPDS + 1
        step = rng.choices(steps, weights)[0]
        late = rng.random() < OVERDUE_SHARE
        hours = rng.randint(1, 24 * 20)
        due = MORNING - timedelta(hours=hours) if late else MORNING + timedelta(hours=hours)
        started = due - timedelta(days=STEPS[step].sla_days + 1)
        planned = this_morning if case_id % (tasks // PLANNED_THIS_MORNING) == 0 else later
        cases.append((case_id, round_id, opd, step, created))
        rows.append((case_id, case_id, step, instant(started), instant(due), evening, planned))
    return {
        "opds": ("id, code, name",
                 [(o, f"OPD{o:04d}", f"Dinas Contoh {o:04d}") for o in range(1, OPDS + 1)]),
        "users": ("id, name, role, opd_id, external_id, chat_id, created_at",
                  [(i, n, r, o, x, x, created) for i, (n, r, o, x) in enumerate(users, 1)]),
        "rounds": ("id, name, created_by, created_at",
                   [(r, f"Putaran {r}", 2, created) for r in range(1, rounds + 1)]),
        "cases": ("id, round_id, opd_id, step, created_at", cases),
        "tasks": ("id, case_id, step, started_at, due_at, notified_until, next_notice_at", rows),
    }  # fmt: skip


def seed_sqlite(path: Path, data: dict[str, tuple[str, list[tuple[Any, ...]]]]) -> None:
    conn = sqlite3.connect(path)
    with conn:
        for table, (columns, rows) in data.items():
            marks = ", ".join("?" for _ in columns.split(","))
            conn.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # into the file now, not at a timed commit
    conn.close()


def seed(path: Path, tasks: int) -> int:
    """The organisation and its open tasks; returns how many are overdue at the opening."""
    data = morning_rows(tasks)
    seed_sqlite(path, data)
    opening = instant(MORNING)
    return sum(1 for row in data["tasks"][1] if row[4] < opening)  # due_at, one convention


@contextlib.contextmanager
def lock_holds(db: Database) -> Iterator[dict[str, list[float]]]:
    """How long each use of the database's lock lasted (units of work and reads under it), and
    each read beside it, by kind."""
    held: dict[str, list[float]] = {"transaction": [], "read": [], "read_aside": []}
    originals = {kind: getattr(db, kind) for kind in held if hasattr(db, kind)}

    def timing(kind: str) -> Any:
        original = originals[kind]

        @contextlib.asynccontextmanager
        async def timed() -> AsyncIterator[Any]:
            async with original() as uow:
                began = time.perf_counter()
                try:
                    yield uow
                finally:
                    held[kind].append(time.perf_counter() - began)

        return timed

    for kind in originals:
        setattr(db, kind, timing(kind))
    try:
        yield held
    finally:
        for kind in originals:
            delattr(db, kind)


def longest(held: dict[str, list[float]]) -> tuple[float, str]:
    under = [(t, kind) for kind in ("transaction", "read") for t in held[kind]]
    return max(under, default=(0.0, "-"))


async def run(quick: bool) -> list[Figure]:
    tasks = 100_000 if quick else 1_000_000
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="ppid-morning-") as tmp:
        settings = bench_settings(Path(tmp) / "data", "1:x", "http://127.0.0.1:9/bot", "")
        db = await Database.open(settings.database_path)
        await db.close()
        say(f"morning: inserting {tasks} open tasks")
        began = time.perf_counter()
        overdue = seed(settings.database_path, tasks)
        figures.append(Figure(NAME, "open tasks; overdue at 07:30; inserted in",
                              f"{tasks}; {overdue}; {time.perf_counter() - began:.0f} s"))  # fmt: skip
        db = await Database.open(settings.database_path)
        clock = SteppedClock(MORNING)
        ctx: Ctx = make_ctx(settings=settings, db=db, calendar=await load_calendar(settings, db),
                            files=FileStore(settings.documents_dir), clock=clock)  # fmt: skip
        say("morning: the first sweep of the day")
        with lock_holds(db) as held:
            began = time.perf_counter()
            queued = await sweep(ctx)
            took = time.perf_counter() - began
        worst, kind = longest(held)
        units = held["transaction"] + held["read"]
        figures += [
            Figure(NAME, "first sweep at 07:30: time; rows queued",
                   f"{took:.2f} s; {queued}"),
            Figure(NAME, "sweep: holds of the lock; longest (kind); p50",
                   f"{len(units)}; {ms(worst)} ({kind}); {ms(percentile(units, 50))}",
                   "< 100 ms", "PASS" if worst < 0.1 else "MISS"),
            Figure(NAME, "sweep: reads beside the lock; longest",
                   f"{len(held['read_aside'])}; {ms(max(held['read_aside'], default=0))}"),
        ]  # fmt: skip
        say("morning: the dispatcher's pass (the digest of every task due)")
        sender = CountingSender()
        dispatcher = Dispatcher(ctx, {"telegram": sender}, notices)
        with lock_holds(db) as held:
            began = time.perf_counter()
            sent = await dispatcher.run_once()
            took = time.perf_counter() - began
        worst, kind = longest(held)
        units = held["transaction"] + held["read"]
        figures += [
            Figure(NAME, "dispatcher pass: time; messages sent",
                   f"{took:.2f} s; {sent} to {len(sender.per_chat)} chats"),
            Figure(NAME, "dispatcher: holds of the lock; longest (kind)",
                   f"{len(units)}; {ms(worst)} ({kind})", "< 100 ms",
                   "PASS" if worst < 0.1 else "MISS"),
            Figure(NAME, "dispatcher: reads beside the lock; longest",
                   f"{len(held['read_aside'])}; {ms(max(held['read_aside'], default=0))}"),
        ]  # fmt: skip
        await db.close()
    return figures


if __name__ == "__main__":
    raise SystemExit(main(NAME, run))
