"""The pages of the DIP site as pure functions of the register: `site_pages` renders every HTML
page and the search index into a mapping of path (relative to the site root) to text.

Nothing here touches the disk, so a builder that writes only what changed (incremental
publishing) can compare the result with the live generation page by page. To keep pages stable
between builds, only the index carries the time of the build; an entry page carries its own
publication time, and the listings carry none.

The register is light at any size: the index lists OPDs and categories with their counts (no
entry rows), each OPD and each category has its own listing cut into pages of `PAGE_SIZE`, and
the search runs in the browser over a search index split so that a search fetches only what it
needs (see `search_files`).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Final, NamedTuple

from jinja2 import Environment

from bot.formatting import instant
from bot.publishing.views import (
    CATEGORY_LABELS,
    CATEGORY_NOTES,
    EntryView,
    GroupView,
    ListPage,
    category_counts,
    category_path,
    list_pages,
)

__all__ = [
    "SEARCH_INDEX",
    "PageContext",
    "PageSpec",
    "entry_digest",
    "entry_words",
    "fold",
    "page_specs",
    "search_files",
    "site_pages",
]

SEARCH_INDEX: Final = "cari.json"
"""The search index's directory (`cari.json`), relative to the site root."""
SEARCH_DIR: Final = "cari"
"""Its parts: `cari/b<n>.json` (what a result card shows) and `cari/t-<xy>.json` (words)."""
SEARCH_BLOCK: Final = 100
"""Entries per block of result cards."""

_NOT_WORD: Final = re.compile("[^0-9a-z\u00c0-\u1fff\u2c00-\ud7ff\uf900-\ufeff]+")
_NO_ACCENTS: Final = dict.fromkeys(range(0x300, 0x370))  # combining marks, deleted
_KEY_CHARS: Final = frozenset("0123456789abcdefghijklmnopqrstuvwxyz")
_SNIPPET: Final = 160

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


class PageSpec(NamedTuple):
    """One page of the site, not yet rendered: what a builder needs to decide whether to render
    it at all. `key` digests everything the page is made of besides the templates and the
    `PageContext` (which the builder digests once for the whole site): the same key, the same
    bytes. None: the page is rendered every time (the index, which carries the build's time, and
    the search index, which numbers every entry). A named tuple: one per entry of the register
    for every update, made in C."""

    path: str
    key: str | None
    render: Callable[[], str]


def entry_digest(entry: EntryView) -> str:
    """What an entry's page is made of, digested: every field it shows (and its documents)."""
    return hashlib.sha256(repr(entry).encode("utf-8")).hexdigest()


def site_pages(
    env: Environment, groups: tuple[GroupView, ...], context: PageContext
) -> Iterator[tuple[str, str]]:
    """Every page of the site and the search index, as (path, text), in a stable order."""
    for spec in page_specs(env, groups, context):
        yield spec.path, spec.render()


def page_specs(
    env: Environment,
    groups: tuple[GroupView, ...],
    context: PageContext,
    digests: Mapping[int, str] | None = None,
    words: Mapping[int, str] | None = None,
) -> list[PageSpec]:
    """Every page of the site and the search index, unrendered, in a stable order (the order
    of `site_pages`). `digests`: each entry's `entry_digest`, and `words`: its `entry_words`,
    when the caller has them."""
    entries = [entry for group in groups for entry in group.entries]
    if digests is None:
        digests = {entry.id: entry_digest(entry) for entry in entries}
    common = {
        "city": context.city,
        "asset_version": context.asset_version,
        "updated_iso": "",
        "updated_text": "",
    }
    search = dict(search_files(groups, words))
    specs = [PageSpec(path, None, _given(text)) for path, text in search.items()]

    def index() -> str:
        return env.get_template("index.html").render(
            common,
            prefix="",
            page="index",
            groups=groups,
            counts=category_counts(entries),
            total=len(entries),
            categories=CATEGORY_LABELS,
            updated_iso=context.updated.isoformat(),
            updated_text=instant(context.updated),
            index_version=_short_hash("".join(search.values())),
        )

    specs.append(PageSpec("index.html", None, index))
    listing = env.get_template("list.html")

    def listing_spec(page: ListPage, caption: str, note: str, with_opd: bool) -> PageSpec:
        def render() -> str:
            return listing.render(
                common,
                prefix="../",
                page="list",
                listing=page,
                caption=caption,
                note=note,
                with_opd=with_opd,
            )

        shape = (page.path, page.heading, page.first_number, page.number, page.pages, page.total)
        made_of = repr((shape, caption, note, with_opd)) + "".join(
            digests[entry.id] for entry in page.entries
        )
        return PageSpec(page.path, _short_hash(made_of, 32), render)

    for group in groups:
        for page in list_pages(group.path, group.name, group.entries):
            caption = f"Daftar Informasi Publik {group.name} ({page.total} informasi)"
            specs.append(listing_spec(page, caption, "", False))
    for code, label in CATEGORY_LABELS.items():
        members = [entry for entry in entries if entry.category == code]
        heading = _CATEGORY_HEADINGS[code]
        for page in list_pages(category_path(code), heading, members):
            caption = f"Daftar informasi {label.lower()} ({page.total} informasi)"
            specs.append(listing_spec(page, caption, CATEGORY_NOTES[code], True))
    entry_template = env.get_template("entry.html")
    for entry in entries:
        specs.append(
            PageSpec(
                entry.path,
                digests[entry.id],
                partial(entry_template.render, common, prefix="../", page="entry", entry=entry),
            )
        )
    page_404 = partial(env.get_template("404.html").render, common, prefix=context.home, page="404")
    specs.append(PageSpec("404.html", "404", page_404))
    return specs


