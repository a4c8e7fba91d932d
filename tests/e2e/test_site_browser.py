"""The public DIP website in a real browser, after a round published through the chat.

Debian's headless Chromium (installed by `make test` and by CI) is driven by Playwright; Playwright's
own browser download is never used. The round is mostly driven through the services for speed; the
documents are sent and the publication pressed through the chat.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Locator,
    Page,
    Request,
    Response,
    async_playwright,
    expect,
)

from bot.fakeapi import flows
from bot.publishing.model import PublicDocument, PublicEntry
from bot.publishing.site import SiteBuilder, serve
from bot.services import cases, drafting, opd_work, review
from bot.sop import Category, Role
from tests.e2e.conftest import Harness

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[1] / "browser" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# A real PDF header and a byte pattern no other file has; over 256 KB, so the server streams it.
RENSTRA_PDF = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    + b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(10_000))
    + b"\n%%EOF\n"
)
LKPD_PDF = b"%PDF-1.7\n" + b"laporan keuangan daerah " * 400 + b"\n%%EOF\n"
DBD_PDF = b"%PDF-1.5\n" + bytes(range(256)) * 20 + b"\n%%EOF\n"

LKPD = "Laporan Keuangan Dinas Kesehatan 2026"
RENSTRA = "Renstra Dinas Kesehatan 2025-2029"
DBD = "Peringatan Dini Demam Berdarah"
KIR = "Hasil Uji Kir Kendaraan Bermotor"
PUBLISHED = (LKPD, RENSTRA, DBD)


@dataclass(frozen=True)
class Site:
    root: Path
    url: str


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium; missing it skips the test locally and fails it in CI."""
    if not CHROMIUM.is_file():
        if os.environ.get("CI"):
            pytest.fail(
                f"{CHROMIUM} is missing: CI must install Debian's chromium "
                "(apt-get install chromium, as `make test` does) for the browser test"
            )
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium, or `make test`)")
    return CHROMIUM


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    """The site server on a free port, serving the web directory the harness's bot writes."""
    root = tmp_path / "data" / "web"
    runner = await serve(root, "127.0.0.1", 0)
    try:
        host, port = runner.addresses[0][:2]
        yield Site(root=root, url=f"http://{host}:{port}")
    finally:
        await runner.cleanup()


@pytest.fixture
def settings_overrides(site: Site) -> dict[str, Any]:
    # The links the bot sends then point at the served site.
    return {"public_base_url": site.url}


@dataclass
class Problems:
    """Everything a page should never show: script errors, failed or refused requests."""

    seen: list[str]

    def watch(self, page: Page) -> Page:
        page.on("console", self._console)
        page.on("pageerror", self._page_error)
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)
        return page

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in {"error", "warning"}:
            self.seen.append(f"console {message.type}: {message.text}")

    def _page_error(self, error: Error) -> None:
        self.seen.append(f"page error: {error.message}")

    def _request_failed(self, request: Request) -> None:
        # Chromium fetches the icon last and cancels it when the page is left or closed first;
        # an icon that is missing or refused still shows as an HTTP error or a console error.
        if "/static/favicon.svg" in request.url and request.failure == "net::ERR_ABORTED":
            return
        self.seen.append(f"request failed: {request.url} ({request.failure})")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.seen.append(f"HTTP {response.status}: {response.url}")


