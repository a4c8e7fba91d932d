"""The document policy: which files the bot accepts, how names are cleaned, how content is checked.

OPDs send documents (PDF, office files, spreadsheets, pictures, ZIP archives) through a chat.
Everything a sender declares is untrusted: the file name may carry a path, control characters or
HTML, the MIME type and size are the client's word, and a program can be renamed `laporan.pdf`.
This module decides, without any I/O:

* `check_declared` / `check`: before downloading, from the declared name, MIME type and size;
* `sanitize_name`: the name the bot keeps and shows (safe in HTML, on any file system);
* `sniff_matches`: after downloading, whether the first bytes really are of the claimed type.

The store on disk (`storage.files`) and the Telegram adapter (`bot.channels.telegram.files`)
do the I/O and call these functions.
"""

from __future__ import annotations

import codecs
import posixpath
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Final, Literal

__all__ = [
    "ACCEPTED_EXTENSIONS",
    "MAX_NAME_LENGTH",
    "SNIFF_BYTES",
    "AcceptedFile",
    "FileRejected",
    "Reason",
    "check",
    "check_declared",
    "extension_of",
    "mime_for",
    "photo_name",
    "resolve_extension",
    "sanitize_name",
    "sniff_matches",
]

Reason = Literal["empty", "too_big", "type"]
"""Why a declared file is refused: no content, larger than allowed, or a type not accepted."""

MAX_NAME_LENGTH: Final = 120
"""Longest kept file name, in characters, extension included."""

SNIFF_BYTES: Final = 8 * 1024
"""How many leading bytes `sniff_matches` wants (or the whole file, when it is smaller)."""

_MIME_BY_EXT: Final = MappingProxyType(
    {
        "pdf": "application/pdf",
        "doc": "application/msword",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls": "application/vnd.ms-excel",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "odt": "application/vnd.oasis.opendocument.text",
        "ods": "application/vnd.oasis.opendocument.spreadsheet",
        "csv": "text/csv",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "png": "image/png",
        "zip": "application/zip",
    }
)

ACCEPTED_EXTENSIONS: Final = frozenset(_MIME_BY_EXT)
"""Lower-case extensions, without the dot, of the files the bot accepts."""

# Declared MIME type -> extension, used only for a file sent without an extension.
_EXT_BY_MIME: Final = MappingProxyType(
    {
        **{mime: ext for ext, mime in _MIME_BY_EXT.items() if ext != "jpeg"},
        "application/x-pdf": "pdf",
        "application/csv": "csv",
        "text/comma-separated-values": "csv",
        "image/jpg": "jpg",
        "image/pjpeg": "jpg",
        "application/x-zip-compressed": "zip",
        "application/x-zip": "zip",
    }
)

# Characters never kept in a name: HTML-significant ones and those illegal on Windows or Unix
# file systems (the path separators included). Control characters are handled by category.
_FORBIDDEN_CHARS: Final = frozenset("<>:\"/\\|?*'&")

# Device names Windows reserves whatever the extension ("NUL.pdf" cannot be created).
_WINDOWS_RESERVED: Final = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)

_OLE2: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_LOCAL: Final = b"PK\x03\x04"
_ZIP_EMPTY: Final = b"PK\x05\x06"
_MAGIC: Final = MappingProxyType(
    {
        "pdf": (b"%PDF-",),
        "doc": (_OLE2,),
        "xls": (_OLE2,),
        "docx": (_ZIP_LOCAL,),
        "xlsx": (_ZIP_LOCAL,),
        "odt": (_ZIP_LOCAL,),
        "ods": (_ZIP_LOCAL,),
        "zip": (_ZIP_LOCAL, _ZIP_EMPTY),
        "jpg": (b"\xff\xd8\xff",),
        "jpeg": (b"\xff\xd8\xff",),
        "png": (b"\x89PNG\r\n\x1a\n",),
    }
)


class FileRejected(ValueError):
    """A declared file the bot does not accept; `reason` says why."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason: Reason = reason


@dataclass(frozen=True, slots=True)
class AcceptedFile:
    """A declared file that passed `check`: clean name, accepted extension, canonical MIME type.

    `size` is the declared size (None when the client did not say); the store enforces the limit
    again while streaming.
    """

    name: str
    ext: str
    mime: str
    size: int | None


def _base_name(name: str) -> str:
    """The last path component, whichever separator the sender's system used."""
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def _keep(char: str) -> bool:
    # Category C*: controls (NUL included), format characters such as the bidirectional
    # overrides U+202E/U+202D and zero-width characters, surrogates, private use, unassigned.
    return char not in _FORBIDDEN_CHARS and not unicodedata.category(char).startswith("C")


_ASCII_CLEAN: Final = {
    code: (" " if chr(code).isspace() else None) for code in range(128) if not _keep(chr(code))
}
"""`sanitize_name`'s filter of characters for ASCII: removed, or a space for whitespace."""


def _split_ext(name: str) -> tuple[str, str]:
    stem, dot_ext = posixpath.splitext(name)
    return stem, dot_ext[1:]


