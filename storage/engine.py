"""The two database engines behind one small connection interface: SQLite through aiosqlite
(the embedded default, one process) and PostgreSQL through psycopg 3 (several instances).

The repositories write their SQL once, with `?` placeholders and the SQL both engines share;
`PgConn` turns the placeholders into psycopg's (`%s`) once per statement text. A row is read by
name (`row["title"]`) or by position (`row[0]`) on both engines.

Why not SQLAlchemy: the statements were written and tested already as plain SQL, and its
asyncio layer would add a greenlet switch to every statement on top of aiosqlite's thread hop,
which the throughput benchmark shows as the bot's largest cost per update (ARCHITECTURE.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, Protocol

import aiosqlite

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import RowMaker

Dialect = Literal["sqlite", "postgresql"]


class RolledBack(RuntimeError):
    """COMMIT found the transaction failed (PostgreSQL): a statement of the unit of work failed
    and its error was caught, so the server rolled everything back instead. SQLite would have
    committed the other statements; PostgreSQL keeps none, and says so here."""


class Row(Protocol):
    """A result row: by name or by position; `keys()` lists the names."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> list[str]: ...


class Conn(Protocol):
    """What the repositories run their SQL on: one open connection of either engine."""

    dialect: Dialect

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; returns how many rows it changed."""

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT into a table keyed by `id`; returns the new id."""

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        """One statement for many parameter rows; returns how many rows changed."""


class SqliteConn:
    """An aiosqlite connection (its rows are `sqlite3.Row`)."""

    dialect: Dialect = "sqlite"

    def __init__(self, raw: aiosqlite.Connection) -> None:
        self.raw = raw

    # execute_fetchall is one hop to aiosqlite's thread instead of three (execute, fetch, close):
    # the benchmarks show those hops as a fifth of the bot's time per update.
    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self.raw.execute_fetchall(sql, params))

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self.raw.execute(sql, params)
        return cur.rowcount

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self.raw.execute(sql, params)
        rowid = cur.lastrowid
        assert rowid is not None
        return rowid

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        cur = await self.raw.executemany(sql, rows)
        return max(cur.rowcount, 0)


class PgRow:
    """A PostgreSQL row that reads like `sqlite3.Row`: by name or position."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: dict[str, int], values: Sequence[Any]) -> None:
        self._index = index
        self._values = values

    def __getitem__(self, key: int | str, /) -> Any:
        if isinstance(key, str):
            return self._values[self._index[key]]
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Any:
        return iter(self._values)

    def keys(self) -> list[str]:
        return list(self._index)

    def __repr__(self) -> str:
        return f"PgRow({dict(zip(self._index, self._values, strict=True))!r})"


def pg_row(cursor: psycopg.AsyncCursor[Any]) -> RowMaker[PgRow]:
    """psycopg's row factory for `PgRow`: the names are read once per result."""
    names = [c.name for c in cursor.description or ()]
    index = {name: i for i, name in enumerate(names)}

    def make(values: Sequence[Any]) -> PgRow:
        return PgRow(index, values)

    return make


@lru_cache(maxsize=2048)
def pg_sql(sql: str, with_params: bool) -> str:
    """`sql` with `?` placeholders as psycopg's `%s` (a literal `%` doubled); quoted text and
    identifiers are left as they are."""
    if not with_params:
        return sql
    out: list[str] = []
    quote = ""
    for ch in sql:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            out.append("%s")
            continue
        if ch == "%":
            out.append("%%")
            continue
        out.append(ch)
    return "".join(out)


class PgConn:
    """A psycopg connection taken from the pool for one unit of work."""

    dialect: Dialect = "postgresql"

    def __init__(
        self, raw: psycopg.AsyncConnection[Any], trace: Callable[[str], object] | None = None
    ) -> None:
        self.raw = raw
        self._trace = trace

    async def _run(self, sql: str, params: Sequence[Any]) -> psycopg.AsyncCursor[Any]:
        if self._trace is not None:
            self._trace(sql)
        return await self.raw.execute(pg_sql(sql, bool(params)), params or None)

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cur = await self._run(sql, params)
        if cur.description is None:
            return []
        return list(await cur.fetchall())

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self._run(sql, params)
        if sql == "COMMIT" and cur.statusmessage == "ROLLBACK":
            # The server answers a COMMIT of a failed transaction with a rollback, no error.
            raise RolledBack("a statement of this unit of work failed: nothing was committed")
        return max(cur.rowcount, 0)

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self._run(sql + " RETURNING id", params)
        row = await cur.fetchone()
        assert row is not None
        return int(row[0])

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        batch = [tuple(r) for r in rows]
        if not batch:
            return 0
        if self._trace is not None:
            self._trace(sql)
        async with self.raw.cursor() as cur:
            await cur.executemany(pg_sql(sql, True), batch)
            return max(cur.rowcount, 0)
