"""Live updates: a change written through one server reaches screens connected to another.

Real uvicorn servers on free ports, a real WebSocket client speaking graphql-transport-ws,
the machine's Redis, on both databases.
"""

from __future__ import annotations

import asyncio
import shutil
import socket

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from api.app import create_app
from api.domain import occurrences
from api.domain.occurrences import OccurrenceChangeKind
from api.live import LocalBus, RedisBus
from api.live.occurrences import CHANNEL
from api.models.events import Event, EventStatus
from api.settings import Settings
from tests.live_support import (
    GraphQLSocket,
    edit_through,
    free_socket,
    listening,
    redis_settings,
    serving,
    unique_prefix,
    until,
)
from tests.network import at, build, gid

CHANGES = """
subscription Changes($within: ID!, $kinds: [EventKind!]) {
  occurrenceChanges(within: $within, kinds: $kinds) {
    change occurrenceId
    occurrence { id title status startsAt site { name } }
  }
}
"""


def occurrence_gid(event: Event, start) -> str:
    return gid("Occurrence", occurrences.occurrence_id(event.id, start))


# --- what refresh reports -------------------------------------------------------------------


async def test_refresh_reports_what_the_public_sees_change(db):
    n = await build()
    again = await occurrences.refresh([n.weekly])
    assert again.count == 3 and again.changes == []  # rewriting the same rows is no news

    n.fair.title = "科普集市(改期)"
    n.fair.starts_at, n.fair.ends_at = at(2026, 3, 11, 14), at(2026, 3, 11, 17)
    await n.fair.save()  # refresh rewrites from what is stored
    moved = (await occurrences.refresh([n.fair])).changes
    # A one-off's recurrence id is its start, so a new start is a new occurrence.
    assert [(c.change, c.occurrence_id, c.starts_at) for c in moved] == [
        (OccurrenceChangeKind.DELETED, f"{n.fair.id}@{int(at(2026, 3, 10, 14).timestamp())}", at(2026, 3, 10, 14)),
        (OccurrenceChangeKind.CREATED, f"{n.fair.id}@{int(at(2026, 3, 11, 14).timestamp())}", at(2026, 3, 11, 14)),
    ]
    n.fair.title = "科普集市"
    n.fair.site_id = n.other_station.id
    await n.fair.save()
    [changed] = (await occurrences.refresh([n.fair])).changes
    assert changed.change == OccurrenceChangeKind.CHANGED
    assert changed.previous_site_path == n.institute.path and changed.site_path == n.other_station.path

    n.weekly.status = EventStatus.CANCELLED
    await n.weekly.save()
    cancelled = (await occurrences.refresh([n.weekly])).changes
    # 21 March was cancelled already: only the two still scheduled are news.
    assert [(c.change, c.starts_at) for c in cancelled] == [
        (OccurrenceChangeKind.CANCELLED, at(2026, 3, 7, 9, 30)),
        (OccurrenceChangeKind.CANCELLED, at(2026, 3, 29, 14, 30)),
    ]
    assert cancelled[0].to_message() == {
        "change": "CANCELLED", "occurrence_id": f"{n.weekly.id}@{int(at(2026, 3, 7, 9, 30).timestamp())}",
        "event_id": n.weekly.id, "event_kind": "LECTURE", "site_path": n.station.path,
        "previous_site_path": None, "starts_at": "2026-03-07T09:30:00+08:00",
    }

    n.draft.title = "草稿活动(改)"
    await n.draft.save()
    assert (await occurrences.refresh([n.draft])).changes == []  # drafts are nobody's news
    n.draft.status = EventStatus.PUBLISHED
    await n.draft.save()
    assert [c.change for c in (await occurrences.refresh([n.draft])).changes] == [OccurrenceChangeKind.CREATED]
    n.draft.status = EventStatus.DRAFT
    await n.draft.save()
    assert [c.change for c in (await occurrences.refresh([n.draft])).changes] == [OccurrenceChangeKind.DELETED]


# --- across two instances, through Redis ------------------------------------------------------