async def published_round(h: Harness) -> dict[str, str]:
    """Two OPDs taken to step 5 (documents sent through the chat, one entry exempt); the Pejabat
    then publishes both through the chat and receives the links of the published pages.
    Returns the page address of every title (the exempt one's is never sent, nor served)."""
    await h.add_opds("DINKES", "DISHUB")
    andi, rina, sari = await h.join_team(7001)
    joko = await h.join(7004, "Bapak Joko", Role.PENDUKUNG, "DISHUB")
    ctx = h.ctx
    pejabat, utama = await h.user(andi), await h.user(rina)
    async with ctx.db.transaction() as uow:
        opds = {o.code: o.id for o in await uow.opds.all()}
    views = await cases.create_round(ctx, pejabat, "DIP Semester I 2027", list(opds.values()))
    case_of = {v.opd.code: v.case.id for v in views}
    plan = {
        "DINKES": [(LKPD, Category.BERKALA), (RENSTRA, Category.SETIAP_SAAT)],
        "DISHUB": [(DBD, Category.SERTA_MERTA), (KIR, Category.SETIAP_SAAT)],
    }
    for code, entries in plan.items():
        case_id = case_of[code]
        for title, category in entries:
            index = drafting.CATEGORIES.index(category)
            await drafting.add_entry(ctx, pejabat, case_id, title, f"Ringkasan {title}", index)
        v = await cases.view(ctx, case_id)
        await drafting.send_to_utama(ctx, pejabat, case_id, v.case.version)
        v = await cases.view(ctx, case_id)
        await review.approve_step2(ctx, utama, case_id, v.case.version)

    # Step 3: the PPID Pendukung send their documents through the chat; DISHUB proposes KIR exempt.
    await sari.send_document("lkpd-2026.pdf", LKPD_PDF, caption="#1")
    await sari.wait_for_text("untuk entri #1")
    await sari.send_document("renstra.pdf", RENSTRA_PDF, caption="#2")
    await sari.wait_for_text("untuk entri #2")
    await joko.send_document("peringatan-dbd.pdf", DBD_PDF, caption="#1")
    await joko.wait_for_text("untuk entri #1")
    kir = (await cases.view(ctx, case_of["DISHUB"])).entries[1]
    assert kir.title == KIR
    await opd_work.propose_exempt(
        ctx, await h.user(joko), kir.id, "UK-03/DISHUB/2027", date(2031, 12, 31)
    )
    for code, person in (("DINKES", sari), ("DISHUB", joko)):
        case_id = case_of[code]
        v = await cases.view(ctx, case_id)
        await opd_work.send_to_utama(ctx, await h.user(person), case_id, v.case.version)
        v = await cases.view(ctx, case_id)
        await review.approve_step4(ctx, utama, case_id, v.case.version)

    # Step 5 through the chat: the Pejabat publishes each OPD and receives the pages' links.
    step5 = {
        opd: await andi.wait_for_text(f"📥 Dinas {opd} — DIP Semester I 2027\nLangkah 5")
        for opd in ("Dinkes", "Dishub")
    }
    assert f"#2 {KIR} [Dikecualikan] — 🔒 dikecualikan (disetujui)" in step5["Dishub"].text
    links: dict[str, str] = {}
    for opd, line in (("Dinkes", "2 entri terbit"), ("Dishub", "1 entri terbit, 0 tidak")):
        done = await flows.publish_on_site(andi, step5[opd])
        assert f"Berkas Dinas {opd} sedang diterbitkan di web PPID: {line}" in done.text
        for e in (await cases.view(ctx, case_of[opd.upper()])).entries:
            link = f"{h.settings.public_base_url}/informasi/{e.id}.html"
            assert (f"#{e.number} {link}" in done.text) == (e.title != KIR), done.text
            links[e.title] = link
    await h.site_settled()
    return links


def card(page: Page, title: str) -> Locator:
    """A search result (a card built from cari.json) on the index."""
    return page.locator("#hasil-daftar li").filter(has_text=title)


def row(page: Page, title: str) -> Locator:
    """A row of a register page (an OPD's or a category's): a card on a phone."""
    return page.locator("tr[data-category]").filter(has_text=title)


def axe_source() -> str:
    """axe-core, installed from npm by `make test` (pinned in tests/browser/package-lock.json)."""
    if not AXE.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{AXE} is missing: CI must run `npm ci --prefix tests/browser`")
        pytest.skip(f"{AXE} is missing: run `npm ci --prefix tests/browser` (or `make test`)")
    return AXE.read_text(encoding="utf-8")


async def axe_violations(page: Page, source: str) -> list[str]:
    """The WCAG 2.x A and AA violations axe-core finds on the page as it is now.

    The page's context bypasses the CSP: axe-core is injected as a script of the test's own."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.add_script_tag(content=source)
    found: list[str] = await page.evaluate(
        """async () => {
            const result = await window.axe.run(document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                 "wcag22a", "wcag22aa"]},
            });
            return result.violations.map(v => `${v.id} (${v.impact}): ` +
                v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
        }"""
    )
    return found


async def no_sideways_scroll(page: Page, url: str, width: int) -> None:
    scroll = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{url} scrolls sideways at {width} px: {scroll}px"


async def shows_cards(page: Page) -> bool:
    """Whether the register's rows are drawn as cards (phone) rather than table rows."""
    shown: str = await page.evaluate(
        "getComputedStyle(document.querySelector('table.register tbody tr')).display"
    )
    return shown != "table-row"


