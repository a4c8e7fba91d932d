"""`python -m bot deadline` and `holidays`: exact answers, and one clear line for bad input."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from storage import engine


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        ("2027-03-01T10:00", 1, "2027-03-02T16:00:00+07:00"),
        ("2027-02-26T15:00", 1, "2027-03-01T16:00:00+07:00"),
        ("2027-02-27T09:00", 1, "2027-03-01T16:00:00+07:00"),
        ("2026-03-17T10:00", 1, "2026-03-25T16:00:00+07:00"),
        ("2026-12-23T10:00", 1, "2026-12-28T16:00:00+07:00"),
        ("2026-03-16T10:00", 10, "2026-04-07T16:00:00+07:00"),
        ("2026-03-16T23:30+00:00", 1, "2026-03-25T16:00:00+07:00"),
    ],
)
def test_deadline_prints_the_domain_examples_exactly(
    capsys: pytest.CaptureFixture[str], start: str, days: int, due: str
) -> None:
    assert main(["deadline", "--start", start, "--days", str(days)]) == 0
    assert capsys.readouterr().out == due + "\n"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["deadline", "--start", "kemarin", "--days", "1"], "bukan tanggal-waktu yang valid"),
        (["deadline", "--start", "2026-03-17", "--days", "0"], "--days harus bilangan bulat"),
        (["deadline", "--start", "2026-03-17", "--days", "-3"], "--days harus bilangan bulat"),
        (["deadline", "--start", "2026-03-17", "--days", "satu"], "--days harus bilangan bulat"),
        (["holidays", "add", "2027-13-01", "Libur"], "bukan tanggal yang valid"),
        (["holidays", "--year", "20x6"], "--year harus tahun"),
    ],
)
def test_bad_input_gives_one_clear_line_and_a_nonzero_exit(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse exits on its own for malformed arguments
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code != 0
    assert expected in err
    assert "Traceback" not in err


def test_an_added_holiday_and_an_added_working_day_move_a_deadline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Thu 31 Dec 2026 + 1 working day: Fri 1 Jan 2027 is New Year, so Mon 4 Jan.
    main(["deadline", "--start", "2026-12-31T10:00", "--days", "1"])
    assert capsys.readouterr().out.strip() == "2027-01-04T16:00:00+07:00"
    assert main(["holidays", "add", "2027-01-04", "Libur daerah"]) == 0
    main(["deadline", "--start", "2026-12-31T10:00", "--days", "1"])
    # Tue 5 Jan 2027 is Isra Mikraj, so the next working day is Wed 6 Jan.
    assert capsys.readouterr().out.strip().endswith("2027-01-06T16:00:00+07:00")
    assert main(["holidays", "workday", "2027-01-02", "Pengganti cuti"]) == 0
    main(["deadline", "--start", "2026-12-31T10:00", "--days", "1"])
    assert capsys.readouterr().out.strip().endswith("2027-01-02T16:00:00+07:00")


def test_holidays_lists_cuti_bersama_and_overrides_in_indonesian(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["holidays", "add", "2026-10-23", "Hari Jadi Kota Pontianak"])
    main(["holidays", "workday", "2026-10-24", "Sabtu pengganti"])
    capsys.readouterr()
    assert main(["holidays", "--year", "2026"]) == 0
    out = capsys.readouterr().out
    assert "2026-03-23  Senin" in out and "Cuti Bersama" in out
    assert "2026-10-23  Jumat   Hari Jadi Kota Pontianak" in out
    assert "2026-10-24  Sabtu   Sabtu pengganti" in out
    assert "2026-03-21" not in out  # a Saturday is not listed among non-working weekdays


def test_override_commands_refuse_what_makes_no_sense(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["holidays", "add", "2027-01-09", "Sabtu"]) == 2
    assert "bukan hari kerja" in capsys.readouterr().err
    assert main(["holidays", "workday", "2027-01-06", "Rabu"]) == 2
    assert "sudah hari kerja" in capsys.readouterr().err
    assert main(["holidays", "remove", "2027-01-06"]) == 2
    assert "Tidak ada pengaturan" in capsys.readouterr().err
    assert main(["holidays", "add", "2027-01-06", "   "]) == 2
    assert "Nama harus diisi" in capsys.readouterr().err


def test_config_prints_settings_with_the_token_masked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PPID_TELEGRAM_TOKEN", "123456789:AAE-very-secret-token")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "PPID_TELEGRAM_TOKEN" in out and "PPID_OFFICE_HOURS" in out
    assert "very-secret" not in out


def test_the_command_line_without_a_token_explains_botfather_and_exits_nonzero(
    tmp_path: Path,
) -> None:
    env = {"PATH": "/usr/bin:/bin", "PPID_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--no-demo"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "@BotFather" in result.stderr
    assert "PPID_TELEGRAM_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_malformed_env_value_stops_the_command_line_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PPID_WEBHOOK_PORT=delapan\n", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "config"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "PPID_WEBHOOK_PORT" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.sqlite_only  # the SQLite file's write lock (PostgreSQL's rows wait for each other)
def test_a_command_that_finds_the_database_locked_says_so_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert main(["holidays", "--year", "2027"]) == 0  # the database exists
    capsys.readouterr()
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 50)  # the test need not wait 5 s
    other = sqlite3.connect(tmp_path / "data" / "ppid.sqlite3", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # the running bot, a restore: holding the write lock
        assert main(["holidays", "add", "2027-01-04", "Libur daerah"]) == 1
        err = capsys.readouterr().err
        assert "sedang dipakai proses lain" in err and "Traceback" not in err
    finally:
        other.close()
    assert main(["holidays", "--year", "2027"]) == 0
    assert "Libur daerah" not in capsys.readouterr().out
