"""The SOP's state machine: who may do what to a case in which step, and what follows. Pure.

Every function here either returns what should happen or raises `Refused` with a catalogue key,
so that services stay a sequence of load, decide, save; and every rule is testable without I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from bot.formatting import short_date
from bot.models import Case, Entry, User
from bot.sop import CLOSED, STEPS, Category, Role

MAX_NOTE = 1000
MAX_TITLE = 200
MAX_SUMMARY = 1000


class Refused(Exception):
    """An act the rules do not allow; `key` names the sentence that explains it to the person."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Transition:
    """A case moves to `to_step`; entries change their review state; a note travels along."""

    to_step: int
    outcome: str  # forwarded | returned | published
    note: str | None = None
    reviews: dict[int, str] = field(default_factory=dict)  # entry id -> approved | returned
    # Returned entries whose current documents are rejected (never published, kept as evidence).
    reject_documents: frozenset[int] = frozenset()


def actor_of(step: int) -> Role:
    return STEPS[step].actor


def check_actor(user: User, case: Case, step: int | None = None) -> None:
    """The person is active and not away, holds the role of the case's current step, and (OPD)
    owns the case."""
    if not user.active:
        raise Refused("refused-inactive")
    check_present(user)
    if case.closed:
        raise Refused("refused-case-closed")
    if step is not None and case.step != step:
        raise Refused("refused-wrong-step")
    needed = actor_of(case.step)
    if user.role != needed:
        raise Refused("refused-role")
    if needed == Role.PENDUKUNG and user.opd_id != case.opd_id:
        raise Refused("refused-opd")


def check_present(user: User) -> None:
    """A person who is away (Plh/Plt recorded, `bot.absences`) may look but not act: their
    stand-in acts for them. Every act's check asks this, through `check_actor` or directly."""
    away = user.away
    if away is not None:
        stand_in = away.stand_in or "-"
        if away.until is None:  # a vacancy filled by a Plt
            raise Refused("refused-absent-open-ended", stand_in=stand_in)
        raise Refused("refused-absent", until=short_date(away.until), stand_in=stand_in)


def check_version(case: Case, version: int) -> None:
    """A button carries the case version it was drawn for; anything else is stale."""
    if case.version != version:
        raise Refused("refused-stale")


def clean_text(text: str | None, limit: int, empty_key: str = "refused-empty-text") -> str:
    """Collapse white space, refuse empty and over-long text."""
    cleaned = " ".join((text or "").split())
    if not cleaned:
        raise Refused(empty_key)
    if len(cleaned) > limit:
        raise Refused("refused-too-long", limit=limit)
    return cleaned


def live(entries: Iterable[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: e.number)


# --- step 1 and 2: the draft list -------------------------------------------------------------


def submit_draft(entries: Sequence[Entry], has_draft_document: bool) -> Transition:
    if not entries and not has_draft_document:
        raise Refused("refused-draft-empty")
    return Transition(to_step=2, outcome="forwarded")


def approve_draft(entries: Sequence[Entry]) -> Transition:
    if not entries:
        # The PPID Pendukung needs entries to answer; an attachment alone cannot be worked on.
        raise Refused("refused-approve-without-entries")
    return Transition(to_step=3, outcome="forwarded")


def return_draft(reason: str) -> Transition:
    return Transition(to_step=1, outcome="returned", note=clean_text(reason, MAX_NOTE))


# --- step 3: the OPD resolves each entry ------------------------------------------------------


def is_resolved(entry: Entry) -> bool:
    return entry.resolution != "none" and entry.review != "returned"


def needs_work(entry: Entry) -> bool:
    """Entries the OPD still has to answer: new ones and those returned at step 4."""
    return entry.review != "approved"


def progress(entries: Sequence[Entry]) -> tuple[int, int]:
    """(resolved, total) over the entries the OPD has to answer: all of them at first, only the
    returned ones after a return at step 4 (approved entries are settled). The one count that the
    panel, the receipts, the reminders and the refusal to send all show."""
    open_entries = [e for e in entries if needs_work(e)] or list(entries)
    return sum(1 for e in open_entries if is_resolved(e)), len(open_entries)


def check_entry_editable_in_step3(entry: Entry) -> None:
    if entry.review == "approved":
        raise Refused("refused-entry-approved", number=entry.number)


def check_exempt(reference: str, until: date, today: date) -> tuple[str, date]:
    ref = clean_text(reference, 300, "refused-exempt-reference")
    if until <= today:
        raise Refused("refused-exempt-until-past")
    return ref, until


def submit_documents(entries: Sequence[Entry]) -> Transition:
    done, total = progress(entries)
    if done < total:
        raise Refused("refused-unresolved", missing=total - done, total=total)
    return Transition(to_step=4, outcome="forwarded")


# --- step 4: the PPID Utama reviews -----------------------------------------------------------


def under_review(entries: Sequence[Entry]) -> list[Entry]:
    return [e for e in entries if e.review == "pending"]


def approve_documents(
    entries: Sequence[Entry], documented: Collection[int] | None = None
) -> Transition:
    """Approve every pending entry. With `documented` (the entries that still have a current
    document), an entry answered with documents whose every document was rejected is refused:
    it would be published empty."""
    pending = under_review(entries)
    if documented is not None:
        for e in pending:
            if e.resolution == "documents" and e.id not in documented:
                raise Refused("refused-entry-without-documents", number=e.number)
    reviews = {e.id: "approved" for e in pending}
    return Transition(to_step=5, outcome="forwarded", reviews=reviews)


def return_entries(
    entries: Sequence[Entry], chosen: Iterable[int], note: str, keep: Iterable[int] = ()
) -> Transition:
    """Return the chosen entries to the OPD; the others under review are approved. The current
    documents of a returned entry are rejected unless the PPID Utama chose to keep them (`keep`):
    a return at step 4 is about the documents, and a rejected one must never be published."""
    pending = {e.id for e in under_review(entries)}
    returned = set(chosen) & pending
    if not returned:
        raise Refused("refused-nothing-chosen")
    reviews = {eid: ("returned" if eid in returned else "approved") for eid in pending}
    return Transition(
        to_step=3, outcome="returned", note=clean_text(note, MAX_NOTE), reviews=reviews,
        reject_documents=frozenset(returned - set(keep)),
    )  # fmt: skip


def check_document_in_review(entry: Entry) -> None:
    """A single document can be rejected at step 4 only while its entry is under review."""
    if entry.review != "pending":
        raise Refused("refused-entry-not-in-review", number=entry.number)


# --- step 5: publication ----------------------------------------------------------------------


def publishable(entry: Entry) -> bool:
    """Only approved entries with documents that are not exempt ever reach the public."""
    return (
        entry.review == "approved"
        and entry.resolution == "documents"
        and entry.category != Category.DIKECUALIKAN
    )


def publish(entries: Sequence[Entry]) -> Transition:
    missing = [e for e in entries if publishable(e) and not e.published_url]
    if missing:
        raise Refused("refused-urls-missing", missing=len(missing))
    return Transition(to_step=CLOSED, outcome="published")


def check_url(url: str) -> str:
    """An http(s) address with a real host name; no credentials, no white space."""
    cleaned = url.strip()
    if len(cleaned) > 500 or any(c.isspace() for c in cleaned):
        raise Refused("refused-url")
    try:
        parts = urlsplit(cleaned)
        host = parts.hostname or ""
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise Refused("refused-url") from None
    if parts.scheme not in ("http", "https") or "@" in parts.netloc or not port_ok:
        raise Refused("refused-url")
    if "." not in host or host.startswith(".") or host.endswith("."):
        raise Refused("refused-url")
    return cleaned
