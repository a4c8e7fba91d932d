"""Commands of the working-day calendar: `deadline` and `holidays` (list, add, workday, remove)."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from typing import Any

from bot.bootstrap import open_core
from bot.cli import CliError
from bot.config import Settings
from bot.formatting import DAYS
from bot.services.calendar_admin import CalendarChangeRefused, remove_override, set_override
from bot.texts import plain


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(plain("cli-bad-date", value=value)) from None


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        days = 0
    if days < 1:
        raise argparse.ArgumentTypeError(plain("cli-bad-days", value=value))
    return days


def _year(value: str) -> int:
    try:
        year = int(value)
    except ValueError:
        year = 0
    if not 2000 <= year <= 2100:
        raise argparse.ArgumentTypeError(plain("cli-bad-year", value=value))
    return year


def register(sub: Any) -> None:
    deadline = sub.add_parser("deadline", help="hitung batas waktu sebuah langkah")
    deadline.add_argument(
        "--start", required=True, help="waktu serah terima, mis. 2026-03-17T10:00"
    )
    deadline.add_argument("--days", required=True, type=_days, help="jumlah hari kerja (>= 1)")
    deadline.set_defaults(func=cmd_deadline)

    hol = sub.add_parser("holidays", help="daftar libur dan pengaturan kalender kerja")
    hol.add_argument("--year", type=_year, help="tahun (bawaan: tahun ini)")
    hol.set_defaults(func=cmd_holidays_list)
    hsub = hol.add_subparsers(dest="holidays_command", metavar="AKSI")
    add = hsub.add_parser("add", help="tambah libur daerah")
    add.add_argument("day", type=_date, metavar="TANGGAL")
    add.add_argument("name", metavar="NAMA")
    add.set_defaults(func=cmd_holidays_add)
    work = hsub.add_parser("workday", help="tambah hari kerja pengganti (mis. Sabtu)")
    work.add_argument("day", type=_date, metavar="TANGGAL")
    work.add_argument("name", metavar="NAMA")
    work.set_defaults(func=cmd_holidays_workday)
    rm = hsub.add_parser("remove", help="hapus pengaturan sebuah tanggal")
    rm.add_argument("day", type=_date, metavar="TANGGAL")
    rm.set_defaults(func=cmd_holidays_remove)


def parse_start(value: str, settings: Settings) -> datetime:
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(plain("cli-bad-datetime", value=value)) from None
    if start.tzinfo is None:
        start = start.replace(tzinfo=settings.tz)
    return start


async def cmd_deadline(args: argparse.Namespace, settings: Settings) -> int:
    start = parse_start(args.start, settings)
    async with open_core(settings) as core:
        print(core.calendar.due(start, args.days).isoformat())
    return 0


async def cmd_holidays_list(args: argparse.Namespace, settings: Settings) -> int:
    year = args.year or datetime.now(settings.tz).year
    async with open_core(settings) as core:
        cal = core.calendar
        async with core.db.transaction() as uow:
            overrides = await uow.calendar.overrides()
        print(plain("cli-holidays-header", year=year))
        rows = cal.non_working_weekdays(year)
        for day, name in rows:
            print(
                plain("cli-holidays-row", date=day.isoformat(), day=DAYS[day.weekday()], name=name)
            )
        if not rows:
            print(plain("cli-holidays-none"))
        extra = [o for o in overrides if o.kind == "workday" and o.day.year == year]
        if extra:
            print()
            print(plain("cli-holidays-extra-workdays"))
            for o in extra:
                print(
                    plain(
                        "cli-holidays-row",
                        date=o.day.isoformat(),
                        day=DAYS[o.day.weekday()],
                        name=o.name,
                    )
                )
    return 0


async def _change(args: argparse.Namespace, settings: Settings, kind: str) -> int:
    now = datetime.now(settings.tz)
    async with open_core(settings) as core:
        try:
            if kind == "remove":
                change = await remove_override(core.db, settings, args.day, by="cli", now=now)
            else:
                change = await set_override(
                    core.db, settings, args.day, "holiday" if kind == "holiday" else "workday",
                    args.name, by="cli", now=now,
                )  # fmt: skip
        except CalendarChangeRefused as exc:
            raise CliError(
                plain(exc.key, date=args.day.isoformat(), day=DAYS[args.day.weekday()])
            ) from None
    key = {
        "holiday": "cli-holiday-added",
        "workday": "cli-workday-added",
        "remove": "cli-override-removed",
    }[kind]
    print(plain(key, date=args.day.isoformat(), name=getattr(args, "name", "")))
    if change.moved_tasks:
        print(plain("cli-deadlines-moved", count=change.moved_tasks))
    return 0


async def cmd_holidays_add(args: argparse.Namespace, settings: Settings) -> int:
    return await _change(args, settings, "holiday")


async def cmd_holidays_workday(args: argparse.Namespace, settings: Settings) -> int:
    return await _change(args, settings, "workday")


async def cmd_holidays_remove(args: argparse.Namespace, settings: Settings) -> int:
    return await _change(args, settings, "remove")
