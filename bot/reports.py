"""SLA reports: on-time statistics per OPD and per step, a PNG chart and a monthly xlsx workbook.

The caller loads finished and open tasks from the database and passes them in as plain
`TaskRecord`s; this module does no I/O of its own and never reads the clock (`now` and
`generated_at` are arguments), so every report is reproducible.

* `sla_stats` turns tasks into one `StepStats` per (OPD, step): how many were finished, how many
  on time (`done_at <= due_at`), the median and worst number of **working days** a hand-over
  took (`Calendar.workdays_between` of the local start and finish dates, so a hand-over
  finished the same day takes 0 and a holiday cluster in between costs nothing), and how many
  open tasks are overdue now.
* `summary_lines` is a short Indonesian summary for a chat message.
* `chart_png` draws the on-time rate per OPD as a horizontal bar chart (matplotlib's object API
  with the Agg canvas: no pyplot, no global state, safe to call from worker threads).
* `monthly_xlsx` builds the monthly workbook: a summary sheet with the chart and a table per
  OPD and step.

Percentages are rounded down ("99%" until every task is on time), so a label never claims more
than was achieved and never contradicts the colour of its bar.
"""

from __future__ import annotations

import io
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.drawing.image import Image as XlsxImage
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bot.formatting import MONTHS, instant
from bot.untrusted import defuse_formula
from bot.workdays import DEFAULT_TZ, Calendar

__all__ = [
    "AMBER",
    "GREEN",
    "GREY",
    "RED",
    "StepStats",
    "TaskRecord",
    "chart_png",
    "month_name",
    "monthly_xlsx",
    "percent",
    "rate_colour",
    "sla_stats",
    "summary_lines",
]

STEPS = range(1, 6)

GREEN = "#2e7d32"
"""Bar colour of an on-time rate of at least 90%."""
AMBER = "#f9a825"
"""Bar colour of an on-time rate of at least 70% and below 90%."""
RED = "#c62828"
"""Bar colour of an on-time rate below 70%."""
GREY = "#9e9e9e"
"""Colour of an OPD without any finished task ("belum ada")."""

_GOOD, _FAIR = 0.9, 0.7
_TEXT = "#212121"
_MUTED = "#616161"
_TRACK = "#eeeeee"
# Darker variants for labels written beside a bar, readable on white.
_LABEL_COLOUR = {GREEN: "#1b5e20", AMBER: "#a66f00", RED: "#b71c1c", GREY: _MUTED}

_MAX_LINE = 99  # chat lines stay below 100 characters
_MAX_OVERDUE_LINES = 5
_LOWEST = 3
_DPI = 100


# --------------------------------------------------------------------------------------------
# Statistics


def _require_aware(label: str, t: datetime) -> None:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{label} {t.isoformat()} is naive: pass an aware datetime")


@dataclass(frozen=True)
class TaskRecord:
    """One hand-over of one case: an OPD's step, when it started, was due and was finished."""

    opd_code: str
    opd_name: str
    step: int
    started_at: datetime
    due_at: datetime
    done_at: datetime | None

    def __post_init__(self) -> None:
        if self.step not in STEPS:
            raise ValueError(f"step must be 1 to 5, got {self.step!r}")
        _require_aware("started_at", self.started_at)
        _require_aware("due_at", self.due_at)
        if self.done_at is not None:
            _require_aware("done_at", self.done_at)


@dataclass(frozen=True)
class StepStats:
    """On-time statistics of one step of one OPD.

    `on_time_rate`, `median_days` and `worst_days` are None when nothing was finished
    (`done == 0`). Days are working days from the local start date to the local finish date.
    """

    opd_code: str
    opd_name: str
    step: int
    done: int
    on_time: int
    on_time_rate: float | None
    median_days: float | None
    worst_days: int | None
    overdue_now: int


def _in_month(cal: Calendar, t: datetime, month: tuple[int, int]) -> bool:
    local = cal.local(t)
    return (local.year, local.month) == month


def _check_month(month: tuple[int, int]) -> None:
    year, number = month
    if not 1 <= number <= 12:
        raise ValueError(f"month must be (year, 1..12), got {month!r}")
    if not 1 <= year <= 9999:
        raise ValueError(f"invalid year in {month!r}")


