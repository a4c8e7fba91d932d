"""The built-in public website of the Daftar Informasi Publik: `SiteBuilder` renders the static site.

`SiteBuilder.build` renders the whole register (an index listing the OPDs and categories, a
listing per OPD and per category cut into pages, one page per entry, the search index
`cari.json` with its parts under `cari/`, the documents, `dip.json`, `dip.csv`, `robots.txt`, `404.html`, one CSS and one
small JS file) into a new generation directory and makes it the live site atomically (see
`generations`). Every text file gets a gzip twin (`index.html.gz`, level 9 for the pages, 6 for
the search index, 4 for `dip.json` and `dip.csv`, no time stamp, so the same page always gives the same bytes) for `web serve` and
nginx's `gzip_static`. A failed build never becomes `current`.

Builds are incremental (`SiteBuilder.update`): each generation records in a hidden manifest
what each of its pages was made of, and the next build renders only the pages whose inputs
changed, hard-linking the others from the live generation; nothing at all when the register
is the one the live generation shows. What a build made of each entry (its formatting, search
words, the length of its `dip.csv` row) is kept for the next (`_Known`), so an update formats
only the entries whose record changed; `dip.json` and `dip.csv` are put together from the live
ones' text, and the search index's word parts from the live ones (`changed_shards`): the
index is kept by entry id, so an update rewrites only the parts its changed entries are in.
The documents and the entries' pages live in folders shared by the generations (`berkas`, see
`_Documents`; `informasi`, see `_EntryPages`): an update writes what changed there, not a link
per file of the whole register.

The parts live beside this module: `views` (what the templates see, and the refusal of exempt
information), `pages` (the pages as pure functions of the register), `exports` (`dip.json`,
`dip.csv`), `files` (durable writes), `generations` (the `current` symlink) and `server`
(serving the built site over HTTP). The names other packages import from here are re-exported,
so `bot.publishing.site` stays their one entry point.
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import json
import logging
import os
import secrets
import shutil
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from itertools import accumulate
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.publishing.exports import csv_head, csv_row, dip_csv, dip_json, dip_json_parts
from bot.publishing.files import flush_filesystem, fsync_dir, place_document, write_new
from bot.publishing.generations import (
    CURRENT,
    DOCUMENTS,
    ENTRY_PAGES,
    live_generation,
    publish_generation,
)
from bot.publishing.model import PublicEntry
from bot.publishing.pages import (
    SEARCH_DIR,
    PageContext,
    SearchShards,
    changed_shards,
    entry_digest,
    entry_words,
    page_specs,
    search_shards,
    search_words,
)
from bot.publishing.server import SECURITY_HEADERS, create_app, serve
from bot.publishing.views import (
    CATEGORY_LABELS,
    EntryView,
    GroupView,
    entry_path,
    format_size,
    formatted,
    register_views,
)

__all__ = [
    "CATEGORY_LABELS",
    "MANIFEST",
    "SECURITY_HEADERS",
    "BuildReport",
    "SiteBuilder",
    "create_app",
    "format_size",
    "serve",
]

log = logging.getLogger(__name__)

_PACKAGE_DIR: Final = Path(__file__).resolve().parent
_TEMPLATES_DIR: Final = _PACKAGE_DIR / "templates"
_STATIC_DIR: Final = _PACKAGE_DIR / "static"
_STATIC_FILES: Final = ("site.css", "site.js", "favicon.svg")
_COMPRESSED: Final = frozenset({"html", "css", "js", "json", "csv", "txt", "svg"})
"""The files that get a pre-compressed `.gz` twin (documents are served as they are)."""
_ENTRY_PAGE_PREFIX: Final = f"{ENTRY_PAGES}/"
_PAGES_STATE: Final = ".halaman.json"
"""In the entry pages' folder: what each page there was made of (see `_EntryPages`)."""
_PAGES_STAGING: Final = ".baru-"
_KNOWN: Final = ".entries.json"
"""In each generation: what its build made of each entry, for the next (see `_Known`)."""
MANIFEST: Final = ".build.json"
"""In each generation: what each of its files was made of (see `_GenerationWriter`). Hidden, so
never served (`safe_component`)."""
_FORMAT: Final = 5
"""The builder's own version: raise it when the same inputs give other bytes."""


_DATA_LEVEL: Final = 6
"""gzip level of the search index's parts: rewritten by every publication, they come out within
2% of level 9's size for a sixth of its time (measured at 25,000 entries: 0.85 s of CPU less
per update). The pages keep level 9."""
_OPEN_DATA_LEVEL: Final = 4
"""gzip level of `dip.json` and `dip.csv`, the largest files (32 and 18 MB at 25,000 entries),
rewritten by every publication and downloaded now and then: 11-14% larger than at level 6 for
60% of its time (0.3 s instead of 0.6 s of CPU per update; level 9 took 1 s)."""


