"""Repositories of what happened and what is pending: the audit trail, dialogs and the outbox."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.models import AuditRecord, DueNotice, OutboxRow
from storage.base import IN_CHUNK, Repository, as_dict, instant, marks
from storage.engine import Row


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
        acting_for: int | None = None,
    ) -> None:
        await self._execute(
            "INSERT INTO audit (at, user_id, external_id, role, opd_id, case_id, step, action,"
            " outcome, note, message_id, acting_for) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (instant(at), user_id, external_id, role, opd_id, case_id, step, action, outcome,
             note, message_id, acting_for),
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
            (user_id, kind, json.dumps(data), instant(now)),
        )

    async def clear(self, user_id: int) -> bool:
        return await self._execute("DELETE FROM dialogs WHERE user_id = ?", (user_id,)) > 0

    async def end(self, user_id: int, kind: str) -> bool:
        """End the person's question of `kind`, answered now; False when it is no longer
        pending (answered already, on another instance too: that one's delete went first)."""
        return (
            await self._execute(
                "DELETE FROM dialogs WHERE user_id = ? AND kind = ?", (user_id, kind)
            )
            > 0
        )


@dataclass(frozen=True)
class Queued:
    """One notification to queue (see `OutboxRepository.enqueue_many`)."""

    key: str
    user_id: int
    payload: dict[str, Any]
    not_before: datetime


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

    async def add_on_behalf(self, key: str, user_id: int) -> None:
        """A pending notice now also reaches its person on behalf of `user_id` (an absent
        colleague's copy of the same notice was forwarded to them)."""
        row = await self._one(
            "SELECT payload FROM outbox WHERE key = ? AND state = 'pending'", (key,)
        )
        if row is None:
            return
        payload = json.loads(row["payload"])
        payload["for"] = sorted({*payload.get("for", []), user_id})
        await self._execute(
            "UPDATE outbox SET payload = ? WHERE key = ?", (json.dumps(payload), key)
        )

    async def enqueue_many(self, items: Iterable[Queued], now: datetime) -> int:
        """Queue many notifications in one statement; returns how many keys were new."""
        return await self._execute_many(
            "INSERT INTO outbox (key, user_id, payload, created_at, not_before)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
            [(q.key, q.user_id, json.dumps(q.payload), utc(now), utc(q.not_before)) for q in items],
        )

    # A row is due when it is pending, its time has come, and its person can be written to: a
    # person out of reach (or with no chat) holds their rows until they write again.
    _DUE = (
        "SELECT o.*, u.chat_id, u.channel, u.last_seen_at FROM outbox o"
        " JOIN users u ON u.id = o.user_id"
        " WHERE o.state = 'pending' AND o.not_before <= ?"
        " AND (o.next_try_at IS NULL OR o.next_try_at <= ?)"
        " AND u.chat_id IS NOT NULL AND u.unreachable_since IS NULL"
    )

    async def due(
        self, now: datetime, limit: int = 100, held: Iterable[str] = (),
        held_after: datetime | None = None,
    ) -> list[DueNotice]:  # fmt: skip
        """Due rows by id; with `held_after`, rows of the `held` kinds whose time came after it
        wait (see `Dispatcher.run_once`)."""
        kinds = sorted(set(held))
        sql, params = self._DUE, [utc(now), utc(now)]
        if kinds and held_after is not None:
            sql += (
                f" AND ({self._json('o.payload', 'kind')} NOT IN ({marks(kinds)})"
                " OR o.not_before <= ?)"
            )
            params += [*kinds, utc(held_after)]
        rows = await self._all(f"{sql} ORDER BY o.id LIMIT ?", (*params, limit))
        return [DueNotice(**_fields(r)) for r in rows]

    async def due_of_user(
        self, user_id: int, now: datetime, kinds: Iterable[str], held_after: datetime | None = None
    ) -> list[DueNotice]:
        """Every due row of one person whose payload kind is among `kinds` (or that was held
        while they could not be reached), by id; with `held_after`, only those whose time came
        by then."""
        wanted = sorted(set(kinds))
        until = utc(now) if held_after is None else min(utc(now), utc(held_after))
        rows = await self._all(
            f"{self._DUE} AND o.user_id = ? AND o.not_before <= ?"
            f" AND ({self._json('o.payload', 'kind')} IN ({marks(wanted)})"
            f" OR {self._json_true('o.payload', 'held')}) ORDER BY o.id",
            (utc(now), utc(now), user_id, until, *wanted),
        )
        return [DueNotice(**_fields(r)) for r in rows]

    async def of_bundle(self, bundle_id: int, user_id: int) -> list[OutboxRow]:
        """The rows one bundle message carried to `user_id` (none for anyone else)."""
        rows = await self._all(
            "SELECT * FROM outbox WHERE bundle_id = ? AND user_id = ? ORDER BY id",
            (bundle_id, user_id),
        )
        return [OutboxRow(**_fields(r)) for r in rows]

    async def of_user(self, row_id: int, user_id: int) -> OutboxRow | None:
        """One row, if it was queued for `user_id` (None for anyone else)."""
        row = await self._one(
            "SELECT * FROM outbox WHERE id = ? AND user_id = ?", (row_id, user_id)
        )
        return None if row is None else OutboxRow(**_fields(row))

    async def mark_sent(self, row_id: int, now: datetime) -> None:
        await self.mark_sent_many([row_id], now)

    async def mark_sent_many(
        self, row_ids: Sequence[int], now: datetime, bundle_id: int | None = None
    ) -> None:
        await self._execute_ids(
            "UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1,"
            " in_flight_since = NULL, bundle_id = ? WHERE state = 'pending' AND id IN ({ids})",
            (utc(now), bundle_id),
            row_ids,
        )

    async def mark_part(self, row_id: int, parts_sent: int) -> None:
        """Remember that the first `parts_sent` parts of a notice were delivered."""
        await self._execute(
            "UPDATE outbox SET parts_sent = ?, in_flight_since = NULL WHERE id = ? AND parts_sent < ?",
            (parts_sent, row_id, parts_sent),
        )

    async def mark_in_flight(self, row_id: int, now: datetime) -> None:
        """A part is about to be handed to Telegram (cleared by any of the marks after it)."""
        await self.mark_in_flight_many([row_id], now)

    async def mark_in_flight_many(self, row_ids: Sequence[int], now: datetime) -> None:
        await self._execute_ids(
            "UPDATE outbox SET in_flight_since = ? WHERE id IN ({ids})", (utc(now),), row_ids
        )

    async def uncertain(self) -> list[OutboxRow]:
        """Rows whose last part was handed over but never confirmed: a crash happened there."""
        rows = await self._all("SELECT * FROM outbox WHERE in_flight_since IS NOT NULL")
        return [OutboxRow(**_fields(r)) for r in rows]

    async def mark_skipped(self, row_id: int, reason: str) -> None:
        await self.mark_skipped_many([row_id], reason)

    async def mark_skipped_many(self, row_ids: Sequence[int], reason: str) -> None:
        await self._execute_ids(
            "UPDATE outbox SET state = 'skipped', last_error = ?, in_flight_since = NULL"
            " WHERE state = 'pending' AND id IN ({ids})",
            (reason,),
            row_ids,
        )

    async def mark_retry(self, row_id: int, next_try: datetime, error: str) -> None:
        await self.mark_retry_many([row_id], next_try, error)

    async def mark_retry_many(self, row_ids: Sequence[int], next_try: datetime, error: str) -> None:
        await self._execute_ids(
            "UPDATE outbox SET attempts = attempts + 1, next_try_at = ?, last_error = ?,"
            " in_flight_since = NULL WHERE id IN ({ids})",
            (utc(next_try), error[:500]),
            row_ids,
        )

    async def mark_failed(self, row_id: int, error: str) -> None:
        await self.mark_failed_many([row_id], error)

    async def mark_failed_many(self, row_ids: Sequence[int], error: str) -> None:
        await self._execute_ids(
            "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?,"
            " in_flight_since = NULL WHERE id IN ({ids})",
            (error[:500],),
            row_ids,
        )

    async def mark_brief_many(self, row_ids: Sequence[int], error: str) -> None:
        """Send these again as their template, at once: the platform refused the free text
        (the person's window had closed after all)."""
        await self._execute_ids(
            "UPDATE outbox SET state = 'pending', brief = 1, next_try_at = NULL, last_error = ?,"
            " in_flight_since = NULL, parts_sent = 0 WHERE state = 'sent' AND id IN ({ids})",
            (error[:500],),
            row_ids,
        )

    async def requeue_many(self, row_ids: Sequence[int], next_try: datetime, error: str) -> None:
        """Send these again (all their parts) at `next_try`: the platform accepted them, then
        reported that they failed for a reason that may pass."""
        await self._execute_ids(
            "UPDATE outbox SET state = 'pending', attempts = attempts + 1, next_try_at = ?,"
            " last_error = ?, in_flight_since = NULL, parts_sent = 0"
            " WHERE state = 'sent' AND id IN ({ids})",
            (utc(next_try), error[:500]),
            row_ids,
        )

    async def release_held(self, user_id: int) -> int:
        """A person can be reached again: queue their failed rows again, and mark their held
        hand-overs to leave with their other notices as one summary (`held`)."""
        return await self._execute(
            "UPDATE outbox SET state = 'pending', next_try_at = NULL, last_error = NULL, brief = 0,"
            f" payload = CASE WHEN {self._json('payload', 'kind')} = 'handover'"
            f" THEN {self._json_with_true('payload', 'held')} ELSE payload END"
            " WHERE user_id = ? AND state IN ('pending', 'failed')",
            (user_id,),
        )

    async def skip_pending_of(self, user_id: int, reason: str) -> int:
        """Give up a person's queued notices (they were deactivated)."""
        return await self._execute(
            "UPDATE outbox SET state = 'skipped', last_error = ?"
            " WHERE user_id = ? AND state = 'pending'",
            (reason, user_id),
        )

    async def drop_pending_of_task(self, task_id: int, kinds: tuple[str, ...]) -> int:
        """Forget the unsent notices of a task (its deadline moved; they are planned anew)."""
        patterns = [f"task:{task_id}:{kind}:%" for kind in kinds]
        where = " OR ".join("key LIKE ?" for _ in patterns)
        return await self._execute(
            # A row being sent right now stays: forgetting its key would send it again.
            f"DELETE FROM outbox WHERE state = 'pending' AND in_flight_since IS NULL AND ({where})",
            patterns,
        )

    async def retry(self, row_id: int) -> int | None:
        """Queue a failed row again (an admin's decision); its person, None when the row is
        not a failed one."""
        row = await self._one(
            "UPDATE outbox SET state = 'pending', next_try_at = NULL, last_error = NULL"
            " WHERE id = ? AND state = 'failed' RETURNING user_id",
            (row_id,),
        )
        return None if row is None else int(row[0])

    async def digest_decided(self, day: str, at: datetime) -> bool:
        """Record that the digest of `day` was decided; False when it already was."""
        return (
            await self._execute(
                "INSERT INTO digest_runs (day, at) VALUES (?, ?) ON CONFLICT (day) DO NOTHING",
                (day, instant(at)),
            )
            > 0
        )

    async def sent_rows(self) -> list[OutboxRow]:
        rows = await self._all("SELECT * FROM outbox WHERE state = 'sent' ORDER BY sent_at, id")
        return [OutboxRow(**_fields(r)) for r in rows]

    async def listing(self, states: tuple[str, ...] = ("pending", "failed")) -> list[OutboxRow]:
        rows = await self._all(
            f"SELECT * FROM outbox WHERE state IN ({', '.join('?' for _ in states)}) ORDER BY id",
            states,
        )
        return [OutboxRow(**_fields(r)) for r in rows]

    async def count(self, state: str) -> int:
        row = await self._one("SELECT COUNT(*) FROM outbox WHERE state = ?", (state,))
        return int(row[0]) if row else 0

    async def claim_many(
        self, row_ids: Sequence[int], now: datetime, stale_before: datetime | None,
        parts_sent: int | None = None, owner: int = 0,
    ) -> bool:  # fmt: skip
        """Take pending rows to send their next part: stamp them in flight as `owner`'s (the
        running instance, `Database.instance`), unless another sender's stamp is on one of them:
        one newer than `stale_before` (None: any stamp is a dead sender's) of an instance that
        still runs (not `owner`); or, with `parts_sent`, a part was delivered since they were
        read. True when every row was taken; otherwise the caller rolls its unit of work back
        (none taken). On PostgreSQL a row another instance is claiming at this moment is
        skipped, not waited for: the claim fails at once and that instance sends it."""
        where = "state = 'pending'"
        params: list[Any] = [utc(now), owner]
        if stale_before is not None:
            # Its own stamp is a pass of this instance that failed midway (one pass at a time).
            # A stamp without a mark (an instance older than migration 020, during a rolling
            # upgrade) waits for the lease: that instance may still be sending it.
            where += (
                " AND (in_flight_since IS NULL OR in_flight_since < ?"
                f" OR claimed_by = ? OR {self._gone('claimed_by')})"
            )
            params += [utc(stale_before), owner]
        if parts_sent is not None:
            where += " AND parts_sent = ?"
            params.append(parts_sent)
        taken = await self._execute_ids(
            "UPDATE outbox SET in_flight_since = ?, claimed_by = ? WHERE id IN"
            f" (SELECT id FROM outbox WHERE {where} AND id IN ({{ids}}){self._skip_locked()})",
            params,
            row_ids,
        )
        return taken == len(set(row_ids))


def _fields(r: Row) -> dict[str, Any]:
    """An outbox row's columns as a record's fields: the payload parsed from its JSON (the
    instants and flags are parsed by the record)."""
    return as_dict(r) | {"payload": json.loads(r["payload"])}


def utc(t: datetime) -> str:
    """An outbox instant, stored as every instant is (`storage.base.instant`)."""
    return instant(t)


MESSAGE_LOCKS = 7_270_420  # the advisory locks' namespace of `ChannelMessageRepository.serialise`

# Each status outranks those before it; a status that arrives after a higher one changes nothing.
STATUS_RANK = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}


