"""The pages of the DIP site as pure functions of the register: `site_pages` renders every HTML
page and the search index into a mapping of path (relative to the site root) to text.

Nothing here touches the disk, so a builder that writes only what changed (incremental
publishing) can compare the result with the live generation page by page. To keep pages stable
between builds, only the index carries the time of the build; an entry page carries its own
publication time, and the listings carry none.

The register is light at any size: the index lists OPDs and categories with their counts (no
entry rows), each OPD and each category has its own listing cut into pages of `PAGE_SIZE`, and
the search runs in the browser over `cari.json`, a compact index loaded only when a visitor
searches or filters.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from jinja2 import Environment

from bot.formatting import instant
from bot.publishing.views import (
    CATEGORY_LABELS,
    CATEGORY_NOTES,
    EntryView,
    GroupView,
    category_counts,
    category_path,
    list_pages,
)

__all__ = ["SEARCH_INDEX", "PageContext", "search_index", "site_pages"]

SEARCH_INDEX: Final = "cari.json"
"""The search index, relative to the site root."""

_CATEGORY_HEADINGS: Final[Mapping[str, str]] = {
    code: f"Informasi {label.lower()}" for code, label in CATEGORY_LABELS.items()
}


@dataclass(frozen=True)
class PageContext:
    """What every page shows besides the register."""

    city: str
    updated: datetime  # the build's time, in the site's time zone (shown on the index)
    asset_version: str  # changes when site.css / site.js / favicon.svg change
    home: str  # the site's home address for the 404 page ("/" or the absolute base URL)


def site_pages(
    env: Environment, groups: tuple[GroupView, ...], context: PageContext
) -> Iterator[tuple[str, str]]:
    """Every page of the site and the search index, as (path, text), in a stable order."""
    entries = [entry for group in groups for entry in group.entries]
    common = {
        "city": context.city,
        "asset_version": context.asset_version,
        "updated_iso": "",
        "updated_text": "",
    }
    index_json = search_index(groups)
    yield SEARCH_INDEX, index_json
    yield (
        "index.html",
        env.get_template("index.html").render(
            common,
            prefix="",
            page="index",
            groups=groups,
            counts=category_counts(entries),
            total=len(entries),
            categories=CATEGORY_LABELS,
            updated_iso=context.updated.isoformat(),
            updated_text=instant(context.updated),
            index_version=_short_hash(index_json),
        ),
    )
    listing = env.get_template("list.html")
    for group in groups:
        for page in list_pages(group.path, group.name, group.entries):
            yield (
                page.path,
                listing.render(
                    common,
                    prefix="../",
                    page="list",
                    listing=page,
                    caption=f"Daftar Informasi Publik {group.name} ({page.total} informasi)",
                    note="",
                    with_opd=False,
                ),
            )
    for code, label in CATEGORY_LABELS.items():
        members = [entry for entry in entries if entry.category == code]
        heading = _CATEGORY_HEADINGS[code]
        for page in list_pages(category_path(code), heading, members):
            yield (
                page.path,
                listing.render(
                    common,
                    prefix="../",
                    page="list",
                    listing=page,
                    caption=f"Daftar informasi {label.lower()} ({page.total} informasi)",
                    note=CATEGORY_NOTES[code],
                    with_opd=True,
                ),
            )
    entry_template = env.get_template("entry.html")
    for entry in entries:
        yield entry.path, entry_template.render(common, prefix="../", page="entry", entry=entry)
    yield "404.html", env.get_template("404.html").render(common, prefix=context.home, page="404")


def search_index(groups: tuple[GroupView, ...]) -> str:
    """The compact search index the browser loads on demand (`cari.json`).

    `opd` lists [code, name, page] once per OPD, `kategori` [code, label, page]; each row of
    `informasi` is [id, OPD index, category index, title, whole summary, file names] (the page of
    an entry is `informasi/<id>.html`). The script folds case, accents, dashes and punctuation
    itself, so what is stored is the text as written.
    """
    categories = list(CATEGORY_LABELS)
    rows: list[list[object]] = []
    for number, group in enumerate(groups):
        rows.extend(
            _search_row(entry, number, categories.index(entry.category)) for entry in group.entries
        )
    data = {
        "opd": [[g.code, g.name, g.path] for g in groups],
        "kategori": [[code, label, category_path(code)] for code, label in CATEGORY_LABELS.items()],
        "informasi": rows,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def _search_row(entry: EntryView, opd: int, category: int) -> list[object]:
    files = " ".join(doc.name for doc in entry.documents)
    return [entry.id, opd, category, entry.title, " ".join(entry.summary.split()), files]


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
