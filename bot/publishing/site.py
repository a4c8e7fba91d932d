"""The built-in public website of the Daftar Informasi Publik: a static site, and a small server for it.

`SiteBuilder.build` renders the whole register (an index grouped by OPD, one page per entry, the
documents, `dip.json`, `dip.csv`, `robots.txt`, `404.html`, one CSS and one small JS file) into a
new *generation* directory `root/gen-<timestamp>-<rand>` and then swaps the `root/current`
symlink atomically. The previous generation is kept (a reader in the middle of a request still
finds its files); older ones are deleted. Builds serialise on a lock file, so two builds at the
same time are safe, and a failed build never becomes `current`.

Exempt information (`dikecualikan`) must never reach the site: the builder refuses any entry
whose category is not one of the three public ones, even though the publishing service already
filters them out.

`create_app` / `serve` serve `root/current` over HTTP with aiohttp: the symlink is resolved per
request (a rebuild shows at once), only regular files inside the live generation are served
(no listing, no `..`, no encoded traversal, no symlink out of the tree), documents are sent as
attachments, and every response carries the security headers.
"""

from __future__ import annotations

import asyncio
import csv
import fcntl
import hashlib
import io
import json
import logging
import os
import re
import secrets
import shutil
import stat
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.documents import extension_of, mime_for, sanitize_name
from bot.formatting import instant
from bot.publishing.model import PublicDocument, PublicEntry

__all__ = [
    "CATEGORY_LABELS",
    "SECURITY_HEADERS",
    "SiteBuilder",
    "create_app",
    "format_size",
    "serve",
]

log = logging.getLogger(__name__)

CATEGORY_LABELS: Final[Mapping[str, str]] = {
    "berkala": "Berkala",
    "serta_merta": "Serta merta",
    "setiap_saat": "Setiap saat",
}
"""The public categories, in display order, with their Indonesian labels."""

CATEGORY_NOTES: Final[Mapping[str, str]] = {
    "berkala": "Diumumkan secara berkala, paling sedikit setiap enam bulan (Pasal 9 UU 14/2008).",
    "serta_merta": "Diumumkan serta merta karena menyangkut hajat hidup orang banyak dan ketertiban umum (Pasal 10 UU 14/2008).",
    "setiap_saat": "Tersedia setiap saat dan dapat diminta kepada PPID (Pasal 11 UU 14/2008).",
}

EXEMPT_CATEGORY: Final = "dikecualikan"

