"""Several bot processes on one PostgreSQL database behind a round-robin load balancer, for the
three-instance test (issue 18, item 7).

`Balancer` is what a load balancer (nginx, HAProxy) does in front of the instances: each request
goes to the next instance in turn, an instance that refuses the connection is skipped for the next
one, and a request whose instance dies while it handles it is answered 502 (never sent to another
instance: a POST is not retried by the balancer), so the platform posts it again later, as
Telegram and Meta do. The fakes post to the balancer's URL, never to an instance.

`Instances` starts the bot processes (`python -m bot run --no-demo`, Telegram and WhatsApp both in
webhook mode on one port each), kills and restarts them. Every process's clock (and the fakes')
is one running clock from `START`, so a restarted instance's clock agrees with the others', but
for each instance's few seconds of drift (`DRIFT`), as between servers.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.fakeapi.server import FakeTelegram
from bot.fakeapi.whatsapp import FakeWhatsApp
from bot.fakeapi.whatsapp.harness import free_port
from tests.e2e.processes import BotProcess, bot_process, eventually

# Hop-by-hop headers are the balancer's own, not the request's (RFC 9110, 7.6.1).
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host", "content-length"}
)
ROOT = Path(__file__).resolve().parents[2]
UPSTREAM_TIMEOUT_S = 30.0  # longer than the fakes wait: they give up and post again first


# The servers' clocks differ by a few seconds (the issue's bad input; NTP keeps them closer).
DRIFT = (timedelta(0), timedelta(seconds=3), timedelta(seconds=-3))


def running_clock(start: datetime) -> Callable[[], datetime]:
    """`start`, then real time: the clock of every process of the test (in `start`'s zone, which
    a bot process takes for its own when given the instant in PPID_CLOCK_START)."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


class Balancer:
    """A round-robin HTTP load balancer on a free loopback port, in front of `ports`."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.port = free_port()
        self.served: Counter[int] = Counter()
        """Requests each instance (by port) answered, whatever the answer."""
        self.broken: Counter[int] = Counter()
        """Requests whose instance went away while it had them (answered 502)."""
        self.in_hand: Counter[int] = Counter()
        """Requests each instance has now (forwarded, not yet answered)."""
        self._next = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Balancer:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=UPSTREAM_TIMEOUT_S),
            connector=aiohttp.TCPConnector(force_close=True),  # a killed instance leaves no socket
        )
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def _turns(self) -> list[int]:
        """The instances in the order this request tries them: the next one first."""
        first = self._next % len(self.ports)
        self._next += 1
        return self.ports[first:] + self.ports[:first]

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        for port in self._turns():
            target = f"http://127.0.0.1:{port}{request.path_qs}"
            self.in_hand[port] += 1
            try:
                async with self._session.request(
                    request.method, target, data=body, headers=headers
                ) as answer:
                    content = await answer.read()
                    self.served[port] += 1
                    kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
                    return web.Response(status=answer.status, body=content, headers=kept)
            except aiohttp.ClientConnectorError:
                continue  # down: the next instance takes it
            except (aiohttp.ClientError, TimeoutError):
                self.broken[port] += 1
                return web.Response(status=502)  # it died with the request: posted again later
            finally:
                self.in_hand[port] -= 1
        return web.Response(status=502)  # every instance down


@dataclass
class Instances:
    """The bot processes behind `balancer`, each started with `env` and its own port."""

    env: Mapping[str, str]
    balancer: Balancer
    clock: Callable[[], datetime]
    cwd: Path
    running: dict[int, BotProcess] = field(default_factory=dict)
    starts: Counter[int] = field(default_factory=Counter)
    _stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    def logs(self) -> str:
        """Every instance's log so far, for a failing test's message."""
        return "\n".join(
            f"--- instance {i} ---\n{bot.log()[-6000:]}" for i, bot in self.running.items()
        )

    def port(self, index: int) -> int:
        return self.balancer.ports[index]

    async def start(self, index: int) -> BotProcess:
        """Start instance `index` (its clock where the others' are, give or take its `DRIFT`)
        and wait until it listens."""
        self.starts[index] += 1
        env = dict(self.env) | {
            "PPID_WEBHOOK_PORT": str(self.port(index)),
            "PPID_CLOCK_START": (self.clock() + DRIFT[index % len(DRIFT)]).isoformat(),
        }
        log = self.cwd / f"bot-{index}-{self.starts[index]}.log"
        bot = await self._stack.enter_async_context(bot_process(env, cwd=self.cwd, log=log))
        self.running[index] = bot
        await eventually(lambda: self._listening(index), f"instance {index} to listen",
                         timeout=60, every=0.1, context=bot.log)  # fmt: skip
        return bot

    async def _listening(self, index: int) -> bool | None:
        if not self.running[index].running:
            raise AssertionError(f"instance {index} exited:\n{self.running[index].log()}")
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session,
                session.get(f"http://127.0.0.1:{self.port(index)}/healthz"),
            ):
                return True  # any answer (an unhealthy one is 503): it listens
        except (aiohttp.ClientError, TimeoutError):
            return None

    async def kill(self, index: int) -> None:
        """SIGKILL, as when the server loses power."""
        assert await self.running[index].kill() == -9

    async def stop_all(self) -> dict[int, int]:
        """SIGTERM to each: their exit codes."""
        return {i: await bot.terminate() for i, bot in self.running.items()}

    async def close(self) -> None:
        await self._stack.aclose()


@contextlib.asynccontextmanager
async def three_instances(
    tg: FakeTelegram,
    wa: FakeWhatsApp,
    *,
    database_url: str,
    data_dir: Path,
    home: Path,
    secret: str,
    verify_token: str,
    clock: Callable[[], datetime],
    count: int = 3,
) -> AsyncIterator[Instances]:
    """`count` bot processes on Telegram and WhatsApp (webhooks both) and one database, behind
    one balancer that both fakes post to. The fakes' webhooks are set once the first listens."""
    async with Balancer([free_port() for _ in range(count)]) as balancer:
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(home),
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(ROOT),
            "PPID_DATABASE_URL": database_url,
            "PPID_DATA_DIR": str(data_dir),  # shared by the instances, as on NFS
            "PPID_TELEGRAM_TOKEN": tg.token,
            "PPID_TELEGRAM_BASE_URL": tg.base_url,
            "PPID_TELEGRAM_BASE_FILE_URL": tg.base_file_url,
            "PPID_BOT_USERNAME": "ppid_test_bot",
            "PPID_TELEGRAM_TIMEOUT": "10",
            "PPID_WEBHOOK_URL": f"{balancer.url}/telegram",  # every instance sets the same one
            "PPID_WEBHOOK_LISTEN": "127.0.0.1",
            "PPID_WEBHOOK_SECRET": secret,
        } | wa.environment(verify_token)
        instances = Instances(env, balancer, clock, home)
        try:
            for index in range(count):
                await instances.start(index)
            await wa.deliver_to(f"{balancer.url}/whatsapp", verify_token=verify_token)
            yield instances
        finally:
            await instances.close()
