"""Telegram's text and keyboard rules, as the fake Bot API enforces them.

* :func:`parse_html` follows Telegram's HTML parse mode (the parser of TDLib): the supported tags only,
  the four named entities plus numeric ones, and the same error texts ("can't parse entities:
  Unsupported start tag ..."), so a bot that forgets to escape a ``<`` fails here as it would in
  production.
* :func:`command_entities` marks ``/commands`` in a person's text with ``bot_command`` entities.
* :func:`validate_reply_markup` checks inline and reply keyboards (64-byte callback data, one action per
  inline button).
* :func:`image_size` reads the size of a PNG, GIF or JPEG picture; other bytes are not a photo.

Offsets and lengths of entities are in UTF-16 code units, as in the Bot API.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from typing import Any

from bot.fakeapi.models import JSON

MAX_CALLBACK_DATA_BYTES = 64

_ENTITY_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

_COMMAND = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w@])")


class MarkupError(ValueError):
    """A text or keyboard Telegram refuses; ``description`` is Telegram's error text."""

    def __init__(self, description: str, *, protocol: bool = False) -> None:
        super().__init__(description)
        self.description = description
        self.protocol = protocol
        """True when the request was malformed (a bug in the client), not merely refused."""


@dataclass(frozen=True)
class ParsedText:
    """Plain text and its entities, as Telegram stores a formatted text."""

    text: str
    entities: list[JSON] = field(default_factory=list)


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    offset: int
    language: str | None = None


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Bot API offsets."""
    return len(text.encode("utf-16-le")) // 2


def _is_name_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char in "-_")


def _decode_entity(source: str, pos: int) -> tuple[str, int] | None:
    """Decode the HTML entity at ``source[pos]`` (an '&') like TDLib: (character, new position)."""
    end = pos + 1
    if end < len(source) and source[end] == "#":
        end += 1
        value = 0
        digits = 0
        hexadecimal = end < len(source) and source[end] in "xX"
        if hexadecimal:
            end += 1
        while end < len(source) and (
            source[end] in "0123456789abcdefABCDEF" if hexadecimal else source[end].isdigit()
        ):
            value = value * (16 if hexadecimal else 10) + int(source[end], 16)
            digits += 1
            end += 1
            if value >= 0x10FFFF:
                return None
        if digits == 0 or value == 0 or 0xD800 <= value <= 0xDFFF:
            return None
        char = chr(value)
    else:
        while end < len(source) and source[end].isascii() and source[end].isalpha():
            end += 1
        name = source[pos + 1 : end]
        if name not in _NAMED_ENTITIES:
            return None
        char = _NAMED_ENTITIES[name]
    if end < len(source) and source[end] == ";":
        end += 1
    return char, end


def _decode_entities(value: str) -> str:
    out: list[str] = []
    pos = 0
    while pos < len(value):
        if value[pos] == "&" and (decoded := _decode_entity(value, pos)) is not None:
            out.append(decoded[0])
            pos = decoded[1]
        else:
            out.append(value[pos])
            pos += 1
    return "".join(out)


def _byte_offset(source: str, pos: int) -> int:
    return len(source[:pos].encode("utf-8"))


def _fail(reason: str) -> MarkupError:
    return MarkupError(f"Bad Request: can't parse entities: {reason}")


def parse_html(source: str) -> ParsedText:
    """Parse a text in Telegram's HTML parse mode into plain text and entities.

    Raises :class:`MarkupError` with Telegram's error text for anything Telegram would refuse.
    """
    out: list[str] = []
    length = 0  # UTF-16 length of what is in `out`
    stack: list[_OpenTag] = []
    entities: list[JSON] = []
    pos = 0
    size = len(source)

    def emit(chunk: str) -> None:
        nonlocal length
        out.append(chunk)
        length += utf16_len(chunk)

    while pos < size:
        char = source[pos]
        if char == "&":
            decoded = _decode_entity(source, pos)
            if decoded is None:
                emit("&")
                pos += 1
            else:
                emit(decoded[0])
                pos = decoded[1]
            continue
        if char != "<":
            start = pos
            while pos < size and source[pos] not in "<&":
                pos += 1
            emit(source[start:pos])
            continue

        begin = pos
        pos += 1
        if pos < size and source[pos] == "/":
            pos += 1
            name_start = pos
            while pos < size and _is_name_char(source[pos]):
                pos += 1
            name = source[name_start:pos].lower()
            while pos < size and source[pos].isspace():
                pos += 1
            if pos >= size or source[pos] != ">":
                raise _fail(f"Unclosed end tag at byte offset {_byte_offset(source, begin)}")
            pos += 1
            if not stack:
                raise _fail(f"Unexpected end tag at byte offset {_byte_offset(source, begin)}")
            tag = stack.pop()
            if name != tag.name:
                raise _fail(
                    f"Unmatched end tag at byte offset {_byte_offset(source, begin)}, "
                    f'expected "</{tag.name}>", found "</{name}>"'
                )
            _close_tag(tag, stack, length, entities)
            continue

        name_start = pos
        while pos < size and _is_name_char(source[pos]):
            pos += 1
        name = source[name_start:pos].lower()
        if pos >= size:
            raise _fail(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
        if name not in _ENTITY_TYPES:
            raise _fail(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, begin)}'
            )
        attrs: dict[str, str] = {}
        while True:
            while pos < size and source[pos].isspace():
                pos += 1
            if pos >= size:
                raise _fail(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
            if source[pos] == ">":
                pos += 1
                break
            attr_start = pos
            while pos < size and _is_name_char(source[pos]):
                pos += 1
            attr = source[attr_start:pos].lower()
            if not attr:
                raise _fail(
                    f'Empty attribute name in the tag "{name}" at byte offset '
                    f"{_byte_offset(source, begin)}"
                )
            while pos < size and source[pos].isspace():
                pos += 1
            value = ""
            if pos < size and source[pos] == "=":
                pos += 1
                while pos < size and source[pos].isspace():
                    pos += 1
                if pos < size and source[pos] in "'\"":
                    quote = source[pos]
                    close = source.find(quote, pos + 1)
                    if close < 0:
                        raise _fail(
                            "Unclosed end of attribute value at byte offset "
                            f"{_byte_offset(source, pos)}"
                        )
                    value = _decode_entities(source[pos + 1 : close])
                    pos = close + 1
                else:
                    value_start = pos
                    while pos < size and not source[pos].isspace() and source[pos] != ">":
                        pos += 1
                    value = _decode_entities(source[value_start:pos])
            attrs[attr] = value
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise _fail(
                f'Unsupported start tag "span" at byte offset {_byte_offset(source, begin)}'
            )
        stack.append(_OpenTag(name=name, attrs=attrs, offset=length))

    if stack:
        raise _fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return _trim(ParsedText("".join(out), _sorted(entities)))


def _close_tag(tag: _OpenTag, stack: list[_OpenTag], end: int, entities: list[JSON]) -> None:
    if tag.name == "code" and stack and stack[-1].name == "pre":
        language = tag.attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1].language = language.removeprefix("language-")
            return
    entity_length = end - tag.offset
    if entity_length <= 0:
        return
    entity: JSON = {"type": _ENTITY_TYPES[tag.name], "offset": tag.offset, "length": entity_length}
    if tag.name == "a":
        url = tag.attrs.get("href", "")
        if not url:
            return
        if url.startswith("tg://user?id="):
            entity["type"] = "text_mention"
            entity["user"] = {"id": int(url.removeprefix("tg://user?id=") or 0)}
        else:
            entity["url"] = url
    elif tag.name == "pre" and tag.language:
        entity["language"] = tag.language
    elif tag.name == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attrs.get("emoji-id", "")
    entities.append(entity)


def _sorted(entities: list[JSON]) -> list[JSON]:
    return sorted(entities, key=lambda e: (int(e["offset"]), -int(e["length"])))


def _trim(parsed: ParsedText) -> ParsedText:
    """Strip leading and trailing whitespace like Telegram, keeping the entities in place."""
    stripped = parsed.text.strip()
    if stripped == parsed.text:
        return parsed
    lead = utf16_len(parsed.text[: len(parsed.text) - len(parsed.text.lstrip())])
    total = utf16_len(stripped)
    entities: list[JSON] = []
    for entity in parsed.entities:
        start = max(0, int(entity["offset"]) - lead)
        end = min(total, int(entity["offset"]) + int(entity["length"]) - lead)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return ParsedText(stripped, entities)


def format_text(
    source: str, parse_mode: str | None, entities: list[JSON] | None = None
) -> ParsedText:
    """Turn a text as the bot sent it into what Telegram stores, per ``parse_mode``.

    Only HTML is parsed; Markdown modes are accepted but kept verbatim (the project uses HTML).
    """
    if parse_mode is None or parse_mode == "":
        return _trim(ParsedText(source, list(entities or [])))
    if parse_mode.lower() == "html":
        return parse_html(source)
    if parse_mode.lower() in ("markdown", "markdownv2"):
        return _trim(ParsedText(source, []))
    raise MarkupError("Bad Request: unsupported parse_mode", protocol=True)


def command_entities(text: str) -> list[JSON]:
    """The ``bot_command`` entities Telegram attaches to ``/commands`` in a user's text."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m[0])}
        for m in _COMMAND.finditer(text)
    ]


