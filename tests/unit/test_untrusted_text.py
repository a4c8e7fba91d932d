"""Pure rules for untrusted text: invisible characters out, long HTML split safely, formulas defused."""

from __future__ import annotations

import random

import pytest

from bot.channels.html import split_html, utf16_len
from bot.channels.markup import to_plain
from bot.fakeapi.markup import parse_html
from bot.spreadsheets import clean_text
from bot.texts import escape, t
from bot.untrusted import defuse_formula, strip_invisible

INVISIBLE = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u200e\u200f\ufeff\u2060\u00ad"


def test_bidi_and_zero_width_characters_are_stripped_and_line_breaks_kept() -> None:
    typed = "".join(f"{c}{INVISIBLE[i % len(INVISIBLE)]}" for i, c in enumerate("Lapor\nan"))
    assert strip_invisible(typed) == "Lapor\nan"
    assert strip_invisible("a\r\nb\rc\td") == "a\nb\nc\td"
    assert strip_invisible("Café 😀 مرحبا") == "Café 😀 مرحبا"


def test_the_import_cleans_with_the_same_rule() -> None:
    for char in INVISIBLE:
        assert clean_text(f"Lap{char}oran") == "Laporan"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "'="])
def test_formula_starts_get_an_apostrophe(start: str) -> None:
    assert defuse_formula(f"{start}1+1") == f"'{start}1+1"


def test_ordinary_text_is_written_as_it_is() -> None:
    assert defuse_formula("Laporan = 1") == "Laporan = 1" and defuse_formula("") == ""


def test_a_sentence_is_escaped_once_however_deep_it_is_nested() -> None:
    inner = t("state-returned", note="A & *b*")
    outer = t("entry-line", number=1, title="x_y", category="Berkala", state=inner)
    assert "A & \\*b\\*" in outer and "\\\\" not in outer and "x\\_y" in outer
    assert to_plain(outer) == "#1 x_y [Berkala] — ↩️ dikembalikan: A & *b*"
    assert escape(inner) is inner


def test_a_short_text_is_one_part() -> None:
    assert split_html("<b>a</b>", 4096) == ["<b>a</b>"]


@pytest.mark.parametrize("seed", range(30))
def test_long_html_is_split_into_well_formed_parts_within_the_limit(seed: int) -> None:
    rng = random.Random(seed)
    pieces = ["<b>", "</b>", "<i>", "</i>", "&amp;", "&lt;", "😀", "\n", "\n\n", " ", "kata"]
    text, open_tags = [], []
    for _ in range(rng.randrange(500, 3000)):
        piece = rng.choice(pieces)
        if piece in ("<b>", "<i>"):
            if piece in open_tags:
                continue
            open_tags.append(piece)
        elif piece in ("</b>", "</i>"):
            if not open_tags or open_tags[-1] != piece.replace("/", ""):
                continue
            open_tags.pop()
        text.append(piece)
    text += [tag.replace("<", "</") for tag in reversed(open_tags)]
    html = "".join(text)
    limit = rng.choice([200, 1000, 4096])
    parts = split_html(html, limit)
    assert all(utf16_len(p) <= limit for p in parts)
    for part in parts:
        parse_html(part)  # raises on a cut tag or entity, as Telegram would refuse it
    shown = "".join(parse_html(p).text for p in parts)
    assert shown.replace("\n", "").replace(" ", "") == parse_html(html).text.replace(
        "\n", ""
    ).replace(" ", "")


def test_a_toast_is_cut_between_characters_as_telegram_counts_them() -> None:
    from bot.channels.html import clip_plain

    assert clip_plain("😀" * 150, 200) == "😀" * 100
    assert clip_plain("a" + "😀" * 150, 200) == "a" + "😀" * 99
    assert clip_plain("kurang", 200) == "kurang"