def sla_stats(
    tasks: Iterable[TaskRecord],
    cal: Calendar,
    now: datetime,
    *,
    month: tuple[int, int] | None = None,
) -> list[StepStats]:
    """Statistics per (OPD, step), sorted by OPD code, then step.

    Every (OPD, step) that occurs in `tasks` gets a row, even when none of its tasks was
    finished (in `month`). A task is on time when `done_at <= due_at`. With `month=(2027, 3)`
    only tasks finished in March 2027 (local time) count for done, on time, median and worst;
    `overdue_now` always counts the tasks still open (no `done_at`) whose `due_at` is before
    `now`.
    """
    cal.local(now)  # rejects a naive `now`
    if month is not None:
        _check_month(month)
    names: dict[tuple[str, int], str] = {}
    days: dict[tuple[str, int], list[int]] = defaultdict(list)
    on_time: dict[tuple[str, int], int] = defaultdict(int)
    overdue: dict[tuple[str, int], int] = defaultdict(int)
    for task in tasks:
        key = (task.opd_code, task.step)
        names.setdefault(key, task.opd_name)
        if task.done_at is None:
            if task.due_at < now:
                overdue[key] += 1
            continue
        if month is not None and not _in_month(cal, task.done_at, month):
            continue
        taken = cal.workdays_between(
            cal.local(task.started_at).date(), cal.local(task.done_at).date()
        )
        days[key].append(taken)
        if task.done_at <= task.due_at:
            on_time[key] += 1
    result: list[StepStats] = []
    for key in sorted(names):
        taken_list = days.get(key, [])
        done = len(taken_list)
        result.append(
            StepStats(
                opd_code=key[0],
                opd_name=names[key],
                step=key[1],
                done=done,
                on_time=on_time[key],
                on_time_rate=on_time[key] / done if done else None,
                median_days=float(statistics.median(taken_list)) if done else None,
                worst_days=max(taken_list) if done else None,
                overdue_now=overdue[key],
            )
        )
    return result


@dataclass(frozen=True)
class _OpdTotal:
    code: str
    name: str
    done: int
    on_time: int
    overdue_now: int
    overdue_steps: tuple[int, ...]

    @property
    def rate(self) -> float | None:
        return self.on_time / self.done if self.done else None


def _per_opd(stats: Sequence[StepStats]) -> list[_OpdTotal]:
    """All steps of each OPD together, in order of OPD code."""
    grouped: dict[str, list[StepStats]] = defaultdict(list)
    for row in stats:
        grouped[row.opd_code].append(row)
    return [
        _OpdTotal(
            code=code,
            name=rows[0].opd_name,
            done=sum(r.done for r in rows),
            on_time=sum(r.on_time for r in rows),
            overdue_now=sum(r.overdue_now for r in rows),
            overdue_steps=tuple(sorted({r.step for r in rows if r.overdue_now})),
        )
        for code, rows in sorted(grouped.items())
    ]


def percent(rate: float) -> str:
    """`92%`: a rate from 0 to 1 as a whole percentage, rounded down (0.999 is "99%")."""
    return f"{math.floor(rate * 100 + 1e-9)}%"


def rate_colour(rate: float | None) -> str:
    """Green from 90%, amber from 70%, red below, grey when nothing was finished."""
    if rate is None:
        return GREY
    if rate >= _GOOD:
        return GREEN
    if rate >= _FAIR:
        return AMBER
    return RED


# --------------------------------------------------------------------------------------------
# Chat summary


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class ExemptionTotals:
    """Exemptions in a month: periods ending in it, and decisions taken in it."""

    due: int
    extended: int
    opened: int


def exemption_lines(totals: ExemptionTotals) -> list[str]:
    """The report's line about exemptions that expire."""
    decided = totals.extended + totals.opened
    return [
        f"Pengecualian yang berakhir bulan ini: {totals.due}; diputuskan bulan ini: {decided}"
        f" (diperpanjang {totals.extended}, dibuka {totals.opened})"
    ]


