"""Crashes: a round for 40 OPDs played through the chat while the bot is killed with SIGKILL.

The bot runs as a child process (`python -m bot run --no-demo`), as in tests/e2e/test_restart.py.
The people, the round and its steps 1 and 2 are made in-process before the first start; the 40
PPID Pendukung then do step 3 through the chat: each sends the document of entry #1 (caption
`#1`), declares entry #2 not held (button, then the reason as text), opens the case and sends it
to the PPID Utama. Meanwhile the bot is killed at seeded random moments and started again.

A person whose act got no answer waits: Telegram keeps an update until the bot confirms it, and
the fake hands unconfirmed updates out again. Only an act the bot had confirmed and not finished
when it was killed is gone for good (see the last test); the test proves, right after each kill,
which acts those are (confirmed, the process that fetched them dead, no effect in the database),
and their people do them again, as a person who never got an answer would.

At the end: every act took effect once, every notice was delivered (doubles only for notices the
database had recorded as handed to Telegram but unconfirmed at a kill), the document store holds
exactly the documents sent, each under its hash, nothing half-written, and the audit trail has
one row for every change of every case.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest

from bot.bootstrap import load_calendar, make_ctx
from bot.config import Settings
from bot.fakeapi.models import ChatMessage
from bot.fakeapi.people import FakePerson
from bot.fakeapi.server import FakeTelegram
from bot.services import cases, drafting, review
from bot.sop import Role
from handlers.codec import encode
from storage.db import Database
from storage.files import FileStore
from tests.e2e.processes import bot_env, bot_process, eventually

pytestmark = pytest.mark.e2e
T = TypeVar("T")

WIB = ZoneInfo("Asia/Pontianak")
T0 = datetime(2027, 3, 1, 9, 0, tzinfo=WIB)  # Monday, office hours: the round is prepared
FIRST_START = T0 + timedelta(minutes=5)
SEED = 4040
OPD_COUNT = 40
KILLS = 6
PEJABAT, UTAMA1, UTAMA2 = 8001, 8002, 8003
FIRST_PENDUKUNG = 8101
REASON = "Tidak dikuasai: dokumen ini disusun oleh Bappeda."
STALL_S = 60.0
"""The bot did nothing for this long (no Bot API call but polling, no update confirmed): it is
stalled. A busy machine makes it slow, never idle that long, so every wait below lasts as long as
the bot keeps making progress, not a fixed time."""
OVERALL_S = 900.0  # a bot that keeps busy without ever finishing is caught here
ERROR_LOG = "error while handling an update"


def code(i: int) -> str:
    return f"OPD{i:02d}"


def opd_name(i: int) -> str:
    return f"Dinas Uji {i:02d}"


OPD_NAME = re.compile(r"Dinas Uji (\d\d)")


def document_bytes(i: int) -> bytes:
    filler = random.Random(SEED * 1000 + i).randbytes(2000)
    return b"%PDF-1.4\n% laporan keuangan " + code(i).encode() + b"\n" + filler


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Opd:
    """One OPD of the round as the test knows it."""

    index: int
    case_id: int
    entries: tuple[int, ...]  # ids of its entries, #1 first
    uid: int  # the Telegram id of its PPID Pendukung
    user_id: int  # ... and their id in the database


@dataclass(frozen=True)
class Snapshot:
    """What the database says after a kill (nothing runs then, so it holds still)."""

    hashes: frozenset[str]
    not_held: frozenset[int]
    dialogs: dict[int, str]
    steps: dict[int, int]


@dataclass
class Progress:
    """When the bot last did something the test can see: a Bot API call other than polling, or
    a getUpdates whose offset confirms more updates than before."""

    fake: FakeTelegram
    began: float = field(default_factory=time.monotonic)
    last: float = field(default_factory=time.monotonic)
    longest: float = 0.0  # the longest pause seen so far, for the summary line
    _calls_seen: int = 0
    _offset: int = 0

    def idle(self) -> float:
        """Seconds since the bot's last progress."""
        calls = self.fake.calls
        for call in calls[self._calls_seen :]:
            if call.method.lower() != "getupdates":
                self.last = time.monotonic()
                continue
            offset = int(call.params.get("offset") or 0)
            if offset > self._offset:
                self._offset = offset
                self.last = time.monotonic()
        self._calls_seen = len(calls)
        idle = time.monotonic() - self.last
        self.longest = max(self.longest, idle)
        return idle

    def check(self, what: str, context: Callable[[], str]) -> None:
        """Fail, with the bot's logs, if it stalled or the whole run went on far too long."""
        idle = self.idle()
        if idle > STALL_S or time.monotonic() - self.began > OVERALL_S:
            raise AssertionError(
                f"waiting for {what}: the bot made no progress for {idle:.0f}s "
                f"({time.monotonic() - self.began:.0f}s in all); updates not confirmed: "
                f"{len(self.fake.pending_updates)}\n{context()}"
            )


