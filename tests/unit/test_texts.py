"""The catalogue: every key the code names exists, values are escaped for chat, sentences are sane."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

import bot
import handlers
from bot.channels.markup import to_html
from bot.services.drafting import FIELDS
from bot.sop import STEPS, Category, Role
from bot.texts import TEXTS, plain, t

ROOTS = [Path(bot.__file__).parent, Path(handlers.__file__).parent]
CATALOGUE = Path(bot.__file__).parent / "texts.py"

LITERAL_KEY = re.compile(r"""\b(?:t|plain)\(\s*"([^"]+)\"""")
FSTRING_PREFIX = re.compile(r"""\b(?:t|plain)\(\s*f"([^"{]*)\{""")
REFUSAL_KEY = re.compile(r""""(refused-[a-z0-9_-]+)\"""")
REFUSED_FSTRING_PREFIX = re.compile(r"""Refused\(\s*f"(refused-[^"{]*)\{""")

# The variants each f-string key prefix must cover.
VARIANTS: dict[str, set[str]] = {
    "role-": {r.value for r in Role},
    "help-": {r.value for r in Role},
    "cat-": {c.value for c in Category},
    "step-": {str(n) for n in [*STEPS, max(STEPS) + 1]},
    "field-": set(FIELDS),
    "state-": {"none", "documents", "not_held", "exempt", "returned", "approved", "published"},
    "cmd-": {"start", "tugas", "status", "bantuan", "batal", "menu"},
    "refused-file-": {"empty", "too_big", "type", "mismatch"},
    "pdata-kind-": {"nik", "kk", "phone", "email"},
    "pdata-places-": {"page", "sheet"},
    "pdata-unchecked-": {"type", "encrypted", "no_text", "unreadable", "too_long", "too_big"},
    "cli-outbox-": {"pending", "failed"},
    "notice-": {"handover", "published", "reminder", "overdue", "moved", "late", "missing"},
    "notice-escalation-": {"1", "2"},
    "notice-tag-": {"handover", "deadline_moved", "escalation", "late"},
    "brief-": {
        "published",
        "unreachable",
        "send_failed",
        "delivery_failed",
        "backup_failed",
        "bot_error",
        "setting_missing",
        "other",
    },
    "app-": {"telegram", "whatsapp"},
    "unsupported-": {"audio", "video", "sticker", "location", "contacts", "edited", "other"},
}


def sources() -> dict[Path, str]:
    return {
        path: path.read_text(encoding="utf-8")
        for root in ROOTS
        for path in sorted(root.rglob("*.py"))
        if path != CATALOGUE
    }


SOURCES = sources()


def found(pattern: re.Pattern[str]) -> set[str]:
    return {m.group(1) for text in SOURCES.values() for m in pattern.finditer(text)}


def test_the_scan_sees_the_code() -> None:
    assert len(found(LITERAL_KEY)) > 50
    assert "refused-stale" in found(REFUSAL_KEY)


@pytest.mark.parametrize("key", sorted(found(LITERAL_KEY)))
def test_every_literal_key_in_the_code_is_in_the_catalogue(key: str) -> None:
    assert key in TEXTS


@pytest.mark.parametrize("prefix", sorted(found(FSTRING_PREFIX) | found(REFUSED_FSTRING_PREFIX)))
def test_every_computed_key_prefix_has_known_variants(prefix: str) -> None:
    assert prefix in VARIANTS, f"add the variants of {prefix!r} to VARIANTS"


@pytest.mark.parametrize(
    "key", sorted(prefix + variant for prefix, names in VARIANTS.items() for variant in names)
)
def test_every_variant_of_a_computed_key_is_in_the_catalogue(key: str) -> None:
    assert key in TEXTS


@pytest.mark.parametrize("key", sorted(found(REFUSAL_KEY)))
def test_every_refusal_named_in_the_code_is_in_the_catalogue(key: str) -> None:
    assert key in TEXTS


def test_t_keeps_values_literal_on_every_channel() -> None:
    text = t("status-round", name="<script>alert('x') & *co*</script>")
    assert text == "*<script>alert('x') & \\*co\\*</script>*"
    assert to_html(text) == "<b>&lt;script&gt;alert('x') &amp; *co*&lt;/script&gt;</b>"


def test_t_keeps_numbers_as_numbers() -> None:
    assert t("progress", done=2, total=3) == "2 dari 3 entri lengkap"


def test_plain_inserts_values_unescaped() -> None:
    assert plain("cli-refused", reason="<script>&") == "Ditolak: <script>&"


def test_no_catalogue_sentence_exceeds_1000_characters() -> None:
    assert [key for key, text in TEXTS.items() if len(text) > 1000] == []


def test_no_catalogue_sentence_is_unfinished() -> None:
    assert [key for key, text in TEXTS.items() if "TODO" in text.upper() or not text.strip()] == []


def test_every_catalogue_sentence_is_a_valid_format_string_with_named_fields() -> None:
    for key, text in TEXTS.items():
        fields = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
        assert all(re.fullmatch(r"[a-z_]+", name) for name in fields), key


def test_catalogue_keys_are_kebab_case() -> None:
    assert [k for k in TEXTS if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9_]+)*", k)] == []
