"""Unit tests of the neutral markup: what the catalogue writes, what people type (never read as
markup), and its renderings for Telegram (HTML), WhatsApp and plain text."""

from __future__ import annotations

import pytest

from bot.channels.markup import escape, parse, to_html, to_plain, to_whatsapp


@pytest.mark.parametrize(
    ("marked", "html", "whatsapp", "plain"),
    [
        ("*Dinas* — _catatan_", "<b>Dinas</b> — <i>catatan</i>", "*Dinas* — _catatan_",
         "Dinas — catatan"),
        ("`KODE_1`", "<code>KODE_1</code>", "```KODE_1```", "KODE_1"),
        ("[web PPID](https://x.id/a?b=1&c=2)", '<a href="https://x.id/a?b=1&amp;c=2">web PPID</a>',
         "web PPID (https://x.id/a?b=1&c=2)", "web PPID"),
        ("PPID_PUBLIC_BASE_URL", "PPID_PUBLIC_BASE_URL", "PPID_\\u2060PUBLIC_\\u2060BASE_\\u2060URL",
         "PPID_PUBLIC_BASE_URL"),
        ("5 * 3 = 15", "5 * 3 = 15", "5 *\\u2060 3 = 15", "5 * 3 = 15"),
        ("#1 Laporan [Berkala] — ✅", "#1 Laporan [Berkala] — ✅", "#1 Laporan [Berkala] — ✅",
         "#1 Laporan [Berkala] — ✅"),
        ("a < b & c", "a &lt; b &amp; c", "a < b & c", "a < b & c"),
    ],
)  # fmt: skip
def test_the_catalogues_markup_renders_for_each_channel(
    marked: str, html: str, whatsapp: str, plain: str
) -> None:
    whatsapp = whatsapp.replace("\\u2060", "\u2060")
    assert (to_html(marked), to_whatsapp(marked), to_plain(marked)) == (html, whatsapp, plain)


@pytest.mark.parametrize(
    "typed",
    ["*tebal*", "_miring_", "`kode`", "[klik](https://jahat.example)", "<b>tag</b>", "\\*", "a\\",
     "**", "_", "*a _b* c_", "x" * 500 + "*"],
)  # fmt: skip
def test_text_a_person_typed_is_shown_exactly_as_typed(typed: str) -> None:
    marked = f"Judul: *{escape(typed)}*"
    assert to_plain(marked) == f"Judul: {typed}"
    assert [s.text for s in parse(marked) if s.href] == []
    assert "<a " not in to_html(marked)
    assert to_html(marked).startswith("<b>Judul: </b>") or to_html(marked).startswith("Judul")


def test_styles_do_not_run_across_lines() -> None:
    assert to_html("*awal\nakhir*") == "*awal\nakhir*"
