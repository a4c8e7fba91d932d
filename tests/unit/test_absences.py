"""The rule of who acts for whom (Plh/Plt), without I/O: routing, chains, the checks of a new
absence, coverage gaps and returns."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.absences import (
    MAX_DAYS,
    Absence,
    Cover,
    check_absence,
    check_dates,
    returned,
    uncovered_day,
)
from bot.models import Case, User
from bot.sop import Role
from bot.workflow import Refused, check_actor

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo("Asia/Pontianak"))
TODAY = NOW.date()  # Monday 1 March 2027


def person(uid: int, role: Role, opd_id: int | None = None, active: bool = True) -> User:
    return User(
        id=uid, name=f"P{uid}", role=role, opd_id=opd_id, channel="telegram",
        external_id=str(uid), chat_id=str(uid), active=active, created_at=NOW,
    )  # fmt: skip


UTAMA_A = person(1, Role.UTAMA)
UTAMA_B = person(2, Role.UTAMA)
UTAMA_C = person(3, Role.UTAMA)
SARI = person(4, Role.PENDUKUNG, 10)
BUDI = person(5, Role.PENDUKUNG, 10)
DEWI = person(6, Role.PENDUKUNG, 11)
PEJABAT = person(7, Role.PEJABAT)
PEOPLE = {u.id: u for u in (UTAMA_A, UTAMA_B, UTAMA_C, SARI, BUDI, DEWI, PEJABAT)}


def away(
    aid: int, uid: int, starts: date, ends: date | None, stand_in: int | None = None,
    ended_at: datetime | None = None,
) -> Absence:  # fmt: skip
    return Absence(id=aid, user_id=uid, starts=starts, ends=ends, stand_in_id=stand_in,
                   created_by=uid, created_at=NOW, ended_at=ended_at)  # fmt: skip


def day(n: int) -> date:
    return TODAY + timedelta(days=n)


# --- routing ----------------------------------------------------------------------------------


def test_without_absences_every_holder_receives_as_themselves() -> None:
    routed = Cover((), TODAY).route([SARI, BUDI])
    assert [(r.user.id, r.on_behalf) for r in routed] == [(4, ()), (5, ())]


def test_an_absent_holder_s_share_goes_to_the_stand_in_on_their_behalf() -> None:
    cover = Cover([away(1, SARI.id, day(0), day(4), BUDI.id)], TODAY, PEOPLE)
    assert [(r.user.id, r.on_behalf) for r in cover.route([SARI, BUDI])] == [(5, (4,))]


def test_the_absence_holds_from_its_first_to_its_last_day_only() -> None:
    absence = away(1, SARI.id, day(1), day(3), BUDI.id)
    assert not Cover([absence], day(0), PEOPLE).is_absent(SARI.id)
    assert Cover([absence], day(1), PEOPLE).is_absent(SARI.id)
    assert Cover([absence], day(3), PEOPLE).is_absent(SARI.id)
    assert not Cover([absence], day(4), PEOPLE).is_absent(SARI.id)


def test_a_role_with_several_holders_skips_an_absent_holder_without_a_stand_in() -> None:
    cover = Cover([away(1, UTAMA_A.id, day(0), day(2))], TODAY, PEOPLE)
    assert [r.user.id for r in cover.route([UTAMA_A, UTAMA_B, UTAMA_C])] == [2, 3]


def test_all_holders_away_without_a_stand_in_leaves_nobody() -> None:
    cover = Cover([away(1, SARI.id, day(0), day(2)), away(2, BUDI.id, day(0), day(2))],
                  TODAY, PEOPLE)  # fmt: skip
    assert cover.route([SARI, BUDI]) == []


def test_a_stand_in_away_in_turn_hands_on_to_their_own_stand_in() -> None:
    cover = Cover([away(1, UTAMA_A.id, day(0), day(5), UTAMA_B.id),
                   away(2, UTAMA_B.id, day(0), day(1), UTAMA_C.id)], TODAY, PEOPLE)  # fmt: skip
    assert cover.acting(UTAMA_A.id) == UTAMA_C.id
    assert [(r.user.id, r.on_behalf) for r in cover.route([UTAMA_A, UTAMA_B])] == [(3, (1, 2))]
    assert cover.represented(UTAMA_C.id) == [1, 2]


def test_stand_ins_in_a_circle_leave_nobody_rather_than_loop() -> None:
    cover = Cover([away(1, UTAMA_A.id, day(0), day(5), UTAMA_B.id),
                   away(2, UTAMA_B.id, day(0), day(5), UTAMA_A.id)], TODAY, PEOPLE)  # fmt: skip
    assert cover.acting(UTAMA_A.id) is None
    assert cover.route([UTAMA_A, UTAMA_B]) == []


def test_a_deactivated_stand_in_receives_nothing() -> None:
    people = PEOPLE | {BUDI.id: person(5, Role.PENDUKUNG, 10, active=False)}
    cover = Cover([away(1, SARI.id, day(0), day(4), BUDI.id)], TODAY, people)
    assert cover.route([SARI]) == []


def test_an_absence_ended_early_no_longer_counts() -> None:
    cover = Cover([away(1, SARI.id, day(0), day(4), BUDI.id, ended_at=NOW)], TODAY, PEOPLE)
    assert not cover.is_absent(SARI.id)
    assert [r.user.id for r in cover.route([SARI])] == [SARI.id]


def test_an_open_ended_vacancy_lasts_until_an_admin_ends_it() -> None:
    cover = Cover([away(1, SARI.id, day(0), None, BUDI.id)], day(400), PEOPLE)
    assert cover.acting(SARI.id) == BUDI.id


# --- the permission check of every press --------------------------------------------------------


def test_an_absent_person_may_look_but_not_act_and_is_told_who_acts() -> None:
    cover = Cover([away(1, SARI.id, day(0), day(4), BUDI.id)], TODAY, PEOPLE)
    case = Case(id=1, round_id=1, opd_id=10, step=3, version=1, return_note=None,
                created_at=NOW, closed_at=None)  # fmt: skip
    check_actor(cover.as_seen(BUDI), case, step=3)  # the stand-in acts
    with pytest.raises(Refused) as refused:
        check_actor(cover.as_seen(SARI), case, step=3)
    assert refused.value.key == "refused-absent"
    assert refused.value.values == {"until": "5 Mar 2027", "stand_in": "P5"}


def test_a_person_back_from_an_absence_acts_again() -> None:
    seen = Cover([away(1, SARI.id, day(0), day(4), BUDI.id)], TODAY, PEOPLE).as_seen(SARI)
    assert Cover([], day(5), PEOPLE).as_seen(seen).away is None


# --- recording an absence -------------------------------------------------------------------------


def refusal(**kw: object) -> str:
    args: dict[str, object] = {"person": SARI, "starts": day(1), "ends": day(3),
                               "stand_in": BUDI, "absences": [], "people": PEOPLE,
                               "today": TODAY, "by_admin": False}  # fmt: skip
    args.update(kw)
    with pytest.raises(Refused) as refused:
        check_absence(**args)  # type: ignore[arg-type]
    return refused.value.key


def test_a_valid_absence_passes() -> None:
    check_absence(SARI, day(0), day(3), BUDI, [], PEOPLE, TODAY, by_admin=False)


@pytest.mark.parametrize(
    ("starts", "ends", "key"),
    [
        (day(-1), day(3), "refused-absence-past"),
        (day(3), day(1), "refused-absence-order"),
        (day(0), day(MAX_DAYS), "refused-absence-too-long"),
    ],
)
def test_dates_in_the_past_backwards_or_too_long_are_refused(
    starts: date, ends: date, key: str
) -> None:
    assert refusal(starts=starts, ends=ends) == key
    with pytest.raises(Refused):
        check_dates(starts, ends, TODAY)


def test_only_an_admin_may_leave_the_end_open() -> None:
    assert refusal(ends=None) == "refused-absence-open-ended"
    check_absence(SARI, day(0), None, BUDI, [], PEOPLE, TODAY, by_admin=True)


def test_an_overlapping_absence_of_the_same_person_is_refused() -> None:
    existing = [away(1, SARI.id, day(2), day(6), BUDI.id)]
    assert refusal(absences=existing) == "refused-absence-overlap"
    # Right after the existing one: fine.
    check_absence(SARI, day(7), day(8), BUDI, existing, PEOPLE, TODAY, by_admin=False)


def test_an_ended_absence_does_not_block_a_new_one() -> None:
    existing = [away(1, SARI.id, day(0), day(6), BUDI.id, ended_at=NOW)]
    check_absence(SARI, day(1), day(3), BUDI, existing, PEOPLE, TODAY, by_admin=False)


def test_a_stand_in_who_is_away_then_is_refused() -> None:
    existing = [away(1, BUDI.id, day(3), day(9), None)]
    assert refusal(absences=existing) == "refused-stand-in-absent"


def test_a_person_standing_in_for_someone_then_may_not_be_away() -> None:
    existing = [away(1, BUDI.id, day(0), day(9), SARI.id)]
    assert refusal(absences=existing) == "refused-absence-is-stand-in"


@pytest.mark.parametrize(
    ("stand_in", "key"),
    [
        (DEWI, "refused-stand-in-opd"),
        (UTAMA_A, "refused-stand-in-role"),
        (SARI, "refused-stand-in-self"),
        (person(5, Role.PENDUKUNG, 10, active=False), "refused-stand-in-inactive"),
    ],
)
def test_a_stand_in_of_another_opd_or_role_is_refused(stand_in: User, key: str) -> None:
    assert refusal(stand_in=stand_in) == key


def test_the_only_holder_of_a_role_may_not_leave_it_uncovered() -> None:
    alone = {PEJABAT.id: PEJABAT, SARI.id: SARI, DEWI.id: DEWI}
    assert refusal(person=PEJABAT, stand_in=None, people=alone) == "refused-absence-only-holder"
    # The only PPID Pendukung of an OPD, although another OPD has one.
    assert refusal(person=DEWI, stand_in=None, people=alone) == "refused-absence-only-holder"


def test_one_of_several_holders_may_be_away_without_a_stand_in() -> None:
    check_absence(UTAMA_A, day(0), day(2), None, [], PEOPLE, TODAY, by_admin=False)


# --- gaps and returns -----------------------------------------------------------------------------


def test_a_gap_is_found_on_the_first_day_nobody_of_the_role_is_left() -> None:
    absences = [away(1, SARI.id, day(0), day(9)), away(2, BUDI.id, day(4), day(6))]
    assert uncovered_day([SARI, BUDI], absences, day(0), day(9)) == day(4)
    assert uncovered_day([SARI, BUDI], absences[:1], day(0), day(9)) is None


def test_an_absence_is_over_after_its_last_day_or_when_ended_early() -> None:
    done = away(1, SARI.id, day(-5), day(-1), BUDI.id)
    running = away(2, UTAMA_A.id, day(-1), day(2), UTAMA_B.id)
    early = away(3, UTAMA_C.id, day(-1), day(9), UTAMA_B.id, ended_at=NOW)
    withdrawn = away(4, PEJABAT.id, day(3), day(5), None, ended_at=NOW)
    assert [a.id for a in returned([done, running, early, withdrawn], NOW)] == [1, 3]


def test_an_absence_ended_early_on_its_first_morning_had_begun_in_the_office_zone() -> None:
    # 06:30 WIB is 23:30 UTC of the day before, as the instant is stored.
    ended = (NOW - timedelta(hours=2, minutes=30)).astimezone(UTC)
    first_morning = away(1, SARI.id, day(0), day(4), BUDI.id, ended_at=ended)
    assert [a.id for a in returned([first_morning], NOW)] == [1]


def test_a_person_replaced_by_a_plt_is_told_so_without_an_end_date() -> None:
    cover = Cover([away(1, SARI.id, day(0), None, BUDI.id)], TODAY, PEOPLE)
    case = Case(id=1, round_id=1, opd_id=10, step=3, version=1, return_note=None,
                created_at=NOW, closed_at=None)  # fmt: skip
    with pytest.raises(Refused) as refused:
        check_actor(cover.as_seen(SARI), case, step=3)
    assert (refused.value.key, refused.value.values) == ("refused-absent-open-ended",
                                                          {"stand_in": "P5"})  # fmt: skip
