"""Commands of the organisation and its people: `opd` (import, list), `invite` and `user`.

`opd import` reads a CSV with the columns `code,name`, checks every row before it touches the
database and then writes all rows in one transaction, so a bad file changes nothing and a second
import of the same file reports every OPD as unchanged.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Any, Final

from bot.bootstrap import open_core, settings_clock
from bot.channels.links import invitation_links
from bot.channels.port import ChannelUnreachable
from bot.cli import CliError
from bot.config import Settings
from bot.formatting import instant
from bot.services.people import INVITE_DAYS, deactivate, invite, invite_to_move
from bot.sop import Role
from bot.texts import TEXTS, plain
from bot.workflow import Refused

CODE_PATTERN: Final = re.compile(r"[A-Z0-9_]{2,30}")
BOT_USERNAME_PATTERN: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")
MAX_OPD_NAME: Final = 200
MAX_INVITE_NAME: Final = 120
MAX_INVITE_DAYS: Final = 90
CODE_COLUMNS: Final = ("code", "kode")
NAME_COLUMNS: Final = ("name", "nama")

# The service's refusals that the command line can meet, and the sentence that explains each one
# at the terminal (with the option to use instead of a chat button).
REFUSALS: Final[dict[str, str]] = {
    "refused-invite-needs-opd": "cli-invite-needs-opd",
    "refused-unknown-opd": "cli-unknown-opd",
    "refused-invite-opd-only-pendukung": "cli-invite-opd-only-pendukung",
    "refused-unknown-user": "cli-unknown-user",
    "refused-user-already-inactive": "cli-user-already-inactive",
}


@dataclass(frozen=True)
class OpdRow:
    """One checked row of an OPD file; `line` is its line number in the file."""

    line: int
    code: str
    name: str


@dataclass(frozen=True)
class ImportResult:
    new: int
    updated: int
    unchanged: int


# --- helpers shared with the report commands ---------------------------------------------------


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Lines of a table whose columns are padded to their widest cell."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
        for cells in [headers, *rows]
    ]


def columns(key: str) -> list[str]:
    """The column titles stored in the catalogue as `A|B|C`."""
    return plain(key).split("|")


def refusal(exc: Refused, **extra: object) -> CliError:
    """A service refusal as one terminal line."""
    values = {**exc.values, **extra}
    if exc.key in REFUSALS:
        return CliError(plain(REFUSALS[exc.key], **values))
    if exc.key in TEXTS:
        return CliError(plain("cli-refused", reason=plain(exc.key, **values)))
    return CliError(plain("cli-refused", reason=exc.key))


def positive_int(key: str) -> Any:
    """An argparse type: a positive integer, or the catalogue sentence `key` as the error."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = 0
        if number < 1:
            raise argparse.ArgumentTypeError(plain(key, value=value))
        return number

    return parse


# --- argument types --------------------------------------------------------------------------


def _role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise argparse.ArgumentTypeError(plain("cli-bad-role", value=value, roles=roles)) from None


def _invite_days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_INVITE_DAYS:
        raise argparse.ArgumentTypeError(
            plain("cli-bad-invite-days", value=value, limit=MAX_INVITE_DAYS)
        )
    return days


def register(sub: Any) -> None:
    opd = sub.add_parser("opd", help="daftar OPD: impor dari CSV dan tampilkan")
    opd.set_defaults(func=cmd_opd_list)
    osub = opd.add_subparsers(dest="opd_command", metavar="AKSI")
    imp = osub.add_parser("import", help="impor OPD dari CSV (kolom code,name); aman diulang")
    imp.add_argument("file", nargs="?", type=Path, metavar="BERKAS.csv")
    imp.add_argument(
        "--builtin", action="store_true", help="impor daftar OPD Pemerintah Kota Pontianak bawaan"
    )
    imp.set_defaults(func=cmd_opd_import)
    lst = osub.add_parser("list", help="tampilkan kode dan nama OPD")
    lst.set_defaults(func=cmd_opd_list)

    inv = sub.add_parser("invite", help="buat tautan undangan sekali pakai untuk petugas")
    inv.add_argument(
        "--role",
        required=True,
        type=_role,
        metavar="PERAN",
        help="admin, pejabat_pid, ppid_utama, ppid_pendukung (wajib --opd) atau atasan",
    )
    inv.add_argument("--opd", metavar="KODE", help="kode OPD, hanya untuk ppid_pendukung")
    inv.add_argument("--name", metavar="NAMA", help="nama petugas (bawaan: nama di Telegram)")
    inv.add_argument(
        "--days",
        type=_invite_days,
        default=INVITE_DAYS,
        metavar="HARI",
        help=f"masa berlaku dalam hari (bawaan: {INVITE_DAYS})",
    )
    inv.set_defaults(func=cmd_invite)

    user = sub.add_parser("user", help="daftar pengguna dan penonaktifan")
    user.set_defaults(func=cmd_user_list)
    usub = user.add_subparsers(dest="user_command", metavar="AKSI")
    ulist = usub.add_parser("list", help="tampilkan semua pengguna")
    ulist.set_defaults(func=cmd_user_list)
    deact = usub.add_parser("deactivate", help="nonaktifkan seorang pengguna")
    deact.add_argument("user_id", type=positive_int("cli-bad-user-id"), metavar="ID")
    deact.set_defaults(func=cmd_user_deactivate)
    move = usub.add_parser(
        "move", help="buat tautan pindah saluran (Telegram/WhatsApp) untuk seorang pengguna"
    )
    move.add_argument("user_id", type=positive_int("cli-bad-user-id"), metavar="ID")
    move.add_argument("--days", type=_invite_days, default=INVITE_DAYS, metavar="HARI",
                      help=f"masa berlaku dalam hari (bawaan: {INVITE_DAYS})")  # fmt: skip
    move.set_defaults(func=cmd_user_move)


