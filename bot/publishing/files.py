"""Durable file operations for the DIP site, and the rule for a safe name in its tree.

Every file of a generation is written once, into a new directory, and flushed to disk before the
generation can become `current`: by the builder, with one flush of the file system for the whole
generation (`write_new`, then `flush_filesystem`), not one per file; documents are hard-linked
from the content-addressed store when possible. `safe_component` is shared by the builder (document names) and the server
(request paths), so both agree on what may ever be a file of the site.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "flush_filesystem",
    "fsync_dir",
    "place_document",
    "safe_component",
    "write_bytes",
    "write_new",
    "write_text",
]


def _load_syncfs() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        function: Callable[[int], int] = libc.syncfs
    except (OSError, AttributeError):
        return None
    return function


_syncfs = _load_syncfs()


def safe_component(name: str) -> bool:
    """Whether `name` may be one component of a path in the site: no traversal, nothing hidden."""
    return (
        bool(name)
        and name not in {".", ".."}
        and not name.startswith(".")
        and not any(char in name for char in "/\\\0")
    )


def fsync_dir(path: Path) -> None:
    """Makes the entries of a directory (new files, a rename) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def flush_filesystem(path: Path) -> None:
    """Makes everything written to the file system holding `path` durable, with one syncfs(2)
    (sync(2) where the C library lacks it): one flush for thousands of new files."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if _syncfs is None or _syncfs(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


def write_new(path: Path, data: bytes) -> None:
    """Writes a new file (never an existing one) without flushing it: see `flush_filesystem`."""
    with path.open("xb") as handle:
        handle.write(data)


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as handle:  # "x": a generation is always written into a new directory
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def place_document(source: Path, target: Path, *, durable: bool = True) -> None:
    """Hard-links the stored file into the generation, or copies it when linking is impossible
    (and flushes the copy unless `durable` is False: the caller flushes the file system)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return
    if not source.is_file():
        raise FileNotFoundError(f"document missing from the store: {source}")
    try:
        os.link(source, target)
    except OSError:  # another file system, a file system without hard links, no permission
        shutil.copyfile(source, target)
        if durable:
            with target.open("rb") as handle:
                os.fsync(handle.fileno())