Effect = Callable[[Snapshot], bool]
Reply = Callable[[ChatMessage], bool]


@dataclass
class Act:
    """One act of a person through the chat, until it took effect."""

    person: FakePerson
    name: str
    reply: Reply
    effect: Effect | None
    seq: int
    ref: str | None = None  # how to find its update among the fake's pending ones
    outcome: str | None = None  # "done" (took effect, answer lost) or "lost" (do it again)


@dataclass
class Chaos:
    """The bot's runs, the people's acts, and what each kill left behind."""

    fake: FakeTelegram
    db: Database
    store: FileStore
    opds: list[Opd]
    persons: dict[int, FakePerson]
    open_acts: dict[int, Act] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)
    uncertain: set[int] = field(default_factory=set)
    kills_in_a_send: int = 0
    temp_files_at_kills: int = 0
    orphans_at_kills: set[str] = field(default_factory=set)
    logs: list[Callable[[], str]] = field(default_factory=list)
    progress: Progress = field(init=False)

    def __post_init__(self) -> None:
        self.progress = Progress(self.fake)

    def log(self) -> str:
        return "\n".join(f"--- run {i + 1}\n{log()[-3000:]}" for i, log in enumerate(self.logs))

    async def until(self, check: Callable[[], T | None], what: str) -> T:
        """`check()` once it is not None, however long that takes while the bot makes progress."""
        while (found := await self.fake.wait_for(check, 0.25)) is None:
            self.progress.check(what, self.log)
        return found

    # ---------------------------------------------------------------- the people

    @staticmethod
    def answer_to(act: Act) -> ChatMessage | None:
        return next(
            (m for m in act.person.chat.bot_messages if m.seq_sent > act.seq and act.reply(m)),
            None,
        )

    async def act(
        self,
        person: FakePerson,
        name: str,
        do: Callable[[], Awaitable[str]],
        reply: Reply,
        effect: Effect | None,
    ) -> ChatMessage | None:
        """Do it, wait for the answer; do it again if it was lost. The answer, if any."""
        while True:
            act = Act(person, name, reply, effect, self.fake.current_seq)
            self.open_acts[person.id] = act
            act.ref = await do()

            def settled(act: Act = act) -> ChatMessage | str | None:
                return self.answer_to(act) or act.outcome

            found = await self.until(settled, f"{person.first_name}'s answer to {name!r}")
            if found == "lost":
                self.lost.append(f"{person.first_name}: {name}")
                continue
            del self.open_acts[person.id]
            return found if isinstance(found, ChatMessage) else None

    async def play(self, opd: Opd, rng: random.Random) -> None:
        """Step 3 of one OPD, as its PPID Pendukung does it in the chat."""
        person = self.persons[opd.uid]
        _, e2 = opd.entries
        data = document_bytes(opd.index)
        handover = await self.until(
            lambda: next((m for m in person.chat.bot_messages if "📥" in m.text), None),
            f"{person.first_name}'s hand-over of step 3",
        )

        async def think() -> None:
            await asyncio.sleep(rng.uniform(0.1, 1.5))

        async def send_document() -> str:
            mid = await person.send_document(f"laporan-{code(opd.index)}.pdf", data, caption="#1")
            return f"m:{person.id}:{mid}"

        async def press(button: str, message: ChatMessage) -> str:
            return "c:" + await person.press_data(button, message)

        async def write(text: str) -> str:
            return f"m:{person.id}:{await person.send(text)}"

        await asyncio.sleep(rng.uniform(0, 4))
        await self.act(person, "document #1", send_document,
                       lambda m: "diterima untuk entri #1" in m.text,
                       lambda s: sha(data) in s.hashes)  # fmt: skip
        await think()
        await self.act(person, "not held #2", lambda: press(encode("nh", e2), handover),
                       lambda m: "alasan entri #2" in m.text,
                       lambda s: s.dialogs.get(opd.user_id) == "not_held" or e2 in s.not_held)  # fmt: skip
        await think()
        await self.act(person, "reason #2", lambda: write(REASON),
                       lambda m: "dicatat tidak dikuasai" in m.text,
                       lambda s: e2 in s.not_held)  # fmt: skip
        await think()

        def with_send_button(m: ChatMessage) -> bool:
            return any(d.startswith("1:s3:") for d in m.button_data.values())

        panel = await self.act(person, "open case", lambda: press(encode("op", opd.case_id), handover),
                               with_send_button, None)  # fmt: skip
        assert panel is not None
        send = next(d for d in panel.button_data.values() if d.startswith("1:s3:"))
        await think()
        await self.act(person, "send to PPID Utama", lambda: press(send, panel),
                       lambda m: "dikirim ke PPID Utama" in m.text,
                       lambda s: s.steps[opd.case_id] == 4)  # fmt: skip

    # ---------------------------------------------------------------- the kills

    async def after_kill(self) -> None:
        """Right after a kill: which notices were in flight, what was lost, what was left."""
        async with self.db.transaction() as uow:
            in_flight = {r.id for r in await uow.outbox.uncertain()}
        self.uncertain |= in_flight
        self.kills_in_a_send += bool(in_flight)
        self.temp_files_at_kills += sum(1 for p in temp_files(self.store))
        snap = await snapshot(self.db)
        self.orphans_at_kills |= set(stored_files(self.store)) - snap.hashes
        pending = pending_refs(self.fake)
        for act in list(self.open_acts.values()):
            if act.outcome is not None or act.ref is None or self.answer_to(act) is not None:
                continue
            if act.effect is not None and act.effect(snap):
                act.outcome = "done"  # it took effect; only its answer was lost
            elif act.ref not in pending:
                # Confirmed to Telegram by the process that fetched it, which is dead now.
                act.outcome = "lost"


