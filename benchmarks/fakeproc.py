"""The fake Bot API in a child process, with the simulated people who talk to the bot.

The bot under test runs in the benchmark's process; the fake Telegram server and the people run
here, in another process (the machine has two cores: one for the bot, one for its "Telegram"), so
that what is measured is the bot's work, not the simulation's. The parent drives this process with
one JSON object per line on stdin and reads one JSON answer per line on stdout.

The people wait for the bot's answers through a per-chat future resolved when the bot's message
arrives (:class:`BenchFake`), not through ``FakePerson.wait_for``, which wakes every waiting person
at every change: fine for a test with five people, quadratic for two hundred.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from benchmarks.common import ROOT, percentile
from bot.fakeapi.models import ChatMessage
from bot.fakeapi.people import FakePerson
from bot.fakeapi.server import FakeTelegram

JSONObj = dict[str, Any]
PDF_HEAD = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


def pdf_of(size: int) -> bytes:
    return PDF_HEAD + os.urandom(size - len(PDF_HEAD))


class BenchFake(FakeTelegram):
    """The fake, telling each waiting person at once when the bot writes in their chat."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.waiters: dict[int, asyncio.Future[ChatMessage]] = {}
        self.unexpected = 0
        """Bot messages nobody was waiting for (a reply in two messages, a stray notice)."""

    def _post_bot_message(self, *args: Any, **kwargs: Any) -> ChatMessage:
        message = super()._post_bot_message(*args, **kwargs)
        waiter = self.waiters.pop(message.chat.id, None)
        if waiter is None:
            self.unexpected += 1
        elif not waiter.done():
            waiter.set_result(message)
        return message


class Driver:
    """Executes the parent's commands against one :class:`BenchFake`."""

    def __init__(self, fake: BenchFake) -> None:
        self.fake = fake
        self.people: dict[int, FakePerson] = {}
        self.menus: dict[int, ChatMessage] = {}

    async def handle(self, cmd: JSONObj) -> JSONObj:
        op = cmd["op"]
        if op == "people":
            for uid in cmd["ids"]:
                self.people[uid] = self.fake.person(
                    uid, f"Orang {uid}", started=bool(cmd.get("started"))
                )
            return {"people": len(self.people)}
        if op == "drive":
            return await self.drive(cmd)
        if op == "document":
            return await self.document(cmd)
        if op == "stats":
            sends = Counter(s.chat_id for s in self.fake.sent if s.action == "send")
            return {
                "sent": len(self.fake.sent),
                "sends_per_chat": {str(k): v for k, v in sends.items()},
                "calls": Counter(c.method for c in self.fake.calls),
                "protocol_errors": self.fake.protocol_errors,
                "unexpected": self.fake.unexpected,
            }
        raise ValueError(f"unknown op {op!r}")

    async def _act(self, person: FakePerson, action: tuple[str, str], wait_s: float) -> float:
        """One action of a person; returns the seconds until the bot's answer is visible."""
        loop = asyncio.get_running_loop()
        chat = person.chat
        waiter: asyncio.Future[ChatMessage] = loop.create_future()
        self.fake.waiters[chat.id] = waiter
        kind, value = action
        began = time.perf_counter()
        if kind == "text":
            self.fake.post_user_message(person, chat, text=value)
        else:
            menu = self.menus[person.id]
            data = menu.button_data[value]
            self.fake.post_callback(person, menu, data, value)
        reply = await asyncio.wait_for(waiter, wait_s)
        elapsed = time.perf_counter() - began
        if kind == "text" and value == "/bantuan":
            self.menus[person.id] = reply  # the menu whose button is pressed next
        return elapsed

    async def drive(self, cmd: JSONObj) -> JSONObj:
        """Every person runs `script` `warmup` times unmeasured, then `rounds` times measured,
        each action waiting for the bot's answer before the next (a closed loop)."""
        script = [(str(kind), str(value)) for kind, value in cmd["script"]]
        timeout = float(cmd.get("timeout", 60.0))
        people = [self.people[uid] for uid in cmd["ids"]]
        latencies: list[float] = []

        async def run(person: FakePerson, rounds: int, record: bool) -> None:
            for _ in range(rounds):
                for action in script:
                    elapsed = await self._act(person, action, timeout)
                    if record:
                        latencies.append(elapsed)

        await asyncio.gather(*(run(p, int(cmd.get("warmup", 1)), False) for p in people))
        unexpected_before = self.fake.unexpected
        began = time.perf_counter()
        cpu = time.process_time()
        await asyncio.gather(*(run(p, int(cmd["rounds"]), True) for p in people))
        elapsed = time.perf_counter() - began
        cpu = time.process_time() - cpu
        return {
            "updates": len(latencies),
            "elapsed": elapsed,
            "cpu": cpu,
            "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95),
            "p99": percentile(latencies, 99),
            "unexpected": self.fake.unexpected - unexpected_before,
        }

    async def document(self, cmd: JSONObj) -> JSONObj:
        """A person sends a PDF of `size` bytes; waits for the bot's answer."""
        person = self.people[cmd["uid"]]
        data = pdf_of(int(cmd["size"]))
        digest = hashlib.sha256(data).hexdigest()
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[ChatMessage] = loop.create_future()
        self.fake.waiters[person.chat.id] = waiter
        began = time.perf_counter()
        message_id = await person.send_document(cmd["name"], data, "application/pdf")
        reply = await asyncio.wait_for(waiter, float(cmd.get("timeout", 60.0)))
        elapsed = time.perf_counter() - began
        sent = person.chat.find(message_id)
        assert sent is not None and sent.file is not None
        return {
            "sha256": digest,
            "file_id": sent.file.file_id,
            "e2e": elapsed,
            "reply": reply.text[:300],
        }


async def serve() -> None:
    """The child: start the fake, say where it listens, then answer commands until EOF."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def send(obj: JSONObj) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    async with BenchFake() as fake:
        driver = Driver(fake)
        send({"port": fake.port, "token": fake.token})
        while line := await reader.readline():
            cmd = json.loads(line)
            if cmd["op"] == "stop":
                break
            try:
                send({"ok": True, "result": await driver.handle(cmd)})
            except Exception as exc:
                send({"ok": False, "error": f"{type(exc).__name__}: {exc}"})


class RemoteFake:
    """The parent's handle on the child process."""

    def __init__(self, proc: asyncio.subprocess.Process, port: int, token: str) -> None:
        self.proc = proc
        self.port = port
        self.token = token

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}{self.token}"

    async def call(self, op: str, **params: Any) -> JSONObj:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write((json.dumps({"op": op, **params}) + "\n").encode())
        await self.proc.stdin.drain()
        line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the fake's process ended during {op!r}")
        answer: JSONObj = json.loads(line)
        if not answer["ok"]:
            raise RuntimeError(f"the fake failed {op!r}: {answer['error']}")
        result: JSONObj = answer["result"]
        return result


@asynccontextmanager
async def remote_fake() -> AsyncIterator[RemoteFake]:
    """Start the fake in a child process; stop it on the way out."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.fakeproc",
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=16 * 1024 * 1024,
    )
    try:
        assert proc.stdout is not None
        hello = json.loads(await proc.stdout.readline())
        yield RemoteFake(proc, int(hello["port"]), str(hello["token"]))
    finally:
        if proc.returncode is None and proc.stdin is not None:
            proc.stdin.write(b'{"op": "stop"}\n')
            proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()


if __name__ == "__main__":
    asyncio.run(serve())
