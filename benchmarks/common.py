"""What the benchmarks share: the result rows, the table, clocks, settings, memory probes."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
WIB = ZoneInfo("Asia/Pontianak")
MB = 1024 * 1024
# Monday 1 March 2027, 09:00 WIB: a working day, inside office hours (as in the e2e tests).
OFFICE_MORNING = datetime(2027, 3, 1, 9, 0, tzinfo=WIB)


@dataclass(frozen=True)
class Figure:
    """One line of the results table."""

    benchmark: str
    name: str
    value: str
    target: str = "-"
    verdict: str = "info"  # PASS, MISS or info (no target)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear between the closest ranks; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


class RunningClock:
    """Starts at `start` and runs at the wall clock's speed (what `PPID_CLOCK_START` does)."""

    def __init__(self, start: datetime = OFFICE_MORNING) -> None:
        self._start = start
        self._began = time.monotonic()

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._began)


class SteppedClock:
    """Stands still until moved: the sweep benchmark moves it a minute per sweep."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def bench_settings(data_dir: Path, token: str, base_url: str, base_file_url: str) -> Settings:
    return Settings(
        telegram_token=token,  # type: ignore[arg-type]
        telegram_base_url=base_url,
        telegram_base_file_url=base_file_url,
        data_dir=data_dir,
        log_level="WARNING",
    )


# ---------------------------------------------------------------------------- memory


def _status_kib(field: str) -> int:
    with Path("/proc/self/status").open() as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def vm_rss_kib() -> int:
    """Resident set size of this process now."""
    return _status_kib("VmRSS")


def vm_hwm_kib() -> int:
    """Peak resident set size of this process (since start, or since `reset_hwm`)."""
    return _status_kib("VmHWM")


def reset_hwm() -> bool:
    """Reset VmHWM to the current RSS (Linux: `echo 5 > /proc/self/clear_refs`)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class RssSampler:
    """A background thread that reads VmRSS every `interval` seconds and keeps the highest."""

    def __init__(self, interval: float = 0.002) -> None:
        self.interval = interval
        self.peak_kib = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, vm_rss_kib())
            self.samples += 1
            time.sleep(self.interval)

    def __enter__(self) -> RssSampler:
        self.peak_kib = vm_rss_kib()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kib = max(self.peak_kib, vm_rss_kib())


# ---------------------------------------------------------------------------- output


def machine_info() -> list[str]:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return [
        f"nproc: {os.cpu_count()}",
        f"CPU: {model}",
        f"Python: {platform.python_version()} ({platform.python_implementation()})",
    ]


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_machine_warning(window: float = 1.0) -> str | None:
    """A warning when other processes keep the CPUs busy (measured over `window` seconds
    before the run): the figures would then not be the bot's alone."""
    try:
        busy0, total0 = _cpu_times()
        time.sleep(window)
        busy1, total1 = _cpu_times()
    except (OSError, ValueError, IndexError):
        return None
    used = (busy1 - busy0) / max(1, total1 - total0)
    if used < 0.15:
        return None
    return (
        f"warning: the CPUs were {used:.0%} busy before the run: other processes are using them, "
        "so throughput and timing figures are lower and noisier than on a quiet machine"
    )


def format_table(figures: Sequence[Figure]) -> str:
    header = ("benchmark", "figure", "value", "target", "verdict")
    rows = [header] + [(f.benchmark, f.name, f.value, f.target, f.verdict) for f in figures]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[j]) for j, cell in enumerate(row)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def say(message: str) -> None:
    """Progress, on stderr (stdout carries the table)."""
    print(message, file=sys.stderr, flush=True)


def write_json(path: Path, figures: Sequence[Figure]) -> None:
    path.write_text(json.dumps([asdict(f) for f in figures], ensure_ascii=False, indent=1))


def read_json(path: Path) -> list[Figure]:
    return [Figure(**item) for item in json.loads(path.read_text())]


Runner = Callable[[bool], Coroutine[Any, Any, list[Figure]]]


def main(name: str, run: Runner, argv: Sequence[str] | None = None) -> int:
    """The command line of one benchmark module: ``python -m benchmarks.NAME [--quick]``."""
    parser = argparse.ArgumentParser(prog=f"python -m benchmarks.{name}")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--json-out", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args.quick))
    print(format_table(figures))
    if args.json_out is not None:
        write_json(args.json_out, figures)
    return 0
