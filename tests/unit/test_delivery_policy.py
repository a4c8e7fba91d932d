"""Unit tests of the delivery half of bot.reminders, the policy production runs when a notice
leaves: office hours at delivery, one notice per task and person, "late" and "time left" decided
at send time, and the per-task planning the sweep calls."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.reminders import (
    HORIZON,
    OpenTask,
    Pending,
    Policy,
    Standing,
    due_now,
    is_late,
    may_deliver,
    next_delivery,
    plan_task,
    schedule,
    standing,
    supersede,
)
from bot.workdays import Calendar, Override

WIB = ZoneInfo("Asia/Pontianak")
CAL = Calendar()
POLICY = Policy()


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def one_day_task(started: str = "2027-03-01T10:00", task_id: int = 1) -> OpenTask:
    start = wib(started)
    return OpenTask(task_id, 10 + task_id, 1, 1, start, CAL.due(start, 1))


@pytest.mark.parametrize(
    ("at", "allowed"),
    [
        ("2027-03-01T07:29", False),  # before the opening
        ("2027-03-01T07:30", True),
        ("2027-03-01T15:59", True),
        ("2027-03-01T16:00", False),  # the closing itself
        ("2027-03-01T19:00", False),
        ("2027-03-05T16:15", True),  # Friday closes at 16:30
        ("2027-03-06T10:00", False),  # Saturday
        ("2027-03-10T10:00", False),  # Idul Fitri
    ],
)
def test_a_notice_may_leave_only_inside_office_hours(at: str, allowed: bool) -> None:
    assert may_deliver(CAL, wib(at)) is allowed


def test_a_retry_that_would_fall_at_night_waits_for_the_next_opening() -> None:
    assert next_delivery(CAL, wib("2027-03-01T15:59") + timedelta(hours=1)) == wib(
        "2027-03-02T07:30"
    )
    assert next_delivery(CAL, wib("2027-03-01T10:00")) == wib("2027-03-01T10:00")
    # Friday evening: over the weekend.
    assert next_delivery(CAL, wib("2027-02-26T17:00")) == wib("2027-03-01T07:30")


def test_an_added_holiday_today_holds_every_notice_until_the_next_working_day() -> None:
    holiday = Calendar(overrides=[Override(wib("2027-03-02T00:00").date(), "holiday", "Banjir")])
    assert not may_deliver(holiday, wib("2027-03-02T10:00"))
    assert next_delivery(holiday, wib("2027-03-02T10:00")) == wib("2027-03-03T07:30")


@pytest.mark.parametrize(
    ("sent", "late"),
    [("2027-03-02T07:30", False), ("2027-03-02T07:45", False), ("2027-03-02T07:46", True)],
)
def test_a_notice_is_late_when_it_leaves_more_than_the_grace_after_its_moment(
    sent: str, late: bool
) -> None:
    assert is_late(wib("2027-03-02T07:30"), wib(sent), POLICY) is late


def p(row: int, task: int, kind: str, level: int, at: str) -> Pending:
    return Pending(row, task, kind, level, wib(at))  # type: ignore[arg-type]


def test_only_the_newest_notice_per_task_goes_out_whatever_sweep_queued_it() -> None:
    items = [
        p(1, 7, "reminder", 1, "2027-03-01T12:45"),
        p(2, 7, "reminder", 2, "2027-03-02T14:00"),
        p(9, 8, "reminder", 2, "2027-03-02T14:00"),
        p(30, 7, "overdue", 1, "2027-03-03T07:30"),  # queued by a later sweep
    ]
    kept, superseded = supersede(items)
    assert [k.row_id for k in kept] == [9, 30]
    assert [s.row_id for s in superseded] == [1, 2]


def test_at_the_same_moment_an_overdue_notice_beats_an_escalation_and_level_2_beats_1() -> None:
    same = "2027-03-03T07:30"
    kept, _superseded = supersede(
        [
            p(1, 7, "escalation", 2, same),
            p(2, 7, "overdue", 1, same),
            p(3, 7, "escalation", 1, same),
        ]
    )
    assert [k.row_id for k in kept] == [2]
    kept, _ = supersede([p(1, 7, "escalation", 1, same), p(2, 7, "escalation", 2, same)])
    assert [k.row_id for k in kept] == [2]


def test_nothing_is_superseded_when_each_task_has_one_notice() -> None:
    items = [p(1, 1, "reminder", 1, "2027-03-01T12:00"), p(2, 2, "overdue", 3, "2027-03-01T07:30")]
    assert supersede(items) == (items, [])


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2027-03-02T09:00", Standing(False, 0, 7 * 60)),  # due today at 16:00
        ("2027-03-02T15:30", Standing(False, 0, 30)),
        ("2027-03-01T10:00", Standing(False, 1)),
        ("2027-03-02T19:00", Standing(True, 0)),  # three hours after the deadline
        ("2027-03-03T07:30", Standing(True, 1)),
        ("2027-03-05T10:00", Standing(True, 3)),
    ],
)
def test_where_a_task_stands_is_never_time_left_after_its_deadline(
    now: str, expected: Standing
) -> None:
    assert standing(CAL, wib("2027-03-02T16:00"), wib(now)) == expected


def test_the_sweep_plans_only_what_fell_due_since_its_last_look() -> None:
    task = one_day_task()
    everything = plan_task(task, CAL, POLICY, wib("2027-03-03T08:00"))
    since = wib("2027-03-02T14:00")
    later = plan_task(task, CAL, POLICY, wib("2027-03-03T08:00"), since)
    assert later.fresh == [x for x in everything.fresh if x.at > since]
    assert [(x.kind, x.level) for x in later.fresh] == [("escalation", 1), ("overdue", 1)]


def test_the_sweep_looks_at_a_task_again_at_its_next_notice_or_after_the_horizon() -> None:
    task = one_day_task()
    plan = plan_task(task, CAL, POLICY, wib("2027-03-01T11:00"))
    assert plan.fresh == []
    assert plan.next_at == schedule(task, CAL, POLICY, wib("2027-03-31T00:00"))[0].at
    quiet = OpenTask(2, 12, 3, 10, wib("2027-03-01T10:00"), wib("2027-06-01T16:00"))
    now = wib("2027-03-01T11:00")
    assert plan_task(quiet, CAL, POLICY, now).next_at == now + HORIZON


def test_due_now_is_the_sweeps_plan_of_every_task_in_time_order() -> None:
    tasks = [one_day_task(), one_day_task("2027-03-01T13:00", task_id=2)]
    now = wib("2027-03-04T09:00")
    planned = [x for task in tasks for x in plan_task(task, CAL, POLICY, now).fresh]
    assert sorted(due_now(tasks, CAL, POLICY, now), key=lambda x: (x.task_id, x.at)) == sorted(
        planned, key=lambda x: (x.task_id, x.at)
    )