def pending_refs(fake: FakeTelegram) -> set[str]:
    refs = set()
    for update in fake.pending_updates:
        if "message" in update:
            message = update["message"]
            refs.add(f"m:{message['chat']['id']}:{message['message_id']}")
        if "callback_query" in update:
            refs.add(f"c:{update['callback_query']['id']}")
    return refs


async def snapshot(db: Database) -> Snapshot:
    async with db.transaction() as uow:
        hashes = frozenset(await uow.documents.all_hashes())
        all_cases = await uow.cases.all()
        entries = [e for c in all_cases for e in await uow.entries.for_case(c.id)]
        not_held = frozenset(e.id for e in entries if e.resolution == "not_held")
        dialogs = {}
        for user in await uow.users.all():
            dialog = await uow.dialogs.get(user.id)
            if dialog is not None:
                dialogs[user.id] = dialog[0]
    return Snapshot(hashes, not_held, dialogs, {c.id: c.step for c in all_cases})


def temp_files(store: FileStore) -> Iterator[Path]:
    if store.tmp_dir.is_dir():
        yield from (p for p in store.tmp_dir.iterdir() if p.is_file())


def stored_files(store: FileStore) -> dict[str, Path]:
    """The files at content addresses (the temporary directory left out)."""
    if not store.root.is_dir():
        return {}
    return {
        p.name: p for p in store.root.rglob("*") if p.is_file() and store.tmp_dir not in p.parents
    }


