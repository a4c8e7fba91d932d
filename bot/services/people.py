"""Use cases of people: invitations, joining through a deep link, listing and deactivation."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.models import Invitation, Opd, User
from bot.services.admin_notices import notify_admins
from bot.services.context import Ctx, audit
from bot.sop import Role
from bot.workflow import Refused
from storage.db import Database
from storage.uow import UnitOfWork

INVITE_DAYS = 7
TOKEN_BYTES = 24  # 32 URL-safe characters: inside Telegram's 64-character [A-Za-z0-9_-] payload


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    links: list[str]  # one per configured channel: the person opens whichever app they use
    opd: Opd | None

    @property
    def link(self) -> str:
        """The first channel's link (there is one per configured channel)."""
        return self.links[0] if self.links else ""


InviteLinks = Callable[[str], list[str]]
"""The links that redeem an invitation token, one per configured channel (the channels make
them: a Telegram deep link, later a wa.me link)."""


async def invite(
    db: Database,
    *,
    role: Role,
    opd_code: str | None,
    name: str | None,
    created_by: str,
    now: datetime,
    links: InviteLinks,
    days: int = INVITE_DAYS,
) -> NewInvitation:
    """Create a single-use invitation and return its links, one per configured channel."""
    name = " ".join(name.split())[:120] if name else None
    async with db.transaction() as uow:
        opd = None
        if role == Role.PENDUKUNG:
            if not opd_code:
                raise Refused("refused-invite-needs-opd")
            opd = await uow.opds.by_code(opd_code)
            if opd is None:
                raise Refused("refused-unknown-opd", code=opd_code)
        elif opd_code:
            raise Refused("refused-invite-opd-only-pendukung")
        invitation = Invitation(
            token=secrets.token_urlsafe(TOKEN_BYTES),
            role=role,
            opd_id=opd.id if opd else None,
            name=name,
            created_by=created_by,
            created_at=now,
            expires_at=now + timedelta(days=days),
            used_by=None,
            used_at=None,
        )
        await uow.invitations.add(invitation)
        await uow.audit.append(
            at=now, action="invite", note=f"{role.value} {opd.code if opd else ''} by {created_by}"
        )
        await uow.commit()
    return NewInvitation(invitation, links(invitation.token), opd)


def _valid_token(token: str) -> bool:
    return 0 < len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token) and token.isascii()


async def join(
    ctx: Ctx, token: str, *, channel: str, external_id: str, chat_id: str, first_name: str
) -> User:
    """Consume an invitation and register the person who opened it."""
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        if _valid_token(token):
            await uow.invitations.hold(token)  # one opening of it at a time, on any instance
        existing = await uow.users.by_external(channel, external_id)
        if existing is not None and existing.active:
            raise Refused("refused-already-joined")
        if not _valid_token(token):
            raise Refused("refused-invite-malformed")
        invitation = await uow.invitations.get(token)
        if invitation is None:
            raise Refused("refused-invite-unknown")
        if invitation.used_by is not None:
            raise Refused("refused-invite-used")
        if invitation.expires_at <= now:
            raise Refused("refused-invite-expired")
        name = invitation.name or " ".join(first_name.split())[:120] or "Petugas"
        if invitation.user_id is not None:
            # A person who takes part already moves to this channel (one channel at a time).
            moved = await _move(uow, invitation.user_id, existing, channel, external_id,
                                chat_id, now)  # fmt: skip
            if not await uow.invitations.mark_used(token, moved.id, now):
                raise Refused("refused-invite-used")
            await audit(uow, now, "move", moved, note=f"{moved.channel} -> {channel}")
            await uow.commit()
            found = await uow.users.get(moved.id)
            assert found is not None
            return found
        if existing is not None:
            # A deactivated person keeps their row (the audit trail points at it); a fresh
            # invitation brings them back, with the role and OPD of that invitation.
            user_id = existing.id
            await uow.users.reactivate(
                user_id, name=name, role=invitation.role, opd_id=invitation.opd_id, chat_id=chat_id
            )
        else:
            user_id = await uow.users.add(
                name=name, role=invitation.role, opd_id=invitation.opd_id, channel=channel,
                external_id=external_id, chat_id=chat_id, now=now,
            )  # fmt: skip
        if not await uow.invitations.mark_used(token, user_id, now):
            raise Refused("refused-invite-used")
        user = await uow.users.get(user_id)
        assert user is not None
        await audit(uow, now, "join", user, note=invitation.role.value)
        await uow.commit()
    return user


