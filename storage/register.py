"""The public register read for a site build in a child process, over a read-only connection of
its own: one snapshot (one read transaction, two queries), so the build reads a consistent
register while the bot's own connection, and its lock, stay free for everyone else.

Blocking (sqlite3, not aiosqlite): it runs in the build's child process (`bot.heavy`), where
there is no event loop to keep answering.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.cases import PUBLIC_REGISTER_DOCUMENTS, PUBLIC_REGISTER_ENTRIES

__all__ = ["RegisterRows", "Row", "read_public_register"]

BUSY_TIMEOUT_S = 30.0  # a checkpoint or a long write of the bot: wait, do not fail the build


Row = Mapping[str, Any] | sqlite3.Row
"""A row read by name (`row["title"]`): a dict, or sqlite3's own row (no copy of 25,000 rows)."""


@dataclass(frozen=True)
class RegisterRows:
    """The rows of the public register: entries in register order, and their current documents
    (ordered by id) by entry id."""

    entries: Sequence[Row]
    documents: Mapping[int, Sequence[Row]]


def read_public_register(target: Path | str) -> RegisterRows:
    """The public register of the database at `target` (a SQLite file, or a PostgreSQL URL),
    as one consistent snapshot."""
    if isinstance(target, str):
        return _from_postgresql(target)
    path = target
    if not path.is_file():
        raise FileNotFoundError(path)
    conn = sqlite3.connect(
        f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None
    )
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("BEGIN")  # both reads see the same commit (WAL: a snapshot, no lock)
        entries: list[Row] = conn.execute(PUBLIC_REGISTER_ENTRIES).fetchall()
        documents: dict[int, list[Row]] = {}
        for row in conn.execute(PUBLIC_REGISTER_DOCUMENTS):
            documents.setdefault(row["entry_id"], []).append(row)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return RegisterRows(entries=entries, documents=documents)


def _from_postgresql(url: str) -> RegisterRows:
    """The same two reads on PostgreSQL, in one read-only snapshot (REPEATABLE READ)."""
    import psycopg
    from psycopg.rows import dict_row

    from storage.engine import pg_sql

    with psycopg.connect(url, row_factory=dict_row) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        entries: list[Row] = list(conn.execute(pg_sql(PUBLIC_REGISTER_ENTRIES, False)).fetchall())
        documents: dict[int, list[Row]] = {}
        for row in conn.execute(pg_sql(PUBLIC_REGISTER_DOCUMENTS, False)):
            documents.setdefault(row["entry_id"], []).append(row)
    return RegisterRows(entries=entries, documents=documents)
