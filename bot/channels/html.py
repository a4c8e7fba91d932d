"""Long chat texts in Telegram's HTML, split into messages at safe boundaries.

A message holds 4,096 characters (UTF-16 code units, as Telegram counts). A blind cut can fall
inside a tag (`<b` without its `>`) or an entity (`&am`): Telegram then refuses the whole message
and the person sees nothing. `split_html` cuts between lines where it can (else between words,
else between characters), never inside a tag or an entity, and closes the tags still open at a
cut, opening them again at the start of the next part. Handlers never cut: the adapter splits.
"""

from __future__ import annotations

import re

# A tag, an entity, or one character: the units a cut may fall between.
_TOKEN = re.compile(r"<[^<>]*>|&#?[A-Za-z0-9]+;|.", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][A-Za-z0-9-]*)")
_MAX_TAG = 64  # room for a closing tag the next token may open (`</blockquote>` and more)


def utf16_len(text: str) -> int:
    """The length of `text` as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def clip_plain(text: str, limit: int) -> str:
    """Plain `text` (a toast) cut to `limit` UTF-16 units, never inside a character."""
    if utf16_len(text) <= limit:
        return text
    kept: list[str] = []
    used = 0
    for char in text:
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            break
        kept.append(char)
    return "".join(kept)


def _closing(stack: list[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


def _opening(stack: list[tuple[str, str]]) -> str:
    return "".join(tag for _, tag in stack)


def split_html(text: str, limit: int = 4096) -> list[str]:
    """`text` as parts of at most `limit` UTF-16 units each, every part well-formed HTML if the
    text was; one part when it fits. A part ends after a line break where it can, else after a
    space, else between two characters."""
    if utf16_len(text) <= limit:
        return [text]
    parts: list[str] = []
    stack: list[tuple[str, str]] = []  # (name, opening tag) of the tags open at this point
    current: list[str] = []  # tokens of the part being filled, the reopened tags first
    size = 0
    # The last places to cut in `current`: after a line break, after a space.
    after_line: tuple[int, list[tuple[str, str]]] | None = None
    after_space: tuple[int, list[tuple[str, str]]] | None = None

    def cut(at: int, open_there: list[tuple[str, str]]) -> None:
        nonlocal current, size, after_line, after_space
        parts.append("".join(current[:at]) + _closing(open_there))
        rest = current[at:]
        current = [_opening(open_there), *rest] if open_there else rest
        size = utf16_len("".join(current))
        after_line = after_space = None

    for match in _TOKEN.finditer(text):
        token = match.group()
        width = utf16_len(token)
        if current and size + width + utf16_len(_closing(stack)) + _MAX_TAG > limit:
            place = after_line or after_space or (len(current), list(stack))
            cut(*place)
        current.append(token)
        size += width
        if token.startswith("<") and token.endswith(">"):
            found = _TAG_NAME.match(token)
            name = found.group(1).lower() if found else ""
            if token.startswith("</"):
                for i in range(len(stack) - 1, -1, -1):
                    if stack[i][0] == name:
                        del stack[i:]
                        break
            elif not token.endswith("/>"):
                stack.append((name, token))
        elif token == "\n":
            after_line = (len(current), list(stack))
        elif token == " ":
            after_space = (len(current), list(stack))
    if current:
        parts.append("".join(current))
    return [part for part in parts if part.strip()]
