"""PostgreSQL and several bot instances (issue 18, item 8): taps per second with 1, 2 and 3
instances on one PostgreSQL database against one instance on SQLite, and the first sweep of the
day at 1,000,000 open tasks on either engine.

**Taps.** The scenario of `benchmarks.throughput` (200 people in a closed loop: /bantuan, /tugas,
the Status button; two measured rounds after a warm-up round) on the same fake Bot API in a child
process (`benchmarks.fakeproc`). Each instance is a process of its own, `python -m bot run
--no-demo`, as deployed (`make run`'s configuration: pacing on), in webhook mode: several pollers
cannot share one bot (Telegram answers a second `getUpdates` with 409, and a second poller
refuses to start), and instances in one process would share one interpreter, one core. In front
of them, in this process, a round-robin proxy that also plays Telegram's part in webhook delivery:
the fake posts one update at a time and waits for the answer, while Telegram posts different
chats' updates at once (up to `max_connections`, 40) and one chat's one after the other; the bot's
webhook answers only once an update is handled and recorded. So the proxy takes each post at once
and forwards it to the next instance, at most 40 at a time, one chat's in order. The echo floor
is a bare python-telegram-bot echo bot (python-telegram-bot's own webhook server, updates handled
one at a time) as a process behind the same proxy, with the same people. Figures: taps per second,
a tap's p50/p95 end to end (the person's send to the answer seen), and the CPU time of the
instances, the database server and the fake over the measured part.

The PostgreSQL server is a throw-away cluster started here (`tests.pgcluster`), durable (fsync on)
with `synchronous_commit = off`: a commit does not wait for its flush, as SQLite's WAL with
`synchronous = NORMAL` (what the project sets) does not.

**Sweep.** 1,000,000 open tasks (the morning of `benchmarks.morning`: 1,000 OPDs with two PPID
Pendukung each, five staff, 1,000 rounds, one case per round and OPD, 70% overdue, all planned the
evening before but 1,000 due at this opening), the same rows into SQLite (`executemany`) and into
PostgreSQL (`COPY`). At 07:30 the project's `sweep` runs; every unit of work and read is timed.

`python -m benchmarks.postgres [--quick]` (quick: 50 people, one round; 100,000 tasks).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
from aiohttp import web

from benchmarks.common import (
    OFFICE_MORNING,
    ROOT,
    Figure,
    RunningClock,
    SteppedClock,
    bench_settings,
    ms,
    say,
    verdict,
)
from benchmarks.fakeproc import RemoteFake, remote_fake
from benchmarks.morning import MORNING, morning_rows, seed_sqlite
from benchmarks.morning import lock_holds as timed_units
from benchmarks.scenario import add_opds, add_users, round_at_step3, settle_outbox
from benchmarks.sweep import restore
from benchmarks.throughput import ECHO_SCRIPT, FIRST_ID, OUR_SCRIPT, roles_of
from bot.bootstrap import load_calendar, make_ctx
from bot.config import Settings
from bot.services.sweep import sweep
from bot.sop import Role
from storage.db import Database
from storage.files import FileStore
from tests.pgcluster import Cluster, free_port
from tests.pgcluster import running as pg_running

NAME = "postgres"
SECRET = "bench-webhook-secret-0123456789"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HOOK = "/telegram"
ECHO = "echo floor, 1 process"
REPEATS = 3
SWEEPS = 3  # each on a fresh copy of the seeded database
AT_ONCE = 40  # Telegram's max_connections, as the bot sets it
START_DEADLINE_S = 120.0
Drive = dict[str, Any]


# ---------------------------------------------------------------------------- the proxy


def chat_of(update: dict[str, Any]) -> int:
    """The person an update comes from (message or button press)."""
    for kind in ("message", "callback_query", "edited_message"):
        if kind in update:
            return int(update[kind]["from"]["id"])
    return 0


class RoundRobin:
    """Takes the fake's webhook posts at once and forwards each to the next instance: at most
    `AT_ONCE` at a time, one chat's one after the other (as Telegram posts them)."""

    def __init__(self) -> None:
        self.backends: list[str] = []
        self.port = free_port()
        self.refused = 0  # posts tried again on the next instance (one not listening yet)
        self._next = 0
        self._chats: dict[int, asyncio.Lock] = {}
        self._slots = asyncio.Semaphore(AT_ONCE)
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{HOOK}"

    async def __aenter__(self) -> RoundRobin:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_post(HOOK, self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=AT_ONCE),
            timeout=aiohttp.ClientTimeout(total=120),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {"Content-Type": "application/json"}
        if SECRET_HEADER in request.headers:
            headers[SECRET_HEADER] = request.headers[SECRET_HEADER]
        task = asyncio.create_task(self._forward(body, headers, chat_of(json.loads(body))))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.Response()

    async def _forward(self, body: bytes, headers: dict[str, str], chat: int) -> None:
        assert self._session is not None
        async with self._chats.setdefault(chat, asyncio.Lock()), self._slots:
            while True:
                if self.backends:
                    backend = self.backends[self._next % len(self.backends)]
                    self._next += 1
                    try:
                        async with self._session.post(backend, data=body, headers=headers) as r:
                            await r.read()
                            if 200 <= r.status < 300:
                                return
                    except aiohttp.ClientError:
                        pass
                    self.refused += 1
                await asyncio.sleep(0.05)


