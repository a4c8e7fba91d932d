"""The deadline sweep over 100,000 open tasks in a real SQLite file.

The rows are inserted directly (executemany): 100 OPDs, 1,000 rounds, one case per round and OPD,
one open task per case. Steps are mixed (step 3, ten working days, for two in five tasks; the one-day
steps for the others); each task was handed over at an office minute of the last four weeks, and its
deadline is the SOP's (`Calendar.due`). Most one-day tasks are therefore overdue for days.

Every task was notified up to one minute before the first sweep (`notified_until`), as in a
database that was swept every minute before `next_notice_at` existed (migration 008): the first
sweep plans every task (its schedule and its next notice) but only queues what fell due in that
minute, not four weeks of backlog. Then sweeps follow one (simulated) minute apart: the steady
state reads only the tasks whose `next_notice_at` is due. Memory is followed over ten consecutive
steady sweeps: tracemalloc's peak per sweep and the process's resident size (VmRSS and
`resource.getrusage().ru_maxrss`).

**The next morning** (issue 11), in a second database: as many open tasks, 70% of them overdue by
the morning, handed over in the four weeks before Monday 12 April 2027's closing (16:00). A bot
that ran that day is imitated by the project's own code: every task notified up to Friday's
closing, one sweep at Monday's closing (which queues Monday's notices and plans each task's next
one: `notified_until` and `next_notice_at` as the bot leaves them), then every row meant for
Monday recorded as sent; what the closing queued for the next opening (escalations at the
16:00 deadlines) stays pending, as it would. Then the clock moves to Tuesday's opening (07:30
WIB): the sweep (time, units of work, the longest lock hold and its CPU time, full GC collections)
and one pass of the real `Dispatcher` with a sender that only counts (messages per chat, text
length) and sends nothing. Then the same morning again from a copy of the evening's database, as
the running bot's jobs run it (`Scheduler`): a dispatcher pass every 5 s while the sweep runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import random
import resource
import shutil
import sqlite3
import statistics
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

from benchmarks.common import (
    WIB,
    Figure,
    SteppedClock,
    bench_settings,
    mib,
    ms,
    percentile,
    say,
    verdict,
    vm_rss_kib,
)
from bot.bootstrap import load_calendar, make_ctx
from bot.channels.base import Reply
from bot.channels.port import TELEGRAM, Brief
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.scheduler import DISPATCH_EVERY_S, Scheduler
from bot.services.context import Ctx
from bot.services.sweep import sweep
from bot.sop import STEPS
from bot.workdays import Calendar
from handlers import notices
from storage.db import Database
from storage.files import FileStore
from storage.uow import UnitOfWork

NAME = "sweep"
# Tuesday 13 April 2027, 10:07:30 WIB: a working day, inside office hours.
NOW = datetime(2027, 4, 13, 10, 7, 30, tzinfo=WIB)
OPDS = 100
STEP_WEIGHTS = {1: 15, 2: 15, 3: 40, 4: 15, 5: 15}
STEADY_TIMED = 5
MEMORY_SWEEPS = 10
# The next morning: Monday 12 April 2027 closes at 16:00, Tuesday 13 April opens at 07:30.
EVENING = datetime(2027, 4, 12, 16, 0, tzinfo=WIB)
MORNING = datetime(2027, 4, 13, 7, 30, tzinfo=WIB)
OVERDUE_SHARE = 0.70  # of the open tasks, overdue by the morning
MAX_TEXT = 4096  # Telegram's limit on a message's text


def office_minutes(cal: Calendar, first: date, until: datetime) -> list[datetime]:
    """Every office minute from `first` up to `until`."""
    found = []
    day = first
    while day <= until.date():
        hours = cal.hours_on(day)
        if hours is not None:
            at = datetime.combine(day, hours.opens, tzinfo=WIB)
            closes = datetime.combine(day, hours.closes, tzinfo=WIB)
            while at < closes and at < until:
                found.append(at)
                at += timedelta(minutes=1)
        day += timedelta(days=1)
    return found


def fill(
    path: Path,
    cal: Calendar,
    tasks: int,
    now: datetime = NOW,
    notified: datetime | None = None,
    overdue: float | None = None,
) -> None:
    """Insert the organisation, rounds, cases and open tasks with executemany.

    Tasks are handed over at office minutes of the four weeks before `now`, notified up to
    `notified` (a minute before `now` when not given). With `overdue`, that share of them (drawn
    task by task) is overdue at `now` and the others are not."""
    rng = random.Random(2027)
    created = (now - timedelta(days=40)).isoformat()
    minutes = office_minutes(cal, now.date() - timedelta(days=28), now - timedelta(minutes=2))
    steps = list(STEP_WEIGHTS)
    weights = list(STEP_WEIGHTS.values())
    due_of: dict[tuple[datetime, int], datetime] = {}
    rounds = -(-tasks // OPDS)
    notified_at = (notified or now - timedelta(minutes=1)).isoformat()
    users: list[tuple[str, str, int | None, str]] = [
        ("Admin", "admin", None, "1"),
        ("Pejabat PID", "pejabat_pid", None, "2"),
        ("PPID Utama 1", "ppid_utama", None, "3"),
        ("PPID Utama 2", "ppid_utama", None, "4"),
        ("Atasan", "atasan", None, "5"),
    ]
    for opd in range(1, OPDS + 1):
        for k in (1, 2):
            users.append((f"Pendukung {opd}.{k}", "ppid_pendukung", opd, f"{opd * 10 + k + 100}"))
    cases = []
    task_rows = []
    case_id = 0
    for round_id in range(1, rounds + 1):
        for opd in range(1, OPDS + 1):
            case_id += 1
            if case_id > tasks:
                break
            late = overdue is not None and rng.random() < overdue
            while True:  # without `overdue`, the first draw
                step = rng.choices(steps, weights)[0]
                started = rng.choice(minutes)
                key = (started, step)
                if key not in due_of:
                    due_of[key] = cal.due(started, STEPS[step].sla_days)
                if overdue is None or (due_of[key] <= now) == late:
                    break
            cases.append((case_id, round_id, opd, step, started.isoformat()))
            task_rows.append(
                (case_id, case_id, step, started.isoformat(), due_of[key].isoformat(), notified_at)
            )
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO opds (id, code, name) VALUES (?, ?, ?)",
            [(i, f"OPD{i:03d}", f"Dinas Contoh {i:03d}") for i in range(1, OPDS + 1)],
        )
        conn.executemany(
            "INSERT INTO users (name, role, opd_id, external_id, chat_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(n, r, o, x, x, created) for n, r, o, x in users],
        )
        conn.executemany(
            "INSERT INTO rounds (id, name, created_by, created_at) VALUES (?, ?, 2, ?)",
            [(r, f"Putaran {r}", created) for r in range(1, rounds + 1)],
        )
        conn.executemany(
            "INSERT INTO cases (id, round_id, opd_id, step, created_at) VALUES (?, ?, ?, ?, ?)",
            cases,
        )
        conn.executemany(
            "INSERT INTO tasks (id, case_id, step, started_at, due_at, notified_until)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            task_rows,
        )
    conn.close()


async def open_ctx(settings: Settings, clock: SteppedClock) -> Ctx:
    db = await Database.open(settings.database_path)
    return make_ctx(
        settings=settings,
        db=db,
        calendar=await load_calendar(settings, db),
        files=FileStore(settings.documents_dir),
        clock=clock,
    )


@contextlib.contextmanager
def full_collections() -> Iterator[list[float]]:
    """How long each full (generation 2) collection of the garbage collector took meanwhile: it
    stops the process, inside a unit of work or not."""
    pauses: list[float] = []
    began = [0.0]

    def watch(phase: str, info: dict[str, int]) -> None:
        if info["generation"] == 2:
            if phase == "start":
                began[0] = time.perf_counter()
            else:
                pauses.append(time.perf_counter() - began[0])

    gc.callbacks.append(watch)
    try:
        yield pauses
    finally:
        gc.callbacks.remove(watch)


@contextlib.contextmanager
def lock_holds(db: Database, cpu: list[float] | None = None) -> Iterator[list[float]]:
    """How long each unit of work held the database (the people's updates wait meanwhile);
    with `cpu`, also the process's CPU time in each (all threads: the worker threads' too), which tells
    a unit that worked long from one that waited for a core on a busy machine."""
    held: list[float] = []
    transaction = db.transaction

    @contextlib.asynccontextmanager
    async def timed() -> AsyncIterator[UnitOfWork]:
        async with transaction() as uow:
            began, used = time.perf_counter(), time.process_time()
            try:
                yield uow
            finally:
                held.append(time.perf_counter() - began)
                if cpu is not None:
                    cpu.append(time.process_time() - used)

    setattr(db, "transaction", timed)  # noqa: B010
    try:
        yield held
    finally:
        delattr(db, "transaction")


async def timed_sweep(ctx: Ctx) -> tuple[float, int]:
    began = time.perf_counter()
    queued = await sweep(ctx)
    return time.perf_counter() - began, queued


class CountingSender:
    """Stands in for Telegram: counts the messages each chat gets, and how long their texts are."""

    def __init__(self) -> None:
        self.per_chat: Counter[str] = Counter()
        self.longest = 0
        self.too_long = 0

    capabilities = TELEGRAM

    def parts(self, reply: Reply) -> int:
        return len(reply.files) + 1

    async def send_part(self, chat_id: str | int, reply: Reply, index: int) -> list[str]:
        self.per_chat[str(chat_id)] += 1
        self.longest = max(self.longest, len(reply.text))
        self.too_long += len(reply.text) >= MAX_TEXT
        return []

    async def send_brief(self, chat_id: str | int, brief: Brief) -> list[str]:
        raise AssertionError("Telegram never sends a brief")


def closing_before(cal: Calendar, at: datetime) -> datetime:
    """The closing of the working day before `at`'s day."""
    day = cal.previous_workday(at.date())
    hours = cal.hours_on(day)
    assert hours is not None
    return datetime.combine(day, hours.closes, tzinfo=WIB)


