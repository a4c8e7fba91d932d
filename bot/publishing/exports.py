"""The machine-readable downloads of the DIP site: `dip.json` and `dip.csv`.

Both list every published entry with its fields, the address of its page and the addresses of
its documents. `link` turns a path relative to the site root into the public address (absolute
when a base URL is configured), so the files agree with the pages on where things are.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Final

from bot.publishing.views import EntryView
from bot.untrusted import defuse_formula

__all__ = ["dip_csv", "dip_json"]

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


def dip_json(entries: Sequence[EntryView], updated: datetime, link: Callable[[str], str]) -> str:
    document = {
        "diperbarui": updated.isoformat(),
        "jumlah": len(entries),
        "informasi": [
            {
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
                    {
                        "nama": d.name,
                        "sha256": d.sha256,
                        "ukuran": d.size,
                        "tautan": link(d.path),
                    }
                    for d in e.documents
                ],
            }
            for e in entries
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def dip_csv(entries: Sequence[EntryView], link: Callable[[str], str]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_CSV_HEADER)
    for e in entries:
        writer.writerow(
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
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8
