"""`python -m bot opd`, `invite` and `user`: idempotent imports, clear refusals, working links."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.bootstrap import open_core
from bot.cli import main
from bot.config import Settings
from bot.fakeapi import FakeTelegram
from bot.models import Invitation, Opd, User
from bot.sop import Role

WIB = ZoneInfo("Asia/Pontianak")
LINK = re.compile(r"https://t\.me/ppid_test_bot\?start=([A-Za-z0-9_-]{1,64})")


def run(argv: list[str]) -> int:
    """The command's exit code, also when argparse itself stops it."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


def write_csv(tmp_path: Path, text: str, name: str = "opd.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def _opds(settings: Settings) -> list[Opd]:
    async with open_core(settings) as core, core.db.transaction() as uow:
        return await uow.opds.all()


def opds(settings: Settings) -> list[Opd]:
    return asyncio.run(_opds(settings))


async def _invitation(settings: Settings, token: str) -> Invitation | None:
    async with open_core(settings) as core, core.db.transaction() as uow:
        return await uow.invitations.get(token)


async def _add_user(settings: Settings, name: str, role: Role, opd_code: str | None) -> int:
    async with open_core(settings) as core, core.db.transaction() as uow:
        opd = await uow.opds.by_code(opd_code) if opd_code else None
        user_id = await uow.users.add(
            name=name, role=role, opd_id=opd.id if opd else None, channel="telegram",
            external_id=f"ext-{name}", chat_id=f"chat-{name}",
            now=datetime(2027, 3, 1, 9, 0, tzinfo=WIB),
        )  # fmt: skip
        await uow.commit()
    return user_id


async def _user(settings: Settings, user_id: int) -> User | None:
    async with open_core(settings) as core, core.db.transaction() as uow:
        return await uow.users.get(user_id)


@pytest.fixture
def builtin(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["opd", "import", "--builtin"]) == 0
    capsys.readouterr()


# --- opd import and list -------------------------------------------------------------------


def test_importing_the_builtin_list_twice_changes_nothing_the_second_time(
    capsys: pytest.CaptureFixture[str], settings: Settings
) -> None:
    assert main(["opd", "import", "--builtin"]) == 0
    first = capsys.readouterr().out.strip()
    count = len(opds(settings))
    assert count >= 31
    assert first == f"Impor OPD selesai: {count} baru, 0 diperbarui, 0 tidak berubah."
    assert main(["opd", "import", "--builtin"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"Impor OPD selesai: 0 baru, 0 diperbarui, {count} tidak berubah."
    )
    assert len(opds(settings)) == count


def test_the_builtin_list_holds_the_city_offices_and_the_six_kecamatan(
    builtin: None, settings: Settings
) -> None:
    codes = {o.code: o.name for o in opds(settings)}
    assert codes["DISKOMINFO"] == "Dinas Komunikasi dan Informatika"
    assert codes["DPMPTSP"] == (
        "Dinas Penanaman Modal, Tenaga Kerja dan Pelayanan Terpadu Satu Pintu"
    )
    assert codes["RSUD"] == "RSUD Sultan Syarif Mohamad Alkadrie"
    for kec in ("KOTA", "BARAT", "SELATAN", "TENGGARA", "TIMUR", "UTARA"):
        assert f"KEC_{kec}" in codes


def test_a_csv_import_reports_new_renamed_and_unchanged_offices(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, settings: Settings
) -> None:
    first = write_csv(tmp_path, "code,name\nDINKES,Dinas Kesehatan\ndishub,Dinas Perhubungan\n")
    assert main(["opd", "import", str(first)]) == 0
    assert "2 baru, 0 diperbarui, 0 tidak berubah" in capsys.readouterr().out
    second = write_csv(
        tmp_path,
        "\ufeffname,code\nDinas  Kesehatan Kota,DINKES\nDinas Perhubungan,DISHUB\n"
        "Dinas Sosial,DINSOS\n",
        "second.csv",
    )
    assert main(["opd", "import", str(second)]) == 0
    assert "1 baru, 1 diperbarui, 1 tidak berubah" in capsys.readouterr().out
    assert {o.code: o.name for o in opds(settings)} == {
        "DINKES": "Dinas Kesehatan Kota",
        "DISHUB": "Dinas Perhubungan",
        "DINSOS": "Dinas Sosial",
    }


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"kode_opd,nama_opd\nDINKES,Dinas Kesehatan\n", "harus memuat kolom code dan name"),
        (b"", "harus memuat kolom code dan name"),
        (b"code,name\n", "tidak ada baris OPD"),
        (b"code,name\nDINKES,Dinas Kesehatan\n,Dinas Sosial\n", "baris 3: kode OPD kosong"),
        (b"code,name\nDINKES,Dinas Kesehatan\nDINSOS,   \n", "baris 3: nama OPD DINSOS kosong"),
        (b"code,name\nDINKES,Dinas Kesehatan\nDIN KES,Dinas\n", "baris 3: kode OPD 'DIN KES'"),
        (b"code,name\nDINKES,Dinas Kesehatan\nD,Dinas\n", "baris 3: kode OPD 'D' tidak valid"),
        (
            b"code,name\nDINKES,Dinas Kesehatan\nDINSOS,Dinas Sosial\ndinkes,Dinkes\n",
            "baris 4: kode OPD DINKES sudah ada di baris 2",
        ),
        (b"code,name\nDINKES,Dinas Kesehatan\nDINSOS,Dinas Sos\xe9ial\n", "bukan teks UTF-8"),
        (b'code,name\nDINKES,"Dinas Kesehatan\n', "CSV tidak valid"),
        (b"code,name\nDINKES," + b"x" * 201 + b"\n", "lebih dari 200 karakter"),
    ],
)
def test_a_bad_csv_gives_one_clear_line_and_imports_nothing(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    settings: Settings,
    content: bytes,
    expected: str,
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    assert main(["opd", "import", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert expected in captured.err
    assert "Tidak ada OPD yang diimpor" in captured.err
    assert opds(settings) == []


def test_a_missing_file_or_no_source_at_all_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["opd", "import", str(tmp_path / "tidak-ada.csv")]) == 2
    assert "tidak-ada.csv tidak ditemukan" in capsys.readouterr().err
    assert main(["opd", "import"]) == 2
    assert "--builtin" in capsys.readouterr().err
    assert main(["opd", "import", "x.csv", "--builtin"]) == 2
    assert "jangan keduanya" in capsys.readouterr().err


def test_a_semicolon_separated_file_from_a_spreadsheet_is_understood(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, settings: Settings
) -> None:
    path = write_csv(tmp_path, "code;name\nDINKES;Dinas Kesehatan\n")
    assert main(["opd", "import", str(path)]) == 0
    assert [o.code for o in opds(settings)] == ["DINKES"]


def test_opd_list_prints_codes_and_names_in_aligned_columns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["opd", "list"]) == 0
    assert "Belum ada OPD" in capsys.readouterr().out
    path = write_csv(tmp_path, "code,name\nDISKOMINFO,Dinas Komunikasi dan Informatika\nDLH,Dinas Lingkungan Hidup\n")  # fmt: skip
    main(["opd", "import", str(path)])
    capsys.readouterr()
    assert main(["opd", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "KODE        NAMA",
        "DISKOMINFO  Dinas Komunikasi dan Informatika",
        "DLH         Dinas Lingkungan Hidup",
    ]


# --- invite --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "opd", "shown"),
    [
        ("admin", None, "Undangan Administrator, OPD: -"),
        ("pejabat_pid", None, "Undangan Pejabat PID, OPD: -"),
        ("ppid_utama", None, "Undangan PPID Utama, OPD: -"),
        ("ppid_pendukung", "dinkes", "Undangan PPID Pendukung, OPD: DINKES (Dinas Kesehatan)"),
        ("atasan", None, "Undangan Atasan PPID, OPD: -"),
    ],
)
def test_invite_prints_the_role_the_expiry_and_the_deep_link_alone_on_the_last_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    builtin: None,
    settings: Settings,
    role: str,
    opd: str | None,
    shown: str,
) -> None:
    monkeypatch.setenv("PPID_BOT_USERNAME", "ppid_test_bot")
    argv = ["invite", "--role", role, *(["--opd", opd] if opd else []), "--days", "3"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    match = LINK.fullmatch(lines[-1])
    assert match is not None, lines[-1]
    assert lines[0].startswith(shown)
    assert "sekali pakai, berlaku sampai" in lines[0] and lines[0].endswith(" WIB.")
    invitation = asyncio.run(_invitation(settings, match.group(1)))
    assert invitation is not None
    assert invitation.role == Role(role)
    assert (invitation.opd_id is not None) == (role == "ppid_pendukung")
    assert (invitation.expires_at - invitation.created_at).days == 3
    assert invitation.created_by == "cli"


def test_invite_keeps_the_given_name(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    builtin: None,
    settings: Settings,
) -> None:
    monkeypatch.setenv("PPID_BOT_USERNAME", "@ppid_test_bot")
    assert main(["invite", "--role", "ppid_utama", "--name", " Sari   Dewi "]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert ", atas nama Sari Dewi;" in lines[0]
    match = LINK.fullmatch(lines[-1])
    assert match is not None
    invitation = asyncio.run(_invitation(settings, match.group(1)))
    assert invitation is not None and invitation.name == "Sari Dewi"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["invite", "--role", "ppid_pendukung"], "harus menyebut OPD-nya: tambahkan --opd KODE"),
        (["invite", "--role", "ppid_pendukung", "--opd", "XYZ"], "OPD 'XYZ' tidak dikenal"),
        (["invite", "--role", "ppid_utama", "--opd", "DINKES"], "--opd hanya untuk peran ppid_pendukung"),
        (["invite", "--role", "kepala_dinas"], "Peran 'kepala_dinas' tidak dikenal"),
        (["invite", "--role", "atasan", "--days", "0"], "--days harus bilangan bulat 1 sampai 90"),
        (["invite", "--role", "atasan", "--name", "   "], "--name tidak boleh kosong"),
    ],
)  # fmt: skip
def test_invite_refuses_what_the_rules_forbid_in_one_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    builtin: None,
    argv: list[str],
    expected: str,
) -> None:
    monkeypatch.setenv("PPID_BOT_USERNAME", "ppid_test_bot")
    assert run(argv) == 2
    captured = capsys.readouterr()
    assert expected in captured.err
    assert "https://t.me" not in captured.out
    assert "Traceback" not in captured.err


