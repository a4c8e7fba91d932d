"""A 20 MB attachment received through the bot: memory and time, against a raw loopback copy.

The fake Bot API runs in a child process (`benchmarks.fakeproc`), so this process's memory is the
bot's alone. The Pejabat PID of a round in step 1 is asked for the draft file (the `draft_file`
dialog) and sends a 20 MiB PDF (exactly the Bot API's download limit, which the fake enforces). The
bot handles the update as always: the router, `bot.services.uploads.receive`, which streams the file
with `bot.channels.telegram.files.telegram_file_chunks` into `storage.files.FileStore.store`
(hashed, written in 1 MiB blocks, fsynced, renamed to its content address).

Memory: a background thread reads VmRSS from /proc/self/status every 2 ms; the figure is the highest
reading minus the reading just before the person sends (VmHWM, reset through
/proc/self/clear_refs, cross-checks it). A 1 MiB document goes first, unmeasured, so that lazy
imports and connection pools are in place.

Time: `FileStore.store` as the bot calls it (download, hash, write, fsync, rename), against a raw
copy of the same bytes over the same loopback: getFile, then an httpx stream (the client the bot
uses) in 64 KiB chunks into a file, fsynced; and the same with aiohttp.
"""

from __future__ import annotations

import gc
import hashlib
import os
import statistics
import tempfile
import time
from collections.abc import AsyncIterable, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from benchmarks.common import (
    MB,
    Figure,
    RssSampler,
    RunningClock,
    bench_settings,
    mib,
    reset_hwm,
    say,
    verdict,
    vm_hwm_kib,
    vm_rss_kib,
)
from benchmarks.fakeproc import RemoteFake, remote_fake
from benchmarks.scenario import add_opds, add_users, open_ctx, settle_outbox
from bot.channels.telegram.application import build_application, running
from bot.services import cases
from bot.services.context import Ctx
from bot.sop import Role
from storage.files import StoredFile

NAME = "documents"
PEJABAT_ID = 300_001
CHUNK = 64 * 1024
REPEAT = 3
Copier = Callable[[str, Path], Awaitable[int]]


async def file_url(fake: RemoteFake, file_id: str) -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fake.api_url}/getFile", params={"file_id": file_id}) as response,
    ):
        answer = await response.json()
    return f"{fake.base_file_url}{fake.token}/{answer['result']['file_path']}"


def fsync_close(handle: Any) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()


async def copy_httpx(url: str, target: Path) -> int:
    size = 0
    async with httpx.AsyncClient(timeout=60) as client, client.stream("GET", url) as response:
        handle = target.open("wb")
        async for chunk in response.aiter_bytes(CHUNK):
            handle.write(chunk)
            size += len(chunk)
        fsync_close(handle)
    return size


async def copy_aiohttp(url: str, target: Path) -> int:
    size = 0
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        handle = target.open("wb")
        async for chunk in response.content.iter_chunked(CHUNK):
            handle.write(chunk)
            size += len(chunk)
        fsync_close(handle)
    return size


async def measured(action: Callable[[], Awaitable[Any]]) -> tuple[Any, float, int, int]:
    """(result, seconds, sampled RSS growth KiB, VmHWM growth KiB) of one action."""
    gc.collect()
    hwm = reset_hwm()
    baseline = vm_rss_kib()
    with RssSampler(0.002) as sampler:
        began = time.perf_counter()
        result = await action()
        elapsed = time.perf_counter() - began
    growth = sampler.peak_kib - baseline
    hwm_growth = vm_hwm_kib() - baseline if hwm else -1
    return result, elapsed, growth, hwm_growth


