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