def deliver_the_day(path: Path, closing: datetime) -> tuple[int, int]:
    """Record as sent every pending row meant for the day that `closing` ends (what the bot's
    dispatcher did during it); returns (rows recorded sent, rows left for the next opening)."""
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT id, payload, not_before FROM outbox WHERE state = 'pending'")
    sent: list[tuple[int]] = []
    held = 0
    for row_id, payload, not_before in rows.fetchall():
        at = json.loads(payload).get("deliver_at") or not_before
        if datetime.fromisoformat(at) <= closing:
            sent.append((row_id,))
        else:
            held += 1
    with conn:
        conn.executemany(
            "UPDATE outbox SET state = 'sent', attempts = 1, sent_at = ? WHERE id = ?",
            [(closing.isoformat(), *r) for r in sent],
        )
    conn.close()
    return len(sent), held


def restore(copy: Path, path: Path) -> None:
    """Put the database file back as it was copied (without the WAL of what came after), and
    on disk: a file just copied is all dirty pages in the OS's cache, and the first WAL
    checkpoint's fsync would flush the whole copy inside a timed commit (170 ms at 1,000,000
    tasks), which a database at rest on a server never costs."""
    for stale in path.parent.glob(f"{path.name}*"):
        stale.unlink()
    shutil.copyfile(copy, path)
    with path.open("rb+") as f:
        os.fsync(f.fileno())


