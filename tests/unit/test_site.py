"""The static DIP website: content, escaping, safe file names, atomic generations, and the server."""

from __future__ import annotations

import asyncio
import csv
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import BaseTestServer, TestClient, TestServer

from bot.publishing import site as site_module
from bot.publishing.model import PublicDocument, PublicEntry
from bot.publishing.pages import PageContext, site_pages
from bot.publishing.site import SiteBuilder, create_app, format_size
from bot.publishing.views import register_views

WIB = timezone(timedelta(hours=7))
UPDATED = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)  # 16.00 WIB
PDF = b"%PDF-1.4\n" + b"laporan anggaran\n" * 20


# --------------------------------------------------------------------------------------------
# Helpers


def store(tmp_path: Path, data: bytes) -> tuple[str, Path]:
    sha = hashlib.sha256(data).hexdigest()
    path = tmp_path / "store" / sha
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return sha, path


def document(tmp_path: Path, name: str, data: bytes = PDF) -> PublicDocument:
    sha, path = store(tmp_path, data)
    return PublicDocument(
        sha256=sha, name=name, mime="application/pdf", size=len(data), source=path
    )


def entry(entry_id: int, **changes: object) -> PublicEntry:
    base = PublicEntry(
        id=entry_id,
        opd_code="DISKOMINFO",
        opd_name="Dinas Komunikasi dan Informatika",
        round_name="DIP Semester I 2027",
        number=entry_id,
        title=f"Informasi nomor {entry_id}",
        summary="Ringkasan isi informasi.",
        category="berkala",
        holder="Sekretariat",
        responsible="Kepala Dinas",
        made="Januari 2027, Pontianak",
        forms="Softcopy, cetak",
        retention="5 tahun",
        published_at=datetime(2027, 3, 1, 10, 0, tzinfo=WIB),
        documents=(),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def sample(tmp_path: Path) -> list[PublicEntry]:
    return [
        entry(1, documents=(document(tmp_path, "Laporan Keuangan 2026.pdf"),)),
        entry(
            2,
            title="Peringatan banjir rob",
            category="serta_merta",
            opd_code="BPBD",
            opd_name="Badan Penanggulangan Bencana Daerah",
        ),
        entry(3, title="Daftar aset", category="setiap_saat"),
    ]


def build(
    tmp_path: Path, entries: list[PublicEntry] | None = None, *, base_url: str | None = None
) -> Path:
    builder = SiteBuilder(tmp_path / "web", base_url=base_url)
    return builder.build(sample(tmp_path) if entries is None else entries, updated_at=UPDATED)


def files_of(directory: Path) -> dict[str, bytes]:
    """The files of the site in a generation (not its hidden build records, never served)."""
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }


def generations(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.name.startswith("gen-"))


@dataclass
class Page(HTMLParser):
    """Collects what the accessibility and safety checks look at."""

    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    headings: list[int] = field(default_factory=list)
    label_for: set[str] = field(default_factory=set)
    scripts: list[dict[str, str | None]] = field(default_factory=list)
    inline_script_text: list[str] = field(default_factory=list)
    _in_script: bool = False

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "label" and attributes.get("for"):
            self.label_for.add(str(attributes["for"]))
        if tag == "script":
            self.scripts.append(attributes)
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_script_text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def assert_accessible(page: Page) -> None:
    html = page.all("html")
    assert html and html[0].get("lang") == "id"
    for landmark in ("header", "nav", "main", "footer"):
        assert page.all(landmark), f"no <{landmark}>"
    assert page.headings.count(1) == 1
    assert page.headings[0] == 1
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, f"heading level jumps from h{before} to h{after}"
    for control in page.all("input") + page.all("select") + page.all("textarea"):
        assert control.get("id") in page.label_for, f"unlabelled control {control}"
    tables = [name for name, _ in page.tags if name in {"table", "caption"}]
    assert tables.count("table") == tables.count("caption")
    for i, name in enumerate(tables):
        if name == "table":
            assert tables[i + 1] == "caption", "a table without a caption"
    for header in page.all("th"):
        assert header.get("scope") in {"col", "row"}
    for _, attrs in page.tags:
        assert not any(key.startswith("on") for key in attrs), "inline event handler"
        assert "style" not in attrs, "inline style (blocked by the CSP)"
        for key in ("href", "src", "action"):
            value = attrs.get(key) or ""
            assert not re.match(r"(?i)([a-z][a-z0-9+.-]*:|//)", value), f"external URL {value}"
    assert not page.inline_script_text, "inline script"
    assert not page.all("style")


# --------------------------------------------------------------------------------------------
# Content


