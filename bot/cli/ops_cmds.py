"""Commands for running an instance for years: `backup`, `backup verify`, `restore`, `health`,
and `move-to-postgresql` for a city's data that outgrows its SQLite file."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.texts import plain
from storage.backup import BackupError, Summary, create_backup, restore_backup, verify_backup
from storage.db import migration_files
from storage.health import record_backup


def register(sub: Any) -> None:
    backup = sub.add_parser("backup", help="cadangkan basis data, dokumen dan pengaturan")
    backup.add_argument("--out", type=Path, metavar="BERKAS.tar.gz", help="berkas tujuan")
    backup.set_defaults(func=cmd_backup)
    bsub = backup.add_subparsers(dest="backup_command", metavar="AKSI")
    verify = bsub.add_parser("verify", help="periksa keutuhan sebuah cadangan (hash SHA-256)")
    verify.add_argument("file", type=Path, metavar="BERKAS.tar.gz")
    verify.set_defaults(func=cmd_verify)
    restore = sub.add_parser("restore", help="pulihkan cadangan ke PPID_DATA_DIR yang kosong")
    restore.add_argument("file", type=Path, metavar="BERKAS.tar.gz")
    restore.add_argument(
        "--force",
        action="store_true",
        help="juga bila PPID_DATA_DIR berisi: isi lama dipindahkan ke samping, tidak dihapus",
    )
    restore.set_defaults(func=cmd_restore)
    health = sub.add_parser("health", help="apakah bot sehat (kode keluar 0) atau tidak (1)")
    health.add_argument("--json", action="store_true", help="laporan sebagai JSON")
    health.set_defaults(func=cmd_health)
    move = sub.add_parser(
        "move-to-postgresql",
        help="salin seluruh data dari berkas SQLite ke basis data PostgreSQL yang kosong",
    )
    move.add_argument("url", metavar="postgresql://…", help="basis data tujuan (kosong)")
    move.set_defaults(func=cmd_move)


def _fail(exc: BackupError) -> int:
    print(plain(exc.key, **exc.values), file=sys.stderr)
    return 1


def _schema(summary: Summary) -> int:
    return max(summary.migrations, default=0)


async def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    if settings.on_postgresql:
        print(plain("cli-backup-postgresql"), file=sys.stderr)
        return 2
    if args.out is None:
        print(plain("cli-backup-need-out"), file=sys.stderr)
        return 2
    now = datetime.now(UTC).astimezone(settings.tz)
    try:
        summary = await asyncio.to_thread(
            create_backup, settings.database_path, settings.documents_dir,
            settings.public_settings(), args.out, now,
        )  # fmt: skip
    except BackupError as exc:
        return _fail(exc)
    await record_backup(settings.database_path, now, None)
    print(plain("cli-backup-written", path=summary.path, schema=_schema(summary),
                documents=summary.documents, size=max(summary.size // 1024, 1)))  # fmt: skip
    if summary.missing:
        print(plain("cli-backup-missing-docs", count=len(summary.missing),
                    hashes=", ".join(summary.missing)), file=sys.stderr)  # fmt: skip
    return 0


async def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    try:
        summary = await asyncio.to_thread(verify_backup, args.file)
    except BackupError as exc:
        return _fail(exc)
    print(plain("cli-backup-ok", path=args.file, created=summary.created_at,
                schema=_schema(summary), documents=summary.documents))  # fmt: skip
    return 0


async def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    if settings.on_postgresql:
        print(plain("cli-backup-postgresql"), file=sys.stderr)
        return 2
    shipped = {number for number, _, _ in migration_files()}
    now = datetime.now(UTC).astimezone(settings.tz)
    try:
        summary, aside = await asyncio.to_thread(
            restore_backup, args.file, settings.data_dir, shipped, args.force, now
        )
    except BackupError as exc:
        return _fail(exc)
    print(plain("cli-restored", path=args.file, dir=settings.data_dir, schema=_schema(summary),
                documents=summary.documents))  # fmt: skip
    if aside is not None:
        print(plain("cli-restored-aside", path=aside))
    print(plain("cli-restored-next", path=settings.data_dir / "settings-from-backup.env"))
    return 0


async def cmd_health(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import settings_clock
    from bot.health import check

    report = await check(settings, settings_clock(settings)())
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=1))
    else:
        for line in report.lines():
            print(line)
    return 0 if report.healthy else 1


async def cmd_move(args: argparse.Namespace, settings: Settings) -> int:
    """The SQLite file of PPID_DATA_DIR into an empty PostgreSQL database, all or nothing; the
    file stays as it was, for going back."""
    from storage.db import Database
    from storage.postgres import safe_url
    from storage.tables import CountMismatch, TargetNotEmpty, move

    if settings.on_postgresql:
        print(plain("cli-move-from-postgresql"), file=sys.stderr)
        return 2
    url = str(args.url)
    if not url.startswith(("postgresql://", "postgres://")):
        print(plain("cli-move-not-postgresql"), file=sys.stderr)
        return 2
    path = settings.database_path
    if not path.exists():
        print(plain("cli-move-no-source", path=path), file=sys.stderr)
        return 2
    where = safe_url(url)
    print(plain("cli-move-start", path=path, where=where))
    source = await Database.open(path)
    try:
        target = await Database.open(url)
        try:
            moved = await move(source, target, on_table=lambda table, rows: print(
                plain("cli-move-table", table=table, rows=rows)))  # fmt: skip
        except TargetNotEmpty as exc:
            print(plain("cli-move-target-not-empty", where=where, table=exc.table), file=sys.stderr)
            return 2
        except CountMismatch as exc:
            print(plain("cli-move-mismatch", table=exc.table, copied=exc.copied,
                        source=exc.source), file=sys.stderr)  # fmt: skip
            return 1
        finally:
            await target.close()
    finally:
        await source.close()
    print(plain("cli-move-done", rows=sum(n for _, n in moved), tables=len(moved), where=where))
    return 0