# ---------------------------------------------------------------------------- processes


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot (/proc/stat's first line)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def server_pids(cluster: Cluster) -> list[int]:
    """The PostgreSQL server's processes: the postmaster and its children (the backends)."""
    pid = int((cluster.dir / "data" / "postmaster.pid").read_text().split()[0])
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [pid, *map(int, children)]


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


async def listening(port: int, proc: asyncio.subprocess.Process, log: Path) -> None:
    """Wait until the process listens on `port` (its webhook server is up)."""
    deadline = time.monotonic() + START_DEADLINE_S
    while True:
        if proc.returncode is not None:
            raise RuntimeError(f"instance ended at start:\n{tail(log)}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"instance not listening:\n{tail(log)}") from None
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return


@contextlib.asynccontextmanager
async def processes(
    commands: Sequence[tuple[list[str], dict[str, str]]], ports: Sequence[int], tmp: Path
) -> AsyncIterator[list[int]]:
    """Start the processes, wait until each listens on its port; stop them on the way out.
    Yields their pids."""
    procs: list[asyncio.subprocess.Process] = []
    logs = [tmp / f"instance-{i}-{time.monotonic_ns()}.log" for i in range(len(commands))]
    try:
        for (command, env), log in zip(commands, logs, strict=True):
            with log.open("wb") as out:
                procs.append(
                    await asyncio.create_subprocess_exec(
                        *command, env=env, cwd=ROOT, stdout=out, stderr=out
                    )
                )
        for proc, port, log in zip(procs, ports, logs, strict=True):
            await listening(port, proc, log)
        yield [p.pid for p in procs]
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
        for proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()


def base_env(fake: RemoteFake) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": str(ROOT),
        "PPID_TELEGRAM_TOKEN": fake.token,
        "PPID_TELEGRAM_BASE_URL": fake.base_url,
        "PPID_TELEGRAM_BASE_FILE_URL": fake.base_file_url,
        "PPID_BOT_USERNAME": "ppid_bench_bot",
        "PPID_CLOCK_START": OFFICE_MORNING.isoformat(),
        "PPID_LOG_LEVEL": "WARNING",
    }


def bot_commands(
    fake: RemoteFake, proxy: RoundRobin, ports: Sequence[int], tmp: Path, database: str | None
) -> list[tuple[list[str], dict[str, str]]]:
    """`python -m bot run` for each port, webhook at the proxy; `database` a PostgreSQL URL, or
    None for the SQLite file in the first instance's data directory."""
    commands = []
    for i, port in enumerate(ports):
        env = {
            **base_env(fake),
            "PPID_DATA_DIR": str(tmp / ("data" if database is None else f"data-{i}")),
            "PPID_WEBHOOK_URL": proxy.url,
            "PPID_WEBHOOK_SECRET": SECRET,
            "PPID_WEBHOOK_LISTEN": "127.0.0.1",
            "PPID_WEBHOOK_PORT": str(port),
        }
        if database is not None:
            env["PPID_DATABASE_URL"] = database
        commands.append(([sys.executable, "-m", "bot", "run", "--no-demo"], env))
    return commands


async def serve_echo() -> None:
    """The echo floor's process: python-telegram-bot's own webhook server, replying with the
    text (settings from the environment that `echo_command` gives)."""
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and message.text:
            await message.reply_text(message.text)

    env = os.environ
    app = (
        Application.builder()
        .token(env["PPID_TELEGRAM_TOKEN"])
        .base_url(env["PPID_TELEGRAM_BASE_URL"])
        .base_file_url(env["PPID_TELEGRAM_BASE_FILE_URL"])
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with app:
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=int(env["PPID_WEBHOOK_PORT"]),
            url_path=HOOK.lstrip("/"),
            webhook_url=env["PPID_WEBHOOK_URL"],
            secret_token=SECRET,
            max_connections=AT_ONCE,
        )
        await app.start()
        await stop.wait()
        await app.updater.stop()
        await app.stop()


def echo_command(
    fake: RemoteFake, proxy: RoundRobin, port: int
) -> tuple[list[str], dict[str, str]]:
    env = {**base_env(fake), "PPID_WEBHOOK_URL": proxy.url, "PPID_WEBHOOK_PORT": str(port)}
    code = "import asyncio, benchmarks.postgres as p; asyncio.run(p.serve_echo())"
    return [sys.executable, "-c", code], env


# ---------------------------------------------------------------------------- taps


async def prepare(target: Path | str, settings: Settings, ids: list[int]) -> None:
    """`benchmarks.throughput`'s people and round (20 OPDs, the cases waiting in step 3)."""
    db = await Database.open(target)
    try:
        ctx = make_ctx(settings=settings, db=db, calendar=await load_calendar(settings, db),
                       files=FileStore(settings.documents_dir), clock=RunningClock())  # fmt: skip
        opd_ids = await add_opds(ctx, 20)
        staff = await add_users(ctx, [(900_001, Role.PEJABAT, None), (900_002, Role.UTAMA, None)])
        await add_users(ctx, roles_of(ids, opd_ids))
        await round_at_step3(ctx, staff[0], staff[1], opd_ids)
        await settle_outbox(ctx)
    finally:
        await db.close()


async def drive(
    fake: RemoteFake, ids: list[int], script: list[tuple[str, str]], rounds: int,
    watched: dict[str, Callable[[], list[int]]],
) -> Drive:  # fmt: skip
    """A warm-up round, then the measured one, with the CPU seconds of each group of
    processes (`watched`: name -> its pids, looked up after the warm-up: the database's
    connections are open by then) over the measured part."""
    await fake.call("drive", ids=ids, script=script, rounds=0, warmup=1)
    pids = {k: find() for k, find in watched.items()}
    before = {k: sum(map(cpu_seconds, group)) for k, group in pids.items()}
    busy, total = cpu_times()
    result = await fake.call("drive", ids=ids, script=script, rounds=rounds, warmup=0)
    result["cpu_of"] = {k: sum(map(cpu_seconds, group)) - before[k] for k, group in pids.items()}
    busy_after, total_after = cpu_times()
    # The whole machine, in the same unit (100% = one core): what the others' processes took.
    whole = (busy_after - busy) / max(1, total_after - total) * (os.cpu_count() or 1)
    result["cpu_of"]["all others"] = max(
        0.0, whole * result["elapsed"] - sum(result["cpu_of"].values())
    )
    return result


def rate(result: Drive) -> float:
    return float(result["updates"] / result["elapsed"])


def tap_figures(label: str, runs: list[Drive], floor: Drive | None) -> list[Figure]:
    """The fastest run of a configuration (the others were disturbed more by whatever else
    used the machine), the others' rates beside it."""
    result = max(runs, key=rate)
    value = f"{rate(result):.0f}/s"
    if floor is not None:
        value += f", {rate(result) / rate(floor):.2f} of the floor"
    if len(runs) > 1:
        value += f" (runs: {', '.join(f'{rate(r):.0f}' for r in runs)})"
    cpu = ", ".join(
        f"{k} {v / result['elapsed']:.0%}"
        for k, v in result["cpu_of"].items()
        if v or k != "PostgreSQL"
    )
    per_tap = [
        " + ".join(
            f"{r['cpu_of'][k] / r['updates'] * 1000:.1f}"
            for k in ("instances", "PostgreSQL")
            if r["cpu_of"][k]
        )
        for r in runs
    ]
    return [
        Figure(NAME, f"{label}: taps/s", value),
        Figure(
            NAME,
            f"{label}: tap p50 / p95 (end to end)",
            f"{result['p50'] * 1000:.0f} / {result['p95'] * 1000:.0f} ms",
        ),
        Figure(NAME, f"{label}: CPU busy (100% = one core)", cpu),
        # Hardly moved by the other processes on the machine, unlike the rates.
        Figure(NAME, f"{label}: CPU ms per tap, instances (+ server)", "; ".join(per_tap)),
    ]


async def taps(quick: bool, tmp: Path, cluster: Cluster) -> list[Figure]:
    people, rounds, repeats = (50, 1, 1) if quick else (200, 2, REPEATS)
    ids = list(range(FIRST_ID, FIRST_ID + people))
    figures: list[Figure] = []
    async with remote_fake() as fake, RoundRobin() as proxy:
        await fake.call("people", ids=ids)
        fake_pid = fake.proc.pid
        settings = bench_settings(tmp / "data", fake.token, fake.base_url, fake.base_file_url)
        say(f"[{NAME}] preparing the SQLite database and the PostgreSQL template")
        await prepare(settings.database_path, settings, ids)
        template = cluster.database()
        await prepare(template, settings, ids)
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
            # No one connected to the template while it is copied.
            admin.execute(b"SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                          b" WHERE datname = %s AND pid <> pg_backend_pid()",
                          [template.rsplit("/", 1)[1]])  # fmt: skip

        async def phase(label: str, commands: list[tuple[list[str], dict[str, str]]],
                        ports: list[int], script: list[tuple[str, str]], pg: bool) -> None:  # fmt: skip
            say(f"[{NAME}] {label}: {people} people x {rounds * 3} taps")
            async with processes(commands, ports, tmp) as pids:
                proxy.backends = [f"http://127.0.0.1:{p}{HOOK}" for p in ports]
                watched = {
                    "instances": lambda: pids,
                    "PostgreSQL": lambda: server_pids(cluster) if pg else [],
                    "fake": lambda: [fake_pid],
                    "proxy": lambda: [os.getpid()],
                }
                try:
                    runs.setdefault(label, []).append(
                        await drive(fake, ids, script, rounds, watched)
                    )
                finally:
                    proxy.backends = []

        runs: dict[str, list[Drive]] = {}
        for i in range(repeats):
            say(f"[{NAME}] taps, {i + 1}/{repeats}")
            port = free_port()
            await phase(ECHO, [echo_command(fake, proxy, port)], [port], ECHO_SCRIPT, False)
            ports = [free_port()]
            await phase("SQLite, 1 instance", bot_commands(fake, proxy, ports, tmp, None), ports,
                        OUR_SCRIPT, False)  # fmt: skip
            for count in (1, 2, 3):
                url = copy_of(cluster, template)
                ports = [free_port() for _ in range(count)]
                label = f"PostgreSQL, {count} instance{'s' if count > 1 else ''}"
                await phase(label, bot_commands(fake, proxy, ports, tmp, url), ports,
                            OUR_SCRIPT, True)  # fmt: skip
        floor = max(runs[ECHO], key=rate)
        for label, done in runs.items():
            figures += tap_figures(label, done, None if label == ECHO else floor)
        stats = await fake.call("stats")
    stray = stats["unexpected"] + len(stats["protocol_errors"])
    figures.append(Figure(NAME, "stray messages + protocol errors; posts tried again",
                          f"{stray}; {proxy.refused}", "0; -",
                          "PASS" if stray == 0 else "MISS"))  # fmt: skip
    return figures


_copies = iter(range(1, 1000))


def copy_of(cluster: Cluster, template_url: str) -> str:
    name = f"bench{next(_copies)}"
    template = template_url.rsplit("/", 1)[1]
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}".encode())
    return cluster.url(name)


