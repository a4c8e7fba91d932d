"""The public register read for a site build in a child process, over a read-only connection of
its own: one snapshot (one read transaction, two queries), so the build reads a consistent
register while the bot's own connection, and its lock, stay free for everyone else.

Blocking (sqlite3 and psycopg's blocking connection, not their asyncio ones): it runs in the
build's child process (`bot.heavy`), where there is no event loop to keep answering. On
PostgreSQL the snapshot is a read-only REPEATABLE READ transaction on a connection of its own.
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
CONNECT_TIMEOUT_S = 10  # PostgreSQL: a server that does not answer fails the build, told once


Row = Mapping[str, Any] | sqlite3.Row
"""A row read by name (`row["title"]`): a dict, or sqlite3's own row (no copy of 25,000 rows)."""


@dataclass(frozen=True)
class RegisterRows:
    """The rows of the public register: entries in register order, and their current documents
    (ordered by id) by entry id."""

    entries: Sequence[Row]
    documents: Mapping[int, Sequence[Row]]


def read_public_register(source: Path | str) -> RegisterRows:
    """The public register of the database at `source` (a SQLite file, or a PostgreSQL URL:
    `Database.source`), as one consistent snapshot."""
    if isinstance(source, str):
        return _read_postgresql(source)
    path = source
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


def _read_postgresql(url: str) -> RegisterRows:
    import psycopg  # only where PostgreSQL is used: a SQLite build never loads the driver
    from psycopg.rows import dict_row

    with psycopg.connect(url, row_factory=dict_row, connect_timeout=CONNECT_TIMEOUT_S) as conn:
        # Both reads see the same commit; nothing waits for the build, and it waits for no one.
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        entries: list[Row] = list(conn.execute(PUBLIC_REGISTER_ENTRIES).fetchall())
        documents: dict[int, list[Row]] = {}
        for row in conn.execute(PUBLIC_REGISTER_DOCUMENTS).fetchall():
            documents.setdefault(row["entry_id"], []).append(row)
    return RegisterRows(entries=entries, documents=documents)
