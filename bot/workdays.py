"""The working-day calendar: working days, office hours and SOP deadlines for Pontianak.

Everything the bot knows about time at the office lives here: which dates are working days
(Monday to Friday, minus national holidays and cuti bersama, minus the admins' extra holidays,
plus their extra working days), when the office opens and closes on each of them (including
reduced Ramadan schedules), and the deadline rule of the SOP (see `Calendar.due`).

The module is pure: it does no I/O and never reads the clock. Every instant is passed in as an
aware `datetime`; naive datetimes are rejected, so results never depend on the time zone of the
machine. Every returned `datetime` is aware and expressed in the calendar's time zone.

A `Calendar` is immutable: when an admin changes the overrides, build a new one.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from types import MappingProxyType
from typing import Literal, get_args
from zoneinfo import ZoneInfo

import holidays

__all__ = [
    "DEFAULT_TZ",
    "WEEKDAY_NAMES",
    "Calendar",
    "OfficeDay",
    "OfficeHours",
    "Override",
    "OverrideKind",
    "SpecialHours",
    "indonesian_holiday_name",
]

DEFAULT_TZ = "Asia/Pontianak"
"""The office's IANA time zone (WIB, UTC+7)."""

WEEKDAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Canonical short day names, indexed by `date.weekday()` (0 = Monday)."""

OverrideKind = Literal["holiday", "workday"]

# How far the calendar looks for a working day before it gives up (a misconfigured `national`
# callback could otherwise make every search loop forever).
_MAX_SEARCH_YEARS = 10

# Accepted spellings of day names in `OfficeHours.parse`: English and Indonesian.
_DAY_ALIASES: dict[str, int] = {
    "mon": 0, "monday": 0, "sen": 0, "senin": 0,
    "tue": 1, "tues": 1, "tuesday": 1, "sel": 1, "selasa": 1,
    "wed": 2, "wednesday": 2, "rab": 2, "rabu": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "kam": 3, "kamis": 3,
    "fri": 4, "friday": 4, "jum": 4, "jumat": 4, "jum'at": 4,
    "sat": 5, "saturday": 5, "sab": 5, "sabtu": 5,
    "sun": 6, "sunday": 6, "min": 6, "minggu": 6, "ahad": 6,
}  # fmt: skip

_TIME_RE = re.compile(r"^(\d{1,2})[:.](\d{2})$")


# --------------------------------------------------------------------------------------------
# National holidays


@cache
def _indonesian_holidays(year: int) -> Mapping[date, str]:
    """National holidays and cuti bersama of one year, with their Indonesian names."""
    table = holidays.country_holidays(
        "ID", categories=("public", "government"), language="id", years=year
    )
    return MappingProxyType({d: str(name) for d, name in table.items() if d.year == year})


def indonesian_holiday_name(d: date) -> str | None:
    """The Indonesian name of the national holiday or cuti bersama on `d`, else None.

    Both categories of the `holidays` package are used: "public" (national holidays) and
    "government" (cuti bersama); the default category alone misses cuti bersama. Each year is
    loaded once, on first use, and cached for the life of the process.
    """
    return _indonesian_holidays(d.year).get(d)


# --------------------------------------------------------------------------------------------
# Office hours


def _hhmm(t: time) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


@dataclass(frozen=True)
class OfficeDay:
    """Opening and closing time of one day, as local wall-clock times (whole minutes)."""

    opens: time
    closes: time

    def __post_init__(self) -> None:
        for label, value in (("opening", self.opens), ("closing", self.closes)):
            if not isinstance(value, time):
                raise TypeError(f"{label} time must be a datetime.time, got {value!r}")
            if value.tzinfo is not None:
                raise ValueError(f"{label} time {value} must be a wall-clock time without tzinfo")
            if value.second or value.microsecond:
                raise ValueError(f"{label} time {value} must be a whole minute")
        if self.closes <= self.opens:
            raise ValueError(
                f"office closes at {_hhmm(self.closes)}, which is not after it opens at "
                f"{_hhmm(self.opens)}"
            )

    @property
    def duration(self) -> timedelta:
        """Length of the office day."""
        return datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)

    def format(self) -> str:
        """`07:30-16:00`."""
        return f"{_hhmm(self.opens)}-{_hhmm(self.closes)}"


def _parse_time(text: str, clause: str) -> time:
    match = _TIME_RE.match(text.strip())
    if match is None:
        raise ValueError(f"invalid time '{text.strip()}' in '{clause}' (use HH:MM, e.g. 07:30)")
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise ValueError(f"invalid time '{text.strip()}' in '{clause}' (use HH:MM, e.g. 07:30)")
    return time(hour, minute)


def _parse_day(name: str, clause: str) -> int:
    key = name.strip().lower()
    if key not in _DAY_ALIASES:
        shown = name.strip() or "(empty)"
        raise ValueError(f"unknown day '{shown}' in '{clause}' (use {', '.join(WEEKDAY_NAMES)})")
    return _DAY_ALIASES[key]


def _parse_days(text: str, clause: str) -> list[int]:
    days: list[int] = []
    for item in text.split(","):
        first, dash, last = item.partition("-")
        if not dash:
            days.append(_parse_day(item, clause))
            continue
        lo, hi = _parse_day(first, clause), _parse_day(last, clause)
        if hi < lo:
            raise ValueError(
                f"day range '{item.strip()}' in '{clause}' runs backwards (write it Monday first)"
            )
        days.extend(range(lo, hi + 1))
    return days


def _runs(weekdays: list[int]) -> Iterator[tuple[int, int]]:
    """Maximal runs of consecutive weekdays in a sorted list, as (first, last)."""
    start = prev = weekdays[0]
    for wd in weekdays[1:]:
        if wd != prev + 1:
            yield start, prev
            start = wd
        prev = wd
    yield start, prev


@dataclass(frozen=True)
class OfficeHours:
    """Weekly office hours: weekday (0 = Monday .. 6 = Sunday) -> hours; missing = closed.

    Office hours say when a working day opens and closes; which dates are working days is the
    `Calendar`'s business (Monday to Friday, holidays, overrides), not theirs.
    """

    days: Mapping[int, OfficeDay]

    def __post_init__(self) -> None:
        copied = dict(self.days)
        if not copied:
            raise ValueError("office hours need at least one open day")
        for weekday, hours in copied.items():
            if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
                raise ValueError(
                    f"weekday must be an int from 0 (Monday) to 6 (Sunday), got {weekday!r}"
                )
            if not isinstance(hours, OfficeDay):
                raise TypeError(f"hours of weekday {weekday} must be an OfficeDay, got {hours!r}")
        object.__setattr__(self, "days", MappingProxyType(dict(sorted(copied.items()))))

    def __hash__(self) -> int:
        return hash(tuple(self.days.items()))

    @classmethod
    def default(cls) -> OfficeHours:
        """Perpres 21/2023 (37.5 hours a week): Mon-Thu 07:30-16:00, Fri 07:30-16:30."""
        regular = OfficeDay(time(7, 30), time(16, 0))
        return cls(
            {
                0: regular,
                1: regular,
                2: regular,
                3: regular,
                4: OfficeDay(time(7, 30), time(16, 30)),
            }
        )

    @classmethod
    def parse(cls, spec: str) -> OfficeHours:
        """Parse admin-friendly text such as `mon-thu 07:30-16:00; fri 07:30-16:30`.

        Clauses are separated by `;` or new lines. Each clause is a list of days followed by a
        time range: days are `mon tue wed thu fri sat sun` (case-insensitive; full English names
        and Indonesian names such as `senin` or `jum` are accepted too), joined by `,` and
        forming ranges with `-` (`mon-thu`, `mon,wed`, `mon-wed,fri`); times are `HH:MM` (or
        `HH.MM`). A day may appear only once. Raises ValueError with a one-line English message
        on bad input.
        """
        days: dict[int, OfficeDay] = {}
        for raw in re.split(r"[;\n]", spec):
            clause = " ".join(raw.split())
            if not clause:
                continue
            digit = re.search(r"\d", clause)
            if digit is None:
                raise ValueError(
                    f"missing hours in '{clause}' (expected e.g. 'mon-thu 07:30-16:00')"
                )
            day_text, time_text = clause[: digit.start()], clause[digit.start() :]
            if not day_text.strip():
                raise ValueError(
                    f"missing days before '{clause}' (expected e.g. 'mon-thu 07:30-16:00')"
                )
            parts = time_text.split("-")
            if len(parts) != 2:
                raise ValueError(
                    f"expected one time range like 07:30-16:00 in '{clause}', got '{time_text}'"
                )
            opens, closes = _parse_time(parts[0], clause), _parse_time(parts[1], clause)
            if closes <= opens:
                raise ValueError(
                    f"closing time {_hhmm(closes)} is not after opening time {_hhmm(opens)} "
                    f"in '{clause}'"
                )
            hours = OfficeDay(opens, closes)
            for weekday in _parse_days(day_text, clause):
                if weekday in days:
                    raise ValueError(
                        f"day '{WEEKDAY_NAMES[weekday]}' is given twice in '{spec.strip()}'"
                    )
                days[weekday] = hours
        if not days:
            raise ValueError(
                "no office hours given (expected e.g. 'mon-thu 07:30-16:00; fri 07:30-16:30')"
            )
        return cls(days)

    def format(self) -> str:
        """Compact text that `parse` reads back: `mon-thu 07:30-16:00; fri 07:30-16:30`."""
        groups: dict[OfficeDay, list[int]] = {}
        for weekday, hours in self.days.items():  # sorted by weekday
            groups.setdefault(hours, []).append(weekday)
        clauses: list[str] = []
        for hours, weekdays in groups.items():
            names = [
                WEEKDAY_NAMES[a] if a == b else f"{WEEKDAY_NAMES[a]}-{WEEKDAY_NAMES[b]}"
                for a, b in _runs(weekdays)
            ]
            clauses.append(f"{','.join(names)} {hours.format()}")
        return "; ".join(clauses)

    def for_weekday(self, weekday: int) -> OfficeDay | None:
        """Hours of that weekday (0 = Monday), None when the office is closed on it."""
        return self.days.get(weekday)

    def _for_working_day(self, weekday: int) -> OfficeDay:
        """Hours of a working day: its weekday's, else Monday's, else the first open day's."""
        return self.days.get(weekday) or self.days.get(0) or next(iter(self.days.values()))


