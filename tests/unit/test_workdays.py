"""Unit tests of bot.workdays: working days, office hours and the SOP deadline rule."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.workdays import (
    Calendar,
    OfficeDay,
    OfficeHours,
    Override,
    SpecialHours,
    indonesian_holiday_name,
)

WIB = ZoneInfo("Asia/Pontianak")
CAL = Calendar()

RAMADAN_2026 = SpecialHours(
    start=date(2026, 2, 19),
    end=date(2026, 3, 19),
    hours=OfficeHours.parse("mon-thu 07:15-14:15; fri 07:15-14:45"),
)


def wib(text: str) -> datetime:
    """An aware instant in Pontianak from `YYYY-MM-DDTHH:MM`."""
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


# ------------------------------------------------------------------------------------------
# The examples of DOMAIN.md, exactly


@pytest.mark.parametrize(
    ("handed_over", "days", "expected"),
    [
        pytest.param("2027-03-01T10:00", 1, "2027-03-02T16:00:00+07:00", id="mon-1-mar-2027"),
        pytest.param("2027-02-26T15:00", 1, "2027-03-01T16:00:00+07:00", id="fri-15h"),
        pytest.param("2027-02-27T09:00", 1, "2027-03-01T16:00:00+07:00", id="sat-09h"),
        pytest.param("2026-03-17T10:00", 1, "2026-03-25T16:00:00+07:00", id="tue-17-mar-2026"),
        pytest.param("2026-12-23T10:00", 1, "2026-12-28T16:00:00+07:00", id="wed-23-dec-2026"),
        pytest.param("2026-03-16T10:00", 10, "2026-04-07T16:00:00+07:00", id="mon-16-mar-n10"),
    ],
)
def test_domain_examples_are_due_exactly_as_documented(
    handed_over: str, days: int, expected: str
) -> None:
    assert CAL.due(wib(handed_over), days).isoformat() == expected


def test_handover_on_friday_afternoon_is_due_monday_at_closing() -> None:
    assert CAL.due(wib("2027-02-26T15:00"), 1) == wib("2027-03-01T16:00")


def test_handover_on_saturday_is_due_monday_at_closing() -> None:
    assert CAL.due(wib("2027-02-27T09:00"), 1) == wib("2027-03-01T16:00")


def test_handover_late_on_sunday_is_due_monday_at_closing() -> None:
    assert CAL.due(wib("2027-02-28T23:59"), 1) == wib("2027-03-01T16:00")


@pytest.mark.parametrize(
    "clock",
    ["00:00", "06:59", "07:29", "07:30", "12:00", "15:59", "16:00", "16:01", "20:00", "23:59"],
)
def test_the_handover_day_never_counts_whatever_the_hour(clock: str) -> None:
    assert CAL.due(wib(f"2027-03-01T{clock}"), 1) == wib("2027-03-02T16:00")


@pytest.mark.parametrize(
    ("handed_over", "expected"),
    [
        pytest.param("2026-08-17T10:00", "2026-08-18T16:00", id="independence-day-monday"),
        pytest.param("2026-12-25T09:00", "2026-12-28T16:00", id="christmas-friday"),
        pytest.param("2026-03-20T11:00", "2026-03-25T16:00", id="cuti-bersama-idul-fitri"),
    ],
)
def test_handover_on_a_holiday_counts_from_the_next_working_day(
    handed_over: str, expected: str
) -> None:
    assert CAL.due(wib(handed_over), 1) == wib(expected)


def test_a_due_day_that_is_a_friday_closes_at_half_past_four() -> None:
    due = CAL.due(wib("2027-03-04T10:00"), 1)
    assert due == wib("2027-03-05T16:30")
    assert due.weekday() == 4


@pytest.mark.parametrize(
    ("days", "expected"), [(1, "2027-03-02"), (2, "2027-03-03"), (4, "2027-03-05")]
)
def test_n_working_days_in_a_plain_week(days: int, expected: str) -> None:
    due = CAL.due(wib("2027-03-01T10:00"), days)
    assert due.date() == date.fromisoformat(expected)


@pytest.mark.parametrize("days", [0, -1])
def test_an_sla_of_less_than_one_working_day_is_rejected(days: int) -> None:
    with pytest.raises(ValueError, match="at least 1 working day"):
        CAL.due(wib("2027-03-01T10:00"), days)


def test_returned_deadlines_are_aware_and_in_the_office_time_zone() -> None:
    due = CAL.due(datetime(2027, 3, 1, 3, 0, tzinfo=UTC), 1)
    assert due.tzinfo == WIB
    assert due.utcoffset() == timedelta(hours=7)


# ------------------------------------------------------------------------------------------
# Holidays and cuti bersama


@pytest.mark.parametrize("day", [18, 19, 20, 23, 24])
def test_the_march_2026_nyepi_and_idul_fitri_cluster_has_no_working_day(day: int) -> None:
    d = date(2026, 3, day)
    assert not CAL.is_workday(d)
    assert CAL.hours_on(d) is None
    assert CAL.holiday_name(d)


@pytest.mark.parametrize(
    ("day", "part_of_name"),
    [
        (18, "Cuti Bersama"),
        (19, "Nyepi"),
        (20, "Cuti Bersama"),
        (23, "Cuti Bersama"),
        (24, "Cuti Bersama"),
    ],
)
def test_cuti_bersama_comes_with_the_national_holidays(day: int, part_of_name: str) -> None:
    name = indonesian_holiday_name(date(2026, 3, day))
    assert name is not None
    assert part_of_name in name


def test_the_days_around_the_march_2026_cluster_are_working_days() -> None:
    assert CAL.is_workday(date(2026, 3, 17))
    assert CAL.is_workday(date(2026, 3, 25))
    assert CAL.workdays_between(date(2026, 3, 17), date(2026, 3, 25)) == 1


def test_non_working_weekdays_lists_the_march_2026_cluster_but_not_the_weekend() -> None:
    listed = dict(CAL.non_working_weekdays(2026))
    for day in (18, 19, 20, 23, 24):
        assert date(2026, 3, day) in listed
    assert date(2026, 3, 21) not in listed  # Idul Fitri on a Saturday
    assert date(2026, 3, 22) not in listed
    assert "Nyepi" in listed[date(2026, 3, 19)]
    assert all(d.weekday() < 5 and d.year == 2026 and name for d, name in listed.items())


@pytest.mark.parametrize(
    ("handed_over", "days", "expected"),
    [
        pytest.param("2026-12-23T10:00", 1, "2026-12-28T16:00", id="christmas-cuti-bersama"),
        pytest.param("2026-12-31T10:00", 1, "2027-01-04T16:00", id="new-year-friday"),
        pytest.param("2026-12-30T10:00", 2, "2027-01-04T16:00", id="over-new-year"),
        pytest.param("2026-12-28T10:00", 5, "2027-01-06T16:00", id="new-year-and-isra-mikraj"),
    ],
)
def test_the_2026_2027_year_end(handed_over: str, days: int, expected: str) -> None:
    assert CAL.due(wib(handed_over), days) == wib(expected)


def test_working_days_are_counted_across_the_year_end() -> None:
    assert CAL.workdays_between(date(2026, 12, 28), date(2027, 1, 6)) == 5
    assert CAL.nth_workday_after(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert CAL.previous_workday(date(2027, 1, 4)) == date(2026, 12, 31)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (date(2027, 3, 1), date(2027, 3, 1), 0),
        (date(2027, 3, 2), date(2027, 3, 1), 0),
        (date(2027, 2, 26), date(2027, 3, 1), 1),
        (date(2027, 2, 27), date(2027, 3, 5), 5),
        (date(2026, 3, 16), date(2026, 4, 7), 10),
    ],
)
def test_workdays_between_counts_days_after_a_up_to_and_including_b(
    a: date, b: date, expected: int
) -> None:
    assert CAL.workdays_between(a, b) == expected


def test_an_injected_national_calendar_replaces_the_holidays_package() -> None:
    cal = Calendar(national=lambda d: None)
    assert cal.is_workday(date(2026, 3, 18))
    assert cal.due(wib("2026-03-17T10:00"), 1) == wib("2026-03-18T16:00")


def test_a_calendar_without_any_working_day_fails_instead_of_looping() -> None:
    cal = Calendar(national=lambda d: "Libur")
    with pytest.raises(ValueError, match="working day"):
        cal.due(wib("2027-03-01T10:00"), 1)


# ------------------------------------------------------------------------------------------
# Admin overrides


HARI_JADI = Override(date(2026, 10, 23), "holiday", "Hari Jadi Kota Pontianak")
SATURDAY_SWAP = Override(date(2026, 3, 28), "workday", "Hari kerja pengganti")


def test_an_added_holiday_moves_the_deadline_to_the_next_working_day() -> None:
    assert CAL.due(wib("2026-10-22T10:00"), 1) == wib("2026-10-23T16:30")
    cal = Calendar(overrides=[HARI_JADI])
    assert cal.due(wib("2026-10-22T10:00"), 1) == wib("2026-10-26T16:00")
    assert cal.holiday_name(date(2026, 10, 23)) == "Hari Jadi Kota Pontianak"
    assert (date(2026, 10, 23), "Hari Jadi Kota Pontianak") in cal.non_working_weekdays(2026)


def test_an_added_working_saturday_moves_the_deadline_earlier_with_mondays_hours() -> None:
    assert CAL.due(wib("2026-03-27T10:00"), 1) == wib("2026-03-30T16:00")
    cal = Calendar(overrides=[SATURDAY_SWAP])
    assert cal.is_workday(date(2026, 3, 28))
    assert cal.hours_on(date(2026, 3, 28)) == OfficeDay(time(7, 30), time(16, 0))
    assert cal.due(wib("2026-03-27T10:00"), 1) == wib("2026-03-28T16:00")
    assert cal.holiday_name(date(2026, 3, 28)) is None


def test_a_workday_override_cancels_a_national_holiday() -> None:
    cal = Calendar(overrides=[Override(date(2026, 3, 24), "workday", "Masuk kerja")])
    assert cal.is_workday(date(2026, 3, 24))
    assert cal.holiday_name(date(2026, 3, 24)) is None
    assert cal.due(wib("2026-03-17T10:00"), 1) == wib("2026-03-24T16:00")
    assert date(2026, 3, 24) not in dict(cal.non_working_weekdays(2026))


def test_the_last_override_of_a_day_wins() -> None:
    cal = Calendar(overrides=[HARI_JADI, Override(HARI_JADI.day, "workday", "Batal libur")])
    assert cal.is_workday(HARI_JADI.day)


def test_an_override_of_unknown_kind_is_rejected() -> None:
    kind: Any = "vacation"
    with pytest.raises(ValueError, match="'holiday' or 'workday'"):
        Override(date(2026, 1, 2), kind, "x")


# ------------------------------------------------------------------------------------------
# Time zones


def test_a_start_given_in_utc_is_already_the_next_day_in_pontianak() -> None:
    utc_start = datetime(2026, 3, 16, 23, 30, tzinfo=UTC)  # Tue 17 Mar 06:30 WIB
    assert CAL.local(utc_start) == wib("2026-03-17T06:30")
    assert CAL.due(utc_start, 1) == wib("2026-03-25T16:00")
    assert CAL.due(utc_start, 1) == CAL.due(wib("2026-03-17T06:30"), 1)


@pytest.mark.parametrize(
    "instant",
    [
        datetime(2026, 3, 16, 8, 59, tzinfo=UTC),
        datetime(2026, 3, 16, 4, 59, tzinfo=ZoneInfo("America/New_York")),
        datetime(2026, 3, 16, 17, 59, tzinfo=ZoneInfo("Asia/Tokyo")),
        wib("2026-03-16T15:59"),
    ],
    ids=["utc", "new-york", "tokyo", "wib"],
)
def test_the_same_instant_in_any_zone_has_the_same_due(instant: datetime) -> None:
    assert CAL.due(instant, 1) == wib("2026-03-17T16:00")
    assert CAL.due(instant, 1).tzinfo == WIB


def test_the_time_zone_may_be_given_by_name_or_as_zoneinfo() -> None:
    assert Calendar(tz="Asia/Pontianak").tz == WIB
    assert Calendar(tz=WIB).tz == WIB


def _naive_calls() -> list[tuple[str, Callable[[datetime], object]]]:
    aware = wib("2027-03-01T10:00")
    return [
        ("local", CAL.local),
        ("due", lambda t: CAL.due(t, 1)),
        ("is_office_hours", CAL.is_office_hours),
        ("next_opening", CAL.next_opening),
        ("office_instant", CAL.office_instant),
        ("office_time_between-a", lambda t: CAL.office_time_between(t, aware)),
        ("office_time_between-b", lambda t: CAL.office_time_between(aware, t)),
        ("add_office_time", lambda t: CAL.add_office_time(t, timedelta(hours=1))),
        ("before_due", lambda t: CAL.before_due(t, 1)),
    ]


@pytest.mark.parametrize(("name", "call"), _naive_calls(), ids=[n for n, _ in _naive_calls()])
def test_a_naive_datetime_is_rejected(name: str, call: Callable[[datetime], object]) -> None:
    with pytest.raises(ValueError, match="naive"):
        call(datetime(2027, 3, 1, 10, 0))


# ------------------------------------------------------------------------------------------
# Office hours of a day


@pytest.mark.parametrize(
    ("when", "inside"),
    [
        ("2027-03-01T07:29", False),
        ("2027-03-01T07:30", True),
        ("2027-03-01T15:59", True),
        ("2027-03-01T16:00", False),
        ("2027-03-05T16:15", True),
        ("2027-03-05T16:30", False),
        ("2027-02-27T10:00", False),
        ("2026-03-19T10:00", False),
    ],
)
def test_office_hours_include_opening_and_exclude_closing(when: str, inside: bool) -> None:
    assert CAL.is_office_hours(wib(when)) is inside


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 3, 1), "07:30-16:00"),
        (date(2027, 3, 4), "07:30-16:00"),
        (date(2027, 3, 5), "07:30-16:30"),
        (date(2027, 2, 27), None),
        (date(2026, 8, 17), None),
    ],
)
def test_hours_on_gives_the_hours_of_working_days_only(day: date, expected: str | None) -> None:
    hours = CAL.hours_on(day)
    assert (hours.format() if hours else None) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 2), "07:15-14:15"),
        (date(2026, 3, 6), "07:15-14:45"),
        (date(2026, 2, 19), "07:15-14:15"),
        (date(2026, 2, 18), "07:30-16:00"),
        (date(2026, 3, 25), "07:30-16:00"),
    ],
)
def test_special_ramadan_hours_apply_inside_their_period(day: date, expected: str) -> None:
    cal = Calendar(special_hours=[RAMADAN_2026])
    hours = cal.hours_on(day)
    assert hours is not None
    assert hours.format() == expected


def test_a_deadline_in_ramadan_falls_at_the_reduced_closing_time() -> None:
    cal = Calendar(special_hours=[RAMADAN_2026])
    assert cal.due(wib("2026-03-05T10:00"), 1) == wib("2026-03-06T14:45")
    assert cal.due(wib("2026-03-02T10:00"), 1) == wib("2026-03-03T14:15")
    assert not cal.is_office_hours(wib("2026-03-02T14:30"))
    assert cal.is_office_hours(wib("2026-03-02T07:15"))


def test_special_hours_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        SpecialHours(date(2026, 3, 19), date(2026, 2, 19), OfficeHours.default())


# ------------------------------------------------------------------------------------------
# Openings


@pytest.mark.parametrize(
    ("when", "instant", "opening"),
    [
        pytest.param("2027-03-01T10:00", "2027-03-01T10:00", "2027-03-02T07:30", id="inside"),
        pytest.param("2027-03-01T07:30", "2027-03-01T07:30", "2027-03-02T07:30", id="at-opening"),
        pytest.param("2027-03-01T06:00", "2027-03-01T07:30", "2027-03-01T07:30", id="early"),
        pytest.param("2027-03-01T16:00", "2027-03-02T07:30", "2027-03-02T07:30", id="at-closing"),
        pytest.param("2027-02-26T17:00", "2027-03-01T07:30", "2027-03-01T07:30", id="fri-night"),
        pytest.param("2027-02-27T10:00", "2027-03-01T07:30", "2027-03-01T07:30", id="saturday"),
        pytest.param("2026-03-17T16:00", "2026-03-25T07:30", "2026-03-25T07:30", id="holidays"),
    ],
)
def test_office_instant_and_next_opening(when: str, instant: str, opening: str) -> None:
    assert CAL.office_instant(wib(when)) == wib(instant)
    assert CAL.next_opening(wib(when)) == wib(opening)


def test_a_night_reminder_in_utc_is_delivered_at_the_next_opening_in_wib() -> None:
    night = datetime(2027, 2, 28, 18, 0, tzinfo=UTC)  # Mon 1 Mar 01:00 WIB
    assert CAL.office_instant(night) == wib("2027-03-01T07:30")


# ------------------------------------------------------------------------------------------
# Office time arithmetic


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        pytest.param("2027-03-01T10:00", 2, "2027-03-01T12:00", id="same-day"),
        pytest.param("2027-03-01T15:00", 2, "2027-03-02T08:30", id="over-night"),
        pytest.param("2027-03-01T07:30", 8.5, "2027-03-01T16:00", id="ends-at-closing"),
        pytest.param("2027-03-01T05:00", 1, "2027-03-01T08:30", id="before-opening"),
        pytest.param("2027-02-26T16:00", 1, "2027-03-01T08:00", id="over-weekend"),
        pytest.param("2027-02-27T10:00", 1, "2027-03-01T08:30", id="from-saturday"),
        pytest.param("2026-03-17T15:00", 2, "2026-03-25T08:30", id="over-holidays"),
        pytest.param("2027-03-01T07:30", 43, "2027-03-05T16:30", id="whole-week"),
        pytest.param("2027-03-01T10:00", 0, "2027-03-01T10:00", id="zero"),
        pytest.param("2027-02-27T10:00", 0, "2027-02-27T10:00", id="zero-on-saturday"),
    ],
)
def test_add_office_time_walks_forward_through_office_hours_only(
    start: str, hours: float, expected: str
) -> None:
    assert CAL.add_office_time(wib(start), timedelta(hours=hours)) == wib(expected)


@pytest.mark.parametrize(
    ("due", "hours", "expected"),
    [
        pytest.param("2027-03-02T16:00", 2, "2027-03-02T14:00", id="same-day"),
        pytest.param("2027-03-02T16:00", 8.5, "2027-03-02T07:30", id="to-the-opening"),
        pytest.param("2027-03-02T16:00", 9, "2027-03-01T15:30", id="over-night"),
        pytest.param("2027-03-01T16:00", 10, "2027-02-26T15:00", id="over-weekend"),
        pytest.param("2027-02-27T12:00", 1, "2027-02-26T15:30", id="due-on-saturday"),
        pytest.param("2026-03-25T16:00", 10, "2026-03-17T14:30", id="over-holidays"),
        pytest.param("2027-03-02T16:00", 0.25, "2027-03-02T15:45", id="quarter-hour"),
        pytest.param("2027-03-02T16:00", 0, "2027-03-02T16:00", id="zero"),
    ],
)
def test_before_due_walks_back_through_office_hours_only(
    due: str, hours: float, expected: str
) -> None:
    assert CAL.before_due(wib(due), hours) == wib(expected)


@pytest.mark.parametrize("hours", [0.5, 1, 2, 4, 8, 8.5, 9, 16, 24])
def test_a_reminder_before_due_always_lies_inside_office_hours(hours: float) -> None:
    for due in (CAL.due(wib("2027-02-26T15:00"), 1), CAL.due(wib("2026-03-17T10:00"), 1)):
        reminder = CAL.before_due(due, hours)
        assert CAL.is_office_hours(reminder)
        assert CAL.office_time_between(reminder, due) == timedelta(hours=hours)


def test_before_due_refuses_negative_hours() -> None:
    with pytest.raises(ValueError, match="negative"):
        CAL.before_due(wib("2027-03-02T16:00"), -1)


def test_a_negative_delta_walks_back_like_before_due() -> None:
    due = wib("2027-03-01T16:00")
    assert CAL.add_office_time(due, timedelta(hours=-10)) == CAL.before_due(due, 10)


@pytest.mark.parametrize(
    ("a", "b", "hours"),
    [
        pytest.param("2027-03-01T10:00", "2027-03-01T12:00", 2, id="same-day"),
        pytest.param("2027-03-01T15:00", "2027-03-02T08:30", 2, id="over-night"),
        pytest.param("2027-02-26T16:00", "2027-03-01T08:00", 1, id="over-weekend"),
        pytest.param("2026-03-17T15:00", "2026-03-25T08:30", 2, id="over-holidays"),
        pytest.param("2027-03-01T00:00", "2027-03-08T00:00", 43, id="whole-week"),
        pytest.param("2027-02-27T00:00", "2027-02-28T23:59", 0, id="weekend-only"),
        pytest.param("2027-03-01T20:00", "2027-03-02T06:00", 0, id="night-only"),
        pytest.param("2027-03-01T10:00", "2027-03-01T10:00", 0, id="empty"),
        pytest.param("2027-03-02T08:30", "2027-03-01T15:00", -2, id="reversed"),
    ],
)
def test_office_time_between_counts_office_hours_only(a: str, b: str, hours: float) -> None:
    assert CAL.office_time_between(wib(a), wib(b)) == timedelta(hours=hours)


def test_office_time_between_accepts_instants_in_different_zones() -> None:
    a = datetime(2027, 3, 1, 3, 0, tzinfo=UTC)  # 10:00 WIB
    b = wib("2027-03-01T12:00")
    assert CAL.office_time_between(a, b) == timedelta(hours=2)


def test_adding_office_time_and_measuring_it_agree_on_a_grid_of_instants() -> None:
    cal = Calendar(special_hours=[RAMADAN_2026], overrides=[SATURDAY_SWAP])
    starts = [wib("2026-03-13T06:00") + timedelta(hours=7 * i) for i in range(40)]
    for start in starts:
        for minutes in (1, 45, 300, 510, 2000, 6000):
            delta = timedelta(minutes=minutes)
            end = cal.add_office_time(start, delta)
            assert end > start
            assert cal.office_time_between(start, end) == delta
            back = cal.before_due(end, minutes / 60)
            assert cal.office_time_between(back, end) == delta
            assert back >= start


# ------------------------------------------------------------------------------------------
# OfficeHours and OfficeDay


def test_default_office_hours_are_those_of_perpres_21_2023() -> None:
    hours = OfficeHours.default()
    assert hours.format() == "mon-thu 07:30-16:00; fri 07:30-16:30"
    assert hours.for_weekday(5) is None
    assert hours.for_weekday(6) is None
    # 37.5 hours of work plus the daily breaks, which office time does not subtract.
    week = sum((d.duration for d in hours.days.values()), timedelta())
    assert week == timedelta(hours=43)


@pytest.mark.parametrize(
    "spec",
    [
        "mon-thu 07:30-16:00; fri 07:30-16:30",
        "  MON-THU 07.30-16.00 ;fri   07:30 - 16:30 ;",
        "mon,tue,wed,thu 07:30-16:00\nfri 07:30-16:30",
        "senin-kamis 07:30-16:00; jumat 07:30-16:30",
        "monday-thursday 7:30-16:00; friday 7:30-16:30",
    ],
)
def test_office_hours_parse_accepts_admin_friendly_spellings(spec: str) -> None:
    assert OfficeHours.parse(spec) == OfficeHours.default()


def test_office_hours_parse_accepts_lists_of_days() -> None:
    hours = OfficeHours.parse("mon,wed 08:00-15:00")
    assert dict(hours.days) == {
        0: OfficeDay(time(8), time(15)),
        2: OfficeDay(time(8), time(15)),
    }


@pytest.mark.parametrize(
    "spec",
    [
        "mon-thu 07:30-16:00; fri 07:30-16:30",
        "mon,wed 08:00-15:00",
        "mon-tue,thu 08:00-15:00; wed 09:00-12:00; sat-sun 08:00-11:30",
        "sun 06:00-07:00",
    ],
)
def test_office_hours_format_is_compact_and_parses_back(spec: str) -> None:
    hours = OfficeHours.parse(spec)
    assert hours.format() == spec
    assert OfficeHours.parse(hours.format()) == hours


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param("", "no office hours", id="empty"),
        pytest.param("xyz 07:30-16:00", "unknown day 'xyz'", id="unknown-day"),
        pytest.param("mon,,tue 07:30-16:00", "unknown day", id="empty-day"),
        pytest.param("mon 25:00-26:00", "invalid time '25:00'", id="hour-out-of-range"),
        pytest.param("mon 07:60-16:00", "invalid time '07:60'", id="minute-out-of-range"),
        pytest.param("mon 7h-16h", "invalid time", id="not-a-time"),
        pytest.param("mon 16:00-07:30", "not after opening", id="closes-before-opens"),
        pytest.param("mon 08:00-08:00", "not after opening", id="closes-at-opening"),
        pytest.param("mon 07:30", "time range", id="no-range"),
        pytest.param("mon 07:30-12:00-16:00", "time range", id="two-ranges"),
        pytest.param("mon-thu", "missing hours", id="no-hours"),
        pytest.param("07:30-16:00", "missing days", id="no-days"),
        pytest.param("fri-mon 07:30-16:00", "runs backwards", id="backwards-range"),
        pytest.param("mon-fri 07:30-16:00; fri 07:30-16:30", "given twice", id="twice"),
    ],
)
def test_office_hours_parse_rejects_bad_input_with_a_clear_message(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        OfficeHours.parse(spec)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("opens", "closes"), [(time(16), time(7, 30)), (time(8), time(8))], ids=["before", "equal"]
)
def test_an_office_day_must_close_after_it_opens(opens: time, closes: time) -> None:
    with pytest.raises(ValueError, match="not after it opens"):
        OfficeDay(opens, closes)


def test_an_office_day_uses_whole_minutes_of_wall_clock_time() -> None:
    with pytest.raises(ValueError, match="whole minute"):
        OfficeDay(time(7, 30, 15), time(16))
    with pytest.raises(ValueError, match="without tzinfo"):
        OfficeDay(time(7, 30, tzinfo=WIB), time(16))


def test_office_hours_need_valid_weekdays_and_at_least_one_open_day() -> None:
    with pytest.raises(ValueError, match="at least one"):
        OfficeHours({})
    with pytest.raises(ValueError, match="weekday"):
        OfficeHours({7: OfficeDay(time(8), time(9))})


def test_office_hours_are_immutable_and_hashable() -> None:
    source = {0: OfficeDay(time(8), time(15))}
    hours = OfficeHours(source)
    source[1] = OfficeDay(time(8), time(15))
    assert hours.for_weekday(1) is None
    assert hash(hours) == hash(OfficeHours.parse("mon 08:00-15:00"))
    with pytest.raises(TypeError):
        hours.days[2] = OfficeDay(time(8), time(15))  # type: ignore[index]


def test_a_working_day_without_configured_hours_uses_mondays_hours() -> None:
    cal = Calendar(
        hours=OfficeHours.parse("mon 08:00-15:00; tue-fri 07:30-16:00"),
        overrides=[Override(date(2027, 2, 27), "workday", "Sabtu masuk")],
    )
    assert cal.hours_on(date(2027, 2, 27)) == OfficeDay(time(8), time(15))


@pytest.mark.parametrize("start", [date(2026, 12, 18), date(2027, 3, 5), date(2027, 12, 31)])
def test_the_working_days_after_a_date_are_the_first_second_and_nth_working_days_after_it(
    start: date,
) -> None:
    walked = list(itertools.islice(CAL.workdays_after(start), 300))
    assert walked == [CAL.nth_workday_after(start, n) for n in range(1, 301)]
