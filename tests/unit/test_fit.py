"""Unit tests of the fitter: any screen shaped to Telegram's and WhatsApp's limits, the bad
inputs of the channel-port issue among them (60 actions, 20,000 characters, labels that collide
once shortened, markup typed by a person)."""

from __future__ import annotations

import pytest

from bot.channels.base import Button, Choice, Picker, Reply
from bot.channels.fit import fit, markup, problems
from bot.channels.port import TELEGRAM, WHATSAPP, Capabilities
from bot.texts import t
from handlers.base import numbers_of

BOTH = pytest.mark.parametrize("caps", [TELEGRAM, WHATSAPP], ids=["telegram", "whatsapp"])


def actions(n: int, label: str = "Dinas Nomor {n:02d}") -> list[list[Button]]:
    return [[Button(label.format(n=i), f"1:rt:{i}")] for i in range(n)]


@BOTH
def test_a_picker_of_sixty_opds_fits_and_keeps_every_action(caps: Capabilities) -> None:
    reply = Reply(text=t("round-pick-opds", name="DIP 2027", count=0), buttons=actions(60))
    messages = fit(reply, caps)
    assert all(problems(m, caps) == [] for m in messages)
    shown = [b.data for m in messages for b in m.actions]
    assert shown == [f"1:rt:{i}" for i in range(60)]
    if caps is WHATSAPP:
        assert len(messages) == 6 and all(m.as_list for m in messages)
        assert messages[1].text == "Pilihan lainnya (2/6):"


@BOTH
def test_a_text_of_twenty_thousand_characters_is_split_at_line_ends(caps: Capabilities) -> None:
    line = "Baris ringkasan *penting* & panjang " * 3
    reply = Reply(text="\n".join(line for _ in range(200)), buttons=actions(2))
    messages = fit(reply, caps)
    assert len(reply.text) > 20_000 and len(messages) > 1
    assert all(problems(m, caps) == [] for m in messages)
    # Every cut fell at a line end: no part starts inside a line.
    assert all(m.text.startswith("Baris") for m in messages)
    assert messages[-1].actions and not any(m.actions for m in messages[:-1])


def test_labels_that_collide_once_shortened_stay_unique_and_readable() -> None:
    reply = Reply(
        text="Pilih OPD",
        buttons=[[Button("Dinas Pekerjaan Umum dan Penataan Ruang", "1:rt:1")],
                 [Button("Dinas Pekerjaan Umum dan Perumahan", "1:rt:2")],
                 [Button("Dinas Pendidikan", "1:rt:3")]],
    )  # fmt: skip
    [message] = fit(reply, WHATSAPP)
    labels = [b.label for b in message.actions]
    assert problems(message, WHATSAPP) == []
    assert labels[2] == "Dinas Pendidikan"
    assert labels[0] != labels[1] and all(x.startswith("Dinas Pekerjaan") for x in labels[:2])


def test_on_telegram_a_screen_keeps_its_rows_labels_and_edit() -> None:
    buttons = [[Button("#1", "1:ee:1"), Button("#2", "1:ee:2")], [Button("🏠 Menu", "1:mn")]]
    [message] = fit(Reply(text="*Berkas*", buttons=buttons, supersedes=True), TELEGRAM)
    assert [[b.label for b in row] for row in message.rows] == [["#1", "#2"], ["🏠 Menu"]]
    assert message.replaces and message.text == "<b>Berkas</b>"


def test_on_whatsapp_a_superseding_screen_is_sent_anew() -> None:
    [message] = fit(Reply(text="Berkas", buttons=actions(2), supersedes=True), WHATSAPP)
    assert not message.replaces and problems(message, WHATSAPP) == []


def test_markup_typed_by_a_person_is_shown_as_typed() -> None:
    typed = "*tebal* _miring_ <b>tag</b> `kode` & ~coret~"
    text = t("entry-line", number=1, title=typed, category="Berkala", state="")
    assert "&lt;b&gt;tag&lt;/b&gt;" in markup(text, TELEGRAM)  # escaped, shown as typed
    assert "<b>" not in markup(text, TELEGRAM).replace("&lt;b&gt;", "")
    whatsapp = markup(text, WHATSAPP)
    assert "*\u2060tebal*\u2060" in whatsapp and "<b>tag</b>" in whatsapp


