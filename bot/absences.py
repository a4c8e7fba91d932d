"""Acting officials (Plh for an absence, Plt for a vacancy): who acts for whom on a given day. Pure.

The one rule that task assignment, the sweep, the dispatcher and the permission check of every
press ask: a person who is away gets nothing and may not act; their stand-in (of the same role,
and for a PPID Pendukung of the same OPD) gets what they would have got and acts on their behalf
("Z a.n. X"). A role with several holders simply skips an absent holder without a stand-in; when
nobody is left, the work is `uncovered` and the admins and the atasan are told at once.
Deadlines never move: they belong to the case, not to the person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.formatting import short_date
from bot.models import Away, User
from bot.sop import Role
from bot.texts import t
from bot.workflow import Refused

MAX_DAYS = 366  # an absence with an end date lasts at most a year; longer is a vacancy (Plt)
CHAIN = 5  # a stand-in who is away in turn hands on at most this far (and never in a circle)


@dataclass(frozen=True)
class Absence:
    """A person away from `starts` to `ends` (local dates, both included; None: until an admin
    ends it, a vacancy filled by a Plt), with the stand-in who acts for them, if any."""

    id: int
    user_id: int
    starts: date
    ends: date | None
    stand_in_id: int | None
    created_by: int | None
    created_at: datetime
    ended_at: datetime | None = None  # ended early (or withdrawn before it began)

    @property
    def open_ended(self) -> bool:
        return self.ends is None

    def covers(self, day: date) -> bool:
        if self.ended_at is not None:
            return False
        return self.starts <= day and (self.ends is None or day <= self.ends)

    def overlaps(self, starts: date, ends: date | None) -> bool:
        if self.ended_at is not None:
            return False
        return (ends is None or self.starts <= ends) and (self.ends is None or starts <= self.ends)


@dataclass(frozen=True)
class Routed:
    """One recipient of something meant for a role: `user`, acting also for `on_behalf` (the
    absent holders whose share reached them; empty when they receive it as themselves only)."""

    user: User
    on_behalf: tuple[int, ...] = ()


class Cover:
    """Who is away and who stands in for them on `day`; built from the absences in force and
    the people (by id, the inactive included: a deactivated stand-in receives nothing)."""

    def __init__(
        self, absences: Iterable[Absence], day: date, people: Mapping[int, User] | None = None
    ) -> None:
        self.day = day
        self.people: Mapping[int, User] = people or {}
        self._away: dict[int, Absence] = {}
        for a in absences:
            if a.covers(day):
                self._away[a.user_id] = a

    def absence(self, user_id: int) -> Absence | None:
        return self._away.get(user_id)

    def is_absent(self, user_id: int) -> bool:
        return user_id in self._away

    def acting(self, user_id: int) -> int | None:
        """Who acts for `user_id` today: themselves when present, else their stand-in (or the
        stand-in's, when that one is away too), None when nobody does."""
        seen = {user_id}
        current = user_id
        for _ in range(CHAIN):
            away = self._away.get(current)
            if away is None:
                return current
            if away.stand_in_id is None or away.stand_in_id in seen:
                return None
            current = away.stand_in_id
            seen.add(current)
        return None

    def represented(self, user_id: int) -> list[int]:
        """The absent people `user_id` acts for today (directly or down a chain)."""
        return sorted(a for a in self._away if a != user_id and self.acting(a) == user_id)

    def as_seen(self, user: User) -> User:
        """`user` as they stand today: with their absence (`User.away`) when they are away."""
        away = self._away.get(user.id)
        if away is None:
            return user if user.away is None else user.model_copy(update={"away": None})
        stand_in = self.people.get(away.stand_in_id) if away.stand_in_id else None
        return user.model_copy(
            update={"away": Away(until=away.ends, stand_in=stand_in.name if stand_in else None)}
        )

    def route(self, holders: Sequence[User]) -> list[Routed]:
        """Who receives what is meant for `holders` (the active holders of a role, for a PPID
        Pendukung of the case's OPD): present holders themselves, absent ones through their
        stand-in (active people only), each person once, by id. Empty: nobody covers it."""
        found: dict[int, tuple[User, set[int]]] = {}
        for h in holders:
            target = self.acting(h.id)
            person = h if target == h.id else self.people.get(target or 0)
            if person is None or not person.active:
                continue
            _, on_behalf = found.setdefault(person.id, (person, set()))
            if person.id != h.id:
                on_behalf.add(h.id)
        return [Routed(found[uid][0], tuple(sorted(found[uid][1]))) for uid in sorted(found)]


def until_text(ends: date | None) -> str:
    """An absence's last day, short ("tanpa batas (Plt)" for a vacancy)."""
    return short_date(ends) if ends is not None else t("absence-open-ended")


def same_post(a: User, b: User) -> bool:
    """Whether `b` may stand in for `a`: the same role, and for a PPID Pendukung the same OPD."""
    return a.role == b.role and (a.role != Role.PENDUKUNG or a.opd_id == b.opd_id)


def check_absence(
    person: User,
    starts: date,
    ends: date | None,
    stand_in: User | None,
    absences: Sequence[Absence],
    people: Mapping[int, User],
    today: date,
    *,
    by_admin: bool,
) -> None:
    """Whether an absence may be recorded; raises `Refused` with the reason in words.

    `absences`: those recorded (of everyone; ended ones are ignored); `people`: everyone by id."""
    if ends is None and not by_admin:
        raise Refused("refused-absence-open-ended")
    check_dates(starts, ends, today)
    mine = [a for a in absences if a.user_id == person.id and a.overlaps(starts, ends)]
    if mine:
        raise Refused("refused-absence-overlap", starts=short_date(mine[0].starts),
                      ends=until_text(mine[0].ends))  # fmt: skip
    covering = [a for a in absences if a.stand_in_id == person.id and a.overlaps(starts, ends)]
    if covering:
        other = people.get(covering[0].user_id)
        raise Refused("refused-absence-is-stand-in", name=other.name if other else "?",
                      starts=short_date(covering[0].starts),
                      ends=until_text(covering[0].ends))  # fmt: skip
    if stand_in is None:
        others = [p for p in people.values()
                  if p.active and p.id != person.id and same_post(person, p)]  # fmt: skip
        if not others:
            # The only holder of a role (or of an OPD's role): somebody must be able to act.
            raise Refused("refused-absence-only-holder")
        return
    if stand_in.id == person.id:
        raise Refused("refused-stand-in-self")
    if not stand_in.active:
        raise Refused("refused-stand-in-inactive")
    if not same_post(person, stand_in):
        raise Refused("refused-stand-in-role" if stand_in.role != person.role
                      else "refused-stand-in-opd")  # fmt: skip
    away = [a for a in absences if a.user_id == stand_in.id and a.overlaps(starts, ends)]
    if away:
        raise Refused("refused-stand-in-absent", name=stand_in.name,
                      starts=short_date(away[0].starts), ends=until_text(away[0].ends))  # fmt: skip


def check_dates(starts: date, ends: date | None, today: date) -> None:
    """The dates alone: not in the past, not ending before they start, at most a year (asked
    as soon as each date is typed, and again when the absence is recorded)."""
    if starts < today:
        raise Refused("refused-absence-past", today=short_date(today))
    if ends is not None and ends < starts:
        raise Refused("refused-absence-order", starts=short_date(starts))
    if ends is not None and (ends - starts).days >= MAX_DAYS:
        raise Refused("refused-absence-too-long", days=MAX_DAYS)


def uncovered_day(
    holders: Sequence[User],
    absences: Sequence[Absence],
    starts: date,
    ends: date | None,
) -> date | None:
    """The first day within [starts, ends] on which nobody among `holders` (nor a stand-in of
    theirs) can act, None when every day is covered. Coverage changes only where an absence
    starts or ends, so only those days are looked at."""
    last = ends or starts + timedelta(days=MAX_DAYS)
    days = {starts}
    for a in absences:
        for d in (a.starts, (a.ends + timedelta(days=1)) if a.ends else None):
            if d is not None and starts <= d <= last:
                days.add(d)
    for d in sorted(days):
        cover = Cover(absences, d)
        if not any(cover.acting(h.id) is not None for h in holders):
            return d
    return None


def returned(absences: Iterable[Absence], now: datetime) -> list[Absence]:
    """Absences that began and are over by `now` (in the office's zone): their end date passed,
    or they were ended early (one withdrawn before its first day never began: nobody is told
    anything). The day of an early end is the office's day, not the stored instant's (UTC)."""
    today = now.date()
    found = []
    for a in absences:
        if a.ended_at is not None:
            if a.starts <= a.ended_at.astimezone(now.tzinfo).date():
                found.append(a)
        elif a.starts <= today and a.ends is not None and a.ends < today:
            found.append(a)
    return found
