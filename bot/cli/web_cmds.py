"""Commands of publication: `web build`, `web serve [--port N]`, `export exempt [--out FILE]`."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.bootstrap import make_ctx, open_core
from bot.cli import CliError
from bot.config import Settings
from bot.publishing.site import serve
from bot.services.register import exempt_entries, rebuild_site
from bot.texts import plain
from bot.untrusted import defuse_formula


def register(sub: Any) -> None:
    webp = sub.add_parser("web", help="situs DIP bawaan")
    wsub = webp.add_subparsers(dest="web_command", metavar="AKSI", required=True)
    build = wsub.add_parser("build", help="perbarui situs dari basis data (hanya yang berubah)")
    build.add_argument("--full", action="store_true", help="bangun ulang semua halaman")
    build.set_defaults(func=cmd_build)
    srv = wsub.add_parser("serve", help="pratinjau situs di 127.0.0.1")
    srv.add_argument("--port", type=int, default=8080)
    srv.set_defaults(func=cmd_serve)


def register_export(esub: Any) -> None:
    exempt = esub.add_parser("exempt", help="daftar informasi dikecualikan (internal PPID Utama)")
    exempt.add_argument("--out", type=Path, help="berkas CSV tujuan (bawaan: layar)")
    exempt.set_defaults(func=cmd_export_exempt)


async def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    async with open_core(settings) as core:
        ctx = make_ctx(settings=settings, db=core.db, calendar=core.calendar,
                       clock=lambda: datetime.now(UTC))  # fmt: skip
        built = await rebuild_site(ctx, full=getattr(args, "full", False))
    path = settings.web_dir / "current"
    if built.unchanged:
        print(plain("cli-web-unchanged", count=built.entries, path=path))
    elif getattr(args, "full", False) or not built.reused:
        print(plain("cli-web-built", count=built.entries, path=path))
    else:
        print(plain("cli-web-updated", count=built.entries, rendered=built.rendered,
                    reused=built.reused, path=path))  # fmt: skip
    return 0


async def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    if not 1 <= args.port <= 65535:
        raise CliError(plain("cli-bad-port", value=args.port))
    if not (settings.web_dir / "current").exists():
        await cmd_build(args, settings)
    try:
        runner = await serve(settings.web_dir, "127.0.0.1", args.port)
    except OSError as exc:
        raise CliError(plain("cli-port-busy", port=args.port, error=exc.strerror)) from None
    try:
        print(plain("cli-web-serving", url=f"http://127.0.0.1:{args.port}/"), flush=True)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
    return 0


async def cmd_export_exempt(args: argparse.Namespace, settings: Settings) -> int:
    async with open_core(settings) as core, core.db.transaction() as uow:
        # PPID_CLOCK_START (tests and demos) stands for the present, as it does for the bot.
        now = settings.clock_start or datetime.now(UTC)
        rows = await exempt_entries(uow, core.calendar, now)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["OPD", "Nama OPD", "Periode", "Nomor", "Judul", "Uji konsekuensi",
                     "Berlaku sampai", "Diputuskan mulai", "Status"])  # fmt: skip
    for r in rows:
        cells = (r.opd_code, r.opd_name, r.round_name, r.number, r.title, r.reference,
                 r.valid_until, r.decide_by, r.status)  # fmt: skip
        writer.writerow([defuse_formula(c) if isinstance(c, str) else c for c in cells])
    if args.out is None:
        sys.stdout.write(buffer.getvalue())
    else:
        args.out.write_text("\ufeff" + buffer.getvalue(), encoding="utf-8")
        print(plain("cli-exempt-written", count=len(rows), path=args.out))
    return 0
