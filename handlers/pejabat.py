"""The Pejabat PID's steps: attach and send the draft (step 1), record publication (step 5)."""

from __future__ import annotations

from bot.channels.base import Reply, Response
from bot.formatting import deadline
from bot.publishing.publisher import publisher_for
from bot.services import cases, drafting, people, publication, uploads
from bot.sop import Role
from bot.texts import t
from bot.workflow import Refused, check_actor
from handlers import spreadsheets
from handlers.base import Request, ask, btn, button, dialog, forget
from handlers.pdata import warning
from handlers.views import panel


@button("dr")
async def attach_draft(req: Request) -> Response:
    """Wait for the draft list as a file."""
    v = await cases.view(req.ctx, req.args[0])
    if not cases.acts_on(req.user, v.case) or v.case.step != 1:
        raise Refused("refused-role")
    return await ask(req, "draft_file", {"case": v.case.id}, t("draft-ask-file"))


@dialog("draft_file")
async def draft_file(req: Request) -> Response:
    """Store the draft file."""
    if req.ev.file is None:
        return Response().add(t("expected-file"), [[btn(t("btn-cancel"), "cx")]])
    got = await uploads.receive(req.ctx, req.user, req.files, req.ev.file, case_id=req.data["case"],
                                entry_id=None, message_id=req.ev.message_id)  # fmt: skip
    await forget(req)
    said = "" if got.duplicate else warning(got.check)
    saved = t("draft-file-saved", name=got.document.name) + ("\n\n" + said if said else "")
    if got.document.name.lower().endswith((".xlsx", ".csv")):
        offer = await spreadsheets.offer_import(req, req.data["case"], got.document.sha256,
                                                got.document.name)  # fmt: skip
        if offer is not None:
            offer.replies.insert(0, Reply(text=saved))
            return offer
    v = await cases.view(req.ctx, req.data["case"])
    resp = Response().add(t("file-duplicate", name=got.document.name) if got.duplicate else saved)
    resp.replies.append(panel(v, req.user, req.ctx.settings.publisher))
    return resp


@button("s1")
async def send_draft(req: Request) -> Response:
    """Step 1 done: the draft goes to every PPID Utama."""
    due = await drafting.send_to_utama(req.ctx, req.user, *req.args)
    v = await cases.view(req.ctx, req.args[0])
    text = t("sent-to-utama", opd=v.opd.name, deadline=deadline(due) if due else "")
    return Response().add(text, [[btn(t("btn-tasks"), "tg")]])


@button("u5")
async def url_for_entry(req: Request) -> Response:
    """Ask where one entry is published."""
    async with req.ctx.db.read() as uow:
        entry = await uow.entries.get(req.args[0])
    if entry is None:
        raise Refused("refused-unknown-entry")
    check_actor(req.user, (await cases.view(req.ctx, entry.case_id)).case, step=5)
    data = {"case": entry.case_id, "entry": entry.id}
    return await ask(req, "pub_url", data, t("ask-url", number=entry.number))


@button("ua")
async def url_for_all(req: Request) -> Response:
    """Ask one address for every entry still without one."""
    check_actor(req.user, (await cases.view(req.ctx, req.args[0])).case, step=5)
    return await ask(req, "pub_url", {"case": req.args[0], "entry": None}, t("ask-url-all"))


@dialog("pub_url")
async def url_value(req: Request) -> Response:
    """Record the address."""
    count = await publication.record_url(req.ctx, req.user, req.data["case"], req.ev.text or "",
                                         req.data["entry"])  # fmt: skip
    await forget(req)
    v = await cases.view(req.ctx, req.data["case"])
    resp = Response().add(t("url-saved", count=count))
    resp.replies.append(panel(v, req.user, req.ctx.settings.publisher))
    return resp


@button("p5")
async def close(req: Request) -> Response:
    """Step 5 done: published on the built-in site (or recorded as published) and closed."""
    publisher = publisher_for(req.ctx.settings.publisher)
    result = await publisher.publish(req.ctx, req.user, *req.args)
    v = await cases.view(req.ctx, req.args[0])
    values = {"opd": v.opd.name, "published": result.published, "not_held": result.not_held,
              "exempt": result.exempt}  # fmt: skip
    if req.ctx.settings.publisher == "site":
        # Relative page addresses mean nothing in a chat: without a public address, say so.
        if req.ctx.settings.public_base_url:
            links = "\n".join(
                f"#{e.number} {e.published_url}" for e in v.entries if e.published_url
            )
        else:
            links = t("site-no-public-url")
            await people.tell_admins_setting_missing(
                req.ctx, "PPID_PUBLIC_BASE_URL", "why-public-base-url",
                "PPID_PUBLIC_BASE_URL=https://ppid.pontianakkota.go.id/dip",
            )  # fmt: skip
        text = t("site-published", links=links, **values)
    else:
        text = t("case-published", **values)
    return Response().add(text, [[btn(t("btn-tasks"), "tg")]])


@button("wd")
async def withdraw(req: Request) -> Response:
    """PPID Utama: ask why a published entry is withdrawn."""
    async with req.ctx.db.read() as uow:
        entry = await uow.entries.get(req.args[0])
    if entry is None or not entry.published_url or entry.withdrawn_at:
        raise Refused("refused-not-published")
    if req.user.role != Role.UTAMA:
        raise Refused("refused-role")
    text = t("ask-withdraw", number=entry.number, title=entry.title)
    return await ask(req, "withdraw_reason", {"entry": entry.id}, text)


@dialog("withdraw_reason")
async def withdraw_reason(req: Request) -> Response:
    """Withdraw it; the answer comes once the site no longer shows it."""
    publisher = publisher_for(req.ctx.settings.publisher)
    done = await publisher.withdraw(req.ctx, req.user, req.data["entry"], req.ev.text or "")
    await forget(req)
    text = t("withdrawn" if done.off_site else "withdrawn-site-failed", number=done.entry.number)
    return Response().add(text, [[btn(t("btn-status"), "st")]])
