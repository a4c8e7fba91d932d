"""The personal-data check of large PDFs, as the bot runs it: time and the child's peak memory.

Each PDF is checked through `bot.heavy.run` with the limits `bot.services.uploads` uses (the hard
time and memory budget of the child; the check's own soft budget inside). The child reports its
own peak RSS (`ru_maxrss`) before and after the check, so the figure is the check's, not the
forkserver's. PDFs:

* `text-N`: N pages of text, 40 lines each, one NIK per page (what an OPD's list of recipients is);
* `100mb`: 200 pages of text plus a 100 MB embedded file (what a scan-heavy report weighs): the
  bytes are never read as text, so the check costs what the text costs.

Run: `.venv/bin/python -m benchmarks.datacheck [--quick]`.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import resource
import tempfile
import time
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from bot import heavy
from bot.datacheck import check_file
from bot.personal_data import DataCheck
from bot.services.uploads import CHECK_MEMORY, CHECK_TIMEOUT_S
from tests import samples


def _page(i: int) -> str:
    nik = f"617101{(i % 28) + 1:02d}0190{i % 10000:04d}"
    lines = [f"{n}. Penerima bantuan nomor {i}-{n}, Kelurahan Sungai Bangkong" for n in range(39)]
    return "\n".join([*lines, f"NIK {nik}"])


def text_pdf(pages: int) -> bytes:
    return samples.pdf([_page(i) for i in range(1, pages + 1)])


def big_pdf(pages: int, extra_mb: int) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf(pages))))
    writer.add_attachment("pindaian.bin", os.urandom(extra_mb * 1024 * 1024))
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def measured(path: Path) -> tuple[DataCheck, int, int]:
    """In the child: the check, and the peak RSS (KiB) before and after it."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    check = check_file(path, "pdf")
    return check, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def one(name: str, data: bytes, folder: Path) -> None:
    path = folder / f"{name}.pdf"
    path.write_bytes(data)
    started = time.perf_counter()
    try:
        check, before, after = await heavy.run(
            measured, path, timeout=CHECK_TIMEOUT_S, memory=CHECK_MEMORY
        )
    except (heavy.WorkTooLong, heavy.WorkTooBig) as exc:
        print(f"{name:>12}  {len(data) / 2**20:7.1f} MB  {type(exc).__name__}")
        return
    took = time.perf_counter() - started
    state = check.unchecked or ("partial" if check.partial else "checked")
    print(
        f"{name:>12}  {len(data) / 2**20:7.1f} MB  {took:6.2f} s  peak +{(after - before) / 1024:6.1f}"
        f" MiB  {check.done}/{check.total} pages  {state}  nik={check.counts.get('nik', 0)}"
    )


async def main(quick: bool) -> None:
    sizes = [50, 200] if quick else [50, 500, 2000]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        await one("warm-up", text_pdf(5), folder)
        for n in sizes:
            await one(f"text-{n}", text_pdf(n), folder)
        await one("100mb", big_pdf(50 if quick else 200, 20 if quick else 100), folder)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    asyncio.run(main(parser.parse_args().quick))