@dataclass(frozen=True)
class EarlyFailure:
    """A platform's failure of a message, as the channel read it (the port's delivery error)."""

    kind: str
    detail: str
    reach: str | None = None
    retry_s: float | None = None


@dataclass(frozen=True)
class StatusChange:
    """A platform's status that moved a message on: the notices it carried, and their person."""

    outbox_ids: list[int]
    user_id: int
    status: str


class ChannelMessageRepository(Repository):
    """Which platform message carried which notice, and how far each got (sent, delivered,
    read, failed), as the platform reports it."""

    async def record(
        self, channel: str, message_ids: Iterable[str], outbox_ids: Sequence[int]
    ) -> None:
        await self._execute_many(
            "INSERT INTO channel_messages (channel, message_id, outbox_id) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            [(channel, m, o) for m in message_ids for o in outbox_ids],
        )

    async def set_status(
        self, channel: str, message_id: str, status: str, at: datetime, error: str | None
    ) -> StatusChange | None:
        """Record a status if it outranks the one known; the change, or None when the message is
        not one of the bot's notices or the status came late (statuses arrive out of order)."""
        rank = STATUS_RANK[status]
        known = ", ".join(f"'{s}'" for s, r in STATUS_RANK.items() if r < rank)
        if not known:  # the lowest status outranks none (and `IN ()` is SQLite's only)
            return None
        rows = await self._all(
            "UPDATE channel_messages SET status = ?, status_at = ?, error = ?"
            f" WHERE channel = ? AND message_id = ? AND status IN ({known}) RETURNING outbox_id",
            (status, utc(at), error, channel, message_id),
        )
        if not rows:
            return None
        ids = [int(r[0]) for r in rows]
        owner = await self._one("SELECT user_id FROM outbox WHERE id = ?", (ids[0],))
        return StatusChange(ids, int(owner[0]) if owner else 0, status)

    async def serialise(self, channel: str, message_ids: Iterable[str]) -> None:
        """Until this unit of work ends, no other decides about these messages: the record of a
        send and a failure that overtook it meet in one order (PostgreSQL: a transaction lock
        per message, taken in one order; SQLite has one writer at a time already)."""
        if self._conn.dialect != "postgresql":
            return
        for key in sorted(
            {zlib.crc32(f"{channel}:{m}".encode()) & 0x7FFFFFFF for m in message_ids}
        ):
            await self._all("SELECT pg_advisory_xact_lock(?, ?)", (MESSAGE_LOCKS, key))

    async def keep_early_failure(
        self, channel: str, message_id: str, at: datetime, failure: EarlyFailure
    ) -> None:
        """A failure of a message not recorded yet (its status overtook the send's answer);
        those older than a day are forgotten (the failures of answers, never recorded)."""
        await self._execute(
            "DELETE FROM channel_early_failures WHERE at < ?", (utc(at - timedelta(days=1)),)
        )
        await self._execute(
            "INSERT INTO channel_early_failures VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (channel, message_id, utc(at), failure.kind, failure.detail, failure.reach,
             failure.retry_s),
        )  # fmt: skip

    async def take_early_failures(
        self, channel: str, message_ids: Sequence[str]
    ) -> list[tuple[str, datetime, EarlyFailure]]:
        """The failures kept for these messages (now recorded), removed from the waiting list."""
        if not message_ids:
            return []
        rows = await self._all(
            f"DELETE FROM channel_early_failures WHERE channel = ?"
            f" AND message_id IN ({marks(message_ids)})"
            " RETURNING message_id, at, kind, detail, reach, retry_s",
            (channel, *message_ids),
        )
        return [(str(r[0]), datetime.fromisoformat(r[1]),
                 EarlyFailure(str(r[2]), str(r[3]), r[4], r[5])) for r in rows]  # fmt: skip

    async def close_all_of(self, outbox_ids: Sequence[int]) -> None:
        """A notice was decided on a failure: the other messages that carried it change nothing
        any more (a second failed status of the same attempt must not send it again)."""
        await self._execute_ids(
            "UPDATE channel_messages SET status = 'failed' WHERE outbox_id IN ({ids})", (),
            outbox_ids,
        )  # fmt: skip

    async def status_of(self, channel: str, message_id: str) -> str | None:
        row = await self._one(
            "SELECT status FROM channel_messages WHERE channel = ? AND message_id = ? LIMIT 1",
            (channel, message_id),
        )
        return None if row is None else str(row[0])