def test_each_opd_has_its_register_page_with_the_perki_columns_listed_on_the_index(
    tmp_path: Path,
) -> None:
    # Changed with issue 19: the index lists the OPDs (no entry rows); each OPD has its page.
    generation = build(tmp_path)
    index = (generation / "index.html").read_text(encoding="utf-8")
    assert "<title>Daftar Informasi Publik — Kota Pontianak</title>" in index
    # BPBD sorts before Diskominfo by name; each links to its own register page.
    assert re.findall(
        r'<li data-opd="(\w+)"><a href="([^"]+)">[^<]+</a> <span[^>]*>(\d+)', index
    ) == [
        ("BPBD", "opd/bpbd.html", "1"),
        ("DISKOMINFO", "opd/diskominfo.html", "2"),
    ]
    assert "<tr data-category" not in index
    html = (generation / "opd" / "diskominfo.html").read_text(encoding="utf-8")
    assert "<h1>Dinas Komunikasi dan Informatika</h1>" in html
    for column in (
        "No",
        "Judul",
        "Ringkasan isi informasi",
        "Pejabat/unit yang menguasai",
        "Penanggung jawab",
        "Waktu dan tempat pembuatan",
        "Bentuk informasi",
        "Jangka waktu penyimpanan",
        "Kategori",
    ):
        assert re.search(f'<th scope="col"[^>]*>{column}</th>', html), column
    assert html.count('<table class="register">') == 1
    assert html.count('<tr data-category="berkala" data-opd="DISKOMINFO">') == 1
    assert html.count('<tr data-category="setiap_saat" data-opd="DISKOMINFO">') == 1
    for entry_id in (1, 3):
        assert f'<a href="../informasi/{entry_id}.html">' in html
    bpbd = (generation / "opd" / "bpbd.html").read_text(encoding="utf-8")
    assert '<tr data-category="serta_merta" data-opd="BPBD">' in bpbd
    assert '<a href="../informasi/2.html">' in bpbd


def test_the_index_shows_the_update_time_in_wib_and_a_count_per_category(tmp_path: Path) -> None:
    html = (build(tmp_path) / "index.html").read_text(encoding="utf-8")
    assert "Diperbarui: <time" in html
    assert "Selasa, 2 Maret 2027 pukul 16.00 WIB" in html
    counts = re.findall(r'"kategori/([\w-]+).html">([^<]+)</a></th><td>(\d+)</td>', html)
    assert counts == [
        ("berkala", "Berkala", "1"),
        ("serta-merta", "Serta merta", "1"),
        ("setiap-saat", "Setiap saat", "1"),
    ]
    assert '<th scope="row">Seluruhnya</th><td>3</td>' in html


def test_the_filters_are_hidden_without_javascript_and_offer_every_category_and_opd(
    tmp_path: Path,
) -> None:
    generation = build(tmp_path)
    html = (generation / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<section id="saring"[^>]* hidden>', html)
    # Without JavaScript the filters are links: to each OPD's page and each category's page.
    for page in ("opd/bpbd.html", "opd/diskominfo.html", "kategori/berkala.html"):
        assert f'href="{page}"' in html
        assert (generation / page).is_file()
    assert " hidden" not in "".join(re.findall(r"<tr[^>]*>", html))
    select = re.search(r'<select id="kategori".*?</select>', html, re.S)
    assert select is not None
    assert re.findall(r">([^<]+)</option>", select.group(0)) == [
        "Semua",
        "Berkala",
        "Serta merta",
        "Setiap saat",
    ]
    assert '<option value="BPBD">Badan Penanggulangan Bencana Daerah</option>' in html
    assert '<script src="static/site.js?v=' in html


def test_an_entry_page_shows_every_field_and_links_its_documents_relative_to_itself(
    tmp_path: Path,
) -> None:
    generation = build(tmp_path)
    page = generation / "informasi" / "1.html"
    html = page.read_text(encoding="utf-8")
    for text in (
        "Informasi nomor 1",
        "Dinas Komunikasi dan Informatika",
        "DIP Semester I 2027",
        "Ringkasan isi informasi.",
        "Sekretariat",
        "Kepala Dinas",
        "Januari 2027, Pontianak",
        "Softcopy, cetak",
        "5 tahun",
        "Berkala",
        "Senin, 1 Maret 2027 pukul 10.00 WIB",
        "(PDF, 349 B)",
        'href="../index.html',
    ):
        assert text in html
    links = re.findall(r'<a href="([^"]+)" download>', html)
    assert len(links) == 1
    # The link, resolved like a browser would from the page's own address, finds the file.
    target = unquote(urljoin("http://site/informasi/1.html", links[0]))
    assert target.startswith("http://site/berkas/")
    assert (generation / target.removeprefix("http://site/")).read_bytes() == PDF
    assert (
        generation / "berkas" / hashlib.sha256(PDF).hexdigest() / "Laporan Keuangan 2026.pdf"
    ).is_file()


def test_an_entry_without_documents_says_so(tmp_path: Path) -> None:
    html = (build(tmp_path) / "informasi" / "3.html").read_text(encoding="utf-8")
    assert "Belum ada berkas yang dapat diunduh" in html


def test_html_and_script_written_by_users_are_escaped_everywhere(tmp_path: Path) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    entries = [
        entry(
            1,
            title=evil,
            summary=evil,
            holder=evil,
            opd_name=evil,
            opd_code='"><script>',
            round_name=evil,
            documents=(document(tmp_path, '<b onmouseover="x">laporan.pdf'),),
        )
    ]
    generation = build(tmp_path, entries)
    for name in ("index.html", "informasi/1.html", "404.html"):
        html = (generation / name).read_text(encoding="utf-8")
        assert "<script>" not in html
        assert "onerror" not in html.replace("onerror=alert(1)&gt;", "")  # only as escaped text
        assert "<img" not in html
        assert "&lt;script&gt;" in html or name == "404.html"
        page = parse(generation / name)
        assert all(str(s.get("src")).startswith("static/site.js?v=") for s in page.scripts)
        assert_accessible(page)


def test_an_empty_register_still_builds_a_complete_site(tmp_path: Path) -> None:
    generation = build(tmp_path, [])
    html = (generation / "index.html").read_text(encoding="utf-8")
    assert "Belum ada informasi publik yang diterbitkan." in html
    assert json.loads((generation / "dip.json").read_text(encoding="utf-8"))["jumlah"] == 0
    assert_accessible(parse(generation / "index.html"))


def test_robots_txt_allows_everything_and_a_404_page_exists(tmp_path: Path) -> None:
    generation = build(tmp_path, base_url="https://ppid.example.go.id/")
    assert (generation / "robots.txt").read_text() == "User-agent: *\nAllow: /\n"
    html = (generation / "404.html").read_text(encoding="utf-8")
    assert "Halaman tidak ditemukan" in html
    # Served for any path, so its links cannot be relative.
    assert 'href="https://ppid.example.go.id/static/site.css' in html


def test_url_for_uses_the_base_url_or_stays_relative(tmp_path: Path) -> None:
    assert SiteBuilder(tmp_path).url_for(12) == "informasi/12.html"
    with_base = SiteBuilder(tmp_path, base_url="https://ppid.pontianak.go.id/dip/")
    assert with_base.url_for(12) == "https://ppid.pontianak.go.id/dip/informasi/12.html"
    assert with_base.current == tmp_path / "current"


def test_sizes_are_written_in_kb_or_mb_with_a_decimal_comma() -> None:
    assert format_size(850) == "850 B"
    assert format_size(12_595) == "12,3 KB"
    assert format_size(4 * 1024 * 1024) == "4,0 MB"


# --------------------------------------------------------------------------------------------
# Exempt information and unsafe names


@pytest.mark.parametrize("category", ["dikecualikan", "Dikecualikan ", "rahasia"])
def test_an_exempt_or_unknown_category_is_refused_before_anything_is_written(
    tmp_path: Path, category: str
) -> None:
    entries = [*sample(tmp_path), entry(9, category=category, title="Rahasia negara")]
    with pytest.raises(ValueError):
        build(tmp_path, entries)
    assert not (tmp_path / "web").exists()


def test_an_exempt_entry_is_refused_even_when_a_site_already_exists(tmp_path: Path) -> None:
    first = build(tmp_path)
    with pytest.raises(ValueError, match="dikecualikan"):
        build(tmp_path, [entry(9, category="dikecualikan", title="Rahasia negara")])
    assert (tmp_path / "web" / "current").resolve() == first.resolve()
    assert "Rahasia" not in (tmp_path / "web" / "current" / "index.html").read_text()


def test_duplicate_ids_and_malformed_hashes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="id"):
        build(tmp_path, [entry(1), entry(1)])
    bad = replace(document(tmp_path, "a.pdf"), sha256="../../etc")
    with pytest.raises(ValueError, match="sha256"):
        build(tmp_path, [entry(1, documents=(bad,))])


