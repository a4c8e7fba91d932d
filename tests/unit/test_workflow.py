"""The SOP's state machine, without I/O: who may act, stale buttons, and every transition."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.models import Case, Entry, User
from bot.sop import CLOSED, STEPS, Category, Role
from bot.workflow import (
    MAX_NOTE,
    Refused,
    approve_documents,
    approve_draft,
    check_actor,
    check_document_in_review,
    check_entry_editable_in_step3,
    check_exempt,
    check_url,
    check_version,
    clean_text,
    is_resolved,
    needs_work,
    progress,
    publish,
    publishable,
    return_draft,
    return_entries,
    submit_documents,
    submit_draft,
    under_review,
)

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo("Asia/Pontianak"))
TODAY = NOW.date()
OPD = 7
OTHER_OPD = 8


def a_user(role: Role, *, opd_id: int | None = None, active: bool = True) -> User:
    if role == Role.PENDUKUNG and opd_id is None:
        opd_id = OPD
    return User(
        id=1, name="Ani", role=role, opd_id=opd_id, channel="telegram", external_id="100",
        chat_id="100", active=active, created_at=NOW,
    )  # fmt: skip


def a_case(step: int = 1, *, version: int = 1, opd_id: int = OPD) -> Case:
    return Case(
        id=1, round_id=1, opd_id=opd_id, step=step, version=version, return_note=None,
        created_at=NOW, closed_at=NOW if step == CLOSED else None,
    )  # fmt: skip


def an_entry(
    entry_id: int = 1,
    *,
    category: Category = Category.BERKALA,
    resolution: str = "none",
    review: str = "pending",
    url: str | None = None,
) -> Entry:
    return Entry(
        id=entry_id, case_id=1, number=entry_id, title=f"Informasi {entry_id}", summary="Isi",
        category=category, holder="Dinas", responsible="Kepala Dinas", made="2027, Pontianak",
        forms="softcopy", retention="Sesuai JRA", resolution=resolution, review=review,
        published_url=url,
    )  # fmt: skip


def refusal(exc: pytest.ExceptionInfo[Refused]) -> tuple[str, dict[str, object]]:
    return exc.value.key, exc.value.values


# --- check_actor ---------------------------------------------------------------------------------

ROLE_STEP = [(role, step) for role in Role for step in STEPS]


@pytest.mark.parametrize(("role", "step"), ROLE_STEP)
def test_only_the_actor_of_the_current_step_may_act(role: Role, step: int) -> None:
    user, case = a_user(role), a_case(step)
    if role == STEPS[step].actor:
        check_actor(user, case)
        check_actor(user, case, step=step)
    else:
        with pytest.raises(Refused) as exc:
            check_actor(user, case)
        assert exc.value.key == "refused-role"


@pytest.mark.parametrize("step", list(STEPS))
def test_an_inactive_person_is_refused_even_in_their_own_step(step: int) -> None:
    with pytest.raises(Refused) as exc:
        check_actor(a_user(STEPS[step].actor, active=False), a_case(step))
    assert exc.value.key == "refused-inactive"


@pytest.mark.parametrize("role", list(Role))
def test_a_closed_case_refuses_everyone(role: Role) -> None:
    with pytest.raises(Refused) as exc:
        check_actor(a_user(role), a_case(CLOSED))
    assert exc.value.key == "refused-case-closed"


def test_a_ppid_pendukung_acts_only_for_their_own_opd() -> None:
    check_actor(a_user(Role.PENDUKUNG, opd_id=OPD), a_case(3, opd_id=OPD))
    with pytest.raises(Refused) as exc:
        check_actor(a_user(Role.PENDUKUNG, opd_id=OTHER_OPD), a_case(3, opd_id=OPD))
    assert exc.value.key == "refused-opd"


@pytest.mark.parametrize(("pressed", "current"), [(1, 2), (2, 3), (4, 5), (5, 4), (2, 4)])
def test_a_button_of_another_step_is_refused_as_wrong_step(pressed: int, current: int) -> None:
    with pytest.raises(Refused) as exc:
        check_actor(a_user(STEPS[current].actor), a_case(current), step=pressed)
    assert exc.value.key == "refused-wrong-step"


# --- check_version -------------------------------------------------------------------------------


@pytest.mark.parametrize("pressed", [0, 2, 4, 99])
def test_a_stale_version_is_refused(pressed: int) -> None:
    with pytest.raises(Refused) as exc:
        check_version(a_case(version=3), pressed)
    assert exc.value.key == "refused-stale"


def test_the_current_version_is_accepted() -> None:
    check_version(a_case(version=3), 3)


# --- clean_text ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("judul", "judul"),
        ("  judul  ", "judul"),
        ("satu  dua\tTiga\n\nempat", "satu dua Tiga empat"),
        ("\u00a0a\u2003b\r\n", "a b"),
    ],
)
def test_clean_text_collapses_white_space(raw: str, cleaned: str) -> None:
    assert clean_text(raw, 100) == cleaned


@pytest.mark.parametrize("raw", [None, "", "   ", "\n\t\u00a0"])
def test_clean_text_refuses_empty_text(raw: str | None) -> None:
    with pytest.raises(Refused) as exc:
        clean_text(raw, 100)
    assert exc.value.key == "refused-empty-text"


def test_clean_text_names_the_given_key_for_empty_text() -> None:
    with pytest.raises(Refused) as exc:
        clean_text(" ", 100, "refused-round-name")
    assert exc.value.key == "refused-round-name"


@pytest.mark.parametrize("limit", [1, 10, 200])
def test_clean_text_accepts_exactly_the_limit_and_refuses_one_more(limit: int) -> None:
    assert clean_text("x" * limit, limit) == "x" * limit
    with pytest.raises(Refused) as exc:
        clean_text("x" * (limit + 1), limit)
    assert refusal(exc) == ("refused-too-long", {"limit": limit})


def test_the_limit_applies_after_collapsing_white_space() -> None:
    assert clean_text("a" + " " * 50 + "b", 3) == "a b"


# --- steps 1 and 2 -------------------------------------------------------------------------------


def test_an_empty_draft_without_attachment_is_refused() -> None:
    with pytest.raises(Refused) as exc:
        submit_draft([], has_draft_document=False)
    assert exc.value.key == "refused-draft-empty"


@pytest.mark.parametrize(
    ("entries", "attachment"), [([an_entry()], False), ([], True), ([an_entry()], True)]
)
def test_a_draft_with_entries_or_an_attachment_goes_to_step_2(
    entries: list[Entry], attachment: bool
) -> None:
    t = submit_draft(entries, has_draft_document=attachment)
    assert (t.to_step, t.outcome, t.reviews) == (2, "forwarded", {})


def test_approving_a_draft_without_entries_is_refused() -> None:
    with pytest.raises(Refused) as exc:
        approve_draft([])
    assert exc.value.key == "refused-approve-without-entries"


def test_an_approved_draft_goes_to_step_3() -> None:
    t = approve_draft([an_entry(1), an_entry(2)])
    assert (t.to_step, t.outcome, t.note, t.reviews) == (3, "forwarded", None, {})


def test_a_returned_draft_goes_back_to_step_1_with_the_cleaned_reason() -> None:
    t = return_draft("  kurang   lengkap\n")
    assert (t.to_step, t.outcome, t.note, t.reviews) == (1, "returned", "kurang lengkap", {})


@pytest.mark.parametrize(
    ("reason", "key"), [("  ", "refused-empty-text"), ("x" * (MAX_NOTE + 1), "refused-too-long")]
)
def test_a_return_without_a_usable_reason_is_refused(reason: str, key: str) -> None:
    with pytest.raises(Refused) as exc:
        return_draft(reason)
    assert exc.value.key == key


# --- step 3 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resolution", "review", "resolved"),
    [
        ("none", "pending", False),
        ("documents", "pending", True),
        ("not_held", "pending", True),
        ("exempt", "pending", True),
        ("documents", "returned", False),
        ("exempt", "returned", False),
        ("documents", "approved", True),
    ],
)
def test_an_entry_is_resolved_once_answered_and_not_returned(
    resolution: str, review: str, resolved: bool
) -> None:
    assert is_resolved(an_entry(resolution=resolution, review=review)) is resolved


@pytest.mark.parametrize(
    ("review", "work"), [("pending", True), ("returned", True), ("approved", False)]
)
def test_only_approved_entries_need_no_more_work(review: str, work: bool) -> None:
    assert needs_work(an_entry(review=review)) is work


def test_progress_counts_resolved_entries_over_all() -> None:
    entries = [
        an_entry(1, resolution="documents"),
        an_entry(2),
        an_entry(3, resolution="not_held", review="returned"),
        an_entry(4, resolution="exempt"),
    ]
    assert progress(entries) == (2, 4)
    assert progress([]) == (0, 0)


@pytest.mark.parametrize(("review", "editable"), [("pending", True), ("returned", True), ("approved", False)])  # fmt: skip
def test_an_approved_entry_is_not_editable_in_step_3(review: str, editable: bool) -> None:
    entry = an_entry(5, review=review)
    if editable:
        check_entry_editable_in_step3(entry)
    else:
        with pytest.raises(Refused) as exc:
            check_entry_editable_in_step3(entry)
        assert refusal(exc) == ("refused-entry-approved", {"number": 5})


@pytest.mark.parametrize("days", [-365, -1, 0])
def test_an_exemption_must_hold_beyond_today(days: int) -> None:
    with pytest.raises(Refused) as exc:
        check_exempt("UK/01/2027", TODAY + timedelta(days=days), TODAY)
    assert exc.value.key == "refused-exempt-until-past"


@pytest.mark.parametrize("reference", ["", "   ", "\n"])
def test_an_exemption_needs_a_consequence_test_reference(reference: str) -> None:
    with pytest.raises(Refused) as exc:
        check_exempt(reference, date(2030, 12, 31), TODAY)
    assert exc.value.key == "refused-exempt-reference"


def test_an_exemption_keeps_the_cleaned_reference_and_its_date() -> None:
    until = TODAY + timedelta(days=1)
    assert check_exempt("  UK /01  2027 ", until, TODAY) == ("UK /01 2027", until)


def test_an_over_long_exemption_reference_is_refused() -> None:
    with pytest.raises(Refused) as exc:
        check_exempt("x" * 301, date(2030, 12, 31), TODAY)
    assert refusal(exc) == ("refused-too-long", {"limit": 300})


@pytest.mark.parametrize(
    ("entries", "missing"),
    [
        ([an_entry(1), an_entry(2, resolution="documents")], 1),
        ([an_entry(1), an_entry(2)], 2),
        ([an_entry(1, resolution="documents", review="returned")], 1),
    ],
)
def test_documents_cannot_be_sent_with_unresolved_entries(
    entries: list[Entry], missing: int
) -> None:
    with pytest.raises(Refused) as exc:
        submit_documents(entries)
    assert refusal(exc) == ("refused-unresolved", {"missing": missing, "total": len(entries)})


def test_resolved_documents_go_to_step_4() -> None:
    entries = [
        an_entry(1, resolution="documents"),
        an_entry(2, resolution="not_held"),
        an_entry(3, resolution="exempt"),
        an_entry(4, resolution="documents", review="approved"),
    ]
    t = submit_documents(entries)
    assert (t.to_step, t.outcome, t.reviews) == (4, "forwarded", {})


# --- step 4 --------------------------------------------------------------------------------------

REVIEWED = [
    an_entry(1, resolution="documents"),
    an_entry(2, resolution="not_held"),
    an_entry(3, resolution="documents", review="approved"),
    an_entry(4, resolution="exempt"),
]


def test_only_pending_entries_are_under_review() -> None:
    assert [e.id for e in under_review(REVIEWED)] == [1, 2, 4]


def test_approving_documents_approves_every_pending_entry_and_goes_to_step_5() -> None:
    t = approve_documents(REVIEWED)
    assert (t.to_step, t.outcome) == (5, "forwarded")
    assert t.reviews == {1: "approved", 2: "approved", 4: "approved"}


def test_returning_entries_sends_the_chosen_back_and_approves_the_other_pending() -> None:
    t = return_entries(REVIEWED, [2, 4], "  lampiran   salah ")
    assert (t.to_step, t.outcome, t.note) == (3, "returned", "lampiran salah")
    assert t.reviews == {1: "approved", 2: "returned", 4: "returned"}


@pytest.mark.parametrize("chosen", [[], [3], [99], [3, 99]])
def test_returning_nothing_under_review_is_refused(chosen: list[int]) -> None:
    with pytest.raises(Refused) as exc:
        return_entries(REVIEWED, chosen, "catatan")
    assert exc.value.key == "refused-nothing-chosen"


def test_returning_entries_rejects_their_documents_unless_kept() -> None:
    t = return_entries(REVIEWED, [1, 2, 4], "Memuat NIK", keep=[2])
    assert t.reject_documents == frozenset({1, 4})
    assert return_entries(REVIEWED, [1], "NIK", keep=[1]).reject_documents == frozenset()
    assert approve_documents(REVIEWED).reject_documents == frozenset()


def test_an_entry_whose_every_document_was_rejected_cannot_be_approved() -> None:
    with pytest.raises(Refused) as exc:
        approve_documents(REVIEWED, documented=set())
    assert (exc.value.key, exc.value.values) == ("refused-entry-without-documents", {"number": 1})
    # Entries without documents by nature (not held, exempt) and approved ones need none.
    assert approve_documents(REVIEWED, documented={1}).to_step == 5


def test_a_single_document_can_be_rejected_only_while_its_entry_is_under_review() -> None:
    check_document_in_review(REVIEWED[0])
    with pytest.raises(Refused) as exc:
        check_document_in_review(REVIEWED[2])
    assert (exc.value.key, exc.value.values) == ("refused-entry-not-in-review", {"number": 3})


def test_returning_entries_needs_a_note() -> None:
    with pytest.raises(Refused) as exc:
        return_entries(REVIEWED, [1], "   ")
    assert exc.value.key == "refused-empty-text"


# --- step 5 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("category", [c for c in Category if c != Category.DIKECUALIKAN])
def test_an_approved_entry_with_documents_is_publishable(category: Category) -> None:
    assert publishable(an_entry(category=category, resolution="documents", review="approved"))


@pytest.mark.parametrize(
    ("category", "resolution", "review"),
    [
        (Category.DIKECUALIKAN, "documents", "approved"),
        (Category.DIKECUALIKAN, "exempt", "approved"),
        (Category.BERKALA, "exempt", "approved"),
        (Category.SETIAP_SAAT, "not_held", "approved"),
        (Category.BERKALA, "none", "approved"),
        (Category.BERKALA, "documents", "pending"),
        (Category.BERKALA, "documents", "returned"),
    ],
)
def test_exempt_not_held_or_unapproved_entries_are_never_publishable(
    category: Category, resolution: str, review: str
) -> None:
    assert not publishable(an_entry(category=category, resolution=resolution, review=review))


def test_publishing_needs_a_url_for_every_publishable_entry() -> None:
    entries = [
        an_entry(1, resolution="documents", review="approved"),
        an_entry(2, resolution="documents", review="approved", url="https://ppid.example.id/2"),
        an_entry(3, resolution="documents", review="approved"),
    ]
    with pytest.raises(Refused) as exc:
        publish(entries)
    assert refusal(exc) == ("refused-urls-missing", {"missing": 2})


def test_publishing_needs_no_url_for_exempt_or_not_held_entries() -> None:
    entries = [
        an_entry(1, resolution="documents", review="approved", url="https://ppid.example.id/1"),
        an_entry(2, resolution="not_held", review="approved"),
        an_entry(3, resolution="exempt", review="approved"),
        an_entry(4, category=Category.DIKECUALIKAN, resolution="documents", review="approved"),
    ]
    t = publish(entries)
    assert (t.to_step, t.outcome, t.reviews) == (CLOSED, "published", {})


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        (
            "https://ppid.pontianak.go.id/informasi/123",
            "https://ppid.pontianak.go.id/informasi/123",
        ),
        ("http://ppid.pontianak.go.id", "http://ppid.pontianak.go.id"),
        ("  https://a.id/x?y=1#z \n", "https://a.id/x?y=1#z"),
        ("https://a.id/" + "x" * 487, "https://a.id/" + "x" * 487),
    ],
)
def test_a_web_address_is_accepted_and_trimmed(url: str, kept: str) -> None:
    assert check_url(url) == kept


@pytest.mark.parametrize(
    "url",
    [
        "",
        "javascript:alert(1)",
        "JAVASCRIPT://a.b/%0aalert(1)",
        "ftp://ppid.pontianak.go.id/x",
        "ppid.pontianak.go.id/x",
        "https://",
        "https://localhost/informasi",
        "https:///a.b",
        "https://ppid.pontianak.go.id/dua kata",
        "https://ppid.pontianak\t.go.id",
        "https://a.id/" + "x" * 488,
    ],
)
def test_a_bad_web_address_is_refused(url: str) -> None:
    with pytest.raises(Refused) as exc:
        check_url(url)
    assert exc.value.key == "refused-url"


@pytest.mark.parametrize(
    "url", ["https://localhost?.id", "https://intranet#a.b", "https://user.name@localhost"]
)
def test_a_host_without_a_dot_is_refused_wherever_the_dot_hides(url: str) -> None:
    with pytest.raises(Refused):
        check_url(url)
