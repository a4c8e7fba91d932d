"""When an exemption that expires is asked about, reminded and escalated; pure, clock passed in.

An exempt (`dikecualikan`) entry holds until its end date. Its decision (extend with a new
consequence test, or open it) is treated as a 10-working-day task that opens at the opening of the
10th working day before the end date (the "ask") and is due at the closing of the end date (of the
last working day on or before it): the reminders, escalations and daily overdue notices are the
ones `bot.reminders.schedule` plans for any long task, so the notification rules are one rule.

Who hears what: the ask, the reminders and the overdue notices go to the deciders (every PPID
Utama and the OPD's PPID Pendukung); escalation level 1 to the atasan; level 2 to the atasan and
the admins. Of what fell due for one audience, only the newest is queued: after a downtime a
person gets the notice that is true now, not the history of the ones missed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Final, Literal

from bot.reminders import OpenTask, Policy, schedule
from bot.sop import Role
from bot.workdays import Calendar

ASK_WORKDAYS: Final = 10
"""The deciders are asked this many working days before the end date."""

Audience = Literal["deciders", "escalation1", "escalation2"]
AUDIENCE_ROLES: Final[dict[Audience, tuple[tuple[Role, bool], ...]]] = {
    # (role, of the entry's OPD only)
    "deciders": ((Role.UTAMA, False), (Role.PENDUKUNG, True)),
    "escalation1": ((Role.ATASAN, False),),
    "escalation2": ((Role.ATASAN, False), (Role.ADMIN, False)),
}


@dataclass(frozen=True)
class ExemptNotice:
    """One notice about an exemption's decision: kind `ask`, `reminder`, `escalation` or
    `overdue`, its level, its policy instant and when it may be delivered."""

    kind: str
    level: int
    at: datetime
    deliver_at: datetime
    audience: Audience

    def key(self, entry_id: int, until: date, recipient_id: int) -> str:
        """Unique per exemption period: an extended exemption is asked about again."""
        return f"exempt:{entry_id}:{until.isoformat()}:{self.kind}:{self.level}:{recipient_id}"


def decision_window(until: date, cal: Calendar) -> tuple[datetime, datetime]:
    """(ask, due): the opening of the 10th working day before the end date's working day, and
    the closing of that working day (the end date itself when it is one)."""
    due_day = until if cal.is_workday(until) else cal.previous_workday(until)
    ask_day = due_day
    for _ in range(ASK_WORKDAYS):
        ask_day = cal.previous_workday(ask_day)
    ask = cal.office_instant(datetime.combine(ask_day, time(0), tzinfo=cal.tz))
    return ask, cal.due(ask, ASK_WORKDAYS)


def ask_date(until: date, cal: Calendar) -> date:
    """The day the deciders are asked (for the register and the report)."""
    return decision_window(until, cal)[0].date()


def _audience(kind: str, level: int) -> Audience:
    if kind == "escalation":
        return "escalation1" if level == 1 else "escalation2"
    return "deciders"


def plan(entry_id: int, until: date, cal: Calendar, policy: Policy) -> list[ExemptNotice]:
    """Every notice of the exemption's decision (up to the last daily overdue notice)."""
    ask, due = decision_window(until, cal)
    task = OpenTask(task_id=entry_id, case_id=0, step=3, sla_days=ASK_WORKDAYS,
                    started_at=ask, due_at=due)  # fmt: skip
    far = datetime.max.replace(tzinfo=cal.tz)
    notices = [ExemptNotice("ask", 0, ask, ask, "deciders")]
    notices += [
        ExemptNotice(p.kind, p.level, p.at, p.deliver_at, _audience(p.kind, p.level))
        for p in schedule(task, cal, policy, far)
    ]
    return notices


def due_now(
    entry_id: int, until: date, cal: Calendar, policy: Policy, now: datetime
) -> list[ExemptNotice]:
    """Of the notices whose time has come, the newest for the deciders and the newest
    escalation."""
    newest: dict[str, ExemptNotice] = {}
    for n in plan(entry_id, until, cal, policy):
        if n.at <= now:
            # Escalation 2 supersedes escalation 1: the atasan hears of it once at a time.
            newest["deciders" if n.audience == "deciders" else "escalation"] = n
    return list(newest.values())


def is_overdue(until: date, cal: Calendar, now: datetime) -> bool:
    return now > decision_window(until, cal)[1]


def is_asked(until: date, cal: Calendar, now: datetime) -> bool:
    return now >= decision_window(until, cal)[0]
