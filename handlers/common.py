"""Menus for everyone: main menu, /bantuan, /tugas, /status, /batal, opening a case, details."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.channels.base import OutgoingFile, Reply, Response
from bot.formatting import short_date
from bot.models import Document
from bot.services import cases
from bot.sop import Role
from bot.texts import t
from bot.workflow import Refused
from handlers.base import Request, btn, button, command
from handlers.pdata import warning
from handlers.views import panel, status_line, task_line


def main_menu(req: Request, text: str | None = None) -> Response:
    u = req.user
    rows = [[btn(t("btn-tasks"), "tg"), btn(t("btn-status"), "st")]]
    if u.role == Role.PEJABAT and u.away is None:
        rows.append([btn(t("btn-new-round"), "rn"), btn(t("btn-schedule"), "sc", 0)])
    if u.role == Role.ADMIN:
        rows.append([btn(t("btn-invite"), "iv", 0)])
    rows.append([btn(t("btn-absences"), "ab"), btn(t("btn-help"), "hp")])
    text = text or t("menu-title", name=u.name, role=t(f"role-{u.role}"))
    if u.away is not None:
        until = short_date(u.away.until) if u.away.until else t("absence-open-ended")
        text = (
            t("menu-away", until=until, stand_in=u.away.stand_in or t("absence-no-stand-in")) + text
        )
    return Response().add(text, rows)


@command("menu", "start")
@button("mn")
async def menu(req: Request) -> Response:
    """The main menu."""
    return main_menu(req)


@command("bantuan", "help")
@button("hp")
async def help_(req: Request) -> Response:
    """What my role does next."""
    opd = ""
    if req.user.opd_id is not None:
        async with req.ctx.db.read() as uow:
            found = await uow.opds.get(req.user.opd_id)
            opd = found.name if found else ""
    text = t(f"help-{req.user.role}", opd=opd) + "\n\n" + t("help-notices")
    if req.user.role in (Role.PENDUKUNG, Role.PEJABAT, Role.UTAMA):
        text += "\n\n" + t("help-datacheck")
    if req.user.role in (Role.PENDUKUNG, Role.UTAMA):
        text += "\n\n" + t("help-exemptions")
    text += "\n\n" + t("help-absences-admin" if req.user.role == Role.ADMIN else "help-absences")
    if len(req.ctx.channels) > 1:
        text += "\n\n" + t("help-move")
    return main_menu(req, text)


@command("batal", "cancel")
@button("cx")
async def cancel(req: Request) -> Response:
    """Leave any pending input."""
    async with req.ctx.db.transaction() as uow:
        had = await uow.dialogs.clear(req.user.id)
        await uow.commit()
    return main_menu(req, t("cancelled" if had else "nothing-to-cancel"))


@command("tugas")
@button("tg")
async def tasks(req: Request) -> Response:
    """My open tasks, most urgent first, each one tap from acting."""
    now = req.ctx.now()

    def blocks(listing: cases.Listing) -> list[tuple[str, list[str]]]:
        return [(t("tasks-title", count=listing.total),
                 [task_line(line, now) for line in listing.lines])]  # fmt: skip

    listing, text = await fitted(lambda n: cases.my_tasks(req.ctx, req.user, n), blocks, 50)
    if not listing.lines:
        return main_menu(req, t("no-tasks"))
    rows = [[btn(f"{t('btn-open')}: {line.opd_code}", "op", line.case_id)]
            for line in listing.lines[:20]]  # fmt: skip
    rows.append([btn(t("btn-menu"), "mn")])
    return Response().add(text, rows)


@command("status")
@button("st")
async def status(req: Request) -> Response:
    """Rounds and cases, late ones first (the order comes from the query)."""
    now = req.ctx.now()

    def blocks(listing: cases.Listing) -> list[tuple[str, list[str]]]:
        by_round: dict[int, tuple[str, list[str]]] = {}
        for line in listing.lines:
            name = t("status-round", name=line.round_name)
            by_round.setdefault(line.round_id, (name, []))[1].append(status_line(line, now))
        return list(by_round.values())

    listing, text = await fitted(lambda n: cases.status(req.ctx, req.user, n), blocks, 120)
    if not listing.lines:
        return main_menu(req, t("status-empty"))
    buttons = [btn(line.opd_code, "op", line.case_id) for line in listing.lines[:24]]
    # One tap opens a case (the latest rounds first), within a phone-sized keyboard.
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([btn(t("btn-menu"), "mn")])
    return Response().add(text, rows)


MESSAGE_CHARS = 3800  # a screenful to read; the rest is counted (each channel splits further)
# The most lines a list ever reads: no line is shorter than ten characters, so more could never
# be shown in one screenful.
LINES_THAT_FIT = MESSAGE_CHARS // 10


async def fitted(
    load: Callable[[int], Awaitable[cases.Listing]],
    blocks_of: Callable[[cases.Listing], list[tuple[str, list[str]]]],
    first: int,
) -> tuple[cases.Listing, str]:
    """A list read only as far as one screenful shows it (the rest counted in SQL): `first`
    lines, and once more with as many as lines of that length fill a screen when they all fit
    and more exist (short lines)."""
    limit = first
    while True:
        listing = await load(limit)
        unread = listing.total - len(listing.lines)
        text, shown, used = _fit(blocks_of(listing), MESSAGE_CHARS, unread)
        if shown < len(listing.lines) or not unread or limit >= LINES_THAT_FIT:
            return listing, text
        per_line = max(used // max(shown, 1), 1)
        limit = min(LINES_THAT_FIT, max(2 * limit, MESSAGE_CHARS // per_line + 8))


def fit(blocks: list[tuple[str, list[str]]], limit: int = MESSAGE_CHARS, unread: int = 0) -> str:
    """Headed lists as one text of at most `limit` characters, cut between lines, never inside
    one (nor after a heading with nothing under it), with how many lines were left out
    (`unread`: lines not even loaded, counted among them)."""
    return _fit(blocks, limit, unread)[0]


def _fit(blocks: list[tuple[str, list[str]]], limit: int, unread: int) -> tuple[str, int, int]:
    """`fit`'s text, how many lines it shows, and the characters they take."""
    out: list[str] = []
    used = shown = 0
    left = sum(len(lines) for _, lines in blocks) + unread
    for head, lines in blocks:
        # A heading goes in only with room for its first line too.
        first = len(lines[0]) + 1 if lines else 0
        if used + len(head) + 1 + first > limit:
            return "\n".join([*out, t("status-more", count=left)]), shown, used
        out.append(head)
        used += len(head) + 1
        for line in lines:
            if used + len(line) + 1 > limit:
                return "\n".join([*out, t("status-more", count=left)]), shown, used
            out.append(line)
            used += len(line) + 1
            left -= 1
            shown += 1
    if left:  # lines that were only counted
        out.append(t("status-more", count=left))
    return "\n".join(out), shown, used


