"""Cold start: from `python -m bot run --no-demo` to the bot's first getUpdates, and import time.

The fake Bot API runs in this process; the bot is a child process with a fresh data directory
(the database is created and migrated, the calendar loaded, the commands set, then polling starts).
The figure is the time from just before the child is spawned to the fake receiving its first
getUpdates. The child is then stopped with SIGTERM.

Import time: a fresh interpreter importing `bot.channels.telegram.application` (python-telegram-bot, the handlers, storage,
everything `run` needs), timed inside it; and the packages the project's modules import, by
their cumulative time under `python -X importtime`.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import Figure, say
from bot.fakeapi.params import Params
from bot.fakeapi.server import FakeTelegram

NAME = "coldstart"
ENV_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")


class WatchedFake(FakeTelegram):
    """Notes when the first getUpdates arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.first_poll = asyncio.Event()
        self.first_poll_at = 0.0

    async def _get_updates(self, params: Params) -> list[dict[str, Any]]:
        if not self.first_poll.is_set():
            self.first_poll_at = time.perf_counter()
            self.first_poll.set()
        return await super()._get_updates(params)


async def one_start(workdir: Path) -> float:
    async with WatchedFake() as fake:
        env = {k: os.environ[k] for k in ENV_KEEP if k in os.environ}
        env.update(
            PPID_TELEGRAM_TOKEN=fake.token,
            PPID_TELEGRAM_BASE_URL=fake.base_url,
            PPID_TELEGRAM_BASE_FILE_URL=fake.base_file_url,
            PPID_DATA_DIR=str(workdir / "data"),
            PPID_LOG_LEVEL="WARNING",
        )
        log = (workdir / "bot.log").open("wb")
        began = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--no-demo",
            env=env,
            cwd=workdir,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            await asyncio.wait_for(fake.first_poll.wait(), 60)
            elapsed = fake.first_poll_at - began
            proc.terminate()
            await asyncio.wait_for(proc.wait(), 15)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            log.close()
        fake.assert_no_protocol_errors()
        return elapsed


def interpreter_time(repeat: int) -> float:
    """Median wall time of a fresh interpreter that does nothing (start and exit)."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, cwd=tempfile.gettempdir())
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def import_time(module: str, repeat: int) -> float:
    """Median time a fresh interpreter takes to import `module`, timed inside it."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    times = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-c", code],
            check=True,
            capture_output=True,
            text=True,
            cwd=tempfile.gettempdir(),
        )
        times.append(float(done.stdout))
    return statistics.median(times)


PROJECT = ("bot", "handlers", "storage")


def top_imports(module: str, count: int) -> list[tuple[str, int]]:
    """The packages the project's own modules import, by cumulative import time (µs), from
    `python -X importtime` (a package imported from several project modules is summed)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
    )
    lines = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, micros, module = line.split(":", 1)[1].split("|")
        depth = (len(module) - len(module.lstrip(" ")) - 1) // 2
        lines.append((depth, module.strip(), int(micros)))
    totals: dict[str, int] = {}
    parents: list[str] = []  # the chain of importers of the current line
    for depth, name, cumulative in reversed(lines):  # a parent is printed after its children
        del parents[depth:]
        package = name.split(".")[0]
        direct = bool(parents) and all(p.split(".")[0] in PROJECT for p in parents)
        if direct and package not in PROJECT:
            totals[package] = totals.get(package, 0) + cumulative
        parents.append(name)
    return sorted(totals.items(), key=lambda item: -item[1])[:count]


async def run(quick: bool) -> list[Figure]:
    starts = 1 if quick else 3
    repeat = 3 if quick else 5
    say(f"[{NAME}] {starts} cold start(s) of python -m bot run --no-demo")
    times = []
    for _ in range(starts):
        with tempfile.TemporaryDirectory(prefix="ppid-bench-") as tmp:
            times.append(await one_start(Path(tmp)))
    say(f"[{NAME}] import times")
    bare = interpreter_time(repeat)
    with_app = import_time("bot.channels.telegram.application", repeat)
    with_cli = import_time("bot.cli", repeat)
    top = top_imports("bot.channels.telegram.application", 6)
    b = NAME
    shown = ", ".join(f"{name} {micros / 1000:.0f}" for name, micros in top)
    return [
        Figure(
            b,
            f"start -> first getUpdates (median of {starts})",
            f"{statistics.median(times):.2f} s"
            + (f" ({min(times):.2f}..{max(times):.2f})" if starts > 1 else ""),
        ),
        Figure(b, "bare interpreter start and exit", f"{bare * 1000:.0f} ms"),
        Figure(
            b,
            "import bot.channels.telegram.application (what `run` needs)",
            f"{with_app * 1000:.0f} ms",
        ),
        Figure(b, "import bot.cli (before `run` starts)", f"{with_cli * 1000:.0f} ms"),
        Figure(b, "heaviest packages the project imports (ms)", shown),
    ]


if __name__ == "__main__":
    from benchmarks.common import main

    raise SystemExit(main(NAME, run))
