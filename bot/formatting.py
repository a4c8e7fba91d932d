"""Indonesian renderings of dates, times and deadlines ("Selasa, 2 Maret 2027 pukul 16.00 WIB")."""

from __future__ import annotations

from datetime import date, datetime

DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
ZONES = {7: "WIB", 8: "WITA", 9: "WIT"}


def zone_name(t: datetime) -> str:
    """WIB/WITA/WIT for Indonesia's three zones, otherwise `UTC+h`."""
    offset = t.utcoffset()
    if offset is None:
        raise ValueError("naive datetime")
    hours = offset.total_seconds() / 3600
    if hours in ZONES:
        return ZONES[int(hours)]
    return f"UTC{hours:+g}"


def day_date(d: date) -> str:
    """`Selasa, 2 Maret 2027`."""
    return f"{DAYS[d.weekday()]}, {d.day} {MONTHS[d.month - 1]} {d.year}"


def short_date(d: date) -> str:
    """`2 Mar 2027`, for lists on a narrow screen."""
    return f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}"


def clock(t: datetime) -> str:
    """`16.00 WIB` (Indonesian style uses a dot between hours and minutes)."""
    return f"{t:%H.%M} {zone_name(t)}"


def instant(t: datetime) -> str:
    """`Selasa, 2 Maret 2027 pukul 16.00 WIB`; `t` must already be in the office time zone."""
    return f"{day_date(t.date())} pukul {clock(t)}"


def deadline(t: datetime) -> str:
    """`paling lambat Selasa, 2 Maret 2027 pukul 16.00 WIB`."""
    return f"paling lambat {instant(t)}"