@pytest.mark.parametrize(
    "name",
    [
        "../../../../etc/passwd.pdf",
        "..\\..\\windows\\win.ini.pdf",
        "..",
        ".htaccess",
        "/absolute/path.pdf",
        "a" * 400 + ".pdf",
        "ü" * 200 + ".pdf",  # 120 characters are still 240 bytes
        "😀" * 120 + ".pdf",  # and 480 bytes here: too long for one path component
    ],
)
def test_document_names_never_leave_their_folder_in_the_generation(
    tmp_path: Path, name: str
) -> None:
    generation = build(tmp_path, [entry(1, documents=(document(tmp_path, name),))])
    folder = generation / "berkas" / hashlib.sha256(PDF).hexdigest()
    placed = list(folder.iterdir())
    assert len(placed) == 1
    kept = placed[0]
    assert kept.parent == folder
    assert not kept.name.startswith(".")
    assert len(kept.name.encode("utf-8")) <= 200
    assert kept.read_bytes() == PDF
    every_file = [p.resolve() for p in (tmp_path / "web").rglob("*") if p.is_file()]
    assert all(p.is_relative_to((tmp_path / "web").resolve()) for p in every_file)
    data = json.loads((generation / "dip.json").read_text(encoding="utf-8"))
    assert data["informasi"][0]["berkas"][0]["nama"] == kept.name


def test_documents_are_hard_linked_when_possible_and_copied_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = document(tmp_path, "laporan.pdf")
    linked = build(tmp_path, [entry(1, documents=(doc,))])
    placed = linked / "berkas" / doc.sha256 / "laporan.pdf"
    assert placed.stat().st_ino == Path(doc.source).stat().st_ino

    def no_link(*args: object, **kwargs: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_link)
    copied = SiteBuilder(tmp_path / "other").build([entry(1, documents=(doc,))], updated_at=UPDATED)
    placed = copied / "berkas" / doc.sha256 / "laporan.pdf"
    assert placed.stat().st_ino != Path(doc.source).stat().st_ino
    assert placed.read_bytes() == PDF


# --------------------------------------------------------------------------------------------
# Generations: atomic swap, pruning, failures, concurrency


