"""`export template|dip|exempt`, `report` and `web build` on the command line."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from bot.cli import main


def test_the_template_is_written_as_a_workbook(tmp_path: Path) -> None:
    out = tmp_path / "templat.xlsx"
    assert main(["export", "template", "--out", str(out)]) == 0
    assert openpyxl.load_workbook(io.BytesIO(out.read_bytes())).sheetnames == ["DIP", "Petunjuk"]


def test_an_empty_register_exports_as_headers_only(tmp_path: Path) -> None:
    out = tmp_path / "dip.csv"
    assert main(["export", "dip", "--format", "csv", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["export", "dip", "--opd", "NOPE", "--out", "x.xlsx"], "OPD NOPE tidak dikenal"),
        (["export", "dip", "--round", "99", "--out", "x.xlsx"], "Putaran #99 tidak ada"),
        (["report", "--month", "2027-13", "--out", "r.xlsx"], "bukan bulan yang valid"),
        (["export", "template", "--out", "/nonexistent/dir/t.xlsx"], "Tidak dapat menulis"),
    ],
)
def test_bad_arguments_get_one_clear_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_the_monthly_report_carries_its_chart(tmp_path: Path) -> None:
    out = tmp_path / "laporan.xlsx"
    assert main(["report", "--month", "2027-03", "--out", str(out)]) == 0
    # The chart is stored as a picture inside the workbook (an xlsx is a zip).
    with zipfile.ZipFile(out) as z:
        assert [n for n in z.namelist() if n.startswith("xl/media/")]


def test_web_build_writes_an_empty_site_and_exempt_export_has_a_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["web", "build"]) == 0
    assert "0 informasi publik" in capsys.readouterr().out
    assert (tmp_path / "data" / "web" / "current" / "index.html").exists()
    assert main(["export", "exempt"]) == 0
    assert capsys.readouterr().out.startswith("OPD,Nama OPD")


def test_web_build_again_writes_nothing_and_full_rebuilds_every_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["web", "build"]) == 0
    first = (tmp_path / "data" / "web" / "current").resolve()
    capsys.readouterr()
    assert main(["web", "build"]) == 0
    assert "sudah sesuai dengan basis data" in capsys.readouterr().out
    assert (tmp_path / "data" / "web" / "current").resolve() == first
    assert main(["web", "build", "--full"]) == 0
    assert "dibangun ulang" in capsys.readouterr().out
    assert (tmp_path / "data" / "web" / "current").resolve() != first
