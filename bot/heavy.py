"""CPU-heavy work (reading a spreadsheet, drawing a chart, building the site, writing an export) in
a child process, bounded in time and memory, so that the event loop keeps answering everyone else.

A thread would not do: the work is pure Python and holds the GIL, so every other person's answer
would still wait behind it, and a thread cannot be stopped when it runs too long. A child process
can be killed at its deadline, and its address space is capped (RLIMIT_AS), so a hostile file
costs at most its budget. Children are forked from a small server process (multiprocessing's
"forkserver") that has the project's modules imported already: starting one costs milliseconds
and inherits nothing of the bot's threads or open connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import resource
import weakref
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Final, TypeVar

T = TypeVar("T")

MAX_AT_ONCE: Final = 2  # the machine's cores: more at once would only share them
DEFAULT_TIMEOUT_S: Final = 60.0
DEFAULT_MEMORY: Final = 1024 * 1024 * 1024  # bytes the child may add to its address space
_PRELOAD: Final = ["bot.spreadsheets", "bot.reports", "bot.publishing.site", "bot.datacheck"]

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(_PRELOAD)
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


class WorkTooLong(Exception):
    """The work did not finish within its time; the child was killed."""


class WorkTooBig(Exception):
    """The work needed more memory than its budget; the child gave up or was killed."""


def _address_space() -> int:
    """The child's address space now (VmSize), in bytes: the budget is counted on top of it."""
    with Path("/proc/self/status").open(encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _child(
    conn: Connection, memory: int, fn: Callable[..., Any], args: tuple[Any, ...]
) -> None:  # pragma: no cover - runs in the child process
    outcome: tuple[str, Any]
    try:
        limit = _address_space() + memory
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        outcome = ("ok", fn(*args))
    except MemoryError:
        outcome = ("memory", None)
    except Exception as exc:  # handed to the caller, who decides what it means
        outcome = ("error", exc)
    try:
        conn.send(outcome)
    except OSError:  # the bot is gone (killed, or it gave up waiting): nobody to tell
        pass
    except MemoryError:
        with contextlib.suppress(OSError):
            conn.send(("memory", None))
    except Exception as exc:  # an unpicklable result or exception
        with contextlib.suppress(OSError):
            conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        conn.close()


def _run_blocking(
    fn: Callable[..., Any], args: tuple[Any, ...], timeout: float, memory: int, started: list[Any]
) -> tuple[str, Any]:
    """In a worker thread: start the child, wait for its answer or its deadline."""
    receiver, sender = _context.Pipe(duplex=False)
    proc = _context.Process(target=_child, args=(sender, memory, fn, args), daemon=True)
    try:
        proc.start()
        started.append(proc)
        sender.close()
        if not receiver.poll(timeout):
            return ("timeout", None)
        try:
            outcome: tuple[str, Any] = receiver.recv()
        except EOFError:  # died without a word: killed by the kernel for its memory
            return ("memory", None)
        return outcome
    finally:
        receiver.close()
        if proc.is_alive():
            proc.kill()
        with contextlib.suppress(ValueError, AssertionError):
            proc.join()


async def run(
    fn: Callable[..., T],
    *args: Any,
    timeout: float = DEFAULT_TIMEOUT_S,  # noqa: ASYNC109
    memory: int = DEFAULT_MEMORY,
) -> T:
    """`fn(*args)` in a child process; its result, or the exception it raised. `fn` must be a
    module-level function, and its arguments and result picklable. Raises `WorkTooLong` past
    `timeout` seconds, `WorkTooBig` when it needs more than `memory` bytes."""
    slots = _slots.setdefault(asyncio.get_running_loop(), asyncio.Semaphore(MAX_AT_ONCE))
    async with slots:
        started: list[Any] = []
        try:
            kind, value = await asyncio.to_thread(_run_blocking, fn, args, timeout, memory, started)
        except asyncio.CancelledError:
            for proc in started:  # the bot is stopping: the work is not wanted any more
                with contextlib.suppress(Exception):
                    proc.kill()
            raise
    if kind == "ok":
        result: T = value
        return result
    if kind == "timeout":
        raise WorkTooLong(f"{getattr(fn, '__name__', fn)} took more than {timeout:.0f} s")
    if kind == "memory":
        raise WorkTooBig(f"{getattr(fn, '__name__', fn)} needed more than {memory} bytes")
    raise value
