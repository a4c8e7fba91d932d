"""What the pages and the downloads of the DIP site see: checked, display-ready views of the register.

`register_views` turns the publishing service's `PublicEntry` records into groups per OPD, with
every text already formatted for the reader (local time, labels, sizes, shortened summaries) and
every document name made safe for the file system and the URL. It is also the last gate for
exempt information: an entry whose category is not one of the three public ones is refused,
even though the publishing service already filters them out.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.documents import extension_of, sanitize_name
from bot.formatting import instant
from bot.publishing.files import safe_component
from bot.publishing.model import PublicDocument, PublicEntry

__all__ = [
    "CATEGORY_LABELS",
    "PAGE_SIZE",
    "CategoryCount",
    "DocumentView",
    "EntryView",
    "GroupView",
    "ListPage",
    "category_counts",
    "category_path",
    "entry_path",
    "format_size",
    "formatted",
    "list_pages",
    "register_views",
]

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

_SHA256: Final = re.compile(r"[0-9a-f]{64}")
_MAX_NAME_BYTES: Final = 200  # ext4 and friends allow 255 bytes per component
_SUMMARY_CHARS: Final = 280  # summary shown in the register tables; the entry page has it whole

PAGE_SIZE: Final = 100
"""Entries per page of an OPD's or a category's register: a page stays light on a phone even for
an OPD with thousands of entries (the following pages are `<name>.2.html`, `<name>.3.html`...)."""


@dataclass(frozen=True)
class DocumentView:
    name: str
    sha256: str
    size: int
    size_text: str
    kind: str
    path: str  # relative to the site root, URL-encoded: berkas/<sha256>/<name>
    source: str  # the file in the content-addressed store (no Path object per document)


@dataclass(frozen=True)
class EntryView:
    id: int
    opd_code: str
    opd_name: str
    opd_anchor: str = field(repr=False)  # shown on no page: out of `entry_digest`
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
    documents: tuple[DocumentView, ...]
    opd_path: str = ""  # the first page of the OPD's register, relative to the site root


@dataclass(frozen=True)
class GroupView:
    code: str
    name: str
    anchor: str
    entries: tuple[EntryView, ...]
    path: str = ""  # the first page of the OPD's register: opd/<slug>.html


@dataclass(frozen=True)
class ListPage:
    """One page of a register listing (an OPD's or a category's): at most `PAGE_SIZE` entries."""

    path: str  # relative to the site root
    heading: str
    entries: tuple[EntryView, ...]
    first_number: int  # the "No" of the first entry on this page
    number: int  # this page's number, from 1
    pages: tuple[str, ...]  # the path of every page of this listing, in order
    total: int  # entries in the whole listing

    @property
    def previous(self) -> str | None:
        return self.pages[self.number - 2] if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self.pages[self.number] if self.number < len(self.pages) else None

    @property
    def window(self) -> tuple[tuple[int, str] | None, ...]:
        """The page links a pager shows: the first, the last and two on each side of this one;
        None where pages are left out (a listing of 80 pages is not 80 links)."""
        return self.links(with_last=True)

    def links(self, *, with_last: bool) -> tuple[tuple[int, str] | None, ...]:
        """`window`, or without the last page (unless it is one of the two after this one): a
        page whose pager does not change when a page is added at the end."""
        count = len(self.pages)
        near = range(max(1, self.number - 2), min(count, self.number + 2) + 1)
        shown = sorted({1, *near, *([count] if with_last else [])})
        result: list[tuple[int, str] | None] = []
        for before, number in zip([0, *shown], shown, strict=False):
            if number - before > 1:
                result.append(None)
            result.append((number, self.pages[number - 1]))
        return tuple(result)


@dataclass(frozen=True)
class CategoryCount:
    code: str
    label: str
    count: int
    path: str = ""  # the category's register: kategori/<code>.html


def entry_path(entry_id: int) -> str:
    """An entry's page, relative to the site root."""
    return f"informasi/{int(entry_id)}.html"


def category_path(code: str) -> str:
    """A category's register, relative to the site root: kategori/serta-merta.html."""
    return f"kategori/{code.replace('_', '-')}.html"