def _given(text: str) -> Callable[[], str]:
    return lambda: text


def fold(text: str) -> str:
    """What the search compares, the same as site.js's `fold`: lower case, accents off, every run
    of characters that is not a letter or a digit (dashes, hyphens, punctuation) one space."""
    plain = unicodedata.normalize("NFD", text.lower()).translate(_NO_ACCENTS)
    return " ".join(_NOT_WORD.split(plain)).strip()


def _words(text: str) -> set[str]:
    """The words of `fold(text)`, without joining them into one string first."""
    plain = unicodedata.normalize("NFD", text.lower()).translate(_NO_ACCENTS)
    return set(_NOT_WORD.split(plain)) - {""}


def shard_key(word: str) -> str:
    """The part of the word index a folded word lives in: its first two characters, spelled
    safely for a file name (the same as site.js's `key`)."""
    return "".join(c if c in _KEY_CHARS else f"_{ord(c):x}" for c in word[:2])


def entry_words(entry: EntryView) -> str:
    """The folded words the search finds an entry by, each once, joined by spaces (no word
    holds one): what a build keeps of an entry for the next one."""
    return " ".join(sorted(_words(_searchable(entry))))


def search_files(
    groups: tuple[GroupView, ...], words: Mapping[int, str] | None = None
) -> Iterator[tuple[str, str]]:
    """The search index the browser loads on demand, split so a search fetches only what it needs.

    Entries are numbered by their position in the register (grouped by OPD, as on the index).
    * `cari.json`: the OPDs ([code, name, page, number of entries], in order: an OPD's entries
      are consecutive), the categories ([code, label, page]), one digit per entry (its
      category) and the parts of the word index that exist (`t`). Enough to filter by OPD and
      category without anything else.
    * `cari/t-<xy>.json`: every folded word starting with `xy` (title, whole summary, OPD code
      and name, category, file names) with the positions of the entries that have it, as
      differences from the previous one. A query word is looked up as a prefix of words.
    * `cari/b<n>.json`: what a result card shows for entries n*100 to n*100+99: [id, title,
      the start of the summary].

    `words`: each entry's `entry_words`, when the caller has them.
    """
    entries = [entry for group in groups for entry in group.entries]
    categories = list(CATEGORY_LABELS)
    shards: dict[str, dict[str, list[int]]] = {}
    words_of: dict[str, list[int]] = {}  # every word's positions, found once per word
    positions_of = words_of.get  # the loop runs once per word of every entry: 800,000 times
    for position, entry in enumerate(entries):
        known = words.get(entry.id) if words is not None else None
        for word in _words(_searchable(entry)) if known is None else known.split():
            found = positions_of(word)
            if found is None:
                words_of[word] = found = shards.setdefault(shard_key(word), {}).setdefault(word, [])
            found.append(position)
    meta = {
        "opd": [[g.code, g.name, g.path, len(g.entries)] for g in groups],
        "kategori": [[code, label, category_path(code)] for code, label in CATEGORY_LABELS.items()],
        "k": "".join(str(categories.index(e.category)) for e in entries),
        "blok": SEARCH_BLOCK,
        "t": sorted(shards),
    }
    yield SEARCH_INDEX, _compact(meta)
    for start in range(0, len(entries), SEARCH_BLOCK):
        rows = [_card_row(e) for e in entries[start : start + SEARCH_BLOCK]]
        yield f"{SEARCH_DIR}/b{start // SEARCH_BLOCK}.json", _compact(rows)
    for key in sorted(shards):
        shard = {word: _deltas(positions) for word, positions in sorted(shards[key].items())}
        yield f"{SEARCH_DIR}/t-{key}.json", _compact(shard)


def _searchable(entry: EntryView) -> str:
    return " ".join(
        [
            entry.title,
            entry.summary,
            entry.opd_code,
            entry.opd_name,
            entry.category,
            entry.category_label,
            *(doc.name for doc in entry.documents),
        ]
    )


def _card_row(entry: EntryView) -> list[object]:
    summary = " ".join(entry.summary.split())
    if len(summary) > _SNIPPET:
        summary = (summary[:_SNIPPET].rsplit(" ", 1)[0] or summary[:_SNIPPET]) + "…"
    return [entry.id, entry.title, summary]


def _deltas(positions: Sequence[int]) -> list[int]:
    return [b - a for a, b in zip([0, *positions], positions, strict=False)]


def _compact(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def _short_hash(text: str, length: int = 12) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]