# --- opd import ---------------------------------------------------------------------------


def parse_opd_csv(data: bytes, label: str) -> list[OpdRow]:
    """Check a whole OPD file; the first problem raises `CliError` naming its line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CliError(plain("cli-opd-csv-not-utf8", file=label, line=line)) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        records = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise CliError(
            plain("cli-opd-csv-invalid", file=label, line=reader.line_num, error=exc)
        ) from None
    records = [(line, row) for line, row in records if any(cell.strip() for cell in row)]
    if not records:
        raise CliError(plain("cli-opd-csv-columns", file=label, found="-"))
    header = [cell.strip().lower() for cell in records[0][1]]
    code_at = next((header.index(c) for c in CODE_COLUMNS if c in header), None)
    name_at = next((header.index(c) for c in NAME_COLUMNS if c in header), None)
    if code_at is None or name_at is None:
        found = ", ".join(h for h in header if h) or "-"
        raise CliError(plain("cli-opd-csv-columns", file=label, found=found))
    rows: list[OpdRow] = []
    seen: dict[str, int] = {}
    for line, cells in records[1:]:
        code = (cells[code_at] if code_at < len(cells) else "").strip().upper()
        name = " ".join((cells[name_at] if name_at < len(cells) else "").split())
        values: dict[str, object] = {"file": label, "line": line, "code": code}
        if not code:
            raise CliError(plain("cli-opd-csv-empty-code", **values))
        if not CODE_PATTERN.fullmatch(code):
            raise CliError(plain("cli-opd-csv-bad-code", **values))
        if not name:
            raise CliError(plain("cli-opd-csv-empty-name", **values))
        if len(name) > MAX_OPD_NAME:
            raise CliError(plain("cli-opd-csv-long-name", limit=MAX_OPD_NAME, **values))
        if code in seen:
            raise CliError(plain("cli-opd-csv-duplicate", first=seen[code], **values))
        seen[code] = line
        rows.append(OpdRow(line=line, code=code, name=name))
    if not rows:
        raise CliError(plain("cli-opd-csv-no-rows", file=label))
    return rows


def read_opd_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CliError(plain("cli-opd-file-missing", file=path)) from None
    except OSError as exc:
        raise CliError(
            plain("cli-opd-file-unreadable", file=path, error=exc.strerror or exc)
        ) from None


def builtin_opd_file() -> bytes:
    """The OPDs of the Pemerintah Kota Pontianak shipped with the package."""
    return (files("bot") / "data" / "opd_pontianak.csv").read_bytes()


async def cmd_opd_import(args: argparse.Namespace, settings: Settings) -> int:
    if args.builtin and args.file is not None:
        raise CliError(plain("cli-opd-source-both"))
    if args.builtin:
        rows = parse_opd_csv(builtin_opd_file(), plain("cli-opd-builtin-label"))
    elif args.file is not None:
        rows = parse_opd_csv(read_opd_file(args.file), str(args.file))
    else:
        raise CliError(plain("cli-opd-source-missing"))
    now = datetime.now(settings.tz)
    new = updated = unchanged = 0
    async with open_core(settings) as core, core.db.transaction() as uow:
        for row in rows:
            before = await uow.opds.by_code(row.code)
            if not await uow.opds.upsert(row.code, row.name):
                unchanged += 1
            elif before is None or before.code != row.code:
                new += 1
            else:
                updated += 1
        result = ImportResult(new=new, updated=updated, unchanged=unchanged)
        if new or updated:
            await uow.audit.append(
                at=now, action="opd:import", note=f"{new} new, {updated} updated by cli"
            )
        await uow.commit()
    print(plain("cli-opd-imported", **vars(result)))
    return 0


async def cmd_opd_list(args: argparse.Namespace, settings: Settings) -> int:
    async with open_core(settings) as core, core.db.transaction() as uow:
        opds = await uow.opds.all()
    if not opds:
        print(plain("cli-opd-none"))
        return 0
    for line in format_table(columns("cli-opd-columns"), [(o.code, o.name) for o in opds]):
        print(line)
    return 0


# --- invite --------------------------------------------------------------------------------


async def resolve_bot_username(settings: Settings) -> str | None:
    """The bot's @username without the @: from the settings, else asked from Telegram; None
    when the bot runs on WhatsApp alone (its links need no username)."""
    if settings.bot_username:
        name = settings.bot_username.strip().removeprefix("@")
        if not BOT_USERNAME_PATTERN.fullmatch(name):
            raise CliError(plain("cli-bot-username-invalid", value=settings.bot_username))
        return name
    if not settings.telegram_on:
        if settings.whatsapp_on and settings.whatsapp_number:
            return None
        raise CliError(plain("cli-bot-username-missing"))
    from bot.channels.telegram.application import bot_username

    try:
        return await bot_username(settings)
    except ChannelUnreachable as exc:
        raise CliError(plain("cli-bot-username-lookup-failed", error=str(exc))) from None


def _invite_name(value: str | None) -> str | None:
    if value is None:
        return None
    name = " ".join(value.split())
    if not name or len(name) > MAX_INVITE_NAME:
        raise CliError(plain("cli-invite-name-invalid", limit=MAX_INVITE_NAME))
    return name


async def cmd_invite(args: argparse.Namespace, settings: Settings) -> int:
    role: Role = args.role
    name = _invite_name(args.name)
    opd_code = args.opd.strip() if args.opd is not None else None
    # Refuse an --opd with the wrong role before asking Telegram anything.
    if opd_code is not None and role != Role.PENDUKUNG:
        raise CliError(plain("cli-invite-opd-only-pendukung", role=role.value))
    if role == Role.PENDUKUNG and not opd_code:
        raise CliError(plain("cli-invite-needs-opd"))
    async with open_core(settings) as core:
        if opd_code:
            async with core.db.transaction() as uow:
                known = await uow.opds.by_code(opd_code)
            if known is None:
                raise CliError(plain("cli-unknown-opd", code=opd_code))
        username = await resolve_bot_username(settings)
        now = _now(settings)
        try:
            created = await invite(
                core.db, role=role, opd_code=opd_code, name=name, created_by="cli", now=now,
                links=invitation_links(settings, username), days=args.days,
            )  # fmt: skip
        except Refused as exc:
            raise refusal(exc, role=role.value, code=opd_code or "") from None
    opd = (
        plain("cli-invite-opd", code=created.opd.code, name=created.opd.name)
        if created.opd
        else "-"
    )
    print(
        plain(
            "cli-invite-created",
            role=plain(f"role-{role.value}"),
            opd=opd,
            name=plain("cli-invite-name", name=name) if name else "",
            until=instant(created.invitation.expires_at.astimezone(settings.tz)),
        )
    )
    print(plain("cli-invite-forward"))
    for link in created.links:  # one per configured channel
        print(link)
    return 0


# --- users ---------------------------------------------------------------------------------


async def cmd_user_list(args: argparse.Namespace, settings: Settings) -> int:
    async with open_core(settings) as core, core.db.transaction() as uow:
        users = await uow.users.all()
        codes: dict[int, str] = {}
        for opd_id in {u.opd_id for u in users if u.opd_id is not None}:
            opd = await uow.opds.get(opd_id)
            codes[opd_id] = opd.code if opd else f"#{opd_id}"
    if not users:
        print(plain("cli-user-none"))
        return 0
    rows = [
        (
            str(u.id),
            u.name,
            u.role.value,
            codes.get(u.opd_id, "-") if u.opd_id is not None else "-",
            plain("cli-user-active" if u.active else "cli-user-inactive"),
            u.created_at.astimezone(settings.tz).date().isoformat(),
        )
        for u in users
    ]
    for line in format_table(columns("cli-user-columns"), rows):
        print(line)
    return 0


def _now(settings: Settings) -> datetime:
    """The bot's clock (PPID_CLOCK_START in the demo and tests), so that a link made here
    expires on the clock of the bot that redeems it."""
    return settings_clock(settings)().astimezone(settings.tz)


async def cmd_user_move(args: argparse.Namespace, settings: Settings) -> int:
    """A link that moves a person to the channel that opens it (one channel at a time)."""
    now = _now(settings)
    async with open_core(settings) as core:
        username = await resolve_bot_username(settings)
        try:
            created = await invite_to_move(core.db, args.user_id, created_by="cli", now=now,
                                           links=invitation_links(settings, username),
                                           days=args.days)  # fmt: skip
        except Refused as exc:
            raise refusal(exc, id=args.user_id) from None
    until = instant(created.invitation.expires_at.astimezone(settings.tz))
    print(plain("cli-user-move", id=args.user_id, name=created.invitation.name or "", until=until))
    for link in created.links:
        print(link)
    return 0


async def cmd_user_deactivate(args: argparse.Namespace, settings: Settings) -> int:
    now = datetime.now(settings.tz)
    async with open_core(settings) as core:
        try:
            user = await deactivate(core.db, args.user_id, now, by="cli")
        except Refused as exc:
            raise refusal(exc, id=args.user_id) from None
    print(plain("cli-user-deactivated", id=user.id, name=user.name, role=user.role.value))
    return 0
