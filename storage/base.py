"""What every repository shares: the connection (either engine's, see `storage.engine`) and
small row helpers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from storage.engine import Conn, Row

IN_CHUNK = 500
# The advisory locks' namespace of running instances (`Database.instance`): each holds one key
# for as long as it runs (`storage.postgres.LOCKS` is the namespace of named locks).
ALIVE_LOCKS = 7_270_420


class Repository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self._conn.all(sql, params)

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self._conn.all(sql, params)
        return rows[0] if rows else None

    async def _all_in(self, sql: str, ids: Iterable[int]) -> list[Row]:
        """`sql` with `{ids}` standing for a list of ids, run in chunks that stay far below
        SQLite's limit on bound values: one hop per chunk, not one per id. The chunks go in
        ascending id order, so `ORDER BY id` in `sql` orders the whole result."""
        unique = sorted(set(ids))
        rows: list[Row] = []
        for at in range(0, len(unique), IN_CHUNK):
            chunk = unique[at : at + IN_CHUNK]
            rows += await self._all(sql.format(ids=marks(chunk)), chunk)
        return rows

    async def _execute_ids(self, sql: str, params: Sequence[Any], ids: Iterable[int]) -> int:
        """`sql` with `{ids}` standing for a list of ids after `params`, run in chunks (see
        `_all_in`); returns how many rows changed."""
        unique = sorted(set(ids))
        changed = 0
        for at in range(0, len(unique), IN_CHUNK):
            chunk = unique[at : at + IN_CHUNK]
            changed += await self._execute(sql.format(ids=marks(chunk)), [*params, *chunk])
        return changed

    async def _insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """An INSERT into a table with an `id` key; returns the new row's id."""
        return await self._conn.insert(sql, params)

    async def _execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        """One statement for many rows, in one round trip; returns how many rows changed."""
        return await self._conn.execute_many(sql, rows)

    async def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return await self._conn.execute(sql, params)

    # The few expressions the engines spell differently; everything else is shared SQL.
    def _is(self, column: str) -> str:
        """A condition: `column` equals the bound value, NULL matching NULL (SQLite's `IS`;
        the standard spelling needs SQLite 3.39, older than some servers' SQLite)."""
        if self._conn.dialect == "postgresql":
            return f"{column} IS NOT DISTINCT FROM ?"
        return f"{column} IS ?"

    def _gone(self, column: str) -> str:
        """A condition: the running instance whose mark (`Database.instance`) is in `column`
        has stopped: on PostgreSQL its lock ended with its connection; SQLite has one process,
        so a mark found there is a crashed run's."""
        if self._conn.dialect == "postgresql":
            return (
                "NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory'"
                f" AND l.granted AND l.classid::bigint = {ALIVE_LOCKS}"
                f" AND l.objid::bigint = {column} AND l.objsubid = 2)"
            )
        return "1 = 1"

    def _skip_locked(self) -> str:
        """The end of a SELECT that takes its rows for an UPDATE, leaving out those another
        transaction is taking (PostgreSQL; SQLite's writers are one at a time)."""
        # NO KEY: the claim changes no key, so a transaction inserting a row that refers to
        # the taken one (a message record) neither blocks it nor is skipped over.
        return " FOR NO KEY UPDATE SKIP LOCKED" if self._conn.dialect == "postgresql" else ""

    def _json(self, column: str, key: str) -> str:
        """The text (or number) at `key` of the JSON object in `column`."""
        if self._conn.dialect == "postgresql":
            return f"({column}::jsonb ->> '{key}')"
        return f"json_extract({column}, '$.{key}')"

    def _json_true(self, column: str, key: str) -> str:
        """A condition: `key` of the JSON object in `column` is true."""
        if self._conn.dialect == "postgresql":
            return f"COALESCE(({column}::jsonb -> '{key}') = 'true'::jsonb, FALSE)"
        return f"COALESCE(json_extract({column}, '$.{key}'), 0) = 1"

    def _json_with_true(self, column: str, key: str) -> str:
        """The JSON object in `column` with `key` set to true."""
        if self._conn.dialect == "postgresql":
            return f"({column}::jsonb || jsonb_build_object('{key}', TRUE))::text"
        return f"json_set({column}, '$.{key}', json('true'))"


def instant(t: datetime) -> str:
    """The one way an instant is stored, on both engines: UTC, to the microsecond, fixed width
    (`2026-11-27T07:46:27.000000+00:00`), so that text order is time order and a comparison in
    SQL needs no date function (and can use a plain index)."""
    return t.astimezone(UTC).isoformat(timespec="microseconds")


def iso(t: datetime | None) -> str | None:
    return None if t is None else instant(t)


def marks(values: Iterable[object]) -> str:
    """`?, ?, ?` for an IN clause of that many values."""
    return ", ".join("?" for _ in values)


def as_dict(row: Row) -> dict[str, Any]:
    return {k: row[k] for k in row.keys()}  # noqa: SIM118 - a row iterates its values
