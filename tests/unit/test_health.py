"""The judgement of `health` (bot.health.evaluate): what counts as a problem at a given instant.
Notices are stuck only when they could have left inside office hours more than 10 minutes ago;
those held for people who cannot be reached are not stuck; backups must be fresh and not failed."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.health import evaluate
from bot.workdays import Calendar
from storage.health import DbFacts

WIB = ZoneInfo("Asia/Pontianak")
CAL = Calendar()
SHIPPED = set(range(1, 12))
# Monday 1 March 2027: office hours 07:30-16:00.
MON_0900 = datetime(2027, 3, 1, 9, 0, tzinfo=WIB)


def facts(now: datetime, **changes: object) -> DbFacts:
    """A healthy database at `now`: swept a minute ago, backed up last night."""
    base = DbFacts(migrations=sorted(SHIPPED), created_at=now - timedelta(days=30),
                   last_sweep=now - timedelta(minutes=1),
                   backup_ok_at=now - timedelta(hours=7), backup_failed_at=None,
                   backup_error=None)  # fmt: skip
    for name, value in changes.items():
        setattr(base, name, value)
    return base


def codes(f: DbFacts, now: datetime) -> list[str]:
    problems, _ = evaluate(f, CAL, now, SHIPPED)
    return [p.code for p in problems]


def test_a_bot_that_swept_a_minute_ago_with_a_fresh_backup_is_healthy() -> None:
    assert codes(facts(MON_0900), MON_0900) == []


def test_no_sweep_for_over_five_minutes_is_a_problem_and_never_swept_too() -> None:
    assert codes(facts(MON_0900, last_sweep=MON_0900 - timedelta(minutes=6)), MON_0900) == [
        "not_swept"
    ]
    assert codes(facts(MON_0900, last_sweep=None), MON_0900) == ["not_swept"]


def test_a_notice_due_eleven_minutes_ago_in_office_hours_is_stuck() -> None:
    waiting = [(MON_0900 - timedelta(minutes=11), None)]
    problems, details = evaluate(facts(MON_0900, waiting=waiting), CAL, MON_0900, SHIPPED)
    assert [p.code for p in problems] == ["notices_stuck"] and details["notices_stuck"] == 1
    assert "sejak 2027-03-01 08.49" in problems[0].message


def test_a_notice_queued_at_night_counts_from_the_opening_not_from_its_queueing() -> None:
    night = datetime(2027, 2, 26, 22, 0, tzinfo=WIB)  # Friday night
    opening = datetime(2027, 3, 1, 7, 30, tzinfo=WIB)
    soon, later = opening + timedelta(minutes=5), opening + timedelta(minutes=11)
    assert codes(facts(soon, waiting=[(night, None)]), soon) == []
    assert codes(facts(later, waiting=[(night, None)]), later) == ["notices_stuck"]


def test_nothing_is_stuck_outside_office_hours() -> None:
    evening = datetime(2027, 3, 1, 19, 0, tzinfo=WIB)
    f = facts(evening, waiting=[(MON_0900, None)])
    assert codes(f, evening) == []


def test_a_retry_planned_for_later_is_not_stuck_before_its_time() -> None:
    f = facts(MON_0900, waiting=[(MON_0900 - timedelta(hours=1), MON_0900 - timedelta(minutes=2))])
    assert codes(f, MON_0900) == []


def test_held_notices_are_counted_but_are_not_a_problem_while_failed_ones_are() -> None:
    _, details = evaluate(facts(MON_0900, held=3), CAL, MON_0900, SHIPPED)
    assert codes(facts(MON_0900, held=3), MON_0900) == [] and details["notices_held"] == 3
    assert codes(facts(MON_0900, failed=2), MON_0900) == ["notices_failed"]


def test_an_old_missing_or_failed_backup_is_a_problem() -> None:
    old = facts(MON_0900, backup_ok_at=MON_0900 - timedelta(days=2, minutes=1))
    assert codes(old, MON_0900) == ["backup_old"]
    none = facts(MON_0900, backup_ok_at=None)
    assert codes(none, MON_0900) == ["backup_none"]
    young = facts(MON_0900, backup_ok_at=None, created_at=MON_0900 - timedelta(hours=3))
    assert codes(young, MON_0900) == []
    failed = facts(MON_0900, backup_failed_at=MON_0900 - timedelta(hours=1), backup_error="disk")
    assert codes(failed, MON_0900) == ["backup_failed"]
    fixed = facts(MON_0900, backup_failed_at=MON_0900 - timedelta(days=1), backup_error="disk")
    assert codes(fixed, MON_0900) == []


def test_a_failed_integrity_check_and_a_newer_schema_are_problems() -> None:
    assert codes(facts(MON_0900, integrity="row 3 missing from index"), MON_0900) == ["integrity"]
    newer = facts(MON_0900, migrations=[*sorted(SHIPPED), 12])
    assert codes(newer, MON_0900) == ["schema_too_new"]
