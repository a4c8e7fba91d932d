"""Repositories of what happened and what is pending: the audit trail, dialogs and the outbox."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from bot.models import AuditRecord
from storage.base import Repository, as_dict


class AuditRepository(Repository):
    """Append-only: the table's triggers refuse UPDATE and DELETE."""

    async def append(
        self,
        *,
        at: datetime,
        action: str,
        user_id: int | None = None,
        external_id: str | None = None,
        role: str | None = None,
        opd_id: int | None = None,
        case_id: int | None = None,
        step: int | None = None,
        outcome: str = "ok",
        note: str | None = None,
        message_id: str | None = None,
    ) -> None:
        await self._execute(
            "INSERT INTO audit (at, user_id, external_id, role, opd_id, case_id, step, action,"
            " outcome, note, message_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (at.isoformat(), user_id, external_id, role, opd_id, case_id, step, action, outcome,
             note, message_id),
        )  # fmt: skip

    async def for_case(self, case_id: int) -> list[AuditRecord]:
        rows = await self._all("SELECT * FROM audit WHERE case_id = ? ORDER BY id", (case_id,))
        return [AuditRecord(**as_dict(r)) for r in rows]

    async def all(self) -> list[AuditRecord]:
        return [
            AuditRecord(**as_dict(r)) for r in await self._all("SELECT * FROM audit ORDER BY id")
        ]


class DialogRepository(Repository):
    """What the bot waits for from each person; one pending input per person."""

    async def get(self, user_id: int) -> tuple[str, dict[str, Any]] | None:
        row = await self._one("SELECT kind, data FROM dialogs WHERE user_id = ?", (user_id,))
        return None if row is None else (row["kind"], json.loads(row["data"]))

    async def set(self, user_id: int, kind: str, data: dict[str, Any], now: datetime) -> None:
        await self._execute(
            "INSERT INTO dialogs (user_id, kind, data, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET kind = excluded.kind, data = excluded.data,"
            " updated_at = excluded.updated_at",
            (user_id, kind, json.dumps(data), now.isoformat()),
        )

    async def clear(self, user_id: int) -> bool:
        return await self._execute("DELETE FROM dialogs WHERE user_id = ?", (user_id,)) > 0


