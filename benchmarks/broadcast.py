"""Delivering 1,000 notifications to 1,000 chats within Telegram's flood limits.

A round for 100 OPDs is drafted, sent and approved through the services, so that every case is
handed to step 3 and its OPD's ten PPID Pendukung each get a hand-over notice: 1,000 pending
outbox rows for 1,000 people (the other rows of the set-up are marked sent). The fake Bot API
(in this process) enforces 30 messages per second overall and 1 per second per chat, answering
429 with retry_after beyond, like Telegram; everyone has pressed Start, so the bot may write first.

The real outbox dispatcher (`bot.dispatcher.Dispatcher` with `bot.channels.telegram.TelegramSender`
over an Application built by `build_application` with the bot's own pacing, `TelegramPacing`) runs
pass after pass until no row is pending. Reported: the time against the floor the limit allows
(1,000 / 30 per second = 33.3 s), and what the fake saw: chats that got nothing (lost) and extra
copies (doubled).

Then taps first: the bot as `make run` starts it (polling, its own pacing) delivers the same 1,000
notices on its own schedule while one person taps (/bantuan) every two seconds; reported is the time
from each tap to the bot's answer (p50/p95, goal p95 under 300 ms). Before the pacing of notices
alone, every answer queued behind the broadcast in python-telegram-bot's AIORateLimiter.

``python -m benchmarks.broadcast --scheduler`` measures the delivery by the running bot's own
scheduler without the taps; it is not part of the full run.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import Figure, RunningClock, bench_settings, ms, percentile, say, verdict
from benchmarks.scenario import add_opds, add_users, open_ctx, round_at_step3, settle_outbox
from bot.channels.telegram.adapter import TelegramSender
from bot.channels.telegram.application import build_application, running
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.fakeapi.faults import RateLimiter
from bot.fakeapi.server import FakeTelegram
from bot.models import OutboxRow
from bot.services.context import Ctx
from bot.sop import Role
from handlers import notices

NAME = "broadcast"
PER_OPD = 10
FIRST_ID = 200_001
GLOBAL_PER_SECOND = 30


def is_step3_handover(row: OutboxRow) -> bool:
    return bool(row.kind == "handover" and row.payload["step"] == 3)


@dataclass
class Setup:
    fake: FakeTelegram
    limiter: RateLimiter
    settings: Settings
    clock: RunningClock
    ids: list[int]

    @property
    def floor(self) -> float:
        return len(self.ids) / GLOBAL_PER_SECOND


@asynccontextmanager
async def prepared(quick: bool, tmp: Path) -> AsyncIterator[Setup]:
    """The fake with its limits, and a database with one pending notice for each person."""
    opds = 20 if quick else 100
    count = opds * PER_OPD
    async with FakeTelegram() as fake:
        limiter = fake.enforce_rate_limits(
            global_per_second=GLOBAL_PER_SECOND, per_chat_per_second=1
        )
        settings = bench_settings(tmp / "data", fake.token, fake.base_url, fake.base_file_url)
        clock = RunningClock()
        ids = list(range(FIRST_ID, FIRST_ID + count))
        say(f"[{NAME}] preparing {count} hand-over notices for {count} people")
        async with open_ctx(settings, clock) as ctx:
            opd_ids = await add_opds(ctx, opds)
            staff = await add_users(
                ctx, [(900_001, Role.PEJABAT, None), (900_002, Role.UTAMA, None)]
            )
            await add_users(
                ctx, [(uid, Role.PENDUKUNG, opd_ids[i // PER_OPD]) for i, uid in enumerate(ids)]
            )
            await round_at_step3(ctx, staff[0], staff[1], opd_ids)
            pending = await settle_outbox(ctx, keep=is_step3_handover)
        assert pending == count, f"{pending} notices pending, expected {count}"
        for uid in ids:
            fake.person(uid, f"Orang {uid}", started=True)
        yield Setup(fake, limiter, settings, clock, ids)
        fake.assert_no_protocol_errors()


def delivery_figures(setup: Setup, elapsed: float, how: str) -> list[Figure]:
    sends = Counter(s.chat_id for s in setup.fake.sent if s.action == "send")
    ids = setup.ids
    lost = sum(1 for uid in ids if sends[uid] == 0)
    doubled = sum(max(0, sends[uid] - 1) for uid in ids)
    ratio = elapsed / setup.floor
    b = NAME
    return [
        Figure(b, f"{len(ids)} notifications {how}, completion", f"{elapsed:.1f} s"),
        Figure(
            b,
            f"completion / floor ({setup.floor:.1f} s at 30/s)",
            f"{ratio:.2f}x",
            "<= 1.1x",
            verdict(ratio <= 1.1),
        ),
        Figure(b, "lost messages", str(lost), "0", verdict(lost == 0)),
        Figure(b, "doubled messages", str(doubled), "0", verdict(doubled == 0)),
        Figure(b, "429 answers from the fake", str(setup.limiter.refusals)),
    ]


async def run(quick: bool) -> list[Figure]:
    """The dispatcher, pass after pass, until the outbox is empty."""
    with tempfile.TemporaryDirectory(prefix="ppid-bench-") as tmp:
        async with prepared(quick, Path(tmp)) as setup:
            app = build_application(setup.settings, clock=setup.clock, rate_limit=True)
            await app.initialize()
            try:
                async with open_ctx(setup.settings, setup.clock) as ctx:
                    dispatcher = Dispatcher(ctx, {"telegram": TelegramSender(app.bot)}, notices)
                    async with ctx.db.transaction() as uow:
                        settled = await uow.outbox.count("sent")
                    say(f"[{NAME}] dispatching (floor {setup.floor:.1f} s)")
                    began = time.perf_counter()
                    passes = 0
                    while True:
                        passes += 1
                        sent = await dispatcher.run_once()
                        async with ctx.db.transaction() as uow:
                            left = await uow.outbox.count("pending")
                        if left == 0 or time.perf_counter() - began > 4 * setup.floor:
                            break
                        if sent == 0:
                            await asyncio.sleep(0.05)  # only rows waiting for a retry remain
                    elapsed = time.perf_counter() - began
                    async with ctx.db.transaction() as uow:
                        delivered = await uow.outbox.count("sent") - settled
                        failed = await uow.outbox.count("failed")
            finally:
                await app.shutdown()
            figures = delivery_figures(setup, elapsed, "by the dispatcher")
    passes_line = f"{passes}; {delivered} / {failed}"
    taps = await run_taps(quick)
    return [*figures, Figure(NAME, "dispatcher passes; outbox sent / failed", passes_line), *taps]


TAPPER = 999_001
TAPS_PER_S = 0.5  # a person reading each answer; Telegram allows 1 message a second per chat


async def run_taps(quick: bool) -> list[Figure]:
    """One person taps while the running bot broadcasts: the answers must not queue behind."""
    with tempfile.TemporaryDirectory(prefix="ppid-bench-") as tmp:
        async with prepared(quick, Path(tmp)) as setup:
            app = build_application(setup.settings, clock=setup.clock, rate_limit=True)
            tapper = setup.fake.person(TAPPER, "Penanya", started=True)
            say(f"[{NAME}] one person taps while the bot broadcasts {len(setup.ids)} notices")
            waits: list[float] = []
            began = time.perf_counter()
            async with running(app, setup.settings, poll_timeout=1):
                ctx: Ctx = app.bot_data["ctx"]
                while time.perf_counter() - began < 4 * setup.floor:
                    async with ctx.db.read() as uow:
                        if await uow.outbox.count("pending") == 0:
                            break
                    sent = time.perf_counter()
                    await tapper.send("/bantuan")
                    await tapper.wait_for_text("diundang", timeout=60)
                    waits.append(time.perf_counter() - sent)
                    await asyncio.sleep(max(0.0, 1 / TAPS_PER_S - (time.perf_counter() - sent)))
                elapsed = time.perf_counter() - began
            figures = delivery_figures(setup, elapsed, "by the bot while a person taps")
    p95 = percentile(waits, 95)
    return [
        *figures[:2],
        Figure(NAME, f"tap -> answer during the broadcast, p50 ({len(waits)} taps)",
               ms(percentile(waits, 50))),
        Figure(NAME, "tap -> answer during the broadcast, p95", ms(p95), "< 300 ms",
               verdict(p95 < 0.3)),
    ]  # fmt: skip


async def run_scheduler(quick: bool) -> list[Figure]:
    """The running bot delivers them on its own schedule (a pass of 100 rows every 5 s)."""
    with tempfile.TemporaryDirectory(prefix="ppid-bench-") as tmp:
        async with prepared(quick, Path(tmp)) as setup:
            app = build_application(setup.settings, clock=setup.clock, rate_limit=True)
            say(f"[{NAME}] the running bot's scheduler delivers (floor {setup.floor:.1f} s)")
            began = time.perf_counter()
            async with running(app, setup.settings, poll_timeout=1):
                ctx: Ctx = app.bot_data["ctx"]
                while time.perf_counter() - began < 4 * setup.floor:
                    async with ctx.db.transaction() as uow:
                        if await uow.outbox.count("pending") == 0:
                            break
                    await asyncio.sleep(0.1)
                elapsed = time.perf_counter() - began
            return delivery_figures(setup, elapsed, "by the bot's scheduler")


if __name__ == "__main__":
    from benchmarks.common import main

    if "--scheduler" in sys.argv:
        sys.argv.remove("--scheduler")
        raise SystemExit(main(NAME, run_scheduler))
    raise SystemExit(main(NAME, run))
