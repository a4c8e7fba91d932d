"""Backups of one instance: a consistent snapshot of the database and the document store, with
the settings that are not secrets and a manifest of SHA-256 hashes, in one `.tar.gz`.

The database is copied with SQLite's online backup API from a connection of its own, in one step:
the copy is one read transaction, consistent while the bot goes on writing (WAL lets it). The
documents are immutable and stored under their hash before the row that names them is committed,
so every document the snapshot names is on disk when the store is copied after it.

Nothing is ever half-written: the archive is written to a temporary file beside the target and
renamed into place only when complete; a restore unpacks into a staging folder next to the data
folder and swaps it in only after every hash matched. All functions here block: call them in a
worker thread (`asyncio.to_thread`), never on the event loop.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Final

FORMAT: Final = 1
MANIFEST: Final = "manifest.json"
DATABASE: Final = "ppid.sqlite3"
SETTINGS: Final = "settings.env"
DOCUMENTS: Final = "documents"
RESTORED_SETTINGS: Final = "settings-from-backup.env"
_DOC_MEMBER: Final = re.compile(r"documents/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})")
_DIGEST: Final = re.compile(r"[0-9a-f]{64}")
_CHUNK: Final = 1024 * 1024


class BackupError(Exception):
    """A backup, check or restore that cannot go on; `key` names the catalogue sentence that
    explains it (bot/texts.py), `values` fill it in. Nothing was written or changed."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(f"{key}: {values}")
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Summary:
    """What a backup holds, as its manifest says."""

    path: Path
    created_at: str
    migrations: list[int]
    documents: int
    size: int
    missing: list[str] = field(default_factory=list)  # named by the database, absent on disk


def _sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def snapshot_database(source: Path, target: Path) -> None:
    """Copy the database at `source` to `target` with the online backup API, in one step (one
    consistent read), then make the copy a single self-contained file."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # pages=-1: all at once, inside one read transaction
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    finally:
        src.close()


def _snapshot_facts(path: Path) -> tuple[list[int], set[str]]:
    """The migrations recorded in a database file and the documents it names."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        migrations = [r[0] for r in conn.execute("SELECT number FROM schema_migrations")]
        try:
            hashes = {r[0] for r in conn.execute("SELECT DISTINCT sha256 FROM documents")}
        except sqlite3.OperationalError:  # a database older than the documents table
            hashes = set()
    finally:
        conn.close()
    return sorted(migrations), hashes


