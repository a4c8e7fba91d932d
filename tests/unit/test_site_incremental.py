"""Incremental publishing: a build renders only what changed and reuses the rest of the live
generation, and still gives the very bytes of a full build; a site cut down by hand, a full disk
and builds from two processes at once leave a complete site."""

from __future__ import annotations

import errno
import json
import shutil
import threading
from dataclasses import fields, replace
from datetime import timedelta
from functools import partial
from itertools import accumulate
from pathlib import Path
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest

from bot import documents
from bot.documents import sanitize_name
from bot.publishing import files, pages
from bot.publishing import generations as generation_module
from bot.publishing import site as site_module
from bot.publishing.exports import dip_json_parts
from bot.publishing.model import PublicEntry
from bot.publishing.pages import fold
from bot.publishing.site import MANIFEST, SiteBuilder
from bot.publishing.views import formatted, register_views
from tests.unit.test_site import UPDATED, document, entry, files_of, generations


def register(tmp_path: Path, opds: int = 3, per_opd: int = 4) -> list[PublicEntry]:
    """A small register: `opds` OPDs of `per_opd` entries, each with a document."""
    result = []
    for o in range(opds):
        for n in range(per_opd):
            i = o * per_opd + n + 1
            result.append(
                entry(
                    i,
                    opd_code=f"OPD{o}",
                    opd_name=f"Dinas Nomor {o}",
                    number=n + 1,
                    category=("berkala", "serta_merta", "setiap_saat")[i % 3],
                    documents=(document(tmp_path, f"dokumen-{i}.pdf", f"isi {i}".encode()),),
                )
            )
    return result


def full_site(tmp_path: Path, entries: list[PublicEntry], name: str) -> dict[str, bytes]:
    """The files of a full build of `entries` in a web root of its own."""
    builder = SiteBuilder(tmp_path / name)
    return files_of(builder.build(entries, updated_at=UPDATED, full=True))


def inode(path: Path) -> int:
    return path.stat().st_ino


def test_an_incremental_build_gives_the_same_bytes_as_a_full_build(tmp_path: Path) -> None:
    builder = SiteBuilder(tmp_path / "web")
    before = register(tmp_path)
    builder.build(before, updated_at=UPDATED - timedelta(days=1))
    # A new OPD's case published (sorted in the middle), a title changed, an entry withdrawn,
    # a document replaced.
    added = [
        entry(100 + n, opd_code="BAPPEDA", opd_name="Dinas Nomor 0b", number=n + 1)
        for n in range(3)
    ]
    after = [e for e in before if e.id != 5] + added
    after[0] = replace(after[0], title="Judul yang diperbaiki")
    after[1] = replace(after[1], documents=(document(tmp_path, "baru.pdf", b"baru"),))
    report = builder.update(lambda: after, updated_at=UPDATED)
    assert report.reused > 0 and report.rendered > 0
    assert files_of(report.generation) == full_site(tmp_path, after, "full")


def test_with_nothing_changed_nothing_is_written(tmp_path: Path) -> None:
    builder = SiteBuilder(tmp_path / "web")
    entries = register(tmp_path)
    first = builder.build(entries, updated_at=UPDATED)
    report = builder.update(lambda: entries, updated_at=UPDATED + timedelta(hours=1))
    assert report.unchanged and report.generation == first and report.entries == len(entries)
    assert (tmp_path / "web" / "current").resolve() == first
    assert generations(tmp_path / "web") == [first]