SECURITY_HEADERS: Final[Mapping[str, str]] = {
    "Content-Security-Policy": (
        "default-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
"""Sent with every response of the site server."""

_PACKAGE_DIR: Final = Path(__file__).resolve().parent
_TEMPLATES_DIR: Final = _PACKAGE_DIR / "templates"
_STATIC_DIR: Final = _PACKAGE_DIR / "static"
_STATIC_FILES: Final = ("site.css", "site.js", "favicon.svg")

_CURRENT: Final = "current"
_GENERATION_PREFIX: Final = "gen-"
_STAGING_PREFIX: Final = ".building-"
_LINK_PREFIX: Final = ".current-"
_LOCK: Final = ".lock"

_SHA256: Final = re.compile(r"[0-9a-f]{64}")
_MAX_NAME_BYTES: Final = 200  # ext4 and friends allow 255 bytes per component
_SUMMARY_CHARS: Final = 280  # summary shown in the index table; the entry page has it whole

_CSV_HEADER: Final = (
    "ID",
    "Kode OPD",
    "Nama OPD",
    "Periode",
    "Nomor",
    "Judul",
    "Ringkasan isi informasi",
    "Pejabat/unit yang menguasai informasi",
    "Penanggung jawab pembuatan/penerbitan",
    "Waktu dan tempat pembuatan",
    "Bentuk informasi",
    "Jangka waktu penyimpanan",
    "Kategori",
    "Diterbitkan",
    "Tautan",
    "Berkas",
)


# --------------------------------------------------------------------------------------------
# Small pure helpers


def format_size(size: int) -> str:
    """`850 B`, `12,3 KB`, `4,0 MB` (binary units, Indonesian decimal comma)."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        value, unit = size / 1024, "KB"
    else:
        value, unit = size / (1024 * 1024), "MB"
    return f"{value:.1f} {unit}".replace(".", ",")


def _kind(name: str, mime: str) -> str:
    ext = extension_of(name)
    if ext:
        return ext.upper()
    return mime or "berkas"


def _shorten(text: str, limit: int = _SUMMARY_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut.rstrip(" ,.;:") + "…"


def _fit_bytes(name: str, limit: int = _MAX_NAME_BYTES) -> str:
    """Shortens a name to at most `limit` UTF-8 bytes, keeping its extension."""
    if len(name.encode("utf-8")) <= limit:
        return name
    ext = extension_of(name)
    suffix = f".{ext}" if ext and len(ext) < 16 else ""
    stem = name[: len(name) - len(suffix)] if suffix else name
    budget = limit - len(suffix.encode("utf-8"))
    while stem and len(stem.encode("utf-8")) > budget:
        stem = stem[:-1]
    return (stem.rstrip(". ") or "dokumen") + suffix


def _safe_component(name: str) -> bool:
    return (
        bool(name)
        and name not in {".", ".."}
        and not name.startswith(".")
        and not any(char in name for char in "/\\\0")
    )


def _document_name(raw: str) -> str:
    """The name a document gets on the site: sanitised again, short enough for any file system."""
    name = _fit_bytes(sanitize_name(raw))
    if not _safe_component(name):  # sanitize_name guarantees this; defence in depth
        raise ValueError(f"unsafe document name: {raw!r}")
    return name


def _csv_cell(value: str) -> str:
    """Neutralises spreadsheet formulas (CSV injection) in user-written text."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


# --------------------------------------------------------------------------------------------
# What the templates see


@dataclass(frozen=True)
class _DocumentView:
    name: str
    sha256: str
    size: int
    size_text: str
    kind: str
    path: str  # relative to the site root, URL-encoded: berkas/<sha256>/<name>
    source: Path


@dataclass(frozen=True)
class _EntryView:
    id: int
    opd_code: str
    opd_name: str
    opd_anchor: str
    round_name: str
    number: int
    title: str
    summary: str
    summary_short: str
    category: str
    category_label: str
    category_note: str
    holder: str
    responsible: str
    made: str
    forms: str
    retention: str
    published_iso: str
    published_text: str
    path: str  # relative to the site root: informasi/<id>.html
    documents: tuple[_DocumentView, ...]


@dataclass(frozen=True)
class _GroupView:
    code: str
    name: str
    anchor: str
    entries: tuple[_EntryView, ...]


@dataclass(frozen=True)
class _CategoryCount:
    code: str
    label: str
    count: int


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(_TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


# --------------------------------------------------------------------------------------------
# Writing files


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as handle:  # "x": a generation is always written into a new directory
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _write_text(path: Path, text: str) -> None:
    _write_bytes(path, text.encode("utf-8"))


def _place_document(source: Path, target: Path) -> None:
    """Hard-links the stored file into the generation, or copies it when linking is impossible."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return
    if not source.is_file():
        raise FileNotFoundError(f"document missing from the store: {source}")
    try:
        os.link(source, target)
    except OSError:  # another file system, a file system without hard links, no permission
        shutil.copyfile(source, target)
        with target.open("rb") as handle:
            os.fsync(handle.fileno())


# --------------------------------------------------------------------------------------------
# The builder


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
        self._env = _environment()

    @property
    def current(self) -> Path:
        """The live site: a symlink to the current generation."""
        return self.root / _CURRENT

    def url_for(self, entry_id: int) -> str:
        """The public address of an entry's page (relative when no base URL is configured)."""
        return self._absolute(f"informasi/{int(entry_id)}.html")

    def _absolute(self, path: str) -> str:
        return f"{self.base_url}/{path}" if self.base_url else path

    # -- build ---------------------------------------------------------------------------------

    def build(self, entries: Sequence[PublicEntry], *, updated_at: datetime) -> Path:
        """Writes a complete new generation, makes it `current`, and returns its directory.

        Raises ValueError, before touching the disk, if an entry is exempt (`dikecualikan`) or of
        an unknown category, if two entries share an id, or if a document's hash is malformed.
        """
        if updated_at.tzinfo is None:
            raise ValueError("updated_at must be timezone-aware")
        groups = self._views(entries)
        self.root.mkdir(parents=True, exist_ok=True)
        with self._locked():
            token = secrets.token_hex(4)
            staging = self.root / f"{_STAGING_PREFIX}{token}"
            staging.mkdir()
            generation: Path | None = None
            try:
                self._write_generation(staging, groups, updated_at.astimezone(self.tz))
                _fsync_dir(staging)
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
                generation = self.root / f"{_GENERATION_PREFIX}{stamp}-{token}"
                staging.rename(generation)
                previous = self._current_generation()
                self._swap(generation.name, token)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                if generation is not None and self._current_generation() != generation.name:
                    shutil.rmtree(generation, ignore_errors=True)
                raise
            self._prune(keep={generation.name, previous})
        log.info("DIP site built: %s (%d entries)", generation.name, len(entries))
        return generation

    @contextmanager
    def _locked(self) -> Iterator[None]:
        fd = os.open(self.root / _LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def _current_generation(self) -> str | None:
        try:
            target = self.current.readlink()
        except OSError:
            return None
        if target.is_absolute():
            if target.parent != self.root.resolve():
                return None
            target = Path(target.name)
        return target.name if len(target.parts) == 1 else None

    def _swap(self, generation: str, token: str) -> None:
        if self.current.exists() and not self.current.is_symlink():
            raise RuntimeError(
                f"{self.current} exists and is not a symlink; refusing to replace it"
            )
        link = self.root / f"{_LINK_PREFIX}{token}"
        link.symlink_to(generation)  # relative: the whole root may be moved
        try:
            link.replace(self.current)  # rename(2): atomic
        except BaseException:
            with suppress(OSError):
                link.unlink()
            raise
        _fsync_dir(self.root)

    def _prune(self, keep: set[str | None]) -> None:
        """Removes generations other than the current and the previous one, and build debris."""
        for child in self.root.iterdir():
            name = child.name
            try:
                if name.startswith(_LINK_PREFIX) and child.is_symlink():
                    child.unlink()
                elif child.is_symlink() or not child.is_dir():
                    continue
                elif name.startswith(_STAGING_PREFIX) or (
                    name.startswith(_GENERATION_PREFIX) and name not in keep
                ):
                    shutil.rmtree(child)
            except OSError:
                log.warning("could not remove old site generation %s", child, exc_info=True)

    # -- views ---------------------------------------------------------------------------------

    def _views(self, entries: Sequence[PublicEntry]) -> tuple[_GroupView, ...]:
        seen: set[int] = set()
        for entry in entries:
            if entry.category.strip().lower() == EXEMPT_CATEGORY:
                raise ValueError(
                    f"entry {entry.id} is exempt (dikecualikan); exempt information is never published"
                )
            if entry.category not in CATEGORY_LABELS:
                raise ValueError(f"entry {entry.id} has an unknown category {entry.category!r}")
            if entry.id in seen:
                raise ValueError(f"two entries share the id {entry.id}")
            seen.add(entry.id)

        by_opd: dict[str, list[PublicEntry]] = {}
        names: dict[str, str] = {}
        for entry in entries:
            by_opd.setdefault(entry.opd_code, []).append(entry)
            names.setdefault(entry.opd_code, entry.opd_name)
        order = sorted(by_opd, key=lambda code: (names[code].casefold(), code))
        groups = []
        for index, code in enumerate(order, start=1):
            anchor = f"opd-{index}"
            members = sorted(by_opd[code], key=lambda e: (e.published_at, e.number, e.id))
            views = tuple(self._entry_view(entry, anchor) for entry in members)
            groups.append(_GroupView(code=code, name=names[code], anchor=anchor, entries=views))
        return tuple(groups)

    def _entry_view(self, entry: PublicEntry, anchor: str) -> _EntryView:
        if entry.published_at.tzinfo is None:
            raise ValueError(f"entry {entry.id}: published_at must be timezone-aware")
        published = entry.published_at.astimezone(self.tz)
        return _EntryView(
            id=int(entry.id),
            opd_code=entry.opd_code,
            opd_name=entry.opd_name,
            opd_anchor=anchor,
            round_name=entry.round_name,
            number=entry.number,
            title=entry.title,
            summary=entry.summary,
            summary_short=_shorten(entry.summary),
            category=entry.category,
            category_label=CATEGORY_LABELS[entry.category],
            category_note=CATEGORY_NOTES[entry.category],
            holder=entry.holder,
            responsible=entry.responsible,
            made=entry.made,
            forms=entry.forms,
            retention=entry.retention,
            published_iso=published.isoformat(),
            published_text=instant(published),
            path=f"informasi/{int(entry.id)}.html",
            documents=tuple(self._document_view(doc) for doc in entry.documents),
        )

    @staticmethod
    def _document_view(doc: PublicDocument) -> _DocumentView:
        sha = doc.sha256.lower()
        if not _SHA256.fullmatch(sha):
            raise ValueError(f"malformed sha256 for document {doc.name!r}")
        name = _document_name(doc.name)
        return _DocumentView(
            name=name,
            sha256=sha,
            size=doc.size,
            size_text=format_size(doc.size),
            kind=_kind(name, doc.mime),
            path=f"berkas/{sha}/{quote(name, safe='')}",
            source=doc.source,
        )

    # -- rendering -----------------------------------------------------------------------------

    def _write_generation(
        self, target: Path, groups: tuple[_GroupView, ...], updated: datetime
    ) -> None:
        assets = {name: (_STATIC_DIR / name).read_bytes() for name in _STATIC_FILES}
        version = hashlib.sha256(b"".join(assets.values())).hexdigest()[:12]
        for name, data in assets.items():
            _write_bytes(target / "static" / name, data)

        entries = [entry for group in groups for entry in group.entries]
        common: dict[str, Any] = {
            "city": self.city,
            "updated_iso": updated.isoformat(),
            "updated_text": instant(updated),
            "asset_version": version,
        }
        counts = [
            _CategoryCount(code, label, sum(1 for e in entries if e.category == code))
            for code, label in CATEGORY_LABELS.items()
        ]
        _write_text(
            target / "index.html",
            self._env.get_template("index.html").render(
                common,
                prefix="",
                page="index",
                groups=groups,
                counts=counts,
                total=len(entries),
                categories=CATEGORY_LABELS,
            ),
        )
        entry_template = self._env.get_template("entry.html")
        for entry in entries:
            _write_text(
                target / entry.path,
                entry_template.render(common, prefix="../", page="entry", entry=entry),
            )
        home = f"{self.base_url}/" if self.base_url else "/"
        _write_text(
            target / "404.html",
            self._env.get_template("404.html").render(common, prefix=home, page="404"),
        )
        _write_text(target / "robots.txt", "User-agent: *\nAllow: /\n")
        _write_text(target / "dip.json", self._json(entries, updated))
        _write_bytes(target / "dip.csv", self._csv(entries))
        for entry in entries:
            for doc in entry.documents:
                _place_document(doc.source, target / "berkas" / doc.sha256 / doc.name)
        for directory in {p.parent for p in target.rglob("*") if p.is_file()}:
            _fsync_dir(directory)

    def _json(self, entries: Sequence[_EntryView], updated: datetime) -> str:
        document = {
            "diperbarui": updated.isoformat(),
            "jumlah": len(entries),
            "informasi": [
                {
                    "id": e.id,
                    "opd": {"kode": e.opd_code, "nama": e.opd_name},
                    "periode": e.round_name,
                    "nomor": e.number,
                    "judul": e.title,
                    "ringkasan": e.summary,
                    "kategori": e.category,
                    "pejabat_penguasa": e.holder,
                    "penanggung_jawab": e.responsible,
                    "waktu_tempat": e.made,
                    "bentuk": e.forms,
                    "retensi": e.retention,
                    "diterbitkan": e.published_iso,
                    "tautan": self.url_for(e.id),
                    "berkas": [
                        {
                            "nama": d.name,
                            "sha256": d.sha256,
                            "ukuran": d.size,
                            "tautan": self._absolute(d.path),
                        }
                        for d in e.documents
                    ],
                }
                for e in entries
            ],
        }
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"

    def _csv(self, entries: Sequence[_EntryView]) -> bytes:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(_CSV_HEADER)
        for e in entries:
            writer.writerow(
                [
                    str(e.id),
                    _csv_cell(e.opd_code),
                    _csv_cell(e.opd_name),
                    _csv_cell(e.round_name),
                    str(e.number),
                    _csv_cell(e.title),
                    _csv_cell(e.summary),
                    _csv_cell(e.holder),
                    _csv_cell(e.responsible),
                    _csv_cell(e.made),
                    _csv_cell(e.forms),
                    _csv_cell(e.retention),
                    e.category_label,
                    e.published_iso,
                    self.url_for(e.id),
                    " | ".join(self._absolute(d.path) for d in e.documents),
                ]
            )
        return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


# --------------------------------------------------------------------------------------------
# The server

_ROOT_KEY: Final = web.AppKey("site_root", Path)
_SMALL: Final = 256 * 1024  # files up to this size are read at once; larger ones are streamed
_CHUNK: Final = 64 * 1024

_TEXT_TYPES: Final[Mapping[str, str]] = {
    "html": "text/html; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "svg": "image/svg+xml",
}


@dataclass
class _Found:
    """A regular file of the live generation, already open (so a later prune cannot take it)."""

    fd: int | None  # open descriptor when the file is large, else None
    data: bytes | None  # the content when the file is small
    size: int
    etag: str


def _segments(raw_path: str) -> tuple[str, ...] | None:
    """The decoded path components of a request, or None for anything suspicious."""
    if not raw_path.startswith("/"):
        return None
    if raw_path == "/":
        return ("index.html",)
    parts = []
    for part in raw_path[1:].split("/"):
        try:
            name = unquote(part, errors="strict")
        except UnicodeDecodeError:
            return None
        if not _safe_component(name):
            return None
        parts.append(name)
    return tuple(parts)


def _locate(root: Path, segments: tuple[str, ...]) -> _Found | None:
    """Opens a regular file inside the generation `root/current` points to right now."""
    try:
        base = root.resolve(strict=True)
        generation = (root / _CURRENT).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if generation.parent != base or not generation.name.startswith(_GENERATION_PREFIX):
        return None
    try:
        real = generation.joinpath(*segments).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not real.is_relative_to(generation) or real == generation:
        return None
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            return None
        etag = f'"{info.st_ino:x}-{info.st_size:x}-{info.st_mtime_ns:x}"'
        if info.st_size > _SMALL:
            return _Found(fd=fd, data=None, size=info.st_size, etag=etag)
        with os.fdopen(fd, "rb") as handle:  # closes fd
            data = handle.read()
        return _Found(fd=None, data=data, size=len(data), etag=etag)
    except BaseException:
        with suppress(OSError):
            os.close(fd)
        raise


def _headers_for(segments: tuple[str, ...]) -> dict[str, str]:
    name = segments[-1]
    ext = extension_of(name)
    if segments[0] == "berkas":
        ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
        return {
            "Content-Type": mime_for(ext),
            "Content-Disposition": (
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
            ),
            "Cache-Control": "public, max-age=86400",
        }
    cache = "public, max-age=3600" if segments[0] == "static" else "no-cache"
    return {
        "Content-Type": _TEXT_TYPES.get(ext, "application/octet-stream"),
        "Cache-Control": cache,
    }


async def _not_found(root: Path) -> web.Response:
    found = await asyncio.to_thread(_locate, root, ("404.html",))
    if found is None:
        return web.Response(status=404, text="404: halaman tidak ditemukan\n")
    if found.fd is not None:  # an absurdly large 404 page
        os.close(found.fd)
        return web.Response(status=404, text="404: halaman tidak ditemukan\n")
    return web.Response(
        status=404,
        body=found.data,
        headers={"Content-Type": _TEXT_TYPES["html"], "Cache-Control": "no-cache"},
    )


async def _handle(request: web.Request) -> web.StreamResponse:
    root = request.app[_ROOT_KEY]
    segments = _segments(request.rel_url.raw_path)
    if segments is None:
        return await _not_found(root)
    found = await asyncio.to_thread(_locate, root, segments)
    if found is None:
        return await _not_found(root)
    headers = _headers_for(segments)
    headers["ETag"] = found.etag
    if found.etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
        if found.fd is not None:
            os.close(found.fd)
        return web.Response(status=304, headers={"ETag": found.etag})
    if found.fd is None:
        return web.Response(body=found.data, headers=headers)
    fd = found.fd
    try:
        response = web.StreamResponse(headers=headers)
        response.content_length = found.size
        await response.prepare(request)
        if request.method != "HEAD":
            loop = asyncio.get_running_loop()
            while chunk := await loop.run_in_executor(None, os.read, fd, _CHUNK):
                await response.write(chunk)
        await response.write_eof()
        return response
    finally:
        os.close(fd)


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)


def create_app(root: Path) -> web.Application:
    """An aiohttp application serving `root/current` as a static site (GET and HEAD only)."""
    app = web.Application()
    app[_ROOT_KEY] = Path(root)
    app.on_response_prepare.append(_security_headers)
    app.router.add_get("/{tail:.*}", _handle)
    return app


async def serve(root: Path, host: str = "127.0.0.1", port: int = 8080) -> web.AppRunner:
    """Starts serving the site on host:port; the caller stops it with `await runner.cleanup()`."""
    runner = web.AppRunner(create_app(root))
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    ports = [a[1] for a in runner.addresses if isinstance(a, tuple)]  # the real one for port 0
    log.info("DIP site served on http://%s:%d/", host, ports[0] if ports else port)
    return runner
