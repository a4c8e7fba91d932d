"""Whole tables, row by row, for moving a city's data from its SQLite file to PostgreSQL
(`python -m bot move-to-postgresql`): which tables there are, in an order that keeps every
foreign key satisfied, their rows in chunks, and the identity counters set after a copy.

Both engines hold the same tables and columns at the same schema version (one migration
history), so a row read from one is written to the other as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from storage.base import Repository

if TYPE_CHECKING:
    from storage.db import Database

# A table name as the schema spells them: it is put into SQL, so nothing else is accepted.
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def _checked(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not a table or column name: {name!r}")
    return name


class TableRepository(Repository):
    """The application's tables as a whole (not their meaning: that is the other repositories')."""

    async def names(self) -> list[str]:
        """The application's tables (not the migrations' record), parents before children."""
        if self._conn.dialect == "postgresql":
            rows = await self._all(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            )
            parents = await self._all(
                "SELECT tc.table_name, ccu.table_name FROM information_schema.table_constraints tc"
                " JOIN information_schema.constraint_column_usage ccu"
                " ON ccu.constraint_name = tc.constraint_name"
                " AND ccu.constraint_schema = tc.constraint_schema"
                " WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()"
            )
            links = [(str(r[0]), str(r[1])) for r in parents]
        else:
            rows = await self._all(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
            links = []
            for r in rows:
                table = _checked(str(r[0]))
                for fk in await self._all(
                    f"SELECT \"table\" FROM pragma_foreign_key_list('{table}')"
                ):
                    links.append((table, str(fk[0])))
        tables = sorted(str(r[0]) for r in rows if str(r[0]) != "schema_migrations")
        return _parents_first(tables, links)

    async def columns(self, table: str) -> list[str]:
        """The columns of `table`, in the schema's order."""
        table = _checked(table)
        if self._conn.dialect == "postgresql":
            rows = await self._all(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
                (table,),
            )
        else:
            rows = await self._all(f"SELECT name FROM pragma_table_info('{table}')")
        return [str(r[0]) for r in rows]

    async def count(self, table: str) -> int:
        row = await self._one(f"SELECT COUNT(*) FROM {_checked(table)}")
        return int(row[0]) if row else 0

    async def chunk(
        self, table: str, columns: Sequence[str], after: int, size: int
    ) -> tuple[list[tuple[Any, ...]], int]:
        """The rows of `table` of the SQLite source after rowid `after` (at most `size`), in
        the order they were written, as tuples of `columns`; and the last rowid read. By rowid,
        not OFFSET: each chunk starts where the last ended, not by counting the rows before."""
        cols = ", ".join(_checked(c) for c in columns)
        rows = await self._all(
            f"SELECT rowid, {cols} FROM {_checked(table)} WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (after, size),
        )
        last = int(rows[-1][0]) if rows else after
        return [tuple(r[i] for i in range(1, len(columns) + 1)) for r in rows], last

    async def write(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        cols = ", ".join(_checked(c) for c in columns)
        marks = ", ".join("?" for _ in columns)
        await self._execute_many(f"INSERT INTO {_checked(table)} ({cols}) VALUES ({marks})", rows)

    async def continue_ids(self, table: str) -> None:
        """After rows were written with their ids: new rows get the next id (PostgreSQL's
        identity counters do not follow ids written by hand; SQLite's need nothing)."""
        if self._conn.dialect != "postgresql":
            return
        table = _checked(table)
        if "id" not in await self.columns(table):
            return
        found = await self._one("SELECT pg_get_serial_sequence(?, 'id')", (table,))
        if found is None or found[0] is None:
            return  # no identity column
        await self._all(
            f"SELECT setval(?, COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)",
            (str(found[0]),),
        )


def _parents_first(tables: list[str], links: list[tuple[str, str]]) -> list[str]:
    """`tables` ordered so that a table comes after every table its foreign keys name (a table
    naming itself is written in id order, which keeps those keys too)."""
    needs = {t: {p for c, p in links if c == t and p != t and p in tables} for t in tables}
    ordered: list[str] = []
    while needs:
        ready = sorted(t for t, ps in needs.items() if not ps)
        if not ready:
            raise ValueError(f"foreign keys in a cycle: {sorted(needs)}")
        for t in ready:
            ordered.append(t)
            del needs[t]
        for ps in needs.values():
            ps.difference_update(ready)
    return ordered


class TargetNotEmpty(Exception):
    """The database moved to already holds rows: a move never mixes two cities' data."""

    def __init__(self, table: str) -> None:
        super().__init__(table)
        self.table = table


class CountMismatch(Exception):
    """A table's rows in the target differ in number from the source's after the copy."""

    def __init__(self, table: str, copied: int, source: int) -> None:
        super().__init__(table)
        self.table, self.copied, self.source = table, copied, source


CHUNK = 2_000  # rows per round trip: a city's audit is some 100,000 rows


async def move(
    source: Database, target: Database, *, on_table: Callable[[str, int], object] | None = None
) -> list[tuple[str, int]]:
    """Copy every row of `source` (a SQLite database) into `target` (an empty PostgreSQL
    database at the same schema version), with their ids, in one transaction of the target:
    all or nothing. Each table's count is checked. Returns (table, rows) in the order copied.

    The source is read in one transaction that holds its write lock (never committed): every
    table from one moment, and a bot left running by mistake waits, then hears the database is
    in use, instead of writing what the copy would miss."""
    moved: list[tuple[str, int]] = []
    async with source.transaction() as src, target.transaction() as dst:
        tables = await src.tables.names()
        present = await dst.tables.names()
        for table in present:
            if await dst.tables.count(table):
                raise TargetNotEmpty(table)
        for table in tables:
            columns = await src.tables.columns(table)
            if table not in present or set(columns) != set(await dst.tables.columns(table)):
                raise ValueError(f"the schemas differ at table {table}")
            rows, after = await src.tables.chunk(table, columns, 0, CHUNK)
            while rows:
                await dst.tables.write(table, columns, rows)
                rows, after = await src.tables.chunk(table, columns, after, CHUNK)
            copied, expected = await dst.tables.count(table), await src.tables.count(table)
            if copied != expected:
                raise CountMismatch(table, copied, expected)
            await dst.tables.continue_ids(table)
            moved.append((table, copied))
            if on_table is not None:
                on_table(table, copied)
        await dst.commit()
    return moved
