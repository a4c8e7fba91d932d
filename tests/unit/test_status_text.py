"""The /status text: headed lists cut to fit one Telegram message, between lines."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from bot.models import CaseLine
from bot.services.cases import Listing
from bot.texts import t
from handlers.common import MESSAGE_CHARS, fit, fitted


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


def listing_of(
    total: int, code_length: int
) -> tuple[list[int], Callable[[int], Awaitable[Listing]]]:
    """A list of `total` cases whose lines grow with `code_length`; the loader records each
    limit it was asked for."""
    asked: list[int] = []
    due = datetime(2027, 3, 1, tzinfo=UTC)

    async def load(limit: int) -> Listing:
        asked.append(limit)
        lines = [CaseLine(case_id=n, round_id=1, round_name="R", opd_id=n,
                          opd_code=f"{n:0{code_length}d}", opd_name="O", step=1, due_at=due)
                 for n in range(min(limit, total))]  # fmt: skip
        return Listing(lines, total)

    return asked, load


def blocks_of(listing: Listing) -> list[tuple[str, list[str]]]:
    return [("R", [f"• {line.opd_code}" for line in listing.lines])]


async def test_a_list_of_long_lines_is_read_once_as_far_as_a_screenful_shows() -> None:
    asked, load = listing_of(2000, 60)
    _, text = await fitted(load, blocks_of, 120)
    assert asked == [120]
    shown = text.count("• ")
    assert shown < 120 and len(text) <= MESSAGE_CHARS + 100
    assert text.endswith(t("status-more", count=2000 - shown))


async def test_a_list_of_short_lines_reads_more_when_the_first_page_fitted_whole() -> None:
    asked, load = listing_of(2000, 4)
    _, text = await fitted(load, blocks_of, 120)
    assert asked[0] == 120 and len(asked) == 2 and asked[1] > 120
    shown = text.count("• ")
    assert shown > 120  # a screenful, not only the first page
    assert text.endswith(t("status-more", count=2000 - shown))
