"""The public register's weight and search speed at 600 and 25,000 entries, in headless Chromium.

A synthetic register (30 OPDs x 20 entries, the city; 250 OPDs x 100 entries, a province) with
summaries of 150 to 600 characters and one or two documents per entry is rendered by the site's
own pure page functions (`bot.publishing.pages.site_pages`, no disk: the time to render every
page is a figure of its own). The index, the search index `cari.json`, an OPD's page and the
static files are then published as a generation and served by `web serve`'s server to Debian's
Chromium (Playwright), which measures:

* weight: the index, `cari.json` and the parts of the search index (the largest part of the
  word index, a block of cards), raw and as the `.gz` twin the server sends;
* the index's load (DOMContentLoaded) and its number of elements;
* the first search: typing a word until its cards are shown, and the bytes it fetched (gzip
  on the wire);
* a filtered list: the median time from an input event to the list laid out (fetching the
  parts a new word needs, the script's work, the DOM update and a forced layout), over several
  queries and filters, each new; also with the CPU slowed four times (Chromium's CPU
  throttling), roughly a low-end phone.

Goals (issue 19): the index under 50 KB compressed, a filter under 100 ms on a desktop CPU.
`--quick` uses 600 and 5,000 entries.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.common import Figure, say, verdict
from bot.publishing import site as site_module
from bot.publishing.generations import publish_generation
from bot.publishing.model import PublicDocument, PublicEntry
from bot.publishing.pages import SEARCH_INDEX, PageContext, site_pages
from bot.publishing.server import serve
from bot.publishing.views import register_views

NAME = "dipsite"
CHROMIUM = Path("/usr/bin/chromium")
INDEX_GZ_GOAL = 50 * 1024
FILTER_GOAL_S = 0.100
QUERIES = ("dinas", "laporan keuangan", "kesehatan 2026", "a", "anggaran daerah", "zonasi")

_VOCABULARY = (
    "laporan keuangan anggaran realisasi program kegiatan rencana strategis kinerja pelayanan "
    "publik kesehatan pendidikan jalan jembatan drainase banjir sampah air bersih sekolah "
    "puskesmas rumah sakit perizinan investasi pasar tenaga kerja sosial bantuan pangan "
    "pertanian perikanan pariwisata kebudayaan olahraga pemuda perhubungan terminal parkir "
    "lingkungan hidup taman kota penataan ruang zonasi perumahan permukiman kependudukan "
    "catatan sipil arsip perpustakaan statistik daerah pengadaan barang jasa aset inventaris "
    "pegawai kepegawaian pelatihan pengawasan inspektorat evaluasi triwulan semester tahunan"
)
_WORDS = _VOCABULARY.split()


def has_chromium() -> bool:
    return CHROMIUM.is_file()


def synthetic_register(opds: int, per_opd: int, store: Path) -> list[PublicEntry]:
    """A register of `opds` x `per_opd` entries, the same for the same sizes (seeded)."""
    rng = random.Random(19)
    source = store / "dokumen.pdf"
    source.write_bytes(b"%PDF-1.4\n%%EOF\n")
    categories = ("berkala", "berkala", "setiap_saat", "setiap_saat", "serta_merta")
    entries = []
    for o in range(opds):
        code, name = f"OPD{o:03d}", f"Dinas {' '.join(rng.sample(_WORDS, 2)).title()} {o}"
        for n in range(per_opd):
            i = o * per_opd + n
            title = (
                " ".join(rng.sample(_WORDS, rng.randint(4, 9))).capitalize() + f" {2020 + i % 7}"
            )
            summary = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(20, 80)))
            docs = tuple(
                PublicDocument(
                    sha256=f"{i:060d}{d:04d}", name=f"{title[:30].strip()} {d + 1}.pdf",
                    mime="application/pdf", size=rng.randint(10_000, 5_000_000), source=source,
                )
                for d in range(rng.randint(1, 2))
            )  # fmt: skip
            entries.append(
                PublicEntry(
                    id=i + 1, opd_code=code, opd_name=name, round_name="DIP Semester I 2027",
                    number=n + 1, title=title, summary=summary.capitalize() + ".",
                    category=categories[i % 5], holder="Sekretariat", responsible="Kepala",
                    made="Januari 2027, Pontianak", forms="Softcopy, cetak",
                    retention="5 tahun", documents=docs,
                    published_at=datetime(2027, 1, 4, 1, 0, tzinfo=UTC) + timedelta(minutes=i),
                )
            )  # fmt: skip
    return entries


def render(entries: list[PublicEntry]) -> tuple[dict[str, str], float]:
    """Every page of the site, rendered in memory; and how long that took."""
    began = time.perf_counter()
    groups = register_views(entries, ZoneInfo("Asia/Pontianak"))
    context = PageContext(
        city="Kota Pontianak",
        updated=datetime(2027, 3, 2, 9, 0, tzinfo=UTC),
        asset_version="0" * 12,
        home="/",
    )
    pages = dict(site_pages(site_module.environment(), groups, context))
    return pages, time.perf_counter() - began


def publish_subset(root: Path, pages: dict[str, str]) -> None:
    """The pages the browser needs (the index, the search index, an OPD's page, the static
    files), each with its `.gz` twin, as a live generation for the server."""
    wanted = ["index.html", SEARCH_INDEX, next(p for p in pages if p.startswith("opd/"))]
    wanted += [p for p in pages if p.startswith("cari/")]
    static = Path(site_module.__file__).parent / "static"

    def write(target: Path) -> None:
        files = {path: pages[path].encode("utf-8") for path in wanted}
        for name in ("site.css", "site.js", "favicon.svg"):
            files[f"static/{name}"] = (static / name).read_bytes()
        for path, data in files.items():
            (target / path).parent.mkdir(parents=True, exist_ok=True)
            (target / path).write_bytes(data)
            (target / f"{path}.gz").write_bytes(site_module.gzipped(data))

    publish_generation(root, write)


_TIME_FILTER = """async ([query, category]) => {
    const box = document.getElementById("cari");
    const select = document.getElementById("kategori");
    const panel = document.getElementById("saring");
    const before = panel.getAttribute("data-run");
    const began = performance.now();
    select.value = category;
    box.value = query;
    box.dispatchEvent(new Event("input", {bubbles: true}));
    // Done when the newest search has shown its list (data-run set by site.js).
    while (panel.getAttribute("data-run") === before ||
           Number(panel.getAttribute("data-run")) < Number(before) + 1) {
        await new Promise(resolve => setTimeout(resolve, 0));
    }
    document.body.offsetHeight;  // the list laid out
    return [performance.now() - began, document.getElementById("hasil").textContent];
}"""

_FETCHED = """() => performance.getEntriesByType("resource")
    .filter(r => r.name.includes("/cari"))
    .reduce((sum, r) => sum + r.transferSize, 0)"""


async def measure_in_chromium(url: str, slow: bool) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            if slow:
                cdp = await context.new_cdp_session(page)
                await cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
            await page.goto(url, wait_until="load")
            loaded = await page.evaluate(
                "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
            )
            elements = await page.evaluate("document.getElementsByTagName('*').length")
            first, _status = await page.evaluate(_TIME_FILTER, ["laporan", ""])
            fetched = await page.evaluate(_FETCHED)
            times = []
            for query in QUERIES:  # each new: its part of the word index is fetched
                took, _status = await page.evaluate(_TIME_FILTER, [query, ""])
                times.append(took)
            for _ in range(2):
                for query in QUERIES:
                    took, _status = await page.evaluate(_TIME_FILTER, [query, ""])
                    times.append(took)
                for category in ("berkala", "serta_merta"):
                    took, _status = await page.evaluate(_TIME_FILTER, ["", category])
                    times.append(took)
                took, _status = await page.evaluate(_TIME_FILTER, ["", ""])  # cleared
                times.append(took)
            return {
                "loaded_ms": loaded,
                "elements": elements,
                "first_ms": first,
                "first_kb": fetched / 1024,
                "filter_ms": statistics.median(times),
                "filter_max_ms": max(times),
            }
        finally:
            await browser.close()


async def one_size(opds: int, per_opd: int, figures: list[Figure]) -> None:
    size = opds * per_opd
    b, tag = NAME, f"{size:,} entries"
    with tempfile.TemporaryDirectory(prefix="ppid-bench-") as tmp:
        say(f"[{NAME}] {tag}: rendering every page")
        entries = synthetic_register(opds, per_opd, Path(tmp))
        pages, took = render(entries)
        index = pages["index.html"].encode("utf-8")
        search = pages[SEARCH_INDEX].encode("utf-8")
        index_gz = len(site_module.gzipped(index))
        search_gz = len(site_module.gzipped(search))
        parts = {p: t.encode("utf-8") for p, t in pages.items() if p.startswith("cari/")}
        largest = max((p for p in parts if "/t-" in p), key=lambda p: len(parts[p]))
        all_parts = sum(len(data) for data in parts.values())
        figures += [
            Figure(b, f"{tag}: render all {len(pages):,} pages (no disk)", f"{took:.1f} s"),
            Figure(
                b,
                f"{tag}: index.html raw / gzip",
                f"{len(index) / 1024:.1f} KB / {index_gz / 1024:.1f} KB",
                "< 50 KB gzip",
                verdict(index_gz < INDEX_GZ_GOAL),
            ),
            Figure(
                b,
                f"{tag}: cari.json raw / gzip (loaded on the first search)",
                f"{len(search) / 1024:.1f} KB / {search_gz / 1024:.1f} KB",
            ),
            Figure(
                b,
                f"{tag}: largest word-index part ({largest}) raw / gzip",
                f"{len(parts[largest]) / 1024:.0f} KB / "
                f"{len(site_module.gzipped(parts[largest])) / 1024:.0f} KB",
            ),
            Figure(
                b,
                f"{tag}: whole search index, {len(parts) + 1:,} files, raw",
                f"{(all_parts + len(search)) / 1024:,.0f} KB",
            ),
        ]
        if not has_chromium():
            figures.append(
                Figure(b, f"{tag}: browser figures", "no /usr/bin/chromium", "-", "MISS")
            )
            return
        root = Path(tmp) / "web"
        publish_subset(root, pages)
        runner = await serve(root, "127.0.0.1", 0)
        try:
            host, port = runner.addresses[0][:2]
            url = f"http://{host}:{port}/"
            for slow in (False, True):
                say(f"[{NAME}] {tag}: Chromium{' (CPU / 4)' if slow else ''}")
                found = await measure_in_chromium(url, slow)
                how = "slow phone (CPU / 4)" if slow else "desktop"
                figures += [
                    Figure(
                        b,
                        f"{tag}, {how}: index loaded (DOMContentLoaded), elements",
                        f"{found['loaded_ms']:.0f} ms, {found['elements']:,}",
                    ),
                    Figure(
                        b,
                        f"{tag}, {how}: first search 'laporan' (fetched on the wire)",
                        f"{found['first_ms']:.0f} ms ({found['first_kb']:.0f} KB)",
                    ),
                    Figure(
                        b,
                        f"{tag}, {how}: filtered list, median (max)",
                        f"{found['filter_ms']:.1f} ms ({found['filter_max_ms']:.1f})",
                        "< 100 ms" if not slow else "-",
                        verdict(found["filter_ms"] < FILTER_GOAL_S * 1000) if not slow else "info",
                    ),
                ]
        finally:
            await runner.cleanup()


async def run(quick: bool) -> list[Figure]:
    figures: list[Figure] = []
    await one_size(30, 20, figures)
    if quick:
        await one_size(50, 100, figures)
    else:
        await one_size(250, 100, figures)
    return figures


if __name__ == "__main__":
    from benchmarks.common import main

    sys.exit(main(NAME, run))