async def test_a_change_through_one_instance_reaches_a_screen_on_another(db, settings: Settings):
    n = await build()
    shared = redis_settings(settings, unique_prefix())
    app_a, app_b = create_app(shared, manage_db=False), create_app(shared, manage_db=False)
    assert isinstance(app_a.state.bus, RedisBus) and app_a.state.bus is not app_b.state.bus
    async with serving(app_a), serving(app_b) as b, GraphQLSocket.open(b.ws_url) as screen:
        await screen.subscribe(CHANGES, within=gid("Site", n.centre.id))
        await listening(app_b, CHANNEL)
        assert app_a.state.bus.listeners(CHANNEL) == 0  # nothing local: it can only come through Redis

        await edit_through(app_a, n.elsewhere, title="海上船声筒宣讲(改)")  # another county: not for this screen
        await edit_through(app_a, n.fair, title="科普集市(扩大规模)")
        message = (await screen.next())["data"]["occurrenceChanges"]
        assert message == {
            "change": "CHANGED",
            "occurrenceId": occurrence_gid(n.fair, at(2026, 3, 10, 14)),
            "occurrence": {
                "id": occurrence_gid(n.fair, at(2026, 3, 10, 14)),
                "title": "科普集市(扩大规模)",  # read after the write, not from the connection's first read
                "status": "SCHEDULED",
                "startsAt": "2026-03-10T14:00:00+08:00",
                "site": {"name": "河市镇新时代文明实践所"},
            },
        }

        await edit_through(app_a, n.weekly, status=EventStatus.CANCELLED)
        cancelled = [(await screen.next())["data"]["occurrenceChanges"] for _ in range(2)]
        assert [(m["change"], m["occurrence"]["status"], m["occurrence"]["startsAt"]) for m in cancelled] == [
            ("CANCELLED", "CANCELLED", "2026-03-07T09:30:00+08:00"),
            ("CANCELLED", "CANCELLED", "2026-03-29T14:30:00+08:00"),
        ]


async def test_a_screen_on_the_writing_instance_hears_it_once(db, settings: Settings):
    n = await build()
    shared = redis_settings(settings, unique_prefix())
    app_a, app_b = create_app(shared, manage_db=False), create_app(shared, manage_db=False)
    async with (
        serving(app_a) as a,
        serving(app_b) as b,
        GraphQLSocket.open(a.ws_url) as on_a,
        GraphQLSocket.open(b.ws_url) as on_b,
    ):
        for screen, app in ((on_a, app_a), (on_b, app_b)):
            await screen.subscribe(CHANGES, within=gid("Site", n.station.id))
            await listening(app, CHANNEL)
        await edit_through(app_a, n.weekly, title="党的二十大精神宣讲")
        await edit_through(app_b, n.fair, title="不在本站")  # the institute: above this station
        await edit_through(app_b, n.draft, status=EventStatus.PUBLISHED)
        for screen in (on_a, on_b):
            heard = [(await screen.next())["data"]["occurrenceChanges"] for _ in range(4)]
            # 7, 21 (cancelled, retitled all the same) and 29 March, each once; then the draft.
            assert [(m["change"], m["occurrence"]["title"]) for m in heard] == [
                ("CHANGED", "党的二十大精神宣讲"), ("CHANGED", "党的二十大精神宣讲"),
                ("CHANGED", "党的二十大精神宣讲"), ("CREATED", "草稿活动"),
            ]


# --- one instance, no Redis -------------------------------------------------------------------


async def test_one_instance_alone_with_its_local_bus(db, settings: Settings):
    n = await build()
    app = create_app(settings, manage_db=False)
    assert isinstance(app.state.bus, LocalBus)
    async with serving(app) as server, GraphQLSocket.open(server.ws_url) as screen:
        await screen.subscribe(CHANGES, within=gid("Site", n.institute.id), kinds=["ACTIVITY"])
        await listening(app, CHANNEL)
        await edit_through(app, n.weekly, title="不是活动")  # a lecture: filtered out by kinds
        await edit_through(app, n.draft, status=EventStatus.PUBLISHED)
        created = (await screen.next())["data"]["occurrenceChanges"]
        assert created["change"] == "CREATED" and created["occurrence"]["title"] == "草稿活动"

        await edit_through(app, n.draft, status=EventStatus.DRAFT)
        deleted = (await screen.next())["data"]["occurrenceChanges"]
        assert deleted == {"change": "DELETED", "occurrenceId": created["occurrenceId"], "occurrence": None}

        # Moving out of the subtree is told once more, as it leaves.
        await edit_through(app, n.fair, site_id=n.other_station.id)
        left = (await screen.next())["data"]["occurrenceChanges"]
        assert left["change"] == "CHANGED" and left["occurrence"]["site"]["name"] == "海滨社区新时代文明实践站"
        await edit_through(app, n.fair, title="已不在本所")
        await edit_through(app, n.holiday, title="学雷锋日", site_id=n.institute.id)
        assert (await screen.next())["data"]["occurrenceChanges"]["occurrence"]["title"] == "学雷锋日"