async def prepare(settings: Settings, db: Database, count: int, titles: list[str]) -> list[Opd]:
    """At T0, without any bot: the people, and a round for `count` OPDs approved into step 3,
    each with an entry per title."""
    ctx = make_ctx(settings=settings, db=db, calendar=await load_calendar(settings, db),
              files=FileStore(settings.documents_dir), clock=lambda: T0)  # fmt: skip
    async with db.transaction() as uow:
        for i in range(count):
            await uow.opds.upsert(code(i), opd_name(i))
        opd_ids = {o.code: o.id for o in await uow.opds.all()}
        people: list[tuple[int, str, Role, int | None]] = [
            (PEJABAT, "Bapak Andi", Role.PEJABAT, None),
            (UTAMA1, "Ibu Rina", Role.UTAMA, None),
            (UTAMA2, "Bapak Yusuf", Role.UTAMA, None),
        ]
        people += [
            (FIRST_PENDUKUNG + i, f"Petugas {code(i)}", Role.PENDUKUNG, opd_ids[code(i)])
            for i in range(count)
        ]
        for uid, name, role, opd_id in people:
            await uow.users.add(name=name, role=role, opd_id=opd_id, channel="telegram",
                                external_id=str(uid), chat_id=str(uid), now=T0)  # fmt: skip
        users = {int(u.external_id or 0): u for u in await uow.users.all()}
        await uow.commit()
    pejabat, utama = users[PEJABAT], users[UTAMA1]
    views = await cases.create_round(ctx, pejabat, "DIP 2027", list(opd_ids.values()))
    opds = []
    for i, view in enumerate(sorted(views, key=lambda v: v.opd.code)):
        case_id = view.case.id
        for title in titles:
            await drafting.add_entry(ctx, pejabat, case_id, f"{title} {code(i)}", "Isi", 0)
        v = await cases.view(ctx, case_id)
        await drafting.send_to_utama(ctx, pejabat, case_id, v.case.version)
        v = await cases.view(ctx, case_id)
        await review.approve_step2(ctx, utama, case_id, v.case.version)
        v = await cases.view(ctx, case_id)
        assert v.case.step == 3 and [e.number for e in v.entries] == list(range(1, len(titles) + 1))
        uid = FIRST_PENDUKUNG + i
        opds.append(Opd(i, case_id, tuple(e.id for e in v.entries), uid, users[uid].id))
    return opds


async def ready(chaos: Chaos, runs: int) -> None:
    """Wait for a run's start-up (set_my_commands ends it; polling begins right after)."""

    def started() -> bool | None:
        return True if len(chaos.fake.calls_of("setMyCommands")) >= runs else None

    await chaos.until(started, f"start {runs} of the bot")


async def test_a_round_of_forty_opds_survives_six_sigkills_without_losing_acts_or_notices(
    tmp_path: Path,
) -> None:
    began = time.monotonic()
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir)
    db = await Database.open(settings.database_target)
    store = FileStore(settings.documents_dir)
    rng = random.Random(SEED)
    try:
        opds = await prepare(settings, db, OPD_COUNT, ["Laporan Keuangan", "Renstra"])
        async with FakeTelegram() as fake:
            for uid, name in ((PEJABAT, "Andi"), (UTAMA1, "Rina"), (UTAMA2, "Yusuf")):
                fake.person(uid, name, started=True)
            persons = {
                o.uid: fake.person(o.uid, f"Petugas{o.index:02d}", started=True) for o in opds
            }
            chaos = Chaos(fake, db, store, opds, persons)
            players = asyncio.gather(
                *(chaos.play(opd, random.Random(SEED + opd.uid)) for opd in opds)
            )
            try:
                for run in range(1, KILLS + 2):
                    clock_start = FIRST_START + timedelta(seconds=time.monotonic() - began)
                    env = bot_env(fake, data_dir, tmp_path, clock_start)
                    log = tmp_path / f"bot-{run}.log"
                    async with bot_process(env, cwd=tmp_path, log=log) as bot:
                        chaos.logs.append(bot.log)
                        await ready(chaos, run)
                        if run <= KILLS:
                            await asyncio.sleep(rng.uniform(0.2, 2.0))
                            assert await bot.kill() == -9, bot.log()
                            await chaos.after_kill()
                            await asyncio.sleep(rng.uniform(0.0, 0.4))
                            continue
                        # The last run is left alone until every act took effect and every
                        # notice went out, then stopped gracefully.
                        while not players.done():
                            await asyncio.wait({players}, timeout=0.25)
                            chaos.progress.check("every act to take effect", chaos.log)
                        await players
                        while not await delivered(db):
                            await asyncio.sleep(0.05)
                            chaos.progress.check("the outbox to drain", chaos.log)
                        await asyncio.sleep(0.5)  # a stray double would show up here
                        leftovers = list(temp_files(store))
                        assert await bot.terminate() == 0, bot.log()
            finally:
                if not players.done():
                    players.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await players
            await check_outcome(chaos, leftovers)
            fake.assert_no_protocol_errors()
        print(
            f"\ncrash: {KILLS} kills, {chaos.kills_in_a_send} in a send "
            f"({len(chaos.uncertain)} notices uncertain), {len(chaos.lost)} acts lost in flight "
            f"and done again {dict(Counter(act.split(': ')[1] for act in chaos.lost))}, "
            f"{chaos.temp_files_at_kills} temporary files and "
            f"{len(chaos.orphans_at_kills)} blobs without a row left at kills, "
            f"longest pause of the bot {chaos.progress.longest:.1f}s, "
            f"{time.monotonic() - began:.1f}s"
        )
    finally:
        await db.close()


