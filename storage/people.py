"""Repositories of the organisation: OPDs, people and their invitations."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.models import Invitation, Opd, User
from bot.sop import Role
from storage.base import Repository, as_dict, instant, iso, marks


class OpdRepository(Repository):
    async def upsert(self, code: str, name: str) -> bool:
        """Insert or rename an OPD; True when something changed."""
        row = await self._one("SELECT name FROM opds WHERE code = ?", (code,))
        if row is not None and row["name"] == name:
            return False
        await self._execute(
            "INSERT INTO opds (code, name) VALUES (?, ?)"
            " ON CONFLICT (code) DO UPDATE SET name = excluded.name",
            (code, name),
        )
        return True

    async def all(self) -> list[Opd]:
        rows = await self._all("SELECT * FROM opds WHERE active = 1 ORDER BY name")
        return [Opd(**as_dict(r)) for r in rows]

    async def many(self, opd_ids: Iterable[int]) -> dict[int, Opd]:
        rows = await self._all_in("SELECT * FROM opds WHERE id IN ({ids})", opd_ids)
        return {r["id"]: Opd(**as_dict(r)) for r in rows}

    async def get(self, opd_id: int) -> Opd | None:
        row = await self._one("SELECT * FROM opds WHERE id = ?", (opd_id,))
        return None if row is None else Opd(**as_dict(row))

    async def by_code(self, code: str) -> Opd | None:
        row = await self._one("SELECT * FROM opds WHERE lower(code) = lower(?)", (code,))
        return None if row is None else Opd(**as_dict(row))


class UserRepository(Repository):
    async def add(
        self,
        *,
        name: str,
        role: Role,
        opd_id: int | None,
        channel: str,
        external_id: str,
        chat_id: str,
        now: datetime,
    ) -> int:
        return await self._insert(
            "INSERT INTO users (name, role, opd_id, channel, external_id, chat_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (name, role.value, opd_id, channel, external_id, chat_id, instant(now)),
        )

    async def get(self, user_id: int) -> User | None:
        row = await self._one("SELECT * FROM users WHERE id = ?", (user_id,))
        return None if row is None else User(**as_dict(row))

    async def by_external(self, channel: str, external_id: str) -> User | None:
        row = await self._one(
            "SELECT * FROM users WHERE channel = ? AND external_id = ?", (channel, external_id)
        )
        return None if row is None else User(**as_dict(row))

    async def all(self) -> list[User]:
        rows = await self._all("SELECT * FROM users ORDER BY active DESC, role, name")
        return [User(**as_dict(r)) for r in rows]

    async def with_role(self, role: Role, opd_id: int | None = None) -> list[User]:
        """Active people holding `role` (and, for an OPD role, that OPD)."""
        if opd_id is None:
            rows = await self._all(
                "SELECT * FROM users WHERE role = ? AND active = 1 ORDER BY id", (role.value,)
            )
        else:
            rows = await self._all(
                "SELECT * FROM users WHERE role = ? AND opd_id = ? AND active = 1 ORDER BY id",
                (role.value, opd_id),
            )
        return [User(**as_dict(r)) for r in rows]

    async def active_for(self, opd_ids: Iterable[int]) -> list[User]:
        """The active people a notice about these OPDs' cases may go to: everyone without an
        OPD role, and the PPID Pendukung of these OPDs (not those of every OPD)."""
        ids = sorted(set(opd_ids))
        # No OPD (the sweep's tasks closed meanwhile): no `IN ()`, which PostgreSQL refuses.
        of_opds = f" OR opd_id IN ({marks(ids)})" if ids else ""
        rows = await self._all(
            f"SELECT * FROM users WHERE active = 1 AND (role != ?{of_opds}) ORDER BY id",
            (Role.PENDUKUNG.value, *ids),
        )
        return [User(**as_dict(r)) for r in rows]

    async def reactivate(
        self, user_id: int, *, name: str, role: Role, opd_id: int | None, chat_id: str
    ) -> None:
        await self._execute(
            "UPDATE users SET active = 1, deactivated_at = NULL, name = ?, role = ?, opd_id = ?,"
            " chat_id = ? WHERE id = ?",
            (name, role.value, opd_id, chat_id, user_id),
        )

    async def seen(
        self, channel: str, external_id: str, now: datetime, slack: timedelta,
        phone: str | None = None,
    ) -> None:  # fmt: skip
        """They wrote to the bot at `now` (kept to within `slack`, so that a busy chat does not
        write a row for every message), from `phone` when the chat app shares the number
        (contact data only)."""
        await self._execute(
            "UPDATE users SET last_seen_at = ?, phone = COALESCE(?, phone)"
            " WHERE channel = ? AND external_id = ?"
            # Or a number given that differs from the one known (or none was known); written
            # without `? IS NOT NULL`, whose bare parameter PostgreSQL cannot type.
            " AND (last_seen_at IS NULL OR last_seen_at < ?"
            " OR (COALESCE(?, phone) IS NOT NULL AND phone IS NULL)"
            " OR COALESCE(?, phone) != phone)",
            (utc(now), phone, channel, external_id, utc(now - slack), phone, phone),
        )

    async def set_phone(self, user_id: int, phone: str | None) -> None:
        await self._execute("UPDATE users SET phone = ? WHERE id = ?", (phone, user_id))

    async def move(
        self, user_id: int, *, channel: str, external_id: str, chat_id: str, now: datetime
    ) -> None:
        """The person now uses `channel` (one channel at a time): notices go there from now."""
        await self._execute(
            "UPDATE users SET channel = ?, external_id = ?, chat_id = ?, last_seen_at = ?,"
            " unreachable_since = NULL WHERE id = ?",
            (channel, external_id, chat_id, utc(now), user_id),
        )

    async def rekey(self, user_id: int, channel: str, old: str, new: str) -> bool:
        """The person's id on `channel` changes from `old` to `new` (where they are written to
        as well); False when it changed already or `new` is someone's."""
        return (
            await self._execute(
                "UPDATE users SET external_id = ?, chat_id = ? WHERE id = ? AND channel = ?"
                " AND external_id = ? AND NOT EXISTS (SELECT 1 FROM users"
                " WHERE channel = ? AND external_id = ?)",
                (new, new, user_id, channel, old, channel, new),
            )
            > 0
        )

    async def release_account(self, user_id: int) -> None:
        """A deactivated person's chat account is taken by someone else: forget it."""
        await self._execute(
            "UPDATE users SET external_id = NULL, chat_id = NULL WHERE id = ? AND active = 0",
            (user_id,),
        )

    async def mark_unreachable(self, user_id: int, now: datetime) -> bool:
        """Their chat refuses messages for good; False when it was known already."""
        return (
            await self._execute(
                "UPDATE users SET unreachable_since = ? WHERE id = ? AND unreachable_since IS NULL",
                (instant(now), user_id),
            )
            > 0
        )

    async def mark_reachable(self, user_id: int) -> bool:
        """They wrote again (or an admin asks to try again); False when they were reachable."""
        return (
            await self._execute(
                "UPDATE users SET unreachable_since = NULL"
                " WHERE id = ? AND unreachable_since IS NOT NULL",
                (user_id,),
            )
            > 0
        )

    async def deactivate(self, user_id: int, now: datetime) -> bool:
        return (
            await self._execute(
                "UPDATE users SET active = 0, deactivated_at = ? WHERE id = ? AND active = 1",
                (instant(now), user_id),
            )
            > 0
        )


class InvitationRepository(Repository):
    async def add(self, invitation: Invitation) -> None:
        await self._execute(
            "INSERT INTO invitations (token, role, opd_id, name, created_by, created_at,"
            " expires_at, user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                invitation.token,
                invitation.role.value,
                invitation.opd_id,
                invitation.name,
                invitation.created_by,
                instant(invitation.created_at),
                instant(invitation.expires_at),
                invitation.user_id,
            ),
        )

    async def get(self, token: str) -> Invitation | None:
        row = await self._one("SELECT * FROM invitations WHERE token = ?", (token,))
        return None if row is None else Invitation(**as_dict(row))

    async def mark_used(self, token: str, user_id: int, now: datetime) -> bool:
        """Consume the invitation; False when someone else used it first."""
        return (
            await self._execute(
                "UPDATE invitations SET used_by = ?, used_at = ? WHERE token = ? AND used_by IS NULL",
                (user_id, iso(now), token),
            )
            > 0
        )


def utc(t: datetime) -> str:
    """The last-seen instant, stored as every instant is (`storage.base.instant`)."""
    return instant(t)
