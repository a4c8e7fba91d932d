"""How long a backup, its check and a restore take for a city-sized instance, and whether the bot's
writes stall while a backup runs (it runs in a worker thread on its own read-only connection).

    .venv/bin/python -m benchmarks.backup [--quick]

Prints the figures; asserts nothing. Not part of `benchmarks.run`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from storage.backup import create_backup, restore_backup, verify_backup
from storage.db import Database, migration_files

NOW = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)


async def prepare(data: Path, audit_rows: int, documents: int, doc_kb: int) -> Database:
    db = await Database.open(data / "ppid.sqlite3")
    async with db.transaction() as uow:
        for n in range(audit_rows):
            await uow.audit.append(at=NOW, action="bench", user_id=None, external_id=None,
                                   role=None, opd_id=None, case_id=n % 500, step=3,
                                   outcome="ok", note="x" * 80, message_id=None)  # fmt: skip
        await uow.commit()
    for _ in range(documents):
        blob = os.urandom(doc_kb * 1024)
        sha = hashlib.sha256(blob).hexdigest()
        path = data / "documents" / sha[:2] / sha[2:4] / sha
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(blob)
    return db


async def write_latencies(db: Database, stop: asyncio.Event) -> list[float]:
    """Small write transactions, one after the other, as the bot makes them."""
    found = []
    n = 0
    while not stop.is_set():
        began = time.perf_counter()
        async with db.transaction() as uow:
            await uow.meta.set("bench", str(n))
            await uow.commit()
        found.append(time.perf_counter() - began)
        n += 1
        await asyncio.sleep(0.005)
    return found


def describe(name: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return (f"{name}: {len(ms)} writes, median {statistics.median(ms):.2f} ms, "
            f"p99 {p99:.2f} ms, max {ms[-1]:.2f} ms")  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    audit_rows, documents, doc_kb = (20_000, 50, 100) if args.quick else (200_000, 300, 300)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "data"
        db = await prepare(data, audit_rows, documents, doc_kb)
        size_db = (data / "ppid.sqlite3").stat().st_size
        print(f"instance: {audit_rows} audit rows (database {size_db / 1e6:.1f} MB), "
              f"{documents} documents of {doc_kb} KB ({documents * doc_kb / 1000:.0f} MB)")  # fmt: skip

        stop = asyncio.Event()
        quiet = asyncio.create_task(write_latencies(db, stop))
        await asyncio.sleep(2.0)
        stop.set()
        print(describe("writes without a backup", await quiet))

        stop = asyncio.Event()
        busy = asyncio.create_task(write_latencies(db, stop))
        out = root / "b.tar.gz"
        began = time.perf_counter()
        await asyncio.to_thread(create_backup, data / "ppid.sqlite3", data / "documents", {},
                                out, NOW)  # fmt: skip
        took = time.perf_counter() - began
        stop.set()
        print(f"backup: {took:.2f} s, archive {out.stat().st_size / 1e6:.1f} MB")
        print(describe("writes during the backup", await busy))
        await db.close()

        began = time.perf_counter()
        verify_backup(out)
        print(f"verify: {time.perf_counter() - began:.2f} s")
        began = time.perf_counter()
        shipped = {n for n, _, _ in migration_files()}
        restore_backup(out, root / "restored", shipped, False, NOW)
        print(f"restore: {time.perf_counter() - began:.2f} s")


if __name__ == "__main__":
    asyncio.run(main())