def gzipped(data: bytes, level: int = 9) -> bytes:
    """gzip without a time stamp or a name: the same input gives the same bytes."""
    return gzip.compress(data, compresslevel=level, mtime=0)


class SiteBuilder:
    """Builds the static DIP site under `root` (normally `data_dir / "web"`).

    The live site is `root / "current"`, a symlink to the newest complete generation. `build`
    is blocking (file I/O and fsync); call it from a worker thread in async code.
    """

    def __init__(
        self,
        root: Path,
        *,
        city: str = "Kota Pontianak",
        base_url: str | None = None,
        tz: str | ZoneInfo = "Asia/Pontianak",
    ) -> None:
        self.root = Path(root)
        self.city = city
        self.base_url = base_url.rstrip("/") if base_url else None
        self.tz = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        self._env = environment()

    @property
    def current(self) -> Path:
        """The live site: a symlink to the current generation."""
        return self.root / CURRENT

    def url_for(self, entry_id: int) -> str:
        """The public address of an entry's page (relative when no base URL is configured)."""
        return self._absolute(entry_path(entry_id))

    def _absolute(self, path: str) -> str:
        return f"{self.base_url}/{path}" if self.base_url else path

    def build(
        self, entries: Sequence[PublicEntry], *, updated_at: datetime, full: bool = False
    ) -> Path:
        """Writes a new generation, makes it `current`, and returns its directory.

        Raises ValueError, before touching the disk, if an entry is exempt (`dikecualikan`) or of
        an unknown category, if two entries share an id, or if a document's hash is malformed.
        """
        if updated_at.tzinfo is None:
            raise ValueError("updated_at must be timezone-aware")
        groups = register_views(entries, self.tz)
        return self.update(
            lambda: entries, updated_at=updated_at, full=full, views=groups
        ).generation

    def update(
        self,
        load: Callable[[], Sequence[PublicEntry]],
        *,
        updated_at: datetime,
        full: bool = False,
        views: tuple[GroupView, ...] | None = None,
    ) -> BuildReport:
        """Brings the site up to date with the register `load` returns, and makes it `current`.

        `load` runs under the web root's lock, so builds from several processes publish their
        registers in the order they read them (an older read never replaces a newer site).
        Incremental unless `full`: a page whose inputs did not change since the live
        generation is hard-linked from it instead of rendered; without a live generation (the
        first build, a site deleted by hand) everything is rendered. When the register and the
        templates are those of the live generation and its files are all there, nothing is
        written at all (`BuildReport.unchanged`; the site keeps the time of its last change).
        """
        if updated_at.tzinfo is None:
            raise ValueError("updated_at must be timezone-aware")
        updated = updated_at.astimezone(self.tz)
        counts: dict[str, int] = {}
        documents = _Documents(self.root / DOCUMENTS)
        pages = _EntryPages(self.root / ENTRY_PAGES)

        def write(target: Path) -> None:
            entries = load()
            assets = {name: (_STATIC_DIR / name).read_bytes() for name in _STATIC_FILES}
            salt = self._salt(assets)
            listed = [_entry_key(entry) for entry in entries]
            keys = {entry.id: key for entry, key in zip(entries, listed, strict=True)}
            register = hashlib.sha256("".join(listed).encode()).hexdigest()
            live = None if full else live_generation(self.root)
            if live is not None and _unchanged(live, salt, register, documents.folder, pages):
                raise _Unchanged(live)
            known = _Known.read(live, salt, keys) if live is not None else _Known()
            groups = views if views is not None else register_views(entries, self.tz, known.made)
            writer = _Known.Writer(known, keys, self._absolute, salt)
            counts.update(
                self._write_generation(
                    target,
                    groups,
                    updated,
                    documents,
                    pages,
                    assets,
                    salt,
                    register,
                    live,
                    writer,
                )
            )
            records.append(writer)

        records: list[_Known.Writer] = []

        def after_swap() -> None:
            pages.remove_unwanted()
            documents.remove_unwanted()
            live = live_generation(self.root)  # this build's: still under the site's lock
            if records and live is not None:
                _write_known(live, records[0].dump())

        try:
            with _fewer_collections():
                generation = publish_generation(self.root, write, after_swap=after_swap)
        except _Unchanged as same:
            log.info("DIP site unchanged: %s", same.generation.name)
            return BuildReport(same.generation, same.entries, 0, 0, unchanged=True)
        report = BuildReport(
            generation=generation,
            entries=counts.get("entries", 0),
            rendered=counts.get("rendered", 0),
            reused=counts.get("reused", 0),
        )
        log.info(
            "DIP site built: %s (%d entries, %d files written, %d reused)",
            generation.name, report.entries, report.rendered, report.reused,
        )  # fmt: skip
        return report

    def _salt(self, assets: dict[str, bytes]) -> str:
        """What every page depends on besides its own inputs: the format of the builder, the
        templates, the static files and the settings of the site. A change of any of them
        (an upgrade of the bot) makes the next build a full one."""
        digest = hashlib.sha256(f"{_FORMAT}|{self.city}|{self.base_url}|{self.tz.key}".encode())
        for template in sorted(_TEMPLATES_DIR.rglob("*")):
            if template.is_file():
                digest.update(template.name.encode() + b"\0" + template.read_bytes())
        for name, data in sorted(assets.items()):
            digest.update(name.encode() + b"\0" + data)
        return digest.hexdigest()

    def _write_generation(
        self,
        target: Path,
        groups: tuple[GroupView, ...],
        updated: datetime,
        documents: _Documents,
        pages: _EntryPages,
        assets: dict[str, bytes],
        salt: str,
        register: str,
        live: Path | None,
        known: _Known.Writer,
    ) -> dict[str, int]:
        version = hashlib.sha256(b"".join(assets.values())).hexdigest()[:12]
        pages.begin(salt, fresh=live is None)
        try:
            with _GenerationWriter(target, live, salt, register) as out:
                self._write_files(
                    out, groups, updated, documents, pages, assets, version, live, known
                )
                (target / DOCUMENTS).symlink_to(f"../{DOCUMENTS}")  # relative: the root may move
                (target / ENTRY_PAGES).symlink_to(f"../{ENTRY_PAGES}")
            # Flushed with the generation: the changed and new entry pages take their places
            # (a rename each) a moment before the generation that lists them goes live.
            pages.commit()
        finally:
            pages.discard()
        return {"entries": out.entries, "rendered": out.rendered, "reused": out.reused}

    def _write_files(
        self,
        out: _GenerationWriter,
        groups: tuple[GroupView, ...],
        updated: datetime,
        documents: _Documents,
        pages: _EntryPages,
        assets: dict[str, bytes],
        version: str,
        live: Path | None,
        known: _Known.Writer,
    ) -> None:
        for name, data in assets.items():
            out.put(f"static/{name}", f"static:{name}", partial(_same, data))
        entries = [entry for group in groups for entry in group.entries]
        known.add(entries)
        digests = known.digests
        # The open data first: their twins, the largest files, compress while pages render.
        out.put("dip.json", None, partial(self._dip_json, entries, updated, out, known))
        out.put("dip.csv", None, lambda: dip_csv(entries, self._absolute, known.rows))
        context = PageContext(
            city=self.city,
            updated=updated,
            asset_version=version,
            home=f"{self.base_url}/" if self.base_url else "/",
        )
        search = _search_index(out, entries, known)
        for spec in page_specs(self._env, groups, context, digests, known.words, search):
            if spec.path.startswith(_ENTRY_PAGE_PREFIX) and spec.key is not None:
                out.put_entry_page(pages, spec.path, spec.key, spec.render)
            else:
                out.put(spec.path, spec.key, partial(_encoded, spec.render))
        out.put("robots.txt", "robots", partial(_same, b"User-agent: *\nAllow: /\n"))
        wanted = {f"{d.sha256}/{d.name}": d.source for e in entries for d in e.documents}
        documents.add(wanted, None if live is None else out.previous_documents)
        out.documents = sorted(wanted)
        out.pages = sorted(pages.wanted)
        out.entries = len(entries)

    def _dip_json(
        self,
        entries: list[EntryView],
        updated: datetime,
        out: _GenerationWriter,
        records: _Known.Writer,
    ) -> bytes:
        """`dip.json`, with the text of every entry whose view is the one the live generation's
        build made (from the same record, with the same settings) taken from the live one."""
        known: dict[int, str] = {}
        if out.live is not None and records.reused:
            try:
                known = dip_json_parts((out.live / "dip.json").read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                known = {}
            known = {key: text for key, text in known.items() if key in records.reused}
        return dip_json(entries, updated, self._absolute, known).encode("utf-8")


def _search_index(
    out: _GenerationWriter, entries: list[EntryView], known: _Known.Writer
) -> SearchShards:
    """The word index: the live generation's, changed where the words of an entry changed
    (added, changed and withdrawn entries: see `changed_shards`); made whole from every
    entry's words when there is nothing to start from (no live generation, its records or its
    manifest unreadable, made by another version, or one of its parts missing)."""
    before = known.known.words
    prefix, suffix = f"{SEARCH_DIR}/t-", ".json"
    keys = {
        path[len(prefix) : -len(suffix)]: key
        for path, key in out.previous.items()
        if path.startswith(prefix) and path.endswith(suffix)
    }
    if out.live is not None and before is not None and keys:
        folder = out.live / SEARCH_DIR
        try:
            present = set(os.listdir(folder))  # noqa: PTH208 - names only
        except OSError:
            present = set()
        if all(f"t-{part}.json" in present and f"t-{part}.json.gz" in present for part in keys):
            words = known.words
            changes = {
                i: (before.get(i, ""), now) for i, now in words.items() if before.get(i) != now
            }
            changes.update((i, (old, "")) for i, old in before.items() if i not in words)

            def read(part: str) -> str:
                return (folder / f"t-{part}.json").read_text(encoding="utf-8")

            try:
                return changed_shards(keys, read, changes)
            except (OSError, ValueError, UnicodeDecodeError):
                log.warning("the live search index is unreadable: made whole", exc_info=True)
    return search_shards(search_words(entries, known.words))


@dataclass(frozen=True)
class BuildReport:
    """What a build did: its generation, how many entries the site shows, and how many files
    (pages and data, not counting `.gz` twins and documents) were written anew or reused."""

    generation: Path
    entries: int
    rendered: int
    reused: int
    unchanged: bool = False  # the live generation was up to date: nothing was written


class _Unchanged(Exception):
    """Raised inside a build when the live generation is up to date (the attempt is dropped)."""

    def __init__(self, generation: Path) -> None:
        super().__init__(generation.name)
        self.generation = generation
        self.entries = int(_manifest(generation).get("entries", 0))


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Python's cyclic garbage collector, run less often during a build: a build holds
    hundreds of thousands of objects (the register, its views, the kept records) that live
    until its end, and at the default thresholds the collector went through all of them again
    and again (a fifth of an update's CPU at 25,000 entries). Little of what a build makes is
    cyclic garbage, so its memory stays the same (measured with a full build)."""
    previous = gc.get_threshold()
    gc.set_threshold(100_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def _entry_key(entry: PublicEntry) -> str:
    """An entry's record as read, digested: every field and document of it. The register's
    digest is that of its entries' keys, in order. (A plain tuple's repr, made in C: a
    dataclass's, with its datetime and paths, was a tenth of an update at 25,000 entries.)"""
    record = (
        _KEY_VERSION, entry.id, entry.opd_code, entry.opd_name, entry.round_name, entry.number,
        entry.title, entry.summary, entry.category, entry.holder, entry.responsible, entry.made,
        entry.forms, entry.retention, entry.published_at.isoformat(),
        [(d.sha256, d.name, d.mime, d.size, os.fspath(d.source)) for d in entry.documents],
    )  # fmt: skip
    return hashlib.sha256(repr(record).encode("utf-8")).hexdigest()


_KEY_VERSION: Final = 2
"""Raise it when `_entry_key` covers other fields (`PublicEntry` changed)."""


class _Known:
    """What the previous build made of each entry, kept in its generation (`_KNOWN`) for the
    next: what formatting made of it (`formatted`), its digest, its search words and its line
    of `dip.csv`. An update takes them for every entry whose record (`_entry_key`) is the one
    they were made from, and makes them for the others only: formatting 25,000 entries again
    would be most of an update's time. JSON, not pickle: reading it never runs code, whoever
    wrote the file. One line per entry after a line for the file (its format and salt), so
    that the next records are written with the lines of unchanged entries as they were read
    (serialising 25,000 records again was a tenth of an update)."""

    def __init__(
        self,
        records: dict[int, list[Any]] | None = None,
        words: dict[int, str] | None = None,
        lines: dict[int, str] | None = None,
    ) -> None:
        # By entry id: [id, key, digest, words, length of its row of `dip.csv`, formatted,
        # OPD anchor, OPD page].
        self.records = records or {}
        self.made = {entry_id: record[5] for entry_id, record in self.records.items()}
        # The search words of every entry the previous build showed (None: not known), from
        # which its word index was made.
        self.words = words
        self.lines = lines or {}  # by entry id: its line in the file, of `records` only
        self._csv = b""  # the live `dip.csv`, whose rows are those of the records
        self._spans: dict[int, tuple[int, int]] = {}  # by entry id: its row's start and end

    def row(self, entry_id: int) -> bytes | None:
        """The entry's row of the live `dip.csv` (None: not known)."""
        span = self._spans.get(entry_id)
        return None if span is None else self._csv[span[0] : span[1]]

    @classmethod
    def read(cls, live: Path, salt: str, keys: dict[int, str]) -> _Known:
        """The records of `live` for entries whose key is still `keys`' (none when the file is
        missing, unreadable, or made with other templates or settings)."""
        try:
            head, _, body = (live / _KNOWN).read_bytes().decode("utf-8").partition("\n")
            data = json.loads(head)
            if data.get("format") != _FORMAT or data.get("salt") != salt:
                return cls()
            lines = body.split("\n") if body else []
            parsed = json.loads(f"[{','.join(lines)}]")  # one call, in C: 25,000 records
            if len(parsed) != len(lines) or not all(len(r) == _RECORD_LENGTH for r in parsed):
                return cls()
            words = {record[0]: record[3] for record in parsed}
            same = [i for i, record in enumerate(parsed) if keys.get(record[0]) == record[1]]
            records = {parsed[i][0]: parsed[i] for i in same}
            kept = {parsed[i][0]: lines[i] for i in same}
            if not all(isinstance(i, int) and isinstance(w, str) for i, w in words.items()):
                return cls()
            if not all(len(record[5]) == _FORMATTED_LENGTH for record in records.values()):
                return cls()
            known = cls(records, words, kept)
            known._read_csv(live, [record[0] for record in parsed], [r[4] for r in parsed])
        except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
            return cls()
        return known

    def _read_csv(self, live: Path, ids: list[int], lengths: list[int]) -> None:
        """The rows of the live `dip.csv`, found by the lengths the records keep, in their order
        (that of the file): no parsing. None at all when the file is not the one they describe."""
        head = len(csv_head())
        ends = list(accumulate(lengths, initial=head))
        try:
            data = (live / "dip.csv").read_bytes()
        except OSError:
            return
        if ends[-1] != len(data) or data[:head] != csv_head():
            return
        self._csv = data
        self._spans = {i: (ends[n], ends[n + 1]) for n, i in enumerate(ids) if i in self.records}

    class Writer:
        """The records of this build: taken from `known` for entries whose record it has,
        made anew for the others."""

        def __init__(
            self, known: _Known, keys: dict[int, str], link: Callable[[str], str], salt: str
        ):
            self.known = known
            self.keys = keys
            self.link = link
            self.salt = salt
            self.digests: dict[int, str] = {}
            self.words: dict[int, str] = {}
            self.rows: dict[int, bytes] = {}  # each entry's row of `dip.csv`
            self.reused: set[int] = set()  # the entries whose record was taken as it was
            self._views: list[EntryView] = []

        def add(self, entries: list[EntryView]) -> None:
            self._views = entries
            records = self.known.records
            for entry in entries:
                record = records.get(entry.id)
                if record is None:
                    self.digests[entry.id] = entry_digest(entry)
                    self.words[entry.id] = entry_words(entry)
                    self.rows[entry.id] = csv_row(entry, self.link).encode("utf-8")
                    continue
                self.reused.add(entry.id)
                self.words[entry.id] = record[3]
                row = self.known.row(entry.id)
                self.rows[entry.id] = csv_row(entry, self.link).encode() if row is None else row
                # The page's digest covers its OPD's page too (a new OPD may take its name).
                same_place = record[7] == entry.opd_path
                self.digests[entry.id] = record[2] if same_place else entry_digest(entry)

        def dump(self) -> bytes:
            head = json.dumps({"format": _FORMAT, "salt": self.salt})
            lines = [head]
            kept = self.known.lines
            for entry in self._views:
                record = self.known.records.get(entry.id)
                line = kept.get(entry.id)
                if line is not None and record is not None and record[2] == self.digests[entry.id]:
                    lines.append(line)  # the same record: its digest covers its place
                    continue
                made = [
                    entry.id,
                    self.keys.get(entry.id, ""),
                    self.digests[entry.id],
                    self.words[entry.id],
                    len(self.rows[entry.id]),
                    record[5] if record is not None else formatted(entry),
                    entry.opd_anchor,
                    entry.opd_path,
                ]
                lines.append(json.dumps(made, ensure_ascii=False, separators=(",", ":")))
            return "\n".join(lines).encode("utf-8")


_RECORD_LENGTH: Final = 8
_FORMATTED_LENGTH: Final = 4


def _write_known(generation: Path, data: bytes) -> None:
    """The records of the live generation's build, once it is live: they only spare the next
    build work, so they are neither in the way of the swap nor flushed (a file lost or cut
    short in a crash is not read, and the next build formats every entry)."""
    partial_file = generation / f"{_KNOWN}.part"
    try:
        with suppress(FileNotFoundError):
            partial_file.unlink()
        write_new(partial_file, data)
        partial_file.replace(generation / _KNOWN)
    except OSError:
        log.warning("could not keep the entries' records in %s", generation, exc_info=True)
        with suppress(OSError):
            partial_file.unlink()


def _manifest(live: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((live / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _unchanged(live: Path, salt: str, register: str, documents: Path, pages: _EntryPages) -> bool:
    """Whether the live generation shows this very register with these templates, and every
    file it was built with is still there (one listing per folder, not a call per file)."""
    manifest = _manifest(live)
    if (manifest.get("format"), manifest.get("salt"), manifest.get("register")) != (
        _FORMAT,
        salt,
        register,
    ):
        return False
    paths, placed = manifest.get("paths"), manifest.get("documents")
    shown = manifest.get("pages")
    if not isinstance(paths, list) or not isinstance(placed, list) or not isinstance(shown, list):
        return False
    if not pages.all_there([str(name) for name in shown], salt):
        return False
    by_folder: dict[str, set[str]] = {}
    for path in paths:
        folder, _, name = str(path).rpartition("/")
        names = by_folder.setdefault(folder, set())
        names.add(name)
        if _compressed(name):
            names.add(name + ".gz")
    folders = {str(name).partition("/")[0] for name in placed}
    try:
        for folder, names in by_folder.items():
            if not names <= set(os.listdir(live / folder)):  # noqa: PTH208 - names only
                return False
        return folders <= set(os.listdir(documents))  # noqa: PTH208 - names only
    except OSError:
        return False


class _GenerationWriter:
    """Writes the files of a new generation, reusing those of the live one whose inputs did not
    change (a hard link: no rendering, no gzip, no copy), and records what each file was made
    of in the generation's manifest for the next build.

    Files are written without a flush each: one flush of the file system at the end (`close`)
    makes the whole generation durable before it can become `current`. The `.gz` twins are
    compressed on two threads (zlib lets go of the interpreter while it compresses), beside
    the rendering.
    """

    def __init__(self, target: Path, live: Path | None, salt: str, register: str) -> None:
        self.target = target
        self.live = live
        self.salt = salt
        self.register = register
        self.paths: list[str] = []  # every file it wrote or linked (not the twins)
        self.entries = 0
        self.previous, self.previous_documents = (
            _read_manifest(live, salt) if live is not None else ({}, None)
        )
        self.made: dict[str, str] = {}
        self.documents: list[str] = []  # the documents it shows: `<sha256>/<name>`
        self.pages: list[str] = []  # the entry pages it links (in the shared folder)
        self.rendered = 0
        self.reused = 0
        self._dirs: set[str] = set()
        self._target = str(target)
        self._live = str(live)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="gzip")
        self._pending: list[Future[None]] = []

    def __enter__(self) -> _GenerationWriter:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        try:
            for job in self._pending:
                if error is None:
                    job.result()  # a failed twin (a full disk) fails the build
                else:
                    job.cancel()
        finally:
            self._pool.shutdown(wait=True)
        if error is None:
            manifest = {
                "format": _FORMAT,
                "salt": self.salt,
                "register": self.register,
                "entries": self.entries,
                "files": self.made,
                "paths": self.paths,
                "documents": self.documents,
                "pages": self.pages,
            }
            write_new(self.target / MANIFEST, json.dumps(manifest, sort_keys=True).encode())
            flush_filesystem(self.target)

    def put(self, path: str, key: str | None, produce: Callable[[], bytes]) -> None:
        """The file at `path` (and its `.gz` twin for text): from the live generation when its
        `key` is the one recorded there, else `produce()`d; a file without a key is produced
        every time, and still linked when its bytes came out the same."""
        destination = self._destination(path)
        self.paths.append(path)
        if key is not None and self.previous.get(path) == key and self._link(path, destination):
            self.made[path] = key
            self.reused += 1
            return
        data = produce()
        if key is None and self._same_as_live(path, data) and self._link(path, destination):
            self.reused += 1
            return
        write_new(Path(destination), data)
        if _compressed(path):
            self._pending.append(self._pool.submit(_write_twin, Path(destination), data))
        if key is not None:
            self.made[path] = key
        self.rendered += 1

    def put_entry_page(
        self, pages: _EntryPages, path: str, key: str, render: Callable[[], str]
    ) -> None:
        """An entry's page (and its twin), in the folder the generations share: rendered into
        the build's staging folder there when its key is not the one on disk (it replaces the
        page at `pages.commit`), else left as it is."""
        staged = pages.stage(path.removeprefix(_ENTRY_PAGE_PREFIX), key)
        if staged is None:
            self.reused += 1
            return
        data = render().encode("utf-8")
        write_new(staged, data)
        self._pending.append(self._pool.submit(_write_twin, staged, data))
        self.rendered += 1

    def _destination(self, path: str) -> str:
        """Where `path` goes in the new generation, its folder made (plain strings: tens of
        thousands of pages, each one a few system calls and no more)."""
        folder, _, _ = path.rpartition("/")
        if folder not in self._dirs:
            (self.target / folder).mkdir(parents=True, exist_ok=True)
            self._dirs.add(folder)
        return f"{self._target}/{path}"

    def _link(self, path: str, destination: str) -> bool:
        """Hard-links the live generation's file (and its twin); False when that is impossible
        (a generation cut down by hand, a file system without hard links): it is made anew."""
        assert self.live is not None
        source = f"{self._live}/{path}"
        names = [(source, destination)]
        if _compressed(path):
            names.append((source + ".gz", destination + ".gz"))
        try:
            for old, new in names:
                os.link(old, new)
        except OSError:
            for _, new in names:
                with suppress(FileNotFoundError):
                    Path(new).unlink()
            return False
        return True

    def _same_as_live(self, path: str, data: bytes) -> bool:
        if self.live is None:
            return False
        try:
            return (self.live / path).read_bytes() == data
        except OSError:
            return False


class _EntryPages:
    """The entries' pages, `root/informasi/<id>.html`, in one folder shared by the generations
    (each has `informasi` as a symlink to it), like the documents: an update writes the pages
    of new and changed entries, not a link per page of the whole register.

    Readers never see a page half written: a build renders its pages into a hidden staging
    folder inside, flushed with its generation, and only then moves each into place (a rename)
    just before the generation that lists them goes live; a failed build (a full disk) drops
    its staging folder and leaves every page as it was. A page no longer shown (a withdrawn
    entry's) is removed once the new generation is live, so it is gone from the previous one
    too. What each page was made of is recorded beside them (`_PAGES_STATE`, hidden, written
    by rename after the pages it describes). Changed under the site's lock only.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.wanted: dict[str, str] = {}  # page name -> key, of this build
        self._state: dict[str, str] = {}  # page name -> key, on disk
        self._present: set[str] = set()
        self._staging: Path | None = None
        self._staged: list[str] = []
        self._salt = ""

    def begin(self, salt: str, *, fresh: bool) -> None:
        """Before the pages: reads what is on disk (nothing of it is trusted when `fresh`, a
        full build), clears a crashed build's staging folder, makes this build's."""
        self._salt = salt
        self.folder.mkdir(exist_ok=True)
        self._state = {} if fresh else self._read_state(salt)
        self._present = set(os.listdir(self.folder))  # noqa: PTH208 - names only
        for name in self._present:
            if name.startswith(_PAGES_STAGING):
                shutil.rmtree(self.folder / name, ignore_errors=True)
        self._staging = self.folder / f"{_PAGES_STAGING}{secrets.token_hex(4)}"
        self._staging.mkdir()

    def all_there(self, names: list[str], salt: str) -> bool:
        """Whether every page of `names`, with its twin, is on disk as made with `salt`."""
        try:
            present = set(os.listdir(self.folder))  # noqa: PTH208 - names only
        except OSError:
            return False
        state = self._read_state(salt)
        return all(name in state and name in present and f"{name}.gz" in present for name in names)

    def stage(self, name: str, key: str) -> Path | None:
        """Where to render page `name` made of `key`; None when it is on disk already."""
        assert self._staging is not None
        self.wanted[name] = key
        if self._state.get(name) == key and name in self._present and f"{name}.gz" in self._present:
            return None
        self._staged.append(name)
        return self._staging / name

    def commit(self) -> None:
        """The staged pages into place, then the record of what every page is made of."""
        assert self._staging is not None
        staging, folder = str(self._staging), str(self.folder)
        for name in self._staged:  # plain strings: a full build moves 50,000 files
            os.replace(f"{staging}/{name}.gz", f"{folder}/{name}.gz")  # noqa: PTH105
            os.replace(f"{staging}/{name}", f"{folder}/{name}")  # noqa: PTH105
        state = {"format": _FORMAT, "salt": self._salt, "pages": self.wanted}
        part = self._staging / _PAGES_STATE
        write_new(part, json.dumps(state, sort_keys=True).encode())
        part.replace(self.folder / _PAGES_STATE)
        fsync_dir(self.folder)

    def discard(self) -> None:
        """Drops the staging folder (empty after a commit, a failed build's pages otherwise)."""
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None

    def remove_unwanted(self) -> None:
        """Once the new generation is live: the pages it does not show."""
        for name in self._present:
            page = name.removesuffix(".gz")
            if page.endswith(".html") and not page.startswith(".") and page not in self.wanted:
                with suppress(FileNotFoundError):
                    (self.folder / name).unlink()

    def _read_state(self, salt: str) -> dict[str, str]:
        try:
            state = json.loads((self.folder / _PAGES_STATE).read_bytes())
            if state.get("format") != _FORMAT or state.get("salt") != salt:
                return {}
            return {str(name): str(key) for name, key in state["pages"].items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return {}


class _Documents:
    """The site's documents, `root/berkas/<sha256>/<name>`, shared by the generations (each has
    `berkas` as a symlink to it): a publication adds its documents, not a folder and a link per
    document of the whole register. Changed under the site's lock only: what a build needs is
    added before its generation goes live, what it no longer shows (a withdrawn entry's) is
    removed once it is live, from the previous generation too."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._wanted: set[str] = set()
        self._unwanted: list[str] | None = []  # None: find them by listing the folder

    def add(self, wanted: dict[str, str], previous: list[str] | None) -> None:
        """Every wanted document in the folder (hard-linked from the content-addressed store,
        or copied). What the live generation's build placed is trusted to be there while its
        document's folder is (one listing of the folder, not a system call per document)."""
        self.folder.mkdir(exist_ok=True)
        known = set(previous or ())  # placed by the live generation's build
        present = set(os.listdir(self.folder)) if known else set()  # noqa: PTH208 - names only
        for name, source in wanted.items():
            if name in known and name.partition("/")[0] in present:
                continue
            target = self.folder / name
            try:
                os.link(source, target)
            except FileExistsError:
                continue
            except OSError:
                target.parent.mkdir(exist_ok=True)
                place_document(Path(source), target, durable=False)
        self._wanted = set(wanted)
        self._unwanted = None if previous is None else sorted(set(previous) - self._wanted)

    def remove_unwanted(self) -> None:
        unwanted = self._unwanted if self._unwanted is not None else self._listed_unwanted()
        for name in unwanted:
            with suppress(FileNotFoundError):
                (self.folder / name).unlink()
            with suppress(OSError):  # still holds another name of the same document
                (self.folder / name).parent.rmdir()

    def _listed_unwanted(self) -> list[str]:
        found = []
        with suppress(FileNotFoundError), os.scandir(self.folder) as folders:
            for folder in folders:
                with os.scandir(folder.path) as files:
                    found += [f"{folder.name}/{f.name}" for f in files]
        return [name for name in found if name not in self._wanted]


def _read_manifest(live: Path, salt: str) -> tuple[dict[str, str], list[str] | None]:
    """What each file of the live generation was made of, and the documents it shows; empty
    (everything is rendered, the documents listed) when there is no manifest, it is
    unreadable, or it was made by other templates or settings."""
    manifest = _manifest(live)
    if manifest.get("salt") != salt:
        return {}, None
    files, documents = manifest.get("files"), manifest.get("documents")
    if manifest.get("format") != _FORMAT or not isinstance(files, dict):
        return {}, None
    if not isinstance(documents, list):
        documents = None
    return {str(k): str(v) for k, v in files.items()}, documents


def _same(data: bytes) -> bytes:
    return data


def _encoded(render: Callable[[], str]) -> bytes:
    return render().encode("utf-8")


def _compressed(path: str) -> bool:
    return path.rsplit(".", 1)[-1] in _COMPRESSED


def _twin(path: Path) -> Path:
    return path.with_name(path.name + ".gz")


def _write_twin(path: Path, data: bytes) -> None:
    if path.name in {"dip.json", "dip.csv"}:
        level = _OPEN_DATA_LEVEL
    else:
        level = _DATA_LEVEL if path.suffix == ".json" else 9
    write_new(_twin(path), gzipped(data, level))


def environment() -> Environment:
    """The Jinja2 environment of the site's templates (autoescaping, strict undefined)."""
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["basename"] = lambda path: str(path).rsplit("/", 1)[-1]
    return env
