"""Real servers and real clients for the live-update and kiosk tests.

``serving(app)`` runs an app under uvicorn on a free port inside the test's event loop (so it
shares the session's ORM), and ``GraphQLSocket`` speaks graphql-transport-ws to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from api.domain import accounts
from api.models.accounts import Role
from api.models.events import Event, EventStatus
from api.models.sites import Site
from tests.network import gid
from api.settings import Settings

REDIS_URL = os.environ.get("WENMING_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WAIT = 10.0  # seconds: the most any step may take before the test fails instead of hanging


def redis_or_skip() -> str:
    parts = urlsplit(REDIS_URL)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 1).close()
    except OSError:
        pytest.skip(
            f"Redis does not answer at {REDIS_URL}: start one (apt-get install redis-server) "
            "or point WENMING_TEST_REDIS_URL at one"
        )
    return REDIS_URL


def redis_settings(settings: Settings, prefix: str) -> Settings:
    """The test settings with Redis, on channels of their own (pub/sub ignores database numbers,
    and other test runs may share this Redis)."""
    return settings.model_copy(update={"redis_url": redis_or_skip(), "redis_prefix": prefix})


def unique_prefix() -> str:
    return f"wenming-test-{uuid.uuid4().hex[:12]}"


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class Served:
    def __init__(self, server: uvicorn.Server, task: asyncio.Task, port: int) -> None:
        self.server, self.task, self.port = server, task, port
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}/graphql"

    async def stop(self) -> None:
        if not self.task.done():
            self.server.should_exit = True
            await asyncio.wait_for(self.task, WAIT)


@contextlib.asynccontextmanager
async def serving(app, sock: socket.socket | None = None) -> AsyncIterator[Served]:
    """A real uvicorn server for ``app`` (lifespan on, so its bus is closed at the end), on
    ``sock`` when the caller needs to know the port before building the app."""
    sock = sock or free_socket()
    config = uvicorn.Config(app, lifespan="on", log_level="warning", ws="websockets-sansio", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    served = Served(server, task, sock.getsockname()[1])
    try:
        await until(lambda: server.started or task.done(), "the server to start")
        if task.done():
            task.result()  # raises what stopped it
        yield served
    finally:
        await served.stop()
        sock.close()


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait (bounded) for a condition that another task makes true."""
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.01)
    if not condition():
        raise AssertionError(f"timed out waiting for {what}")


class GraphQLSocket:
    """A graphql-transport-ws client on a real WebSocket."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self._ids = 0

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, url: str, origin: str | None = None) -> AsyncIterator[GraphQLSocket]:
        headers = {"Origin": origin} if origin else None
        async with connect(url, subprotocols=["graphql-transport-ws"], additional_headers=headers) as conn:
            client = cls(conn)
            await conn.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert (await client.receive())["type"] == "connection_ack"
            yield client

    async def receive(self) -> dict:
        async with asyncio.timeout(WAIT):
            return json.loads(await self.conn.recv())

    async def subscribe(self, query: str, **variables) -> str:
        self._ids += 1
        sid = str(self._ids)
        payload = {"query": query, "variables": variables}
        await self.conn.send(json.dumps({"id": sid, "type": "subscribe", "payload": payload}))
        return sid

    async def next(self) -> dict:
        """The next result pushed on any subscription (its payload: data and/or errors)."""
        while True:
            message = await self.receive()
            if message["type"] == "ping":
                await self.conn.send(json.dumps({"type": "pong"}))
                continue
            if message["type"] == "complete":  # a subscription that ended (after its errors)
                continue
            assert message["type"] in ("next", "error"), message
            return message["payload"] if message["type"] == "next" else {"errors": message["payload"]}


async def listening(app, channel: str, count: int = 1) -> None:
    """Wait until ``count`` subscribers of this app follow ``channel`` (their subscribe() ran)."""
    await until(lambda: app.state.bus.listeners(channel) >= count, f"{count} listener(s) on {channel!r}")




UPDATE_EVENT = """mutation($input: UpdateEventInput!) { updateEvent(input: $input) { event { version } errors { message } } }"""
STATUS_MUTATIONS = {EventStatus.CANCELLED: "cancelEvent", EventStatus.PUBLISHED: "publishEvent", EventStatus.DRAFT: "unpublishEvent"}


async def _editor_everywhere() -> str:
    account = await accounts.create_account(f"live-{uuid.uuid4().hex[:8]}")
    for county in await Site.filter(parent_id=None):
        await accounts.grant(account, county, Role.EDITOR)
    return (await accounts.create_token("live test editor", account=account))[1]


async def edit_through(app, event: Event, **fields) -> None:
    """An editor's change to an event, made with the real mutation over HTTP through server
    ``app`` (so the announcement goes out on that server's bus, after the commit)."""
    current = await Event.get(id=event.id)
    if "status" in fields:
        name = STATUS_MUTATIONS[fields.pop("status")]
        query = f"mutation($input: EventVersionInput!) {{ {name}(input: $input) {{ event {{ version }} errors {{ message }} }} }}"
        changes = {}
    else:
        query = UPDATE_EVENT
        changes = {"title": fields.pop("title", current.title)}
        if "site_id" in fields:
            changes["siteId"] = gid("Site", fields.pop("site_id"))
    assert not fields, f"edit_through cannot change {sorted(fields)}"
    variables = {"input": {"id": gid("Event", event.id), "version": current.version, **changes}}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://worker") as http:
        response = await http.post("/graphql", json={"query": query, "variables": variables},
                                   headers={"Authorization": f"Bearer {await _editor_everywhere()}"})
    (result,) = response.json()["data"].values()
    assert result["errors"] == [], result["errors"]
    event.version = result["event"]["version"]