def test_the_catalogues_markup_becomes_each_channels() -> None:
    text = "*Dinas* — _catatan_ `KODE` [web](https://x.id/a?b=1&c=2)"
    assert markup(text, WHATSAPP) == "*Dinas* — _catatan_ ```KODE``` web (https://x.id/a?b=1&c=2)"
    assert markup(text, TELEGRAM) == (
        '<b>Dinas</b> — <i>catatan</i> <code>KODE</code> <a href="https://x.id/a?b=1&amp;c=2">web</a>'
    )


def test_a_message_over_the_limits_is_named_by_problems() -> None:
    from bot.channels.fit import Fitted

    wide = Fitted("x" * 2000, ((Button("a" * 30, "1:mn"), Button("a" * 30, "1:mn")),))
    found = problems(wide, WHATSAPP)
    assert any("text of 2000" in f for f in found)
    assert any("label" in f for f in found) and any("repeat" in f for f in found)


def _picker(count: int, chosen: set[int]) -> Reply:
    choices = [Choice(f"OPD{n:02d}", f"1:rt:{n}", n in chosen) for n in range(1, count + 1)]
    actions = [[Button("Pilih semua", "1:ra"), Button("✅ Buat putaran", "1:rc")],
               [Button("✖️ Batal", "1:cx")]]  # fmt: skip
    return Reply("Pilih OPD", actions, picker=Picker(choices, columns=2))


def test_on_telegram_a_picker_is_toggle_buttons_two_to_a_row_above_the_actions() -> None:
    (message,) = fit(_picker(3, {2}), TELEGRAM)
    assert [[b.label for b in row] for row in message.rows] == [
        ["⬜ OPD01", "☑️ OPD02"], ["⬜ OPD03"], ["Pilih semua", "✅ Buat putaran"], ["✖️ Batal"]
    ]  # fmt: skip
    assert message.text == "Pilih OPD"


def test_on_whatsapp_a_picker_is_numbered_to_answer_with_numbers_and_keeps_three_actions() -> None:
    messages = fit(_picker(60, {2}), WHATSAPP)
    text = "\n".join(m.text for m in messages)
    assert "1. ⬜ OPD01" in text and "2. ☑️ OPD02" in text and "60. ⬜ OPD60" in text
    assert "Balas dengan nomor" in text
    assert [b.label for b in messages[-1].actions] == ["Pilih semua", "✅ Buat putaran", "✖️ Batal"]
    assert not messages[-1].as_list
    assert all(problems(m, WHATSAPP) == [] for m in messages)


def test_a_choice_typed_by_a_person_is_not_read_as_markup_on_whatsapp() -> None:
    reply = Reply("Pilih entri", picker=Picker([Choice("#1 *Laporan* _2026_", "1:t4:1:1")]))
    (message,) = fit(reply, WHATSAPP)
    # The markers stay literal: each is followed by a word joiner WhatsApp does not format.
    assert "*\u2060Laporan*\u2060 _\u20602026_\u2060" in message.text


@pytest.mark.parametrize(
    ("typed", "count", "numbers"),
    [
        ("1", 3, [1]),
        ("1 3", 3, [1, 3]),
        ("1, 3", 3, [1, 3]),
        ("2-4", 5, [2, 3, 4]),
        ("3 1-3", 5, [3, 1, 2]),
        (" 2 ", 2, [2]),
        ("0", 3, None),
        ("4", 3, None),
        ("3-1", 5, None),
        ("1-", 5, None),
        ("satu", 5, None),
        ("semua", 5, None),
        ("", 5, None),
        ("1 x", 5, None),
        ("-2", 5, None),
    ],
)
def test_the_numbers_typed_for_a_picker_are_read_or_refused(
    typed: str, count: int, numbers: list[int] | None
) -> None:
    assert numbers_of(typed, count) == numbers