async def test_the_published_register_can_be_browsed_filtered_and_downloaded_in_chromium(
    chromium: Path, harness: Harness, site: Site, tmp_path: Path
) -> None:
    h = harness
    problems = Problems(seen=[])
    assert h.settings.web_dir == site.root
    links = await published_round(h)
    assert sorted(links) == sorted([*PUBLISHED, KIR])
    axe = axe_source()

    async with async_playwright() as playwright:
        browser: Browser = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS
        )
        try:
            desktop: BrowserContext = await browser.new_context(
                viewport={"width": 1280, "height": 900}, accept_downloads=True, bypass_csp=True
            )
            desktop.set_default_timeout(5_000)
            page = problems.watch(await desktop.new_page())

            # The index lists the OPDs with their counts (changed with issue 19: no entry rows),
            # and never the exempt entry.
            await page.goto(f"{site.url}/")
            await expect(page).to_have_title(re.compile("Daftar Informasi Publik"))
            opds = page.locator("#daftar-opd li")
            await expect(opds).to_have_text(
                ["Dinas Dinkes 2 informasi", "Dinas Dishub 1 informasi"]
            )
            assert KIR not in await page.content()
            await expect(page.locator("#hasil")).to_have_text("")

            # The category filter, chosen by its label, shows only that category's entry.
            await page.get_by_label("Kategori", exact=True).select_option(label="Setiap saat")
            await expect(page.locator("#hasil")).to_have_text("Menampilkan 1 dari 3 informasi.")
            await expect(card(page, RENSTRA)).to_be_visible()
            await expect(card(page, LKPD)).to_have_count(0)
            await expect(card(page, DBD)).to_have_count(0)
            assert "kategori=setiap_saat" in page.url
            assert await axe_violations(page, axe) == []

            # Typing in the search box (every category again) keeps the matching entry only.
            await page.get_by_role("button", name="Hapus saringan").click()
            await expect(page.locator("#hasil-bagian")).to_be_hidden()
            await page.get_by_role("searchbox").press_sequentially("demam")
            await expect(page.locator("#hasil")).to_have_text("Menampilkan 1 dari 3 informasi.")
            await expect(card(page, DBD)).to_be_visible()
            await expect(page.locator("#hasil-daftar li")).to_have_count(1)
            # The OPD's name finds its entries too.
            await page.get_by_role("searchbox").fill("dinas dinkes")
            await expect(page.locator("#hasil")).to_have_text("Menampilkan 2 dari 3 informasi.")
            await page.get_by_role("searchbox").fill("")
            await expect(page.locator("#hasil-bagian")).to_be_hidden()

            # The OPD's page shows its register as a table on a wide screen; a title opens the
            # entry page, the address the Pejabat received in the chat.
            await page.get_by_role("link", name="Dinas Dinkes").click()
            await expect(page.get_by_role("heading", level=1)).to_have_text("Dinas Dinkes")
            await expect(row(page, RENSTRA)).to_be_visible()
            await expect(row(page, LKPD)).to_be_visible()
            assert not await shows_cards(page)
            await expect(page.locator("table.register thead")).to_be_visible()
            assert await axe_violations(page, axe) == []
            await page.get_by_role("link", name=RENSTRA).click()
            await expect(page).to_have_url(links[RENSTRA])
            await expect(page.get_by_role("heading", level=1)).to_have_text(RENSTRA)
            assert await axe_violations(page, axe) == []

            # The document downloads as an attachment with the very bytes the OPD sent; its
            # link names the type and the size.
            doc_link = page.get_by_role("link", name="renstra.pdf")
            await expect(doc_link).to_have_text(re.compile(r"^renstra\.pdf \(PDF, [\d,]+ KB\)$"))
            async with page.expect_download() as started:
                await doc_link.click()
            download = await started.value
            assert download.suggested_filename == "renstra.pdf"
            sha = hashlib.sha256(RENSTRA_PDF).hexdigest()
            assert download.url == f"{site.url}/berkas/{sha}/renstra.pdf"
            saved = tmp_path / "downloads" / download.suggested_filename
            await download.save_as(saved)
            assert await download.failure() is None
            assert saved.read_bytes() == RENSTRA_PDF

            await page.goto(f"{site.url}/")
            assert await axe_violations(page, axe) == []
            shot = tmp_path / "dip-site.png"
            await page.screenshot(path=shot, full_page=True)
            print(f"screenshot of the DIP site: {shot}")
            assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
            assert shot.stat().st_size > 10_000

            # On a phone (390 px) nothing scrolls sideways, the register is a list of cards and
            # the search comes before the lists.
            phone = await browser.new_context(
                viewport={"width": 390, "height": 844}, bypass_csp=True
            )
            phone.set_default_timeout(5_000)
            small = problems.watch(await phone.new_page())
            dinkes = f"{site.url}/opd/dinkes.html"
            for url in (
                f"{site.url}/",
                dinkes,
                f"{site.url}/kategori/berkala.html",
                links[RENSTRA],
            ):
                await small.goto(url)
                await no_sideways_scroll(small, url, 390)
                assert await axe_violations(small, axe) == [], url
            await small.goto(f"{site.url}/")
            search_top = await small.locator("#cari").bounding_box()
            assert search_top is not None and search_top["y"] < 844  # on the first screen
            await small.goto(dinkes)
            assert await shows_cards(small)
            header = await small.locator("table.register thead").bounding_box()
            assert header is not None and header["width"] <= 1  # for screen readers only
            await expect(row(small, RENSTRA)).to_be_visible()
            mobile = tmp_path / "dip-site-390.png"
            await small.screenshot(path=mobile, full_page=True)
            print(f"screenshot of an OPD's register at 390 px: {mobile}")
            assert mobile.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
            assert mobile.stat().st_size > 10_000

            # The open data never carries the exempt entry, nor does any address of its own.
            for data in ("dip.json", "dip.csv", "cari.json"):
                response = await small.request.get(f"{site.url}/{data}")
                assert response.ok and KIR not in await response.text()
            assert (await small.request.get(links[KIR])).status == 404
            assert problems.seen == []
        finally:
            await browser.close()


