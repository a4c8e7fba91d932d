"""Hostile input: 10,000 generated updates (seeded) against the running bot, in-process.

Forged and truncated button data, presses of another role's buttons, people nobody invited, huge
texts in odd Unicode, unsupported and oversized files, edited messages, commands in groups, and
updates missing optional fields. The bot must survive all of it: after the storm a normal /bantuan
is answered, the fake saw no request it does not understand, the error handler never ran, every
button press got exactly one answer, and every refusal is in the audit trail.

The updates are queued in batches straight into the fake (`FakeTelegram.post_user_message`,
`post_callback`, `post_user_edit`: the methods a `FakePerson` uses, called here without the
person's `await asyncio.sleep(0)` so that a batch is queued at once). The fake has no public way
to queue an update with a field missing, so those are made by removing the field from the update
just queued, before anything else runs (`FakeTelegram.pending_updates` hands out the queued update
objects themselves). After each batch a probe person sends /bantuan and waits for its answer and
for every update to be confirmed: the bot confirms an update only once it and all before it were
handled (different people's are handled at the same time), so then the whole batch was handled.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from dataclasses import dataclass, field

import pytest

from bot.fakeapi.models import JSON, ChatMessage, FakeChat
from bot.fakeapi.people import FakePerson
from bot.fakeapi.server import FakeTelegram
from bot.services import cases
from bot.sop import Role
from handlers.codec import ACTIONS, MAX_INT, BadButton, decode, encode
from handlers.opd import CAPTION
from tests.e2e.conftest import Harness

pytestmark = pytest.mark.e2e

SEED = 20270301
TOTAL = 10_000
BATCH = 500
STRANGERS = 40
ERROR_LOG = "error while handling an update"

# How many updates of each kind the storm holds (they add up to TOTAL).
MIX = {
    "bad_button": 2300,
    "dangling_button": 1400,
    "wrong_role": 1000,
    "stranger": 1500,
    "odd_text": 1500,
    "bad_file": 800,
    "edited": 300,
    "group": 500,
    "malformed": 700,
}

# Buttons that open a question without checking who presses them (see the test at the end):
# left out of the storm, which counts on every forged press being refused at once.
ASKS_WITHOUT_CHECK = {"ua", "u5", "ef"}

RTL = "\u202e\u202d\u200f\u200e\u2067\u2069"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
EMOJI = ["😀", "👩‍💻", "🇮🇩", "👍🏽", "🧑‍🤝‍🧑", "❤️", "🏳️‍🌈", "🫠"]
COMBINING = "\u0301\u0308\u0336\u0337\u0489\u0338\u20dd"
SCRIPTS = "abcxyzÀéñßΩЖשלוםمرحبا中文漢字한국어ไทยदेवनागरी"
MARKUP = ["<b>", "</i>", "&amp;", "&lt;", "{name}", "{0}", "%s", "\\", '"', "'", "<a href='x'>"]


@dataclass
class Expected:
    """What the storm must have produced, counted while generating it."""

    refusals: int = 0
    bad_buttons: int = 0
    alerts: int = 0
    messages: int = 0
    presses: Counter[int] = field(default_factory=Counter)
    silent_presses: set[str] = field(default_factory=set)
    kinds: Counter[str] = field(default_factory=Counter)


@dataclass
class Cast:
    fake: FakeTelegram
    registered: list[FakePerson]
    pendukung: FakePerson
    strangers: list[FakePerson]
    group: FakeChat
    own_messages: dict[int, list[ChatMessage]]
    wrong_presses: list[tuple[FakePerson, str]]


def odd_text(rng: random.Random) -> str:
    """Up to 4096 characters of hostile Unicode (no NUL, which Telegram cannot carry)."""
    size = rng.choice([1, 2, 7, 64, 300, 1000, 4000, 4096])
    parts: list[str] = []
    length = 0
    while length < size:
        pick = rng.randrange(7)
        if pick == 0:
            piece = rng.choice(RTL) + rng.choice(SCRIPTS)
        elif pick == 1:
            piece = rng.choice(ZERO_WIDTH)
        elif pick == 2:
            piece = rng.choice(EMOJI)
        elif pick == 3:
            piece = rng.choice(SCRIPTS) + "".join(rng.choices(COMBINING, k=rng.randrange(1, 8)))
        elif pick == 4:
            piece = rng.choice(MARKUP)
        elif pick == 5:
            piece = chr(rng.choice([rng.randrange(1, 32), rng.randrange(0x80, 0xA0), 0x7F]))
        else:
            piece = "".join(rng.choices(SCRIPTS + " ", k=rng.randrange(1, 12)))
        parts.append(piece)
        length += len(piece)
    text = "".join(parts)[:size]
    text = text.lstrip("/")  # a leading slash makes a command: that is another kind of update
    return text if text.strip() else "x" + text


def bad_button_data(rng: random.Random) -> str:
    """Data no button of the bot carries: decode() refuses all of it."""
    while True:
        action = rng.choice(sorted(ACTIONS))
        want = ACTIONS[action]
        pick = rng.randrange(9)
        if pick == 0:  # random characters, up to 64 bytes
            data = "".join(chr(rng.randrange(1, 0x3000)) for _ in range(rng.randrange(1, 40)))
            data = data.encode()[:64].decode("utf-8", "ignore")
        elif pick == 1:  # a valid prefix with the wrong number of arguments
            count = rng.choice([n for n in range(5) if n != want])
            data = ":".join(["1", action, *(str(rng.randrange(100)) for _ in range(count))])
        elif pick == 2:  # numbers too large, signed, or not plain ASCII digits
            bad = rng.choice(["9" * 17, str(MAX_INT), str(2**64), "-1", "+5", "1e3", "٣", "0x1f"])
            args = [str(rng.randrange(100)) for _ in range(max(want, 1))]
            args[rng.randrange(len(args))] = bad
            data = ":".join(["1", action, *args])
        elif pick == 3:  # another format version
            version = rng.choice(["0", "2", "v1", "01", "", "1.0"])
            data = ":".join([version, action, *(str(rng.randrange(100)) for _ in range(want))])
        elif pick == 4:  # an unknown action
            data = f"1:{rng.choice(['zz', 'A2', 'a 2', 'a2 ', '', 'drop'])}:1:1"
        elif pick == 5:  # truncated
            full = encode(action, *(rng.randrange(1000) for _ in range(want)))
            data = full[: rng.randrange(0, max(len(full) - 1, 1))]
        elif pick == 6:  # over 64 bytes
            data = "1:" + action + ":" + ":".join(["1234567890"] * 7)
        elif pick == 7:  # SQL, HTML and separators
            data = rng.choice(["1:a2:1;DROP TABLE cases", "1:op:<b>1</b>", "1:op:1:", ":::", "1::"])
        else:
            data = rng.choice(["", " ", "1", "1:", "mn", "1:MN"])
        try:
            decode(data)
        except BadButton:
            return data


def dangling_button_data(rng: random.Random) -> str:
    """Well-formed data naming objects that do not exist (or indexes out of range)."""
    actions = sorted(a for a, n in ACTIONS.items() if n > 0 and a not in ASKS_WITHOUT_CHECK)
    action = rng.choice(actions)
    args = [rng.randrange(10**6, MAX_INT) for _ in range(ACTIONS[action])]
    return encode(action, *args)


def caption_for(rng: random.Random) -> str | None:
    return rng.choice([None, "#1", "#2", " # 2 laporan", "#99", "#1234567", "laporan", "#"])


def bad_file(rng: random.Random) -> tuple[str | None, bytes, str | None, int | None]:
    """(file name, bytes, MIME type, declared size) of a file the bot must not keep."""
    pick = rng.randrange(5)
    if pick == 0:
        return "program.exe", b"MZ\x90\x00" + bytes(60), "application/x-msdownload", None
    if pick == 1:
        return "besar.pdf", b"%PDF-1.4 big", "application/pdf", rng.randrange(20 * 2**20 + 1, 2**31)
    if pick == 2:
        return "skrip.bat", b"@echo off\r\n", "application/x-bat", None
    if pick == 3:
        return "laporan.pdf", b"MZ\x90\x00 not a pdf at all", "application/pdf", None
    return rng.choice(["a" * 300 + ".exe", "‮fdp.exe", "../../etc/passwd"]), b"\x7fELF", None, None


class Storm:
    """Queues the generated updates and counts what they must produce."""

    def __init__(self, cast: Cast, rng: random.Random) -> None:
        self.cast = cast
        self.rng = rng
        self.fake = cast.fake
        self.expected = Expected()

    # -------------------------------------------------------------- what the people do

    def press(self, person: FakePerson, data: str, *, refused: bool, bad: bool = False) -> None:
        message = self.rng.choice(person.messages)
        self.fake.post_callback(person, message, data, None)
        self.expected.presses[person.id] += 1
        if refused:
            self.expected.refusals += 1
            self.expected.alerts += 1
        if bad:
            self.expected.bad_buttons += 1

    def text(
        self, person: FakePerson, text: str, *, refused: bool, chat: FakeChat | None = None
    ) -> None:
        self.fake.post_user_message(person, chat or person.chat, text=text)
        self.expected.messages += 1
        self.expected.refusals += int(refused)

    def file(self, person: FakePerson, caption: str | None, stranger: bool) -> JSON:
        name, data, mime, declared = bad_file(self.rng)
        made = self.fake.new_file(
            data, kind="document", filename=name, mime_type=mime, declared_size=declared
        )
        made.mime_type = mime  # None stays None: the document declares no MIME type
        self.fake.post_user_message(person, person.chat, text=caption or "", file=made)
        self.expected.messages += 1
        # A stranger is refused as such; a registered person only when the caption names an
        # entry (`#3`): otherwise the bot says it does not wait for a file.
        self.expected.refusals += int(stranger or CAPTION.match(caption or "") is not None)
        return self.fake.pending_updates[-1]

    # -------------------------------------------------------------- the kinds of update

    def bad_button(self) -> None:
        person = self.rng.choice(self.cast.registered)
        self.press(person, bad_button_data(self.rng), refused=True, bad=True)

    def dangling_button(self) -> None:
        person = self.rng.choice(self.cast.registered)
        self.press(person, dangling_button_data(self.rng), refused=True)

    def wrong_role(self) -> None:
        person, data = self.rng.choice(self.cast.wrong_presses)
        self.press(person, data, refused=True)

    def stranger(self) -> None:
        person = self.rng.choice(self.cast.strangers)
        pick = self.rng.randrange(6)
        if pick == 0:
            self.press(
                person, self.rng.choice([bad_button_data(self.rng), encode("mn")]), refused=True
            )
        elif pick == 1:
            self.file(person, caption_for(self.rng), stranger=True)
        elif pick == 2:
            command = self.rng.choice(
                ["/start", "/start x$y", "/start " + "A" * 40, "/tugas", "/menu"]
            )
            self.text(person, command, refused=True)
        else:
            self.text(person, odd_text(self.rng), refused=True)

    def odd_text(self) -> None:
        self.text(self.rng.choice(self.cast.registered), odd_text(self.rng), refused=False)

    def bad_file(self) -> None:
        self.file(self.cast.pendukung if self.rng.random() < 0.6 else self.rng.choice(self.cast.registered),
                  caption_for(self.rng), stranger=False)  # fmt: skip

    def edited(self) -> None:
        person = self.rng.choice(self.cast.registered)
        message = self.rng.choice(self.cast.own_messages[person.id])
        # The bot asks only for messages and button presses: Telegram keeps edits to itself.
        self.fake.post_user_edit(person, message, odd_text(self.rng))

    def group(self) -> None:
        person = self.rng.choice(self.cast.registered + self.cast.strangers)
        if self.rng.random() < 0.5:
            command = self.rng.choice(
                ["/tugas", "/bantuan@ppid_test_bot", "/start abc", "/status", "/x"]
            )
            self.text(
                person, command + " " + odd_text(self.rng)[:50], refused=False, chat=self.cast.group
            )
        else:  # a plain text in a group is not for the bot: no answer at all
            self.fake.post_user_message(person, self.cast.group, text=odd_text(self.rng))

    def malformed(self) -> None:
        pick = self.rng.randrange(4)
        stranger = self.rng.random() < 0.3
        person = self.rng.choice(self.cast.strangers if stranger else self.cast.registered)
        if pick == 0:  # a message without `from` (as in channels): nobody to answer
            self.fake.post_user_message(person, person.chat, text=odd_text(self.rng))
            del self.fake.pending_updates[-1]["message"]["from"]
        elif pick == 1:  # a press without `message`, as for a message sent in inline mode
            query_id = self.fake.post_callback(person, person.messages[-1], encode("mn"), None)
            query = self.fake.pending_updates[-1]["callback_query"]
            del query["message"]
            query["inline_message_id"] = f"AgAAAN{query_id}"
            self.expected.silent_presses.add(query_id)
            self.expected.presses[person.id] += 1
        elif pick == 2:  # a document without file_name and mime_type
            update = self.file(person, self.rng.choice([None, "#1"]), stranger=stranger)
            document = update["message"]["document"]
            document.pop("file_name", None)
            document.pop("mime_type", None)
        else:  # a message with no text and nothing else
            self.fake.post_user_message(person, person.chat, text="x")
            message = self.fake.pending_updates[-1]["message"]
            message.pop("text")
            message.pop("entities", None)
            self.expected.messages += 1
            self.expected.refusals += int(stranger)

    def queue(self, kind: str) -> None:
        self.expected.kinds[kind] += 1
        getattr(self, kind)()


async def refused_rows(h: Harness, after: int) -> list[tuple[str, str]]:
    async with h.ctx.db.transaction() as uow:
        return [
            (a.action, a.note or "")
            for a in await uow.audit.all()
            if a.id > after and a.outcome == "refused"
        ]


async def last_audit(h: Harness) -> int:
    async with h.ctx.db.transaction() as uow:
        rows = await uow.audit.all()
    return rows[-1].id if rows else 0


async def cast_of(h: Harness) -> tuple[Cast, FakePerson, int, list[int]]:
    """The people, a case of DINKES waiting for its documents (step 3), and a probe person."""
    await h.add_opds("DINKES", "DISHUB")
    andi, rina, sari = await h.join_team(6001)
    joko = await h.join(6004, "Bapak Joko", Role.PENDUKUNG, "DISHUB")
    probe = await h.join(6005, "Bapak Kadis", Role.ATASAN)
    case_id = await h.round_at_step3(andi, rina, "DINKES", ["Laporan Keuangan", "Renstra"])
    await sari.wait_for_text("📥", timeout=10)
    v = await cases.view(h.ctx, case_id)
    e1, e2 = (e.id for e in v.entries)
    c, ver = case_id, v.case.version
    registered = [andi, rina, sari, joko]
    own: dict[int, list[ChatMessage]] = {}
    for person in registered:
        await person.send("halo")
        await person.wait_for_text("tidak sedang mengisi")
        own[person.id] = [m for m in person.chat.messages if m.sender is person.user]
    strangers = [h.fake.person(6100 + i, f"Tamu{i}") for i in range(STRANGERS)]
    for person in strangers:
        await person.send("halo")
    for person in strangers:
        await person.wait_for_text("diundang")
    group = h.fake.group(-100600, "Grup PPID")
    wrong = [
        *((sari, encode(a, c, ver)) for a in ("a2", "r2", "k2", "a4", "r4", "c4", "p5", "s1")),
        *((sari, d) for d in (encode("ea", c), encode("dr", c, ver), encode("kc", e1, 0, ver))),
        *((joko, encode(a, e)) for a in ("e3", "fu", "nh", "xp") for e in (e1, e2)),
        (joko, encode("s3", c, ver)),
        (joko, encode("op", c)),
        (joko, encode("dc", e1)),
        *((rina, encode(a, e1)) for a in ("e3", "fu", "nh", "xp")),
        *((rina, encode(a, c, ver)) for a in ("s3", "s1", "a4", "a2", "p5")),
        *((andi, d) for d in (encode("a2", c, ver), encode("e3", e2), encode("s3", c, ver))),
        *((p, encode("rn")) for p in (rina, sari, joko)),
        *((p, encode("sc", 1)) for p in (rina, sari)),
        *((p, encode("iv", 1)) for p in registered),
        *((p, encode("io", 3, 1)) for p in registered),
    ]
    cast = Cast(h.fake, registered, sari, strangers, group, own, wrong)
    return cast, probe, case_id, [e1, e2]


async def test_ten_thousand_hostile_updates_leave_the_bot_answering_and_every_refusal_audited(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    fake = h.fake
    cast, probe, case_id, entries = await cast_of(h)
    before_case = await cases.view(h.ctx, case_id)
    await fake.wait_until_confirmed()
    audit_start = await last_audit(h)
    sent_start = len(fake.sent)
    answers_start = {p.id: len(p.answers) for p in cast.registered + cast.strangers}
    caplog.set_level(logging.WARNING)

    rng = random.Random(SEED)
    kinds = [kind for kind, count in MIX.items() for _ in range(count)]
    assert len(kinds) == TOTAL
    rng.shuffle(kinds)
    storm = Storm(cast, rng)
    for start in range(0, TOTAL, BATCH):
        for kind in kinds[start : start + BATCH]:
            storm.queue(kind)
        # Confirmed only when handled, in order: once the probe is, the batch is done.
        await probe.send("/bantuan")
        answer = await probe.next_message(timeout=60)
        assert "Atasan PPID" in answer.text, answer.text
        await fake.wait_until_confirmed(timeout=60)
    want = storm.expected
    assert sum(want.kinds.values()) == TOTAL
    print(
        f"storm: {want.refusals} refusals ({want.bad_buttons} forged buttons), {want.alerts} "
        f"alerts, {want.messages} answers, {len(want.silent_presses)} presses without message"
    )

    # Still answering, as usual.
    rina = cast.registered[1]
    await rina.send("/bantuan")
    assert "Sebagai PPID Utama" in (await rina.wait_for_text("Sebagai PPID Utama")).text

    # Nothing the fake did not understand, no error handled, nothing logged as an error.
    fake.assert_no_protocol_errors()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in errors if ERROR_LOG in r.getMessage()]
    assert errors == [], [r.getMessage() for r in errors]
    assert "error-generic" not in {m.text for m in fake.sent}

    # Every button press was answered exactly once, those without their message included.
    assert fake.unanswered_callbacks() == []
    answers = {p.id: p.answers[answers_start[p.id] :] for p in cast.registered + cast.strangers}
    got_presses = Counter({pid: len(a) for pid, a in answers.items() if a})
    assert got_presses == want.presses
    alerts = sum(a.show_alert for person_answers in answers.values() for a in person_answers)
    assert alerts == want.alerts

    # Every message and command got its one answer; groups only for commands; no edits.
    storm_sends = [m for m in fake.sent[sent_start:] if m.chat_id != probe.id]
    assert {m.action for m in storm_sends} == {"send"}
    assert len(storm_sends) == want.messages + 1  # and the final /bantuan

    # Every refusal is in the audit trail, each forged button press as such.
    rows = await refused_rows(h, audit_start)
    assert len(rows) == want.refusals
    bad = [note for _, note in rows if note.startswith("bad-button:")]
    assert len(bad) == want.bad_buttons

    # And nothing changed: the case waits in step 3 as before, nothing stored, no dialogs open.
    after_case = await cases.view(h.ctx, case_id)
    assert after_case.case == before_case.case
    assert after_case.entries == before_case.entries and after_case.documents == []
    async with h.ctx.db.transaction() as uow:
        assert await uow.rounds.all() == [before_case.round]
        for person in cast.registered:
            user = await uow.users.by_external("telegram", str(person.id))
            assert user is not None and await uow.dialogs.get(user.id) is None
    assert [p for p in h.ctx.files.root.rglob("*") if p.is_file()] == []
    assert entries == [e.id for e in after_case.entries]


async def test_a_press_without_its_message_still_gets_an_answer(harness: Harness) -> None:
    rina = await harness.join(6201, "Ibu Rina", Role.UTAMA)
    fake = harness.fake
    query_id = fake.post_callback(rina, rina.messages[-1], encode("mn"), None)
    query = fake.pending_updates[-1]["callback_query"]
    del query["message"]
    query["inline_message_id"] = f"AgAAAN{query_id}"
    await fake.wait_until_confirmed()
    await rina.send("/bantuan")
    await rina.wait_for_text("Sebagai PPID Utama")
    assert fake.unanswered_callbacks() == []


async def test_a_question_button_of_another_role_is_refused_at_once(harness: Harness) -> None:
    h = harness
    await h.add_opds("DINKES")
    andi, rina, sari = await h.join_team(6301)
    case_id = await h.round_at_step3(andi, rina, "DINKES", ["Laporan"])
    await sari.wait_for_text("📥", timeout=10)
    v = await cases.view(h.ctx, case_id)
    entry = v.entries[0].id
    start = await last_audit(h)
    toasts = []
    for data in (
        encode("ua", case_id, v.case.version),
        encode("u5", entry),
        encode("ef", entry, 0),
    ):
        await sari.press_data(data, sari.messages[-1])
        toasts.append(await sari.next_toast())
    assert len(await refused_rows(h, start)) == 3, toasts
    user = await h.user(sari)
    async with h.ctx.db.transaction() as uow:
        assert await uow.dialogs.get(user.id) is None


async def test_a_command_for_another_bot_in_a_group_is_not_answered(harness: Harness) -> None:
    budi = harness.fake.person(6401, "Budi")
    group = harness.fake.group(-100640, "Grup PPID")
    await budi.send("/status@other_bot", chat=group)
    # One person's updates are handled in order: the answer in private comes after the group's.
    await budi.send("/bantuan")
    await budi.wait_for_text("diundang")
    assert budi.messages_in(group) == []
