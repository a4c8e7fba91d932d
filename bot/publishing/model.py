"""What the public register is made of: plain records, built from the database by the publishing
service and handed to a site builder. Exempt information never becomes one of these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class PublicDocument:
    sha256: str
    name: str  # the sanitised original name
    mime: str
    size: int
    source: Path | str  # the file in the content-addressed store (a string: no Path object each)


@dataclass(frozen=True)
class PublicEntry:
    id: int  # stable: the entry's id; its page is informasi/<id>.html
    opd_code: str
    opd_name: str
    round_name: str
    number: int
    title: str
    summary: str
    category: str  # berkala | serta_merta | setiap_saat (never dikecualikan)
    holder: str
    responsible: str
    made: str
    forms: str
    retention: str
    published_at: datetime
    documents: tuple[PublicDocument, ...]


@dataclass(frozen=True)
class ExemptEntry:
    """A line of the internal register of exempt information (never published)."""

    opd_code: str
    opd_name: str
    round_name: str
    number: int
    title: str
    reference: str
    valid_until: str
    decide_by: str = ""  # the day the deciders are asked (10 working days before valid_until)
    status: str = ""  # berlaku | perlu keputusan | lewat, belum diputuskan