def test_with_one_entry_changed_only_its_pages_the_index_and_open_data_are_written(
    tmp_path: Path,
) -> None:
    builder = SiteBuilder(tmp_path / "web")
    entries = register(tmp_path)
    first = builder.build(entries, updated_at=UPDATED)
    pages = {e.id: inode(first / "informasi" / f"{e.id}.html") for e in entries}
    changed = [*entries[:-1], replace(entries[-1], summary="Ringkasan yang diperbaiki.")]
    report = builder.update(lambda: changed, updated_at=UPDATED + timedelta(hours=1))
    # Its page, its OPD's and category's listings, the index, dip.json, dip.csv and the parts
    # of the search index its words are in; every other page is the live one's, linked (the
    # entries' pages, in the folder the generations share, are left as they are).
    assert not report.unchanged and report.rendered < report.reused / 3
    last = Path("informasi") / f"{entries[-1].id}.html"
    assert inode(report.generation / last) != pages[entries[-1].id]
    assert "Ringkasan yang diperbaiki." in (first / last).read_text()  # shared: never stale
    for e in entries[:-1]:
        page = Path("informasi") / f"{e.id}.html"
        assert inode(report.generation / page) == pages[e.id]
    assert inode(report.generation / "opd" / "opd0.html") == inode(first / "opd" / "opd0.html")
    assert inode(report.generation / "index.html") != inode(first / "index.html")


def test_a_full_build_renders_everything_again(tmp_path: Path) -> None:
    builder = SiteBuilder(tmp_path / "web")
    entries = register(tmp_path)
    first = builder.build(entries, updated_at=UPDATED)
    before = files_of(first)
    page = Path("informasi") / "1.html"
    old_page = inode(first / page)
    report = builder.update(lambda: entries, updated_at=UPDATED, full=True)
    assert report.reused == 0
    assert inode(report.generation / page) != old_page
    assert files_of(report.generation) == before


def test_other_templates_or_settings_make_the_next_build_a_full_one(tmp_path: Path) -> None:
    entries = register(tmp_path)
    SiteBuilder(tmp_path / "web").build(entries, updated_at=UPDATED)
    report = SiteBuilder(tmp_path / "web", city="Kota Lain").update(
        lambda: entries, updated_at=UPDATED
    )
    # Only the search index, which names no city, comes out the same (and is linked).
    assert report.rendered > len(entries)
    assert files_of(report.generation) == files_of(
        SiteBuilder(tmp_path / "full", city="Kota Lain").build(entries, updated_at=UPDATED)
    )


def documents_of(generation: Path) -> list[Path]:
    """Every document the generation's dip.json links, as a path in the generation."""
    data = json.loads((generation / "dip.json").read_text(encoding="utf-8"))
    return [generation / unquote(d["tautan"]) for e in data["informasi"] for d in e["berkas"]]


def test_a_withdrawn_entrys_document_leaves_the_shared_folder_once_the_site_is_live(
    tmp_path: Path,
) -> None:
    root = tmp_path / "web"
    builder = SiteBuilder(root)
    entries = register(tmp_path)
    first = builder.build(entries, updated_at=UPDATED)
    gone = documents_of(first)[0]
    assert gone.is_file()
    later = builder.build(entries[1:], updated_at=UPDATED + timedelta(hours=1))
    assert not gone.exists()  # in no generation: withdrawn means gone, also for late readers
    assert not (root / "berkas" / gone.parent.name).exists()
    assert all(path.is_file() for path in documents_of(later))
    assert len(list((root / "berkas").iterdir())) == len(entries) - 1


def test_a_withdrawn_entrys_page_is_gone_from_every_generation_once_the_site_is_live(
    tmp_path: Path,
) -> None:
    root = tmp_path / "web"
    builder = SiteBuilder(root)
    entries = register(tmp_path)
    first = builder.build(entries, updated_at=UPDATED)
    page = Path("informasi") / f"{entries[0].id}.html"
    assert (first / page).is_file()
    later = builder.build(entries[1:], updated_at=UPDATED + timedelta(hours=1))
    # The previous generation, kept for readers in the middle of a request, shares the pages.
    for generation in (first, later):
        assert not (generation / page).exists()
        assert not (generation / f"{page}.gz").exists()
    assert all((later / "informasi" / f"{e.id}.html").is_file() for e in entries[1:])