class ChannelMediaRepository(Repository):
    """Files uploaded to a platform once, by the sha256 of their bytes, and the id to re-send
    them by."""

    async def get(self, channel: str, digest: str, uploaded_after: datetime) -> str | None:
        row = await self._one(
            "SELECT media_id FROM channel_media WHERE channel = ? AND digest = ?"
            " AND uploaded_at > ?",
            (channel, digest, utc(uploaded_after)),
        )
        return None if row is None else str(row[0])

    async def put(self, channel: str, digest: str, media_id: str, now: datetime) -> None:
        await self._execute(
            "INSERT INTO channel_media (channel, digest, media_id, uploaded_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (channel, digest) DO UPDATE SET media_id = excluded.media_id,"
            " uploaded_at = excluded.uploaded_at",
            (channel, digest, media_id, utc(now)),
        )

    async def forget(self, channel: str, digest: str) -> None:
        await self._execute(
            "DELETE FROM channel_media WHERE channel = ? AND digest = ?", (channel, digest)
        )


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

    async def hold(self, name: str) -> None:
        """Take the lock `name` until the transaction ends: decisions that read many rows and
        write one (an absence checked against everyone's) are taken one at a time, on every
        instance (a row of its own, `lock:<name>`; SQLite's units of work are one at a time)."""
        await self._execute(
            "INSERT INTO meta (key, value) VALUES (?, '') ON CONFLICT (key) DO UPDATE"
            " SET value = meta.value",
            (f"lock:{name}",),
        )