# --------------------------------------------------------------------------------------------
# A city-sized register (30 OPDs x 20 entries) built by the SiteBuilder: search as people type


CITY_OPDS = [
    ("DINKES", "Dinas Kesehatan"),
    ("BPBD", "Badan Penanggulangan Bencana Daerah"),
    ("RSUD", "Rumah Sakit Umum Daerah Sultan Syarif Mohamad Alkadrie"),
    *[(f"UNIT{n:02d}", f"Dinas Urusan Nomor {n}") for n in range(4, 31)],
]
DEEP_WORD = "zonasi"
LONG_TITLE = "Daftar" + "x" * 194  # 200 characters, no space
FILLER = (
    "Dokumen ini memuat uraian program, kegiatan, sasaran, indikator kinerja, pagu anggaran "
    "dan realisasi per triwulan yang disusun oleh unit pelaksana untuk keperluan pelaporan "
    "kepada pimpinan daerah serta masyarakat luas, lengkap dengan catatan metodologi, "
    "penjelasan atas selisih antara rencana dan realisasi, dan daftar lampiran pendukung. "
)


def city_entries(tmp_path: Path) -> list[PublicEntry]:
    """600 entries: some titles say "2025–2029" (en dash) or "2025-2029", every tenth is serta
    merta, seven summaries of other OPDs mention "Dinas Kesehatan", a word sits past character
    300 of some summaries, one title is 200 characters without a space, one entry has 40
    documents."""
    store = tmp_path / "store"
    store.mkdir()
    documents = []
    for n in range(40):
        data = f"%PDF-1.4\nlampiran {n}\n".encode()
        path = store / f"{n}.pdf"
        path.write_bytes(data)
        documents.append(
            PublicDocument(
                sha256=hashlib.sha256(data).hexdigest(), name=f"lampiran-{n:02d}.pdf",
                mime="application/pdf", size=len(data), source=path,
            )
        )  # fmt: skip
    categories = ["berkala", "setiap_saat", "berkala", "setiap_saat", "berkala"]
    entries = []
    for i in range(600):
        code, name = CITY_OPDS[i // 20]
        title = f"Laporan kegiatan nomor {i}"
        if i % 25 == 0:
            title = f"Rencana Strategis 2025–2029 bagian {i}"
        elif i % 25 == 12:
            title = f"Renstra 2025-2029 bagian {i}"
        summary = FILLER
        if i % 37 == 5:
            summary += f"Termasuk {DEEP_WORD} sekolah."
        if i in {41, 99, 150, 233, 377, 420, 598}:
            summary += "Disusun bersama Dinas Kesehatan."
        entries.append(
            PublicEntry(
                id=i + 1, opd_code=code, opd_name=name, round_name="DIP Semester I 2027",
                number=i % 20 + 1, title=LONG_TITLE if i == 77 else title, summary=summary,
                category="serta_merta" if i % 10 == 3 else categories[i % 5],
                holder="Sekretariat", responsible="Kepala", made="2027, Pontianak",
                forms="Softcopy", retention="5 tahun",
                published_at=datetime(2027, 3, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=i),
                documents=tuple(documents) if i == 88 else (),
            )
        )  # fmt: skip
    return entries


def folded(text: str) -> str:
    """The script's folding, in Python: lower case, no accents, non-alphanumerics as spaces."""
    plain = "".join(
        c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c)
    )
    return (
        " " + " ".join(re.split(r"[^0-9a-z\u00c0-\u1fff\u2c00-\ud7ff\uf900-\ufeff]+", plain)) + " "
    )


