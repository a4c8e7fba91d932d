"""Commands that report: `audit --case ID` (a case's history) and `status [--json]`.

Both only read. `status` shows the rounds at work and those closed in the last 30 days (`--all`:
every round). `status --json` is meant for scripts and dashboards; its shape is stable:
`{"generated_at", "rounds": [{"id", "name", "created_at", "closed_at", "cases": [...]}]}` with
every instant in ISO 8601 with its UTC offset, in the office time zone.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from bot.bootstrap import open_core
from bot.cli import CliError
from bot.cli.people_cmds import columns, format_table, positive_int
from bot.config import Settings
from bot.formatting import zone_name
from bot.models import CaseLine, User
from bot.services.cases import STATUS_KEEPS_CLOSED
from bot.sop import CLOSED, STEPS, Role
from bot.texts import TEXTS, plain
from storage.uow import UnitOfWork


class OpdRef(TypedDict):
    code: str
    name: str


class PersonRef(TypedDict):
    id: int
    name: str


class CaseStatus(TypedDict):
    id: int
    opd: OpdRef
    step: int
    step_actor: str | None
    state: str
    assignees: list[PersonRef]
    due_at: str | None
    overdue: bool
    entries: int


class RoundStatus(TypedDict):
    id: int
    name: str
    created_at: str
    closed_at: str | None
    cases: list[CaseStatus]


class StatusReport(TypedDict):
    generated_at: str
    rounds: list[RoundStatus]


def register(sub: Any) -> None:
    audit = sub.add_parser("audit", help="riwayat sebuah berkas dari jejak audit")
    audit.add_argument(
        "--case",
        required=True,
        type=positive_int("cli-bad-case-id"),
        metavar="ID",
        help="ID berkas (lihat: python -m bot status)",
    )
    audit.set_defaults(func=cmd_audit)
    status = sub.add_parser("status", help="putaran, berkas, langkah, petugas dan batas waktu")
    status.add_argument("--json", action="store_true", help="keluaran JSON untuk skrip")
    status.add_argument(
        "--all",
        action="store_true",
        help="semua putaran; tanpa ini: yang berjalan dan yang selesai 30 hari terakhir",
    )
    status.set_defaults(func=cmd_status)


def short_time(t: datetime, tz: ZoneInfo) -> str:
    """`2027-03-02 16.00 WIB`: compact, sortable, in the office time zone."""
    local = t.astimezone(tz)
    return f"{local:%Y-%m-%d %H.%M} {zone_name(local)}"


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


# --- audit ---------------------------------------------------------------------------------


async def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    tz = settings.tz
    async with open_core(settings) as core, core.db.transaction() as uow:
        case = await uow.cases.get(args.case)
        if case is None:
            raise CliError(plain("cli-unknown-case", id=args.case))
        opd = await uow.opds.get(case.opd_id)
        rnd = await uow.rounds.get(case.round_id)
        records = await uow.audit.for_case(case.id)
        people: dict[int, User | None] = {}
        named = {r.user_id for r in records} | {r.acting_for for r in records}
        for user_id in {u for u in named if u is not None}:
            people[user_id] = await uow.users.get(user_id)
    print(
        plain(
            "cli-audit-head",
            id=case.id,
            opd=opd.name if opd else "?",
            code=opd.code if opd else "?",
            round=rnd.name if rnd else "?",
        )
    )
    if not records:
        print(plain("cli-audit-none"))
        return 0
    rows = []
    for r in records:
        rows.append(
            (
                short_time(r.at, tz),
                _who(r.user_id, r.role, people) + _on_behalf(r.acting_for, people),
                plain("cli-step-short", step=r.step) if r.step is not None else "-",
                r.action,
                plain("cli-audit-refused" if r.outcome == "refused" else "cli-audit-ok")
                if r.outcome in {"ok", "refused"}
                else r.outcome,
                _one_line(r.note),
            )
        )
    for line in format_table(columns("cli-audit-columns"), rows):
        print(line)
    return 0


def _on_behalf(user_id: int | None, people: dict[int, User | None]) -> str:
    """` a.n. Rina`: an act a stand-in did for an absent person (Plh/Plt)."""
    if user_id is None:
        return ""
    user = people.get(user_id)
    return plain("cli-audit-on-behalf", name=user.name if user else f"#{user_id}")


def _who(user_id: int | None, role: str | None, people: dict[int, User | None]) -> str:
    """`Sari (PPID Utama)`; the role is the one recorded with the act."""
    if user_id is None:
        return plain("cli-audit-system")
    user = people.get(user_id)
    name = user.name if user else f"#{user_id}"
    role = role or (user.role.value if user else None)
    if not role:
        return name
    key = f"role-{role}"
    return f"{name} ({plain(key) if key in TEXTS else role})"


# --- status --------------------------------------------------------------------------------


def _case_status(line: CaseLine, people: dict[tuple[Role, int | None], list[User]],
                 now: datetime, tz: ZoneInfo) -> CaseStatus:  # fmt: skip
    opd = OpdRef(code=line.opd_code, name=line.opd_name)
    if line.step == CLOSED:
        return CaseStatus(
            id=line.case_id,
            opd=opd,
            step=line.step,
            step_actor=None,
            state=plain("cli-state-done"),
            assignees=[],
            due_at=None,
            overdue=False,
            entries=line.entries,
        )
    overdue = line.due_at is not None and now > line.due_at
    # `handover.recipients`, from the people loaded once: the active holders of the step's
    # role (of the case's OPD for an OPD role).
    role = STEPS[line.step].actor
    holders = people.get((role, line.opd_id if role == Role.PENDUKUNG else None), [])
    return CaseStatus(
        id=line.case_id,
        opd=opd,
        step=line.step,
        step_actor=role.value,
        state=plain("cli-state-late") if overdue else plain("cli-step-short", step=line.step),
        assignees=[PersonRef(id=p.id, name=p.name) for p in holders],
        due_at=line.due_at.astimezone(tz).isoformat() if line.due_at else None,
        overdue=overdue,
        entries=line.entries,
    )


async def build_status(
    uow: UnitOfWork, now: datetime, tz: ZoneInfo, *, every_round: bool = False
) -> StatusReport:
    """The rounds open or closed in the last `STATUS_KEEPS_CLOSED` (`every_round`: all of
    them) with their cases, in creation order. Three queries (rounds, cases, people) however
    many cases there are: a province's years of rounds used to cost five queries per case."""
    if every_round:
        chosen = await uow.rounds.all()
    else:
        chosen = await uow.rounds.recent(now - STATUS_KEEPS_CLOSED)
    by_round: dict[int, list[CaseLine]] = {}
    for line in await uow.cases.lines_of_rounds(r.id for r in chosen):
        by_round.setdefault(line.round_id, []).append(line)
    people: dict[tuple[Role, int | None], list[User]] = {}
    for user in sorted(await uow.users.all(), key=lambda u: u.id):
        if user.active:
            opd_id = user.opd_id if user.role == Role.PENDUKUNG else None
            people.setdefault((user.role, opd_id), []).append(user)
    rounds = [
        RoundStatus(
            id=rnd.id,
            name=rnd.name,
            created_at=rnd.created_at.astimezone(tz).isoformat(),
            closed_at=rnd.closed_at.astimezone(tz).isoformat() if rnd.closed_at else None,
            cases=[_case_status(line, people, now, tz) for line in by_round.get(rnd.id, [])],
        )
        for rnd in chosen
    ]
    return StatusReport(generated_at=now.isoformat(), rounds=rounds)


