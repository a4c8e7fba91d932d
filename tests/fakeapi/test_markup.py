"""Telegram's HTML parse mode, command entities and keyboard rules as the fake enforces them."""

from __future__ import annotations

from typing import Any

import pytest

from bot.fakeapi.markup import (
    MarkupError,
    command_entities,
    format_text,
    image_size,
    parse_html,
    validate_reply_markup,
)


@pytest.mark.parametrize(
    ("source", "plain"),
    [
        ("plain text", "plain text"),
        ("<b>bold</b> and <i>italic</i>", "bold and italic"),
        ("a &lt; b &amp;&amp; c &gt; d &quot;q&quot;", 'a < b && c > d "q"'),
        ("&#65;&#x42;C", "ABC"),
        ("AT&T &nbsp; stays", "AT&T &nbsp; stays"),
        ('<a href="https://ppid.example/x?a=1&amp;b=2">link</a>', "link"),
        ('<span class="tg-spoiler">secret</span>', "secret"),
        ('<pre><code class="language-python">x = 1</code></pre>', "x = 1"),
        ("<blockquote expandable>long</blockquote>", "long"),
        ("  trimmed  ", "trimmed"),
    ],
)
def test_html_is_turned_into_the_plain_text_telegram_shows(source: str, plain: str) -> None:
    assert parse_html(source).text == plain


def test_entities_use_utf16_offsets_and_nest_like_telegram() -> None:
    parsed = parse_html("😀 <b>bold <i>both</i></b> <a href='https://x.id'>l</a>")
    assert parsed.text == "😀 bold both l"
    assert parsed.entities == [
        {"type": "bold", "offset": 3, "length": 9},
        {"type": "italic", "offset": 8, "length": 4},
        {"type": "text_link", "offset": 13, "length": 1, "url": "https://x.id"},
    ]


def test_a_code_block_with_a_language_is_one_pre_entity() -> None:
    parsed = parse_html('<pre><code class="language-sql">select 1</code></pre>')
    assert parsed.entities == [{"type": "pre", "offset": 0, "length": 8, "language": "sql"}]


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("line<br>next", 'Unsupported start tag "br" at byte offset 4'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("é<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<span>x</span>", 'Unsupported start tag "span" at byte offset 0'),
        ("<b", "Unclosed start tag at byte offset 0"),
    ],
)
def test_html_telegram_refuses_is_refused_with_its_error_text(source: str, error: str) -> None:
    with pytest.raises(MarkupError) as caught:
        parse_html(source)
    assert caught.value.description == f"Bad Request: can't parse entities: {error}"


def test_byte_offsets_in_errors_count_utf8_bytes() -> None:
    with pytest.raises(MarkupError, match="byte offset 6"):
        parse_html("ééx <x>")  # é is two bytes in UTF-8


def test_without_parse_mode_the_text_is_kept_verbatim() -> None:
    assert format_text("<b>not bold</b>", None).text == "<b>not bold</b>"


def test_an_unknown_parse_mode_is_a_protocol_error() -> None:
    with pytest.raises(MarkupError) as caught:
        format_text("x", "XML")
    assert caught.value.protocol


@pytest.mark.parametrize(
    ("text", "commands"),
    [
        ("/start", [(0, 6)]),
        ("/start TOKEN123", [(0, 6)]),
        ("/start@ppid_test_bot x", [(0, 20)]),
        ("see /help please", [(4, 5)]),
        ("no command here / nope", []),
        ("path/like/this", []),
    ],
)
def test_commands_in_a_persons_text_get_bot_command_entities(
    text: str, commands: list[tuple[int, int]]
) -> None:
    entities = command_entities(text)
    assert [(e["offset"], e["length"]) for e in entities] == commands
    assert all(e["type"] == "bot_command" for e in entities)


def _inline(button: dict[str, Any]) -> dict[str, Any]:
    return {"inline_keyboard": [[button]]}


@pytest.mark.parametrize("data", ["x" * 64, "é" * 32, "ap:12345:7"])
def test_callback_data_up_to_64_bytes_is_accepted(data: str) -> None:
    validate_reply_markup(_inline({"text": "A", "callback_data": data}))


@pytest.mark.parametrize("data", ["x" * 65, "é" * 33, ""])
def test_callback_data_outside_1_to_64_bytes_is_button_data_invalid(data: str) -> None:
    with pytest.raises(MarkupError, match=r"^Bad Request: BUTTON_DATA_INVALID$"):
        validate_reply_markup(_inline({"text": "A", "callback_data": data}))


def test_an_inline_button_without_an_action_is_refused() -> None:
    with pytest.raises(MarkupError, match="text buttons are unallowed in the inline keyboard"):
        validate_reply_markup(_inline({"text": "A"}))


def test_a_reply_keyboard_of_plain_strings_is_normalised_to_buttons() -> None:
    markup = validate_reply_markup({"keyboard": [["Ya", {"text": "Tidak"}]]})
    assert markup["keyboard"] == [[{"text": "Ya"}, {"text": "Tidak"}]]


def test_a_malformed_keyboard_is_a_protocol_error() -> None:
    with pytest.raises(MarkupError) as caught:
        validate_reply_markup({"inline_keyboard": {"text": "A"}})
    assert caught.value.protocol


def test_image_sizes_are_read_from_png_and_jpeg_headers(tiny_png: bytes, tiny_jpeg: bytes) -> None:
    assert image_size(tiny_png) == (3, 2)
    assert image_size(tiny_jpeg) == (5, 4)
    assert image_size(b"%PDF-1.7") is None
