"""Spreadsheet commands: `export template`, `export dip`, `export exempt`, and `report`."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.bootstrap import make_ctx, open_core
from bot.cli import CliError, web_cmds
from bot.config import Settings
from bot.reports import chart_png, month_name, monthly_xlsx
from bot.services.exports import Scope, dip_entries, exemption_totals, month_of, sla, titles
from bot.spreadsheets import export_csv, export_xlsx, template_xlsx
from bot.texts import plain


def register(sub: Any) -> None:
    export = sub.add_parser("export", help="ekspor templat, DIP, dan daftar dikecualikan")
    esub = export.add_subparsers(dest="export_command", metavar="JENIS", required=True)
    tpl = esub.add_parser("template", help="templat spreadsheet DIP (xlsx)")
    tpl.add_argument("--out", type=Path, required=True)
    tpl.set_defaults(func=cmd_template)
    dip = esub.add_parser("dip", help="DIP satu OPD atau seluruh kota")
    dip.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    dip.add_argument("--opd", metavar="KODE")
    dip.add_argument("--round", type=int, metavar="ID")
    dip.add_argument("--out", type=Path, required=True)
    dip.set_defaults(func=cmd_dip)
    web_cmds.register_export(esub)
    report = sub.add_parser("report", help="laporan kepatuhan waktu bulanan (xlsx dengan grafik)")
    report.add_argument("--month", required=True, metavar="YYYY-MM")
    report.add_argument("--out", type=Path, required=True)
    report.set_defaults(func=cmd_report)


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise CliError(plain("cli-cannot-write", path=path, error=exc.strerror)) from None


async def cmd_template(args: argparse.Namespace, settings: Settings) -> int:
    _write(args.out, template_xlsx())
    print(plain("cli-template-written", path=args.out))
    return 0


async def cmd_dip(args: argparse.Namespace, settings: Settings) -> int:
    scope = Scope(opd_code=args.opd, round_id=args.round)
    async with open_core(settings) as core, core.db.transaction() as uow:
        if args.opd and await uow.opds.by_code(args.opd) is None:
            raise CliError(plain("cli-unknown-opd-code", code=args.opd))
        if args.round is not None and await uow.rounds.get(args.round) is None:
            raise CliError(plain("cli-unknown-round", id=args.round))
        entries = await dip_entries(uow, scope)
    data = (
        export_xlsx(entries, title=titles(entries, scope))
        if args.format == "xlsx"
        else (export_csv(entries))
    )
    _write(args.out, data)
    print(plain("cli-dip-written", count=len(entries), path=args.out))
    return 0


async def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    try:
        month = month_of(args.month)
    except ValueError:
        raise CliError(plain("cli-bad-month", value=args.month)) from None
    async with open_core(settings) as core:
        ctx = make_ctx(settings=settings, db=core.db, calendar=core.calendar,
                       clock=lambda: datetime.now(UTC))  # fmt: skip
        stats = await sla(ctx, month)
        totals = await exemption_totals(ctx, month)
        now = ctx.now()
    chart = chart_png(stats, title=f"Ketepatan waktu per OPD — {month_name(month)}")
    _write(
        args.out, monthly_xlsx(stats, month=month, chart=chart, generated_at=now, exemptions=totals)
    )
    print(plain("cli-report-written", month=month_name(month), path=args.out))
    return 0