@dataclass(frozen=True)
class SpecialHours:
    """A period with other office hours, e.g. Ramadan 2026: Mon-Thu 07:15-14:15, Fri 07:15-14:45."""

    start: date
    end: date  # inclusive
    hours: OfficeHours

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(
                f"special hours period ends ({self.end}) before it starts ({self.start})"
            )

    def covers(self, d: date) -> bool:
        """Whether `d` lies in the period (both ends included)."""
        return self.start <= d <= self.end


@dataclass(frozen=True)
class Override:
    """An admin's calendar override: an extra holiday or an extra working day."""

    day: date
    kind: OverrideKind
    name: str

    def __post_init__(self) -> None:
        if self.kind not in get_args(OverrideKind):
            raise ValueError(f"override kind must be 'holiday' or 'workday', got {self.kind!r}")


# --------------------------------------------------------------------------------------------
# The calendar


class Calendar:
    """Working days, office hours and deadlines in one time zone.

    Working days are Monday to Friday, minus national holidays and cuti bersama (`national`),
    minus the overrides of kind "holiday", plus the overrides of kind "workday" (which may fall
    on any day, e.g. a Saturday). When two overrides name the same day, the last one wins.
    Every working day has office hours (see `hours_on`). Instants are half-open: the office is
    open from opening (included) to closing (excluded).
    """

    def __init__(
        self,
        tz: str | ZoneInfo = DEFAULT_TZ,
        hours: OfficeHours | None = None,
        overrides: Iterable[Override] = (),
        special_hours: Iterable[SpecialHours] = (),
        national: Callable[[date], str | None] | None = None,
    ) -> None:
        self.tz: ZoneInfo = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        self.hours: OfficeHours = hours if hours is not None else OfficeHours.default()
        self.overrides: Mapping[date, Override] = MappingProxyType({o.day: o for o in overrides})
        self.special_hours: tuple[SpecialHours, ...] = tuple(special_hours)
        self._national: Callable[[date], str | None] = (
            national if national is not None else indonesian_holiday_name
        )
        # year -> sorted ordinals of that year's working days
        self._workdays: dict[int, list[int]] = {}

    def __repr__(self) -> str:
        return (
            f"Calendar(tz={self.tz.key!r}, hours={self.hours.format()!r}, "
            f"overrides={len(self.overrides)}, special_hours={len(self.special_hours)})"
        )

    # -- days ---------------------------------------------------------------------------------

    def holiday_name(self, d: date) -> str | None:
        """The override holiday's name, else the national one's; None on an extra working day."""
        override = self.overrides.get(d)
        if override is not None:
            return override.name if override.kind == "holiday" else None
        return self._national(d)

    def is_workday(self, d: date) -> bool:
        """Whether `d` is a working day."""
        override = self.overrides.get(d)
        if override is not None:
            return override.kind == "workday"
        return d.weekday() < 5 and self._national(d) is None

    def hours_on(self, d: date) -> OfficeDay | None:
        """Office hours of `d`, None when it is not a working day.

        A special-hours period covering `d` comes first (the first one given, if they overlap),
        then the regular hours. A working day whose weekday has no configured hours (e.g. an
        extra working day on a Saturday) uses Monday's hours of that schedule, or its first
        open day's when Monday is not configured.
        """
        if not self.is_workday(d):
            return None
        for period in self.special_hours:
            if period.covers(d):
                return period.hours._for_working_day(d.weekday())
        return self.hours._for_working_day(d.weekday())

    def non_working_weekdays(self, year: int) -> list[tuple[date, str]]:
        """Monday-to-Friday dates of `year` that are not working days, with their names."""
        result: list[tuple[date, str]] = []
        d = date(year, 1, 1)
        while d.year == year:
            if d.weekday() < 5 and not self.is_workday(d):
                result.append((d, self.holiday_name(d) or ""))
            d += timedelta(days=1)
        return result

    def _workdays_of(self, year: int) -> list[int]:
        days = self._workdays.get(year)
        if days is None:
            first = date(year, 1, 1).toordinal()
            last = date(year, 12, 31).toordinal()
            days = [n for n in range(first, last + 1) if self.is_workday(date.fromordinal(n))]
            self._workdays[year] = days
        return days

    def nth_workday_after(self, d: date, n: int) -> date:
        """The `n`-th working day after `d` (`d` itself never counts); n >= 1."""
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        year = d.year
        days = self._workdays_of(year)
        i = bisect_right(days, d.toordinal())
        while i + n > len(days):
            n -= len(days) - i
            year += 1
            if year > d.year + _MAX_SEARCH_YEARS:
                raise ValueError(
                    f"not enough working days within {_MAX_SEARCH_YEARS} years after {d}"
                )
            days, i = self._workdays_of(year), 0
        return date.fromordinal(days[i + n - 1])

    def workdays_after(self, d: date) -> Iterator[date]:
        """The working days after `d` (`d` itself never counts), in order: one walk where
        `nth_workday_after(d, 1)`, `(d, 2)`, ... would search afresh for each."""
        year = d.year
        days = self._workdays_of(year)
        i = bisect_right(days, d.toordinal())
        while year <= d.year + _MAX_SEARCH_YEARS:
            for ordinal in days[i:]:
                yield date.fromordinal(ordinal)
            year += 1
            days, i = self._workdays_of(year), 0

    def previous_workday(self, d: date) -> date:
        """The last working day before `d`."""
        year = d.year
        days = self._workdays_of(year)
        i = bisect_left(days, d.toordinal())
        while i == 0:
            year -= 1
            if year < d.year - _MAX_SEARCH_YEARS:
                raise ValueError(f"no working day within {_MAX_SEARCH_YEARS} years before {d}")
            days = self._workdays_of(year)
            i = len(days)
        return date.fromordinal(days[i - 1])

    def workdays_between(self, a: date, b: date) -> int:
        """Number of working days d with a < d <= b (0 when b <= a)."""
        if b <= a:
            return 0
        a_ord, b_ord = a.toordinal(), b.toordinal()
        total = 0
        for year in range(a.year, b.year + 1):
            days = self._workdays_of(year)
            total += bisect_right(days, b_ord) - bisect_right(days, a_ord)
        return total

    # -- instants -----------------------------------------------------------------------------

    def local(self, t: datetime) -> datetime:
        """`t` in the calendar's time zone. Naive datetimes are rejected: callers localize."""
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError(f"naive datetime {t.isoformat()} rejected: pass an aware datetime")
        return t.astimezone(self.tz)

    def _interval(self, d: date) -> tuple[datetime, datetime] | None:
        """Opening and closing instants of `d`, None when it is not a working day."""
        hours = self.hours_on(d)
        if hours is None:
            return None
        return (
            datetime.combine(d, hours.opens, tzinfo=self.tz),
            datetime.combine(d, hours.closes, tzinfo=self.tz),
        )

    def _open_interval(self, d: date) -> tuple[datetime, datetime]:
        interval = self._interval(d)
        if interval is None:  # pragma: no cover - callers pass working days only
            raise AssertionError(f"{d} is not a working day")
        return interval

    def is_office_hours(self, t: datetime) -> bool:
        """Whether opening <= local time < closing on a working day."""
        lt = self.local(t)
        hours = self.hours_on(lt.date())
        return hours is not None and hours.opens <= lt.time() < hours.closes

    def next_opening(self, t: datetime) -> datetime:
        """The first opening instant strictly after `t` (even when `t` is inside office hours)."""
        lt = self.local(t)
        d = lt.date()
        interval = self._interval(d)
        if interval is not None and interval[0] > lt:
            return interval[0]
        return self._open_interval(self.nth_workday_after(d, 1))[0]

    def office_instant(self, t: datetime) -> datetime:
        """`t` itself when it is inside office hours, else the next opening.

        This is when something that happens at `t` can first be acted on at the office, e.g.
        when a reminder computed for the night is delivered.
        """
        lt = self.local(t)
        if self.is_office_hours(lt):
            return lt
        return self.next_opening(lt)

    def due(self, start: datetime, days: int) -> datetime:
        """Deadline of a step handed over at `start` with an SLA of `days` working days.

        DOMAIN.md rule: office closing time on the `days`-th working day after `start`'s local
        calendar date. The hand-over day itself never counts, even when the hand-over happens
        before opening; a hand-over on a weekend or holiday counts from the next working day.
        """
        if days < 1:
            raise ValueError(f"an SLA needs at least 1 working day, got {days}")
        day = self.nth_workday_after(self.local(start).date(), days)
        return self._open_interval(day)[1]

    def office_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Office time elapsed from `a` to `b`; negative when `b` is before `a`."""
        la, lb = self.local(a), self.local(b)
        if lb < la:
            return -self.office_time_between(lb, la)
        total = timedelta(0)
        d, last = la.date(), lb.date()
        if not self.is_workday(d):
            d = self.nth_workday_after(d, 1)
        while d <= last:
            opens, closes = self._open_interval(d)
            lo, hi = max(opens, la), min(closes, lb)
            if hi > lo:
                total += hi - lo
            d = self.nth_workday_after(d, 1)
        return total

    def add_office_time(self, t: datetime, delta: timedelta) -> datetime:
        """Walk `delta` of office time forward from `t`, skipping nights, weekends and holidays.

        Precisely: the earliest instant u >= t with `office_time_between(t, u) == delta`, so a
        walk that ends exactly at a closing returns that closing, and a zero delta returns `t`.
        A negative delta walks backwards (see `before_due`).
        """
        lt = self.local(t)
        if delta < timedelta(0):
            return self._walk_back(lt, -delta)
        if delta == timedelta(0):
            return lt
        remaining = delta
        d = lt.date()
        if not self.is_workday(d):
            d = self.nth_workday_after(d, 1)
        while True:
            opens, closes = self._open_interval(d)
            start = max(opens, lt)
            if start < closes:
                available = closes - start
                if remaining <= available:
                    return start + remaining
                remaining -= available
            d = self.nth_workday_after(d, 1)

    def before_due(self, due: datetime, hours: float) -> datetime:
        """The instant `hours` office hours before `due`, walking back through office time only.

        Precisely: the latest instant u <= due with `office_time_between(u, due)` equal to
        `hours`. For hours > 0 it always lies inside office hours (a walk that ends exactly at a
        day's boundary ends at its opening), so a reminder scheduled there can be sent at once.
        """
        if hours < 0:
            raise ValueError(f"hours must not be negative, got {hours}")
        return self._walk_back(self.local(due), timedelta(hours=hours))

    def _walk_back(self, lt: datetime, delta: timedelta) -> datetime:
        if delta == timedelta(0):
            return lt
        remaining = delta
        d = lt.date()
        if not self.is_workday(d):
            d = self.previous_workday(d)
        while True:
            opens, closes = self._open_interval(d)
            end = min(closes, lt)
            if end > opens:
                available = end - opens
                if remaining <= available:
                    return end - remaining
                remaining -= available
            d = self.previous_workday(d)