def expected_ids(entries: list[PublicEntry], query: str) -> set[int]:
    labels = {"berkala": "Berkala", "serta_merta": "Serta merta", "setiap_saat": "Setiap saat"}
    words = folded(query).split()
    found = set()
    for e in entries:
        tokens = set(
            folded(
                " ".join(
                    [e.title, e.summary, e.opd_code, e.opd_name, e.category, labels[e.category]]
                    + [d.name for d in e.documents]
                )
            ).split()
        )
        # Every query word starts a word of the entry (a one-letter word must be one).
        if all(any(t.startswith(w) for t in tokens) if len(w) > 1 else w in tokens for w in words):
            found.add(e.id)
    return found


async def result_ids(page: Page) -> set[int]:
    """Every entry the search found: the cards, after pressing "more" until all are shown."""
    more = page.locator("#lagi")
    while await more.is_visible():
        before = await page.locator("#hasil-daftar li").count()
        await more.click()
        await expect(page.locator("#hasil-daftar li")).not_to_have_count(before)
    hrefs: list[str] = await page.eval_on_selector_all(
        "#hasil-daftar li h3 a", "links => links.map(a => a.getAttribute('href'))"
    )
    return {int(re.fullmatch(r"informasi/(\d+)\.html", h).group(1)) for h in hrefs}  # type: ignore[union-attr]