def summary_lines(stats: Sequence[StepStats]) -> list[str]:
    """A short Indonesian summary for a chat message (at most 12 lines, each under 100 chars).

    The overall on-time rate, the (up to) three OPDs with the lowest rate, and the OPDs with
    overdue open tasks, most overdue first.
    """
    opds = _per_opd(stats)
    lines: list[str] = []
    done = sum(o.done for o in opds)
    on_time = sum(o.on_time for o in opds)
    if done:
        lines.append(
            f"Kepatuhan waktu keseluruhan: {percent(on_time / done)} "
            f"({on_time} dari {done} tugas selesai tepat waktu)"
        )
        finished = [o for o in opds if o.rate is not None]
        lowest = sorted(finished, key=lambda o: (o.rate, o.code))[:_LOWEST]
        lines.append("OPD dengan persentase terendah:")
        for number, opd in enumerate(lowest, start=1):
            assert opd.rate is not None
            lines.append(
                f"{number}. {opd.code} ({_clip(opd.name, 40)}): {percent(opd.rate)} "
                f"({opd.on_time} dari {opd.done})"
            )
    else:
        lines.append("Belum ada tugas yang selesai pada periode ini.")
    late = sorted((o for o in opds if o.overdue_now), key=lambda o: (-o.overdue_now, o.code))
    if late:
        lines.append("Terlambat saat ini:")
        shown = late if len(late) <= _MAX_OVERDUE_LINES else late[: _MAX_OVERDUE_LINES - 1]
        for opd in shown:
            steps = ", ".join(str(s) for s in opd.overdue_steps)
            lines.append(f"{opd.code}: {opd.overdue_now} tugas terlambat (langkah {steps})")
        rest = late[len(shown) :]
        if rest:
            count = sum(o.overdue_now for o in rest)
            lines.append(f"… dan {len(rest)} OPD lain: {count} tugas terlambat")
    else:
        lines.append("Tidak ada tugas yang terlambat saat ini.")
    return [_clip(line, _MAX_LINE) for line in lines]


# --------------------------------------------------------------------------------------------
# Chart


def chart_png(
    stats: Sequence[StepStats], *, title: str, width_px: int = 1200, height_px: int = 700
) -> bytes:
    """A PNG of exactly `width_px` x `height_px`: the on-time rate per OPD, all steps together.

    One horizontal bar per OPD, the lowest rate at the top, coloured by `rate_colour`, with its
    percentage at the end; OPDs without a finished task come last, marked "belum ada" in grey.
    """
    if width_px < 200 or height_px < 150:
        raise ValueError(f"chart too small: {width_px}x{height_px} px (at least 200x150)")
    opds = _per_opd(stats)
    finished = sorted((o for o in opds if o.rate is not None), key=lambda o: (o.rate, o.code))
    pending = [o for o in opds if o.rate is None]
    rows = finished + pending  # top to bottom

    # Imported here: matplotlib is a quarter of a second of every start, and charts are rare.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    fig = Figure(figsize=(width_px / _DPI, height_px / _DPI), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    fig.patch.set_facecolor("white")
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=14, fontweight="bold", color=_TEXT, loc="left", wrap=True)
    key = ("Hijau ≥ 90%", "Kuning 70–89%", "Merah < 70%", "Abu-abu: belum ada yang selesai")
    separator = " · " if width_px >= 700 else "\n"
    fig.supxlabel(
        f"{key[0]} · {key[1]}{separator}{key[2]} · {key[3]}",
        x=0.995,
        ha="right",
        fontsize=8,
        color=_MUTED,
    )
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    ax.set_xlabel("Persentase tugas selesai tepat waktu", color=_TEXT)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(colors=_MUTED)

    if not rows:
        ax.set_yticks([])
        ax.text(50, 0.5, "Belum ada data", ha="center", va="center", fontsize=12, color=_MUTED)
        ax.set_ylim(0, 1)
    else:
        n = len(rows)
        row_px = height_px * 0.7 / n
        fontsize = max(5.5, min(11.0, row_px * 0.6 * 72 / _DPI))
        positions = list(range(n - 1, -1, -1))  # first row at the top
        ax.barh(positions, [100] * n, height=0.7, color=_TRACK, zorder=0.2)
        for y, opd in zip(positions, rows, strict=True):
            colour = rate_colour(opd.rate)
            if opd.rate is None:
                ax.text(1, y, "belum ada", va="center", ha="left", fontsize=fontsize, color=GREY)
                continue
            value = opd.rate * 100
            ax.barh([y], [value], height=0.7, color=colour, zorder=2)
            label = percent(opd.rate)
            if value >= 85:
                ax.text(value - 1, y, label, va="center", ha="right", fontsize=fontsize,
                        fontweight="bold", color="white", zorder=3)  # fmt: skip
            else:
                ax.text(value + 1, y, label, va="center", ha="left", fontsize=fontsize,
                        fontweight="bold", color=_LABEL_COLOUR[colour], zorder=3)  # fmt: skip
        ax.set_yticks(positions)
        ax.set_yticklabels([_clip(o.name or o.code, 38) for o in rows], fontsize=fontsize)
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(-0.6, n - 0.4)
    ax.set_axisbelow(True)  # grid lines at zorder 0.5: above the track, below the bars
    ax.grid(axis="x", color="#d6d6d6", linewidth=0.8)

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI, facecolor="white")
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Monthly workbook

