"""What reaches the WhatsApp webhook that is not a well-formed, signed webhook from Meta, and
what Meta posts twice or out of order: a 4xx or an ignored event, never a second effect."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta

from bot.sop import Role
from tests.e2e.whatsapp.conftest import Mixed


def envelope(value: Mapping[str, object]) -> bytes:
    return json.dumps({
        "object": "whatsapp_business_account",
        "entry": [{"id": "2000000001", "changes": [{"field": "messages", "value": value}]}],
    }).encode()  # fmt: skip


async def test_a_webhook_without_or_with_a_wrong_signature_is_refused(mixed: Mixed) -> None:
    body = envelope({"messaging_product": "whatsapp", "messages": []})
    assert await mixed.wa.post_raw(body, None) == 403
    assert await mixed.wa.post_raw(body, "sha256=" + "0" * 64) == 403
    assert await mixed.wa.post_raw(body, "nonsense") == 403
    assert await mixed.wa.post_raw(body, mixed.wa.sign(body + b" ")) == 403


async def test_a_signed_body_that_is_not_a_webhook_is_refused_and_a_huge_one_too(
    mixed: Mixed,
) -> None:
    wa = mixed.wa
    for body in (
        b"not json",
        b"[]",
        b'{"object": "page"}',
        b"[" * 5000 + b"]" * 5000,
        json.dumps({"object": "whatsapp_business_account", "entry": [1]}).encode(),
    ):
        assert await wa.post_raw(body, wa.sign(body)) == 400, body[:40]
    huge = b'{"a": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    assert await wa.post_raw(huge, wa.sign(huge)) == 413


async def test_a_replayed_message_is_answered_once(mixed: Mixed) -> None:
    m = mixed
    sari = await m.join_wa("6281234567030", "Ibu Sari", Role.UTAMA)
    wamid = await sari.send("menu")
    await sari.next_message()
    assert await m.wa.replay(wamid) == 200
    await sari.send("bantuan")
    after = await sari.next_message()
    assert "PPID" in after.text  # the help, not a second menu
    assert len(sari.messages) == 3  # joined, menu, help


async def test_statuses_of_unknown_messages_are_ignored_and_late_ones_change_nothing(
    mixed: Mixed,
) -> None:
    wa = mixed.wa
    status = {"messaging_product": "whatsapp",
              "statuses": [{"id": "wamid.unknown", "status": "read", "timestamp": "1700000000",
                            "recipient_id": "6281234567031"}]}  # fmt: skip
    body = envelope(status)
    assert await wa.post_raw(body, wa.sign(body)) == 200


async def test_a_free_form_notice_refused_for_the_closed_window_goes_again_as_its_template(
    mixed: Mixed,
) -> None:
    m, h = mixed, mixed.h
    andi, rina, sari = await m.team(4201, "6281234567032")
    await h.travel(h.clock.now + timedelta(days=2))
    # The bot believes Sari wrote a minute ago (say, a record from another instance); Meta
    # knows better and refuses the free text (131047, in a failed status).
    async with h.ctx.db.transaction() as uow:
        await uow.users.seen("whatsapp", sari.bsuid, h.clock.now, timedelta(0))
        await uow.commit()
    await h.round_at_step3(andi, rina, "DINKES", ["Laporan Keuangan 2026"])
    await h.scheduler.tick()
    brief = await sari.wait_until(lambda x: x.template is not None)
    assert brief.template is not None and brief.template.name == "ppid_tugas_baru_v1"
    failed = [x for x in m.wa.messages.values() if x.status == "failed"]
    assert len(failed) == 1 and failed[0].errors[0]["code"] == 131047
