"""Re-run a benchmark with a proposed fix patched in, in this process only (no project file changes).

    python -m benchmarks.whatif throughput --patch sniffio --patch one-hop-reads
    python -m benchmarks.whatif broadcast --patch smooth-limiter
    python -m benchmarks.whatif broadcast-scheduler --patch smooth-limiter --patch drain-outbox
    python -m benchmarks.whatif sweep --patch sweep-union

Each patch stands for a change proposed in benchmarks/README.md; it is applied by replacing a
function or class attribute before the benchmark starts, so the figures show what the change
would give before anyone makes it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from benchmarks import broadcast, documents, sweep, throughput
from benchmarks.common import Runner, format_table


def sniffio() -> None:
    """httpcore tries `import sniffio` on every request; without sniffio installed that import
    fails each time (a search of sys.path). This is what installing sniffio gives."""
    import httpcore._synchronization as sync

    sync.current_async_library = lambda: "asyncio"


def one_hop_reads() -> None:
    """storage/base.py: `_all` and `_one` through `execute_fetchall`, one aiosqlite round trip to
    its thread instead of three (execute, fetch, close)."""
    from storage import base

    async def _all(self: base.Repository, sql: str, params: Any = ()) -> list[Any]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def _one(self: base.Repository, sql: str, params: Any = ()) -> Any:
        rows = list(await self._conn.execute_fetchall(sql, params))
        return rows[0] if rows else None

    setattr(base.Repository, "_all", _all)  # noqa: B010
    setattr(base.Repository, "_one", _one)  # noqa: B010


def inline_sqlite() -> None:
    """Every SQLite call runs on the event loop's thread (what a storage layer on the standard
    sqlite3 module would do): no thread hop at all. An upper bound, not a drop-in change."""
    import aiosqlite
    import aiosqlite.core as core

    connect = aiosqlite.connect

    def connect_any_thread(path: Any, **kwargs: Any) -> aiosqlite.Connection:
        return connect(path, check_same_thread=False, **kwargs)

    queued: Any = core.Connection._execute

    async def inline(self: core.Connection, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        if self._connection is None:  # connecting still happens in aiosqlite's thread
            return await queued(self, fn, *args, **kw)
        return fn(*args, **kw)

    setattr(aiosqlite, "connect", connect_any_thread)  # noqa: B010
    setattr(core.Connection, "_execute", inline)  # noqa: B010


def smooth_limiter() -> None:
    """bot/app.py: an AIORateLimiter that spaces messages 1/29.5 s apart instead of allowing a
    burst of 30 and then 30 per second (a leaky bucket that Telegram's 1-second window refuses)."""
    from telegram.ext import AIORateLimiter

    import bot.app

    def limiter(max_retries: int = 3) -> AIORateLimiter:
        return AIORateLimiter(
            overall_max_rate=1, overall_time_period=1 / 29.5, max_retries=max_retries
        )

    setattr(bot.app, "AIORateLimiter", limiter)  # noqa: B010


def drain_outbox() -> None:
    """bot/dispatcher.py: `run_once` fetches the next batch while the last one was full, instead
    of leaving the rest to the next job, 5 s later."""
    from bot.dispatcher import Dispatcher

    async def run_once(self: Dispatcher, limit: int = 100) -> int:
        async with self._lock:
            ctx = self.ctx
            sent = 0
            while True:
                async with ctx.db.transaction() as uow:
                    rows = await uow.outbox.due(ctx.now(), limit)
                for row in rows:
                    sent += await self._deliver(row)
                if len(rows) < limit:
                    return sent

    setattr(Dispatcher, "run_once", run_once)  # noqa: B010


def sweep_union() -> None:
    """storage/cases.py: `sweep_rows(due_by=...)` as a UNION ALL of `next_notice_at <= ?` and
    `next_notice_at IS NULL`, each answered by the index; the OR scans every open task."""
    from storage.base import as_dict
    from storage.cases import TaskRepository

    async def sweep_rows(
        self: TaskRepository, due_by: datetime | None = None
    ) -> list[dict[str, Any]]:
        sql = (
            "SELECT t.id, t.case_id, t.step, t.started_at, t.due_at, t.notified_until,"
            " c.opd_id FROM tasks t JOIN cases c ON c.id = t.case_id WHERE t.done_at IS NULL"
        )
        if due_by is None:
            return [as_dict(r) for r in await self._all(sql)]
        at = due_by.astimezone(UTC).isoformat()
        union = f"{sql} AND t.next_notice_at <= ? UNION ALL {sql} AND t.next_notice_at IS NULL"
        return [as_dict(r) for r in await self._all(union, (at,))]

    setattr(TaskRepository, "sweep_rows", sweep_rows)  # noqa: B010


PATCHES: dict[str, Callable[[], None]] = {
    "sniffio": sniffio,
    "one-hop-reads": one_hop_reads,
    "inline-sqlite": inline_sqlite,
    "smooth-limiter": smooth_limiter,
    "drain-outbox": drain_outbox,
    "sweep-union": sweep_union,
}
RUNNERS: dict[str, Runner] = {
    "throughput": throughput.run,
    "broadcast": broadcast.run,
    "broadcast-scheduler": broadcast.run_scheduler,
    "sweep": sweep.run,
    "documents": documents.run,
}


def main(argv: Iterable[str] | None = None) -> int:
    import asyncio

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.whatif",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("benchmark", choices=sorted(RUNNERS))
    parser.add_argument("--patch", action="append", default=[], choices=sorted(PATCHES))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(list(argv) if argv is not None else None)
    for name in args.patch:
        PATCHES[name]()
    print(f"patched: {', '.join(args.patch) or 'nothing'}", file=sys.stderr)
    figures = asyncio.run(partial(RUNNERS[args.benchmark], args.quick)())
    print(format_table(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