def list_pages(base: str, heading: str, entries: Sequence[EntryView]) -> tuple[ListPage, ...]:
    """A listing cut into pages of `PAGE_SIZE`: `base` (e.g. `opd/dinkes.html`) is the first,
    then `opd/dinkes.2.html`... An empty listing still has its one (empty) page."""
    stem = base.removesuffix(".html")
    count = max(1, -(-len(entries) // PAGE_SIZE))
    paths = tuple(base if n == 1 else f"{stem}.{n}.html" for n in range(1, count + 1))
    return tuple(
        ListPage(
            path=paths[n - 1],
            heading=heading,
            entries=tuple(entries[(n - 1) * PAGE_SIZE : n * PAGE_SIZE]),
            first_number=(n - 1) * PAGE_SIZE + 1,
            number=n,
            pages=paths,
            total=len(entries),
        )
        for n in range(1, count + 1)
    )


def _slugs(codes: Sequence[str]) -> dict[str, str]:
    """A file name per OPD code: lower case ASCII letters, digits and dashes, unique.

    The page of an OPD is named after its code (`opd/dinkes.html`), so its address is stable
    from one build to the next; a code with nothing usable, or one that collides with another
    after folding, gets `opd-<n>` instead. (Following pages add `.2`, `.3`: no slug has a dot.)
    """
    taken: set[str] = set()
    result: dict[str, str] = {}
    for index, code in enumerate(codes, start=1):
        slug = re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-")[:60].strip("-")
        fallback = index
        while not slug or slug in taken:
            slug, fallback = f"opd-{fallback}", fallback + len(codes)
        taken.add(slug)
        result[code] = slug
    return result


def register_views(
    entries: Sequence[PublicEntry],
    tz: ZoneInfo,
    known: Mapping[int, Sequence[Any]] | None = None,
) -> tuple[GroupView, ...]:
    """The register grouped by OPD (by name), each group's entries in order of publication.

    `known`: what formatting made (`formatted`) of entries whose record is the very one it was
    made from (by the previous build, see `SiteBuilder`), used as it is: formatting 25,000
    entries again (times, sizes, document names) is a second of an update's time.

    Raises ValueError if an entry is exempt (`dikecualikan`) or of an unknown category, if two
    entries share an id, or if a document's hash is malformed.
    """
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
    slugs = _slugs(sorted(by_opd))  # by code: a new OPD does not rename the others' pages
    groups = []
    for index, code in enumerate(order, start=1):
        anchor = f"opd-{index}"
        path = f"opd/{slugs[code]}.html"
        members = sorted(by_opd[code], key=lambda e: (e.published_at, e.number, e.id))
        views = tuple(_view_of(entry, anchor, tz, path, known) for entry in members)
        groups.append(
            GroupView(code=code, name=names[code], anchor=anchor, entries=views, path=path)
        )
    return tuple(groups)


def category_counts(entries: Sequence[EntryView]) -> list[CategoryCount]:
    """How many entries each public category has, in display order (zeros included)."""
    return [
        CategoryCount(
            code, label, sum(1 for e in entries if e.category == code), category_path(code)
        )
        for code, label in CATEGORY_LABELS.items()
    ]


def formatted(view: EntryView) -> list[Any]:
    """What formatting made of an entry's record, beyond its fields as they are: the short
    summary, the publication time in two spellings, and each document's name, size, kind and
    address. Plain values, for a build to keep for the next (`register_views`' `known`)."""
    return [
        view.summary_short,
        view.published_iso,
        view.published_text,
        [[d.name, d.size_text, d.kind, d.path] for d in view.documents],
    ]


def _view_of(
    entry: PublicEntry,
    anchor: str,
    tz: ZoneInfo,
    opd_path: str,
    known: Mapping[int, Sequence[Any]] | None,
) -> EntryView:
    """The entry's view: made by `_entry_view`, or put together from what it made before (every
    field as `_entry_view` sets it: a test compares the two)."""
    made = known.get(entry.id) if known else None
    if made is None:
        return _entry_view(entry, anchor, tz, opd_path)
    short, iso, text, documents = made
    return _restored(
        EntryView,
        {
            "id": int(entry.id),
            "opd_code": entry.opd_code,
            "opd_name": entry.opd_name,
            "opd_anchor": anchor,
            "round_name": entry.round_name,
            "number": entry.number,
            "title": entry.title,
            "summary": entry.summary,
            "summary_short": short,
            "category": entry.category,
            "category_label": CATEGORY_LABELS[entry.category],
            "category_note": CATEGORY_NOTES[entry.category],
            "holder": entry.holder,
            "responsible": entry.responsible,
            "made": entry.made,
            "forms": entry.forms,
            "retention": entry.retention,
            "published_iso": iso,
            "published_text": text,
            "path": entry_path(entry.id),
            "documents": tuple(
                _restored(
                    DocumentView,
                    {
                        "name": name,
                        "sha256": doc.sha256.lower(),
                        "size": doc.size,
                        "size_text": size_text,
                        "kind": kind,
                        "path": path,
                        "source": os.fspath(doc.source),
                    },
                )
                for doc, (name, size_text, kind, path) in zip(
                    entry.documents, documents, strict=True
                )
            ),
            "opd_path": opd_path,
        },
    )


_Made = TypeVar("_Made", EntryView, DocumentView)


def _restored(kind: type[_Made], values: dict[str, Any]) -> _Made:
    """A view from the values of all its fields (every one: the caller names them all), as
    pickle restores a frozen dataclass (its `__dict__`, not its `__init__`, which sets each
    field through `object.__setattr__`: for 25,000 entries, a noticeable part of an update)."""
    made = object.__new__(kind)
    made.__dict__.update(values)
    return made


def _entry_view(entry: PublicEntry, anchor: str, tz: ZoneInfo, opd_path: str) -> EntryView:
    if entry.published_at.tzinfo is None:
        raise ValueError(f"entry {entry.id}: published_at must be timezone-aware")
    published = entry.published_at.astimezone(tz)
    return EntryView(
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
        path=entry_path(entry.id),
        documents=tuple(_document_view(doc) for doc in entry.documents),
        opd_path=opd_path,
    )


def _document_view(doc: PublicDocument) -> DocumentView:
    sha = doc.sha256.lower()
    if not _SHA256.fullmatch(sha):
        raise ValueError(f"malformed sha256 for document {doc.name!r}")
    name = _document_name(doc.name)
    return DocumentView(
        name=name,
        sha256=sha,
        size=doc.size,
        size_text=format_size(doc.size),
        kind=_kind(name, doc.mime),
        path=f"berkas/{sha}/{quote(name, safe='')}",
        source=os.fspath(doc.source),
    )


# --------------------------------------------------------------------------------------------
# Formatting


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


def _document_name(raw: str) -> str:
    """The name a document gets on the site: sanitised again, short enough for any file system."""
    name = _fit_bytes(sanitize_name(raw))
    if not safe_component(name):  # sanitize_name guarantees this; defence in depth
        raise ValueError(f"unsafe document name: {raw!r}")
    return name
