"""Keeping an instance running for years: the daily backup, and telling the admins in the chat
when it fails or when an unexpected error happens (at most once per kind of error per hour).

Admin notices go through the outbox like every other notice, so they respect office hours and
survive a restart; `handlers.notices` renders them.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from datetime import datetime, timedelta
from pathlib import Path

from bot.services.admin_notices import notify_admins
from bot.services.context import Ctx
from storage.backup import BackupError, backup_name, create_backup, prune_backups
from storage.health import BACKUP_ERROR, BACKUP_FAILED, BACKUP_OK

log = logging.getLogger(__name__)
ERROR_QUIET = timedelta(hours=1)  # one message per kind of error per hour
PACKAGES = ("bot", "handlers", "storage")


async def daily_backup(ctx: Ctx) -> Path | None:
    """Take the scheduled backup into `PPID_BACKUP_DIR` and keep the newest `PPID_BACKUP_KEEP`;
    on failure, record it (for `health`) and tell the admins. The path written, or None."""
    settings = ctx.settings
    now = ctx.now()
    folder = settings.backup_dir
    out = folder / backup_name(now)
    try:
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(create_backup, settings.database_path, settings.documents_dir,
                                settings.public_settings(), out, now)  # fmt: skip
        removed = await asyncio.to_thread(prune_backups, folder, settings.backup_keep)
    except (BackupError, OSError) as exc:
        error = _backup_error(exc)
        log.error("daily backup to %s failed: %s", out, error)
        async with ctx.db.transaction() as uow:
            await uow.meta.set(BACKUP_FAILED, now.isoformat())
            await uow.meta.set(BACKUP_ERROR, error[:300])
            payload = {"kind": "backup_failed", "at": f"{now:%Y-%m-%d %H.%M}", "error": error}
            await notify_admins(uow, ctx.calendar, now, f"backup_failed:{now.isoformat()}", payload)
            await uow.commit()
        ctx.kick()
        return None
    async with ctx.db.transaction() as uow:
        await uow.meta.set(BACKUP_OK, now.isoformat())
        await uow.commit()
    log.info("daily backup written to %s (%d old ones removed)", out, len(removed))
    return out


def _backup_error(exc: Exception) -> str:
    if isinstance(exc, BackupError):
        error = exc.values.get("error")
        return f"{exc.values.get('path', '')}: {error}" if error else exc.key
    assert isinstance(exc, OSError)
    return f"{exc.filename or ''} {exc.strerror or exc}".strip()


def where_of(error: BaseException) -> str:
    """Where an error happened, for grouping: the innermost frame of the project's own code
    (`module.function`), or the innermost frame at all."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if any(f"/{p}/" in f.filename for p in PACKAGES)]
    if not frames:
        return "?"
    frame = (ours or frames)[-1]
    module = Path(frame.filename).with_suffix("").name
    for package in PACKAGES:
        marker = f"/{package}/"
        if marker in frame.filename:
            tail = frame.filename.rsplit(marker, 1)[1]
            module = f"{package}." + tail.removesuffix(".py").replace("/", ".")
    return f"{module}.{frame.name}"


async def report_error(ctx: Ctx, error: BaseException) -> bool:
    """Tell the admins about an unexpected error, unless the same kind (class and place) was
    told within the hour; True when a notice was queued. Never raises: it runs in the error
    handler, and a failure here must not hide the first one."""
    kind, where = type(error).__name__, where_of(error)
    try:
        now = ctx.now()
        async with ctx.db.transaction() as uow:
            mark = f"error_told:{kind}@{where}"
            last = await uow.meta.get(mark)
            if last is not None and now - datetime.fromisoformat(last) < ERROR_QUIET:
                return False
            await uow.meta.set(mark, now.isoformat())
            payload = {"kind": "bot_error", "error": kind, "where": where,
                       "at": f"{now:%Y-%m-%d %H.%M}"}  # fmt: skip
            await notify_admins(
                uow, ctx.calendar, now, f"error:{kind}@{where}:{now.isoformat()}", payload
            )
            await uow.commit()
    except Exception:
        log.exception("could not queue the admins' notice about %s in %s", kind, where)
        return False
    ctx.kick()
    return True
