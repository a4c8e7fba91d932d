"""Repositories of the work itself: rounds, cases, their tasks (deadlines), entries and documents."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

from bot.models import Case, CaseLine, Document, Entry, Round, Task
from storage.base import Repository, as_dict, instant, iso, marks

Row = TypeVar("Row", Entry, Document)

ENTRY_FIELDS = (
    "title",
    "summary",
    "category",
    "holder",
    "responsible",
    "made",
    "forms",
    "retention",
)


# The rounds still at work or closed since a moment (bound as the one parameter).
RECENT_ROUNDS = "WHERE closed_at IS NULL OR closed_at >= ?"
REGISTER_ENTRIES = (
    "SELECT e.*, o.code AS opd_code, o.name AS opd_name, r.name AS round_name"
    " FROM entries e JOIN cases c ON c.id = e.case_id JOIN opds o ON o.id = c.opd_id"
    " JOIN rounds r ON r.id = c.round_id WHERE e.removed = 0 AND {where}"
    " ORDER BY o.name, r.id, e.number"
)
PUBLIC_WHERE = (
    "e.published_url IS NOT NULL AND e.withdrawn_at IS NULL AND e.review = 'approved'"
    " AND e.resolution = 'documents' AND e.category != 'dikecualikan'"
)
"""Which entries the public sees: published, approved, with documents, not exempt, not withdrawn."""
PUBLIC_REGISTER_ENTRIES = REGISTER_ENTRIES.format(where=PUBLIC_WHERE)
PUBLIC_REGISTER_DOCUMENTS = (
    "SELECT d.* FROM documents d JOIN entries e ON e.id = d.entry_id"
    f" WHERE d.removed = 0 AND e.removed = 0 AND {PUBLIC_WHERE} ORDER BY d.id"
)
"""The current documents (removed and rejected ones never reach the public) of those entries."""


class RoundRepository(Repository):
    async def add(self, name: str, created_by: int | None, now: datetime) -> int:
        return await self._insert(
            "INSERT INTO rounds (name, created_by, created_at) VALUES (?, ?, ?)",
            (name, created_by, instant(now)),
        )

    async def get(self, round_id: int) -> Round | None:
        row = await self._one("SELECT * FROM rounds WHERE id = ?", (round_id,))
        return None if row is None else Round(**as_dict(row))

    async def many(self, round_ids: Iterable[int]) -> dict[int, Round]:
        rows = await self._all_in("SELECT * FROM rounds WHERE id IN ({ids})", round_ids)
        return {r["id"]: Round(**as_dict(r)) for r in rows}

    async def all(self) -> list[Round]:
        return [Round(**as_dict(r)) for r in await self._all("SELECT * FROM rounds ORDER BY id")]

    async def recent(self, since: datetime) -> list[Round]:
        """Rounds still open or closed at `since` or later, in creation order."""
        rows = await self._all(f"SELECT * FROM rounds {RECENT_ROUNDS} ORDER BY id", (iso(since),))
        return [Round(**as_dict(r)) for r in rows]

    async def close_if_done(self, round_id: int, now: datetime) -> bool:
        return (
            await self._execute(
                "UPDATE rounds SET closed_at = ? WHERE id = ? AND closed_at IS NULL"
                " AND NOT EXISTS (SELECT 1 FROM cases WHERE round_id = ? AND step < 6)",
                (instant(now), round_id, round_id),
            )
            > 0
        )

    async def reopen(self, round_id: int) -> None:
        """A case of a closed round is at work again (an exemption opened to the public)."""
        await self._execute("UPDATE rounds SET closed_at = NULL WHERE id = ?", (round_id,))


class CaseRepository(Repository):
    async def add(self, round_id: int, opd_id: int, now: datetime) -> int:
        return await self._insert(
            "INSERT INTO cases (round_id, opd_id, step, created_at) VALUES (?, ?, 1, ?)",
            (round_id, opd_id, instant(now)),
        )

    async def get(self, case_id: int) -> Case | None:
        row = await self._one("SELECT * FROM cases WHERE id = ?", (case_id,))
        return None if row is None else Case(**as_dict(row))

    async def many(self, case_ids: Iterable[int]) -> list[Case]:
        rows = await self._all_in("SELECT * FROM cases WHERE id IN ({ids}) ORDER BY id", case_ids)
        return [Case(**as_dict(r)) for r in rows]

    async def of_rounds(self, round_ids: Iterable[int]) -> list[Case]:
        rows = await self._all_in("SELECT * FROM cases WHERE round_id IN ({ids})", round_ids)
        # The chunks go by round id, not case id: order the whole result here.
        return sorted((Case(**as_dict(r)) for r in rows), key=lambda c: c.id)

    async def all(
        self, round_id: int | None = None, opd_id: int | None = None, *, open_only: bool = False
    ) -> list[Case]:
        """Cases by id; `open_only` leaves out the closed ones (step 6), years of them."""
        sql, params = "SELECT * FROM cases WHERE 1 = 1", list[int]()
        if open_only:
            sql += " AND step < 6"
        if round_id is not None:
            sql, params = sql + " AND round_id = ?", [*params, round_id]
        if opd_id is not None:
            sql, params = sql + " AND opd_id = ?", [*params, opd_id]
        return [Case(**as_dict(r)) for r in await self._all(sql + " ORDER BY id", params)]

    async def waiting(
        self, steps: Iterable[int], opd_id: int | None, limit: int
    ) -> tuple[list[CaseLine], int]:
        """The first `limit` cases at one of `steps` (of one OPD, or all), earliest deadline
        first, and how many there are in all: two queries, however many cases wait."""
        wanted = sorted(set(steps))
        if not wanted:
            return [], 0
        where, params = f" WHERE c.step IN ({marks(wanted)})", list[Any](wanted)
        if opd_id is not None:
            where, params = where + " AND c.opd_id = ?", [*params, opd_id]
        rows = await self._all(
            f"{_LINE}{where} ORDER BY t.due_at IS NULL, t.due_at, c.id LIMIT ?",
            [*params, limit],
        )
        return _lines(rows), await self._count(where, params)

    async def recent_lines(
        self, since: datetime, now: datetime, opd_id: int | None, limit: int
    ) -> tuple[list[CaseLine], int]:
        """The first `limit` cases of the rounds open or closed since `since` (of one OPD, or
        all): newest round first, late cases (at `now`) first within a round, then by OPD
        code; and how many there are in all. A round is read only while lines are missing (the
        newest one nearly always fills a screen): the queries grow with the rounds shown, never
        with the cases."""
        found = await self._all(f"SELECT id FROM rounds {RECENT_ROUNDS} ORDER BY id DESC",
                                (iso(since),))  # fmt: skip
        rounds = [r[0] for r in found]
        mine, mine_params = ("", []) if opd_id is None else (" AND c.opd_id = ?", [opd_id])
        lines: list[CaseLine] = []
        for round_id in rounds:
            if len(lines) >= limit:
                break
            rows = await self._all(
                f"{_LINE} WHERE c.round_id = ?{mine} ORDER BY"
                " (t.due_at IS NOT NULL AND t.due_at < ?) DESC, o.code, c.id"
                " LIMIT ?",
                [round_id, *mine_params, instant(now), limit - len(lines)],
            )
            lines += _lines(rows)
        if not rounds:
            return [], 0
        where = f" WHERE c.round_id IN ({marks(rounds)}){mine}"
        return lines, await self._count(where, [*rounds, *mine_params])

    async def _count(self, where: str, params: list[Any]) -> int:
        """How many cases `where` (on `cases c`) matches: counted on the indexes alone."""
        row = await self._one(f"SELECT COUNT(*) FROM cases c{where}", params)
        return int(row[0]) if row else 0

    async def lines_of_rounds(self, round_ids: Iterable[int]) -> list[CaseLine]:
        """Every case of these rounds with its count of entries, by case id: one query per
        500 rounds, however many cases they hold."""
        rows = await self._all_in(
            f"{_LINE_WITH_ENTRIES} WHERE c.round_id IN ({{ids}}) ORDER BY c.id", round_ids
        )
        return sorted(_lines(rows), key=lambda line: line.case_id)

    async def bump(self, case_id: int, expected_version: int) -> bool:
        """Claim the case for one change; False when another change got there first."""
        return (
            await self._execute(
                "UPDATE cases SET version = version + 1 WHERE id = ? AND version = ?",
                (case_id, expected_version),
            )
            > 0
        )

    async def move(self, case_id: int, step: int, note: str | None, now: datetime) -> None:
        closed = instant(now) if step == 6 else None
        await self._execute(
            "UPDATE cases SET step = ?, return_note = ?, closed_at = ?, version = version + 1"
            " WHERE id = ?",
            (step, note, closed, case_id),
        )


_LINE_FIELDS = (
    "c.id AS case_id, c.round_id, r.name AS round_name, c.opd_id, o.code AS opd_code,"
    " o.name AS opd_name, c.step, t.due_at"
)
_LINE_JOINS = (
    " FROM cases c JOIN rounds r ON r.id = c.round_id JOIN opds o ON o.id = c.opd_id"
    " LEFT JOIN tasks t ON t.case_id = c.id AND t.done_at IS NULL"
)
_LINE = f"SELECT {_LINE_FIELDS}{_LINE_JOINS}"
# Each case's entries counted inside SQLite (by the case_id index), not loaded one by one.
_LINE_WITH_ENTRIES = (
    f"SELECT {_LINE_FIELDS}, (SELECT COUNT(*) FROM entries e WHERE e.case_id = c.id"
    f" AND e.removed = 0) AS entries{_LINE_JOINS}"
)


def _lines(rows: list[Any]) -> list[CaseLine]:
    """Rows of a `_LINE` query as lines."""
    return [CaseLine(**as_dict(r)) for r in rows]


class TaskRepository(Repository):
    async def open(self, case_id: int, step: int, started: datetime, due: datetime) -> int:
        return await self._insert(
            "INSERT INTO tasks (case_id, step, started_at, due_at) VALUES (?, ?, ?, ?)",
            (case_id, step, instant(started), instant(due)),
        )

    async def current(self, case_id: int) -> Task | None:
        row = await self._one(
            "SELECT * FROM tasks WHERE case_id = ? AND done_at IS NULL", (case_id,)
        )
        return None if row is None else Task(**as_dict(row))

    async def current_of(self, case_ids: Iterable[int]) -> dict[int, Task]:
        """The open task of each case that has one."""
        rows = await self._all_in(
            "SELECT * FROM tasks WHERE case_id IN ({ids}) AND done_at IS NULL", case_ids
        )
        return {r["case_id"]: Task(**as_dict(r)) for r in rows}

    async def close(self, task_id: int, by: int, outcome: str, now: datetime) -> None:
        await self._execute(
            "UPDATE tasks SET done_at = ?, done_by = ?, outcome = ? WHERE id = ?",
            (instant(now), by, outcome, task_id),
        )

    async def last_done(self, case_id: int) -> Task | None:
        row = await self._one(
            "SELECT * FROM tasks WHERE case_id = ? AND done_at IS NOT NULL"
            " ORDER BY done_at DESC, id DESC LIMIT 1",
            (case_id,),
        )
        return None if row is None else Task(**as_dict(row))

    async def for_case(self, case_id: int) -> list[Task]:
        rows = await self._all("SELECT * FROM tasks WHERE case_id = ? ORDER BY id", (case_id,))
        return [Task(**as_dict(r)) for r in rows]

    async def sweep_rows(self, task_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
        """Open tasks (all, or those among `task_ids`) with what the sweep needs: case, OPD,
        and how far they were notified."""
        sql = (
            "SELECT t.id, t.case_id, t.step, t.started_at, t.due_at, t.notified_until,"
            " c.opd_id FROM tasks t JOIN cases c ON c.id = t.case_id WHERE t.done_at IS NULL"
        )
        # In task order on both engines: the notices are queued in this order (their outbox ids),
        # and PostgreSQL's plain scan finds a changed row's new version last.
        if task_ids is None:
            return [as_dict(r) for r in await self._all(f"{sql} ORDER BY t.id")]
        rows = await self._all_in(f"{sql} AND t.id IN ({{ids}}) ORDER BY t.id", task_ids)
        return [as_dict(r) for r in rows]

    async def due_for_sweep(self, due_by: datetime) -> list[int]:
        """Open tasks whose next notice is due by `due_by`, or not planned yet, by id."""
        # Two index lookups joined: an OR over the two conditions would scan every open task.
        sql = "SELECT id FROM tasks WHERE done_at IS NULL AND next_notice_at"
        rows = await self._all(f"{sql} <= ? UNION ALL {sql} IS NULL", (instant(due_by),))
        return sorted(r[0] for r in rows)

    async def open_with_names(self) -> list[dict[str, Any]]:
        """Open tasks with their OPD's name and the step: one query for a whole digest."""
        rows = await self._all(
            "SELECT t.id, t.step, t.due_at, o.code AS opd_code, o.name AS opd_name"
            " FROM tasks t JOIN cases c ON c.id = t.case_id JOIN opds o ON o.id = c.opd_id"
            " WHERE t.done_at IS NULL ORDER BY o.name, t.due_at, t.id"
        )
        return [as_dict(r) for r in rows]

    async def briefs(self, task_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """What a notice line says of each task: case, step, deadline, OPD and round, and
        whether it is still open (`done_at`)."""
        rows = await self._all_in(
            "SELECT t.id, t.case_id, t.step, t.due_at, t.done_at, c.step AS case_step,"
            " o.name AS opd_name, r.name AS round_name FROM tasks t"
            " JOIN cases c ON c.id = t.case_id JOIN opds o ON o.id = c.opd_id"
            " JOIN rounds r ON r.id = c.round_id WHERE t.id IN ({ids}) ORDER BY t.id",
            task_ids,
        )
        return {r["id"]: as_dict(r) for r in rows}

    async def count_due_by(self, until: datetime) -> int:
        """How many open tasks are due before `until` (what a digest lists)."""
        row = await self._one(
            "SELECT COUNT(*) FROM tasks WHERE done_at IS NULL AND due_at < ?",
            (instant(until),),
        )
        return int(row[0]) if row else 0

    async def due_by_page(self, until: datetime, offset: int, limit: int) -> list[int]:
        """One page of the open tasks due before `until`, most urgent first (ids)."""
        rows = await self._all(
            "SELECT id FROM tasks WHERE done_at IS NULL AND due_at < ?"
            " ORDER BY due_at, id LIMIT ? OFFSET ?",
            (instant(until), limit, offset),
        )
        return [int(r[0]) for r in rows]

    async def any_due_by(self, until: datetime) -> bool:
        """Whether any open task is due before `until` (a digest has something to say)."""
        row = await self._one(
            "SELECT 1 FROM tasks WHERE done_at IS NULL AND due_at < ? LIMIT 1",
            (instant(until),),
        )
        return row is not None

    async def set_planned(
        self, plans: Iterable[tuple[int, datetime | None, datetime | None]]
    ) -> None:
        """For each (task id, notified until, next notice): how far the task's notices are
        queued, and when the sweep must look at it again (None for both: plan it afresh)."""
        await self._execute_many(
            "UPDATE tasks SET notified_until = ?, next_notice_at = ? WHERE id = ?",
            ((iso(until), iso(at), task_id) for task_id, until, at in plans),
        )

    async def set_due(self, task_id: int, due: datetime) -> None:
        await self._execute("UPDATE tasks SET due_at = ? WHERE id = ?", (instant(due), task_id))

    async def open_tasks(self) -> list[Task]:
        rows = await self._all("SELECT * FROM tasks WHERE done_at IS NULL ORDER BY due_at, id")
        return [Task(**as_dict(r)) for r in rows]


class EntryRepository(Repository):
    async def add(self, case_id: int, fields: Mapping[str, Any]) -> Entry:
        row = await self._one(
            "SELECT COALESCE(MAX(number), 0) + 1 AS n FROM entries WHERE case_id = ?", (case_id,)
        )
        number = row["n"] if row else 1
        cols = ", ".join(ENTRY_FIELDS)
        entry_id = await self._insert(
            f"INSERT INTO entries (case_id, number, {cols}) VALUES (?, ?, {marks(ENTRY_FIELDS)})",
            (case_id, number, *(fields[f] for f in ENTRY_FIELDS)),
        )
        entry = await self.get(entry_id)
        assert entry is not None
        return entry

    async def get(self, entry_id: int) -> Entry | None:
        row = await self._one("SELECT * FROM entries WHERE id = ? AND removed = 0", (entry_id,))
        return None if row is None else Entry(**as_dict(row))

    async def by_number(self, case_id: int, number: int) -> Entry | None:
        row = await self._one(
            "SELECT * FROM entries WHERE case_id = ? AND number = ? AND removed = 0",
            (case_id, number),
        )
        return None if row is None else Entry(**as_dict(row))

    async def for_case(self, case_id: int) -> list[Entry]:
        rows = await self._all(
            "SELECT * FROM entries WHERE case_id = ? AND removed = 0 ORDER BY number", (case_id,)
        )
        return [Entry(**as_dict(r)) for r in rows]

    async def for_cases(self, case_ids: Iterable[int]) -> dict[int, list[Entry]]:
        rows = await self._all_in(
            "SELECT * FROM entries WHERE case_id IN ({ids}) AND removed = 0"
            " ORDER BY case_id, number",
            case_ids,
        )
        return grouped(Entry(**as_dict(r)) for r in rows)

    async def update(self, entry_id: int, **changes: object) -> None:
        allowed = {
            *ENTRY_FIELDS, "resolution", "resolution_note", "exempt_reference", "exempt_until",
            "review", "review_note", "published_url", "published_at",
        }  # fmt: skip
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"unknown entry fields {sorted(unknown)}")
        values = [
            instant(v) if isinstance(v, datetime) else v.isoformat() if isinstance(v, date) else v
            for v in changes.values()
        ]
        sets = ", ".join(f"{k} = ?" for k in changes)
        await self._execute(f"UPDATE entries SET {sets} WHERE id = ?", (*values, entry_id))

    async def register_rows(self, *, exempt: bool = False) -> list[dict[str, Any]]:
        """Entries of the public register (exempt=False): published, approved, with documents,
        not exempt, not withdrawn; or the internal register of approved exempt entries."""
        if exempt:
            where = (
                "e.review = 'approved' AND (e.resolution = 'exempt' OR e.category = 'dikecualikan')"
            )
            rows = await self._all(REGISTER_ENTRIES.format(where=where))
        else:
            rows = await self._all(PUBLIC_REGISTER_ENTRIES)
        return [as_dict(r) for r in rows]

    async def register_documents(self) -> list[dict[str, Any]]:
        """The current documents of every entry of the public register, in one query (with
        `register_rows`, the whole register in two, whatever its size)."""
        return [as_dict(r) for r in await self._all(PUBLIC_REGISTER_DOCUMENTS)]

    async def withdraw(self, entry_id: int, by: int, reason: str, now: datetime) -> bool:
        return (
            await self._execute(
                "UPDATE entries SET withdrawn_at = ?, withdrawn_reason = ?, withdrawn_by = ?"
                " WHERE id = ? AND withdrawn_at IS NULL AND published_url IS NOT NULL",
                (instant(now), reason, by, entry_id),
            )
            > 0
        )

    async def remove(self, entry_id: int) -> None:
        await self._execute("UPDATE entries SET removed = 1 WHERE id = ?", (entry_id,))


