"""Receiving a document: check what was declared, stream it to the content-addressed store,
check what arrived, look for personal data in its text, and record it against the draft (step 1)
or an entry (step 3). Every channel's adapter calls this service, so every document is checked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot import heavy
from bot.channels.base import FileSource, FileUnavailable, IncomingFile
from bot.datacheck import CHECKED_EXTENSIONS, check_file
from bot.documents import FileRejected, check, photo_name
from bot.models import Document, User
from bot.personal_data import DataCheck
from bot.services.cases import load
from bot.services.context import Ctx, audit
from bot.services.handover import take
from bot.workflow import Refused, check_actor, check_entry_editable_in_step3
from storage.files import ContentMismatch, FileTooBig
from storage.uow import UnitOfWork

# The data check's hard limits in the child process (bot.heavy): past them the child is killed
# and the document is recorded as not checked. The check stops by itself a little earlier
# (bot.datacheck.SOFT_SECONDS) and says how far it got.
CHECK_TIMEOUT_S: Final = 30.0
CHECK_MEMORY: Final = 768 * 1024 * 1024


@dataclass(frozen=True)
class Received:
    document: Document
    duplicate: bool
    entry_number: int | None

    @property
    def check(self) -> DataCheck | None:
        return self.document.check


async def data_check(ctx: Ctx, sha256: str, ext: str) -> DataCheck:
    """The personal-data check of a stored document, off the event loop, within its budget."""
    if ext not in CHECKED_EXTENSIONS:
        return DataCheck(unchecked="type")
    path = ctx.files.path_for(sha256)
    try:
        return await heavy.run(check_file, path, ext, timeout=CHECK_TIMEOUT_S, memory=CHECK_MEMORY)
    except heavy.WorkTooLong:
        return DataCheck(unchecked="too_long")
    except heavy.WorkTooBig:
        return DataCheck(unchecked="too_big")


async def _target(uow: UnitOfWork, user: User, case_id: int, entry_id: int | None) -> int:
    """Re-check that the person may attach here now; returns the step it is attached in."""
    v = await load(uow, case_id)
    if entry_id is None:
        check_actor(user, v.case, step=1)
        return 1
    check_actor(user, v.case, step=3)
    entry = next((e for e in v.entries if e.id == entry_id), None)
    if entry is None:
        raise Refused("refused-unknown-entry")
    check_entry_editable_in_step3(entry)
    return 3


async def receive(
    ctx: Ctx,
    user: User,
    source: FileSource,
    incoming: IncomingFile,
    *,
    case_id: int,
    entry_id: int | None,
    message_id: str | None = None,
) -> Received:
    async with ctx.db.read() as uow:
        await _target(uow, user, case_id, entry_id)
    try:
        accepted = check(
            incoming.name, incoming.mime, incoming.size, ctx.settings.max_document_bytes
        )
    except FileRejected as exc:
        raise Refused(f"refused-file-{exc.reason}", limit=ctx.settings.max_document_mb) from None
    try:
        stored = await ctx.files.store(
            source.chunks(incoming.file_id),
            max_bytes=ctx.settings.max_document_bytes,
            ext=accepted.ext,
        )
    except FileTooBig:
        raise Refused("refused-file-too_big", limit=ctx.settings.max_document_mb) from None
    except FileUnavailable:
        raise Refused("refused-file-download") from None
    except ContentMismatch:
        raise Refused("refused-file-mismatch", ext=accepted.ext) from None
    # Checked before anyone may approve it, and before the transaction: it may take seconds.
    found = await data_check(ctx, stored.sha256, accepted.ext)
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        # The download took time: the case may have moved on meanwhile. Taken first, so that a
        # simultaneous change of it (another upload) waits, and this one reads what it did.
        await take(uow, case_id)
        step = await _target(uow, user, case_id, entry_id)
        same = await uow.documents.find_same(case_id, entry_id, stored.sha256)
        entry = await uow.entries.get(entry_id) if entry_id is not None else None
        if same is not None:
            # The very message handled before (delivered again after a crash) is answered as
            # the first time; the same file in a new message is a duplicate.
            again = message_id is not None and any(
                r.action == "document:add" and r.message_id == message_id and r.user_id == user.id
                for r in await uow.audit.for_case(case_id)
            )
            return Received(same, not again, entry.number if entry else None)
        rejected = await uow.documents.find_rejected(case_id, entry_id, stored.sha256)
        if rejected is not None:
            # The very file the PPID Utama rejected (say, unredacted) cannot come back unchanged.
            raise Refused("refused-file-rejected-before", name=rejected.name,
                          reason=rejected.removed_reason or "")  # fmt: skip
        name = accepted.name
        if incoming.photo:
            taken = await uow.documents.names(case_id, entry_id)
            name = photo_name(entry.number if entry else None, now.date(), taken, accepted.ext)
        doc_id = await uow.documents.add(
            case_id=case_id, entry_id=entry_id, step=step, sha256=stored.sha256,
            size=stored.size, mime=accepted.mime, name=name,
            channel_file_id=incoming.file_id, uploaded_by=user.id, now=now, channel=user.channel,
            data_check=found.to_json(),
        )  # fmt: skip
        if entry is not None:
            await uow.entries.update(
                entry.id, resolution="documents", resolution_note=None,
                exempt_reference=None, exempt_until=None, review="pending",
            )  # fmt: skip
        await audit(
            uow, now, "document:add", user, case_id=case_id, step=step, message_id=message_id,
            note=f"{'#' + str(entry.number) if entry else 'draf'} {name} {stored.sha256}"
                 f" {found.summary()}",
        )  # fmt: skip
        document = next(d for d in await uow.documents.for_case(case_id) if d.id == doc_id)
        await uow.commit()
    return Received(document, False, entry.number if entry else None)
