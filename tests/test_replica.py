"""Reads that may be stale go to the read replica (api/db/replica.py); everything else, and any
read when the replica is behind or down, to the primary.

The "replica" that shows where a request read is an empty migrated database (a replica far
behind): an answer with no sites came from it. The one that is never behind is the test
database itself; the one that is down is an address that refuses connections. A primary that
is down is that address put in place of the test database, which then serves as the replica."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from api import db as api_db
from api.app import create_app
from api.db import replica
from api.models.sites import Site
from api.settings import ConfigError
from tests.auth_support import make_callers, post
from tests.network import build, gid
from tests.orders_support import loop_setup
from tests.replica_support import REFUSED, attached, empty_database, primary_refused
from tests.test_orders import BY_TOKEN, PLACE

SITES = "{ sites(first: 50) { totalCount } }"
NAME = "query($id: ID!) { node(id: $id) { ... on Site { name } } }"
RENAME = "mutation($input: UpdateSiteInput!) { updateSite(input: $input) { site { name } errors { code } } }"
MARCH = {"from": "2026-03-01", "to": "2026-04-01"}


@pytest.fixture(autouse=True)
def checked_only_when_asked(monkeypatch):
    """The replica is checked when a test says (health.check()), never by a request in the
    background: on a loaded machine a check could otherwise undo the state a test set."""
    monkeypatch.setattr(replica, "CHECK_SECONDS", 3600.0)


def test_the_replica_connection_is_read_only_postgresql():
    config = api_db.replica_connection("postgres://postgres@db1/wenming", "postgres://postgres@db2/wenming")
    assert config["engine"] == "api.db.replica"
    assert config["credentials"]["server_settings"]["default_transaction_read_only"] == "on"
    with pytest.raises(ConfigError, match="WENMING_DATABASE_REPLICA_URL needs PostgreSQL .* WENMING_DATABASE_URL is sqlite"):
        api_db.replica_connection("sqlite://wenming.sqlite3", "postgres://postgres@db2/wenming")
    with pytest.raises(ConfigError, match="WENMING_DATABASE_REPLICA_URL is sqlite"):
        api_db.replica_connection("postgres://postgres@db1/wenming", "sqlite://other.sqlite3")


async def test_without_a_replica_anonymous_reads_use_the_one_database(client, db):
    await build()
    response = await post(client, None, SITES)
    assert response.json()["data"]["sites"]["totalCount"] > 0
    assert not replica.health.configured and not replica.health.counts


@pytest.fixture
async def postgres(db):
    if db.name != "postgres":
        pytest.skip("a read replica is a PostgreSQL standby")
    return db


@pytest.fixture(scope="module")
async def empty_url(backend) -> AsyncIterator[str | None]:
    """An empty migrated database (made once for the module: migrating takes seconds)."""
    if backend.name != "postgres":
        yield None
        return
    async with empty_database(backend.url) as url:
        yield url


@pytest.fixture
async def behind(postgres, empty_url) -> AsyncIterator[str]:
    """A replica far behind (the empty database) attached, checked and in use."""
    async with attached(postgres.url, empty_url):
        assert await replica.health.check() == "ok"
        yield empty_url


@pytest.fixture
async def app_client(settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


async def _count(client: httpx.AsyncClient, token: str | None = None) -> int:
    response = await post(client, token, SITES)
    assert response.status_code == 200, response.text
    return response.json()["data"]["sites"]["totalCount"]


async def test_anonymous_queries_read_the_replica_and_token_holders_read_their_writes(behind, app_client):
    net = await build()
    callers = await make_callers(net)
    assert await _count(app_client) == 0  # anonymous: the replica, which has none of it yet
    assert await _count(app_client, callers.editor) > 0  # a token: the primary

    renamed = await post(app_client, callers.editor, RENAME, input={
        "id": gid("Site", net.station.id), "version": net.station.version, "name": "洛阳村实践站"})
    assert renamed.json()["data"]["updateSite"] == {"site": {"name": "洛阳村实践站"}, "errors": []}
    mine = await post(app_client, callers.editor, NAME, id=gid("Site", net.station.id))
    assert mine.json()["data"]["node"] == {"name": "洛阳村实践站"}  # read-your-writes
    anonymous = await post(app_client, None, NAME, id=gid("Site", net.station.id))
    assert anonymous.json()["data"]["node"] is None  # the replica has not got it: stale, as allowed
    assert replica.health.counts["replica_statements"] > 0


async def test_reads_inside_a_transaction_and_raw_sql_choose_like_the_router(behind):
    await build()
    with replica.stale_reads_allowed():
        assert await Site.all().count() == 0  # the replica
        assert replica.reading().connection_name == replica.REPLICA
        async with in_transaction():
            assert await Site.all().count() > 0  # a write's transaction reads what it writes on
            assert replica.reading().connection_name == "default"
        with replica.primary():
            assert await Site.all().count() > 0
    assert await Site.all().count() > 0  # a request that said nothing: the primary


async def test_a_lagging_replica_sends_reads_to_the_primary(behind, app_client, monkeypatch):
    await build()

    async def lag() -> float:
        return 30.0

    monkeypatch.setattr(replica, "_lag", lag)
    assert await replica.health.check() == "lagging"
    assert replica.health.lag == 30.0
    assert await _count(app_client) > 0
    assert replica.health.counts["primary_lagging"] >= 1


async def test_a_replica_that_is_down_never_fails_a_request(postgres, app_client):
    await build()
    async with attached(postgres.url, REFUSED):
        assert await replica.health.check() == "down"
        assert await _count(app_client) > 0
        # Down since the last check: its statement fails, runs on the primary, and marks it down.
        replica.health.state = "ok"
        assert await _count(app_client) > 0
        assert replica.health.state == "down"
        assert replica.health.counts["statements_rerun_on_primary"] >= 1


async def test_feeds_and_boards_are_never_computed_on_a_replica_behind_the_watermark(behind, app_client):
    """A cached answer and its ETag are as of the primary's watermark: a replica behind it
    (here: empty) is not read for them, so a client never gets an older ETag back."""
    net = await build()
    feed = await app_client.get(f"/feeds/sites/{net.station.id}.ics", params=MARCH)
    assert feed.status_code == 200 and b"BEGIN:VEVENT" in feed.content
    board = await app_client.get("/graphql", params={"documentId": "board",
                                                     "variables": json.dumps({"site": gid("Site", net.station.id)})})
    assert board.status_code == 200 and board.json()["data"]["board"] is not None
    assert replica.health.counts["primary_behind_watermark"] >= 2


async def test_feeds_and_boards_read_a_replica_that_is_caught_up_and_keep_their_etags(postgres, settings):
    net = await build()
    path, params = f"/feeds/sites/{net.station.id}.ics", MARCH
    board = {"documentId": "board", "variables": json.dumps({"site": gid("Site", net.station.id)})}

    async def answers() -> tuple[str, str]:
        app = create_app(settings, manage_db=False)  # a new app: nothing cached yet
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            feed, screen = await client.get(path, params=params), await client.get("/graphql", params=board)
            assert feed.status_code == 200 and screen.status_code == 200
            return feed.headers["etag"], screen.headers["etag"]

    on_primary = await answers()
    async with attached(postgres.url, postgres.url):  # a replica that is never behind
        assert await replica.health.check() == "ok"
        on_replica = await answers()
        assert replica.health.counts["replica_statements"] > 0
        assert replica.health.counts["primary_behind_watermark"] == 0
    assert on_replica == on_primary


async def test_a_read_cancelled_by_the_standbys_replay_is_read_on_the_primary(postgres, app_client, monkeypatch):
    from tortoise.exceptions import OperationalError

    from api.db.postgres import PostgresClient

    await build()
    original = PostgresClient.execute_query

    async def conflicting(self, query, values=None):
        if isinstance(self, replica.ReplicaClient):
            raise OperationalError("canceling statement due to conflict with recovery")
        return await original(self, query, values)

    async with attached(postgres.url, postgres.url):
        assert await replica.health.check() == "ok"
        monkeypatch.setattr(PostgresClient, "execute_query", conflicting)
        assert await _count(app_client) > 0
        assert replica.health.counts["statements_rerun_on_primary"] >= 1
        assert replica.health.state == "ok"  # the replica is fine: only that statement moved


async def test_a_subscription_reads_the_primary_while_the_replica_is_behind(behind, settings):
    """A live update is never behind the write that caused it: the subscriber's occurrence is
    read on the primary (the replica here has no rows at all)."""
    from api.live.occurrences import CHANNEL
    from tests.live_support import GraphQLSocket, edit_through, listening, serving

    changes = """subscription($within: ID!) { occurrenceChanges(within: $within) {
      change occurrence { title site { name } } } }"""
    net = await build()
    app = create_app(settings, manage_db=False)
    async with serving(app) as server, GraphQLSocket.open(server.ws_url) as screen:
        await screen.subscribe(changes, within=gid("Site", net.institute.id))
        await listening(app, CHANNEL)
        await edit_through(app, net.fair, title="科普集市（改期）")
        told = (await screen.next())["data"]["occurrenceChanges"]
        assert told["occurrence"] == {"title": "科普集市（改期）", "site": {"name": net.institute.name}}


async def test_a_request_starts_the_check_in_the_background_and_reads_the_primary_meanwhile(postgres, app_client,
                                                                                           monkeypatch):
    await build()
    monkeypatch.setattr(replica, "CHECK_SECONDS", 0.0)
    async with attached(postgres.url, postgres.url):
        assert replica.health.state == "unchecked"
        assert await _count(app_client) > 0  # not checked yet: the primary, and a check starts
        assert replica.health.counts["primary_unchecked"] == 1
        await asyncio.wait_for(replica.health._check, 10)
        assert replica.health.state == "ok" and replica.health.lag == 0.0


async def test_a_resident_reads_their_order_by_its_token_from_the_primary(behind, app_client):
    """A private token in the query (orderByToken, signupByToken, volunteerByToken) is the
    caller's own write to read back at once: such a query reads the primary, with no
    Authorization header (it used to read the replica: null, "no order has this token")."""
    loop = await loop_setup()
    placed = (await post(app_client, None, PLACE, input={
        "itemId": gid("ServiceItem", loop.item.id), "siteId": gid("Site", loop.net.station.id),
        "residentName": "张阿姨", "residentPhone": "13812345678"})).json()["data"]["placeOrder"]
    assert placed["errors"] == [], placed
    mine = (await post(app_client, None, BY_TOKEN, t=placed["token"])).json()["data"]["orderByToken"]
    assert mine is not None and mine["residentName"] == "张阿姨"
    assert await _count(app_client) == 0  # other anonymous queries still read the replica


async def _holidays_and_reports(client: httpx.AsyncClient):
    """The holiday table's years around now, and a published report of the station: what the
    holiday and report feeds show."""
    from api.china_calendar import holidays as table
    from api.domain.clock import now
    from tests.reports_support import publish, write

    net = await build()
    callers = await make_callers(net)
    year = now().year
    await table.sync(range(year - 1, year + 2))
    await publish(client, callers.editor, callers.admin, await write(client, callers.editor, net.station, title="洛阳村报道"))
    return net, callers


def _report_feeds(client: httpx.AsyncClient):
    app = client._transport.app  # type: ignore[attr-defined]
    return next(r.report_feeds for r in app.routes if getattr(r, "report_feeds", None) is not None)


async def test_the_holiday_and_report_feeds_read_the_replica_only_when_it_has_the_primarys_watermark(
        behind, app_client):
    net, _ = await _holidays_and_reports(app_client)
    atom = f"/feeds/sites/{net.station.id}/reports.atom"
    holidays = await app_client.get("/feeds/holidays.ics")
    reports = await app_client.get(atom)
    # The replica (empty) is behind the primary's watermark: both were read on the primary.
    assert holidays.status_code == 200 and "国庆节" in holidays.text
    assert reports.status_code == 200 and "洛阳村报道" in reports.text
    assert replica.health.counts["primary_behind_watermark"] == 2
    # Kept while the watermark stays: a repeat reads nothing but it, and answers 304.
    feeds = _report_feeds(app_client)
    computed = feeds.computes
    again = await app_client.get(atom, headers={"If-None-Match": reports.headers["etag"]})
    assert again.status_code == 304 and feeds.computes == computed


async def test_the_holiday_and_report_feeds_read_a_replica_that_is_caught_up_and_keep_their_etags(postgres, settings):
    app = create_app(settings, manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        net, _ = await _holidays_and_reports(client)
    paths = ("/feeds/holidays.ics", f"/feeds/sites/{net.station.id}/reports.atom", "/feeds/campaigns/999/reports.atom")

    async def answers() -> list[tuple[int, str | None]]:
        app = create_app(settings, manage_db=False)  # a new app: nothing kept yet
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            return [((r := await client.get(path)).status_code, r.headers.get("etag")) for path in paths]

    on_primary = await answers()
    assert [status for status, _ in on_primary] == [200, 200, 404]
    async with attached(postgres.url, postgres.url):  # a replica that is never behind
        assert await replica.health.check() == "ok"
        on_replica = await answers()
        assert replica.health.counts["replica_statements"] >= 3
        assert replica.health.counts["primary_behind_watermark"] == 0
    assert on_replica == on_primary


async def test_while_the_primary_is_down_the_replica_answers_anonymous_reads_marked_stale(postgres, app_client):
    """The test database is the replica; the primary refuses connections. Anonymous feeds,
    boards and queries are answered from the replica, marked as the outage fallback marks its
    answers; token holders and writes get the outage error; a check that reaches the primary
    again ends it."""
    net, callers = await _holidays_and_reports(app_client)
    board = {"documentId": "board", "variables": json.dumps({"site": gid("Site", net.station.id)})}
    feed = f"/feeds/sites/{net.station.id}.ics"
    async with attached(postgres.url, postgres.url):
        assert await replica.health.check() == "ok"
        async with primary_refused():
            # Not known yet: the first feed request finds the primary down and asks the replica.
            answers = [await app_client.get(feed, params=MARCH), await app_client.get("/graphql", params=board),
                       await post(app_client, None, SITES), await app_client.get("/feeds/holidays.ics"),
                       await app_client.get(f"/feeds/sites/{net.station.id}/reports.atom")]
            assert replica.health.primary_down
            for answer in answers:
                assert answer.status_code == 200, answer.text
                assert answer.headers["x-wenming-stale"] == "database-unavailable"
                assert answer.headers["cache-control"] == "no-cache"
            assert b"BEGIN:VEVENT" in answers[0].content and answers[1].json()["data"]["board"] is not None
            assert answers[2].json()["data"]["sites"]["totalCount"] > 0
            assert "国庆节" in answers[3].text and "洛阳村报道" in answers[4].text
            # A client revalidating what it got keeps it (304), still told it is stale.
            kept = await app_client.get(feed, params=MARCH, headers={"If-None-Match": answers[0].headers["etag"]})
            assert kept.status_code == 304 and kept.headers["x-wenming-stale"] == "database-unavailable"
            # The primary or nothing: a token holder, a write, a resident's own order.
            for refused in (await post(app_client, callers.editor, SITES),
                            await post(app_client, callers.editor, RENAME, input={
                                "id": gid("Site", net.station.id), "version": net.station.version, "name": "改名"}),
                            await post(app_client, None, BY_TOKEN, t="ord_" + "x" * 32)):
                assert refused.status_code == 503, refused.text
                assert refused.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            # A check reaches the replica but not the primary: the replica stays in use.
            assert await replica.health.check() == "ok" and replica.health.primary_down
        assert await replica.health.check() == "ok" and not replica.health.primary_down
        fresh = await post(app_client, None, SITES)
        assert fresh.status_code == 200 and "x-wenming-stale" not in fresh.headers
    assert (await Site.get(id=net.station.id)).name == net.station.name  # the refused write changed nothing


async def test_while_the_primary_is_down_a_replica_behind_never_gives_an_older_feed_or_board(behind, app_client):
    """The replica (empty) has not got what this process last read from the primary: a feed
    or a board is not computed there (its ETag could go back); the last answer is served, or
    503 for a URL never served. Uncached anonymous queries may still read it."""
    net = await build()
    feed = f"/feeds/sites/{net.station.id}.ics"
    board = {"documentId": "board", "variables": json.dumps({"site": gid("Site", net.station.id)})}
    first = await app_client.get(feed, params=MARCH)
    screen = await app_client.get("/graphql", params=board)
    assert first.status_code == 200 and screen.status_code == 200
    async with primary_refused():
        # Revalidate: the state is computed again, and the replica is behind: the last answer.
        again = await app_client.get(feed, params=MARCH, headers={"Cache-Control": "no-cache"})
        assert replica.health.primary_down and replica.health.counts["stand_in_behind_watermark"] >= 1
        assert again.status_code == 200 and again.content == first.content
        assert again.headers["etag"] == first.headers["etag"]
        assert again.headers["x-wenming-stale"] == "database-unavailable"
        unseen = await app_client.get(feed, params={"from": "2026-05-01", "to": "2026-06-01"})
        assert unseen.status_code == 503 and unseen.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        kept = await app_client.get("/graphql", params=board, headers={"If-None-Match": screen.headers["etag"]})
        assert kept.status_code == 304 and kept.headers["x-wenming-stale"] == "database-unavailable"
        assert await _count(app_client) == 0  # an uncached query: the replica, as stale as it is


async def test_while_the_primary_is_down_a_replica_ahead_of_this_process_answers(postgres, app_client):
    """The replica has replayed a write this process never read (another worker's editor): it is
    ahead of the watermark this process last read from the primary, never behind, so it answers
    while the primary is down (found by review: only a replica exactly at that watermark did)."""
    net = await build()
    feed = f"/feeds/sites/{net.station.id}.ics"
    board = {"documentId": "board", "variables": json.dumps({"site": gid("Site", net.station.id)})}
    async with attached(postgres.url, postgres.url):
        assert await replica.health.check() == "ok"
        assert (await app_client.get(feed, params=MARCH)).status_code == 200  # the watermark, read
        assert (await app_client.get("/graphql", params=board)).status_code == 200
        other = await Site.get(id=net.other_centre.id)
        other.name = "改名"
        await other.save()
        async with primary_refused():
            unseen = await app_client.get(feed, params={"from": "2026-05-01", "to": "2026-06-01"})
            screen = await app_client.get("/graphql", params={
                "documentId": "board", "variables": json.dumps({"site": gid("Site", net.centre.id)})})
            assert replica.health.primary_down
            for answer in (unseen, screen):
                assert answer.status_code == 200, answer.text
                assert answer.headers["x-wenming-stale"] == "database-unavailable"
            assert replica.health.counts["stand_in_behind_watermark"] == 0


async def test_a_report_edit_that_commits_after_a_newer_one_reaches_the_report_feed(postgres, app_client):
    """T1 stamps updated_at first and commits after T2: the report feed's watermark must still
    move when T1 commits (found by review: MAX(updated_at) had already passed T1's stamp, and the
    feed kept the old title, answered with 304s)."""
    from tests.reports_support import publish, write
    net, callers = await _holidays_and_reports(app_client)
    await publish(app_client, callers.editor, callers.admin,
                  await write(app_client, callers.editor, net.station, title="第二篇"))
    atom = f"/feeds/sites/{net.station.id}/reports.atom"
    assert "洛阳村报道" in (await app_client.get(atom)).text
    first, second = await asyncpg.connect(postgres.url), await asyncpg.connect(postgres.url)
    try:
        late = first.transaction()
        await late.start()
        await first.execute("UPDATE report SET title = '新标题', updated_at = clock_timestamp(), version = version + 1 "
                            "WHERE title = '洛阳村报道'")
        await second.execute("UPDATE report SET updated_at = clock_timestamp(), version = version + 1 "
                             "WHERE title = '第二篇'")
        assert "洛阳村报道" in (await app_client.get(atom)).text  # kept under the second's watermark
        await late.commit()
    finally:
        await first.close()
        await second.close()
    assert "新标题" in (await app_client.get(atom)).text


async def test_a_primary_whose_pool_is_full_is_busy_not_unreachable(postgres, app_client):
    """Every pooled connection to the primary is in use: the check's read of it times out, but a
    new connection is made, so the replica does not stand in and answers are not marked stale
    (found by review: the timeout flipped the process to stand-in mode with the primary up)."""
    await build()
    async with attached(postgres.url, postgres.url):
        assert await replica.health.check() == "ok"
        pool = connections.get("default")._pool
        held = [await pool.acquire() for _ in range(pool.get_max_size())]
        try:
            assert await replica.health.check() == "ok"
            assert not replica.health.primary_down and replica.health.counts["check_primary_busy"] == 1
        finally:
            for conn in held:
                await pool.release(conn)
        answer = await post(app_client, None, SITES)
        assert answer.status_code == 200 and "x-wenming-stale" not in answer.headers


async def test_a_write_run_on_the_primary_while_the_replica_stands_in_is_not_marked_stale(postgres, app_client):
    """The primary is back, no check has seen it yet: an anonymous mutation and a read by a
    private token run on the primary and succeed; they are not read from the replica, so not
    marked stale (found by review: both were)."""
    loop = await loop_setup()
    async with attached(postgres.url, postgres.url):
        assert await replica.health.check() == "ok"
        replica.health.primary_unreachable(None)  # as a request that failed on it leaves it
        placed = await post(app_client, None, PLACE, input={
            "itemId": gid("ServiceItem", loop.item.id), "siteId": gid("Site", loop.net.station.id),
            "residentName": "张阿姨", "residentPhone": "13812345678"})
        assert placed.status_code == 200, placed.text
        mine = await post(app_client, None, BY_TOKEN, t=placed.json()["data"]["placeOrder"]["token"])
        assert mine.json()["data"]["orderByToken"] is not None
        for answer in (placed, mine):
            assert "x-wenming-stale" not in answer.headers
        assert (await post(app_client, None, SITES)).headers["x-wenming-stale"] == "database-unavailable"


async def test_a_check_that_read_the_primary_before_a_request_lost_it_ends_nothing(postgres):
    await build()
    async with attached(postgres.url, postgres.url):
        started = asyncio.Event()
        lag = replica._lag

        async def slow_lag() -> float:
            value = await lag()  # the primary answered the check...
            started.set()
            await asyncio.sleep(0.2)  # ...and a request finds it away before the check returns
            return value

        replica._lag = slow_lag
        try:
            check = asyncio.ensure_future(replica.health.check())
            await started.wait()
            replica.health.primary_unreachable(None)
            await check
        finally:
            replica._lag = lag
        assert replica.health.primary_down  # the next check decides
