"""Run the benchmarks and print one table: ``python -m benchmarks.run [--only NAME] [--quick]``.

Each benchmark runs in a fresh interpreter (``python -m benchmarks.NAME``), one after the other, so
that memory figures and event loops do not carry over from one to the next.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # `python benchmarks/run.py`: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    ROOT,
    Figure,
    busy_machine_warning,
    format_table,
    machine_info,
    read_json,
)

BENCHMARKS = (
    "throughput", "broadcast", "sweep", "documents", "coldstart", "stall", "dipsite", "whatsapp",
    "bench_publish",
)  # fmt: skip
# A benchmark whose module is not named after it.
MODULES = {"whatsapp": "bench_whatsapp"}
BENCHMARKS += ("views", "morning")  # issue 15: the lists and the first sweep of the day at scale
BENCHMARKS += ("postgres",)  # issue 18: 1-3 instances on PostgreSQL, the sweep at 1M tasks


def run_one(name: str, quick: bool) -> tuple[list[Figure], float]:
    with tempfile.TemporaryDirectory(prefix="ppid-bench-") as tmp:
        out = Path(tmp) / "figures.json"
        module = MODULES.get(name, name)
        command = [sys.executable, "-m", f"benchmarks.{module}", "--json-out", str(out)]
        if quick:
            command.append("--quick")
        began = time.perf_counter()
        # The child's own table goes to /dev/null (this one prints them all); progress and
        # errors (stderr) stay visible.
        done = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, check=False)
        elapsed = time.perf_counter() - began
        if done.returncode != 0 or not out.exists():
            return [Figure(name, "benchmark failed", f"exit {done.returncode}", "-", "ERROR")], (
                elapsed
            )
        return read_json(out), elapsed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument(
        "--only",
        choices=BENCHMARKS,
        action="append",
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args(argv)
    names = [n for n in BENCHMARKS if not args.only or n in args.only]
    warning = busy_machine_warning()
    if warning:
        print(warning, file=sys.stderr)
    figures: list[Figure] = []
    durations: list[str] = []
    began = time.perf_counter()
    for name in names:
        print(f"running {name}...", file=sys.stderr, flush=True)
        found, elapsed = run_one(name, args.quick)
        figures += found
        durations.append(f"{name} {elapsed:.0f} s")
    print("\n".join(machine_info()))
    print(
        f"mode: {'quick' if args.quick else 'full'}; took {time.perf_counter() - began:.0f} s "
        f"({', '.join(durations)})"
    )
    if warning:
        print(warning)
    print()
    print(format_table(figures))
    return 1 if any(f.verdict == "ERROR" for f in figures) else 0


if __name__ == "__main__":
    raise SystemExit(main())