def test_current_is_a_relative_symlink_to_the_new_generation(tmp_path: Path) -> None:
    generation = build(tmp_path)
    current = tmp_path / "web" / "current"
    assert current.is_symlink()
    assert str(current.readlink()) == generation.name
    assert re.fullmatch(r"gen-\d{8}T\d{12}Z-[0-9a-f]{8}", generation.name)


def test_the_previous_generation_stays_complete_until_the_third_build_removes_it(
    tmp_path: Path,
) -> None:
    root = tmp_path / "web"
    first = build(tmp_path)
    first_files = files_of(first)
    second = build(tmp_path, [entry(1, title="Versi kedua")])
    assert (root / "current").resolve() == second.resolve()
    assert files_of(first) == first_files  # a reader of the old site still finds everything
    assert generations(root) == sorted([first, second])
    third = build(tmp_path, [entry(1, title="Versi ketiga")])
    assert not first.exists()
    assert generations(root) == sorted([second, third])
    assert "Versi ketiga" in (root / "current" / "opd" / "diskominfo.html").read_text()
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == [".lock"]


def test_a_failed_build_never_becomes_current_and_leaves_no_debris(tmp_path: Path) -> None:
    root = tmp_path / "web"
    good = build(tmp_path)
    good_files = files_of(good)
    missing = PublicDocument(
        sha256="0" * 64, name="hilang.pdf", mime="application/pdf", size=1, source=tmp_path / "x"
    )
    with pytest.raises(FileNotFoundError):
        build(tmp_path, [entry(1, documents=(missing,))])
    assert (root / "current").resolve() == good.resolve()
    assert files_of(root / "current") == good_files
    assert generations(root) == [good]
    assert sorted(p.name for p in root.iterdir()) == [
        *[".lock", "berkas", "current", good.name, "informasi"]
    ]
    assert [p.name for p in (root / "informasi").iterdir() if p.name.startswith(".")] == [
        ".halaman.json"  # the failed build's staging folder is gone
    ]


def test_leftovers_of_a_crashed_build_are_cleaned_by_the_next_one(tmp_path: Path) -> None:
    root = tmp_path / "web"
    build(tmp_path)
    (root / ".building-deadbeef" / "informasi").mkdir(parents=True)
    (root / "gen-20000101T000000000000Z-deadbeef").mkdir()
    (root / ".current-deadbeef").symlink_to("nowhere")
    latest = build(tmp_path, [entry(1, title="Versi baru")])  # a build that publishes
    names = sorted(p.name for p in root.iterdir())
    assert ".building-deadbeef" not in names
    assert ".current-deadbeef" not in names
    assert "gen-20000101T000000000000Z-deadbeef" not in names
    assert latest.name in names


def test_concurrent_builds_end_with_a_complete_current_site_and_readers_never_fail(
    tmp_path: Path,
) -> None:
    root = tmp_path / "web"
    build(tmp_path)
    doc = document(tmp_path, "laporan.pdf")
    errors: list[BaseException] = []
    done = threading.Event()

    def builder(worker: int) -> None:
        try:
            for round_ in range(3):
                title = f"Versi {worker}-{round_}"
                SiteBuilder(root).build(
                    [entry(1, title=title, documents=(doc,)), entry(2)], updated_at=UPDATED
                )
        except BaseException as exc:
            errors.append(exc)

    def reader() -> None:
        try:
            while not done.is_set():
                html = (root / "current" / "index.html").read_text(encoding="utf-8")
                assert html.rstrip().endswith("</html>")
                data = json.loads((root / "current" / "dip.json").read_text(encoding="utf-8"))
                assert data["jumlah"] in (2, 3)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=builder, args=(i,)) for i in range(4)]
    watcher = threading.Thread(target=reader)
    watcher.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    watcher.join()
    assert errors == []
    current = (root / "current").resolve()
    assert current.name.startswith("gen-")
    html = (current / "opd" / "diskominfo.html").read_text(encoding="utf-8")
    assert re.search(r"Versi \d-2", html)
    assert (current / "informasi" / "1.html").is_file()
    assert (current / "berkas" / doc.sha256 / "laporan.pdf").read_bytes() == PDF
    assert len(generations(root)) == 2
    assert not [p for p in root.iterdir() if p.name.startswith((".building-", ".current-"))]


# --------------------------------------------------------------------------------------------
# Open data


def test_dip_json_lists_every_entry_with_its_fields_links_and_documents(tmp_path: Path) -> None:
    generation = build(tmp_path, base_url="https://ppid.pontianak.go.id")
    data = json.loads((generation / "dip.json").read_text(encoding="utf-8"))
    assert data["diperbarui"] == "2027-03-02T16:00:00+07:00"
    assert data["jumlah"] == 3
    first = next(item for item in data["informasi"] if item["id"] == 1)
    sha = hashlib.sha256(PDF).hexdigest()
    assert first == {
        "id": 1,
        "opd": {"kode": "DISKOMINFO", "nama": "Dinas Komunikasi dan Informatika"},
        "periode": "DIP Semester I 2027",
        "nomor": 1,
        "judul": "Informasi nomor 1",
        "ringkasan": "Ringkasan isi informasi.",
        "kategori": "berkala",
        "pejabat_penguasa": "Sekretariat",
        "penanggung_jawab": "Kepala Dinas",
        "waktu_tempat": "Januari 2027, Pontianak",
        "bentuk": "Softcopy, cetak",
        "retensi": "5 tahun",
        "diterbitkan": "2027-03-01T10:00:00+07:00",
        "tautan": "https://ppid.pontianak.go.id/informasi/1.html",
        "berkas": [
            {
                "nama": "Laporan Keuangan 2026.pdf",
                "sha256": sha,
                "ukuran": len(PDF),
                "tautan": f"https://ppid.pontianak.go.id/berkas/{sha}/Laporan%20Keuangan%202026.pdf",
            }
        ],
    }
    assert {item["kategori"] for item in data["informasi"]} <= {
        "berkala",
        "serta_merta",
        "setiap_saat",
    }