@button("op")
async def open_case(req: Request) -> Response:
    """A case's panel as this person sees it."""
    v = await cases.view(req.ctx, req.args[0])
    if not cases.sees(req.user, v.case):
        raise Refused("refused-opd")
    return Response(replies=[panel(v, req.user, req.ctx.settings.publisher)])


@button("dt")
async def details(req: Request) -> Response:
    """Every entry in full, with the draft attachments as files."""
    v = await cases.view(req.ctx, req.args[0])
    if not cases.sees(req.user, v.case):
        raise Refused("refused-opd")
    from handlers.entries import card

    text = "\n\n".join(card(e) for e in v.entries) or t("entries-none")
    files = [document_file(req, d) for d in v.docs_of(None)]
    reply = Reply(text=text, buttons=[[btn(t("btn-back-case"), "op", v.case.id)]])
    reply.files = files
    return Response(replies=[reply])


def document_file(req: Request, d: Document) -> OutgoingFile:
    """A stored document to send to the person asking, by its reference on their channel
    where it has one (else uploaded from the store)."""
    return OutgoingFile(name=d.name, mime=d.mime, path=req.ctx.files.path_for(d.sha256),
                        file_id=d.file_ref(req.ev.channel))  # fmt: skip


@button("dc")
async def entry_documents(req: Request) -> Response:
    """Send the documents of one entry to the reviewer."""
    async with req.ctx.db.read() as uow:
        entry = await uow.entries.get(req.args[0])
        if entry is None:
            raise Refused("refused-unknown-entry")
        case = await uow.cases.get(entry.case_id)
        docs = await uow.documents.for_entry(entry.id)
    if case is None or not cases.sees(req.user, case):
        raise Refused("refused-opd")
    if not docs:
        return Response().add(t("no-docs", number=entry.number))
    text = t("docs-of-entry", number=entry.number, title=entry.title, count=len(docs))
    for d in docs:
        said = warning(d.check)
        text += "\n\n" + t("pdata-doc", name=d.name, said=said) if said else ""
    reply = Reply(text=text)
    reply.files = [document_file(req, d) for d in docs]
    reply.buttons = []
    if case.step == 4 and cases.acts_on(req.user, case) and entry.review == "pending":
        # The reviewer may reject a single document (the server checks the press again).
        reply.buttons += [[btn(t("btn-reject-doc", name=d.name), "jd", d.id, case.version)]
                          for d in docs]  # fmt: skip
    reply.buttons.append([btn(t("btn-back-case"), "op", entry.case_id)])
    return Response(replies=[reply])