class UpdateLogRepository(Repository):
    """The events already handled, by (channel, event id), kept for a while, then pruned."""

    async def seen(self, channel: str, event_ids: Iterable[str]) -> set[str]:
        """Those of `event_ids` of `channel` already handled (one query per 500)."""
        unique = sorted(set(event_ids))
        found: set[str] = set()
        for at in range(0, len(unique), IN_CHUNK):
            chunk = unique[at : at + IN_CHUNK]
            rows = await self._all(
                "SELECT event_id FROM processed_updates WHERE channel = ?"
                f" AND event_id IN ({marks(chunk)})",
                (channel, *chunk),
            )
            found |= {r[0] for r in rows}
        return found

    async def mark(self, channel: str, event_id: str, now: datetime) -> None:
        await self._execute(
            "INSERT INTO processed_updates (channel, event_id, at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (channel, event_id, utc(now)),
        )

    async def prune(self, before: datetime) -> int:
        """Forget events handled before `before` (no platform delivers them again by then)."""
        return await self._execute("DELETE FROM processed_updates WHERE at < ?", (utc(before),))

    async def claim(self, channel: str, event_id: str, now: datetime) -> bool:
        """Record the event as handled inside the unit of work that handles it; False when it
        is recorded already. On PostgreSQL a second instance claiming the same event waits for
        the first one's transaction: False once it committed, True if it rolled back."""
        return (
            await self._execute(
                "INSERT INTO processed_updates (channel, event_id, at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (channel, event_id, utc(now)),
            )
            > 0
        )
