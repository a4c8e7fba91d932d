"""Notices to the administrators: one rule for queueing a notice to every admin, once per key,
through the outbox (so office hours apply and a restart loses nothing)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.reminders import next_delivery
from bot.sop import Role
from bot.workdays import Calendar
from storage.uow import UnitOfWork


async def notify_admins(
    uow: UnitOfWork,
    calendar: Calendar,
    now: datetime,
    key: str,
    payload: dict[str, Any],
    *,
    except_user: int | None = None,
) -> int:
    """Queue `payload` to every active admin (but `except_user`, the one it is about), inside
    the caller's unit of work; `key` makes it once ever per admin. Returns how many were new."""
    queued = 0
    for admin in await uow.users.with_role(Role.ADMIN):
        if admin.id == except_user:
            continue
        queued += await uow.outbox.enqueue(
            key=f"{key}:{admin.id}", user_id=admin.id, payload=payload, now=now,
            not_before=next_delivery(calendar, now),
        )  # fmt: skip
    return queued


async def tell_about_person(
    uow: UnitOfWork, calendar: Calendar, now: datetime, user_id: int, kind: str, key: str,
    reason: str | None = None,
) -> int:  # fmt: skip
    """Queue `kind` about a person to every other admin, once per `key` (a moment or a day:
    a failure is told once, not for every message it refuses)."""
    person = await uow.users.get(user_id)
    payload = {"kind": kind, "user_id": user_id, "reason_key": reason,
               "name": person.name if person else "?",
               "role": person.role.value if person else "admin"}  # fmt: skip
    return await notify_admins(uow, calendar, now, f"{kind}:{user_id}:{key}", payload,
                               except_user=user_id)  # fmt: skip


async def person_unreachable(
    uow: UnitOfWork, calendar: Calendar, now: datetime, user_id: int, reason: str
) -> int:
    """Their chat refuses messages for good: hold their notices and tell the admins, once per
    person (not per message)."""
    if await uow.users.mark_unreachable(user_id, now):
        return await tell_about_person(uow, calendar, now, user_id, "unreachable",
                                       now.isoformat(), reason)  # fmt: skip
    return 0


async def delivery_failed(uow: UnitOfWork, calendar: Calendar, now: datetime, user_id: int) -> int:
    """A notice to a person was refused for good (not for being unreachable): the admins are
    told once a day per person."""
    day = calendar.local(now).date().isoformat()
    return await tell_about_person(uow, calendar, now, user_id, "send_failed", day)
