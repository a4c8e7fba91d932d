"""Residents' personal data in a document's text: NIK, KK numbers, Indonesian mobile numbers and
e-mail addresses, found before anyone approves the document for publication.

Pure: text in, counts and places out; no I/O. The numbers themselves never leave this module: a
`Finding` holds how many distinct values of each kind were seen and where (page or sheet numbers),
so what is recorded with a document can never leak what it warns about.

A NIK is 16 digits `PP KK CC DDMMYY NNNN`: province, regency/city and district codes (none 00,
the province one of Indonesia's), the birth date (women add 40 to the day), a sequence (not
0000). A KK number has the same shape with the issue date (no +40); the two are told apart by
the words just before the number ("KK", "Kartu Keluarga"). Written with spaces in the usual
groups (`6171 0101 0101 0001`, `617101 010101 0001`) it still counts; a number written with dots
or dashes (NPWP `01.234.567.8-901.000`), one preceded by "rekening"/"NPWP", and one whose date
or codes are impossible (most account numbers) is not a NIK.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Final, Literal

Kind = Literal["nik", "kk", "phone", "email"]
Unchecked = Literal["type", "encrypted", "no_text", "unreadable", "too_long", "too_big"]
"""Why a document could not be checked: a type without text (pictures, archives, old Office
formats), an encrypted PDF, a PDF without a text layer (scanned), a damaged file, or the budget."""
KINDS: Final[tuple[Kind, ...]] = ("nik", "kk", "phone", "email")

PROVINCES: Final = frozenset(
    {11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53}
    | {61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96}
)
"""Province codes of the Kemendagri region code (Aceh 11 ... Papua Barat Daya 96)."""

_DAYS: Final = (
    31,
    29,
    31,
    30,
    31,
    30,
    31,
    31,
    30,
    31,
    30,
    31,
)  # the year is two digits: allow 29 Feb

# 16 digits, contiguous or in the groups people write by hand; never next to another digit, a dot,
# a dash or a slash (an NPWP, a date, a longer number).
_SIXTEEN: Final = re.compile(
    r"(?<![\d.\-/])(\d{16}|\d{4} \d{4} \d{4} \d{4}|\d{6} \d{6} \d{4}|\d{2} \d{2} \d{2} \d{6} \d{4})"
    r"(?!\d|[.\-/]\d| \d)"
)
_KK_BEFORE: Final = re.compile(r"(?:\bk\.?\s?k\b|kartu\s+keluarga)[^\d\n]{0,20}$", re.IGNORECASE)
_NOT_NIK_BEFORE: Final = re.compile(
    r"(?:rekening|\brek\b|\bno\.?\s*rek|npwp|virtual\s+account|\bva\b|kartu\s+kredit)[^\d\n]{0,20}$",
    re.IGNORECASE,
)
_PHONE: Final = re.compile(r"(?<![\w+])(?:\+62[ -]?|62[ -]?|0)8[1-9]\d(?:[ -]?\d){6,9}(?![\d])")
_EMAIL: Final = re.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b"
)
_LOOKBEHIND: Final = 40


def _valid_date(day: int, month: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= _DAYS[month - 1]


def _codes_valid(digits: str) -> bool:
    return (
        int(digits[0:2]) in PROVINCES
        and digits[2:4] != "00"
        and digits[4:6] != "00"
        and digits[12:16] != "0000"
    )


def is_nik(number: str) -> bool:
    """Whether 16 digits have the structure of a NIK (codes, birth date with +40 for women,
    sequence). Spaces are ignored; any other character makes it no NIK."""
    digits = number.replace(" ", "")
    if len(digits) != 16 or not digits.isdigit() or not _codes_valid(digits):
        return False
    day, month = int(digits[6:8]), int(digits[8:10])
    return _valid_date(day - 40 if day > 40 else day, month)


def is_kk(number: str) -> bool:
    """Whether 16 digits have the structure of a KK number (codes, issue date, sequence)."""
    digits = number.replace(" ", "")
    if len(digits) != 16 or not digits.isdigit() or not _codes_valid(digits):
        return False
    return _valid_date(int(digits[6:8]), int(digits[8:10]))


def classify_sixteen(number: str, before: str) -> Kind | None:
    """What a 16-digit number is, given the text just before it: "kk", "nik" or None."""
    before = before[-_LOOKBEHIND:]
    if _NOT_NIK_BEFORE.search(before):
        return None
    if _KK_BEFORE.search(before):
        return "kk" if is_kk(number) else None
    return "nik" if is_nik(number) else None


def _normal_phone(raw: str) -> str:
    digits = re.sub(r"\D", "", raw)
    return "0" + digits[2:] if digits.startswith("62") else digits


@dataclass
class Finding:
    """What the check found in one document: distinct values per kind and where (page or sheet
    numbers, 1-based), never the values."""

    counts: dict[str, int] = field(default_factory=dict)
    places: dict[str, list[int]] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return any(self.counts.values())


def _scan(text: str) -> Iterable[tuple[Kind, str]]:
    """(kind, normalised value) of each personal datum in `text`."""
    for m in _SIXTEEN.finditer(text):
        kind = classify_sixteen(m.group(1), text[max(0, m.start() - _LOOKBEHIND) : m.start()])
        if kind is not None:
            yield kind, m.group(1).replace(" ", "")
    # Blank the 16-digit runs so a phone pattern cannot match inside one.
    rest = _SIXTEEN.sub(lambda m: " " * len(m.group(0)), text)
    for m in _PHONE.finditer(rest):
        yield "phone", _normal_phone(m.group(0))
    for m in _EMAIL.finditer(rest):
        yield "email", m.group(0).lower()


def find(parts: Sequence[tuple[int | None, str]]) -> Finding:
    """Personal data in a document given as (place, text) parts: a page or sheet number (None
    when the format has none) and its text. Each distinct value counts once per kind."""
    seen: dict[str, set[str]] = {k: set() for k in KINDS}
    places: dict[str, set[int]] = {k: set() for k in KINDS}
    for place, text in parts:
        for kind, value in _scan(text):
            seen[kind].add(value)
            if place is not None:
                places[kind].add(place)
    return Finding(
        counts={k: len(v) for k, v in seen.items() if v},
        places={k: sorted(places[k]) for k in KINDS if places[k]},
    )


@dataclass
class DataCheck:
    """The outcome recorded with a document (as JSON) and shown to the uploader and reviewer.

    `unchecked` says why nothing was checked; `partial` that the budget ended the check after
    `done` of `total` pages; `textless` lists pages without text (scanned) that were skipped.
    `unit` names what the places count: "page" (PDF), "sheet" (workbooks) or None."""

    counts: dict[str, int] = field(default_factory=dict)
    places: dict[str, list[int]] = field(default_factory=dict)
    unit: str | None = None
    unchecked: Unchecked | None = None
    partial: bool = False
    done: int = 0
    total: int = 0
    textless: list[int] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return any(self.counts.values())

    def summary(self) -> str:
        """For the audit trail: counts and places, never the values."""
        if self.unchecked:
            return f"data:unchecked:{self.unchecked}"
        found = ",".join(
            f"{k}={n}" + ("@" + "/".join(map(str, self.places[k])) if self.places.get(k) else "")
            for k, n in sorted(self.counts.items())
        )
        return f"data:{found or 'none'}" + (":partial" if self.partial else "")

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> DataCheck | None:
        if not text:
            return None
        return cls(**json.loads(text))
