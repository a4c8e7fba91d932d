"""The built-in public website of the Daftar Informasi Publik: `SiteBuilder` renders the static site.

`SiteBuilder.build` renders the whole register (an index listing the OPDs and categories, a
listing per OPD and per category cut into pages, one page per entry, the search index
`cari.json` with its parts under `cari/`, the documents, `dip.json`, `dip.csv`, `robots.txt`, `404.html`, one CSS and one
small JS file) into a new generation directory and makes it the live site atomically (see
`generations`). Every text file gets a gzip twin (`index.html.gz`, level 9, no time stamp, so
the same page always gives the same bytes) for `web serve` and nginx's `gzip_static`. A failed
build never becomes `current`.

The parts live beside this module: `views` (what the templates see, and the refusal of exempt
information), `pages` (the pages as pure functions of the register), `exports` (`dip.json`,
`dip.csv`), `files` (durable writes), `generations` (the `current` symlink) and `server`
(serving the built site over HTTP). The names other packages import from here are re-exported,
so `bot.publishing.site` stays their one entry point.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.publishing.exports import dip_csv, dip_json
from bot.publishing.files import fsync_dir, place_document, write_bytes
from bot.publishing.generations import CURRENT, publish_generation
from bot.publishing.model import PublicEntry
from bot.publishing.pages import PageContext, site_pages
from bot.publishing.server import SECURITY_HEADERS, create_app, serve
from bot.publishing.views import (
    CATEGORY_LABELS,
    GroupView,
    entry_path,
    format_size,
    register_views,
)

__all__ = [
    "CATEGORY_LABELS",
    "SECURITY_HEADERS",
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


def gzipped(data: bytes) -> bytes:
    """gzip at level 9 without a time stamp or a name: the same input gives the same bytes."""
    return gzip.compress(data, compresslevel=9, mtime=0)


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

    def build(self, entries: Sequence[PublicEntry], *, updated_at: datetime) -> Path:
        """Writes a complete new generation, makes it `current`, and returns its directory.

        Raises ValueError, before touching the disk, if an entry is exempt (`dikecualikan`) or of
        an unknown category, if two entries share an id, or if a document's hash is malformed.
        """
        if updated_at.tzinfo is None:
            raise ValueError("updated_at must be timezone-aware")
        groups = register_views(entries, self.tz)
        updated = updated_at.astimezone(self.tz)
        generation = publish_generation(
            self.root, lambda target: self._write_generation(target, groups, updated)
        )
        log.info("DIP site built: %s (%d entries)", generation.name, len(entries))
        return generation

    def _write_generation(
        self, target: Path, groups: tuple[GroupView, ...], updated: datetime
    ) -> None:
        assets = {name: (_STATIC_DIR / name).read_bytes() for name in _STATIC_FILES}
        version = hashlib.sha256(b"".join(assets.values())).hexdigest()[:12]
        for name, data in assets.items():
            _write_with_twin(target / "static" / name, data)

        entries = [entry for group in groups for entry in group.entries]
        context = PageContext(
            city=self.city,
            updated=updated,
            asset_version=version,
            home=f"{self.base_url}/" if self.base_url else "/",
        )
        for path, text in site_pages(self._env, groups, context):
            _write_with_twin(target / path, text.encode("utf-8"))
        _write_with_twin(target / "robots.txt", b"User-agent: *\nAllow: /\n")
        _write_with_twin(
            target / "dip.json", dip_json(entries, updated, self._absolute).encode("utf-8")
        )
        _write_with_twin(target / "dip.csv", dip_csv(entries, self._absolute))
        for entry in entries:
            for doc in entry.documents:
                place_document(doc.source, target / "berkas" / doc.sha256 / doc.name)
        for directory in {p.parent for p in target.rglob("*") if p.is_file()}:
            fsync_dir(directory)


def _write_with_twin(path: Path, data: bytes) -> None:
    """Writes a file of the site and, for text, its pre-compressed `.gz` twin beside it."""
    write_bytes(path, data)
    if path.suffix.lstrip(".") in _COMPRESSED:
        write_bytes(path.with_name(path.name + ".gz"), gzipped(data))


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
