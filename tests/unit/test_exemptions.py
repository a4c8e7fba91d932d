"""When an expiring exemption is asked about, reminded and escalated (`bot.exemptions`)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot import exemptions
from bot.reminders import Policy
from bot.workdays import Calendar

TZ = ZoneInfo("Asia/Pontianak")
CAL = Calendar()
POLICY = Policy()
UNTIL = date(2027, 6, 30)  # a Wednesday without holidays in the ten working days before


def at(day: int, hour: int, minute: int = 0, month: int = 6) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=TZ)


def test_the_deciders_are_asked_at_the_opening_ten_working_days_before_the_end_date() -> None:
    ask, due = exemptions.decision_window(UNTIL, CAL)
    assert ask == at(16, 7, 30)
    assert due == at(30, 16)
    assert CAL.workdays_between(ask.date(), UNTIL) == 10


def test_an_end_date_on_a_weekend_is_decided_by_the_working_day_before() -> None:
    _, due = exemptions.decision_window(date(2027, 7, 4), CAL)  # a Sunday
    assert due == at(2, 16, 30, month=7)  # Friday's closing


def test_nothing_is_due_before_the_ask_and_only_the_newest_per_audience_after() -> None:
    assert exemptions.due_now(1, UNTIL, CAL, POLICY, at(15, 12)) == []
    (ask,) = exemptions.due_now(1, UNTIL, CAL, POLICY, at(16, 8))
    assert (ask.kind, ask.audience) == ("ask", "deciders")
    (reminder,) = exemptions.due_now(1, UNTIL, CAL, POLICY, at(25, 8))
    assert (reminder.kind, reminder.level) == ("reminder", 1)  # 3 working days before


def test_an_undecided_exemption_past_its_end_is_escalated_like_an_overdue_task() -> None:
    first = {n.audience: n for n in exemptions.due_now(1, UNTIL, CAL, POLICY, at(30, 16, 1))}
    assert set(first) == {"deciders", "escalation1"}
    due = {n.audience: n for n in exemptions.due_now(1, UNTIL, CAL, POLICY, at(2, 17, month=7))}
    assert (due["deciders"].kind, due["deciders"].level) == ("overdue", 2)
    assert (due["escalation2"].kind, due["escalation2"].level) == ("escalation", 2)
    assert "escalation1" not in due  # level 2 supersedes level 1
    assert exemptions.is_overdue(UNTIL, CAL, at(30, 16, 1))
    assert not exemptions.is_overdue(UNTIL, CAL, at(30, 15, 59))


def test_keys_are_per_exemption_period_so_an_extension_is_asked_about_again() -> None:
    (ask,) = exemptions.due_now(7, UNTIL, CAL, POLICY, at(16, 8))
    assert ask.key(7, UNTIL, 3) != ask.key(7, date(2028, 3, 31), 3)