async def delivered(db: Database) -> bool | None:
    async with db.transaction() as uow:
        return True if await uow.outbox.count("pending") == 0 else None


async def check_outcome(chaos: Chaos, leftovers: list[Path]) -> None:
    db, fake, store = chaos.db, chaos.fake, chaos.store
    logs = chaos.log()
    for read in chaos.logs:
        text = read()
        assert ERROR_LOG not in text and "Traceback" not in text, text[-5000:]
    assert not [m for m in fake.sent if "kesalahan di sistem" in m.text], logs

    # 0 lost acts: every case in step 4, with its document and its entry not held.
    snap = await snapshot(db)
    async with db.transaction() as uow:
        docs = {o.case_id: await uow.documents.for_case(o.case_id) for o in chaos.opds}
        entries = {o.case_id: await uow.entries.for_case(o.case_id) for o in chaos.opds}
        tasks = {o.case_id: await uow.tasks.for_case(o.case_id) for o in chaos.opds}
        audit = {o.case_id: await uow.audit.for_case(o.case_id) for o in chaos.opds}
        rows = await uow.outbox.listing(("pending", "sent", "failed", "skipped"))
        chats = {u.id: int(u.chat_id or 0) for u in await uow.users.all()}
    for opd in chaos.opds:
        c = opd.case_id
        assert snap.steps[c] == 4, (code(opd.index), logs)
        assert [(d.entry_id, d.sha256) for d in docs[c]] == [
            (opd.entries[0], sha(document_bytes(opd.index)))
        ]
        assert [(e.resolution, e.resolution_note) for e in entries[c]] == [
            ("documents", None),
            ("not_held", REASON),
        ]

    # 0 orphaned or half-written files: nothing temporary, each file named by its hash, and
    # (every upload having ended with its row) no file without a row.
    assert leftovers == [] and list(temp_files(store)) == []
    files = stored_files(store)
    assert all(sha(p.read_bytes()) == name for name, p in files.items())
    assert set(files) == snap.hashes == {sha(document_bytes(o.index)) for o in chaos.opds}

    # The audit trail: one row per change of each case, matching its tasks' history.
    for opd in chaos.opds:
        c = opd.case_id
        ok = [a for a in audit[c] if a.outcome == "ok"]
        closed = [t for t in tasks[c] if t.done_at is not None]
        assert [t.step for t in tasks[c]] == [1, 2, 3, 4] and len(closed) == 3
        transitions = [(a.action, a.user_id, a.at) for a in ok if a.action.startswith("step")]
        assert transitions == [
            (f"step{t.step}:{t.outcome}", t.done_by, t.done_at) for t in closed
        ], code(opd.index)
        assert closed[2].done_by == opd.user_id
        changes = [a.action for a in ok if not a.action.startswith("step")]
        assert changes == [
            "round:create", *["entry:add"] * len(entries[c]), "document:add", "entry:not_held"
        ], (code(opd.index), changes, chaos.lost, logs)  # fmt: skip
        added = next(a for a in ok if a.action == "document:add")
        assert added.note is not None and docs[c][0].sha256 in added.note

    # 0 lost notifications: every row sent or skipped. Each hand-over that was rendered arrived
    # once; twice only for a row the database had as handed over but unconfirmed at a kill.
    assert {r.state for r in rows} <= {"sent", "skipped"}, Counter(r.state for r in rows)
    case_of = {o.case_id: o for o in chaos.opds}
    expected: dict[tuple[int, int], int] = {}
    for r in rows:
        payload = r.payload
        if payload["kind"] == "handover" and payload["step"] in (3, 4) and r.state == "sent":
            expected[(chats[r.user_id], case_of[payload["case_id"]].index)] = r.id
    got: Counter[tuple[int, int]] = Counter()
    for m in fake.sent:
        if m.action == "send" and m.text.startswith("📥"):
            found = OPD_NAME.search(m.text)
            assert found is not None, m.text
            got[(m.chat_id, int(found.group(1)))] += 1
    # Step 3 to each OPD's PPID Pendukung, step 4 to both PPID Utama, for every OPD.
    assert set(expected) == {
        (chat, o.index) for o in chaos.opds for chat in (o.uid, UTAMA1, UTAMA2)
    }
    assert set(got) == set(expected), logs
    doubled = {key: n for key, n in got.items() if n > 1}
    assert all(expected[key] in chaos.uncertain for key in doubled), (doubled, chaos.uncertain)


