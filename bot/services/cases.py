"""Use cases around rounds and cases: starting a round, loading a case with everything around it,
and the lists behind /tugas and /status."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.models import Case, CaseLine, Document, Entry, Opd, Round, Task, User
from bot.services.context import Ctx, audit
from bot.services.handover import start_step
from bot.sop import CLOSED, STEPS, Role
from bot.workflow import Refused, check_present, clean_text
from storage.uow import UnitOfWork

STATUS_KEEPS_CLOSED = timedelta(days=30)


@dataclass(frozen=True)
class CaseView:
    case: Case
    opd: Opd
    round: Round
    entries: list[Entry]
    documents: list[Document]  # current documents only
    task: Task | None
    taken_out: list[Document] = field(default_factory=list)  # removed or rejected ones

    def docs_of(self, entry_id: int | None) -> list[Document]:
        return [d for d in self.documents if d.entry_id == entry_id]

    def rejected_of(self, entry_id: int | None) -> list[Document]:
        return [
            d for d in self.taken_out if d.entry_id == entry_id and d.removed_kind == "rejected"
        ]

    def entry(self, number: int) -> Entry | None:
        return next((e for e in self.entries if e.number == number), None)


async def load(uow: UnitOfWork, case_id: int) -> CaseView:
    views = await load_many(uow, [case_id])
    if not views:
        raise Refused("refused-unknown-case")
    return views[0]


async def load_many(uow: UnitOfWork, case_ids: Iterable[int]) -> list[CaseView]:
    """The cases that exist among `case_ids`, by id, each with everything around it."""
    return await views_of(uow, await uow.cases.many(case_ids))


async def views_of(uow: UnitOfWork, cases: list[Case]) -> list[CaseView]:
    """Views of already loaded cases, in their order: five queries however many cases there are
    (a list of forty cases used to cost two hundred round trips to the database thread)."""
    ids = [c.id for c in cases]
    opds = await uow.opds.many(c.opd_id for c in cases)
    rounds = await uow.rounds.many(c.round_id for c in cases)
    entries = await uow.entries.for_cases(ids)
    documents = await uow.documents.with_taken_out(ids)
    tasks = await uow.tasks.current_of(ids)
    return [
        CaseView(
            case=c,
            opd=opds[c.opd_id],
            round=rounds[c.round_id],
            entries=entries.get(c.id, []),
            documents=[d for d in documents.get(c.id, []) if d.current],
            task=tasks.get(c.id),
            taken_out=[d for d in documents.get(c.id, []) if not d.current],
        )
        for c in cases
    ]


async def view(ctx: Ctx, case_id: int) -> CaseView:
    async with ctx.db.read() as uow:
        return await load(uow, case_id)


async def create_round(
    ctx: Ctx, user: User, name: str, opd_ids: list[int], *, asked: str | None = None
) -> list[CaseView]:
    """Open a round. `asked` is the kind of the question whose answer this is: once answered
    (the same press handled on another instance meanwhile) the press is stale."""
    if not user.active or user.role != Role.PEJABAT:
        raise Refused("refused-role")
    check_present(user)
    name = clean_text(name, 120, "refused-round-name")
    if not opd_ids:
        raise Refused("refused-round-empty")
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        if asked is not None and not await uow.dialogs.end(user.id, asked):
            raise Refused("refused-stale")
        _, case_ids = await open_round(uow, ctx, user, name, opd_ids, now, exclude=user.id)
        if asked is None:
            await uow.dialogs.clear(user.id)
        views = await load_many(uow, case_ids)
        await uow.commit()
    ctx.kick()
    return views


async def open_round(
    uow: UnitOfWork,
    ctx: Ctx,
    user: User,
    name: str,
    opd_ids: list[int],
    now: datetime,
    *,
    exclude: int | None,
    action: str = "round:create",
) -> tuple[int, list[int]]:
    """A round with one case per OPD, each in step 1 with its deadline, inside `uow`."""
    known = {o.id for o in await uow.opds.all()}
    if not set(opd_ids) <= known:
        raise Refused("refused-unknown-opd", code="?")
    round_id = await uow.rounds.add(name, user.id, now)
    case_ids = []
    for opd_id in sorted(set(opd_ids)):
        case_id = await uow.cases.add(round_id, opd_id, now)
        case = await uow.cases.get(case_id)
        assert case is not None
        await start_step(uow, ctx, case, 1, now, exclude=exclude)
        await audit(uow, now, action, user, case_id=case_id, opd_id=opd_id, step=1, note=name)
        case_ids.append(case_id)
    return round_id, case_ids


def acts_on(user: User, case: Case) -> bool:
    """Whether the case's current step waits for this person."""
    if case.step == CLOSED or not user.active or user.away is not None:
        return False  # an absent person may look; their stand-in acts
    actor = STEPS[case.step].actor
    return user.role == actor and (actor != Role.PENDUKUNG or user.opd_id == case.opd_id)


def sees(user: User, case: Case) -> bool:
    return user.role != Role.PENDUKUNG or user.opd_id == case.opd_id


async def tasks_of(uow: UnitOfWork, user: User) -> list[Case]:
    """The open cases whose current step waits for this person (none while they are away)."""
    opd_id = user.opd_id if user.role == Role.PENDUKUNG else None
    return [c for c in await uow.cases.all(opd_id=opd_id, open_only=True) if acts_on(user, c)]


@dataclass(frozen=True)
class Listing:
    """The first lines of a list and how many it has in all (the rest is only counted)."""

    lines: list[CaseLine]
    total: int


def waiting_steps(user: User) -> list[int]:
    """The steps whose task waits for someone of this person's role (`acts_on`, as SQL
    filters it: the OPD is matched in the query)."""
    if not user.active or user.away is not None:
        return []  # an absent person may look; their stand-in acts
    if user.role == Role.PENDUKUNG and user.opd_id is None:
        return []
    return [step for step, spec in STEPS.items() if spec.actor == user.role]


async def my_tasks(ctx: Ctx, user: User, limit: int) -> Listing:
    """Open cases waiting for this person, most urgent (earliest deadline) first: the first
    `limit`, and how many wait in all. One query, whatever the size of the organisation."""
    opd_id = user.opd_id if user.role == Role.PENDUKUNG else None
    steps = waiting_steps(user)
    if not steps:
        return Listing([], 0)
    async with ctx.db.read() as uow:
        lines, total = await uow.cases.waiting(steps, opd_id, limit)
    return Listing(lines, total)


async def status(ctx: Ctx, user: User, limit: int) -> Listing:
    """Cases of the rounds this person may see, newest round first, late cases first within a
    round, then by OPD code: the first `limit`, and how many there are in all. Rounds closed
    more than `STATUS_KEEPS_CLOSED` ago are left out: they are in the public register, and
    years of them would bury the rounds at work. A PPID Pendukung's cases are chosen in SQL."""
    opd_id = user.opd_id if user.role == Role.PENDUKUNG else None
    if user.role == Role.PENDUKUNG and opd_id is None:
        return Listing([], 0)  # `sees`: an OPD role without an OPD sees no case
    now = ctx.now()
    async with ctx.db.read() as uow:
        lines, total = await uow.cases.recent_lines(now - STATUS_KEEPS_CLOSED, now, opd_id, limit)
    return Listing(lines, total)
