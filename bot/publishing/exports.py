"""The machine-readable downloads of the DIP site: `dip.json` and `dip.csv`.

Both list every published entry with its fields, the address of its page and the addresses of
its documents. `link` turns a path relative to the site root into the public address (absolute
when a base URL is configured), so the files agree with the pages on where things are.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Final

from bot.publishing.views import EntryView
from bot.untrusted import defuse_formula

__all__ = ["csv_head", "csv_row", "dip_csv", "dip_json", "dip_json_parts"]

_ENTRY_INDENT: Final = "    "  # an entry is two levels deep: {"informasi": [{...}]}
_ENTRY_SEPARATOR: Final = ",\n"
_LIST_OPENING: Final = '  "informasi": [\n'
_LIST_CLOSING: Final = "\n  ]\n}"
_ENTRY_OPENING: Final = "    {\n"
_ID_PREFIX: Final = _ENTRY_OPENING + '      "id": '

_CSV_HEADER: Final = (
    "ID",
    "Kode OPD",
    "Nama OPD",
    "Periode",
    "Nomor",
    "Judul",
    "Ringkasan isi informasi",
    "Pejabat/unit yang menguasai informasi",
    "Penanggung jawab pembuatan/penerbitan",
    "Waktu dan tempat pembuatan",
    "Bentuk informasi",
    "Jangka waktu penyimpanan",
    "Kategori",
    "Diterbitkan",
    "Tautan",
    "Berkas",
)


def dip_json(
    entries: Sequence[EntryView],
    updated: datetime,
    link: Callable[[str], str],
    known: Mapping[int, str] | None = None,
) -> str:
    """`dip.json`: the register, indented by two. `known`: the text of entries that did not change
    since a previous `dip.json` (`dip_json_parts`), used as it is: the encoder that indents is
    pure Python, and an update of 25,000 entries would spend most of a second on them again."""
    head = {"diperbarui": updated.isoformat(), "jumlah": len(entries)}
    if not entries:
        return json.dumps(head | {"informasi": []}, ensure_ascii=False, indent=2) + "\n"
    parts = []
    for e in entries:
        text = known.get(e.id) if known else None
        if text is None:
            lines = json.dumps(_entry_record(e, link), ensure_ascii=False, indent=2).split("\n")
            text = "\n".join(_ENTRY_INDENT + line for line in lines)
        parts.append(text)
    opening = json.dumps(head, ensure_ascii=False, indent=2).removesuffix("\n}")
    return f'{opening},\n  "informasi": [\n{_ENTRY_SEPARATOR.join(parts)}\n  ]\n}}\n'


def dip_json_parts(text: str) -> dict[int, str]:
    """The text of each entry of a `dip.json` written by `dip_json`, by the entry's id. JSON
    strings hold no line breaks, so the lines between entries are found as they are."""
    start = text.find(_LIST_OPENING)
    end = text.rfind(_LIST_CLOSING)
    if start < 0 or end < start:
        return {}
    parts = {}
    body = text[start + len(_LIST_OPENING) : end]
    # Only between two entries does a line of four spaces and a brace follow a comma.
    pieces = body.split(_ENTRY_SEPARATOR + _ENTRY_OPENING)
    for index, piece in enumerate(pieces):
        part = piece if index == 0 else _ENTRY_OPENING + piece
        number = part[len(_ID_PREFIX) : part.find(",", len(_ID_PREFIX))]
        if part.startswith(_ID_PREFIX) and number.isdigit():
            parts[int(number)] = part
    return parts


def _entry_record(e: EntryView, link: Callable[[str], str]) -> dict[str, object]:
    return {
        "id": e.id,
        "opd": {"kode": e.opd_code, "nama": e.opd_name},
        "periode": e.round_name,
        "nomor": e.number,
        "judul": e.title,
        "ringkasan": e.summary,
        "kategori": e.category,
        "pejabat_penguasa": e.holder,
        "penanggung_jawab": e.responsible,
        "waktu_tempat": e.made,
        "bentuk": e.forms,
        "retensi": e.retention,
        "diterbitkan": e.published_iso,
        "tautan": link(e.path),
        "berkas": [
            {"nama": d.name, "sha256": d.sha256, "ukuran": d.size, "tautan": link(d.path)}
            for d in e.documents
        ],
    }


def dip_csv(
    entries: Sequence[EntryView],
    link: Callable[[str], str],
    known: Mapping[int, bytes] | None = None,
) -> bytes:
    """`dip.csv`. `known`: the rows (`csv_row`, encoded) of entries that did not change since a
    previous build, used as they are (the bytes of a previous `dip.csv`: see `csv_head`)."""
    parts = [csv_head()]
    for e in entries:
        row = known.get(e.id) if known else None
        parts.append(csv_row(e, link).encode("utf-8") if row is None else row)
    return b"".join(parts)


def csv_head() -> bytes:
    """What `dip.csv` begins with: the BOM (it makes Excel read UTF-8) and the header; then
    each entry's row, one after the other."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerow(_CSV_HEADER)
    return buffer.getvalue().encode("utf-8-sig")


def csv_row(e: EntryView, link: Callable[[str], str]) -> str:
    """An entry's line of `dip.csv`, with its line break (a field may hold line breaks too)."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerow(
        [
            str(e.id),
            defuse_formula(e.opd_code),
            defuse_formula(e.opd_name),
            defuse_formula(e.round_name),
            str(e.number),
            defuse_formula(e.title),
            defuse_formula(e.summary),
            defuse_formula(e.holder),
            defuse_formula(e.responsible),
            defuse_formula(e.made),
            defuse_formula(e.forms),
            defuse_formula(e.retention),
            e.category_label,
            e.published_iso,
            link(e.path),
            " | ".join(link(d.path) for d in e.documents),
        ]
    )
    return buffer.getvalue()