def test_dip_csv_is_utf8_with_bom_for_excel_one_row_per_entry(tmp_path: Path) -> None:
    docs = (document(tmp_path, "satu.pdf"), document(tmp_path, "dua.pdf", PDF + b"2"))
    entries = [
        entry(1, title='=HYPERLINK("http://x")', documents=docs),
        entry(2, summary="baris satu\nbaris dua, dengan koma"),
    ]
    raw = (build(tmp_path, entries) / "dip.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0][:6] == ["ID", "Kode OPD", "Nama OPD", "Periode", "Nomor", "Judul"]
    assert "Ringkasan isi informasi" in rows[0]
    assert len(rows) == 3
    by_id = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_id["1"]["Judul"] == '\'=HYPERLINK("http://x")'  # no formula in Excel
    assert by_id["1"]["Kategori"] == "Berkala"
    assert by_id["1"]["Tautan"] == "informasi/1.html"
    links = by_id["1"]["Berkas"].split(" | ")
    assert [link.rsplit("/", 1)[-1] for link in links] == ["satu.pdf", "dua.pdf"]
    assert by_id["2"]["Ringkasan isi informasi"] == "baris satu\nbaris dua, dengan koma"


# --------------------------------------------------------------------------------------------
# Accessibility and static assets


def test_every_page_passes_the_accessibility_smoke_check(tmp_path: Path) -> None:
    generation = build(tmp_path)
    for name in ("index.html", "informasi/1.html", "informasi/2.html", "404.html"):
        assert_accessible(parse(generation / name))
    index = parse(generation / "index.html")
    assert {attrs.get("id") for attrs in index.all("select")} == {"kategori", "opd"}
    assert "cari" in index.label_for
    assert index.all("caption")


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_every_text_colour_pair_of_the_stylesheet_has_a_contrast_of_at_least_4_5() -> None:
    css = (Path(site_module.__file__).parent / "static" / "site.css").read_text()
    palette = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6});", css))
    pairs = [
        ("fg", "bg"),
        ("muted", "bg"),
        ("link", "bg"),
        ("fg", "stripe"),
        ("muted", "stripe"),
        ("link", "stripe"),
        ("on-brand", "brand"),
        ("on-brand", "brand-dark"),
        ("on-brand-soft", "brand"),
        ("on-brand-soft", "brand-dark"),
        ("berkala-fg", "berkala-bg"),
        ("serta_merta-fg", "serta_merta-bg"),
        ("setiap_saat-fg", "setiap_saat-bg"),
    ]
    for fg, bg in pairs:
        light, dark = sorted((_luminance(palette[fg]), _luminance(palette[bg])), reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 4.5, (fg, bg)
    focus = _luminance(palette["focus"])
    assert (1.05) / (focus + 0.05) >= 3  # a visible focus ring on white
    assert ":focus-visible" in css
    assert "@import" not in css
    assert "url(" not in css


def test_the_script_handles_data_as_text_only_and_needs_nothing_external() -> None:
    js = (Path(site_module.__file__).parent / "static" / "site.js").read_text()
    for forbidden in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "http",
        "import ",
    ):
        assert forbidden not in js
    assert "textContent" in js
    assert "URLSearchParams" in js
    assert "kategori" in js


def test_assets_are_copied_into_each_generation_and_versioned_in_links(tmp_path: Path) -> None:
    generation = build(tmp_path)
    static = Path(site_module.__file__).parent / "static"
    for name in ("site.css", "site.js"):
        assert (generation / "static" / name).read_bytes() == (static / name).read_bytes()
    html = (generation / "informasi" / "1.html").read_text(encoding="utf-8")
    assert re.search(r'href="\.\./static/site\.css\?v=[0-9a-f]{12}"', html)


# --------------------------------------------------------------------------------------------
# The server


