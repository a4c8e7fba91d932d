"""`python -m bot backup`, `backup verify`, `restore` and `health` as an admin meets them: each bad
input (truncated or tampered backup, data in the way, unwritable or full backup folder, a database
of a newer version, no database) gets one Indonesian line and a non-zero exit, and nothing is
lost or half-written."""

from __future__ import annotations

import asyncio
import errno
import gzip
import io
import json
import os
import sqlite3
import tarfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import open_core
from bot.cli import main
from bot.config import Settings
from storage.files import FileStore

# Backups, restores and upgrades of the SQLite file itself.
pytestmark = pytest.mark.sqlite_only

DOC = b"%PDF-1.4 laporan keuangan"


def run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


async def _stored(settings: Settings) -> str:
    async def chunks() -> AsyncIterator[bytes]:
        yield DOC

    async with open_core(settings):
        pass
    stored = await FileStore(settings.documents_dir).store(chunks(), max_bytes=10**6, ext="pdf")
    return stored.sha256


@pytest.fixture
def instance(settings: Settings) -> str:
    """A database (with the OPDs) and one stored document; returns the document's hash."""
    assert run(["opd", "import", "--builtin"]) == 0
    return asyncio.run(_stored(settings))


@pytest.fixture
def backup(tmp_path: Path, instance: str, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "cadangan.tar.gz"
    assert run(["backup", "--out", str(out)]) == 0
    capsys.readouterr()
    return out


def use_data_dir(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setenv("PPID_DATA_DIR", str(path))


def test_a_backup_holds_the_database_the_documents_and_no_secret(
    tmp_path: Path, instance: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("PPID_TELEGRAM_TOKEN", "123456:SECRET-token-value")
    out = tmp_path / "cadangan.tar.gz"
    assert run(["backup", "--out", str(out)]) == 0
    assert "Cadangan ditulis ke" in capsys.readouterr().out
    with tarfile.open(out) as tar:
        names = tar.getnames()
        settings_text = tar.extractfile("settings.env").read().decode()  # type: ignore[union-attr]
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert f"documents/{instance[:2]}/{instance[2:4]}/{instance}" in names
    assert "SECRET" not in settings_text and "PPID_TIMEZONE=Asia/Pontianak" in settings_text
    assert manifest["documents"] == 1 and manifest["missing_documents"] == []
    assert run(["backup", "verify", str(out)]) == 0
    assert "semua hash SHA-256 cocok" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_a_restore_into_an_empty_folder_brings_back_the_database_and_the_documents(
    tmp_path: Path, backup: Path, instance: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    use_data_dir(monkeypatch, tmp_path / "baru")
    assert run(["restore", str(backup)]) == 0
    assert "dipulihkan" in capsys.readouterr().out
    assert FileStore(tmp_path / "baru" / "documents").open_bytes(instance) == DOC
    assert run(["opd", "list"]) == 0
    assert "DINKES" in capsys.readouterr().out


def test_a_restore_into_a_folder_with_data_is_refused_and_touches_nothing(
    tmp_path: Path, backup: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    before = settings.database_path.read_bytes()
    assert run(["restore", str(backup)]) == 1
    assert "tidak kosong; tidak ada yang diubah" in capsys.readouterr().err
    assert settings.database_path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cadangan.tar.gz", "data"]


def test_a_forced_restore_moves_the_old_data_aside_instead_of_deleting_it(
    tmp_path: Path, backup: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    (settings.data_dir / "catatan.txt").write_text("milik admin")
    assert run(["restore", str(backup), "--force"]) == 0
    out = capsys.readouterr().out
    (aside,) = [p for p in tmp_path.iterdir() if p.name.startswith("data.before-restore-")]
    assert str(aside) in out
    assert (aside / "catatan.txt").read_text() == "milik admin"
    assert not (settings.data_dir / "catatan.txt").exists()
    assert settings.database_path.is_file()


def test_a_truncated_backup_fails_verify_and_restore_leaves_nothing(
    tmp_path: Path, backup: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    cut = tmp_path / "terpotong.tar.gz"
    cut.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])
    assert run(["backup", "verify", str(cut)]) == 1
    assert "rusak atau terpotong" in capsys.readouterr().err
    use_data_dir(monkeypatch, tmp_path / "baru")
    assert run(["restore", str(cut)]) == 1
    assert "rusak atau terpotong" in capsys.readouterr().err
    assert not (tmp_path / "baru").exists()
    assert [p.name for p in tmp_path.iterdir() if "restore" in p.name] == []


def rewrite(source: Path, target: Path, change: dict[str, bytes]) -> None:
    """Copy an archive member by member, replacing the content of those in `change`."""
    with tarfile.open(source) as old, tarfile.open(target, "w:gz") as new:
        for info in old:
            data = old.extractfile(info).read()  # type: ignore[union-attr]
            data = change.get(info.name, data)
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))


def test_a_tampered_document_or_database_in_a_backup_is_detected(
    tmp_path: Path, backup: Path, instance: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = f"documents/{instance[:2]}/{instance[2:4]}/{instance}"
    for member, data in ((doc, b"%PDF-1.4 laporan yang diubah"), ("ppid.sqlite3", b"x" * 100)):
        bad = tmp_path / "diubah.tar.gz"
        rewrite(backup, bad, {member: data})
        assert run(["backup", "verify", str(bad)]) == 1
        assert f"tidak cocok dengan daftar isinya ({member})" in capsys.readouterr().err


def test_a_file_that_is_not_a_backup_is_named_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "lain.tar.gz"
    with tarfile.open(other, "w:gz") as tar:
        info = tarfile.TarInfo("ppid.sqlite3")
        tar.addfile(info, io.BytesIO(b""))
    assert run(["backup", "verify", str(other)]) == 1
    assert "bukan cadangan PPID Bot" in capsys.readouterr().err
    text = tmp_path / "teks.tar.gz"
    text.write_bytes(gzip.compress(b"just text"))
    assert run(["backup", "verify", str(text)]) == 1
    assert "rusak atau terpotong" in capsys.readouterr().err
    assert run(["backup", "verify", str(tmp_path / "tidak-ada.tar.gz")]) == 1
    assert "tidak ditemukan" in capsys.readouterr().err


def test_an_unwritable_backup_folder_is_named_and_nothing_is_left(
    tmp_path: Path, instance: str, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "berkas"
    blocker.write_text("bukan folder")
    assert run(["backup", "--out", str(blocker / "cadangan.tar.gz")]) == 1
    err = capsys.readouterr().err
    assert "Tidak dapat menulis" in err and "periksa izin folder dan ruang disk" in err
    assert run(["backup", "--out", str(tmp_path / "tidak-ada" / "c.tar.gz")]) == 1
    assert "Tidak dapat menulis" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder")
def test_a_read_only_backup_folder_is_named(
    tmp_path: Path, instance: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    assert run(["backup", "--out", str(folder / "c.tar.gz")]) == 1
    assert "Tidak dapat menulis" in capsys.readouterr().err


def test_a_full_disk_leaves_no_half_written_backup(
    tmp_path: Path, instance: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    import storage.backup

    real = storage.backup._add
    calls = 0

    def filling(*args: object) -> tuple[str, int]:
        nonlocal calls
        calls += 1
        if calls == 2:  # the disk fills up after the database, at the first document
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(storage.backup, "_add", filling)
    out = tmp_path / "cadangan.tar.gz"
    assert run(["backup", "--out", str(out)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_a_backup_without_a_target_or_a_database_says_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["backup"]) == 2
    assert "Sebutkan berkas tujuan" in capsys.readouterr().err
    assert run(["backup", "--out", str(tmp_path / "c.tar.gz")]) == 1
    assert "tidak ada; tidak ada yang dicadangkan" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


def from_the_future(settings: Settings) -> None:
    conn = sqlite3.connect(settings.database_path)
    with conn:
        conn.execute("INSERT INTO schema_migrations VALUES (99, '099_future.sql', '2030-01-01')")
    conn.close()


def test_a_database_of_a_newer_version_stops_every_command_with_one_line(
    instance: str, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    from_the_future(settings)
    before = settings.database_path.read_bytes()
    for argv in (["status"], ["opd", "list"], ["outbox"]):
        assert run(argv) == 2
        err = capsys.readouterr().err
        assert "versi PPID Bot yang lebih baru (migrasi 99" in err and "Traceback" not in err
    assert run(["health"]) == 1
    assert "lebih baru (migrasi 99)" in capsys.readouterr().out
    assert settings.database_path.read_bytes() == before


def test_a_backup_of_a_newer_version_is_not_restored(
    tmp_path: Path, instance: str, settings: Settings, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from_the_future(settings)
    out = tmp_path / "baru.tar.gz"
    assert run(["backup", "--out", str(out)]) == 0
    use_data_dir(monkeypatch, tmp_path / "kosong")
    assert run(["restore", str(out)]) == 1
    assert "versi PPID Bot yang lebih baru (migrasi 99)" in capsys.readouterr().err
    assert not (tmp_path / "kosong").exists()


def test_health_without_a_database_says_so_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["health"]) == 1
    assert "tidak ada: bot belum pernah berjalan" in capsys.readouterr().out
    assert run(["health", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["healthy"] is False and report["problems"][0]["code"] == "no_database"
    assert not (tmp_path / "data").exists()


def test_health_reports_low_disk_space(
    instance: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PPID_HEALTH_MIN_FREE_MB", str(10**7))
    assert run(["health", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert "disk_low" in [p["code"] for p in report["problems"]]


def test_every_sentence_the_backup_code_names_is_in_the_catalogue() -> None:
    import re

    import storage.backup
    from bot.texts import TEXTS

    source = Path(storage.backup.__file__).read_text(encoding="utf-8")
    keys = set(re.findall(r'BackupError\(\s*"([a-z-]+)"', source))
    assert len(keys) >= 7 and keys <= set(TEXTS)


def test_backup_and_restore_on_postgresql_point_to_the_server_s_own_tools(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PPID_DATABASE_URL", "postgresql://ppid@127.0.0.1:1/ppid")
    assert run(["backup", "--out", str(tmp_path / "b")]) == 2
    assert "pg_dump" in capsys.readouterr().err
    assert run(["restore", str(tmp_path / "b")]) == 2
    assert "pg_dump" in capsys.readouterr().err
