"""The neutral markup of chat texts, and its renderings for each chat app.

The catalogue writes `*bold*`, `_italic_`, `` `code` `` and `[label](https://…)`; a backslash
makes the next character literal. Text from people and files is always put in escaped
(`escape`), so it is shown exactly as typed and never read as markup, on any channel.

A marker counts only where Markdown-like writers expect it: an opening `*` or `_` follows a
space, a line start or punctuation and precedes a non-space; a closing one follows a non-space and
precedes a space, punctuation or the end; `PPID_PUBLIC_BASE_URL` therefore stays as it is.
Unpaired markers are literal. Each adapter renders: `to_html` for Telegram, `to_whatsapp` for
WhatsApp, `to_plain` for places without formatting (toasts, captions, the terminal).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

SPECIAL = "\\*_`[]"
_ESCAPE = re.compile(r"([\\*_`\[\]])")

Style = Literal["b", "i", "code"]


@dataclass(frozen=True)
class Span:
    """A run of literal text with its styles, and the link it belongs to (if any)."""

    text: str
    styles: frozenset[Style] = frozenset()
    href: str | None = None


def escape(text: str) -> str:
    """`text` made literal in the neutral markup."""
    return _ESCAPE.sub(r"\\\1", text)


_LINK = re.compile(r"\[((?:\\.|[^\]\\])+)\]\((https?://[^\s()]+)\)")


def _can_open(text: str, i: int) -> bool:
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    return not before.isalnum() and not after.isspace()


def _can_close(text: str, i: int) -> bool:
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    return not before.isspace() and not after.isalnum()


def parse(text: str) -> list[Span]:
    """The spans of a marked-up text, in order."""
    spans: list[Span] = []
    _parse(text, frozenset(), None, spans)
    return spans


def _parse(text: str, styles: frozenset[Style], href: str | None, out: list[Span]) -> None:
    literal: list[str] = []

    def flush() -> None:
        if literal:
            out.append(Span("".join(literal), styles, href))
            literal.clear()

    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in SPECIAL:
            literal.append(text[i + 1])
            i += 2
            continue
        if char == "[" and href is None:
            m = _LINK.match(text, i)
            if m:
                flush()
                _parse(m.group(1), styles, m.group(2), out)
                i = m.end()
                continue
        if char in "*_`" and _can_open(text, i):
            end = _closing(text, i)
            if end is not None:
                flush()
                inner = text[i + 1 : end]
                style: Style = {"*": "b", "_": "i", "`": "code"}[char]  # type: ignore[assignment]
                if style == "code":
                    out.append(Span(_unescape(inner), styles | {style}, href))
                else:
                    _parse(inner, styles | {style}, href, out)
                i = end + 1
                continue
        literal.append(char)
        i += 1
    flush()


def _closing(text: str, start: int) -> int | None:
    """The index of the marker that closes the one at `start`, None when it is unpaired."""
    marker = text[start]
    i = start + 1
    while i < len(text):
        if text[i] == "\\" and marker != "`":
            i += 2
            continue
        if text[i] == "\n" and marker != "`":
            return None  # styles do not run across lines
        if text[i] == marker and i > start + 1 and _can_close(text, i):
            return i
        i += 1
    return None


def _unescape(text: str) -> str:
    return re.sub(r"\\([\\*_`\[\]])", r"\1", text)


_HTML_TAG = {"b": "b", "i": "i", "code": "code"}


@lru_cache(maxsize=1024)
def to_html(text: str) -> str:
    """Telegram's HTML: every literal escaped, styles as tags, links as anchors. Kept for the
    texts sent again and again (menus, help, the same list to a whole OPD): parsing is a
    loop over every character in Python, a tenth of a reply's CPU time in the throughput
    benchmark."""
    parts: list[str] = []
    for span in parse(text):
        chunk = html.escape(span.text, quote=False)
        for style in ("code", "i", "b"):
            if style in span.styles:
                chunk = f"<{_HTML_TAG[style]}>{chunk}</{_HTML_TAG[style]}>"
        if span.href:
            chunk = f'<a href="{html.escape(span.href)}">{chunk}</a>'
        parts.append(chunk)
    return "".join(parts)


# WhatsApp has no escape: a literal marker is followed by a word joiner (U+2060), which keeps
# it from pairing with another into bold or italic while it reads the same.
_WA_LITERAL = re.compile(r"([*_~`])")


def to_whatsapp(text: str) -> str:
    """WhatsApp's markup: `*bold*`, `_italic_`, ```` ```code``` ````, a link as "label (url)"."""
    parts: list[str] = []
    current: str | None = None
    for span in parse(text):
        if current and span.href != current:
            parts.append(f" ({current})")
        current = span.href
        if "code" in span.styles:
            parts.append(f"```{span.text}```")
            continue
        chunk = _WA_LITERAL.sub("\\1\u2060", span.text)
        if "i" in span.styles and chunk.strip():
            chunk = f"_{chunk}_"
        if "b" in span.styles and chunk.strip():
            chunk = f"*{chunk}*"
        parts.append(chunk)
    if current:
        parts.append(f" ({current})")
    return "".join(parts)


def to_plain(text: str) -> str:
    """The text without styles (a toast, a caption, a line in the terminal)."""
    return "".join(span.text for span in parse(text))
