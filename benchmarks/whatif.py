"""Re-run a benchmark with a proposed fix patched in, in this process only (no project file changes).

    python -m benchmarks.whatif throughput --patch sniffio

Each patch stands for a change proposed in benchmarks/README.md and not made (those that were
made are in the project now); it is applied by replacing a function or class attribute before the
benchmark starts, so the figures show what the change would give before anyone makes it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from functools import partial

from benchmarks import broadcast, documents, sweep, throughput
from benchmarks.common import Runner, format_table


def sniffio() -> None:
    """httpcore tries `import sniffio` on every request; without sniffio installed that import
    fails each time (a search of sys.path). This is what installing sniffio gives."""
    import httpcore._synchronization as sync

    sync.current_async_library = lambda: "asyncio"


PATCHES: dict[str, Callable[[], None]] = {
    "sniffio": sniffio,
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
