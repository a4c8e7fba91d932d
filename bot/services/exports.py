"""Use cases of spreadsheets and reports: the DIP as a register export, the SLA statistics, and
importing a filled template into a step-1 draft (all valid rows in one transaction, or none)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot import heavy
from bot.models import User
from bot.reports import ExemptionTotals, StepStats, TaskRecord, sla_stats
from bot.services.cases import load
from bot.services.context import Ctx, audit
from bot.services.drafting import clean_field, defaults
from bot.services.handover import claim
from bot.spreadsheets import ExportEntry, ImportResult, parse
from bot.spreadsheets.reading import refusal
from bot.workflow import Refused, check_actor, check_version
from storage.uow import UnitOfWork

PARSE_TIMEOUT_S = 30.0  # the largest accepted file reads in a few seconds
PARSE_MEMORY = 512 * 1024 * 1024
PARSED_KEPT = 16
_parsed: OrderedDict[tuple[str, str], ImportResult] = OrderedDict()

FIELDS = ("title", "summary", "category", "holder", "responsible", "made", "forms", "retention")


@dataclass(frozen=True)
class Scope:
    opd_code: str | None = None
    round_id: int | None = None


async def dip_entries(uow: UnitOfWork, scope: Scope) -> list[ExportEntry]:
    """The published register (never exempt entries), for one OPD and/or one round."""
    rounds = {r.id: r.name for r in await uow.rounds.all()}
    round_name = rounds.get(scope.round_id) if scope.round_id is not None else None
    result = []
    for r in await uow.entries.register_rows():
        if scope.opd_code and r["opd_code"].upper() != scope.opd_code.upper():
            continue
        if round_name is not None and r["round_name"] != round_name:
            continue
        result.append(ExportEntry(**{k: r[k] for k in ("opd_code", "opd_name", "round_name")},
                                  number=r["number"], **{f: r[f] for f in FIELDS}))  # fmt: skip
    return result


async def task_records(uow: UnitOfWork) -> list[TaskRecord]:
    opds = {o.id: o for o in await uow.opds.all()}
    records = []
    for case in await uow.cases.all():
        opd = opds.get(case.opd_id)
        if opd is None:
            continue
        for t in await uow.tasks.for_case(case.id):
            records.append(TaskRecord(opd_code=opd.code, opd_name=opd.name, step=t.step,
                                      started_at=t.started_at, due_at=t.due_at,
                                      done_at=t.done_at))  # fmt: skip
    return records


async def sla(ctx: Ctx, month: tuple[int, int] | None = None) -> list[StepStats]:
    # Beside the units of work: every task of every case, which grows with the organisation.
    async with ctx.db.read_aside() as uow:
        records = await task_records(uow)
    return sla_stats(records, ctx.calendar, ctx.now(), month=month)


async def exemption_totals(ctx: Ctx, month: tuple[int, int] | None = None) -> ExemptionTotals:
    """Exemptions ending in the month (the current one when None) and decisions taken in it."""
    year, number = month or (ctx.now().year, ctx.now().month)
    first = date(year, number, 1)
    after = date(year + number // 12, number % 12 + 1, 1)
    tz = ctx.calendar.tz
    async with ctx.db.read() as uow:
        due = await uow.exemptions.due_between(first, after - timedelta(days=1))
        start = datetime.combine(first, time(0), tzinfo=tz)
        end = datetime.combine(after, time(0), tzinfo=tz)
        decided = [
            d for d in await uow.exemptions.decisions()
            if start <= d.decided_at < end
        ]  # fmt: skip
    return ExemptionTotals(
        due=due,
        extended=sum(1 for d in decided if d.action == "extend"),
        opened=sum(1 for d in decided if d.action == "open"),
    )


async def read_spreadsheet(data: bytes, filename: str) -> ImportResult:
    """Parse in a child process (bot.heavy), bounded in time and memory: a large workbook takes a
    while, and a hostile one must not take the bot with it. Refuses the file, in words the
    person understands, when it takes too long or too much memory."""
    try:
        return await heavy.run(parse, data, filename, timeout=PARSE_TIMEOUT_S, memory=PARSE_MEMORY)
    except heavy.WorkTooLong:
        raise refusal("too_slow", f" (lebih dari {PARSE_TIMEOUT_S:.0f} detik)") from None
    except heavy.WorkTooBig:
        raise refusal("too_big", " (terlalu banyak memori untuk dibaca)") from None


async def read_upload(ctx: Ctx, sha256: str, filename: str) -> ImportResult:
    """The parse of a stored upload, read once: offering the import and doing it (a press
    later) use the same result. Kept for the last few uploads, by content and name (the name's
    extension says how to read it); after a restart the file is read again."""
    key = (sha256, filename)
    found = _parsed.get(key)
    if found is not None:
        _parsed.move_to_end(key)
        return found
    data = await asyncio.to_thread(ctx.files.path_for(sha256).read_bytes)
    result = await read_spreadsheet(data, filename)
    _parsed[key] = result
    while len(_parsed) > PARSED_KEPT:
        _parsed.popitem(last=False)
    return result


async def import_rows(
    ctx: Ctx, user: User, case_id: int, version: int, result: ImportResult
) -> int:
    """Add every valid row as an entry of the draft, all in one transaction; returns how many."""
    if not result.rows:
        raise Refused("refused-import-empty")
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        v = await load(uow, case_id)
        check_actor(user, v.case, step=1)
        check_version(v.case, version)
        await claim(uow, v.case, version)
        base = defaults(v.opd.name, now)
        for row in result.rows:
            fields = {k: (val if val else base.get(k, "")) for k, val in row.fields.items()}
            fields = {k: clean_field(k, str(val)) if k in base or k in ("title", "summary")
                      else val for k, val in fields.items()}  # fmt: skip
            await uow.entries.add(case_id, fields)
        await audit(uow, now, "entry:import", user, case_id=case_id, step=1,
                    note=f"{len(result.rows)} baris")  # fmt: skip
        await uow.commit()
    return len(result.rows)


def month_of(text: str) -> tuple[int, int]:
    year, _, month = text.partition("-")
    if not (year.isdigit() and month.isdigit() and 1 <= int(month) <= 12 and len(year) == 4):
        raise ValueError(text)
    return int(year), int(month)


def stamp(now: datetime) -> str:
    return f"{now:%Y%m%d-%H%M}"


def titles(entries: Sequence[ExportEntry], scope: Scope) -> str:
    opd = entries[0].opd_name if scope.opd_code and entries else "Kota Pontianak"
    period = entries[0].round_name if scope.round_id is not None and entries else "kumulatif"
    return f"Daftar Informasi Publik {opd} — {period}"