# ---------------------------------------------------------------------------- the sweep


def seed_postgres(url: str, data: dict[str, tuple[str, list[tuple[Any, ...]]]]) -> None:
    with psycopg.connect(url) as conn:
        with conn.cursor() as cur:
            for table, (columns, rows) in data.items():
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN".encode()) as copy:
                    for row in rows:
                        copy.write_row(row)
                # The ids were given: the identity goes on after them.
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                            f" (SELECT max(id) FROM {table}))".encode())  # fmt: skip
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(b"VACUUM ANALYZE")  # as autovacuum would have by the morning


async def morning_sweep(target: Path | str, settings: Settings) -> tuple[float, int, Any]:
    db = await Database.open(target)
    try:
        ctx = make_ctx(settings=settings, db=db, calendar=await load_calendar(settings, db),
                       files=FileStore(settings.documents_dir), clock=SteppedClock(MORNING))  # fmt: skip
        with timed_units(db) as held:
            began = time.perf_counter()
            queued = await sweep(ctx)
            took = time.perf_counter() - began
    finally:
        await db.close()
    return took, queued, held


def sweep_figures(engine: str, seeded: float, runs: list[tuple[float, int, Any]]) -> list[Figure]:
    """Each run on a fresh copy of the seeded database: the machine is shared, so one run's
    longest unit says little alone."""
    longest = [max(held["transaction"], default=0.0) for _, _, held in runs]
    reads = [t for _, _, held in runs for t in held["read"] + held["read_aside"]]
    units = len(runs[0][2]["transaction"])
    middle = statistics.median(longest)
    return [
        Figure(NAME, f"sweep, {engine}: seeded in", f"{seeded:.0f} s"),
        Figure(NAME, f"sweep, {engine}: first sweep at 07:30, each run (rows queued)",
               f"{', '.join(f'{took:.2f}' for took, _, _ in runs)} s ({runs[0][1]})"),
        Figure(NAME, f"sweep, {engine}: units of work; longest in each run",
               f"{units}; {', '.join(f'{t * 1000:.0f}' for t in longest)} ms",
               "median < 100 ms", verdict(middle < 0.1)),
        Figure(NAME, f"sweep, {engine}: reads, longest", ms(max(reads, default=0.0))),
    ]  # fmt: skip