async def test_search_finds_every_entry_by_opd_code_name_dashes_and_deep_words_on_a_city_site(
    chromium: Path, tmp_path: Path
) -> None:
    entries = city_entries(tmp_path)
    root = tmp_path / "web"
    SiteBuilder(root).build(entries, updated_at=datetime(2027, 3, 2, 9, 0, tzinfo=UTC))
    axe = axe_source()
    # What the search must find, from the data (and as the data was made).
    wanted = {
        query: expected_ids(entries, query)
        for query in ("DINKES", "dinas kesehatan", "2025-2029", "serta-merta", DEEP_WORD, "RSUD")
    }
    assert len(wanted["DINKES"]) == 20 and len(wanted["RSUD"]) == 20
    assert len(wanted["dinas kesehatan"]) == 27
    assert len(wanted["2025-2029"]) == 48
    assert len(wanted["serta-merta"]) == 60
    assert len(wanted[DEEP_WORD]) == 17

    runner = await serve(root, "127.0.0.1", 0)
    problems = Problems(seen=[])
    try:
        host, port = runner.addresses[0][:2]
        url = f"http://{host}:{port}"
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(chromium), args=CHROMIUM_ARGS
            )
            try:
                for width, height in ((390, 844), (1280, 900)):
                    context = await browser.new_context(
                        viewport={"width": width, "height": height}, bypass_csp=True
                    )
                    context.set_default_timeout(5_000)
                    page = problems.watch(await context.new_page())
                    fetched: list[str] = []

                    def note(request: Request, seen: list[str] = fetched) -> None:
                        seen.append(request.url)

                    page.on("request", note)
                    await page.goto(f"{url}/")
                    # Few Tab stops and landmarks on the index (642 and 60 before issue 19).
                    stops = await page.evaluate(
                        "[...document.querySelectorAll('a[href], button, input, select, "
                        "[tabindex]')].filter(e => e.offsetParent !== null).length"
                    )
                    regions = await page.evaluate(
                        "document.querySelectorAll('main, nav, header, footer, section[aria-labelledby], "
                        "[role=region], [role=search]').length"
                    )
                    assert stops < 50 and regions < 12, (stops, regions)
                    box = page.get_by_role("searchbox")
                    # A search fetches the small index, one part of the word index and the
                    # block of cards it shows: not the register.
                    await box.fill("DINKES")
                    await expect(page.locator("#hasil")).to_have_text(
                        "Menampilkan 20 dari 600 informasi."
                    )
                    searched = [u.split("?")[0].removeprefix(url) for u in fetched if "/cari" in u]
                    assert searched == ["/cari.json", "/cari/t-di.json", "/cari/b0.json"]
                    for query, ids in wanted.items():
                        await box.fill(query)
                        await expect(page.locator("#hasil")).to_contain_text(
                            f"{len(ids)} dari 600 informasi"
                        )
                        assert await result_ids(page) == ids, (width, query)
                    await no_sideways_scroll(page, "search results", width)
                    assert await axe_violations(page, axe) == [], width

                    # A filtered view can be linked, whatever the case of its OPD or category.
                    await page.goto(f"{url}/?opd=dinkes&kategori=SERTA-MERTA")
                    await expect(page.locator("#hasil")).to_have_text(
                        "Menampilkan 2 dari 600 informasi."
                    )
                    assert await page.locator("#opd").input_value() == "DINKES"
                    assert await page.locator("#kategori").input_value() == "serta_merta"

                    # A query of 500 characters, or of punctuation only, is answered calmly.
                    await page.goto(f"{url}/")
                    await box.fill("laporan " * 62 + "kegiatan")
                    await expect(page.locator("#hasil")).to_contain_text("dari 600 informasi")
                    await box.fill("?!… —–-")
                    await expect(page.locator("#hasil")).to_have_text(
                        "Ketik huruf atau angka untuk mencari."
                    )
                    await expect(page.locator("#hasil-bagian")).to_be_hidden()

                    # A title of 200 characters without a space, an entry with 40 documents, a
                    # register page: nothing scrolls sideways, and axe finds nothing.
                    for path in ("opd/unit04.html", "informasi/78.html", "informasi/89.html",
                                 "kategori/serta-merta.html"):  # fmt: skip
                        await page.goto(f"{url}/{path}")
                        await no_sideways_scroll(page, path, width)
                        assert await axe_violations(page, axe) == [], (width, path)
                    await expect(page.locator("tr[data-category]")).to_have_count(60)
                    if width == 1280:  # the header row stays in view down a long table
                        await page.evaluate("window.scrollTo(0, 3000)")
                        assert await page.evaluate("window.scrollY") > 1_000
                        cell = page.locator("table.register thead th").first
                        header = await cell.bounding_box()
                        assert header is not None and -1 <= header["y"] <= 1, header
                    await page.goto(f"{url}/informasi/89.html")
                    await expect(page.locator("a[download]")).to_have_count(40)
                    await context.close()

                # A small old phone (320 px) and a tablet (900 px: the table scrolls in its
                # frame, the page does not).
                for width in (320, 900):
                    context = await browser.new_context(viewport={"width": width, "height": 800})
                    page = problems.watch(await context.new_page())
                    await page.goto(f"{url}/index.html?q=dinas")
                    await expect(page.locator("#hasil")).to_contain_text("dari 600 informasi")
                    await no_sideways_scroll(page, "search results", width)
                    for path in ("opd/unit04.html", "informasi/78.html"):
                        await page.goto(f"{url}/{path}")
                        await no_sideways_scroll(page, path, width)
                    await context.close()

                # A part of the search index that cannot be fetched (a network hiccup) is said
                # plainly, and the next search fetches it again.
                flaky = await browser.new_context()
                page = await flaky.new_page()
                await page.route("**/cari/b*.json*", lambda route: route.abort())
                await page.goto(f"{url}/")
                await page.get_by_role("searchbox").fill("rsud")
                await expect(page.locator("#hasil")).to_have_text(
                    "Maaf, pencarian gagal dimuat. Silakan coba lagi."
                )
                await expect(page.locator("#hasil-daftar li")).to_have_count(0)
                await page.unroute("**/cari/b*.json*")
                await page.get_by_role("searchbox").fill("rsud umum")
                await expect(page.locator("#hasil")).to_have_text(
                    "Menampilkan 20 dari 600 informasi."
                )
                await flaky.close()

                # JavaScript switched off: the register is complete through links.
                plain = await browser.new_context(java_script_enabled=False)
                page = problems.watch(await plain.new_page())
                await page.goto(f"{url}/")
                await expect(page.locator("#saring")).to_be_hidden()
                await expect(page.locator("#daftar-opd li a")).to_have_count(30)
                await page.get_by_role("link", name="Dinas Kesehatan").click()
                await expect(page.locator("tr[data-category]")).to_have_count(20)
                await page.goto(f"{url}/")
                await page.get_by_role("link", name="Serta merta").click()
                await expect(page.locator("tr[data-category]")).to_have_count(60)
                await plain.close()
            finally:
                await browser.close()
    finally:
        await runner.cleanup()
    assert problems.seen == []
