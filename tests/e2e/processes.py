"""The real bot as a child process (`python -m bot run --no-demo`), for tests that kill it.

The child writes its log to a file, so that a failing test can show what the bot said; the context
manager kills the child on the way out, whatever happened in the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, TypeVar

from bot.fakeapi.server import FakeTelegram

T = TypeVar("T")

EXIT_TIMEOUT_S = 10.0


@dataclass
class BotProcess:
    """One running bot process and the file its output goes to."""

    proc: asyncio.subprocess.Process
    log_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc.returncode is None

    def log(self) -> str:
        """Everything the process wrote so far (stdout and stderr together)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def kill(self) -> int:
        """SIGKILL: no shutdown code runs, as when the machine loses power."""
        return await self._signal(signal.SIGKILL)

    async def terminate(self) -> int:
        """SIGTERM: the bot stops polling, finishes and closes the database."""
        return await self._signal(signal.SIGTERM)

    async def _signal(self, sig: signal.Signals) -> int:
        if self.running:
            self.proc.send_signal(sig)
        try:
            return await asyncio.wait_for(self.proc.wait(), EXIT_TIMEOUT_S)
        except TimeoutError:
            raise AssertionError(
                f"the bot did not exit within {EXIT_TIMEOUT_S}s of {sig.name}:\n{self.log()}"
            ) from None


def _open_log(path: Path) -> IO[bytes]:
    return path.open("ab")


@contextlib.asynccontextmanager
async def bot_process(env: Mapping[str, str], *, cwd: Path, log: Path) -> AsyncIterator[BotProcess]:
    """Start the bot with exactly `env`; on exit, kill it if it still runs."""
    handle = _open_log(log)
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--no-demo",
            env=dict(env), cwd=cwd, stdin=asyncio.subprocess.DEVNULL, stdout=handle,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            yield BotProcess(proc, log)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    finally:
        handle.close()


async def eventually(
    check: Callable[[], Awaitable[T | None]],
    what: str,
    *,
    timeout: float = 15.0,  # noqa: ASYNC109
    every: float = 0.05,
    context: Callable[[], str] = lambda: "",
) -> T:
    """Poll `check` until it returns something other than None; fail with `what` on timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = await check()
        if found is not None:
            return found
        if loop.time() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{context()}")
        await asyncio.sleep(every)


def bot_env(
    fake: FakeTelegram, data_dir: Path, home: Path, start: datetime, timeout_s: float = 5
) -> dict[str, str]:
    """Exactly the environment of a bot process: nothing of the developer's leaks in."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "PPID_TELEGRAM_TOKEN": fake.token,
        "PPID_TELEGRAM_BASE_URL": fake.base_url,
        "PPID_TELEGRAM_BASE_FILE_URL": fake.base_file_url,
        "PPID_BOT_USERNAME": "ppid_test_bot",
        "PPID_DATA_DIR": str(data_dir),
        "PPID_TELEGRAM_TIMEOUT": str(timeout_s),
        "PPID_CLOCK_START": start.isoformat(),
        **database_env(),
    }


def database_env() -> dict[str, str]:
    """The test's database for a bot process: under `make test-postgresql` its PostgreSQL
    database (PPID_DATABASE_URL), else nothing (the SQLite file in PPID_DATA_DIR)."""
    url = os.environ.get("PPID_DATABASE_URL")
    return {"PPID_DATABASE_URL": url} if url else {}