def test_a_new_entrys_page_is_in_place_before_the_generation_that_lists_it_goes_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "web"
    builder = SiteBuilder(root)
    entries = register(tmp_path)
    builder.build(entries, updated_at=UPDATED)
    added = entry(100, opd_code="OPD0", opd_name="Dinas Nomor 0", number=9)
    seen: list[bool] = []
    real_swap = generation_module._swap

    def swap(root_: Path, generation: str, token: str) -> None:
        seen.append((root_ / "informasi" / "100.html").is_file())
        real_swap(root_, generation, token)

    monkeypatch.setattr(generation_module, "_swap", swap)
    report = builder.update(lambda: [*entries, added], updated_at=UPDATED + timedelta(hours=1))
    assert seen == [True]
    assert "../informasi/100.html" in (report.generation / "opd" / "opd0.html").read_text()


@pytest.mark.parametrize(
    "cut",
    [
        *["web root", "live generation", "pages", "an entry's page", "the entry pages' record"],
        *["manifest", "documents", "the entries' records", "a part of the search index"],
    ],
)
def test_a_site_deleted_by_hand_is_rebuilt_whole_not_a_crash(tmp_path: Path, cut: str) -> None:
    root = tmp_path / "web"
    builder = SiteBuilder(root)
    entries = register(tmp_path)
    live = builder.build(entries, updated_at=UPDATED)
    if cut == "web root":
        shutil.rmtree(root)
    elif cut == "live generation":
        shutil.rmtree(live)  # `current` is left dangling
    elif cut == "pages":
        shutil.rmtree(root / "informasi")
        (live / "opd" / "opd1.html.gz").unlink()
    elif cut == "an entry's page":
        (root / "informasi" / "3.html.gz").unlink()
    elif cut == "the entry pages' record":
        (root / "informasi" / ".halaman.json").unlink()
    elif cut == "manifest":
        (live / MANIFEST).unlink()
    elif cut == "the entries' records":
        (live / ".entries.json").write_text('{"format": 5, "salt": 1, "entries": [')
    elif cut == "a part of the search index":
        (live / "cari" / "t-di.json").unlink()
    else:
        shutil.rmtree(root / "berkas")
    report = builder.update(lambda: entries, updated_at=UPDATED)
    assert (root / "current").resolve() == report.generation
    assert files_of(report.generation) == full_site(tmp_path, entries, "full")
    assert all(path.is_file() for path in documents_of(report.generation))


def test_a_full_disk_during_a_build_leaves_the_live_site_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "web"
    builder = SiteBuilder(root)
    entries = register(tmp_path)
    live = builder.build(entries, updated_at=UPDATED)
    before = files_of(root / "current")
    written = 0
    real_write = files.write_new

    def filling(path: Path, data: bytes) -> None:
        nonlocal written
        written += 1
        if written > 5:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real_write(path, data)

    monkeypatch.setattr(site_module, "write_new", filling)
    changed = [replace(e, title=f"Judul baru {e.id}") for e in entries]
    with pytest.raises(OSError) as full:
        builder.update(lambda: changed, updated_at=UPDATED + timedelta(hours=1))
    assert full.value.errno == errno.ENOSPC
    assert (root / "current").resolve() == live
    assert files_of(root / "current") == before
    assert generations(root) == [live]
    assert sorted(p.name for p in root.iterdir()) == [
        *[".lock", "berkas", "current", live.name, "informasi"]
    ]
    assert [p.name for p in (root / "informasi").iterdir() if p.name.startswith(".")] == [
        ".halaman.json"  # no staging folder left behind
    ]
    # Space again: the next build publishes the change.
    monkeypatch.setattr(site_module, "write_new", real_write)
    report = builder.update(lambda: changed, updated_at=UPDATED + timedelta(hours=2))
    assert "Judul baru 1" in (report.generation / "informasi" / "1.html").read_text()


