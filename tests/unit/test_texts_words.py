"""The catalogue's words: "berkas" is the case of one OPD in one round; a file is a "dokumen" or a
"lampiran" (an acceptance round found people reading one for the other)."""

from __future__ import annotations

import re

from bot.texts import TEXTS

FILE_KEYS = re.compile(
    r"^(refused-file-.*|file-.*|btn-send-files|expected-file|expected-text|unexpected-file"
    r"|draft-ask-file|docs-of-entry|ask-files|import-refused|help-ppid_pendukung"
    r"|refused-draft-empty)$"
)


def test_sentences_about_files_never_call_them_berkas() -> None:
    about_files = {k: v for k, v in TEXTS.items() if FILE_KEYS.match(k)}
    assert len(about_files) >= 15
    wrong = {k: v for k, v in about_files.items() if "berkas" in v.lower()}
    assert wrong == {}


def test_chat_sentences_name_no_setting_except_for_admins() -> None:
    # Settings (PPID_*) are for the command line (`cli-`, and the backup, restore and health
    # commands' lines) and the admins' notices only.
    terminal_or_admins = (
        "cli-",
        "notice-setting",
        "notice-backup",
        "backup-",
        "restore-",
        "health-",
        "wa-templates-",  # the log, and the admins' notice of missing WhatsApp templates
    )
    chat = {k: v for k, v in TEXTS.items() if not k.startswith(terminal_or_admins)}
    named = {k for k, v in chat.items() if "PPID_" in v}
    assert named == set()