async def next_morning(root: Path, tasks: int) -> list[Figure]:
    """Issue 11's scenario: the sweep and the dispatcher at the opening after a working day."""
    b = NAME
    settings = bench_settings(root, "1:x", "http://127.0.0.1:9/bot", "")
    clock = SteppedClock(EVENING)
    ctx = await open_ctx(settings, clock)
    await ctx.db.close()
    say(f"[{NAME}] next morning: inserting {tasks} open tasks, {OVERDUE_SHARE:.0%} overdue")
    fill(
        settings.database_path,
        ctx.calendar,
        tasks,
        now=EVENING,
        notified=closing_before(ctx.calendar, EVENING),
        overdue=OVERDUE_SHARE,
    )
    ctx = await open_ctx(settings, clock)
    try:
        say(f"[{NAME}] next morning: the day before (a sweep at its closing)")
        day_queued = await sweep(ctx)
        await ctx.db.close()
        delivered, held_over = deliver_the_day(settings.database_path, EVENING)
        evening = root / "evening.sqlite"
        shutil.copyfile(settings.database_path, evening)
        ctx = await open_ctx(settings, clock)
        async with ctx.db.read() as uow:
            overdue = await uow.tasks.count_due_by(MORNING)

        say(f"[{NAME}] next morning: the sweep at 07:30")
        clock.now = MORNING
        cpu: list[float] = []
        with lock_holds(ctx.db, cpu) as held, full_collections() as collections:
            swept, queued = await timed_sweep(ctx)
        async with ctx.db.read() as uow:
            pending = await uow.outbox.listing(("pending",))
            sent_before = await uow.outbox.count("sent")
        people = {r.user_id for r in pending}

        say(f"[{NAME}] next morning: the dispatcher ({len(pending)} rows pending)")
        sender = CountingSender()
        began = time.perf_counter()
        messages = await Dispatcher(ctx, {"telegram": sender}, notices).run_once()
        dispatched = time.perf_counter() - began
        async with ctx.db.read() as uow:
            recorded = await uow.outbox.count("sent") - sent_before
            skipped = await uow.outbox.count("skipped")
            left = await uow.outbox.count("pending")
        await ctx.db.close()

        say(f"[{NAME}] next morning again, with the running bot's jobs")
        restore(evening, settings.database_path)
        clock.now = MORNING
        ctx = await open_ctx(settings, clock)
        jobs = CountingSender()
        passes, jobs_took = await as_jobs(ctx, jobs)
    finally:
        await ctx.db.close()
    jobs_most = max(jobs.per_chat.values(), default=0)
    most = max(sender.per_chat.values(), default=0)
    longest = max(held)
    return [
        Figure(
            b,
            "next morning: open tasks, overdue at 07:30",
            f"{tasks}, {overdue} ({overdue / tasks:.0%})",
        ),
        Figure(
            b,
            "the day before: closing sweep queued (sent; held)",
            f"{day_queued} ({delivered}; {held_over} to 07:30)",
        ),
        Figure(
            b,
            "next morning sweep at 07:30: rows queued, time",
            f"{queued} in {swept:.2f} s",
        ),
        Figure(
            b,
            "next morning sweep: units of work, longest",
            f"{len(held)}, {ms(longest)} (median {ms(statistics.median(held))},"
            f" p99 {ms(percentile(held, 99))})",
            "< 100 ms",
            verdict(longest < 0.100),
        ),
        Figure(
            b,
            "same: CPU in the longest unit; units over 100 ms",
            f"{ms(cpu[held.index(longest)])}; {sum(h >= 0.100 for h in held)}"
            f" (most CPU in a unit: {ms(max(cpu))})",
        ),
        Figure(
            b,
            "full GC collections during that sweep",
            f"{len(collections)}, longest {ms(max(collections, default=0.0))}",
        ),
        Figure(
            b,
            "rows pending at 07:30, for how many people",
            f"{len(pending)} for {len(people)}",
        ),
        Figure(
            b,
            "messages sent / people with notices",
            f"{messages} / {len(people)} ({len(sender.per_chat)} chats)",
            "<= people",
            verdict(messages <= len(people) and sum(sender.per_chat.values()) == messages),
        ),
        Figure(b, "messages per person, most", str(most), "<= 1", verdict(most <= 1)),
        Figure(
            b,
            "longest text of a message",
            f"{sender.longest} chars",
            f"< {MAX_TEXT}",
            verdict(sender.too_long == 0),
        ),
        Figure(
            b,
            "dispatcher pass: time; rows sent / skipped / left",
            f"{dispatched:.1f} s; {recorded} / {skipped} / {left}",
        ),
        Figure(
            b,
            "as the bot's jobs (dispatcher every 5 s during sweep)",
            f"{sum(jobs.per_chat.values())} messages to {len(jobs.per_chat)} chats,"
            f" {passes} passes, {jobs_took:.1f} s",
        ),
        Figure(
            b,
            "as the bot's jobs: messages per person, most",
            str(jobs_most),
            "<= 1",
            verdict(jobs_most <= 1),
        ),
    ]