def _button(value: Any, *, where: str) -> JSON:
    if isinstance(value, str):
        return {"text": value}
    if not isinstance(value, dict) or not isinstance(value.get("text"), str):
        raise MarkupError(f"Bad Request: can't parse {where} button: {value!r}", protocol=True)
    return dict(value)


def _rows(value: Any, *, where: str) -> list[list[Any]]:
    if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
        raise MarkupError(
            f"Bad Request: can't parse {where}: field must be an array of arrays", protocol=True
        )
    return value


def validate_reply_markup(markup: Any, *, inline_only: bool = False) -> JSON:
    """Check a ``reply_markup`` object like Telegram and return it normalised.

    Raises :class:`MarkupError` with Telegram's text (``BUTTON_DATA_INVALID`` for callback data
    outside 1-64 bytes, and so on).
    """
    if not isinstance(markup, dict):
        raise MarkupError(
            "Bad Request: can't parse reply keyboard markup JSON object", protocol=True
        )
    if "inline_keyboard" in markup:
        rows: list[list[JSON]] = []
        for row in _rows(markup["inline_keyboard"], where="inline keyboard"):
            buttons: list[JSON] = []
            for raw in row:
                button = _button(raw, where="inline keyboard")
                actions = [key for key in _INLINE_BUTTON_ACTIONS if key in button]
                if not actions:
                    raise MarkupError(
                        "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
                if len(actions) > 1:
                    raise MarkupError(
                        "Bad Request: can't parse inline keyboard button: exactly one of the "
                        f"optional fields must be used, got {actions}",
                        protocol=True,
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    if not isinstance(data, str) or not (
                        1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                    ):
                        raise MarkupError("Bad Request: BUTTON_DATA_INVALID")
                if "url" in button:
                    url = button["url"]
                    if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url):
                        raise MarkupError("Bad Request: BUTTON_URL_INVALID")
                buttons.append(button)
            rows.append(buttons)
        return {**markup, "inline_keyboard": rows}
    if inline_only:
        raise MarkupError("Bad Request: inline keyboard expected", protocol=True)
    if "keyboard" in markup:
        keyboard = [
            [_button(raw, where="keyboard") for raw in row]
            for row in _rows(markup["keyboard"], where="keyboard")
        ]
        return {**markup, "keyboard": keyboard}
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return dict(markup)
    raise MarkupError("Bad Request: can't parse reply keyboard markup JSON object", protocol=True)


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG picture, or None when ``data`` is none of them."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        pos = 2
        while pos + 9 < len(data):
            if data[pos] != 0xFF:
                return None
            marker = data[pos + 1]
            segment = int.from_bytes(data[pos + 2 : pos + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
                return int(width), int(height)
            pos += 2 + segment
        return None
    return None
