"""Spreadsheets in the chat: /templat, /ekspor, /laporan, and importing a filled template into a
step-1 draft (the valid rows or none; never half an import)."""

from __future__ import annotations

from functools import partial

from bot import heavy
from bot.channels.base import OutgoingFile, Reply, Response
from bot.reports import chart_png, exemption_lines, summary_lines
from bot.services import cases, exports
from bot.sop import Role
from bot.spreadsheets import SpreadsheetRefused, export_csv, export_xlsx, template_xlsx
from bot.spreadsheets.common import MAX_BLANK_RUN
from bot.texts import escape, t
from bot.workflow import Refused
from handlers.base import Request, btn, button, command, forget
from handlers.views import panel

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ERRORS_SHOWN = 10


@command("templat")
async def template(req: Request) -> Response:
    """The DIP template to fill in on a computer."""
    reply = Reply(text=t("template-sent"))
    reply.files = [OutgoingFile(name="templat-DIP.xlsx", mime=XLSX, data=template_xlsx())]
    return Response(replies=[reply])


@command("ekspor")
async def export(req: Request) -> Response:
    """The published DIP as xlsx and csv: an OPD its own, the others the whole city."""
    opd_code = None
    if req.user.role == Role.PENDUKUNG:
        async with req.ctx.db.read() as uow:
            opd = await uow.opds.get(req.user.opd_id or 0)
        opd_code = opd.code if opd else "?"
    scope = exports.Scope(opd_code=opd_code)
    # Beside the units of work: the register grows with the organisation (25,000 entries).
    async with req.ctx.db.read_aside() as uow:
        entries = await exports.dip_entries(uow, scope)
    if not entries:
        return Response().add(t("export-empty"))
    name = f"DIP-{opd_code or 'Kota-Pontianak'}-{exports.stamp(req.ctx.now())}"
    reply = Reply(text=t("export-sent", count=len(entries)))
    # Written in a child process (bot.heavy): a city-wide register is seconds of work.
    xlsx = await heavy.run(partial(export_xlsx, entries, title=exports.titles(entries, scope)))
    reply.files = [
        OutgoingFile(name=f"{name}.xlsx", mime=XLSX, data=xlsx),
        OutgoingFile(name=f"{name}.csv", mime="text/csv", data=await heavy.run(export_csv, entries)),
    ]  # fmt: skip
    return Response(replies=[reply])


@command("laporan")
async def report(req: Request) -> Response:
    """The SLA chart with a short summary, for those who oversee all OPDs."""
    if req.user.role == Role.PENDUKUNG:
        raise Refused("refused-role")
    stats = await exports.sla(req.ctx)
    if not stats:
        return Response().add(t("report-empty"))
    png = await heavy.run(partial(chart_png, stats, title=t("report-chart-title")))
    lines = [*summary_lines(stats), *exemption_lines(await exports.exemption_totals(req.ctx))]
    reply = Reply(text="\n".join([t("report-head"), *map(escape, lines)]))
    reply.files = [OutgoingFile(name="laporan-sla.png", mime="image/png", data=png)]
    return Response(replies=[reply])


async def offer_import(req: Request, case_id: int, sha256: str, filename: str) -> Response | None:
    """A spreadsheet attached in step 1: show what would be imported and ask; None if it is not
    a DIP template (then it simply stays an attachment)."""
    try:
        result = await exports.read_upload(req.ctx, sha256, filename)
    except SpreadsheetRefused as exc:
        if exc.key in ("no_header", "wrong_columns", "not_spreadsheet"):
            return None
        return Response().add(t("import-refused", reason=exc.message))
    v = await cases.view(req.ctx, case_id)
    lines = [t("import-summary", valid=len(result.rows), invalid=len(result.errors))]
    lines += [escape(e) for e in result.errors[:MAX_ERRORS_SHOWN]]
    if len(result.errors) > MAX_ERRORS_SHOWN:
        lines.append(t("import-more-errors", count=len(result.errors) - MAX_ERRORS_SHOWN))
    if result.stopped_at is not None:
        lines.append(t("import-stopped", row=result.stopped_at, blank=MAX_BLANK_RUN))
    rows = [[btn(t("btn-import", count=len(result.rows)), "im", case_id, v.case.version)]]
    if not result.rows:
        rows = []
    rows.append([btn(t("btn-import-none"), "cx")])
    async with req.ctx.db.transaction() as uow:
        await uow.dialogs.set(req.user.id, "import_pick",
                              {"case": case_id, "sha": sha256, "name": filename}, req.ctx.now())  # fmt: skip
        await uow.commit()
    return Response().add("\n".join(lines), rows)


@button("im")
async def do_import(req: Request) -> Response:
    """Import the valid rows, all in one transaction."""
    if req.data.get("_kind") != "import_pick" or req.data.get("case") != req.args[0]:
        raise Refused("refused-stale")
    result = await exports.read_upload(req.ctx, req.data["sha"], req.data["name"])
    count = await exports.import_rows(req.ctx, req.user, req.args[0], req.args[1], result)
    await forget(req)
    v = await cases.view(req.ctx, req.args[0])
    resp = Response().add(t("import-done", count=count))
    resp.replies.append(panel(v, req.user, req.ctx.settings.publisher))
    return resp