async def run(quick: bool) -> list[Figure]:
    size = 20 * MB
    b = NAME
    with tempfile.TemporaryDirectory(prefix="ppid-bench-") as tmp:
        async with remote_fake() as fake:
            await fake.call("people", ids=[PEJABAT_ID])
            settings = bench_settings(
                Path(tmp) / "data", fake.token, fake.base_url, fake.base_file_url
            )
            clock = RunningClock()
            async with open_ctx(settings, clock) as ctx:
                (opd_id,) = await add_opds(ctx, 1)
                (pejabat,) = await add_users(ctx, [(PEJABAT_ID, Role.PEJABAT, None)])
                (view,) = await cases.create_round(ctx, pejabat, "DIP 2027", [opd_id])
                await settle_outbox(ctx)
            case_id = view.case.id

            app = build_application(settings, clock=clock, rate_limit=False)
            async with running(app, settings, poll_timeout=1):
                bot_ctx: Ctx = app.bot_data["ctx"]
                store_times: list[float] = []
                original_store = bot_ctx.files.store

                async def timed_store(
                    chunks: AsyncIterable[bytes], *, max_bytes: int, ext: str
                ) -> StoredFile:
                    began = time.perf_counter()
                    try:
                        return await original_store(chunks, max_bytes=max_bytes, ext=ext)
                    finally:
                        store_times.append(time.perf_counter() - began)

                bot_ctx.files.store = timed_store  # type: ignore[method-assign]

                async def send(name: str, nbytes: int) -> dict[str, Any]:
                    async with bot_ctx.db.transaction() as uow:
                        await uow.dialogs.set(
                            pejabat.id, "draft_file", {"case": case_id}, bot_ctx.now()
                        )
                        await uow.commit()
                    return await fake.call("document", uid=PEJABAT_ID, name=name, size=nbytes)

                say(f"[{NAME}] warm-up: 1 MiB through the bot")
                await send("pemanasan.pdf", MB)
                say(f"[{NAME}] 20 MiB through the bot, {REPEAT} times")
                runs = []
                for i in range(REPEAT):

                    async def send_big(name: str = f"draf-{i}.pdf") -> dict[str, Any]:
                        return await send(name, size)

                    runs.append(await measured(send_big))
                sent = runs[0][0]
                growth = max(r[2] for r in runs)
                hwm_growth = max(r[3] for r in runs)
                stored_ok = all(
                    bot_ctx.files.path_for(r[0]["sha256"]).is_file()
                    and bot_ctx.files.path_for(r[0]["sha256"]).stat().st_size == size
                    for r in runs
                )
                store_s = statistics.median(store_times[-REPEAT:])
                e2e_s = statistics.median(r[0]["e2e"] for r in runs)

            say(f"[{NAME}] raw loopback copies of the same bytes, {REPEAT} times each")
            url = await file_url(fake, sent["file_id"])
            raw = Path(tmp) / "raw.bin"
            await copy_httpx(url, raw)  # warm-up (imports, page cache)
            with raw.open("rb") as fh:
                raw_ok = hashlib.file_digest(fh, "sha256").hexdigest() == sent["sha256"]
            copies = []
            for copy in (copy_httpx, copy_aiohttp):
                for _ in range(REPEAT):
                    raw.unlink()

                    async def copy_once(copy: Copier = copy) -> int:
                        return await copy(url, raw)

                    copies.append(await measured(copy_once))
            httpx_s = statistics.median(c[1] for c in copies[:REPEAT])
            httpx_growth = max(c[2] for c in copies[:REPEAT])
            aiohttp_s = statistics.median(c[1] for c in copies[REPEAT:])
            aiohttp_growth = max(c[2] for c in copies[REPEAT:])
    rate = size / MB / store_s
    return [
        Figure(
            b,
            "20 MiB through the bot: peak RSS growth (max of 3)",
            mib(growth),
            "< 10 MB",
            verdict(growth * 1024 < 10 * 10**6),
        ),
        Figure(
            b, "same, VmHWM growth (cross-check)", mib(hwm_growth) if hwm_growth >= 0 else "n/a"
        ),
        Figure(
            b,
            "stored intact at its content address",
            "yes" if stored_ok else "NO",
            "yes",
            verdict(stored_ok),
        ),
        Figure(
            b, "FileStore.store as the bot calls it (median)", f"{store_s:.2f} s ({rate:.0f} MiB/s)"
        ),
        Figure(b, "end to end (send -> bot's answer)", f"{e2e_s:.2f} s"),
        Figure(
            b,
            "raw copy, httpx 64 KiB chunks + fsync",
            f"{httpx_s:.2f} s, RSS +{mib(httpx_growth)}" + ("" if raw_ok else " (BAD)"),
        ),
        Figure(b, "raw copy, aiohttp + fsync", f"{aiohttp_s:.2f} s, RSS +{mib(aiohttp_growth)}"),
        Figure(b, "bot store / raw httpx copy", f"{store_s / httpx_s:.2f}x"),
    ]


if __name__ == "__main__":
    from benchmarks.common import main

    raise SystemExit(main(NAME, run))