def test_invite_without_a_bot_username_or_token_says_to_set_ppid_bot_username(
    capsys: pytest.CaptureFixture[str], builtin: None
) -> None:
    assert main(["invite", "--role", "admin"]) == 2
    err = capsys.readouterr().err
    assert "PPID_BOT_USERNAME" in err
    assert err.count("\n") == 1


async def test_invite_asks_telegram_for_the_bot_username_when_only_a_token_is_set(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    async with FakeTelegram(bot_username="ppid_test_bot") as fake:
        monkeypatch.setenv("PPID_TELEGRAM_TOKEN", fake.token)
        monkeypatch.setenv("PPID_TELEGRAM_BASE_URL", fake.base_url)
        # The command runs its own event loop; the fake keeps serving on this one meanwhile.
        code = await asyncio.to_thread(main, ["invite", "--role", "ppid_utama"])
        assert code == 0
        assert LINK.fullmatch(capsys.readouterr().out.splitlines()[-1])
        assert [c.method.lower() for c in fake.calls] == ["getme"]


async def test_an_unreachable_telegram_gives_one_line_without_the_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeTelegram() as fake:
        base_url, token = fake.base_url, fake.token
    monkeypatch.setenv("PPID_TELEGRAM_TOKEN", token)
    monkeypatch.setenv("PPID_TELEGRAM_BASE_URL", base_url)  # the fake is stopped: nobody listens
    code = await asyncio.to_thread(main, ["invite", "--role", "ppid_utama"])
    assert code == 2
    err = capsys.readouterr().err
    assert "tidak dapat ditanyakan ke Telegram" in err
    assert token not in err


# --- users ---------------------------------------------------------------------------------


def test_user_list_shows_id_name_role_opd_status_and_join_date(
    capsys: pytest.CaptureFixture[str], builtin: None, settings: Settings
) -> None:
    assert main(["user", "list"]) == 0
    assert "Belum ada pengguna" in capsys.readouterr().out
    sari = asyncio.run(_add_user(settings, "Sari", Role.UTAMA, None))
    budi = asyncio.run(_add_user(settings, "Budi", Role.PENDUKUNG, "DINKES"))
    assert main(["user", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "NAMA", "PERAN", "OPD", "STATUS", "BERGABUNG"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows[str(sari)] == [str(sari), "Sari", "ppid_utama", "-", "aktif", "2027-03-01"]
    assert rows[str(budi)] == [str(budi), "Budi", "ppid_pendukung", "DINKES", "aktif", "2027-03-01"]


def test_user_deactivate_marks_the_person_inactive_once(
    capsys: pytest.CaptureFixture[str], builtin: None, settings: Settings
) -> None:
    user_id = asyncio.run(_add_user(settings, "Budi", Role.PENDUKUNG, "DISHUB"))
    assert main(["user", "deactivate", str(user_id)]) == 0
    assert capsys.readouterr().out.strip() == (
        f"Pengguna {user_id} (Budi, ppid_pendukung) dinonaktifkan."
    )
    user = asyncio.run(_user(settings, user_id))
    assert user is not None and not user.active
    main(["user", "list"])
    assert "nonaktif" in capsys.readouterr().out
    assert main(["user", "deactivate", str(user_id)]) == 2
    assert f"Pengguna {user_id} sudah nonaktif" in capsys.readouterr().err


def test_user_deactivate_of_an_unknown_or_malformed_id_is_one_clear_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["user", "deactivate", "99"]) == 2
    assert "Pengguna dengan ID 99 tidak ditemukan" in capsys.readouterr().err
    assert run(["user", "deactivate", "abc"]) == 2
    assert "ID pengguna harus bilangan bulat positif" in capsys.readouterr().err
