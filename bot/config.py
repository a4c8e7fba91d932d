"""The bot's settings: one pydantic-settings class read from `PPID_*` variables and `.env`.

Every knob an admin may turn lives here, validated at start so that a wrong value stops the bot
with one clear line instead of a traceback deep inside a handler.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.reminders import Policy
from bot.workdays import OfficeHours, SpecialHours

# What Telegram's setWebhook accepts (1-256 of these characters), at least 16 long: a short secret
# can be guessed, and the webhook would then take forged updates.
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")

# Never written to a backup or shown unmasked, whether set or not.
SECRET_FIELDS = frozenset(
    {"telegram_token", "webhook_secret", "whatsapp_token", "whatsapp_app_secret",
     "whatsapp_verify_token", "database_url"}
)  # fmt: skip

POSTGRES_SCHEMES = ("postgresql://", "postgres://")

DEFAULT_OFFICE_HOURS = "mon-thu 07:30-16:00; fri 07:30-16:30"


def parse_special_hours(spec: str) -> list[SpecialHours]:
    """Parse `2026-02-18..2026-03-19 mon-thu 07:15-14:15; fri 07:15-14:45 | ...`.

    Periods are separated by `|`; after its date range each period states its hours exactly as
    `PPID_OFFICE_HOURS` does.
    """
    periods: list[SpecialHours] = []
    for chunk in spec.split("|"):
        chunk = chunk.strip()
        if not chunk:
            continue
        span, _, hours = chunk.partition(" ")
        first, sep, last = span.partition("..")
        if not sep:
            raise ValueError(
                f"'{span}' harus berbentuk TANGGAL..TANGGAL, mis. 2026-02-18..2026-03-19"
            )
        try:
            start, end = date.fromisoformat(first), date.fromisoformat(last)
        except ValueError as exc:
            raise ValueError(
                f"tanggal '{span}' tidak valid (format YYYY-MM-DD..YYYY-MM-DD)"
            ) from exc
        if end < start:
            raise ValueError(f"periode '{span}' berakhir sebelum dimulai")
        try:
            periods.append(SpecialHours(start=start, end=end, hours=OfficeHours.parse(hours)))
        except ValueError as exc:
            raise ValueError(
                f"jam kerja khusus '{chunk}' tidak valid ({exc}); contoh: "
                "2026-02-18..2026-03-19 mon-thu 07:15-14:15; fri 07:15-14:45"
            ) from None
    return periods


def _whole_number(value: object, low: int, high: int, what: str) -> int:
    """`value` (a number or its text) as an int within [low, high], or a sentence saying why not."""
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"'{text}' harus bilangan bulat {low}-{high} ({what})")
    return int(text)


class Settings(BaseSettings):
    """Effective configuration of one PPID Bot instance."""

    model_config = SettingsConfigDict(
        env_prefix="PPID_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    telegram_token: SecretStr | None = Field(
        default=None, description="Token dari @BotFather; tanpa token, `make run` menjalankan demo."
    )
    telegram_base_url: str | None = Field(
        default=None,
        description="Alamat Bot API sendiri, mis. http://127.0.0.1:8081/bot (batas unduh 20 MB hilang).",
    )
    telegram_base_file_url: str | None = Field(
        default=None,
        description="Alamat unduhan berkas Bot API sendiri, mis. http://127.0.0.1:8081/file/bot",
    )
    bot_username: str | None = Field(
        default=None,
        description="Nama pengguna bot tanpa @, untuk tautan undangan (jika kosong: ditanyakan ke Telegram).",
    )
    data_dir: Path = Field(default=Path("./data"), description="Basis data, dokumen, situs web.")
    database_url: SecretStr | None = Field(
        default=None,
        description="Basis data: kosong = berkas SQLite di PPID_DATA_DIR; berkas SQLite lain"
        " (sqlite:///jalur/ppid.sqlite3); atau PostgreSQL (postgresql://user:sandi@host/db).",
    )
    timezone: str = Field(default="Asia/Pontianak", description="Zona waktu IANA kantor.")
    office_hours: str = Field(default=DEFAULT_OFFICE_HOURS, description="Jam kerja per hari.")
    special_hours: str = Field(
        default="",
        description="Jam kerja khusus (mis. Ramadan): '2026-02-18..2026-03-19 mon-thu 07:15-14:15; "
        "fri 07:15-14:45'; beberapa periode dipisah '|'.",
    )
    max_document_mb: int = Field(default=20, ge=1, le=2000, description="Ukuran dokumen maksimum.")
    language: Literal["id"] = "id"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    webhook_url: str | None = Field(
        default=None, description="Jika diisi, bot memakai webhook di alamat ini, bukan polling."
    )
    # Validated even when unset: a webhook without a secret would take forged updates.
    webhook_secret: SecretStr | None = Field(default=None, validate_default=True)
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    whatsapp_token: SecretStr | None = Field(
        default=None,
        description="Token akses system user Meta; bersama nomor id: WhatsApp aktif.",
    )
    whatsapp_phone_number_id: str | None = Field(
        default=None, description="Id nomor pengirim WhatsApp (Phone Number ID)."
    )
    whatsapp_app_secret: SecretStr | None = Field(
        default=None, description="App secret yang menandatangani webhook WhatsApp."
    )
    whatsapp_verify_token: SecretStr | None = Field(
        default=None, description="Token jabat tangan verifikasi webhook WhatsApp."
    )
    whatsapp_number: str | None = Field(
        default=None,
        description="Nomor bisnis dalam format internasional tanpa + (mis. 6281234567890), untuk tautan wa.me.",
    )
    whatsapp_api_url: str = Field(
        default="https://graph.facebook.com",
        description="Akar Graph API (uji dan demo: API tiruan).",
    )
    whatsapp_api_version: str = Field(default="v23.0", description="Versi Graph API, mis. v23.0.")
    whatsapp_business_account_id: str | None = Field(
        default=None,
        description="Opsional: id WhatsApp Business Account, untuk memeriksa dan membuat templat.",
    )
    reminder_half: bool = Field(
        default=True, description="Langkah 1 hari: ingatkan saat separuh jam kerja berlalu."
    )
    reminder_hours_before: float = Field(
        default=2.0, ge=0, le=24, description="Langkah 1 hari: ingatkan N jam kerja sebelum batas."
    )
    reminder_days_before: str = Field(
        default="3,1", description="Langkah 10 hari: ingatkan N hari kerja sebelum batas (daftar)."
    )
    escalation2_after_days: int = Field(
        default=1,
        ge=0,
        le=10,
        description="Eskalasi tingkat 2 N hari kerja setelah batas (0: tidak).",
    )
    telegram_timeout: float = Field(
        default=10.0, gt=0, le=120, description="Batas tunggu jawaban Bot API (detik)."
    )
    clock_start: datetime | None = Field(
        default=None,
        description="Hanya untuk uji dan demo: jam bot dimulai dari waktu ini, lalu berjalan biasa.",
    )
    publisher: Literal["site", "manual"] = Field(
        default="site",
        description="site: situs DIP bawaan; manual: catat alamat di situs PPID yang sudah ada.",
    )
    public_base_url: str | None = Field(
        default=None, description="Alamat publik situs DIP yang dipakai dalam tautan dari bot."
    )
    backup_dir: Path = Field(
        default=Path("./backups"),
        description="Folder cadangan harian (sebaiknya di luar PPID_DATA_DIR, atau disk lain).",
    )
    backup_time: str = Field(
        default="02:00",
        description="Jam cadangan harian (HH:MM, waktu PPID_TIMEZONE); 'off': mati.",
    )
    backup_keep: int = Field(
        default=14, description="Berapa cadangan harian terakhir yang disimpan."
    )
    health_port: int | None = Field(
        default=None,
        description="Saat polling: port /healthz untuk pemantauan (kosong: tidak ada).",
    )
    health_listen: str = Field(default="127.0.0.1", description="Alamat /healthz saat polling.")
    health_min_free_mb: int = Field(
        default=1024, description="Ruang disk bebas minimum sebelum health melapor (MB)."
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"zona waktu '{value}' tidak dikenal; pakai nama IANA seperti Asia/Pontianak"
            ) from exc
        return value

    @field_validator("office_hours")
    @classmethod
    def _valid_office_hours(cls, value: str) -> str:
        try:
            OfficeHours.parse(value)
        except ValueError as exc:
            raise ValueError(
                f"format jam kerja tidak valid ({exc}); contoh: {DEFAULT_OFFICE_HOURS}"
            ) from None
        return value

    @field_validator("special_hours")
    @classmethod
    def _valid_special_hours(cls, value: str) -> str:
        parse_special_hours(value)
        return value

    @field_validator("public_base_url")
    @classmethod
    def _valid_public_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("https://", "http://")) or any(c.isspace() for c in value):
            raise ValueError(
                f"'{value}' harus alamat http(s), mis. https://ppid.pontianakkota.go.id/dip"
            )
        return value.rstrip("/")

    @field_validator("webhook_secret")
    @classmethod
    def _valid_webhook_secret(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        secret = value.get_secret_value() if value is not None else ""
        if info.data.get("webhook_url") and not secret:
            raise ValueError(
                "wajib diisi bila PPID_WEBHOOK_URL diisi, agar hanya Telegram yang bisa mengirim"
                " pembaruan; isi 16-256 karakter A-Z, a-z, 0-9, _ atau -"
            )
        if secret and len(secret) < 16:
            raise ValueError(
                f"terlalu pendek ({len(secret)} karakter) sehingga mudah ditebak; isi paling sedikit"
                " 16 karakter A-Z, a-z, 0-9, _ atau -, mis. keluaran: openssl rand -hex 16"
            )
        if secret and not WEBHOOK_SECRET.fullmatch(secret):
            raise ValueError(
                "hanya boleh 16-256 karakter A-Z, a-z, 0-9, _ atau - (aturan Telegram)"
            )
        return value or None

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr | None) -> SecretStr | None:
        url = value.get_secret_value().strip() if value else ""
        if not url:
            return None
        if not url.startswith((*POSTGRES_SCHEMES, "sqlite:///")):
            raise ValueError(
                "harus postgresql://pengguna:sandi@host:5432/nama atau sqlite:///jalur/berkas"
            )
        return SecretStr(url)

    @field_validator("whatsapp_app_secret", "whatsapp_verify_token")
    @classmethod
    def _whatsapp_webhook_secrets(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        # Without the app secret anyone could post forged messages to the webhook; without the
        # verify token Meta cannot be told where to post.
        secret = value.get_secret_value() if value is not None else ""
        whatsapp_on = info.data.get("whatsapp_token") and info.data.get("whatsapp_phone_number_id")
        if whatsapp_on and not secret:
            raise ValueError("wajib diisi bila WhatsApp aktif (token dan nomor id diisi)")
        return value or None

    @field_validator("whatsapp_number")
    @classmethod
    def _valid_whatsapp_number(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        digits = value.strip().removeprefix("+").replace(" ", "").replace("-", "")
        if not digits.isdigit() or not 8 <= len(digits) <= 15 or digits.startswith("0"):
            raise ValueError(
                "tulis nomor dalam format internasional tanpa + dan tanpa 0 di depan,"
                " mis. 6281234567890"
            )
        return digits

    @field_validator("whatsapp_api_version")
    @classmethod
    def _valid_api_version(cls, value: str) -> str:
        if not re.fullmatch(r"v\d{1,3}\.\d", value):
            raise ValueError("tulis seperti v23.0")
        return value

    @field_validator("whatsapp_api_url")
    @classmethod
    def _valid_api_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("harus diawali https:// (atau http:// untuk API tiruan)")
        return value.rstrip("/")

    @field_validator("backup_time")
    @classmethod
    def _valid_backup_time(cls, value: str) -> str:
        value = value.strip().lower()
        if value == "off":
            return value
        try:
            time.fromisoformat(value)
        except ValueError:
            raise ValueError(f"'{value}' harus jam HH:MM (mis. 02:00) atau off") from None
        if len(value) != 5:
            raise ValueError(f"'{value}' harus jam HH:MM (mis. 02:00) atau off")
        return value

    @field_validator("health_port", mode="before")
    @classmethod
    def _valid_health_port(cls, value: object) -> int | None:
        if value is None or value == "":
            return None
        return _whole_number(value, 1, 65535, "port")

    @field_validator("backup_keep", mode="before")
    @classmethod
    def _valid_backup_keep(cls, value: object) -> int:
        return _whole_number(value, 1, 3650, "jumlah cadangan")

    @field_validator("health_min_free_mb", mode="before")
    @classmethod
    def _valid_min_free(cls, value: object) -> int:
        return _whole_number(value, 0, 10_000_000, "ukuran dalam MB")

    @field_validator("reminder_days_before")
    @classmethod
    def _valid_days_before(cls, value: str) -> str:
        parts = [p.strip() for p in value.split(",") if p.strip()]
        if not all(p.isdigit() and 1 <= int(p) <= 9 for p in parts):
            raise ValueError(f"'{value}' harus daftar angka 1-9 dipisah koma, mis. 3,1")
        return value

    @property
    def policy(self) -> Policy:
        """The reminder and escalation policy these settings describe."""
        days = tuple(int(p) for p in self.reminder_days_before.split(",") if p.strip())
        return Policy(
            short_half=self.reminder_half,
            short_hours_before=self.reminder_hours_before,
            long_days_before=days,
            escalation2_after_days=self.escalation2_after_days,
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def hours(self) -> OfficeHours:
        return OfficeHours.parse(self.office_hours)

    @property
    def special_periods(self) -> list[SpecialHours]:
        return parse_special_hours(self.special_hours)

    @property
    def max_document_bytes(self) -> int:
        return self.max_document_mb * 1024 * 1024

    @property
    def database_path(self) -> Path:
        """The SQLite file (when the database is SQLite)."""
        url = self.database_url.get_secret_value() if self.database_url else ""
        if url.startswith("sqlite:///"):
            return Path(url.removeprefix("sqlite://"))
        return self.data_dir / "ppid.sqlite3"

    @property
    def on_postgresql(self) -> bool:
        url = self.database_url.get_secret_value() if self.database_url else ""
        return url.startswith(POSTGRES_SCHEMES)

    @property
    def database_password(self) -> list[str]:
        """The password in PPID_DATABASE_URL, if any (redacted from the logs)."""
        if not self.on_postgresql:
            return []
        assert self.database_url is not None
        password = urlsplit(self.database_url.get_secret_value()).password
        return [password] if password else []

    @property
    def database_target(self) -> Path | str:
        """What `Database.open` opens: the SQLite file, or the PostgreSQL URL."""
        if self.on_postgresql:
            assert self.database_url is not None
            return self.database_url.get_secret_value()
        return self.database_path

    @property
    def backup_at(self) -> time | None:
        """The local time of the daily backup; None when it is turned off, or when the database
        is PostgreSQL (backed up by the server's own tools: pg_dump, base backups)."""
        if self.backup_time == "off" or self.on_postgresql:
            return None
        return time.fromisoformat(self.backup_time).replace(tzinfo=self.tz)

    def public_settings(self) -> dict[str, str]:
        """The settings that are not secrets, as `PPID_*` names and values (for a backup)."""
        return {
            f"PPID_{name.upper()}": "" if value is None else str(value)
            for name in type(self).model_fields
            if not isinstance(value := getattr(self, name), SecretStr) and name not in SECRET_FIELDS
        }

    @property
    def telegram_on(self) -> bool:
        return self.telegram_token is not None and bool(self.telegram_token.get_secret_value())

    @property
    def whatsapp_on(self) -> bool:
        """WhatsApp runs when its token and sending number's id are set."""
        return (
            self.whatsapp_token is not None
            and bool(self.whatsapp_token.get_secret_value())
            and bool(self.whatsapp_phone_number_id)
        )

    @property
    def web_dir(self) -> Path:
        return self.data_dir / "web"

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"

    def masked(self) -> dict[str, str]:
        """The effective settings as `PPID_*` names and printable values, secrets masked."""
        shown: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                text = mask_secret(value.get_secret_value())
            elif value is None:
                text = "(tidak diisi)"
            else:
                text = str(value)
            shown[f"PPID_{name.upper()}"] = text
        return shown


def mask_secret(secret: str) -> str:
    """Whether a secret is set; none of its characters (a few of them make guessing easier)."""
    if not secret:
        return "(kosong)"
    return "**** (diisi, disamarkan)"


class SettingsError(Exception):
    """Settings could not be loaded; `lines` says what is wrong and how to fix it."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into short Indonesian lines."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "?"
            message = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"Pengaturan PPID_{field.upper()} tidak valid: {message}.")
        raise SettingsError(lines) from None