async def sweeps(quick: bool, tmp: Path, cluster: Cluster) -> list[Figure]:
    tasks = 100_000 if quick else 1_000_000
    settings = bench_settings(tmp / "sweep", "1:x", "http://127.0.0.1:9/bot", "")
    say(f"[{NAME}] sweep: generating {tasks} open tasks")
    data = morning_rows(tasks)
    figures: list[Figure] = []
    db = await Database.open(settings.database_path)  # created and migrated
    await db.close()
    say(f"[{NAME}] sweep: SQLite, inserting")
    began = time.perf_counter()
    seed_sqlite(settings.database_path, data)
    seeded = time.perf_counter() - began
    kept = tmp / "seeded.sqlite3"
    shutil.copyfile(settings.database_path, kept)
    runs = []
    for i in range(SWEEPS):
        say(f"[{NAME}] sweep: SQLite, the sweep at 07:30 ({i + 1}/{SWEEPS})")
        restore(kept, settings.database_path)
        runs.append(await morning_sweep(settings.database_path, settings))
    figures += sweep_figures("SQLite", seeded, runs)
    url = cluster.database()
    say(f"[{NAME}] sweep: PostgreSQL, COPY")
    began = time.perf_counter()
    await asyncio.to_thread(seed_postgres, url, data)
    seeded = time.perf_counter() - began
    del data
    runs = []
    for i in range(SWEEPS):
        say(f"[{NAME}] sweep: PostgreSQL, the sweep at 07:30 ({i + 1}/{SWEEPS})")
        runs.append(await morning_sweep(copy_of(cluster, url), settings))
    figures += sweep_figures("PostgreSQL", seeded, runs)
    return figures


# ---------------------------------------------------------------------------- the run


@contextlib.contextmanager
def cluster_for_bench() -> Iterator[Cluster]:
    """A durable throw-away server; commits do not wait for their flush (SQLite's WAL with
    synchronous = NORMAL does not either)."""
    with pg_running(durable=True) as cluster:
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
            admin.execute(b"ALTER SYSTEM SET synchronous_commit = off")
            admin.execute(b"SELECT pg_reload_conf()")
        yield cluster


async def run(quick: bool) -> list[Figure]:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="ppid-pgbench-") as tmp, cluster_for_bench() as cluster:
        root = Path(tmp)
        figures += await taps(quick, root, cluster)
        figures += await sweeps(quick, root, cluster)
    return figures


if __name__ == "__main__":
    from benchmarks.common import main

    raise SystemExit(main(NAME, run))
