"""Unit tests of bot.reminders: the reminder and escalation policy, on the real Indonesian calendar.

Dates are chosen against the holidays of 2027 as `Calendar()` knows them: Monday 8 to Monday
15 March 2027 are Nyepi, Idul Fitri and cuti bersama (the weekend between included), so the
first working day after Friday 5 March 2027 is Tuesday 16 March 2027.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.reminders import (
    MAX_OVERDUE,
    Audience,
    Kind,
    OpenTask,
    Planned,
    Policy,
    audience,
    audience_roles,
    digest_day,
    digest_deliver_at,
    due_now,
    recompute_due,
    schedule,
)
from bot.sop import STEPS, Role
from bot.workdays import Calendar, Override

WIB = ZoneInfo("Asia/Pontianak")
CAL = Calendar()
POLICY = Policy()


def wib(text: str) -> datetime:
    """An aware instant in Pontianak from `YYYY-MM-DDTHH:MM`."""
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def a_task(started: str, sla_days: int, *, step: int | None = None, task_id: int = 1) -> OpenTask:
    """A task handed over at `started` (WIB), due by the SOP rule on the real calendar."""
    start = wib(started)
    return OpenTask(
        task_id=task_id,
        case_id=10 + task_id,
        step=step if step is not None else (3 if sla_days >= 2 else 1),
        sla_days=sla_days,
        started_at=start,
        due_at=CAL.due(start, sla_days),
    )


Row = tuple[Kind, int, str, str]


def rows(planned: list[Planned]) -> list[Row]:
    """(kind, level, at, deliver_at) with instants as `YYYY-MM-DD HH:MM` in WIB."""
    return [
        (
            p.kind,
            p.level,
            p.at.astimezone(WIB).strftime("%Y-%m-%d %H:%M"),
            p.deliver_at.astimezone(WIB).strftime("%Y-%m-%d %H:%M"),
        )
        for p in planned
    ]


def keys(planned: list[Planned]) -> set[str]:
    return {p.key(0) for p in planned}


# ------------------------------------------------------------------------------------------
# The calendar the dates below rely on


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2027, 3, 5), True),
        (date(2027, 3, 8), False),
        (date(2027, 3, 10), False),
        (date(2027, 3, 12), False),
        (date(2027, 3, 15), False),
        (date(2027, 3, 16), True),
        (date(2027, 2, 22), True),
    ],
)
def test_the_march_2027_holiday_cluster_is_as_the_tests_assume(day: date, working: bool) -> None:
    assert CAL.is_workday(day) is working


# ------------------------------------------------------------------------------------------
# A 1-working-day step


ONE_DAY_STEP: list[Row] = [
    ("reminder", 1, "2027-03-02 08:45", "2027-03-02 08:45"),  # half of 14.5 office hours
    ("reminder", 2, "2027-03-02 14:00", "2027-03-02 14:00"),  # 2 office hours before
    ("escalation", 1, "2027-03-02 16:00", "2027-03-03 07:30"),  # the deadline, after closing
    ("overdue", 1, "2027-03-03 07:30", "2027-03-03 07:30"),
    ("escalation", 2, "2027-03-03 16:00", "2027-03-04 07:30"),
    ("overdue", 2, "2027-03-04 07:30", "2027-03-04 07:30"),
    ("overdue", 3, "2027-03-05 07:30", "2027-03-05 07:30"),
    ("overdue", 4, "2027-03-16 07:30", "2027-03-16 07:30"),  # across Nyepi and Idul Fitri
]


def test_a_one_day_step_gets_reminders_escalations_and_daily_overdue_notices() -> None:
    task = a_task("2027-03-01T10:00", 1)
    assert task.due_at == wib("2027-03-02T16:00")
    assert rows(schedule(task, CAL, POLICY, until=wib("2027-03-16T12:00"))) == ONE_DAY_STEP


@pytest.mark.parametrize(
    ("until", "count"),
    [
        ("2027-03-01T10:00", 0),
        ("2027-03-02T08:44", 0),
        ("2027-03-02T08:45", 1),
        ("2027-03-02T15:59", 2),
        ("2027-03-02T16:00", 3),
        ("2027-03-03T07:30", 4),
        ("2027-03-05T20:00", 7),
        ("2027-03-15T23:59", 7),
        ("2027-03-16T07:30", 8),
    ],
)
def test_schedule_lists_exactly_what_is_due_by_until(until: str, count: int) -> None:
    task = a_task("2027-03-01T10:00", 1)
    assert rows(schedule(task, CAL, POLICY, until=wib(until))) == ONE_DAY_STEP[:count]


@pytest.mark.parametrize(
    ("started", "expected"),
    [
        pytest.param(
            "2027-02-19T16:00",  # Friday, half an hour before closing
            [
                ("reminder", 1, "2027-02-22 11:30", "2027-02-22 11:30"),
                ("reminder", 2, "2027-02-22 14:00", "2027-02-22 14:00"),
                ("escalation", 1, "2027-02-22 16:00", "2027-02-23 07:30"),
            ],
            id="late-friday",
        ),
        pytest.param(
            "2027-02-19T18:00",  # Friday evening: the whole 8.5 office hours are Monday's
            [
                ("reminder", 1, "2027-02-22 11:45", "2027-02-22 11:45"),
                ("reminder", 2, "2027-02-22 14:00", "2027-02-22 14:00"),
                ("escalation", 1, "2027-02-22 16:00", "2027-02-23 07:30"),
            ],
            id="friday-evening",
        ),
        pytest.param(
            "2027-02-20T09:00",  # Saturday
            [
                ("reminder", 1, "2027-02-22 11:45", "2027-02-22 11:45"),
                ("reminder", 2, "2027-02-22 14:00", "2027-02-22 14:00"),
                ("escalation", 1, "2027-02-22 16:00", "2027-02-23 07:30"),
            ],
            id="saturday",
        ),
        pytest.param(
            "2027-03-05T15:00",  # Friday before the holidays: 1.5 h + 8.5 h, half is 5 h
            [
                ("reminder", 1, "2027-03-16 11:00", "2027-03-16 11:00"),
                ("reminder", 2, "2027-03-16 14:00", "2027-03-16 14:00"),
                ("escalation", 1, "2027-03-16 16:00", "2027-03-17 07:30"),
            ],
            id="across-the-holidays",
        ),
        pytest.param(
            "2027-03-01T07:30",  # the half point falls exactly on Monday's closing
            [
                ("reminder", 1, "2027-03-02 07:30", "2027-03-02 07:30"),
                ("reminder", 2, "2027-03-02 14:00", "2027-03-02 14:00"),
                ("escalation", 1, "2027-03-02 16:00", "2027-03-03 07:30"),
            ],
            id="half-point-at-closing",
        ),
    ],
)
def test_a_short_step_is_reminded_at_its_half_point_and_two_office_hours_before(
    started: str, expected: list[Row]
) -> None:
    task = a_task(started, 1)
    until = task.due_at + timedelta(hours=1)
    assert rows(schedule(task, CAL, POLICY, until=until)) == expected


# ------------------------------------------------------------------------------------------
# A 10-working-day step


TEN_DAY_STEP: list[Row] = [
    ("reminder", 1, "2027-03-03 07:30", "2027-03-03 07:30"),  # 3 working days before
    ("reminder", 2, "2027-03-05 07:30", "2027-03-05 07:30"),  # 1 working day before
    ("reminder", 3, "2027-03-16 07:30", "2027-03-16 07:30"),  # the due day
    ("escalation", 1, "2027-03-16 16:00", "2027-03-17 07:30"),
    ("overdue", 1, "2027-03-17 07:30", "2027-03-17 07:30"),
    ("escalation", 2, "2027-03-17 16:00", "2027-03-18 07:30"),
]


def test_a_ten_day_step_is_reminded_3_and_1_working_days_before_and_on_the_due_day() -> None:
    task = a_task("2027-02-22T09:00", 10)
    assert task.due_at == wib("2027-03-16T16:00")
    assert rows(schedule(task, CAL, POLICY, until=wib("2027-03-17T16:00"))) == TEN_DAY_STEP


@pytest.mark.parametrize(
    ("started", "levels"),
    [
        ("2027-03-03T07:29", [1, 2, 3]),
        ("2027-03-03T07:30", [2, 3]),  # not after the hand-over: skipped
        ("2027-03-04T10:00", [2, 3]),
        ("2027-03-05T07:30", [3]),
        ("2027-03-16T07:30", []),
    ],
)
def test_long_step_reminders_before_the_hand_over_are_skipped_and_the_rest_keep_their_level(
    started: str, levels: list[int]
) -> None:
    task = replace(a_task("2027-02-22T09:00", 10), started_at=wib(started))
    planned = schedule(task, CAL, POLICY, until=task.due_at)
    assert [p.level for p in planned if p.kind == "reminder"] == levels


@pytest.mark.parametrize(
    ("policy", "sla_days", "expected"),
    [
        pytest.param(
            Policy(long_days_before=(1, 5, 3)),
            10,
            [(1, "2027-03-01"), (2, "2027-03-03"), (3, "2027-03-05"), (4, "2027-03-16")],
            id="more-long-reminders",
        ),
        pytest.param(
            Policy(long_days_before=(), long_due_day_opening=True),
            10,
            [(1, "2027-03-16")],
            id="due-day-only",
        ),
        pytest.param(
            Policy(long_due_day_opening=False), 10, [(1, "2027-03-03"), (2, "2027-03-05")]
        ),
        pytest.param(
            Policy(long_step_days=11),
            10,
            [(1, "2027-03-01"), (2, "2027-03-16")],
            id="ten-days-is-short",
        ),
    ],
)
def test_the_policy_decides_which_reminders_a_step_gets(
    policy: Policy, sla_days: int, expected: list[tuple[int, str]]
) -> None:
    task = a_task("2027-02-22T09:00", sla_days)
    planned = schedule(task, CAL, policy, until=task.due_at)
    got = [(p.level, p.at.date().isoformat()) for p in planned if p.kind == "reminder"]
    assert got == expected


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (Policy(short_half=False), [2]),
        (Policy(short_hours_before=0), [1]),
        (Policy(short_half=False, short_hours_before=0), []),
        (Policy(short_hours_before=8.5), [2]),  # the half point would come after it
        (Policy(short_hours_before=14.5), []),  # back at the hand-over itself
    ],
)
def test_short_step_reminders_can_be_switched_off_and_never_duplicate(
    policy: Policy, expected: list[int]
) -> None:
    task = a_task("2027-03-01T10:00", 1)
    planned = schedule(task, CAL, policy, until=task.due_at)
    assert [p.level for p in planned if p.kind == "reminder"] == expected


@pytest.mark.parametrize(
    ("after_days", "expected"),
    [
        (0, []),
        (1, ["2027-03-03 16:00"]),
        (3, ["2027-03-05 16:30"]),  # Friday closes at 16:30
        (4, ["2027-03-16 16:00"]),
    ],
)
def test_escalation_2_comes_at_the_closing_of_the_nth_working_day_after_the_due_day(
    after_days: int, expected: list[str]
) -> None:
    task = a_task("2027-03-01T10:00", 1)
    planned = schedule(
        task, CAL, Policy(escalation2_after_days=after_days), wib("2027-04-01T00:00")
    )
    assert [at for kind, level, at, _ in rows(planned) if (kind, level) == ("escalation", 2)] == (
        expected
    )


def test_overdue_notices_stop_after_the_cap() -> None:
    task = a_task("2027-03-01T10:00", 1)
    planned = schedule(task, CAL, POLICY, until=wib("2028-12-31T00:00"))
    overdue = [p.level for p in planned if p.kind == "overdue"]
    assert overdue == list(range(1, MAX_OVERDUE + 1))


# ------------------------------------------------------------------------------------------
# Properties over many hand-over instants


def hand_overs() -> list[datetime]:
    """Instants every 29 h 17 min through 2026 and 2027: every hour of the day, weekends,
    holidays and cuti bersama included."""
    t, end, step = wib("2026-01-01T00:00"), wib("2028-01-01T00:00"), timedelta(hours=29, minutes=17)
    found: list[datetime] = []
    while t < end:
        found.append(t)
        t += step
    return found


@pytest.mark.parametrize("sla_days", [1, 10])
def test_nothing_is_ever_delivered_outside_office_hours(sla_days: int) -> None:
    for start in hand_overs():
        task = OpenTask(1, 1, 1, sla_days, start, CAL.due(start, sla_days))
        planned = schedule(task, CAL, POLICY, until=task.due_at + timedelta(days=6))
        assert planned, start
        for p in planned:
            assert CAL.is_office_hours(p.deliver_at), (start, p)
            assert p.at <= p.deliver_at, (start, p)
            assert p.deliver_at - p.at < timedelta(days=14), (start, p)
        reminders = [p for p in planned if p.kind == "reminder"]
        assert all(start < p.at < task.due_at for p in reminders), start
        assert [p.level for p in reminders] == sorted({p.level for p in reminders}), start
        assert [p.at for p in planned] == sorted(p.at for p in planned), start
        assert reminders, start  # always a warning before the breach


# ------------------------------------------------------------------------------------------
# due_now: idempotent, monotone, late after a downtime


TASKS = [
    a_task("2027-03-01T10:00", 1, task_id=1),
    a_task("2027-02-22T09:00", 10, task_id=2),
    a_task("2027-03-05T15:00", 1, step=4, task_id=3),
]


def test_due_now_gives_the_same_list_for_the_same_now() -> None:
    now = wib("2027-03-16T09:00")
    assert due_now(TASKS, CAL, POLICY, now) == due_now(TASKS, CAL, POLICY, now)


def test_due_now_only_grows_as_time_passes() -> None:
    before: set[str] = set()
    now = wib("2027-02-22T00:00")
    while now < wib("2027-03-20T00:00"):
        current = keys(due_now(TASKS, CAL, POLICY, now))
        assert before <= current, now
        before = current
        now += timedelta(minutes=47)
    assert len(before) == len(
        {(p.task_id, p.kind, p.level) for p in due_now(TASKS, CAL, POLICY, now)}
    )


def test_due_now_lists_every_task_in_time_order() -> None:
    planned = due_now(TASKS, CAL, POLICY, wib("2027-03-17T12:00"))
    assert [p.at for p in planned] == sorted(p.at for p in planned)
    assert {p.task_id for p in planned} == {1, 2, 3}


@pytest.mark.parametrize(
    ("now", "late"),
    [
        # on time: every notification handed out as it becomes due
        ("2027-03-02T08:45", {"reminder:1": False}),
        ("2027-03-02T08:59", {"reminder:1": False}),  # within the 15 minutes of grace
        ("2027-03-02T09:01", {"reminder:1": True}),
        # the deadline passed at closing: escalation 1 waits for the next opening, not late
        ("2027-03-02T16:05", {"escalation:1": False}),
        ("2027-03-03T07:40", {"escalation:1": False, "overdue:1": False}),
        # down from Monday evening to Thursday morning: what was missed is late, once
        (
            "2027-03-04T09:00",
            {
                "reminder:1": True,
                "reminder:2": True,
                "escalation:1": True,
                "overdue:1": True,
                "escalation:2": True,
                "overdue:2": True,
            },
        ),
        (
            "2027-03-04T07:35",
            {"escalation:2": False, "overdue:2": False, "overdue:1": True},
        ),
    ],
)
def test_catching_up_after_a_downtime_marks_late_only_what_is_past_the_grace(
    now: str, late: dict[str, bool]
) -> None:
    task = a_task("2027-03-01T10:00", 1)
    planned = {f"{p.kind}:{p.level}": p.late for p in due_now([task], CAL, POLICY, wib(now))}
    assert {k: planned[k] for k in late} == late
    assert set(late) <= set(planned)


@pytest.mark.parametrize("grace", [timedelta(0), timedelta(minutes=15), timedelta(hours=1)])
def test_late_means_delivered_more_than_the_grace_after_deliver_at(grace: timedelta) -> None:
    now = wib("2027-03-04T08:00")
    for p in due_now(TASKS, CAL, Policy(late_grace=grace), now):
        assert p.late == (p.deliver_at < now - grace)
        assert p.at <= now


def test_due_now_accepts_an_instant_in_another_time_zone() -> None:
    local = due_now(TASKS, CAL, POLICY, wib("2027-03-16T09:00"))
    utc = due_now(TASKS, CAL, POLICY, datetime(2027, 3, 16, 2, 0, tzinfo=UTC))
    assert local == utc


def test_the_outbox_key_names_task_kind_level_and_recipient() -> None:
    planned = schedule(
        a_task("2027-03-01T10:00", 1, task_id=42), CAL, POLICY, wib("2027-03-03T08:00")
    )
    assert [p.key(7) for p in planned] == [
        "task:42:reminder:1:7",
        "task:42:reminder:2:7",
        "task:42:escalation:1:7",
        "task:42:overdue:1:7",
    ]


def test_naive_instants_are_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        due_now(TASKS, CAL, POLICY, datetime(2027, 3, 16, 9, 0))


# ------------------------------------------------------------------------------------------
# Audiences


@pytest.mark.parametrize(
    ("kind", "level", "expected"),
    [
        ("reminder", 1, "assignees"),
        ("reminder", 3, "assignees"),
        ("overdue", 12, "assignees"),
        ("escalation", 1, "escalation1"),
        ("escalation", 2, "escalation2"),
    ],
)
def test_each_kind_and_level_has_its_audience(kind: Kind, level: int, expected: Audience) -> None:
    assert audience(kind, level) == expected


def test_an_escalation_beyond_level_2_has_no_audience() -> None:
    with pytest.raises(ValueError):
        audience("escalation", 3)


A, U, J, P, D = Role.ATASAN, Role.UTAMA, Role.PEJABAT, Role.PENDUKUNG, Role.ADMIN


@pytest.mark.parametrize(
    ("step", "aud", "expected"),
    [
        (1, "assignees", ((J, False),)),
        (2, "assignees", ((U, False),)),
        (3, "assignees", ((P, True),)),
        (4, "assignees", ((U, False),)),
        (5, "assignees", ((J, False),)),
        (1, "escalation1", ((A, False), (U, False))),
        (2, "escalation1", ((A, False), (J, False))),
        (3, "escalation1", ((U, False),)),
        (4, "escalation1", ((A, False), (J, False))),
        (5, "escalation1", ((A, False), (U, False))),
        *[(step, "escalation2", ((A, False), (D, False))) for step in range(1, 6)],
    ],
)
def test_audience_roles_follow_the_table(
    step: int, aud: Audience, expected: tuple[tuple[Role, bool], ...]
) -> None:
    assert audience_roles(step, aud) == expected


@pytest.mark.parametrize("step", sorted(STEPS))
def test_the_assignees_are_the_steps_actor(step: int) -> None:
    assert [role for role, _ in audience_roles(step, "assignees")] == [STEPS[step].actor]


def test_an_unknown_step_has_no_audience() -> None:
    with pytest.raises(ValueError, match="unknown step"):
        audience_roles(6, "assignees")


# ------------------------------------------------------------------------------------------
# The daily digest


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (wib("2027-03-01T07:29"), None),  # Monday, before opening
        (wib("2027-03-01T07:30"), date(2027, 3, 1)),
        (wib("2027-03-01T12:00"), date(2027, 3, 1)),
        (wib("2027-03-01T18:00"), date(2027, 3, 1)),
        (wib("2027-03-06T09:00"), None),  # Saturday
        (wib("2027-03-10T09:00"), None),  # Idul Fitri
        (datetime(2027, 3, 1, 0, 30, tzinfo=UTC), date(2027, 3, 1)),  # 07:30 WIB
        (datetime(2027, 2, 28, 23, 0, tzinfo=UTC), None),  # Monday 06:00 WIB
        (datetime(2027, 3, 1, 17, 0, tzinfo=UTC), None),  # Tuesday 00:00 WIB
    ],
)
def test_the_digest_is_due_on_working_days_from_the_opening(
    now: datetime, expected: date | None
) -> None:
    assert digest_day(CAL, now) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [(date(2027, 3, 1), wib("2027-03-01T07:30")), (date(2027, 3, 5), wib("2027-03-05T07:30"))],
)
def test_the_digest_is_delivered_at_the_days_opening(day: date, expected: datetime) -> None:
    assert digest_deliver_at(CAL, day) == expected


@pytest.mark.parametrize("day", [date(2027, 3, 6), date(2027, 3, 10)])
def test_a_day_off_has_no_digest(day: date) -> None:
    with pytest.raises(ValueError, match="not a working day"):
        digest_deliver_at(CAL, day)


# ------------------------------------------------------------------------------------------
# Recomputing after a calendar change


def test_an_added_local_holiday_moves_the_deadline_and_the_schedule() -> None:
    task = a_task("2027-03-01T10:00", 1)
    assert recompute_due(task, CAL) == task.due_at
    cal = Calendar(overrides=[Override(date(2027, 3, 2), "holiday", "Hari jadi Kota Pontianak")])
    moved = replace(task, due_at=recompute_due(task, cal))
    assert moved.due_at == wib("2027-03-03T16:00")
    assert rows(schedule(moved, cal, POLICY, until=wib("2027-03-04T08:00"))) == [
        ("reminder", 1, "2027-03-03 08:45", "2027-03-03 08:45"),
        ("reminder", 2, "2027-03-03 14:00", "2027-03-03 14:00"),
        ("escalation", 1, "2027-03-03 16:00", "2027-03-04 07:30"),
        ("overdue", 1, "2027-03-04 07:30", "2027-03-04 07:30"),
    ]


def test_an_extra_working_saturday_shortens_a_deadline_across_the_holidays() -> None:
    task = a_task("2027-03-05T15:00", 1)
    cal = Calendar(overrides=[Override(date(2027, 3, 6), "workday", "Pengganti cuti bersama")])
    assert recompute_due(task, cal) == wib("2027-03-06T16:00")


# ------------------------------------------------------------------------------------------
# The policy itself


@pytest.mark.parametrize(
    "kwargs",
    [
        {"short_hours_before": -1.0},
        {"short_hours_before": float("nan")},
        {"long_step_days": 0},
        {"long_days_before": (3, 0)},
        {"escalation2_after_days": -1},
        {"late_grace": timedelta(minutes=-1)},
    ],
)
def test_a_nonsensical_policy_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Policy(**kwargs)  # type: ignore[arg-type]


def test_long_reminder_days_are_kept_earliest_first() -> None:
    assert Policy(long_days_before=(1, 3, 3)).long_days_before == (3, 1)


def test_the_default_policy_describes_itself_in_indonesian() -> None:
    text = "\n".join(POLICY.describe())
    assert "2 jam kerja sebelum tenggat" in text
    assert "3 dan 1 hari kerja sebelum hari tenggat" in text
    assert "Eskalasi tingkat 2" in text
