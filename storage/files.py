"""The content-addressed document store on disk.

Every accepted document is kept once, under the SHA-256 of its bytes:
`root/ab/cd/<sha256>`, where `ab` and `cd` are the first two pairs of hex digits. The database
keeps the name, MIME type, uploader and step; this module keeps only bytes.

A file arrives as a stream of chunks (see `bot.channels.telegram.files`). It is written to a
temporary file in `root/.tmp/` (same file system as its final place), hashed as it goes, cut off
as soon as it exceeds the size limit, checked against its claimed type
(`bot.documents.sniff_matches`), flushed to disk and only then moved to its address with an
atomic rename (`os.replace`). Whatever goes wrong, cancellation included, the temporary file is
removed: a content address only ever holds a complete file whose name is its hash.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from bot.documents import SNIFF_BYTES, sniff_matches

__all__ = [
    "ContentMismatch",
    "FileStore",
    "FileStoreError",
    "FileTooBig",
    "InvalidDigest",
    "StoredFile",
]

_DIGEST: Final = re.compile(r"[0-9a-f]{64}")
_TMP_PREFIX: Final = "upload-"
_TMP_SUFFIX: Final = ".part"
# Chunks are gathered up to this size before one write in a worker thread: bounded memory,
# few thread hops.
_WRITE_BUFFER: Final = 1024 * 1024


class FileStoreError(Exception):
    """Base class of the errors of the store."""


class FileTooBig(FileStoreError):
    """More than `max_bytes` arrived; nothing was kept."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"file exceeds {max_bytes} bytes")
        self.max_bytes = max_bytes


class ContentMismatch(FileStoreError):
    """The content is not of the type its extension claims; nothing was kept."""

    def __init__(self, ext: str) -> None:
        super().__init__(f"content is not a .{ext} file")
        self.ext = ext


class InvalidDigest(FileStoreError, ValueError):
    """A string that is not a SHA-256 hex digest (64 lower-case hex characters)."""


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file at its content address; `existed` is True when the same bytes were already there."""

    sha256: str
    size: int
    path: Path
    existed: bool


class _TempFile:
    """A temporary file being written, with its running hash; removes itself unless committed."""

    def __init__(self, path: Path, handle: BinaryIO) -> None:
        self.path = path
        self.handle = handle
        self.hash = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.hash.update(data)
        self.handle.write(data)

    def finish(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        self.path.chmod(0o444)  # stored documents are immutable

    def discard(self) -> None:
        """Close and remove; synchronous so that it also runs on cancellation."""
        # Closing a buffered file waits for a write still running in a worker thread.
        with contextlib.suppress(OSError):
            self.handle.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable; not possible (nor needed) on every platform."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


class FileStore:
    """Documents on disk under `root`, addressed by the SHA-256 of their bytes."""

    def __init__(self, root: Path) -> None:
        self._root = Path(root)
        self._tmp = self._root / ".tmp"

    @property
    def root(self) -> Path:
        return self._root

    @property
    def tmp_dir(self) -> Path:
        """Where files are written while they arrive."""
        return self._tmp

    def path_for(self, sha256: str) -> Path:
        """The content address of a digest; `InvalidDigest` for anything but 64 hex digits."""
        if not isinstance(sha256, str) or _DIGEST.fullmatch(sha256) is None:
            raise InvalidDigest(f"not a SHA-256 hex digest: {sha256!r}")
        # One path parsed, not three joined: the site's build asks for every published document.
        return Path(f"{self._root}/{sha256[:2]}/{sha256[2:4]}/{sha256}")

    def location_for(self, sha256: str) -> str:
        """`path_for` as a string: the site's build reads 25,000 documents at every update, and
        a Path object each is a noticeable part of it."""
        if not isinstance(sha256, str) or _DIGEST.fullmatch(sha256) is None:
            raise InvalidDigest(f"not a SHA-256 hex digest: {sha256!r}")
        return f"{self._root}/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def open_bytes(self, sha256: str) -> bytes:
        """The whole content of a stored file (small files); `FileNotFoundError` if absent."""
        return self.path_for(sha256).read_bytes()

    def cleanup_temp(self) -> int:
        """Remove the temporary files a crash left behind; returns how many.

        Call it at start-up, before any `store` runs: it would break uploads in progress.
        """
        if not self._tmp.is_dir():
            return 0
        removed = 0
        for entry in self._tmp.iterdir():
            if entry.is_file() or entry.is_symlink():
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
                    removed += 1
        return removed

    def _open_temp(self) -> _TempFile:
        self._tmp.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=_TMP_SUFFIX, dir=self._tmp)
        try:
            handle = os.fdopen(fd, "wb")
        except BaseException:
            os.close(fd)
            Path(name).unlink()
            raise
        return _TempFile(Path(name), handle)

    def _commit(self, temp: _TempFile, sha256: str) -> tuple[Path, bool]:
        """Move a finished temporary file to its address; drop it if the address exists."""
        target = self.path_for(sha256)
        if target.is_file():
            temp.discard()
            return target, True
        target.parent.mkdir(parents=True, exist_ok=True)
        temp.finish()
        # Atomic on one file system. Should another upload of the same bytes win a race,
        # this replaces identical content, which no reader can notice.
        temp.path.replace(target)
        _fsync_dir(target.parent)
        return target, False

    async def store(self, chunks: AsyncIterable[bytes], *, max_bytes: int, ext: str) -> StoredFile:
        """Stream `chunks` to the store and return where they are.

        Raises `FileTooBig` as soon as more than `max_bytes` arrived and `ContentMismatch` when the
        content is not a `.ext` file. On any error or cancellation nothing is left on disk (a
        chunk source with `aclose`, such as an async generator, is closed too).
        """
        iterator = aiter(chunks)
        # Opened in the event loop on purpose (two short system calls): a worker thread could
        # still create the file after a cancellation, and nobody would remove it.
        temp = self._open_temp()
        committed = False
        try:
            head = bytearray()
            pending = bytearray()
            size = 0
            async for chunk in iterator:
                if not chunk:
                    continue
                size += len(chunk)
                if size > max_bytes:
                    raise FileTooBig(max_bytes)
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                pending += chunk
                if len(pending) >= _WRITE_BUFFER:
                    data, pending = bytes(pending), bytearray()
                    await asyncio.to_thread(temp.write, data)
            if pending:
                await asyncio.to_thread(temp.write, bytes(pending))
            if not sniff_matches(ext, bytes(head)):
                raise ContentMismatch(ext.lower().lstrip("."))
            sha256 = temp.hash.hexdigest()
            path, existed = await asyncio.to_thread(self._commit, temp, sha256)
            committed = True
            return StoredFile(sha256=sha256, size=size, path=path, existed=existed)
        finally:
            if not committed:
                temp.discard()
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()
