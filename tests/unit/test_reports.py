"""Unit tests of bot.reports: SLA statistics, the chat summary, the chart and the monthly workbook.

The fixture runs on the real Indonesian calendar as `Calendar()` knows it: Monday 8 to Monday
15 March 2027 are Nyepi, Idul Fitri and cuti bersama (the weekend between included), and 25-26
March 2027 are Wafat Yesus Kristus and its cuti bersama. So the first working day after Friday
5 March 2027 is Tuesday 16 March 2027, and a hand-over from the 5th to the 16th takes one
working day.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pytest
from openpyxl import load_workbook
from PIL import Image

from bot.reports import (
    StepStats,
    TaskRecord,
    chart_png,
    monthly_xlsx,
    percent,
    rate_colour,
    sla_stats,
    summary_lines,
)
from bot.workdays import Calendar

WIB = ZoneInfo("Asia/Pontianak")
SLA = {1: 1, 2: 1, 3: 10, 4: 1, 5: 1}
NOW = datetime(2027, 4, 2, 10, 0, tzinfo=WIB)  # Friday 2 April 2027, 10:00 WIB
MARCH = (2027, 3)


@pytest.fixture(scope="module")
def cal() -> Calendar:
    return Calendar()


def wib(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=WIB)


def task(
    cal: Calendar, opd: str, step: int, started: datetime, done: datetime | None
) -> TaskRecord:
    name = {"DINKES": "Dinas Kesehatan", "DISDIK": "Dinas Pendidikan"}[opd]
    return TaskRecord(opd, name, step, started, cal.due(started, SLA[step]), done)


@pytest.fixture(scope="module")
def tasks(cal: Calendar) -> list[TaskRecord]:
    return [
        # DINKES step 1: on time (1 working day), on time across the holidays (5 -> 16 March:
        # 1 working day), late (3 -> 5 March, due the 4th: 2 working days).
        task(cal, "DINKES", 1, wib(3, 1, 10), wib(3, 2, 15)),
        task(cal, "DINKES", 1, wib(3, 5, 14), wib(3, 16, 9)),
        task(cal, "DINKES", 1, wib(3, 3, 9), wib(3, 5, 8)),
        # DINKES step 3: late after 11 working days (due 24 March); on time exactly at the
        # deadline (Tuesday 23 March 16:00, 10 working days); two open and overdue (one handed
        # over on the holiday of 15 March, due 31 March; one due 1 April); one open, not due.
        task(cal, "DINKES", 3, wib(3, 2, 10), wib(3, 29, 11)),
        task(cal, "DINKES", 3, wib(3, 1, 8), wib(3, 23, 16)),
        task(cal, "DINKES", 3, wib(3, 15, 9), None),
        task(cal, "DINKES", 3, wib(3, 16, 9), None),
        task(cal, "DINKES", 3, wib(3, 29, 9), None),
        # DISDIK step 1: finished the same day (0 working days); finished in February; finished
        # on 1 March at 06:30 WIB, which is still 28 February in UTC.
        task(cal, "DISDIK", 1, wib(3, 4, 11), wib(3, 4, 15)),
        task(cal, "DISDIK", 1, wib(2, 1, 9), wib(2, 2, 10)),
        task(
            cal,
            "DISDIK",
            1,
            datetime(2027, 2, 26, 7, 0, tzinfo=UTC),
            datetime(2027, 2, 28, 23, 30, tzinfo=UTC),
        ),
        # DISDIK step 4: late (due 16 March, done the 17th: 2 working days); open and overdue.
        task(cal, "DISDIK", 4, wib(3, 5, 9), wib(3, 17, 8)),
        task(cal, "DISDIK", 4, wib(3, 31, 10), None),
        # DISDIK step 5: open, due this afternoon.
        task(cal, "DISDIK", 5, wib(4, 1, 9), None),
    ]


# --------------------------------------------------------------------------------------------
# sla_stats


def test_the_fixture_deadlines_follow_the_holidays(tasks: list[TaskRecord]) -> None:
    assert tasks[1].due_at == wib(3, 16, 16)
    assert tasks[4].due_at == wib(3, 23, 16)
    assert tasks[5].due_at == wib(3, 31, 16)


def test_stats_count_on_time_tasks_and_working_days_per_opd_and_step(
    tasks: list[TaskRecord], cal: Calendar
) -> None:
    assert sla_stats(tasks, cal, NOW) == [
        StepStats("DINKES", "Dinas Kesehatan", 1, 3, 2, 2 / 3, 1.0, 2, 0),
        StepStats("DINKES", "Dinas Kesehatan", 3, 2, 1, 0.5, 10.5, 11, 2),
        StepStats("DISDIK", "Dinas Pendidikan", 1, 3, 3, 1.0, 1.0, 1, 0),
        StepStats("DISDIK", "Dinas Pendidikan", 4, 1, 0, 0.0, 2.0, 2, 1),
        StepStats("DISDIK", "Dinas Pendidikan", 5, 0, 0, None, None, None, 0),
    ]


def test_the_month_filter_keeps_tasks_finished_in_that_local_month(
    tasks: list[TaskRecord], cal: Calendar
) -> None:
    stats = {(s.opd_code, s.step): s for s in sla_stats(tasks, cal, NOW, month=MARCH)}
    disdik_1 = stats["DISDIK", 1]
    assert (disdik_1.done, disdik_1.on_time, disdik_1.median_days, disdik_1.worst_days) == (
        2,
        2,
        0.5,
        1,
    )
    assert stats["DINKES", 3].done == 2


def test_a_month_without_finished_tasks_still_counts_what_is_overdue_now(
    tasks: list[TaskRecord], cal: Calendar
) -> None:
    stats = sla_stats(tasks, cal, NOW, month=(2027, 2))
    assert [(s.opd_code, s.step, s.done, s.overdue_now) for s in stats] == [
        ("DINKES", 1, 0, 0),
        ("DINKES", 3, 0, 2),
        ("DISDIK", 1, 1, 0),
        ("DISDIK", 4, 0, 1),
        ("DISDIK", 5, 0, 0),
    ]
    assert stats[1].on_time_rate is None and stats[1].median_days is None


def test_overdue_now_depends_on_the_instant_given(tasks: list[TaskRecord], cal: Calendar) -> None:
    before = sla_stats(tasks, cal, wib(3, 31, 16))  # exactly at the first deadline
    assert sum(s.overdue_now for s in before) == 0
    after = sla_stats(tasks, cal, wib(4, 2, 16, 31))
    assert [s.overdue_now for s in after] == [0, 2, 0, 1, 1]


def test_input_order_does_not_change_the_result(tasks: list[TaskRecord], cal: Calendar) -> None:
    assert sla_stats(reversed(tasks), cal, NOW) == sla_stats(tasks, cal, NOW)


def test_naive_datetimes_invalid_steps_and_months_are_rejected(cal: Calendar) -> None:
    with pytest.raises(ValueError, match="naive"):
        TaskRecord("X", "X", 1, datetime(2027, 3, 1), wib(3, 2, 16), None)
    with pytest.raises(ValueError, match="step"):
        TaskRecord("X", "X", 6, wib(3, 1, 9), wib(3, 2, 16), None)
    with pytest.raises(ValueError, match="naive"):
        sla_stats([], cal, datetime(2027, 3, 1))
    with pytest.raises(ValueError, match="month"):
        sla_stats([], cal, NOW, month=(2027, 13))


def test_percentages_round_down_and_colours_follow_the_thresholds() -> None:
    assert [percent(r) for r in (0.0, 0.625, 0.9, 0.999, 1.0, 0.29)] == [
        "0%",
        "62%",
        "90%",
        "99%",
        "100%",
        "29%",
    ]
    assert [rate_colour(r) for r in (1.0, 0.9, 0.8999, 0.7, 0.6999, 0.0, None)] == [
        "#2e7d32",
        "#2e7d32",
        "#f9a825",
        "#f9a825",
        "#c62828",
        "#c62828",
        "#9e9e9e",
    ]


# --------------------------------------------------------------------------------------------
# summary_lines


def test_the_summary_names_the_overall_rate_the_lowest_opds_and_what_is_overdue(
    tasks: list[TaskRecord], cal: Calendar
) -> None:
    assert summary_lines(sla_stats(tasks, cal, NOW, month=MARCH)) == [
        "Kepatuhan waktu keseluruhan: 62% (5 dari 8 tugas selesai tepat waktu)",
        "OPD dengan persentase terendah:",
        "1. DINKES (Dinas Kesehatan): 60% (3 dari 5)",
        "2. DISDIK (Dinas Pendidikan): 66% (2 dari 3)",
        "Terlambat saat ini:",
        "DINKES: 2 tugas terlambat (langkah 3)",
        "DISDIK: 1 tugas terlambat (langkah 4)",
    ]


def test_the_summary_of_an_empty_period_says_so() -> None:
    assert summary_lines([]) == [
        "Belum ada tugas yang selesai pada periode ini.",
        "Tidak ada tugas yang terlambat saat ini.",
    ]


def test_a_summary_of_many_opds_stays_short_enough_for_a_phone() -> None:
    long_name = "Dinas Pemberdayaan Perempuan, Perlindungan Anak, Pengendalian Penduduk dan KB"
    stats = [
        StepStats(f"OPD{i:02d}", long_name, step, 4, i % 4, (i % 4) / 4, 1.0, 2, i + step)
        for i in range(20)
        for step in (2, 3)
    ]
    lines = summary_lines(stats)
    assert len(lines) <= 12
    assert all(len(line) < 100 for line in lines)
    assert lines[2].startswith("1. OPD00 (Dinas Pemberdayaan")
    assert "OPD19: 43 tugas terlambat (langkah 2, 3)" in lines
    assert lines[-1] == "… dan 16 OPD lain: 320 tugas terlambat"


# --------------------------------------------------------------------------------------------
# chart_png

Pixels = npt.NDArray[np.int16]


def decode(png: bytes) -> Pixels:
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def reddish(px: Pixels) -> npt.NDArray[np.bool_]:
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    return (r > 150) & (g < 80) & (b < 80)


def greenish(px: Pixels) -> npt.NDArray[np.bool_]:
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    return (g > 100) & (g - r > 50) & (g - b > 50)


def two_opds() -> list[StepStats]:
    return [
        StepStats("BAIK", "Dinas Teladan", 1, 4, 4, 1.0, 1.0, 1, 0),
        StepStats("BURUK", "Dinas Terlambat", 3, 3, 0, 0.0, 12.0, 14, 1),
    ]


def test_the_chart_has_exactly_the_requested_size() -> None:
    for width, height in ((1200, 700), (1001, 333)):
        png = chart_png(two_opds(), title="Ukuran", width_px=width, height_px=height)
        assert png.startswith(b"\x89PNG")
        with Image.open(io.BytesIO(png)) as image:
            assert image.size == (width, height)


def test_the_chart_is_not_blank() -> None:
    px = decode(chart_png(two_opds(), title="Kepatuhan waktu — Maret 2027"))
    assert px.shape == (700, 1200, 3)
    assert len(np.unique(px.reshape(-1, 3), axis=0)) > 3
    assert float(px.var()) > 0


def test_the_chart_draws_the_late_opd_red_on_top_and_the_punctual_one_green_below() -> None:
    px = decode(chart_png(two_opds(), title="Kepatuhan waktu — Maret 2027"))
    height, width = px.shape[:2]
    top, bottom = px[: height // 2], px[height // 2 :]
    # 0% has no bar, only its red label at the left end of the axis.
    assert reddish(top).sum() > 20
    assert reddish(bottom).sum() == 0
    assert np.nonzero(reddish(top))[1].max() < width // 3
    # 100% is a long green bar reaching the right end.
    assert greenish(bottom).sum() > width * height // 10
    assert greenish(top).sum() == 0
    assert np.nonzero(greenish(bottom))[1].max() > width * 9 // 10


def test_an_amber_opd_and_an_opd_without_finished_tasks_get_their_colours() -> None:
    stats = [
        StepStats("SEDANG", "Dinas Sedang", 1, 5, 4, 0.8, 1.0, 2, 0),
        StepStats("BARU", "Kecamatan Baru", 1, 0, 0, None, None, None, 0),
    ]
    px = decode(chart_png(stats, title="Amber"))
    amber = (px[..., 0] > 220) & (abs(px[..., 1] - 168) < 20) & (px[..., 2] < 80)
    assert amber.sum() > 10_000
    assert reddish(px).sum() == 0 and greenish(px).sum() == 0


def test_an_empty_chart_is_still_a_picture() -> None:
    with Image.open(io.BytesIO(chart_png([], title="Kosong"))) as image:
        assert image.size == (1200, 700)


def test_a_tiny_chart_is_refused() -> None:
    with pytest.raises(ValueError, match="too small"):
        chart_png(two_opds(), title="x", width_px=100, height_px=50)


# --------------------------------------------------------------------------------------------
# monthly_xlsx


def test_the_monthly_workbook_has_the_summary_the_chart_and_the_table(
    tasks: list[TaskRecord], cal: Calendar
) -> None:
    stats = sla_stats(tasks, cal, NOW, month=MARCH)
    chart = chart_png(stats, title="Kepatuhan waktu — Maret 2027", width_px=600, height_px=400)
    generated = datetime(2027, 4, 1, 1, 0, tzinfo=UTC)
    data = monthly_xlsx(stats, month=MARCH, chart=chart, generated_at=generated)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        media = [n for n in archive.namelist() if n.startswith("xl/media/")]
        assert len(media) == 1
        assert archive.read(media[0]).startswith(b"\x89PNG")

    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Ringkasan", "Per OPD dan langkah"]
    summary = wb["Ringkasan"]
    assert summary["A1"].value == "Laporan Kepatuhan Waktu PPID — Maret 2027"
    assert summary["A2"].value == "Dibuat Kamis, 1 April 2027 pukul 08.00 WIB"
    lines = [summary.cell(row=r, column=1).value for r in range(4, 11)]
    assert lines == summary_lines(stats)

    table = wb["Per OPD dan langkah"]
    rows = list(table.iter_rows(values_only=True))
    assert rows[0] == (
        "Kode OPD",
        "OPD",
        "Langkah",
        "Selesai",
        "Tepat waktu",
        "Persentase",
        "Median hari kerja",
        "Terlama",
        "Terlambat sekarang",
    )
    assert rows[1][:5] == ("DINKES", "Dinas Kesehatan", 1, 3, 2)
    assert rows[1][5] == pytest.approx(2 / 3)
    assert rows[1][6:] == (1, 2, 0)
    assert rows[2] == ("DINKES", "Dinas Kesehatan", 3, 2, 1, 0.5, 10.5, 11, 2)
    assert rows[3] == ("DISDIK", "Dinas Pendidikan", 1, 2, 2, 1, 0.5, 1, 0)
    assert rows[5] == ("DISDIK", "Dinas Pendidikan", 5, 0, 0, None, None, None, 0)
    assert len(rows) == 6
    assert table["A1"].font.b
    assert table["F2"].number_format == "0.0%"
    assert table.freeze_panes == "A2"
    assert table.auto_filter.ref == "A1:I6"
    assert (table.column_dimensions["B"].width or 0) >= 30


def test_the_workbook_rejects_a_naive_generation_time() -> None:
    with pytest.raises(ValueError, match="naive"):
        monthly_xlsx([], month=MARCH, chart=b"", generated_at=datetime(2027, 4, 1))


def test_an_empty_month_still_makes_a_valid_workbook() -> None:
    chart = chart_png([], title="Kosong", width_px=400, height_px=300)
    generated = datetime(2027, 4, 1, 8, 0, tzinfo=WIB) + timedelta(minutes=5)
    wb = load_workbook(
        io.BytesIO(monthly_xlsx([], month=(2027, 12), chart=chart, generated_at=generated))
    )
    assert wb["Ringkasan"]["A1"].value == "Laporan Kepatuhan Waktu PPID — Desember 2027"
    assert wb["Per OPD dan langkah"].max_row == 1
