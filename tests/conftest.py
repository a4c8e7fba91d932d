"""Fixtures shared by every level: an isolated environment and settings pointing at tmp_path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from tests.pgcluster import Cluster, running

# `PPID_TEST_ENGINE=postgresql` (`make test-postgresql`) runs the whole suite with every bot's
# database on PostgreSQL: each test gets a fresh database as PPID_DATABASE_URL, which the settings
# of the bot under test read. Tests that are about the SQLite file itself are marked `sqlite_only`.
ENGINE = os.environ.get("PPID_TEST_ENGINE", "sqlite")


@pytest.fixture(autouse=True)
def isolated_env(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """No PPID_* variable or .env file of the developer's leaks into a test."""
    for name in list(os.environ):
        if name.startswith("PPID_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PPID_DATA_DIR", str(tmp_path / "data"))
    if ENGINE == "postgresql":
        if request.node.get_closest_marker("sqlite_only"):
            pytest.skip("about the SQLite file itself")
        cluster: Cluster = request.getfixturevalue("pg_cluster")
        monkeypatch.setenv("PPID_DATABASE_URL", cluster.database())
    yield


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """The throw-away PostgreSQL server of this test run, started when a test first needs it."""
    with running() as cluster:
        yield cluster


@pytest.fixture(params=["sqlite", "postgresql"])
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a test's database is: a SQLite file, then (the same test again) a migrated
    PostgreSQL database of its own. `Database.open(db_target)` opens either."""
    if request.param == "sqlite":
        return tmp_path / "db.sqlite3"
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    return cluster.database()