def test_builds_at_once_publish_in_the_order_they_read_the_register(tmp_path: Path) -> None:
    # The bot's background update and an admin's `web build --full` at the same moment: each
    # reads the register under the site's lock, so an older read never replaces a newer site.
    root = tmp_path / "web"
    base = register(tmp_path, opds=2, per_opd=2)
    SiteBuilder(root).build(base, updated_at=UPDATED)
    reads: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def load() -> list[PublicEntry]:
        with lock:
            reads.append(len(reads) + 1)
            version = reads[-1]
        return [replace(base[0], title=f"Versi {version}"), *base[1:]]

    def build(full: bool) -> None:
        try:
            for _ in range(3):
                SiteBuilder(root).update(load, updated_at=UPDATED, full=full)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=build, args=(i % 2 == 0,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    html = (root / "current" / "informasi" / "1.html").read_text(encoding="utf-8")
    assert f"Versi {len(reads)}" in html  # the newest read is what readers see
    assert len(generations(root)) == 2


def test_every_ascii_character_of_a_document_name_is_cleaned_as_before() -> None:
    # The register's names are cleaned by a table for ASCII (25,000 names per build): the very
    # rule of the other characters.
    for code in range(128):
        char = chr(code)
        rule = char if documents._keep(char) else (" " if char.isspace() else "")
        assert char.translate(documents._ASCII_CLEAN) == rule, code
    assert sanitize_name("Laporan\t<2026>:\x00final .pdf") == "Laporan 2026final .pdf"


def test_dip_json_reuses_unchanged_entries_and_reads_as_the_same_json(tmp_path: Path) -> None:
    builder = SiteBuilder(tmp_path / "web", base_url="https://ppid.example.go.id/dip")
    entries = register(tmp_path)
    first = builder.build(entries, updated_at=UPDATED)
    changed = [replace(entries[0], title='Judul "baru",\n    {'), *entries[1:]]
    later = builder.build(changed, updated_at=UPDATED + timedelta(hours=1))
    text = (later / "dip.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert json.dumps(data, ensure_ascii=False, indent=2) + "\n" == text
    assert data["informasi"][0]["judul"] == 'Judul "baru",\n    {'
    assert len(dip_json_parts(text)) == len(entries)
    assert len(dip_json_parts((first / "dip.json").read_text(encoding="utf-8"))) == len(entries)


def test_views_put_together_from_a_builds_records_are_those_formatting_makes(
    tmp_path: Path,
) -> None:
    tz = ZoneInfo("Asia/Pontianak")
    entries = register(tmp_path)
    fresh = register_views(entries, tz)
    made = {e.id: formatted(e) for group in fresh for e in group.entries}
    kept = {int(key): value for key, value in json.loads(json.dumps(made)).items()}  # as kept
    again = register_views(entries, tz, kept)
    assert again == fresh
    assert [pages.entry_digest(e) for g in again for e in g.entries] == [
        pages.entry_digest(e) for g in fresh for e in g.entries
    ]


def test_the_search_index_finds_the_words_fold_gives() -> None:
    # The search index splits the words without joining them first: the same words as `fold`.
    for text in ["  Ëlèctrïc -- Café 2025–2029  ", "", "---", "Laporan, 2026!", "ÅNGSTRÖM x"]:
        assert pages._words(text) == set(fold(text).split())


def test_a_run_of_updates_gives_the_same_bytes_as_full_builds(tmp_path: Path) -> None:
    # Each update starts from the records and the search index the previous one kept.
    builder = SiteBuilder(tmp_path / "web")
    entries = register(tmp_path)
    builder.build(entries, updated_at=UPDATED)
    steps = [
        [*entries, entry(200, opd_code="OPD1", opd_name="Dinas Nomor 1", title="Zebra cross")],
        [replace(e, summary="Kata kunci baru") if e.id == 2 else e for e in entries],
        [e for e in entries if e.id not in {1, 2}],
        [*entries[1:], replace(entries[0], opd_name="Dinas Nomor 0 (baru)")],
    ]
    for n, after in enumerate(steps):
        report = builder.update(partial(list, after), updated_at=UPDATED)
        assert files_of(report.generation) == full_site(tmp_path, after, f"full-{n}"), n


def test_a_withdrawn_entry_leaves_the_search_index_made_from_the_live_one(tmp_path: Path) -> None:
    builder = SiteBuilder(tmp_path / "web")
    entries = [*register(tmp_path), entry(99, title="Xilofon", summary="Quokka")]
    builder.build(entries, updated_at=UPDATED)
    live = (tmp_path / "web" / "current").resolve()
    assert (live / "cari" / "t-xi.json").is_file() and (live / "cari" / "t-qu.json").is_file()
    report = builder.update(lambda: entries[:-1], updated_at=UPDATED)
    meta = json.loads((report.generation / "cari.json").read_text())
    assert "xi" not in meta["t"] and "qu" not in meta["t"]
    assert not (report.generation / "cari" / "t-xi.json").exists()
    assert not (report.generation / "cari" / "t-qu.json").exists()
    # "informasi" was in every entry's title, the withdrawn one's too: its id is gone.
    part = json.loads((report.generation / "cari" / "t-in.json").read_text())
    assert 99 not in list(accumulate(part["informasi"]))


def test_a_publication_rewrites_only_the_search_parts_and_listing_pages_its_entries_are_in(
    tmp_path: Path,
) -> None:
    # 250 entries of one category (listed on pages 1-3), in three OPDs; then an OPD whose
    # name sorts between theirs publishes three entries with words of their own.
    old = [
        entry(i, opd_code=f"OPD{i % 3}", opd_name=f"Dinas {'ACE'[i % 3]}", title=f"Arsip {i}")
        for i in range(1, 251)
    ]
    builder = SiteBuilder(tmp_path / "web")
    first = builder.build(old, updated_at=UPDATED)
    later = UPDATED + timedelta(days=1)
    new = [
        entry(1000 + n, opd_code="OPDB", opd_name="Dinas B", title="Zebra", published_at=later)
        for n in range(3)
    ]
    report = builder.update(lambda: old + new, updated_at=UPDATED)
    after = report.generation

    def same(path: str) -> bool:
        return inode(after / path) == inode(first / path)

    # The category's first page (its total) and last page (the new entries) change; the
    # pages between them, and every block of cards and part of the words of other entries,
    # are the live ones, linked.
    assert not same("kategori/berkala.html") and not same("kategori/berkala.3.html")
    assert same("kategori/berkala.2.html")
    assert "Zebra" in (after / "kategori" / "berkala.3.html").read_text()
    assert all(same(f"cari/b{n}.json") for n in range(3))
    assert (after / "cari" / "b10.json").is_file() and not (first / "cari" / "b10.json").exists()
    assert same("cari/t-ar.json")  # "arsip": only in the old entries
    assert (after / "cari" / "t-ze.json").is_file() and not (first / "cari" / "t-ze.json").exists()
    assert files_of(after) == full_site(tmp_path, old + new, "full")


def test_an_update_after_the_live_dip_csv_was_cut_short_gives_a_whole_one(tmp_path: Path) -> None:
    builder = SiteBuilder(tmp_path / "web")
    entries = register(tmp_path)
    live = builder.build(entries, updated_at=UPDATED)
    data = (live / "dip.csv").read_bytes()
    (live / "dip.csv").unlink()  # a hard link: the live file is replaced, not written through
    (live / "dip.csv").write_bytes(data[: len(data) // 2])
    changed = [*entries[:-1], replace(entries[-1], title="Judul baru")]
    report = builder.update(lambda: changed, updated_at=UPDATED)
    assert files_of(report.generation) == full_site(tmp_path, changed, "full")


def test_an_entrys_key_changes_with_every_field_of_its_record(tmp_path: Path) -> None:
    base = entry(1, documents=(document(tmp_path, "a.pdf"),))
    other = entry(2, opd_code="X", opd_name="Y", round_name="Z", number=9, title="T",
                  summary="S", category="serta_merta", holder="H", responsible="R", made="M",
                  forms="F", retention="1 tahun", published_at=UPDATED,
                  documents=(document(tmp_path, "b.pdf", b"lain"),))  # fmt: skip
    key = site_module._entry_key(base)
    for field in fields(PublicEntry):
        changed = replace(base, **{field.name: getattr(other, field.name)})
        assert site_module._entry_key(changed) != key, field.name