async def test_two_instances_without_redis_do_not_share(db, settings: Settings):
    """Without WENMING_REDIS_URL each process works alone (and two apps in one process too)."""
    n = await build()
    app_a, app_b = create_app(settings, manage_db=False), create_app(settings, manage_db=False)
    async with serving(app_b) as b, GraphQLSocket.open(b.ws_url) as screen:
        await screen.subscribe(CHANGES, within=gid("Site", n.centre.id))
        await listening(app_b, CHANNEL)
        await edit_through(app_a, n.fair, title="只在A")
        await edit_through(app_b, n.holiday, title="在B")
        assert (await screen.next())["data"]["occurrenceChanges"]["occurrence"]["title"] == "在B"


async def test_bad_subscriptions_are_told_what_is_wrong(db, settings: Settings):
    n = await build()
    app = create_app(settings, manage_db=False)
    async with serving(app) as server, GraphQLSocket.open(server.ws_url) as screen:
        await screen.subscribe(CHANGES, within=gid("Site", 9999))
        [error] = (await screen.next())["errors"]
        assert "site" in error["message"] and "does not exist" in error["message"]
        await screen.subscribe(CHANGES, within=gid("Team", n.centre.id))
        [error] = (await screen.next())["errors"]
        assert "within must be the id of a Site" in error["message"]
        assert app.state.bus.listeners(CHANNEL) == 0


