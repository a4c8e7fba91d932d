"""How a case looks in the chat for each role: the panel text and its buttons."""

from __future__ import annotations

from datetime import datetime

from bot.channels.base import Button, Reply
from bot.formatting import deadline, local, short_date
from bot.models import CaseLine, Entry, User
from bot.services.cases import CaseView, acts_on
from bot.sop import CLOSED, Role
from bot.texts import t
from bot.workflow import is_resolved, needs_work, progress, publishable, under_review
from handlers.base import btn
from handlers.pdata import combined, entry_note


def due_text(v: CaseView) -> str:
    return deadline(v.task.due_at) if v.task else ""


def entry_state(e: Entry, v: CaseView) -> str:
    state = _state(e, v)
    rejected = v.rejected_of(e.id)
    if rejected and v.case.step in (3, 4) and e.review != "approved":
        state += t("state-rejected-docs", count=len(rejected))
    if v.case.step == 4 and e.review == "pending":
        state += entry_note(v.docs_of(e.id))
    return state


def _state(e: Entry, v: CaseView) -> str:
    if e.withdrawn_at:
        return t("state-withdrawn")
    if e.published_url:
        return t("state-published")
    if e.review == "returned":
        return t("state-returned", note=e.review_note or "")
    if e.resolution in ("not_held", "exempt"):
        # A proposal until the PPID Utama approves it at step 4; then it is decided.
        accepted = "-accepted" if e.review == "approved" else ""
        return t(f"state-{e.resolution}{accepted}")
    if v.case.step >= 4 and e.review == "approved":
        return t("state-approved")
    if e.resolution == "documents":
        return t("state-documents", count=len(v.docs_of(e.id)))
    return t("state-none") if v.case.step == 3 else ""


def entry_lines(v: CaseView, entries: list[Entry] | None = None) -> str:
    rows = [
        t("entry-line", number=e.number, title=e.title, category=t(f"cat-{e.category}"),
          state=entry_state(e, v))
        for e in (entries if entries is not None else v.entries)
    ]  # fmt: skip
    return "\n" + "\n".join(rows) if rows else t("entries-none")


def head(v: CaseView) -> str:
    text = t("case-head", opd=v.opd.name, round=v.round.name, step=t(f"step-{v.case.step}"),
             deadline=due_text(v))  # fmt: skip
    if v.case.return_note and v.case.step in (1, 3):
        text += t("return-note", note=v.case.return_note)
    return text


def panel(v: CaseView, user: User, publisher: str = "site") -> Reply:
    """The case as this person sees it now, with the buttons of what they may do."""
    c = v.case
    text = head(v)
    rows: list[list[Button]] = []
    mine = acts_on(user, c)
    if c.step in (1, 2, 5) or c.step == CLOSED:
        text += entry_lines(v)
        drafts = v.docs_of(None)
        if drafts:
            text += t("draft-docs", names=", ".join(d.name for d in drafts))
    if c.step in (3, 4):
        done, total = progress(v.entries)
        text += "\n" + t("progress", done=done, total=total) if c.step == 3 else ""
        text += entry_lines(v)
    if mine and c.step == 1:
        rows += [[btn(t("btn-add-entry"), "ea", c.id),
                  btn(t("btn-attach-draft"), "dr", c.id, c.version)]]  # fmt: skip
        rows += [[btn(f"#{e.number}", "ee", e.id) for e in v.entries[i : i + 5]]
                 for i in range(0, len(v.entries), 5)]  # fmt: skip
        rows.append([btn(t("btn-send-utama"), "s1", c.id, c.version)])
    elif mine and c.step == 2:
        rows += [[btn(t("btn-approve-forward"), "a2", c.id, c.version)],
                 [btn(t("btn-return"), "r2", c.id, c.version)],
                 [btn(t("btn-fix-category"), "k2", c.id, c.version),
                  btn(t("btn-details"), "dt", c.id)]]  # fmt: skip
    elif mine and c.step == 3:
        open_entries = [e for e in v.entries if needs_work(e)]
        rows += [[btn(f"{'✅' if is_resolved(e) else '⬜'} #{e.number}", "e3", e.id)
                  for e in open_entries[i : i + 4]] for i in range(0, len(open_entries), 4)]  # fmt: skip
        done, total = progress(v.entries)
        if done == total:
            rows.append([btn(t("btn-send-utama"), "s3", c.id, c.version)])
    elif mine and c.step == 4:
        rows += [[btn(t("btn-show-docs", number=e.number), "dc", e.id)]
                 for e in under_review(v.entries) if e.resolution == "documents"]  # fmt: skip
        # The one-tap return of an entry whose documents seem to carry personal data.
        rows += [[btn(t("btn-return-pdata", number=e.number), "rp", c.id, e.id, c.version)]
                 for e in under_review(v.entries)
                 if combined(v.docs_of(e.id))[0].found]  # fmt: skip
        rows += [[btn(t("btn-approve-all"), "a4", c.id, c.version)],
                 [btn(t("btn-return-entries"), "r4", c.id, c.version)]]  # fmt: skip
    elif mine and c.step == 5 and publisher == "site":
        rows.append([btn(t("btn-publish-site"), "p5", c.id, c.version)])
    elif mine and c.step == 5:
        pending = [e for e in v.entries if publishable(e) and not e.published_url]
        rows += [[btn(t("btn-url-entry", number=e.number), "u5", e.id)] for e in pending]
        if len(pending) > 1:
            rows.append([btn(t("btn-url-all"), "ua", c.id, c.version)])
        rows.append([btn(t("btn-close-case"), "p5", c.id, c.version)])
    elif c.step == CLOSED and user.role == Role.UTAMA and user.active and user.away is None:
        rows += [[btn(t("btn-withdraw", number=e.number), "wd", e.id)]
                 for e in v.entries if e.published_url and not e.withdrawn_at]  # fmt: skip
    rows.append([btn(t("btn-menu"), "mn")])
    return Reply(text=text, buttons=rows)


def is_late(line: CaseLine, now: datetime) -> bool:
    return line.due_at is not None and line.due_at < now


def task_line(line: CaseLine, now: datetime) -> str:
    due = deadline(line.due_at) if line.due_at else ""
    return t("task-line", opd=line.opd_name, round=line.round_name, step=t(f"step-{line.step}"),
             deadline=due, late=t("late-mark") if is_late(line, now) else "")  # fmt: skip


def status_line(line: CaseLine, now: datetime) -> str:
    due = t("status-due", due=short_date(local(line.due_at).date())) if line.due_at else ""
    return t("status-case", opd=line.opd_code, step=t(f"step-{line.step}").split(":")[0],
             due=due, late=t("late-mark") if is_late(line, now) else "")  # fmt: skip