async def _move(
    uow: UnitOfWork, user_id: int, existing: User | None, channel: str, external_id: str,
    chat_id: str, now: datetime,
) -> User:  # fmt: skip
    """Move a person to `channel`; the chat account may not belong to someone else."""
    user = await uow.users.get(user_id)
    if user is None or not user.active:
        raise Refused("refused-invite-unknown")
    if existing is not None and existing.id != user.id:
        # The account was someone's before (deactivated: an active one is refused earlier).
        await uow.users.release_account(existing.id)
    await uow.users.move(user.id, channel=channel, external_id=external_id, chat_id=chat_id,
                         now=now)  # fmt: skip
    await uow.dialogs.clear(user.id)
    await uow.outbox.release_held(user.id)  # what was held for them goes to the new chat
    return user


async def invite_to_move(
    db: Database, user_id: int, *, created_by: str, now: datetime, links: InviteLinks,
    days: int = INVITE_DAYS,
) -> NewInvitation:  # fmt: skip
    """An invitation that moves a person who takes part already to the channel that redeems it
    (their role, OPD, name, tasks and history stay theirs)."""
    async with db.transaction() as uow:
        user = await uow.users.get(user_id)
        if user is None:
            raise Refused("refused-unknown-user", id=user_id)
        if not user.active:
            raise Refused("refused-user-already-inactive", id=user_id)
        invitation = Invitation(
            token=secrets.token_urlsafe(TOKEN_BYTES), role=user.role, opd_id=user.opd_id,
            name=user.name, created_by=created_by, created_at=now,
            expires_at=now + timedelta(days=days), used_by=None, used_at=None, user_id=user.id,
        )  # fmt: skip
        await uow.invitations.add(invitation)
        opd = await uow.opds.get(user.opd_id) if user.opd_id is not None else None
        await audit(uow, now, "invite_move", user, note=f"by {created_by}")
        await uow.commit()
    return NewInvitation(invitation, links(invitation.token), opd)


async def deactivate(db: Database, user_id: int, now: datetime, by: str) -> User:
    async with db.transaction() as uow:
        user = await uow.users.get(user_id)
        if user is None:
            raise Refused("refused-unknown-user", id=user_id)
        if not await uow.users.deactivate(user_id, now):
            raise Refused("refused-user-already-inactive", id=user_id)
        await uow.dialogs.clear(user_id)
        # Nothing waits for them any more: their queued notices are dropped, not held for ever.
        await uow.outbox.skip_pending_of(user_id, "deactivated")
        await uow.users.mark_reachable(user_id)
        await audit(uow, now, "deactivate", user, note=f"by {by}")
        await uow.commit()
    return user


async def reached(db: Database, user: User, now: datetime) -> bool:
    """The person wrote to the bot: they can be reached again, and what was held for them (and
    what failed when they could not be reached) goes out at the next pass, as one bundle.
    False when they were reachable already."""
    async with db.transaction() as uow:
        if not await uow.users.mark_reachable(user.id):
            return False
        await uow.outbox.release_held(user.id)
        await audit(uow, now, "reachable", user, note="wrote to the bot")
        await uow.commit()
    return True


async def unreachable(uow: UnitOfWork, user_id: int) -> User:
    """The person an admin's decision is about, still out of reach (an old button for someone
    who has written again, or was dealt with by another admin, is refused)."""
    user = await uow.users.get(user_id)
    if user is None:
        raise Refused("refused-unknown-user", id=user_id)
    if user.unreachable_since is None or not user.active:
        raise Refused("refused-reach-settled", name=user.name)
    return user


async def reach_again(db: Database, admin: User, user_id: int, now: datetime) -> User:
    """An admin asks to try a person again (e.g. after a phone call): their held and failed
    notices are queued; if the chat still refuses, the admins are told again."""
    async with db.transaction() as uow:
        user = await unreachable(uow, user_id)
        await uow.users.mark_reachable(user_id)
        await uow.outbox.release_held(user_id)
        await audit(uow, now, "reach-again", admin, note=f"user {user_id}")
        await uow.commit()
    return user


async def deactivate_unreachable(db: Database, admin: User, user_id: int, now: datetime) -> User:
    """An admin deactivates a person who cannot be reached (never an admin: that stays a
    decision for the command line)."""
    async with db.transaction() as uow:
        user = await unreachable(uow, user_id)
    if user.role == Role.ADMIN:
        raise Refused("refused-role")
    return await deactivate(db, user_id, now, by=f"user:{admin.id}")


async def tell_admins_setting_missing(ctx: Ctx, setting: str, why: str, example: str) -> None:
    """Queue, once ever per admin, the notice that `setting` is not set (`why`: the text key of
    what it blocks). Only admins read setting names; the person who met the gap is told that an
    admin knows."""
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        await notify_admins(uow, ctx.calendar, now, f"setting:{setting}",
                            {"kind": "setting_missing", "setting": setting, "why": why,
                             "example": example})  # fmt: skip
        await uow.commit()
    ctx.kick()
