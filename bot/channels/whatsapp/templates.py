"""The WhatsApp templates the bot needs: one per kind of notice in short (`port.Brief`), in
Indonesian, category UTILITY, each with a quick reply that opens the full notice.

Meta reviews a template's wording once; a changed body needs a new name (the `_v1` suffix), so
the bodies live in the catalogue under `brief-*` and the names here. `creation_json` prints them
in Meta's creation format (`python -m bot whatsapp templates`); `missing` says which are not
approved yet (checked at start).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.channels.port import BriefKind
from bot.texts import plain

LANGUAGE = "id"


@dataclass(frozen=True)
class Template:
    kind: BriefKind
    name: str
    body_key: str
    params: tuple[str, ...]
    """The catalogue sentence's placeholders, in the order of Meta's {{1}}, {{2}}, ..."""
    example: tuple[str, ...]
    button_key: str

    def body(self) -> str:
        """The body in Meta's notation: `{{1}}` where the catalogue says `{opd}`."""
        return plain(self.body_key, **{p: f"{{{{{i}}}}}" for i, p in enumerate(self.params, 1)})

    def creation(self) -> dict[str, Any]:
        """This template in the format of Meta's template creation (Graph API)."""
        return {
            "name": self.name,
            "language": LANGUAGE,
            "category": "UTILITY",
            "components": [
                {"type": "BODY", "text": self.body(),
                 "example": {"body_text": [list(self.example)]}},
                {"type": "BUTTONS",
                 "buttons": [{"type": "QUICK_REPLY", "text": plain(self.button_key)}]},
            ],
        }  # fmt: skip


TEMPLATES: tuple[Template, ...] = (
    Template("handover", "ppid_tugas_baru_v1", "brief-handover", ("opd", "step", "deadline"),
             ("Dinas Kesehatan", "Langkah 3: PPID Pendukung menyiapkan informasi",
              "paling lambat Selasa, 2 Maret 2027 pukul 16.00 WIB"), "brief-btn-tasks"),
    Template("reminders", "ppid_pengingat_v1", "brief-reminders", ("count", "top", "deadline"),
             ("3", "Dinas Kesehatan (Langkah 3)",
              "paling lambat Selasa, 2 Maret 2027 pukul 16.00 WIB"), "brief-btn-tasks"),
    Template("notice", "ppid_pemberitahuan_v1", "brief-notice", ("subject",),
             ("hasil publikasi DIP",), "brief-btn-message"),
)  # fmt: skip


def template_of(kind: BriefKind) -> Template:
    return next(tpl for tpl in TEMPLATES if tpl.kind == kind)


def creation_json() -> list[dict[str, Any]]:
    return [tpl.creation() for tpl in TEMPLATES]


def missing(known: Iterable[dict[str, Any]]) -> list[str]:
    """The names of the templates the bot needs that are not approved in Indonesian among
    `known` (the business account's templates as the Graph API lists them)."""
    approved = {
        str(k.get("name"))
        for k in known
        if str(k.get("status", "")).upper() == "APPROVED" and k.get("language") == LANGUAGE
    }
    return [tpl.name for tpl in TEMPLATES if tpl.name not in approved]
