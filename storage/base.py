"""What every repository shares: the connection and small row helpers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

IN_CHUNK = 500


class Repository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    # execute_fetchall is one hop to aiosqlite's thread instead of three (execute, fetch, close):
    # the benchmarks show those hops as a fifth of the bot's time per update.
    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        rows = await self._conn.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def _all_in(self, sql: str, ids: Iterable[int]) -> list[aiosqlite.Row]:
        """`sql` with `{ids}` standing for a list of ids, run in chunks that stay far below
        SQLite's limit on bound values: one hop per chunk, not one per id. The chunks go in
        ascending id order, so `ORDER BY id` in `sql` orders the whole result."""
        unique = sorted(set(ids))
        rows: list[aiosqlite.Row] = []
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
        cur = await self._conn.execute(sql, params)
        rowid = cur.lastrowid
        assert rowid is not None
        return rowid

    async def _execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """One statement for many rows, in one hop to aiosqlite's thread."""
        await self._conn.executemany(sql, rows)

    async def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self._conn.execute(sql, params)
        return cur.rowcount


def iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def marks(values: Iterable[object]) -> str:
    """`?, ?, ?` for an IN clause of that many values."""
    return ", ".join("?" for _ in values)


def as_dict(row: aiosqlite.Row) -> dict[str, Any]:
    return {k: row[k] for k in row.keys()}  # noqa: SIM118 - sqlite3.Row iterates values
