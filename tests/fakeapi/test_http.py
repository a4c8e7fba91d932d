"""The fake Bot API on the wire: answers, long polling, update delivery, parameter encodings."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx

from bot.fakeapi import FakeTelegram


async def call(http: httpx.AsyncClient, method: str, **params: Any) -> Any:
    """Call a method with a JSON body; return the ``result`` of a successful answer."""
    response = await http.post(method, json=params)
    body = response.json()
    assert response.status_code == 200 and body["ok"], body
    return body["result"]


async def test_get_me_describes_the_bot_like_telegram(http: httpx.AsyncClient) -> None:
    me = await call(http, "getMe")
    assert me["id"] == 123456
    assert me["is_bot"] is True
    assert me["username"] == "ppid_test_bot"


async def test_a_wrong_token_is_unauthorized(fake: FakeTelegram) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{fake.base_url}999:WRONG/getMe")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_an_unknown_method_answers_404_and_is_recorded_as_a_protocol_error(
    fake: FakeTelegram, http: httpx.AsyncClient
) -> None:
    response = await http.post("sendDice", json={"chat_id": 1})
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert fake.take_protocol_errors() == [
        "sendDice: unknown Bot API method (not implemented by the fake)"
    ]


async def test_a_request_to_an_unknown_path_is_a_protocol_error(fake: FakeTelegram) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{fake.url}/something/else")
    assert response.status_code == 404
    assert len(fake.take_protocol_errors()) == 1


async def test_a_missing_chat_id_is_a_protocol_error(
    fake: FakeTelegram, http: httpx.AsyncClient
) -> None:
    response = await http.post("sendMessage", json={"text": "hello"})
    assert response.status_code == 400
    assert response.json()["description"] == "Bad Request: chat_id is empty"
    assert fake.take_protocol_errors() == ["sendMessage: Bad Request: chat_id is empty"]


async def test_parameters_are_accepted_as_json_form_and_query_string(
    fake: FakeTelegram, http: httpx.AsyncClient
) -> None:
    fake.person(1001, "Sari", started=True)
    keyboard = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}
    by_json = await http.post(
        "sendMessage", json={"chat_id": 1001, "text": "json", "reply_markup": keyboard}
    )
    by_form = await http.post(
        "sendMessage",
        data={"chat_id": "1001", "text": "form", "reply_markup": json.dumps(keyboard)},
    )
    by_query = await http.get("sendMessage", params={"chat_id": "1001", "text": "query"})
    results = [r.json()["result"] for r in (by_json, by_form, by_query)]
    assert [r["text"] for r in results] == ["json", "form", "query"]
    assert results[1]["reply_markup"] == keyboard
    assert [r["message_id"] for r in results] == [1, 2, 3]


async def test_long_poll_waits_for_the_timeout_when_nothing_happens(
    http: httpx.AsyncClient,
) -> None:
    started = time.monotonic()
    assert await call(http, "getUpdates", timeout=1) == []
    assert 0.9 <= time.monotonic() - started < 2


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    fake: FakeTelegram, http: httpx.AsyncClient
) -> None:
    sari = fake.person(1001, "Sari")

    async def write_later() -> None:
        await asyncio.sleep(0.2)
        await sari.send("halo")

    started = time.monotonic()
    writer = asyncio.create_task(write_later())
    updates = await call(http, "getUpdates", timeout=5)
    await writer
    assert time.monotonic() - started < 1
    assert updates[0]["message"]["text"] == "halo"


async def test_an_update_is_redelivered_until_confirmed_with_offset(
    fake: FakeTelegram, http: httpx.AsyncClient
) -> None:
    sari = fake.person(1001, "Sari")
    await sari.send("one")
    await sari.send("two")
    first = await call(http, "getUpdates", limit=1)
    again = await call(http, "getUpdates")
    assert [u["update_id"] for u in first] == [1]
    assert [u["update_id"] for u in again] == [1, 2]
    confirmed = await call(http, "getUpdates", offset=2)
    assert [u["message"]["text"] for u in confirmed] == ["two"]
    assert await call(http, "getUpdates", offset=3) == []
    assert fake.pending_updates == []


async def test_update_ids_increase_globally_and_message_ids_per_chat(
    fake: FakeTelegram, http: httpx.AsyncClient
) -> None:
    sari, budi = fake.person(1001, "Sari"), fake.person(1002, "Budi")
    await sari.send("a")
    await budi.send("b")
    await sari.send("c")
    updates = await call(http, "getUpdates")
    assert [u["update_id"] for u in updates] == [1, 2, 3]
    assert [(u["message"]["chat"]["id"], u["message"]["message_id"]) for u in updates] == [
        (1001, 1),
        (1002, 1),
        (1001, 2),
    ]
    assert all(isinstance(u["message"]["date"], int) for u in updates)


async def test_allowed_updates_leaves_out_other_update_types(
    fake: FakeTelegram, http: httpx.AsyncClient
) -> None:
    sari = fake.person(1001, "Sari")
    await sari.send("hello")
    sari.block_bot()
    updates = await call(http, "getUpdates", allowed_updates=["my_chat_member"])
    assert [next(k for k in u if k != "update_id") for u in updates] == ["my_chat_member"]
    assert updates[0]["my_chat_member"]["new_chat_member"]["status"] == "kicked"


async def test_a_second_get_updates_ends_the_first_with_conflict(
    http: httpx.AsyncClient,
) -> None:
    first = asyncio.create_task(http.post("getUpdates", json={"timeout": 5}))
    await asyncio.sleep(0.1)
    second = await http.post("getUpdates", json={"timeout": 0})
    answer = await first
    assert second.status_code == 200
    assert answer.status_code == 409
    assert answer.json()["description"].startswith("Conflict: terminated by other getUpdates")


async def test_stop_is_prompt_while_a_long_poll_is_pending() -> None:
    fake = FakeTelegram()
    await fake.start()
    async with httpx.AsyncClient(base_url=fake.api_url + "/") as client:
        poll = asyncio.create_task(client.post("getUpdates", json={"timeout": 30}))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await fake.stop()
        assert time.monotonic() - started < 1.5
        answer = await asyncio.wait_for(poll, 1)
    assert answer.json() == {"ok": True, "result": []}


async def test_the_file_route_streams_an_uploaded_document(
    fake: FakeTelegram, http: httpx.AsyncClient
) -> None:
    fake.person(1001, "Sari", started=True)
    payload = bytes(range(256)) * 1000
    sent = await http.post(
        "sendDocument",
        data={"chat_id": "1001", "caption": "laporan"},
        files={"document": ("laporan.pdf", payload, "application/pdf")},
    )
    document = sent.json()["result"]["document"]
    assert document["file_name"] == "laporan.pdf"
    assert document["mime_type"] == "application/pdf"
    assert document["file_size"] == len(payload)
    info = await call(http, "getFile", file_id=document["file_id"])
    async with httpx.AsyncClient() as client:
        download = await client.get(f"{fake.base_file_url}{fake.token}/{info['file_path']}")
    assert download.content == payload


async def test_a_file_path_that_getfile_never_gave_is_a_protocol_error(
    fake: FakeTelegram,
) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{fake.base_file_url}{fake.token}/documents/nope.pdf")
    assert response.status_code == 404
    assert len(fake.take_protocol_errors()) == 1


async def test_an_attach_uri_refers_to_a_multipart_part(
    fake: FakeTelegram, http: httpx.AsyncClient
) -> None:
    fake.person(1001, "Sari", started=True)
    sent = await http.post(
        "sendDocument",
        data={"chat_id": "1001", "document": "attach://part1"},
        files={"part1": ("data.csv", b"a,b\n1,2\n", "text/csv")},
    )
    assert sent.json()["result"]["document"]["file_name"] == "data.csv"
    assert fake.chat(1001).bot_messages[0].document is not None


async def test_rate_limits_answer_429_with_retry_after(
    fake: FakeTelegram, http: httpx.AsyncClient
) -> None:
    fake.person(1001, "Sari", started=True)
    fake.person(1002, "Budi", started=True)
    fake.enforce_rate_limits(global_per_second=30, per_chat_per_second=1)
    assert (await http.post("sendMessage", json={"chat_id": 1001, "text": "1"})).status_code == 200
    refused = await http.post("sendMessage", json={"chat_id": 1001, "text": "2"})
    other_chat = await http.post("sendMessage", json={"chat_id": 1002, "text": "3"})
    assert refused.status_code == 429
    assert refused.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert other_chat.status_code == 200
    edit = await http.post("editMessageText", json={"chat_id": 1001, "message_id": 1, "text": "1b"})
    assert edit.status_code == 200, "edits count towards the overall limit only"


async def test_a_delay_fault_answers_late_and_still_carries_the_request_out(
    fake: FakeTelegram, http: httpx.AsyncClient
) -> None:
    sari = fake.person(1001, "Sari", started=True)
    fault = fake.inject("sendMessage", delay=0.3)
    started = time.monotonic()
    await call(http, "sendMessage", chat_id=1001, text="slow")
    assert time.monotonic() - started >= 0.3
    assert fault.hits == 1 and not fault.active
    assert [m.text for m in sari.messages] == ["slow"]


async def test_a_502_fault_answers_bad_gateway_once(
    fake: FakeTelegram, http: httpx.AsyncClient
) -> None:
    fake.inject("getMe", status=502)
    failed = await http.post("getMe")
    assert failed.status_code == 502
    assert failed.json()["description"] == "Bad Gateway"
    assert (await http.post("getMe")).status_code == 200