async def as_jobs(ctx: Ctx, sender: CountingSender) -> tuple[int, float]:
    """The morning as the running bot's scheduler runs it (`Scheduler.install`): the sweep job,
    and the dispatcher job every `DISPATCH_EVERY_S` (a tick is skipped while a pass runs), plus
    the pass the sweep's kick asks for. Returns (dispatcher passes, seconds until all is sent)."""
    scheduler = Scheduler(ctx, Dispatcher(ctx, {"telegram": sender}, notices))
    kicked = asyncio.Event()
    ctx.kick.connect(kicked.set)
    began = time.perf_counter()
    sweeping = asyncio.create_task(scheduler.sweep())
    await asyncio.sleep(0.3)  # the jobs' first runs: sweep at 0.2 s, dispatcher at 0.5 s
    passes = 0
    while True:
        done = sweeping.done()
        await scheduler.dispatch()
        passes += 1
        if done:
            break
        # The next tick of the dispatcher job, or the kick at the end of the sweep.
        wait = DISPATCH_EVERY_S - (time.perf_counter() - began - 0.3) % DISPATCH_EVERY_S
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(kicked.wait(), wait)
    await sweeping
    return passes, time.perf_counter() - began


async def run(quick: bool) -> list[Figure]:
    tasks = 10_000 if quick else 100_000
    b = NAME
    with tempfile.TemporaryDirectory(prefix="ppid-bench-") as tmp:
        settings = bench_settings(Path(tmp) / "data", "1:x", "http://127.0.0.1:9/bot", "")
        clock = SteppedClock(NOW)
        ctx = await open_ctx(settings, clock)
        try:
            say(f"[{NAME}] inserting {tasks} open tasks")
            began = time.perf_counter()
            await ctx.db.close()
            fill(settings.database_path, ctx.calendar, tasks)
            ctx = await open_ctx(settings, clock)
            filled = time.perf_counter() - began
            size = settings.database_path.stat().st_size

            say(f"[{NAME}] first sweep")
            with lock_holds(ctx.db) as held:
                first, first_queued = await timed_sweep(ctx)
            steady: list[float] = []
            steady_queued = 0
            for _ in range(STEADY_TIMED):
                clock.advance(minutes=1)
                elapsed, queued = await timed_sweep(ctx)
                steady.append(elapsed)
                steady_queued += queued

            say(f"[{NAME}] {MEMORY_SWEEPS} sweeps under tracemalloc")
            gc.collect()
            tracemalloc.start()
            peaks: list[int] = []
            rss: list[int] = []
            maxrss: list[int] = []
            retained: list[int] = []
            traced: list[float] = []
            for _ in range(MEMORY_SWEEPS):
                clock.advance(minutes=1)
                before, _ = tracemalloc.get_traced_memory()
                tracemalloc.reset_peak()
                elapsed, _ = await timed_sweep(ctx)
                current, peak = tracemalloc.get_traced_memory()
                traced.append(elapsed)
                peaks.append(peak - before)
                retained.append(current - before)
                rss.append(vm_rss_kib())
                maxrss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
            tracemalloc.stop()
        finally:
            await ctx.db.close()
        morning = await next_morning(Path(tmp) / "morning", tasks)
    median = statistics.median(steady)
    rss_growth = rss[-1] - rss[0]
    peak_growth = peaks[-1] - peaks[0]
    flat = rss_growth <= 1024 and peak_growth <= max(64 * 1024, peaks[0] // 5)
    kib = [f"{p / 1024:.0f}" for p in peaks]
    return [
        Figure(b, f"{tasks} open tasks inserted", f"{filled:.1f} s, {size / 2**20:.0f} MiB"),
        Figure(b, "first sweep (plans every task)", f"{first:.2f} s, {first_queued} queued"),
        Figure(
            b,
            "first sweep: units of work, longest lock hold",
            f"{len(held)}, {ms(max(held))}",
        ),
        Figure(
            b,
            f"steady sweep, median of {STEADY_TIMED} (a minute apart)",
            ms(median),
            "< 100 ms",
            verdict(median < 0.100),
        ),
        Figure(b, "steady sweep, slowest", f"{ms(max(steady))}, {steady_queued} queued in all"),
        Figure(
            b,
            f"tracemalloc peak per sweep, {MEMORY_SWEEPS} sweeps (KiB)",
            " ".join(kib),
            "flat",
            verdict(flat),
        ),
        Figure(
            b,
            "retained after each sweep (tracemalloc)",
            f"{min(retained) / 1024:.0f}..{max(retained) / 1024:.0f} KiB",
        ),
        Figure(
            b,
            f"VmRSS sweep 1 -> {MEMORY_SWEEPS}",
            f"{mib(rss[0])} -> {mib(rss[-1])}",
            "flat",
            verdict(rss_growth <= 1024),
        ),
        Figure(b, "ru_maxrss (peak of the process)", f"{mib(maxrss[0])} -> {mib(maxrss[-1])}"),
        Figure(b, "steady sweep under tracemalloc, median", ms(statistics.median(traced))),
        *morning,
    ]


if __name__ == "__main__":
    from benchmarks.common import main

    raise SystemExit(main(NAME, run))