def sanitize_name(name: str | None, fallback: str = "dokumen") -> str:
    """A file name safe to keep, show in HTML and write on any file system; never empty.

    Keeps only the base name, drops control, format, HTML-significant and file-system-illegal
    characters, normalises Unicode to NFC, collapses whitespace, removes leading dots and
    trailing dots or spaces, and caps the length at `MAX_NAME_LENGTH` characters while keeping
    the extension. A name without a stem (`.pdf`) becomes `<fallback>.pdf`.
    """
    fallback = fallback or "dokumen"
    if not name:
        return fallback
    text = unicodedata.normalize("NFC", _base_name(name))
    if text.isascii():  # most names: the same rule as a table, at C speed (a register of 25,000)
        text = text.translate(_ASCII_CLEAN)
    else:
        text = "".join(char if _keep(char) else (" " if char.isspace() else "") for char in text)
    text = " ".join(text.split())
    stripped = text.lstrip(". ")
    if stripped != text and "." not in stripped and stripped.lower() in ACCEPTED_EXTENSIONS:
        # ".pdf" is a PDF without a name, not a hidden file called "pdf".
        stripped = f"{fallback}.{stripped}"
    text = stripped.rstrip(". ")
    if not text:
        return fallback
    stem, ext = _split_ext(text)
    if stem.lower() in _WINDOWS_RESERVED or text.lower() in _WINDOWS_RESERVED:
        text = f"_{text}"
        stem, ext = _split_ext(text)
    if len(text) > MAX_NAME_LENGTH:
        if ext and len(ext) < MAX_NAME_LENGTH // 2:
            keep = MAX_NAME_LENGTH - len(ext) - 1
            stem = stem[:keep].rstrip(". ") or fallback[:keep]
            text = f"{stem}.{ext}"
        else:
            text = text[:MAX_NAME_LENGTH].rstrip(". ") or fallback
    return text


def photo_name(
    entry_number: int | None, day: date, taken: Collection[str], ext: str = "jpg"
) -> str:
    """The name of a photo sent from the chat, which carries none of its own: from the entry
    (or `draf`) and the day, numbered so that no two documents of the entry share it, e.g.
    `foto-3-20270301-2.jpg`. Every photo used to be `foto.jpg`, indistinguishable on the site.
    `ext` is the photo's accepted type (WhatsApp also sends PNG)."""
    stem = f"foto-{'draf' if entry_number is None else entry_number}-{day:%Y%m%d}"
    n = 1
    while any(name.rsplit(".", 1)[0] == f"{stem}-{n}" for name in taken):  # numbered per day
        n += 1
    return f"{stem}-{n}.{ext}"


def extension_of(name: str | None) -> str:
    """The lower-case extension of a name, without the dot; "" when it has none."""
    if not name:
        return ""
    return _split_ext(_base_name(name).strip())[1].strip().lower()


def mime_for(ext: str) -> str:
    """The canonical MIME type of an extension; `application/octet-stream` for an unknown one."""
    return _MIME_BY_EXT.get(ext.lower().lstrip("."), "application/octet-stream")


def _normalise_mime(mime: str | None) -> str:
    return (mime or "").split(";", 1)[0].strip().lower()


def resolve_extension(name: str | None, mime: str | None) -> str | None:
    """The accepted extension of a declared file, or None when its type is not accepted.

    The extension of the name decides; only a name without one falls back to the declared MIME
    type (so `laporan.exe` declared as `application/pdf` stays refused).
    """
    ext = extension_of(name)
    if ext:
        return ext if ext in ACCEPTED_EXTENSIONS else None
    return _EXT_BY_MIME.get(_normalise_mime(mime))


def check_declared(
    name: str | None, mime: str | None, size: int | None, max_bytes: int
) -> Reason | None:
    """None if the declared file is acceptable, else why not.

    The type is checked first (a smaller file of a refused type would still be refused), then
    emptiness, then the size limit. An unknown size (None) passes: the store enforces the limit
    again while streaming.
    """
    if resolve_extension(name, mime) is None:
        return "type"
    if size is not None and size <= 0:
        return "empty"
    if size is not None and size > max_bytes:
        return "too_big"
    return None


def check(name: str | None, mime: str | None, size: int | None, max_bytes: int) -> AcceptedFile:
    """The accepted form of a declared file; raises `FileRejected` with the reason otherwise.

    The kept name is sanitised and gains the extension inferred from the MIME type when it had
    none; the MIME type is the canonical one of the extension, not the client's.
    """
    reason = check_declared(name, mime, size, max_bytes)
    if reason is not None:
        raise FileRejected(reason)
    ext = resolve_extension(name, mime)
    assert ext is not None  # check_declared refused it otherwise
    clean = sanitize_name(name)
    if extension_of(clean) != ext:
        clean = sanitize_name(f"{clean}.{ext}")
    return AcceptedFile(name=clean, ext=ext, mime=mime_for(ext), size=size)


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    # The head may end inside a multi-byte UTF-8 sequence: decode incrementally, not final.
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        pass
    else:
        return True
    try:
        head.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def sniff_matches(ext: str, head: bytes) -> bool:
    """Whether the leading bytes of a file really are of the type its extension claims.

    `head` is at least the first `SNIFF_BYTES` bytes, or the whole file when it is smaller.
    Office Open XML and OpenDocument files are ZIP archives, so at this level a ZIP named
    `.docx` passes; a program renamed `.pdf` does not. An empty file never matches.
    """
    ext = ext.lower().lstrip(".")
    if not head:
        return False
    if ext == "csv":
        return _looks_like_text(head)
    magics = _MAGIC.get(ext)
    if magics is None:
        return False
    return any(head.startswith(magic) for magic in magics)