class OutboxRepository(Repository):
    async def enqueue(
        self, *, key: str, user_id: int, payload: dict[str, Any], now: datetime,
        not_before: datetime, skipped: str | None = None,
    ) -> bool:  # fmt: skip
        """Queue one notification; False (and nothing written) when its key was queued before.
        With `skipped`, the key is recorded as decided-but-not-sent, so it never goes out later."""
        return (
            await self._execute(
                "INSERT INTO outbox (key, user_id, payload, created_at, not_before, state,"
                " last_error) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                (
                    key,
                    user_id,
                    json.dumps(payload),
                    utc(now),
                    utc(not_before),
                    "skipped" if skipped else "pending",
                    skipped,
                ),
            )
            > 0
        )

    async def due(self, now: datetime, limit: int = 100) -> list[dict[str, Any]]:
        rows = await self._all(
            "SELECT o.*, u.chat_id, u.channel FROM outbox o JOIN users u ON u.id = o.user_id"
            " WHERE o.state = 'pending' AND o.not_before <= ?"
            " AND (o.next_try_at IS NULL OR o.next_try_at <= ?) ORDER BY o.id LIMIT ?",
            (utc(now), utc(now), limit),
        )
        return [as_dict(r) | {"payload": json.loads(r["payload"])} for r in rows]

    async def mark_sent(self, row_id: int, now: datetime) -> None:
        await self._execute(
            "UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1, in_flight_since = NULL"
            " WHERE id = ? AND state = 'pending'",
            (utc(now), row_id),
        )

    async def mark_part(self, row_id: int, parts_sent: int) -> None:
        """Remember that the first `parts_sent` parts of a notice were delivered."""
        await self._execute(
            "UPDATE outbox SET parts_sent = ?, in_flight_since = NULL WHERE id = ? AND parts_sent < ?",
            (parts_sent, row_id, parts_sent),
        )

    async def mark_in_flight(self, row_id: int, now: datetime) -> None:
        """A part is about to be handed to Telegram (cleared by any of the marks after it)."""
        await self._execute(
            "UPDATE outbox SET in_flight_since = ? WHERE id = ?", (utc(now), row_id)
        )

    async def uncertain(self) -> list[dict[str, Any]]:
        """Rows whose last part was handed over but never confirmed: a crash happened there."""
        rows = await self._all("SELECT * FROM outbox WHERE in_flight_since IS NOT NULL")
        return [as_dict(r) for r in rows]

    async def mark_skipped(self, row_id: int, reason: str) -> None:
        await self._execute(
            "UPDATE outbox SET state = 'skipped', last_error = ? WHERE id = ? AND state = 'pending'",
            (reason, row_id),
        )

    async def mark_retry(self, row_id: int, next_try: datetime, error: str) -> None:
        await self._execute(
            "UPDATE outbox SET attempts = attempts + 1, next_try_at = ?, last_error = ?, in_flight_since = NULL"
            " WHERE id = ?",
            (utc(next_try), error[:500], row_id),
        )

    async def mark_failed(self, row_id: int, error: str) -> None:
        await self._execute(
            "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?, in_flight_since = NULL"
            " WHERE id = ?",
            (error[:500], row_id),
        )

    async def drop_pending_of_task(self, task_id: int, kinds: tuple[str, ...]) -> int:
        """Forget the unsent notices of a task (its deadline moved; they are planned anew)."""
        patterns = [f"task:{task_id}:{kind}:%" for kind in kinds]
        where = " OR ".join("key LIKE ?" for _ in patterns)
        return await self._execute(
            f"DELETE FROM outbox WHERE state = 'pending' AND ({where})", patterns
        )

    async def retry(self, row_id: int) -> bool:
        """Queue a failed row again (an admin's decision)."""
        return (
            await self._execute(
                "UPDATE outbox SET state = 'pending', next_try_at = NULL, last_error = NULL"
                " WHERE id = ? AND state = 'failed'",
                (row_id,),
            )
            > 0
        )

    async def digest_decided(self, day: str, at: datetime) -> bool:
        """Record that the digest of `day` was decided; False when it already was."""
        return (
            await self._execute(
                "INSERT INTO digest_runs (day, at) VALUES (?, ?) ON CONFLICT (day) DO NOTHING",
                (day, at.isoformat()),
            )
            > 0
        )

    async def sent_rows(self) -> list[dict[str, Any]]:
        rows = await self._all("SELECT * FROM outbox WHERE state = 'sent' ORDER BY sent_at, id")
        return [as_dict(r) | {"payload": json.loads(r["payload"])} for r in rows]

    async def listing(
        self, states: tuple[str, ...] = ("pending", "failed")
    ) -> list[dict[str, Any]]:
        rows = await self._all(
            f"SELECT * FROM outbox WHERE state IN ({', '.join('?' for _ in states)}) ORDER BY id",
            states,
        )
        return [as_dict(r) for r in rows]

    async def count(self, state: str) -> int:
        row = await self._one("SELECT COUNT(*) FROM outbox WHERE state = ?", (state,))
        return int(row[0]) if row else 0


def utc(t: datetime) -> str:
    """Outbox instants are stored in UTC so that text order is time order, whatever the zone."""
    return t.astimezone(UTC).isoformat()


class MetaRepository(Repository):
    """Small facts about the running system (last sweep, ...)."""

    async def set(self, key: str, value: str) -> None:
        await self._execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    async def get(self, key: str) -> str | None:
        row = await self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])


class UpdateLogRepository(Repository):
    """The ids of updates already handled (kept for a while, then pruned)."""

    async def seen(self, update_ids: Iterable[int]) -> set[int]:
        """Those of `update_ids` already handled."""
        rows = await self._all_in(
            "SELECT update_id FROM processed_updates WHERE update_id IN ({ids})", update_ids
        )
        return {r[0] for r in rows}

    async def mark(self, update_id: int, now: datetime) -> None:
        await self._execute(
            "INSERT INTO processed_updates (update_id, at) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (update_id, now.isoformat()),
        )

    async def prune(self, keep: int = 10_000) -> None:
        await self._execute(
            "DELETE FROM processed_updates WHERE update_id <"
            " (SELECT MIN(update_id) FROM (SELECT update_id FROM processed_updates"
            " ORDER BY update_id DESC LIMIT ?))",
            (keep,),
        )