def render_status(report: StatusReport, tz: ZoneInfo) -> list[str]:
    """The report as an aligned table per round, in Indonesian."""
    generated = datetime.fromisoformat(report["generated_at"])
    lines = [plain("cli-status-generated", at=short_time(generated, tz))]
    if not report["rounds"]:
        lines.append(plain("cli-status-empty"))
        return lines
    for rnd in report["rounds"]:
        closed = rnd["closed_at"]
        lines.append("")
        lines.append(
            plain(
                "cli-status-round",
                id=rnd["id"],
                name=rnd["name"],
                created=short_time(datetime.fromisoformat(rnd["created_at"]), tz),
                closed=plain(
                    "cli-status-round-closed",
                    closed=short_time(datetime.fromisoformat(closed), tz),
                )
                if closed
                else "",
            )
        )
        if not rnd["cases"]:
            lines.append(plain("cli-status-no-cases"))
            continue
        rows = []
        for c in rnd["cases"]:
            actor = c["step_actor"]
            step = f"{c['step']} {plain(f'role-{actor}')}" if actor else "-"
            if c["step_actor"] is None:
                assignees = "-"
            elif c["assignees"]:
                assignees = ", ".join(p["name"] for p in c["assignees"])
            else:
                assignees = plain("cli-status-nobody")
            due = c["due_at"]
            rows.append(
                (
                    str(c["id"]),
                    c["opd"]["code"],
                    step,
                    assignees,
                    short_time(datetime.fromisoformat(due), tz) if due else "-",
                    c["state"],
                    str(c["entries"]),
                )
            )
        lines.extend(format_table(columns("cli-status-columns"), rows))
    return lines


async def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    now = datetime.now(settings.tz)
    async with open_core(settings) as core, core.db.read() as uow:
        report = await build_status(uow, now, settings.tz, every_round=args.all)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for line in render_status(report, settings.tz):
            print(line)
    return 0
