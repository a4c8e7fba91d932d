"""Indonesian renderings of dates, times and deadlines ("Selasa, 2 Maret 2027 pukul 16.00 WIB")."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
ZONES = {7: "WIB", 8: "WITA", 9: "WIT"}

# The office's time zone, in which every time is shown. Instants are stored in UTC (one
# convention for both database engines); the composition root sets the zone of the settings.
_OFFICE: list[tzinfo] = [ZoneInfo("Asia/Pontianak")]


def show_in(zone: tzinfo) -> None:
    """Show times in `zone` from now on (the composition root, from PPID_TIMEZONE)."""
    _OFFICE[0] = zone


def local(t: datetime) -> datetime:
    """`t` in the office's time zone."""
    return t.astimezone(_OFFICE[0])


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
    """`16.00 WIB` (Indonesian style uses a dot between hours and minutes), in the office's
    time zone."""
    t = local(t)
    return f"{t:%H.%M} {zone_name(t)}"


def instant(t: datetime) -> str:
    """`Selasa, 2 Maret 2027 pukul 16.00 WIB`, in the office's time zone."""
    return f"{day_date(local(t).date())} pukul {clock(t)}"


def deadline(t: datetime) -> str:
    """`paling lambat Selasa, 2 Maret 2027 pukul 16.00 WIB`."""
    return f"paling lambat {instant(t)}"
