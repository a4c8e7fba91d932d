"""What the pages and the downloads of the DIP site see: checked, display-ready views of the register.

`register_views` turns the publishing service's `PublicEntry` records into groups per OPD, with
every text already formatted for the reader (local time, labels, sizes, shortened summaries) and
every document name made safe for the file system and the URL. It is also the last gate for
exempt information: an entry whose category is not one of the three public ones is refused,
even though the publishing service already filters them out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.documents import extension_of, sanitize_name
from bot.formatting import instant
from bot.publishing.files import safe_component
from bot.publishing.model import PublicDocument, PublicEntry

__all__ = [
    "CATEGORY_LABELS",
    "CategoryCount",
    "DocumentView",
    "EntryView",
    "GroupView",
    "category_counts",
    "entry_path",
    "format_size",
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
_SUMMARY_CHARS: Final = 280  # summary shown in the index table; the entry page has it whole


@dataclass(frozen=True)
class DocumentView:
    name: str
    sha256: str
    size: int
    size_text: str
    kind: str
    path: str  # relative to the site root, URL-encoded: berkas/<sha256>/<name>
    source: Path


@dataclass(frozen=True)
class EntryView:
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
    documents: tuple[DocumentView, ...]


@dataclass(frozen=True)
class GroupView:
    code: str
    name: str
    anchor: str
    entries: tuple[EntryView, ...]


@dataclass(frozen=True)
class CategoryCount:
    code: str
    label: str
    count: int


def entry_path(entry_id: int) -> str:
    """An entry's page, relative to the site root."""
    return f"informasi/{int(entry_id)}.html"


def register_views(entries: Sequence[PublicEntry], tz: ZoneInfo) -> tuple[GroupView, ...]:
    """The register grouped by OPD (by name), each group's entries in order of publication.

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
    groups = []
    for index, code in enumerate(order, start=1):
        anchor = f"opd-{index}"
        members = sorted(by_opd[code], key=lambda e: (e.published_at, e.number, e.id))
        views = tuple(_entry_view(entry, anchor, tz) for entry in members)
        groups.append(GroupView(code=code, name=names[code], anchor=anchor, entries=views))
    return tuple(groups)


def category_counts(entries: Sequence[EntryView]) -> list[CategoryCount]:
    """How many entries each public category has, in display order (zeros included)."""
    return [
        CategoryCount(code, label, sum(1 for e in entries if e.category == code))
        for code, label in CATEGORY_LABELS.items()
    ]


def _entry_view(entry: PublicEntry, anchor: str, tz: ZoneInfo) -> EntryView:
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
        source=doc.source,
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