class DocumentRepository(Repository):
    """Documents by their content hash. The `for_*` and `find_same` queries return current
    documents only; `get` and `with_taken_out` also the removed and rejected ones, which stay
    as evidence and are never published."""

    async def add(
        self,
        *,
        case_id: int,
        entry_id: int | None,
        step: int,
        sha256: str,
        size: int,
        mime: str,
        name: str,
        channel_file_id: str | None,
        uploaded_by: int,
        now: datetime,
        channel: str = "telegram",
        data_check: str | None = None,
    ) -> int:
        return await self._insert(
            "INSERT INTO documents (case_id, entry_id, step, sha256, size, mime, name,"
            " channel_file_id, channel, uploaded_by, uploaded_at, data_check)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (case_id, entry_id, step, sha256, size, mime, name, channel_file_id, channel,
             uploaded_by, iso(now), data_check),
        )  # fmt: skip

    async def find_same(self, case_id: int, entry_id: int | None, sha256: str) -> Document | None:
        row = await self._one(
            f"SELECT * FROM documents WHERE case_id = ? AND {self._is('entry_id')}"
            " AND sha256 = ? AND removed = 0",
            (case_id, entry_id, sha256),
        )
        return None if row is None else Document(**as_dict(row))

    async def for_case(self, case_id: int) -> list[Document]:
        rows = await self._all(
            "SELECT * FROM documents WHERE case_id = ? AND removed = 0 ORDER BY id", (case_id,)
        )
        return [Document(**as_dict(r)) for r in rows]

    async def for_cases(self, case_ids: Iterable[int]) -> dict[int, list[Document]]:
        rows = await self._all_in(
            "SELECT * FROM documents WHERE case_id IN ({ids}) AND removed = 0 ORDER BY id",
            case_ids,
        )
        return grouped(Document(**as_dict(r)) for r in rows)

    async def for_entry(self, entry_id: int) -> list[Document]:
        rows = await self._all(
            "SELECT * FROM documents WHERE entry_id = ? AND removed = 0 ORDER BY id", (entry_id,)
        )
        return [Document(**as_dict(r)) for r in rows]

    async def draft_documents(self, case_id: int) -> list[Document]:
        rows = await self._all(
            "SELECT * FROM documents WHERE case_id = ? AND entry_id IS NULL AND removed = 0"
            " ORDER BY id",
            (case_id,),
        )
        return [Document(**as_dict(r)) for r in rows]

    async def get(self, document_id: int) -> Document | None:
        """One document, whatever its state (current, removed or rejected)."""
        row = await self._one("SELECT * FROM documents WHERE id = ?", (document_id,))
        return None if row is None else Document(**as_dict(row))

    async def with_taken_out(self, case_ids: Iterable[int]) -> dict[int, list[Document]]:
        """Every document of these cases, the removed and rejected ones included, by case."""
        rows = await self._all_in(
            "SELECT * FROM documents WHERE case_id IN ({ids}) ORDER BY id", case_ids
        )
        return grouped(Document(**as_dict(r)) for r in rows)

    async def find_rejected(
        self, case_id: int, entry_id: int | None, sha256: str
    ) -> Document | None:
        row = await self._one(
            f"SELECT * FROM documents WHERE case_id = ? AND {self._is('entry_id')}"
            " AND sha256 = ? AND removed_kind = 'rejected' ORDER BY id DESC LIMIT 1",
            (case_id, entry_id, sha256),
        )
        return None if row is None else Document(**as_dict(row))

    async def names(self, case_id: int, entry_id: int | None) -> set[str]:
        """The names ever given to documents of an entry (or of the draft), in any state."""
        rows = await self._all(
            f"SELECT name FROM documents WHERE case_id = ? AND {self._is('entry_id')}",
            (case_id, entry_id),
        )
        return {r[0] for r in rows}

    async def take_out(
        self, document_ids: Iterable[int], kind: str, by: int, reason: str, now: datetime
    ) -> int:
        """Mark current documents removed or rejected (who, when, why); returns how many. The
        row and the stored bytes stay: the trail must show what was taken out."""
        if kind not in ("removed", "rejected"):
            raise ValueError(f"unknown kind {kind!r}")
        ids = sorted(set(document_ids))
        if not ids:
            return 0
        return await self._execute(
            "UPDATE documents SET removed = 1, removed_kind = ?, removed_at = ?, removed_by = ?,"
            f" removed_reason = ? WHERE id IN ({marks(ids)}) AND removed = 0",
            (kind, instant(now), by, reason, *ids),
        )

    async def all_hashes(self) -> set[str]:
        return {r[0] for r in await self._all("SELECT DISTINCT sha256 FROM documents")}


def grouped(items: Iterable[Row]) -> dict[int, list[Row]]:
    """Items by their case, in the order given."""
    by_case: dict[int, list[Row]] = {}
    for item in items:
        by_case.setdefault(item.case_id, []).append(item)
    return by_case
