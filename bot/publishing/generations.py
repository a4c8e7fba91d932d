"""The web root on disk: complete generations of the site behind an atomically swapped symlink.

`publish_generation` has a writer fill a new staging directory, renames it to
`root/gen-<timestamp>-<rand>` and swaps the `root/current` symlink to it with one rename(2), so
a reader sees either the old site or the new one, never half of one. The previous generation is
kept (a reader in the middle of a request still finds its files); older ones are deleted, after
the lock is released.
Publications serialise on a lock file, so two builds at the same time are safe, and a failed
build never becomes `current`.

`live_generation` is the reader's side: where `current` points right now, checked to be a
generation of this root.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from bot.publishing.files import fsync_dir

__all__ = ["CURRENT", "DOCUMENTS", "ENTRY_PAGES", "live_generation", "publish_generation"]

log = logging.getLogger(__name__)

CURRENT: Final = "current"
"""The name of the symlink to the live generation, inside the web root."""
DOCUMENTS: Final = "berkas"
"""The documents' folder inside the web root, shared by the generations: each generation's
`berkas` is a symlink to it (the builder keeps it to what the live generation shows)."""
ENTRY_PAGES: Final = "informasi"
"""The entries' pages' folder inside the web root, shared by the generations in the same way
(each generation's `informasi` is a symlink to it): an update writes the pages that changed."""

_GENERATION_PREFIX: Final = "gen-"
_STAGING_PREFIX: Final = ".building-"
_LINK_PREFIX: Final = ".current-"
_TRASH_PREFIX: Final = ".old-"
_LOCK: Final = ".lock"


def publish_generation(
    root: Path, write: Callable[[Path], None], after_swap: Callable[[], None] | None = None
) -> Path:
    """Runs `write` on a fresh directory, makes the result `current`, and returns its directory.
    `after_swap` runs once it is live, still under the lock (its failure is logged: the new
    site is live whatever it does).

    Blocking (file I/O and fsync). If `write` or the swap fails, nothing of the attempt is left
    and the live site is unchanged.
    """
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root):
        token = secrets.token_hex(4)
        staging = root / f"{_STAGING_PREFIX}{token}"
        staging.mkdir()
        generation: Path | None = None
        try:
            write(staging)
            fsync_dir(staging)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            generation = root / f"{_GENERATION_PREFIX}{stamp}-{token}"
            staging.rename(generation)
            previous = _current_name(root)
            _swap(root, generation.name, token)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            if generation is not None and _current_name(root) != generation.name:
                shutil.rmtree(generation, ignore_errors=True)
            raise
        if after_swap is not None:
            try:
                after_swap()
            except Exception:
                log.warning("cleaning up after publishing %s failed", generation, exc_info=True)
        doomed = _prune(root, keep={generation.name, previous})
    # Deleting thousands of files takes seconds: after the lock, so that the next build (a
    # publication waiting for this one) need not wait for it.
    for directory in doomed:
        shutil.rmtree(directory, ignore_errors=True)
    return generation


def live_generation(root: Path) -> Path | None:
    """The real directory `root/current` points to right now, if it is a generation of `root`."""
    try:
        base = root.resolve(strict=True)
        generation = (root / CURRENT).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if generation.parent != base or not generation.name.startswith(_GENERATION_PREFIX):
        return None
    return generation


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    fd = os.open(root / _LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _current_name(root: Path) -> str | None:
    """The name of the generation `current` links to, read from the link alone.

    Unlike `live_generation` this does not need the target to exist: the writer uses it to
    decide what to keep and what to clean up, even after a half-finished swap.
    """
    try:
        target = (root / CURRENT).readlink()
    except OSError:
        return None
    if target.is_absolute():
        if target.parent != root.resolve():
            return None
        target = Path(target.name)
    return target.name if len(target.parts) == 1 else None


def _swap(root: Path, generation: str, token: str) -> None:
    current = root / CURRENT
    if current.exists() and not current.is_symlink():
        raise RuntimeError(f"{current} exists and is not a symlink; refusing to replace it")
    link = root / f"{_LINK_PREFIX}{token}"
    link.symlink_to(generation)  # relative: the whole root may be moved
    try:
        link.replace(current)  # rename(2): atomic
    except BaseException:
        with suppress(OSError):
            link.unlink()
        raise
    fsync_dir(root)


def _prune(root: Path, keep: set[str | None]) -> list[Path]:
    """Takes generations other than the current and the previous one, and build debris, out of
    the way (a rename, instant) and returns them for the caller to delete after the lock; what
    a crash left in the way is deleted now."""
    doomed: list[Path] = []
    for child in root.iterdir():
        name = child.name
        try:
            if name.startswith(_LINK_PREFIX) and child.is_symlink():
                child.unlink()
            elif child.is_symlink() or not child.is_dir():
                continue
            elif name.startswith((_STAGING_PREFIX, _TRASH_PREFIX)):
                shutil.rmtree(child)
            elif name.startswith(_GENERATION_PREFIX) and name not in keep:
                trash = root / f"{_TRASH_PREFIX}{name}"
                child.rename(trash)
                doomed.append(trash)
        except OSError:
            log.warning("could not remove old site generation %s", child, exc_info=True)
    return doomed
