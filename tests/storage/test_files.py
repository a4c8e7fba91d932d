"""Tests of the content-addressed document store, on real files in a temporary directory."""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import pytest

from storage.files import (
    ContentMismatch,
    FileStore,
    FileTooBig,
    InvalidDigest,
    StoredFile,
)

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"
EXE = b"MZ\x90\x00" + b"\x00" * 4096


async def chunks_of(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]
        await asyncio.sleep(0)


async def from_list(parts: Iterable[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def stored_files(store: FileStore) -> list[Path]:
    return [p for p in files_under(store.root) if store.tmp_dir not in p.parents]


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "documents")


async def test_a_stored_file_lives_at_the_address_of_its_sha256(store: FileStore) -> None:
    result = await store.store(chunks_of(PDF), max_bytes=1_000_000, ext="pdf")
    digest = hashlib.sha256(PDF).hexdigest()
    assert result == StoredFile(
        sha256=digest,
        size=len(PDF),
        path=store.root / digest[:2] / digest[2:4] / digest,
        existed=False,
    )
    assert result.path.read_bytes() == PDF
    assert store.open_bytes(digest) == PDF
    assert store.exists(digest)
    assert store.path_for(digest) == result.path
    assert files_under(store.tmp_dir) == []


async def test_the_same_bytes_twice_give_the_same_address_and_existed_the_second_time(
    store: FileStore,
) -> None:
    first = await store.store(chunks_of(PDF, 333), max_bytes=1_000_000, ext="pdf")
    second = await store.store(chunks_of(PDF, 4096), max_bytes=1_000_000, ext="pdf")
    assert first.existed is False
    assert second.existed is True
    assert (second.sha256, second.path, second.size) == (first.sha256, first.path, first.size)
    assert stored_files(store) == [first.path]
    assert files_under(store.tmp_dir) == []


async def test_a_stored_file_is_read_only(store: FileStore) -> None:
    result = await store.store(chunks_of(PDF), max_bytes=1_000_000, ext="pdf")
    assert not result.path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


async def test_a_file_of_exactly_max_bytes_is_accepted(store: FileStore) -> None:
    result = await store.store(chunks_of(PDF), max_bytes=len(PDF), ext="pdf")
    assert result.size == len(PDF)


async def test_a_file_too_big_aborts_as_soon_as_the_limit_is_passed_and_leaves_nothing(
    store: FileStore,
) -> None:
    produced = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal produced
        yield b"%PDF-1.7\n"
        while True:
            produced += 1
            yield b"x" * 1000

    with pytest.raises(FileTooBig) as info:
        await store.store(endless(), max_bytes=10_000, ext="pdf")
    assert info.value.max_bytes == 10_000
    assert produced <= 11
    assert files_under(store.root) == []


async def test_content_that_lies_about_its_type_leaves_nothing(store: FileStore) -> None:
    with pytest.raises(ContentMismatch) as info:
        await store.store(chunks_of(EXE), max_bytes=1_000_000, ext="PDF")
    assert info.value.ext == "pdf"
    assert files_under(store.root) == []


async def test_the_type_is_sniffed_from_the_head_even_when_it_arrives_in_tiny_chunks(
    store: FileStore,
) -> None:
    result = await store.store(chunks_of(PDF, 1), max_bytes=1_000_000, ext="pdf")
    assert store.open_bytes(result.sha256) == PDF


async def test_an_empty_stream_is_refused_and_leaves_nothing(store: FileStore) -> None:
    with pytest.raises(ContentMismatch):
        await store.store(from_list([]), max_bytes=1_000_000, ext="csv")
    assert files_under(store.root) == []


async def test_a_file_larger_than_the_write_buffer_is_stored_whole(store: FileStore) -> None:
    data = b"PK\x03\x04" + os.urandom(3 * 1024 * 1024 + 17)
    result = await store.store(chunks_of(data, 64 * 1024), max_bytes=4 * 1024 * 1024, ext="zip")
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert store.open_bytes(result.sha256) == data


@pytest.mark.parametrize("first_chunk", [PDF, PDF + b"x" * (2 * 1024 * 1024)])
async def test_cancellation_mid_stream_leaves_nothing(store: FileStore, first_chunk: bytes) -> None:
    started = asyncio.Event()
    closed = False

    async def slow() -> AsyncIterator[bytes]:
        nonlocal closed
        try:
            yield first_chunk
            started.set()
            while True:
                await asyncio.sleep(3600)
                yield b"never"
        finally:
            closed = True

    task = asyncio.create_task(store.store(slow(), max_bytes=10_000_000, ext="pdf"))
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    assert started.is_set(), task
    assert len(files_under(store.tmp_dir)) == 1  # the upload really was in progress
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert closed
    assert files_under(store.root) == []


async def test_an_error_of_the_source_leaves_nothing(store: FileStore) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield PDF
        raise ConnectionResetError("peer went away")

    with pytest.raises(ConnectionResetError):
        await store.store(broken(), max_bytes=1_000_000, ext="pdf")
    assert files_under(store.root) == []


async def test_the_source_is_closed_when_the_store_gives_up_early(store: FileStore) -> None:
    closed = False

    async def source() -> AsyncIterator[bytes]:
        nonlocal closed
        try:
            while True:
                yield b"%PDF-" + b"x" * 1000
        finally:
            closed = True

    with pytest.raises(FileTooBig):
        await store.store(source(), max_bytes=5000, ext="pdf")
    assert closed


@pytest.mark.parametrize(
    "digest",
    [
        "../x",
        "../" * 21 + "x",
        "",
        "a" * 63,
        "a" * 65,
        "A" * 64,
        "g" * 64,
        "/" + "a" * 63,
        "a" * 62 + "/.",
        "a" * 64 + "\n",
    ],
)
def test_path_for_rejects_anything_but_a_sha256_hex_digest(store: FileStore, digest: str) -> None:
    with pytest.raises(InvalidDigest):
        store.path_for(digest)
    with pytest.raises(ValueError):
        store.exists(digest)


def test_open_bytes_of_an_unknown_digest_raises_file_not_found(store: FileStore) -> None:
    with pytest.raises(FileNotFoundError):
        store.open_bytes("0" * 64)
    assert not store.exists("0" * 64)


async def test_cleanup_temp_removes_what_a_crash_left_behind(store: FileStore) -> None:
    kept = await store.store(chunks_of(PDF), max_bytes=1_000_000, ext="pdf")
    store.tmp_dir.mkdir(parents=True, exist_ok=True)
    (store.tmp_dir / "upload-crashed.part").write_bytes(b"%PDF-half")
    (store.tmp_dir / "upload-other.part").write_bytes(b"")
    assert store.cleanup_temp() == 2
    assert files_under(store.tmp_dir) == []
    assert stored_files(store) == [kept.path]
    assert store.open_bytes(kept.sha256) == PDF


def test_cleanup_temp_on_a_fresh_store_does_nothing(store: FileStore) -> None:
    assert store.cleanup_temp() == 0


async def test_concurrent_uploads_of_the_same_bytes_end_with_one_file(store: FileStore) -> None:
    results = await asyncio.gather(
        *(store.store(chunks_of(PDF, 500), max_bytes=1_000_000, ext="pdf") for _ in range(5))
    )
    assert {r.path for r in results} == {results[0].path}
    assert stored_files(store) == [results[0].path]
    assert files_under(store.tmp_dir) == []
    assert store.open_bytes(results[0].sha256) == PDF
