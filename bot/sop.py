"""The SOP "Pendokumentasian Informasi Publik" as data: roles, categories and the five steps."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    PEJABAT = "pejabat_pid"
    UTAMA = "ppid_utama"
    PENDUKUNG = "ppid_pendukung"
    ATASAN = "atasan"


class Category(StrEnum):
    BERKALA = "berkala"
    SERTA_MERTA = "serta_merta"
    SETIAP_SAAT = "setiap_saat"
    DIKECUALIKAN = "dikecualikan"


@dataclass(frozen=True)
class Step:
    number: int
    actor: Role
    sla_days: int
    kelengkapan: str
    output: str
    next_actor: Role | None


STEPS: dict[int, Step] = {
    1: Step(1, Role.PEJABAT, 1, "Draf data dan informasi OPD", "Draf informasi publik", Role.UTAMA),
    2: Step(
        2, Role.UTAMA, 1, "Draf data dan informasi OPD", "Draf informasi publik", Role.PENDUKUNG
    ),
    3: Step(3, Role.PENDUKUNG, 10, "Data dan informasi OPD", "Informasi publik", Role.UTAMA),
    4: Step(4, Role.UTAMA, 1, "Data dan informasi OPD", "Informasi publik", Role.PEJABAT),
    5: Step(5, Role.PEJABAT, 1, "Data dan informasi OPD", "Informasi publik", None),
}
CLOSED = 6  # a case past step 5: published
TOTAL_SLA_DAYS = sum(s.sla_days for s in STEPS.values())
