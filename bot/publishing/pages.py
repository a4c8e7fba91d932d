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
from itertools import accumulate
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
    "SearchShards",
    "block_text",
    "changed_shards",
    "entry_digest",
    "entry_words",
    "fold",
    "page_specs",
    "search_blocks",
    "search_files",
    "search_meta",
    "search_shards",
    "search_words",
    "shard_text",
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
    `cari.json`, which lists every entry). A named tuple: one per entry of the register
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
    search: SearchShards | None = None,
) -> list[PageSpec]:
    """Every page of the site and the search index, unrendered, in a stable order (the order
    of `site_pages`). `digests`: each entry's `entry_digest`, and `words`: its `entry_words`,
    when the caller has them; `search`: the word index's parts, when the builder made them
    (from the live generation's, see `changed_shards`)."""
    entries = [entry for group in groups for entry in group.entries]
    if digests is None:
        digests = {entry.id: entry_digest(entry) for entry in entries}
    common = {
        "city": context.city,
        "asset_version": context.asset_version,
        "updated_iso": "",
        "updated_text": "",
    }
    if search is None:
        search = search_shards(search_words(entries, words))
    meta = search_meta(groups, list(search.keys))
    specs = [PageSpec(SEARCH_INDEX, None, _given(meta))]
    versions = [meta]
    for number, members in sorted(search_blocks(entries).items()):
        key = _short_hash("".join(digests[entry.id] for entry in members), 32)
        specs.append(PageSpec(f"{SEARCH_DIR}/b{number}.json", key, partial(block_text, members)))
        versions.append(key)
    for part in sorted(search.keys):
        key = search.keys[part]
        specs.append(
            PageSpec(f"{SEARCH_DIR}/t-{part}.json", key, partial(_text_of, search.texts, part))
        )
        versions.append(key)

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
            index_version=_short_hash("".join(versions)),
        )

    specs.append(PageSpec("index.html", None, index))
    listing = env.get_template("list.html")

    def listing_spec(
        page: ListPage, caption: str, note: str, with_opd: bool, with_total: bool
    ) -> PageSpec:
        def render() -> str:
            return listing.render(
                common,
                prefix="../",
                page="list",
                listing=page,
                caption=caption,
                note=note,
                with_opd=with_opd,
                with_total=with_total,
            )

        # What the page shows of its listing: a page without the total (a category's after
        # the first: no count, no link to the last page) stays the same while entries are
        # added on the pages after it.
        shape = (page.path, page.heading, page.first_number, page.number, page.previous)
        whole = (page.total, page.pages) if with_total else (page.next,)
        made_of = repr((shape, whole, page.links(with_last=with_total), caption, note)) + (
            repr(with_opd) + "".join(digests[entry.id] for entry in page.entries)
        )
        return PageSpec(page.path, _short_hash(made_of, 32), render)

    for group in groups:
        for page in list_pages(group.path, group.name, group.entries):
            caption = f"Daftar Informasi Publik {group.name} ({page.total} informasi)"
            specs.append(listing_spec(page, caption, "", False, True))
    for code, label in CATEGORY_LABELS.items():
        # In order of publication, the newest last: a publication adds to a category's last
        # pages and leaves the others as they were (in the register's order, grouped by OPD,
        # every page after the publishing OPD's entries would move).
        members = sorted(
            (entry for entry in entries if entry.category == code), key=_publication_order
        )
        heading = _CATEGORY_HEADINGS[code]
        for page in list_pages(category_path(code), heading, members):
            first = page.number == 1
            caption = f"Daftar informasi {label.lower()}" + (
                f" ({page.total} informasi)" if first else ""
            )
            specs.append(listing_spec(page, caption, CATEGORY_NOTES[code], True, first))
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


def _publication_order(entry: EntryView) -> tuple[datetime, int]:
    return (datetime.fromisoformat(entry.published_iso), entry.id)


def _text_of(texts: Mapping[str, str], part: str) -> str:
    return texts[part]


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


class SearchShards(NamedTuple):
    """The word index's parts (`cari/t-<key>.json`) as a builder hands them to `page_specs`:
    each part's content key (the same key, the same bytes), and the text of those it has made
    (a part left out of `texts` is the one the builder keeps from the live generation)."""

    keys: Mapping[str, str]
    texts: Mapping[str, str]


def search_words(
    entries: Sequence[EntryView], words: Mapping[int, str] | None = None
) -> dict[str, dict[str, list[int]]]:
    """The word index of the whole register: by part (`shard_key`), every word with the ids of
    the entries that have it, ascending. `words`: each entry's `entry_words`, when known."""
    shards: dict[str, dict[str, list[int]]] = {}
    ids_of: dict[str, list[int]] = {}  # every word's ids, found once per word
    found_for = ids_of.get  # the loop runs once per word of every entry: 800,000 times
    for entry in sorted(entries, key=_entry_id):
        known = words.get(entry.id) if words is not None else None
        entry_id = entry.id
        for word in _words(_searchable(entry)) if known is None else known.split():
            found = found_for(word)
            if found is None:
                ids_of[word] = found = shards.setdefault(shard_key(word), {}).setdefault(word, [])
            found.append(entry_id)
    return shards


def shard_text(words: Mapping[str, Sequence[int]]) -> str:
    """A part of the word index: each word (in order) with the differences between the
    ascending ids of the entries that have it."""
    return _compact({word: _deltas(words[word]) for word in sorted(words)})