_HEADERS = (
    ("Kode OPD", 12),
    ("OPD", 40),
    ("Langkah", 10),
    ("Selesai", 10),
    ("Tepat waktu", 13),
    ("Persentase", 12),
    ("Median hari kerja", 18),
    ("Terlama", 10),
    ("Terlambat sekarang", 19),
)


def month_name(month: tuple[int, int]) -> str:
    """`Maret 2027`."""
    _check_month(month)
    return f"{MONTHS[month[1] - 1]} {month[0]}"


def monthly_xlsx(
    stats: Sequence[StepStats],
    *,
    month: tuple[int, int],
    chart: bytes,
    generated_at: datetime,
    exemptions: ExemptionTotals | None = None,
) -> bytes:
    """The monthly report as an xlsx workbook.

    Sheet "Ringkasan": the title, when the report was generated (in WIB), `summary_lines` and
    the chart. Sheet "Per OPD dan langkah": one row per `StepStats`, with a bold frozen
    header and an autofilter.
    """
    _require_aware("generated_at", generated_at)
    title = f"Laporan Kepatuhan Waktu PPID — {month_name(month)}"
    local = generated_at.astimezone(ZoneInfo(DEFAULT_TZ))

    wb = Workbook()
    wb.properties.title = title
    wb.properties.creator = "PPID Bot"
    wb.properties.created = generated_at.astimezone(UTC).replace(tzinfo=None)

    summary = wb.active
    assert summary is not None
    summary.title = "Ringkasan"
    summary["A1"] = defuse_formula(title)
    summary["A1"].font = Font(bold=True, size=14)
    summary["A2"] = f"Dibuat {instant(local)}"
    summary["A2"].font = Font(italic=True, color="616161")
    row = 4
    extra = exemption_lines(exemptions) if exemptions is not None else []
    for line in [*summary_lines(stats), *extra]:
        summary.cell(row=row, column=1, value=defuse_formula(line))
        row += 1
    summary.column_dimensions["A"].width = 100
    image = XlsxImage(io.BytesIO(chart))
    summary.add_image(image, f"A{row + 1}")

    table = wb.create_sheet("Per OPD dan langkah")
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for column, (header, width) in enumerate(_HEADERS, start=1):
        cell = table.cell(row=1, column=column, value=header)
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        table.column_dimensions[get_column_letter(column)].width = width
    for number, s in enumerate(stats, start=2):
        values = (
            s.opd_code,
            s.opd_name,
            s.step,
            s.done,
            s.on_time,
            s.on_time_rate,
            s.median_days,
            s.worst_days,
            s.overdue_now,
        )
        for column, value in enumerate(values, start=1):
            shown = defuse_formula(value) if isinstance(value, str) else value
            table.cell(row=number, column=column, value=shown)
        table.cell(row=number, column=6).number_format = "0.0%"
        table.cell(row=number, column=7).number_format = "0.0"
    table.freeze_panes = "A2"
    last_row = max(1, len(stats) + 1)
    table.auto_filter.ref = f"A1:{get_column_letter(len(_HEADERS))}{last_row}"

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