def integrity_problem(path: Path, quick: bool = True) -> str | None:
    """None when SQLite's integrity check of the file passes, else its first complaint."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            pragma = "quick_check" if quick else "integrity_check"
            row = conn.execute(f"PRAGMA {pragma}").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    result = "" if row is None else str(row[0])
    return None if result == "ok" else result or "?"


def _store_files(documents: Path) -> Iterator[tuple[str, Path]]:
    """(digest, path) of every file at a content address of the store."""
    if not documents.is_dir():
        return
    for path in sorted(documents.glob("??/??/*")):
        if path.is_file() and _DIGEST.fullmatch(path.name):
            yield path.name, path


def _add(tar: tarfile.TarFile, name: str, path: Path, mtime: float) -> tuple[str, int]:
    """Add `path` as `name`; its SHA-256 and size as read while adding."""
    digest = hashlib.sha256()
    info = tarfile.TarInfo(name)
    info.size = path.stat().st_size
    info.mtime = int(mtime)
    info.mode = 0o644

    class _Reader(io.RawIOBase):
        def __init__(self, fh: IO[bytes]) -> None:
            self._fh = fh

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            data = self._fh.read(n)
            digest.update(data)
            return data

    with path.open("rb") as fh:
        tar.addfile(info, _Reader(fh))
    return digest.hexdigest(), info.size


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(mtime)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def create_backup(
    database: Path, documents: Path, settings: dict[str, str], out: Path, now: datetime
) -> Summary:
    """Write a backup of `database` and the store at `documents` to `out` (a `.tar.gz`).

    `BackupError` when there is no database or `out` cannot be written (nothing is left behind:
    no partial archive at `out`, no temporary file)."""
    if not database.is_file():
        raise BackupError("backup-no-database", path=database)
    folder = out.parent
    try:
        fd, part_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise BackupError("backup-cannot-write", path=out, error=exc.strerror or exc) from exc
    part = Path(part_name)
    snap = part.with_suffix(".sqlite3")
    try:
        with os.fdopen(fd, "wb") as raw:
            snapshot_database(database, snap)
            migrations, named = _snapshot_facts(snap)
            mtime = now.timestamp()
            entries: list[dict[str, Any]] = []
            stored: set[str] = set()
            with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
                sha, size = _add(tar, DATABASE, snap, mtime)
                entries.append({"path": DATABASE, "sha256": sha, "size": size})
                for digest, path in _store_files(documents):
                    name = f"{DOCUMENTS}/{digest[:2]}/{digest[2:4]}/{digest}"
                    sha, size = _add(tar, name, path, mtime)
                    entries.append({"path": name, "sha256": sha, "size": size})
                    stored.add(digest)
                text = "".join(f"{k}={v}\n" for k, v in sorted(settings.items())).encode()
                _add_bytes(tar, SETTINGS, text, mtime)
                entries.append({"path": SETTINGS, "sha256": hashlib.sha256(text).hexdigest(),
                                "size": len(text)})  # fmt: skip
                missing = sorted(named - stored)
                manifest = {
                    "format": FORMAT, "created_at": now.isoformat(), "migrations": migrations,
                    "documents": len(stored), "missing_documents": missing, "files": entries,
                }  # fmt: skip
                _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1).encode(), mtime)
            raw.flush()
            os.fsync(raw.fileno())
        part.replace(out)
        _fsync_dir(folder)
    except BackupError:
        raise
    except (OSError, sqlite3.Error) as exc:
        error = getattr(exc, "strerror", None) or str(exc)
        raise BackupError("backup-cannot-write", path=out, error=error) from exc
    finally:
        for leftover in (part, snap, Path(f"{snap}-journal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return Summary(path=out, created_at=now.isoformat(), migrations=migrations,
                   documents=len(stored), size=out.stat().st_size, missing=missing)  # fmt: skip


def _members(path: Path) -> Iterator[tuple[tarfile.TarInfo, IO[bytes] | None]]:
    """The members of an archive, each with its content; `BackupError` for an archive that is
    not a readable `.tar.gz` (truncated, not gzip) or holds anything but plain files."""
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for info in tar:
                if not info.isfile():
                    raise BackupError("backup-tampered", path=path, member=info.name)
                yield info, tar.extractfile(info)
    except FileNotFoundError as exc:
        raise BackupError("backup-missing", path=path) from exc
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(
            "backup-damaged", path=path, error=str(exc) or type(exc).__name__
        ) from exc


def _read(fh: IO[bytes], path: Path) -> bytes:
    """The next chunk of a member; a truncated archive shows here, while the member is read."""
    try:
        return fh.read(_CHUNK)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(
            "backup-damaged", path=path, error=str(exc) or type(exc).__name__
        ) from exc


def _allowed(name: str) -> bool:
    return name in (MANIFEST, DATABASE, SETTINGS) or _DOC_MEMBER.fullmatch(name) is not None


def _read_verified(path: Path, unpack_to: Path, only: set[str] | None = None) -> dict[str, Any]:
    """Read every member, hash it, and check it against the manifest; write each member (or
    those in `only`) under `unpack_to` as it is read. Returns the manifest; `BackupError` at
    the first mismatch."""
    seen: dict[str, tuple[str, int]] = {}
    manifest: dict[str, Any] | None = None
    for info, fh in _members(path):
        name = info.name
        if not _allowed(name) or name in seen or fh is None:
            raise BackupError("backup-tampered", path=path, member=name)
        digest = hashlib.sha256()
        size = 0
        data = bytearray() if name == MANIFEST else None
        target = None
        if name != MANIFEST and (only is None or name in only):
            target = unpack_to / name
            target.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.ExitStack() as stack:
            out = stack.enter_context(target.open("wb")) if target is not None else None
            while chunk := _read(fh, path):
                digest.update(chunk)
                size += len(chunk)
                if data is not None:
                    data += chunk
                if out is not None:
                    out.write(chunk)
            if out is not None:
                out.flush()
                os.fsync(out.fileno())
        if data is not None:
            try:
                manifest = json.loads(bytes(data))
            except ValueError as exc:
                raise BackupError("backup-tampered", path=path, member=name) from exc
        else:
            seen[name] = (digest.hexdigest(), size)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("backup-not-ours", path=path)
    listed = {e["path"]: (e["sha256"], e["size"]) for e in manifest.get("files", [])}
    for name in sorted(set(listed) | set(seen)):
        if listed.get(name) != seen.get(name):
            raise BackupError("backup-tampered", path=path, member=name)
    for name, (sha, _) in seen.items():
        match = _DOC_MEMBER.fullmatch(name)
        if match is not None and match.group(3) != sha:  # a document is named by its hash
            raise BackupError("backup-tampered", path=path, member=name)
    if DATABASE not in seen:
        raise BackupError("backup-not-ours", path=path)
    return manifest


def verify_backup(path: Path) -> Summary:
    """Check every hash of the archive against its manifest and the database's integrity;
    `BackupError` (truncated, tampered, not a backup) otherwise."""
    with tempfile.TemporaryDirectory(prefix="ppid-verify-") as tmp:
        manifest = _read_verified(path, Path(tmp), only={DATABASE})
        problem = integrity_problem(Path(tmp) / DATABASE, quick=False)
        if problem is not None:
            raise BackupError("backup-damaged", path=path, error=problem)
    return _summary(path, manifest)


def _summary(path: Path, manifest: dict[str, Any]) -> Summary:
    return Summary(path=path, created_at=str(manifest.get("created_at")),
                   migrations=list(manifest.get("migrations", [])),
                   documents=int(manifest.get("documents", 0)), size=path.stat().st_size,
                   missing=list(manifest.get("missing_documents", [])))  # fmt: skip


def restore_backup(
    path: Path, data_dir: Path, shipped: set[int], force: bool, now: datetime
) -> tuple[Summary, Path | None]:
    """Restore the backup at `path` as `data_dir`; returns its summary and where the data that
    was there went (`force`: moved aside, never deleted), None when the folder was empty.

    Refuses (`BackupError`, nothing touched) a non-empty `data_dir` without `force`, a damaged
    or tampered archive, and a backup made by a newer version (`shipped`: this code's
    migrations). The archive is unpacked and checked in a staging folder beside `data_dir` and
    swapped in with renames only when everything matched."""
    data_dir = data_dir.absolute()
    occupied = data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir()))
    if occupied and not force:
        raise BackupError("restore-not-empty", path=data_dir)
    if not path.is_file():
        raise BackupError("backup-missing", path=path)
    parent = data_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{data_dir.name}.restore-", dir=parent))
    except OSError as exc:
        raise BackupError("backup-cannot-write", path=parent, error=exc.strerror or exc) from exc
    aside: Path | None = None
    try:
        manifest = _read_verified(path, staging)
        problem = integrity_problem(staging / DATABASE, quick=False)
        if problem is not None:
            raise BackupError("backup-damaged", path=path, error=problem)
        unknown = sorted(set(manifest.get("migrations", [])) - shipped)
        if unknown:
            raise BackupError("backup-too-new", path=path, number=max(unknown))
        (staging / SETTINGS).replace(staging / RESTORED_SETTINGS)
        for doc in (staging / DOCUMENTS).glob("??/??/*"):
            doc.chmod(0o444)  # stored documents are immutable, as the store keeps them
        if occupied:
            aside = parent / f"{data_dir.name}.before-restore-{now:%Y%m%d-%H%M%S}"
            data_dir.rename(aside)
        elif data_dir.is_dir():
            data_dir.rmdir()
        staging.rename(data_dir)
        _fsync_dir(parent)
    except BackupError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if aside is not None and not data_dir.exists():
            aside.rename(data_dir)  # put the old data back where it was
            aside = None
        raise BackupError("backup-cannot-write", path=data_dir, error=exc.strerror or exc) from exc
    return _summary(path, manifest), aside


BACKUP_NAME: Final = re.compile(r"ppid-backup-\d{8}-\d{6}\.tar\.gz")


def backup_name(now: datetime) -> str:
    """The file name of a scheduled backup taken at `now` (local time; sorts by time)."""
    return f"ppid-backup-{now:%Y%m%d-%H%M%S}.tar.gz"


_LEFTOVER: Final = re.compile(r"\.ppid-backup-\d{8}-\d{6}\.tar\.gz\..+\.(part|sqlite3)")


def prune_backups(folder: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` scheduled backups in `folder`, and what a scheduled
    backup killed mid-way left behind (other files are left alone); returns the removed ones."""
    files = [p for p in folder.iterdir() if p.is_file()]
    ours = sorted(p for p in files if BACKUP_NAME.fullmatch(p.name))
    removed = ours[: max(len(ours) - keep, 0)]
    removed += [p for p in files if _LEFTOVER.fullmatch(p.name)]
    for p in removed:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
    return removed