def search_shards(shards: Mapping[str, Mapping[str, Sequence[int]]]) -> SearchShards:
    """Every part of a word index made whole (`search_words`), keyed by its text."""
    texts = {key: shard_text(words) for key, words in shards.items()}
    return SearchShards({key: _short_hash(text, 32) for key, text in texts.items()}, texts)


def changed_shards(
    keys: Mapping[str, str], read: Callable[[str], str], changes: Mapping[int, tuple[str, str]]
) -> SearchShards:
    """The word index after `changes`, made from the previous one: its parts' `keys` and their
    texts (`read`, asked only for the parts the changes touch and, later, for an untouched part
    a builder cannot take as it is). `changes`: each changed entry id's words before and after
    (`entry_words`; empty for an entry added or withdrawn). Work in proportion to the parts
    the changes touch, not to the register: the index is kept by id, so an unchanged entry
    stays where it was.

    Raises ValueError when a previous part is not one `shard_text` wrote (OSError when it
    cannot be read)."""
    edits: dict[str, dict[str, tuple[set[int], set[int]]]] = {}  # part -> word -> (out, in)
    for entry_id, (before, after) in changes.items():
        old, new = set(before.split()), set(after.split())
        for word in old - new:
            edits.setdefault(shard_key(word), {}).setdefault(word, (set(), set()))[0].add(entry_id)
        for word in new - old:
            edits.setdefault(shard_key(word), {}).setdefault(word, (set(), set()))[1].add(entry_id)
    new_keys = dict(keys)
    texts = _Parts(read)
    for part, words in edits.items():
        shard = json.loads(read(part)) if part in keys else {}
        if not isinstance(shard, dict):
            raise ValueError(f"part {part} of the search index is not a mapping")
        ids: dict[str, list[int]] = {}
        for word, deltas in shard.items():
            if word in words:
                taken_out, added = words[word]
                kept = [i for i in accumulate(deltas) if i not in taken_out]
                ids[word] = sorted({*kept, *added}) if added else kept
            else:
                ids[word] = list(accumulate(deltas))
        for word, (_, added) in words.items():
            if word not in shard and added:
                ids[word] = sorted(added)
        left = {word: found for word, found in ids.items() if found}
        if left:
            texts[part] = text = shard_text(left)
            new_keys[part] = _short_hash(text, 32)
        else:
            new_keys.pop(part, None)
    return SearchShards(new_keys, texts)


class _Parts(dict[str, str]):
    """The texts of the word index's parts: those made, and any other read when asked for."""

    def __init__(self, read: Callable[[str], str]) -> None:
        super().__init__()
        self._read = read

    def __missing__(self, part: str) -> str:
        return self._read(part)


def search_meta(groups: tuple[GroupView, ...], shards: Sequence[str]) -> str:
    """`cari.json`: the OPDs, the categories, each entry's category and id in register order,
    and the parts of the word index that exist (`shards`)."""
    entries = [entry for group in groups for entry in group.entries]
    categories = {code: str(n) for n, code in enumerate(CATEGORY_LABELS)}
    meta = {
        "opd": [[g.code, g.name, g.path, len(g.entries)] for g in groups],
        "kategori": [[code, label, category_path(code)] for code, label in CATEGORY_LABELS.items()],
        "k": "".join(categories[e.category] for e in entries),
        "i": _deltas([e.id for e in entries]),
        "blok": SEARCH_BLOCK,
        "t": sorted(shards),
    }
    return _compact(meta)


def search_blocks(entries: Sequence[EntryView]) -> dict[int, list[EntryView]]:
    """The entries whose cards each block of cards holds (`cari/b<n>.json`: ids n*100 to
    n*100+99), ascending by id."""
    blocks: dict[int, list[EntryView]] = {}
    for entry in sorted(entries, key=_entry_id):
        blocks.setdefault(entry.id // SEARCH_BLOCK, []).append(entry)
    return blocks


def block_text(entries: Sequence[EntryView]) -> str:
    """A block of result cards: [id, title, the start of the summary] of each entry."""
    return _compact([_card_row(e) for e in entries])


def search_files(
    groups: tuple[GroupView, ...], words: Mapping[int, str] | None = None
) -> Iterator[tuple[str, str]]:
    """The search index the browser loads on demand, split so a search fetches only what it needs.

    Kept by entry id, so that a publication changes only the parts its entries are in (the
    meta aside), not every part after the place its OPD has in the register:
    * `cari.json`: the OPDs ([code, name, page, number of entries], in order: an OPD's entries
      are consecutive), the categories ([code, label, page]), one digit per entry (its
      category) and the entries' ids (`i`, as differences from the previous one), both in
      register order, and the parts of the word index that exist (`t`). Enough to filter by
      OPD and category without anything else.
    * `cari/t-<xy>.json`: every folded word starting with `xy` (title, whole summary, OPD code
      and name, category, file names) with the ids of the entries that have it, ascending, as
      differences from the previous one. A query word is looked up as a prefix of words.
    * `cari/b<n>.json`: what a result card shows for the entries with ids n*100 to n*100+99,
      ascending: [id, title, the start of the summary].

    `words`: each entry's `entry_words`, when the caller has them.
    """
    entries = [entry for group in groups for entry in group.entries]
    shards = search_shards(search_words(entries, words))
    yield SEARCH_INDEX, search_meta(groups, list(shards.keys))
    for number, members in sorted(search_blocks(entries).items()):
        yield f"{SEARCH_DIR}/b{number}.json", block_text(members)
    for key in sorted(shards.keys):
        yield f"{SEARCH_DIR}/t-{key}.json", shards.texts[key]


def _entry_id(entry: EntryView) -> int:
    return entry.id


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
