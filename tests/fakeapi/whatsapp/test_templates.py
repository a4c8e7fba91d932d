"""Templates through the fake with pywa: create, list, send outside the window, quick replies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import pytest
from pywa_async import WhatsApp, errors, types
from pywa_async.types import templates as t

from bot.fakeapi.whatsapp import FakeWhatsApp
from tests.fakeapi.whatsapp.conftest import PywaReceiver

SARI = "6281234567001"


def body_params(*values: str) -> t.BaseParams:
    """``BodyText.params`` (a static method pywa's annotations present as an instance method)."""
    params: t.BaseParams = cast(Any, t.BodyText).params(*values)
    return params


def notice_template(name: str = "tugas_baru") -> t.Template:
    return t.Template(
        name=name,
        category=t.TemplateCategory.UTILITY,
        language=t.TemplateLanguage.INDONESIAN,
        parameter_format=t.ParamFormat.POSITIONAL,
        components=[
            t.BodyText("Ada {{1}} tugas untuk {{2}}, tenggat {{3}}.", "2", "DINKES", "Senin"),
            t.Buttons(buttons=[t.QuickReplyButton(text="Buka tugas")]),
        ],
    )


def notice_params(cases: str = "3") -> list[t.BaseParams]:
    return [
        body_params(cases, "DINKES", "Senin 16.00"),
        t.QuickReplyButton.params(callback_data="open-tasks", index=0),
    ]


async def test_a_created_template_is_listed_and_approved_at_once(
    fake: FakeWhatsApp, wa: WhatsApp
) -> None:
    created = await wa.create_template(notice_template())
    assert created.status == t.TemplateStatus.APPROVED
    listed = await wa.get_templates()
    [details] = list(listed)
    assert details.name == "tugas_baru"
    assert details.language == t.TemplateLanguage.INDONESIAN
    assert details.category == t.TemplateCategory.UTILITY
    assert details.status == t.TemplateStatus.APPROVED
    assert details.id == created.id


async def test_a_template_reaches_a_silent_person_and_its_quick_reply_opens_the_window(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    await wa.create_template(notice_template())
    sari = fake.person(SARI, "Sari")
    await sari.send("halo")
    fake.travel(timedelta(days=3))
    sent = await wa.send_template(
        to=SARI, name="tugas_baru", language=t.TemplateLanguage.INDONESIAN, params=notice_params()
    )
    shown = await sari.next_message()
    assert shown.id == sent.id
    assert shown.template is not None
    assert shown.template.params == ("3", "DINKES", "Senin 16.00")
    assert shown.text == "Ada 3 tugas untuk DINKES, tenggat Senin 16.00."
    assert shown.buttons == ["Buka tugas"]
    assert not sari.in_window
    await sari.press("Buka tugas")
    assert sari.in_window
    await fake.settled()
    [pressed] = receiver.of_type(types.CallbackButton)
    assert pressed.data == "open-tasks"
    assert pressed.title == "Buka tugas"
    assert pressed.reply_to_message is not None
    assert pressed.reply_to_message.id == sent.id
    await wa.send_message(to=SARI, text="Tugas Anda: 3")
    assert (await sari.next_message()).text == "Tugas Anda: 3"


async def test_a_pending_or_unknown_template_is_refused_with_132001(
    fake: FakeWhatsApp, wa: WhatsApp
) -> None:
    fake.auto_approve_templates = False
    created = await wa.create_template(notice_template())
    assert created.status == t.TemplateStatus.PENDING
    fake.person(SARI, "Sari")
    for name in ("tugas_baru", "tidak_ada"):
        with pytest.raises(errors.TemplateNotExists) as refused:
            await wa.send_template(
                to=SARI, name=name, language=t.TemplateLanguage.INDONESIAN, params=notice_params()
            )
        assert refused.value.code == 132001
    fake.approve("tugas_baru")
    await wa.send_template(
        to=SARI, name="tugas_baru", language=t.TemplateLanguage.INDONESIAN, params=notice_params()
    )
    fake.remove_template("tugas_baru")
    with pytest.raises(errors.TemplateNotExists):
        await wa.send_template(
            to=SARI,
            name="tugas_baru",
            language=t.TemplateLanguage.INDONESIAN,
            params=notice_params(),
        )


async def test_a_template_in_another_language_does_not_exist(
    fake: FakeWhatsApp, wa: WhatsApp
) -> None:
    await wa.create_template(notice_template())
    with pytest.raises(errors.TemplateNotExists):
        await wa.send_template(
            to=SARI,
            name="tugas_baru",
            language=t.TemplateLanguage.ENGLISH_US,
            params=notice_params(),
        )


async def test_a_wrong_parameter_count_is_refused_with_132000(
    fake: FakeWhatsApp, wa: WhatsApp
) -> None:
    await wa.create_template(notice_template())
    with pytest.raises(errors.TemplateParamCountMismatch) as refused:
        await wa.send_template(
            to=SARI,
            name="tugas_baru",
            language=t.TemplateLanguage.INDONESIAN,
            params=[body_params("3", "DINKES")],
        )
    assert refused.value.code == 132000


async def test_creating_a_template_twice_or_with_gaps_in_its_parameters_is_refused(
    fake: FakeWhatsApp, wa: WhatsApp
) -> None:
    await wa.create_template(notice_template())
    with pytest.raises(errors.WhatsAppError) as twice:
        await wa.create_template(notice_template())
    assert twice.value.code == 100
    assert twice.value.subcode == 2388024
    # pywa checks this itself; what the fake answers is what Meta answers to a hand-made request.
    gaps = {
        "name": "bolong",
        "language": "id",
        "category": "UTILITY",
        "components": [
            {"type": "BODY", "text": "Ada {{1}} dan {{3}}.", "example": {"body_text": [["a", "b"]]}}
        ],
    }
    with pytest.raises(errors.WhatsAppError) as refused:
        await wa.api.create_template(waba_id=fake.waba_id, template=gaps)
    assert refused.value.code == 100


async def test_a_template_can_be_deleted_through_the_api(fake: FakeWhatsApp, wa: WhatsApp) -> None:
    await wa.create_template(notice_template())
    assert (await wa.delete_template("tugas_baru")).success
    assert fake.template("tugas_baru") is None


async def test_templates_can_be_listed_by_status_as_the_bots_start_up_check_does(
    fake: FakeWhatsApp, wa: WhatsApp
) -> None:
    fake.add_template("sudah", "Siap {{1}}.")
    fake.add_template("menunggu", "Nanti {{1}}.", status="PENDING")
    approved = await wa.get_templates(statuses=[t.TemplateStatus.APPROVED])
    assert [d.name for d in approved] == ["sudah"]
    both = await wa.get_templates(statuses=[t.TemplateStatus.APPROVED, t.TemplateStatus.PENDING])
    assert sorted(d.name for d in both) == ["menunggu", "sudah"]
