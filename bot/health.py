"""Is the bot well? One report for `python -m bot health` (text or JSON) and `/healthz` (HTTP).

Problems, each one line: no deadline sweep for over 5 minutes (not running, or stuck), notices
waiting in office hours for over 10 minutes, failed notices, the last backup older than 2 days or
failed, free disk under the minimum, a failed quick integrity check, no database, a database of
a newer version. Notices held for people who cannot be reached are held on purpose (the admins
were told in the chat): they are reported, not counted as a problem.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.config import Settings
from bot.reminders import may_deliver, next_delivery
from bot.texts import plain
from bot.workdays import Calendar
from storage.db import migration_files
from storage.health import DbFacts, read_facts
from storage.postgres import safe_url

log = logging.getLogger(__name__)
SWEEP_STALE = timedelta(minutes=5)
NOTICE_STUCK = timedelta(minutes=10)
BACKUP_STALE = timedelta(days=2)


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


@dataclass
class Report:
    """The outcome of one check: healthy when there is no problem."""

    checked_at: datetime
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "healthy": self.healthy,
            "checked_at": self.checked_at.isoformat(),
            "problems": [{"code": p.code, "message": p.message} for p in self.problems],
            **self.details,
        }

    def lines(self) -> list[str]:
        """What the command prints: one line per problem, or that all is well; then notes."""
        head = [p.message for p in self.problems] or [plain("health-ok")]
        return head + self.notes


def _at(cal: Calendar, t: datetime) -> str:
    return f"{cal.local(t):%Y-%m-%d %H.%M}"


def evaluate(
    facts: DbFacts, cal: Calendar, now: datetime, shipped: set[int], *, backups: bool = True
) -> tuple[list[Problem], dict[str, Any]]:
    """The problems the database's facts show at `now`, and the figures behind them.
    `backups`: the bot takes the backups (SQLite); PostgreSQL's are the server's own."""
    problems: list[Problem] = []
    unknown = sorted(set(facts.migrations) - shipped)
    if unknown:
        problems.append(Problem("schema_too_new", plain("health-too-new", number=max(unknown))))
    if facts.last_sweep is None:
        problems.append(Problem("not_swept", plain("health-never-swept")))
    elif now - facts.last_sweep > SWEEP_STALE:
        minutes = int((now - facts.last_sweep).total_seconds() // 60)
        problems.append(Problem("not_swept", plain(
            "health-not-swept", minutes=minutes, at=_at(cal, facts.last_sweep))))  # fmt: skip
    # A notice is stuck when it could have left (its time came, inside office hours) more than
    # 10 minutes ago and still has not: counted from the first office instant it was due.
    stuck = []
    if may_deliver(cal, now):
        for not_before, next_try in facts.waiting:
            due = max(not_before, next_try) if next_try is not None else not_before
            since = next_delivery(cal, due)
            if now - since > NOTICE_STUCK:
                stuck.append(since)
    if stuck:
        problems.append(Problem("notices_stuck", plain(
            "health-stuck", count=len(stuck), since=_at(cal, min(stuck)))))  # fmt: skip
    if facts.failed:
        problems.append(Problem("notices_failed", plain("health-failed", count=facts.failed)))
    ok, failed = facts.backup_ok_at, facts.backup_failed_at
    if not backups:
        pass
    elif failed is not None and (ok is None or failed > ok):
        problems.append(Problem("backup_failed", plain(
            "health-backup-failed", at=_at(cal, failed), error=facts.backup_error or "?")))  # fmt: skip
    elif ok is not None and now - ok > BACKUP_STALE:
        problems.append(Problem("backup_old", plain("health-backup-old", at=_at(cal, ok))))
    elif ok is None and facts.created_at is not None and now - facts.created_at > BACKUP_STALE:
        problems.append(Problem("backup_none", plain(
            "health-backup-none", since=_at(cal, facts.created_at))))  # fmt: skip
    if facts.integrity is not None:
        problems.append(Problem("integrity", plain("health-integrity", error=facts.integrity)))
    details = {
        "last_sweep": facts.last_sweep.isoformat() if facts.last_sweep else None,
        "notices_stuck": len(stuck),
        "notices_failed": facts.failed,
        "notices_held": facts.held,
        "last_backup": ok.isoformat() if ok else None,
        "last_backup_failed": failed.isoformat() if failed else None,
        "schema": max(facts.migrations, default=0),
        "integrity": "ok" if facts.integrity is None else facts.integrity,
    }
    return problems, details


async def check(settings: Settings, now: datetime) -> Report:
    """The whole report for the instance these settings describe, at `now`. Never creates or
    changes anything."""
    report = Report(checked_at=now)
    path: Path | str = settings.database_path
    if settings.on_postgresql:
        path = safe_url(str(settings.database_target))
    shipped = {number for number, _, _ in migration_files()}
    try:
        facts: DbFacts | None = await read_facts(settings.database_target, now - NOTICE_STUCK)
    except FileNotFoundError:
        facts = None
        report.problems.append(Problem("no_database", plain("health-no-database", path=path)))
    except (sqlite3.Error, ValueError) as exc:
        facts = None
        report.problems.append(
            Problem("unreadable", plain("health-unreadable", path=path, error=exc))
        )
    if facts is not None:
        cal = Calendar(tz=settings.tz, hours=settings.hours, overrides=facts.overrides,
                       special_hours=settings.special_periods)  # fmt: skip
        problems, details = evaluate(facts, cal, now, shipped,
                                     backups=not settings.on_postgresql)  # fmt: skip
        report.problems += problems
        report.details.update(details)
        if facts.held:
            report.notes.append(plain("health-held", count=facts.held))
    report.problems += _disk(settings, report.details)
    return report


def _disk(settings: Settings, details: dict[str, Any]) -> list[Problem]:
    """Free space where the data lives (or the nearest existing folder above it)."""
    where = settings.data_dir.absolute()
    while not where.exists() and where != where.parent:
        where = where.parent
    free_mb = shutil.disk_usage(where).free // (1024 * 1024)
    details["disk_free_mb"] = free_mb
    if free_mb < settings.health_min_free_mb:
        return [Problem("disk_low", plain("health-disk-low", path=where, free=free_mb,
                                          minimum=settings.health_min_free_mb))]  # fmt: skip
    return []


Clock = Callable[[], datetime]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def healthz(settings: Settings, clock: Clock) -> Handler:
    """An aiohttp handler for `GET /healthz`: 200 and the report as JSON when healthy, else 503
    (what monitoring systems read)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        report = await check(settings, clock())
        return web.json_response(report.as_json(), status=200 if report.healthy else 503)

    return handle


class HealthServer:
    """`/healthz` on its own port, for a bot that polls (a webhook bot serves it on the
    webhook's port)."""

    def __init__(self, settings: Settings, clock: Clock, listen: str, port: int) -> None:
        self._handler = healthz(settings, clock)
        self._listen = listen
        self._port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._listen, self._port).start()
        except OSError as exc:
            # The bot itself is fine: it runs on, and the monitoring sees /healthz missing.
            await runner.cleanup()
            log.error("cannot serve /healthz on %s:%s (PPID_HEALTH_PORT): %s",
                      self._listen, self._port, exc)  # fmt: skip
            return
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
