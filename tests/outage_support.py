"""Database outages for real: `wenming serve` talks to PostgreSQL through a TCP relay the test
controls. The relay can cut every connection and refuse new ones (a server that went away),
freeze (accept and hold, answer nothing: a SIGSTOPped server), or cut a connection just after
forwarding a COMMIT's acknowledgement (the server dying between COMMIT and the next use of the
connection). PostgreSQL, Wenming and the HTTP clients are the real ones."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from tests.live_support import free_socket

POSTGRES_URL = os.environ.get("WENMING_TEST_POSTGRES_URL")
WENMING = str(Path(sys.executable).with_name("wenming"))
COMMIT_ACK = b"C\x00\x00\x00\x0bCOMMIT\x00"  # CommandComplete "COMMIT" in the wire protocol


class Relay:
    """A TCP relay in its own thread: 127.0.0.1:<port> -> target."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        with free_socket() as s:
            self.port = s.getsockname()[1]
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.frozen = threading.Event()
        self.cut_after_commit = 0  # connections still to cut just after a COMMIT's acknowledgement
        self.commits_cut = 0

    def __enter__(self) -> Relay:
        self.thread.start()
        self.up()
        return self

    def __exit__(self, *exc: object) -> None:
        self._call(self._down())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def up(self) -> None:
        self.frozen.clear()
        self._call(self._up())

    def down(self) -> None:
        """Every connection cut, new ones refused."""
        self._call(self._down())

    def freeze(self) -> None:
        """Connections stay open, nothing is forwarded (new ones are accepted and held)."""
        self.frozen.set()

    def thaw(self) -> None:
        """The end of a freeze: the held connections are cut (a server resumed after long
        silence finds its clients gone), new ones work."""
        self.frozen.clear()
        self._call(self._cut_all())

    async def _up(self) -> None:
        if self.server is None:
            self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, reuse_address=True)

    async def _down(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        await self._cut_all()

    async def _cut_all(self) -> None:
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.writers.add(up_writer)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, from_server: bool) -> None:
            try:
                while data := await src.read(65536):
                    while self.frozen.is_set():
                        await asyncio.sleep(0.05)
                    dst.write(data)
                    await dst.drain()
                    if from_server and COMMIT_ACK in data and self.cut_after_commit > 0:
                        self.cut_after_commit -= 1
                        self.commits_cut += 1
                        writer.transport.abort()
                        up_writer.transport.abort()
                        return
            except (ConnectionError, OSError):
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer, False), pipe(up_reader, writer, True))
        self.writers.discard(writer)
        self.writers.discard(up_writer)


def postgres_or_skip() -> str:
    if not POSTGRES_URL:
        pytest.skip("needs PostgreSQL: set WENMING_TEST_POSTGRES_URL (the outage tests cut its connections)")
    return POSTGRES_URL


@contextlib.contextmanager
def database(server_url: str, name: str) -> Iterator[str]:
    """A fresh database beside the test server's; its URL."""

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(server_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    asyncio.run(run(f"CREATE DATABASE {name}"))
    try:
        yield urlunsplit(urlsplit(server_url)._replace(scheme="postgres", path=f"/{name}"))
    finally:
        asyncio.run(run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def through(url: str, relay: Relay) -> str:
    """The same database, reached through the relay."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    user = f"{netloc[0]}@" if len(netloc) == 2 else ""
    return urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{relay.port}"))


SEED = textwrap.dedent("""
    import asyncio, sys
    from api import db
    from api.domain import accounts, sites
    from api.models.accounts import Role
    from api.models.sites import SiteKind

    async def main(url):
        async with db.connected(url):
            centre = await sites.create_site(kind=SiteKind.CENTER, name="停电测试中心", region_code="350504")
            account = await accounts.create_account("outage.admin")
            await accounts.grant(account, centre, Role.ADMIN)
            _, secret = await accounts.create_token("outage test", account=account)
            print(centre.id, secret)

    asyncio.run(main(sys.argv[1]))
""")


def seed(url: str, env: dict[str, str]) -> tuple[int, str]:
    """A centre and an ADMIN token on it, written by Wenming's own domain code."""
    done = subprocess.run([sys.executable, "-c", SEED, url], env=env, check=True, capture_output=True, text=True,
                          timeout=60)
    site_id, token = done.stdout.split()
    return int(site_id), token


@contextlib.contextmanager
def serving(tmp: Path, url: str, **settings: object) -> Iterator[httpx.Client]:
    """`wenming migrate`, a seed, then `wenming serve` against ``url``; an HTTP client to it
    (with .site_id and .token set). Its log is kept in tmp/serve.log."""
    env = os.environ | {"WENMING_DATABASE_URL": url, "WENMING_GRAPHIQL": "false", "WENMING_RATE_LIMIT_PER_MINUTE": "0"}
    env |= {f"WENMING_{k.upper()}": str(v) for k, v in settings.items()}
    env.pop("WENMING_REDIS_URL", None)
    subprocess.run([WENMING, "migrate"], env=env, cwd=tmp, check=True, capture_output=True, timeout=120)
    site_id, token = seed(url, env)
    with free_socket() as s:
        port = s.getsockname()[1]
    log = open(tmp / "serve.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen([WENMING, "serve", "--port", str(port)], cwd=tmp, env=env, stdout=log, stderr=log)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp / "serve.log").read_text()
            with contextlib.suppress(httpx.TransportError):
                if client.get("/health").status_code == 200:
                    break
            assert time.monotonic() < deadline, "wenming serve did not answer /health"
            time.sleep(0.1)
        client.site_id, client.token = site_id, token  # type: ignore[attr-defined]
        client.process = process  # type: ignore[attr-defined]
        yield client
    finally:
        client.close()
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_until(check, what: str, seconds: float = 30.0) -> None:
    """Poll ``check()`` until it is true; fail (naming ``what``) after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"still not {what} after {seconds} s"
        time.sleep(0.2)