async def test_websocket_and_cors_origins(db, settings: Settings):
    n = await build()
    kiosk_origin = "http://screens.example.org:8080"
    app = create_app(settings.model_copy(update={"allowed_origins": [kiosk_origin]}), manage_db=False)
    async with serving(app) as server:
        with pytest.raises(InvalidStatus) as refused:
            async with GraphQLSocket.open(server.ws_url, origin="http://elsewhere.example"):
                pass
        assert refused.value.response.status_code == 403
        async with GraphQLSocket.open(server.ws_url, origin=kiosk_origin) as screen:
            await screen.subscribe(CHANGES, within=gid("Site", n.station.id))
            await listening(app, CHANNEL)

        async with httpx.AsyncClient(base_url=server.url) as http:
            preflight = await http.options("/graphql", headers={
                "Origin": kiosk_origin, "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            })
            assert preflight.status_code == 200
            assert preflight.headers["access-control-allow-origin"] == kiosk_origin
            answer = await http.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": kiosk_origin})
            assert answer.headers["access-control-allow-origin"] == kiosk_origin
            other = await http.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": "http://elsewhere.example"})
            assert "access-control-allow-origin" not in other.headers


# --- the bus when Redis is away ---------------------------------------------------------------


async def test_redis_away_does_not_stop_publishing_or_listening():
    closed = free_socket()  # bound, never listening: connections are refused
    url = f"redis://127.0.0.1:{closed.getsockname()[1]}/0"
    bus = RedisBus(url, prefix=unique_prefix(), ready_wait=0.2)
    try:
        async with bus.subscribe("orders") as messages:
            assert not bus.connected
            await bus.publish("orders", {"order": 7, "state": "DISPATCHED"})  # logged, not raised
            assert await anext(messages) == {"order": 7, "state": "DISPATCHED"}  # this process still hears
            await bus.publish("orders", {"order": 7, "state": "DONE"})  # without waiting for Redis again
            assert await anext(messages) == {"order": 7, "state": "DONE"}
        with pytest.raises(TypeError):
            await bus.publish("orders", ["not", "an", "object"])
    finally:
        await bus.close()
        closed.close()


async def test_local_bus_gives_each_listener_its_own_copy():
    bus = LocalBus()
    async with bus.subscribe("orders") as first, bus.subscribe("orders") as second, bus.subscribe("other") as other:
        await bus.publish("orders", {"n": 1})
        one = await anext(first)
        one["n"] = 99
        assert await anext(second) == {"n": 1}
        assert bus.listeners("orders") == 2 and bus.listeners("other") == 1
        await bus.publish("other", {"n": 2})
        assert await anext(other) == {"n": 2}
    assert bus.listeners("orders") == 0


class OwnRedis:
    """A redis-server of the test's own, on a free port: it may be stopped and its clients killed."""

    def __init__(self, tmp_path) -> None:
        self.server = shutil.which("redis-server")
        if not self.server:
            pytest.skip("no redis-server binary to restart (apt-get install redis-server)")
        sock = free_socket()
        self.port = sock.getsockname()[1]
        sock.close()  # the port for our own Redis (free again, for it to bind)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.tmp_path = tmp_path

    async def start(self) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            self.server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(self.tmp_path), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )
        await until(lambda: _answers(self.port), "redis-server to listen")
        return process

    async def kill_clients(self, kind: str) -> int:
        """CLIENT KILL TYPE normal|pubsub: Redis drops those connections, as after an idle
        `timeout` or a proxy's reset."""
        from redis.asyncio import Redis

        admin = Redis.from_url(self.url)
        try:
            return await admin.execute_command("CLIENT", "KILL", "TYPE", kind, "SKIPME", "yes")
        finally:
            await admin.aclose()


async def test_the_bus_reconnects_when_redis_comes_back(tmp_path):
    """A Redis restart: listeners keep their subscription, are told to resync (they may have
    missed other workers' messages meanwhile), and hear other workers again."""
    own = OwnRedis(tmp_path)
    start_redis, port = own.start, own.port

    url, prefix = f"redis://127.0.0.1:{port}/0", unique_prefix()
    listener, writer = RedisBus(url, prefix), RedisBus(url, prefix)
    redis = await start_redis()
    try:
        async with listener.subscribe("orders") as messages:
            assert listener.connected
            redis.terminate()
            await redis.wait()
            await until(lambda: not listener.connected, "the bus to notice Redis is gone")
            redis = await start_redis()
            await until(lambda: listener.connected, "the bus to subscribe again")
            assert await asyncio.wait_for(anext(messages), 5) == {"resync": True, "reason": "reconnected"}
            await writer.publish("orders", {"order": 8})
            assert await asyncio.wait_for(anext(messages), 5) == {"order": 8}
    finally:
        await listener.close()
        await writer.close()
        redis.terminate()
        await redis.wait()


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


async def test_a_publish_on_a_dropped_connection_still_reaches_the_other_workers(tmp_path):
    """Redis dropped the publisher's idle connection (its `timeout`): the next publish retries
    on a new connection at once, instead of delivering in its own process only."""
    own = OwnRedis(tmp_path)
    redis = await own.start()
    listener, writer = RedisBus(own.url, unique_prefix()), RedisBus(own.url, "unused")
    writer.prefix = listener.prefix
    try:
        async with listener.subscribe("orders") as messages:
            for n in range(3):
                await writer.publish("orders", {"order": n})
                assert await asyncio.wait_for(anext(messages), 5) == {"order": n}
                assert await own.kill_clients("normal") >= 1  # the writer's connection, gone
            assert writer._fanout.listeners("orders") == 0  # nothing was delivered locally instead
    finally:
        await listener.close()
        await writer.close()
        redis.terminate()
        await redis.wait()


RESYNC_CHANGES = """
subscription Changes($within: ID!) { occurrenceChanges(within: $within) { resync change occurrenceId } }
"""


async def test_a_screen_is_told_to_resync_when_the_bus_reconnects(db, settings: Settings, tmp_path):
    n = await build()
    own = OwnRedis(tmp_path)
    redis = await own.start()
    app = create_app(settings.model_copy(update={"redis_url": own.url, "redis_prefix": unique_prefix()}),
                     manage_db=False)
    try:
        async with serving(app) as served, GraphQLSocket.open(served.ws_url) as screen:
            await screen.subscribe(RESYNC_CHANGES, within=gid("Site", n.centre.id))
            await listening(app, CHANNEL)
            assert await own.kill_clients("pubsub") == 1  # the worker's one listening connection
            message = (await screen.next())["data"]["occurrenceChanges"]
            assert message == {"resync": True, "change": None, "occurrenceId": None}
            await until(lambda: app.state.bus.connected, "the bus to subscribe again")
            await edit_through(app, n.fair, title="科普集市(重连之后)")
            after = (await screen.next())["data"]["occurrenceChanges"]
            assert after["resync"] is False and after["change"] == "CHANGED"
    finally:
        await app.state.bus.close()
        redis.terminate()
        await redis.wait()
