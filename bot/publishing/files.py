"""Durable file operations for the DIP site, and the rule for a safe name in its tree.

Every file of a generation is written once, into a new directory, and flushed to disk before the
generation can become `current`; documents are hard-linked from the content-addressed store
when possible. `safe_component` is shared by the builder (document names) and the server
(request paths), so both agree on what may ever be a file of the site.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = [
    "fsync_dir",
    "place_document",
    "safe_component",
    "write_bytes",
    "write_text",
]


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


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as handle:  # "x": a generation is always written into a new directory
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def place_document(source: Path, target: Path) -> None:
    """Hard-links the stored file into the generation, or copies it when linking is impossible."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return
    if not source.is_file():
        raise FileNotFoundError(f"document missing from the store: {source}")
    try:
        os.link(source, target)
    except OSError:  # another file system, a file system without hard links, no permission
        shutil.copyfile(source, target)
        with target.open("rb") as handle:
            os.fsync(handle.fileno())