async def raw_status(server: BaseTestServer, target: str) -> int:
    """Sends a request line exactly as given (a client library would normalise it)."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(f"GET {target} HTTP/1.1\r\nHost: site\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        status_line = await reader.readline()
        await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    return int(status_line.split()[1])


async def test_the_server_serves_the_index_entry_pages_and_security_headers(
    tmp_path: Path,
) -> None:
    build(tmp_path)
    async with TestClient(TestServer(create_app(tmp_path / "web"))) as client:
        response = await client.get("/")
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "Daftar Informasi Publik" in await response.text()
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"

        page = await client.get("/informasi/1.html")
        assert page.status == 200
        assert "Informasi nomor 1" in await page.text()

        for path, content_type in [
            ("/static/site.css", "text/css; charset=utf-8"),
            ("/static/site.js", "text/javascript; charset=utf-8"),
            ("/dip.json", "application/json; charset=utf-8"),
            ("/dip.csv", "text/csv; charset=utf-8"),
            ("/robots.txt", "text/plain; charset=utf-8"),
        ]:
            asset = await client.get(path)
            assert asset.status == 200, path
            assert asset.headers["Content-Type"] == content_type

        head = await client.head("/index.html")
        assert head.status == 200
        assert await head.read() == b""

        post = await client.post("/index.html")
        assert post.status == 405
        assert "Content-Security-Policy" in post.headers


async def test_documents_are_downloaded_as_attachments_with_identical_bytes(
    tmp_path: Path,
) -> None:
    big = b"%PDF-1.7\n" + os.urandom(600 * 1024)  # streamed, not read at once
    docs = (document(tmp_path, "Laporan Keuangan 2026.pdf"), document(tmp_path, "besar ü.pdf", big))
    build(tmp_path, [entry(1, documents=docs)])
    async with TestClient(TestServer(create_app(tmp_path / "web"))) as client:
        html = await (await client.get("/informasi/1.html")).text()
        links = re.findall(r'<a href="\.\./(berkas/[^"]+)" download>', html)
        assert len(links) == 2
        for link, expected in zip(links, (PDF, big), strict=True):
            response = await client.get("/" + link)
            assert response.status == 200
            assert await response.read() == expected
            assert response.headers["Content-Type"] == "application/pdf"
            assert response.headers["Content-Disposition"].startswith("attachment;")
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        disposition = (await client.get("/" + links[1])).headers["Content-Disposition"]
        assert "filename*=UTF-8''besar%20%C3%BC.pdf" in disposition

        first = await client.get("/" + links[0])
        again = await client.get("/" + links[0], headers={"If-None-Match": first.headers["ETag"]})
        assert again.status == 304


@pytest.mark.parametrize(
    "target",
    [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%2E%2E/web/.lock",
        "/informasi/..%2f..%2f.lock",
        "/informasi/%2e%2e/index.html",
        "/berkas/..%5c..%5cindex.html",
        "//etc/passwd",
        "/./index.html",
        "/.lock",
        "/current/index.html",
        "/informasi/",
        "/informasi",
        "/berkas",
        "/%00",
        "/%ff.html",
        "/tidak-ada.html",
        "/escape/passwd",
    ],
)
async def test_traversal_listing_and_missing_paths_are_404(tmp_path: Path, target: str) -> None:
    generation = build(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("rahasia")
    (generation / "escape").mkdir()
    (generation / "escape" / "passwd").symlink_to(secret)  # a symlink out of the tree
    async with TestServer(create_app(tmp_path / "web")) as server:
        assert await raw_status(server, target) == 404
    async with TestClient(TestServer(create_app(tmp_path / "web"))) as client:
        response = await client.get("/tidak-ada.html")
        assert response.status == 404
        assert "Halaman tidak ditemukan" in await response.text()
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")


async def test_the_server_follows_a_rebuild_at_once(tmp_path: Path) -> None:
    build(tmp_path, [entry(1, title="Versi pertama")])
    async with TestClient(TestServer(create_app(tmp_path / "web"))) as client:
        assert "Versi pertama" in await (await client.get("/opd/diskominfo.html")).text()
        build(tmp_path, [entry(1, title="Versi kedua")])
        assert "Versi kedua" in await (await client.get("/opd/diskominfo.html")).text()


async def test_the_server_answers_404_before_the_first_build(tmp_path: Path) -> None:
    async with TestClient(TestServer(create_app(tmp_path / "web"))) as client:
        response = await client.get("/")
        assert response.status == 404
        assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_the_filters_work_in_a_browser_and_a_filter_state_can_be_linked(
    tmp_path: Path,
) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    entries = [
        *sample(tmp_path),
        entry(4, title="Rencana kerja gedung", category="setiap_saat", opd_code="BPBD"),
    ]
    build(tmp_path, entries)
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    async with (
        TestServer(create_app(tmp_path / "web")) as server,
        playwright_api.async_playwright() as playwright,
    ):
        try:
            browser = await playwright.chromium.launch(
                executable_path=executable, args=["--no-sandbox"]
            )
        except playwright_api.Error as exc:
            pytest.skip(f"no browser to run: {exc.message.splitlines()[0]}")
        try:
            page = await browser.new_page(viewport={"width": 375, "height": 800})
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("console", lambda message: problems.append(message.text))

            async def visible_titles() -> list[str]:
                titles: list[str] = await page.eval_on_selector_all(
                    "#hasil-daftar li", "cards => cards.map(c => c.querySelector('a').textContent)"
                )
                return sorted(titles)

            # Changed with issue 19: the results are cards built from cari.json, not table rows.
            status = playwright_api.expect(page.locator("#hasil"))
            await page.goto(str(server.make_url("/?kategori=setiap-saat")))
            assert await page.is_visible("#saring")
            await status.to_have_text("Menampilkan 2 dari 4 informasi.")
            assert await visible_titles() == ["Daftar aset", "Rencana kerja gedung"]

            await page.select_option("#opd", "BPBD")
            await status.to_have_text("Menampilkan 1 dari 4 informasi.")
            assert await visible_titles() == ["Rencana kerja gedung"]
            assert "opd=BPBD" in page.url and "kategori=setiap_saat" in page.url

            await page.click("button[type=reset]")
            await page.fill("#cari", "BANJIR")
            await status.to_have_text("Menampilkan 1 dari 4 informasi.")
            assert await visible_titles() == ["Peringatan banjir rob"]
            await page.fill("#cari", "tidak ada yang begini")
            await status.to_have_text("Menampilkan 0 dari 4 informasi.")
            assert await visible_titles() == []
            assert await page.is_visible("#kosong")
            assert problems == []  # no script error, no CSP violation, no missing file
        finally:
            await browser.close()


# --------------------------------------------------------------------------------------------
# Light at any size (issue 19): listings in pages, a compact search index, pre-compressed files


def test_an_opd_with_2000_entries_gets_pages_of_100_linked_by_a_short_pager() -> None:
    entries = [entry(i, opd_code="DINKES", opd_name="Dinas Kesehatan") for i in range(1, 2001)]
    groups = register_views(entries, ZoneInfo("Asia/Pontianak"))
    context = PageContext(city="Kota Pontianak", updated=UPDATED, asset_version="0" * 12, home="/")
    pages = dict(site_pages(site_module.environment(), groups, context))  # pure: no disk
    listing = [path for path in pages if path.startswith("opd/")]
    assert listing[:3] == ["opd/dinkes.html", "opd/dinkes.2.html", "opd/dinkes.3.html"]
    assert len(listing) == 20
    last = pages["opd/dinkes.20.html"]
    assert last.count("<tr data-category") == 100
    assert '<td class="c-no">1901</td>' in last
    assert "Informasi 1901–2000 dari 2000." in last
    first = pages["opd/dinkes.html"]
    pager = re.search(r'<nav class="pager".*?</nav>', first, re.S)
    assert pager is not None
    assert re.findall(r'<a href="([^"]+)"', pager.group(0)) == [
        "dinkes.html",
        "dinkes.2.html",
        "dinkes.3.html",
        "dinkes.20.html",
        "dinkes.2.html",
    ]
    assert 'aria-current="page">1<' in pager.group(0)
    # The index stays small: one line per OPD, no entry rows.
    assert len(pages["index.html"]) < 10_000
    assert len(pages["kategori/berkala.html"]) < len(first) * 1.2


def test_opd_page_names_are_stable_safe_and_unique() -> None:
    codes = ["DINKES", "dinkes", '"><script>', "Dinas/Kes", "---", "OPD 1"]
    entries = [entry(i, opd_code=code, opd_name=f"OPD {i}") for i, code in enumerate(codes, 1)]
    paths = [g.path for g in register_views(entries, ZoneInfo("Asia/Pontianak"))]
    assert len(set(paths)) == len(paths)
    for path in paths:
        assert re.fullmatch(r"opd/[a-z0-9-]+\.html", path), path
    assert "opd/dinkes.html" in paths and "opd/dinas-kes.html" in paths


def test_the_search_index_is_split_so_a_search_fetches_only_the_words_it_needs(
    tmp_path: Path,
) -> None:
    long_summary = "awal " + "isi " * 200 + "Kata-terakhir"
    entries = [
        entry(1, summary=long_summary, documents=(document(tmp_path, "Renstra 2025–2029.pdf"),)),
        entry(2, category="serta_merta", opd_code="BPBD", opd_name="Badan Bencana"),
        entry(3, title="Pengumuman", summary="Ringkasan"),
    ]
    generation = build(tmp_path, entries)

    def read(name: str) -> object:
        return json.loads((generation / name).read_text(encoding="utf-8"))

    meta = read("cari.json")
    assert isinstance(meta, dict)
    # Register order: BPBD's entry (id 2), then Diskominfo's 1 and 3.
    assert meta["opd"] == [
        ["BPBD", "Badan Bencana", "opd/bpbd.html", 1],
        ["DISKOMINFO", "Dinas Komunikasi dan Informatika", "opd/diskominfo.html", 2],
    ]
    assert [k[0] for k in meta["kategori"]] == ["berkala", "serta_merta", "setiap_saat"]
    assert meta["k"] == "100"
    assert meta["i"] == [2, -1, 2]  # the ids 2, 1, 3 as differences
    assert meta["blok"] == 100
    # The cards and the words are kept by id (block n: ids n*100 to n*100+99).
    cards = read("cari/b0.json")
    assert isinstance(cards, list)
    assert [card[0] for card in cards] == [1, 2, 3]
    assert cards[1] == [2, "Informasi nomor 2", "Ringkasan isi informasi."]
    assert cards[0][2].startswith("awal isi isi") and cards[0][2].endswith("…")
    assert len(cards[0][2]) <= 161

    def ids(word: str) -> list[int]:
        part = read(f"cari/t-{word[:2]}.json")
        assert isinstance(part, dict)
        found, at = [], 0
        for delta in part.get(word, []):
            at += delta
            found.append(at)
        return found

    assert f"t-{'te'}" in {f"t-{k}" for k in meta["t"]}
    assert ids("terakhir") == [1]  # the word at the end of a long summary
    assert ids("kata") == [1]  # case and the hyphen folded
    assert ids("2029") == [1] and ids("renstra") == [1]  # the file's name, en dash
    assert ids("diskominfo") == [1, 3] and ids("bpbd") == [2]  # the OPD's code
    assert ids("serta") == [2] and ids("merta") == [2]  # the category
    assert ids("dinas") == [1, 3] and ids("komunikasi") == [1, 3]
    assert ids("pengumuman") == [3]
    assert all((generation / "cari" / f"t-{k}.json").is_file() for k in meta["t"])
    raw = (generation / "cari.json").read_text(encoding="utf-8")
    assert raw.startswith('{"opd":[["BPBD","Badan Bencana"')  # no spaces, one line
    index = (generation / "index.html").read_text(encoding="utf-8")
    assert re.search(r'data-index="cari\.json\?v=[0-9a-f]{12}"', index)


def test_every_text_file_has_a_deterministic_gzip_twin_and_documents_have_none(
    tmp_path: Path,
) -> None:
    first = build(tmp_path)
    second = build(tmp_path)
    texts = [
        p
        for p in first.rglob("*")
        if p.is_file() and p.suffix != ".gz" and not p.name.startswith(".")  # never served
    ]
    for path in texts:
        twin = path.with_name(path.name + ".gz")
        if "berkas" in path.parts:
            assert not twin.exists()
            continue
        assert gzip.decompress(twin.read_bytes()) == path.read_bytes(), path
        again = second / path.relative_to(first)
        assert twin.read_bytes() == again.with_name(again.name + ".gz").read_bytes()
    assert (first / "index.html.gz").stat().st_size < (first / "index.html").stat().st_size


async def test_the_server_sends_the_gzip_twin_to_clients_that_accept_it(tmp_path: Path) -> None:
    generation = build(tmp_path)
    plain = (generation / "opd" / "diskominfo.html").read_bytes()
    async with TestClient(TestServer(create_app(tmp_path / "web"))) as client:
        for accept in ("gzip, deflate, br", "br;q=1.0, gzip;q=0.5", "*"):
            response = await client.get(
                "/opd/diskominfo.html", headers={"Accept-Encoding": accept}, auto_decompress=False
            )
            assert response.status == 200
            assert response.headers["Content-Encoding"] == "gzip", accept
            assert response.headers["Content-Type"] == "text/html; charset=utf-8"
            assert response.headers["Vary"] == "Accept-Encoding"
            assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
            assert gzip.decompress(await response.read()) == plain
        for accept in ("identity", "gzip;q=0", "br", ""):
            response = await client.get(
                "/opd/diskominfo.html", headers={"Accept-Encoding": accept}, auto_decompress=False
            )
            assert "Content-Encoding" not in response.headers, accept
            assert await response.read() == plain
        # Documents are never sent compressed, even when asked.
        html = (generation / "informasi" / "1.html").read_text(encoding="utf-8")
        (link,) = re.findall(r'<a href="\.\./(berkas/[^"]+)" download>', html)
        doc = await client.get("/" + link, headers={"Accept-Encoding": "gzip"})
        assert "Content-Encoding" not in doc.headers and await doc.read() == PDF
        # The twin's own validator works for a conditional request.
        first = await client.get("/", headers={"Accept-Encoding": "gzip"})
        again = await client.get(
            "/", headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]}
        )
        assert again.status == 304


def test_the_script_runs_in_old_phone_browsers_es5_only() -> None:
    js = (Path(site_module.__file__).parent / "static" / "site.js").read_text()
    code = re.sub(r"/\*.*?\*/", "", js, flags=re.S)
    for modern in (
        "=>",
        "let ",
        "const ",
        "`",
        "class ",
        "fetch(",
        "async ",
        "await ",
        "?.",
        "...",
    ):
        assert modern not in code, modern
    assert "XMLHttpRequest" in code  # no fetch needed


def test_small_things_breadcrumb_skip_link_and_document_links(tmp_path: Path) -> None:
    css = (Path(site_module.__file__).parent / "static" / "site.css").read_text()
    assert 'content: "›" / "";' in css  # the separator is not read aloud
    assert re.search(r"\.skip-link:focus-visible \{\s*outline-color: var\(--on-brand\);", css)
    generation = build(tmp_path)
    html = (generation / "informasi" / "1.html").read_text(encoding="utf-8")
    # Type and size are part of the link's name, and the size does not break at its space.
    assert re.search(
        r'download>Laporan Keuangan 2026\.pdf <span class="meta">\(PDF, 349 B\)</span></a>', html
    )
    assert re.search(r"\.files \.meta \{\s*white-space: nowrap;", css)
    # The breadcrumb and the back link lead to the OPD's own register.
    assert '<a href="../opd/diskominfo.html">Dinas Komunikasi dan Informatika</a>' in html


def test_only_the_index_and_the_open_data_change_when_nothing_but_the_time_does(
    tmp_path: Path,
) -> None:
    # What the incremental publishing needs: a page's bytes depend on its content only.
    first = files_of(build(tmp_path))
    later = SiteBuilder(tmp_path / "web").build(
        sample(tmp_path), updated_at=UPDATED + timedelta(days=3), full=True
    )
    changed = {path for path, data in files_of(later).items() if first.get(path) != data}
    assert changed == {"index.html", "index.html.gz", "dip.json", "dip.json.gz"}
