"""The /status text: headed lists cut to fit one Telegram message, between lines."""

from __future__ import annotations

from bot.texts import t
from handlers.common import fit


def test_lists_that_fit_are_given_whole() -> None:
    blocks = [("<b>Putaran II</b>", ["• DINKES", "• DISDIK"]), ("<b>Putaran I</b>", ["• DLH"])]
    assert fit(blocks, 1000) == "<b>Putaran II</b>\n• DINKES\n• DISDIK\n<b>Putaran I</b>\n• DLH"


def test_lists_too_long_are_cut_between_lines_and_say_how_many_cases_are_left_out() -> None:
    lines = [f"• OPD{n:03}: Langkah 3, batas 12 Mar" for n in range(300)]
    text = fit([("<b>Putaran I</b>", lines)], 3800)
    shown = text.split("\n")
    assert len(text) <= 3800 + 80
    assert shown[0] == "<b>Putaran I</b>"
    assert all(line in lines for line in shown[1:-1])
    left = 300 - (len(shown) - 2)
    assert shown[-1].startswith(f"… dan {left} kasus lainnya")


def test_a_cut_at_a_heading_counts_the_cases_of_every_round_not_shown() -> None:
    blocks = [("A" * 50, ["x" * 40]), ("B" * 50, ["y" * 10, "z" * 10])]
    assert fit(blocks, 100).split("\n") == ["A" * 50, "x" * 40, t("status-more", count=2)]


def test_a_heading_is_never_left_without_its_first_line() -> None:
    blocks = [("A" * 40, ["x" * 40]), ("B" * 10, ["y" * 30])]
    assert fit(blocks, 100).split("\n") == ["A" * 40, "x" * 40, t("status-more", count=1)]