async def test_an_update_being_handled_when_the_bot_is_killed_is_handled_after_the_restart(
    tmp_path: Path,
) -> None:
    """The bot confirms an update to Telegram only after handling it (bot/polling.py), so an act
    it is busy with when it dies is delivered again after the restart and takes effect."""
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir)
    db = await Database.open(settings.database_target)
    try:
        (opd,) = await prepare(settings, db, 1, ["Laporan Keuangan"])
        async with FakeTelegram() as fake:
            sari = fake.person(opd.uid, "Sari", started=True)
            held = fake.inject("getFile", delay=30, times=1)  # the download hangs
            data = document_bytes(0)
            env = bot_env(fake, data_dir, tmp_path, FIRST_START)
            async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-1.log") as bot:
                await sari.wait_for_text("📥", timeout=20)
                await sari.send_document("laporan.pdf", data, caption="#1")

                async def busy() -> bool | None:
                    return True if held.hits else None

                await eventually(busy, "the download to start", context=bot.log)
                assert fake.pending_updates, "confirmed before it was handled"
                assert await bot.kill() == -9
            fake.faults.clear()
            env = bot_env(fake, data_dir, tmp_path, FIRST_START + timedelta(minutes=1))
            async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-2.log") as bot:
                # Handled one after the other: the answer to /bantuan comes after the document's.
                await sari.send("/bantuan")
                await sari.wait_for_text("Sebagai PPID Pendukung", timeout=20)
                assert await bot.terminate() == 0
            assert sha(data) in (await snapshot(db)).hashes, "the document sent was lost"
    finally:
        await db.close()


async def test_a_kill_between_storing_a_document_and_recording_it_leaves_a_blob_the_next_upload_adopts(
    tmp_path: Path,
) -> None:
    """The store renames the finished file into place before the database records it
    (bot/services/uploads.py receive): a crash in between leaves a complete file, named by its
    hash, that no row mentions. Harmless (content-addressed bytes the person sent; nothing
    half-written), and the same bytes sent again are recorded against that very file."""
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir)
    db = await Database.open(settings.database_target)
    store = FileStore(settings.documents_dir)
    data = document_bytes(0)
    try:
        (opd,) = await prepare(settings, db, 1, ["Laporan Keuangan"])
        async with FakeTelegram() as fake:
            sari = fake.person(opd.uid, "Sari", started=True)
            held = fake.inject("getFile", delay=1.0, times=1)
            env = bot_env(fake, data_dir, tmp_path, FIRST_START)
            async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-1.log") as bot:
                await sari.wait_for_text("📥", timeout=20)
                await sari.send_document("laporan.pdf", data, caption="#1")

                async def downloading() -> bool | None:
                    return True if held.hits else None

                async def stored() -> bool | None:
                    return True if sha(data) in stored_files(store) else None

                await eventually(downloading, "the download to start", context=bot.log)
                # The test holds the database: the bot stores the file, then waits to record it.
                async with db.transaction():
                    await eventually(stored, "the file to be stored", context=bot.log)
                    assert await bot.kill() == -9
            assert set(stored_files(store)) == {sha(data)}
            assert (await snapshot(db)).hashes == set() and list(temp_files(store)) == []

            env = bot_env(fake, data_dir, tmp_path, FIRST_START + timedelta(minutes=1))
            async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot-2.log") as bot:
                # No answer came (the act was lost with the process): Sari sends it again.
                await sari.send_document("laporan.pdf", data, caption="#1")
                await sari.wait_for_text("diterima untuk entri #1", timeout=20)
                assert await bot.terminate() == 0
            assert (await snapshot(db)).hashes == {sha(data)}
            files = stored_files(store)
            assert set(files) == {sha(data)} and files[sha(data)].read_bytes() == data
            fake.assert_no_protocol_errors()
    finally:
        await db.close()
