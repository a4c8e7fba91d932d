"""How the data check of a document reads in the chat: the uploader's warning, the reviewer's line
on an entry at step 4, and the note of a return for personal data. Counts and places only: the
numbers themselves were never kept."""

from __future__ import annotations

from collections.abc import Iterable

from bot.models import Document
from bot.personal_data import KINDS, DataCheck
from bot.texts import t


def items(check: DataCheck, *, places: bool = True) -> str:
    """`12 NIK (halaman 3, 5) dan 2 nomor HP (halaman 6)`."""
    parts = []
    for kind in KINDS:
        count = check.counts.get(kind, 0)
        if not count:
            continue
        text = t(f"pdata-kind-{kind}", count=count)
        where = check.places.get(kind)
        if places and where and check.unit in ("page", "sheet"):
            text = t(f"pdata-places-{check.unit}", items=text, places=", ".join(map(str, where)))
        parts.append(text)
    if len(parts) > 1:
        return t("pdata-and", first=", ".join(parts[:-1]), last=parts[-1])
    return parts[0] if parts else ""


def warning(check: DataCheck | None) -> str:
    """What the uploader reads about the check of the document just received ("" when it found
    nothing and checked everything: no news, but never "no personal data", which it cannot know
    of what it could not read)."""
    if check is None:
        return ""
    if check.unchecked:
        return t("pdata-unchecked", reason=t(f"pdata-unchecked-{check.unchecked}"))
    lines = [t("pdata-found", items=items(check))] if check.found else []
    if check.partial:
        lines.append(
            t("pdata-partial", done=check.done, total=check.total)
            if check.total
            else t("pdata-partial-some")
        )
    if check.textless:
        lines.append(t("pdata-textless", places=", ".join(map(str, check.textless))))
    return "\n".join(lines)


def combined(docs: Iterable[Document]) -> tuple[DataCheck, int]:
    """The findings of an entry's documents added up (places dropped: pages of different
    documents), and how many documents could not be checked, wholly or in part."""
    total = DataCheck()
    unchecked = 0
    for d in docs:
        check = d.check
        if check is None:
            continue
        if check.unchecked or check.partial or check.textless:
            unchecked += 1
        for kind, n in check.counts.items():
            total.counts[kind] = total.counts.get(kind, 0) + n
    return total, unchecked


def entry_note(docs: Iterable[Document]) -> str:
    """The reviewer's line on an entry: what its documents seem to carry, what was not checked."""
    found, unchecked = combined(docs)
    text = t("state-pdata", items=items(found, places=False)) if found.found else ""
    if unchecked:
        text += t("state-pdata-unchecked", count=unchecked)
    return text
