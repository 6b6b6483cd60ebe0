"""What clients see while PostgreSQL is away, and after it is back (issue 10): 503 with
Retry-After and the code SERVICE_UNAVAILABLE, cached boards and feeds still served, /ready
reporting the database, the holiday feed served from its last answer too, timeouts bounding a frozen server, a committed write never reported
as failed, and recovery without restarting Wenming. `wenming serve` reaches a real PostgreSQL
through a relay the test cuts (tests/outage_support.py)."""

from __future__ import annotations

import json
import os
from urllib.parse import urlsplit

import httpx
import pytest

from tests.network import gid
from tests.outage_support import Relay, database, postgres_or_skip, serving, through, wait_until

QUERY = "{ sites(first: 5) { edges { node { id name } } } }"
CREATE_SITE = """mutation($input: CreateSiteInput!) { createSite(input: $input) {
  site { id name } errors { field code message } } }"""


def _relay(server_url: str) -> Relay:
    parts = urlsplit(server_url)
    return Relay(parts.hostname or "127.0.0.1", parts.port or 5432)


def _auth(client: httpx.Client) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.token}"}


def _create_site(client: httpx.Client, name: str, **headers: str) -> httpx.Response:
    variables = {"input": {"kind": "POINT", "name": name, "parentId": gid("Site", client.site_id)}}
    return client.post("/graphql", json={"query": CREATE_SITE, "variables": variables},
                       headers=_auth(client) | headers)


def _board(client: httpx.Client) -> httpx.Response:
    variables = json.dumps({"site": gid("Site", client.site_id), "within": True})
    return client.get("/graphql", params={"documentId": "board", "variables": variables})


def _unavailable(response: httpx.Response) -> dict:
    """A 503 that says why and when to come back, in the GraphQL shape."""
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"].startswith("application/"), response.headers["content-type"]
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE", body
    return body


def test_a_stopped_database_answers_503_serves_cached_boards_and_feeds_and_recovers(tmp_path):
    server_url = postgres_or_skip()
    with database(server_url, f"wenming_outage_{os.getpid()}") as url, _relay(server_url) as relay, \
            serving(tmp_path, through(url, relay)) as client:
        # Up: a write, a board and a feed, each read once so the caches hold them.
        assert _create_site(client, "新华社区点").json()["data"]["createSite"]["errors"] == []
        board = _board(client)
        assert board.status_code == 200 and "errors" not in board.json(), board.text
        feed_url = f"/feeds/sites/{client.site_id}.ics?subtree=1"
        feed = client.get(feed_url)
        assert feed.status_code == 200 and feed.text.startswith("BEGIN:VCALENDAR")
        holidays = client.get("/feeds/holidays.ics")
        assert holidays.status_code == 200 and "国庆节" in holidays.text
        assert client.get("/ready").json() == {"status": "ready", "database": "ok"}

        relay.down()

        # GraphQL, anonymous and with a token, queries and mutations: 503, never 200 "Internal error".
        _unavailable(client.post("/graphql", json={"query": QUERY}))
        _unavailable(client.post("/graphql", json={"query": QUERY}, headers=_auth(client)))
        _unavailable(_create_site(client, "断线时的点"))
        wanted = {"Accept": "application/graphql-response+json"}
        _unavailable(client.post("/graphql", json={"query": QUERY}, headers=wanted))
        # The board and the feed: the last answer, marked stale; a feed never served: 503.
        # (Within a second of its last check the board is served without asking the database.)
        boards: list[httpx.Response] = []

        def stale() -> bool:
            boards.append(_board(client))
            return "x-wenming-stale" in boards[-1].headers

        wait_until(stale, "served as stale")
        assert all(b.status_code == 200 and b.content == board.content for b in boards)
        stale_board = boards[-1]
        assert stale_board.headers["x-wenming-stale"] == "database-unavailable"
        assert stale_board.headers["cache-control"] == "no-cache"
        stale_feed = client.get(feed_url)
        assert stale_feed.status_code == 200 and stale_feed.content == feed.content
        assert stale_feed.headers["x-wenming-stale"] == "database-unavailable"
        assert "X-Wenming-Stale" in stale_feed.headers["access-control-expose-headers"]  # a widget may read it
        stale_holidays = client.get("/feeds/holidays.ics")  # China's holidays too (issue 15)
        assert stale_holidays.status_code == 200 and stale_holidays.content == holidays.content
        assert stale_holidays.headers["x-wenming-stale"] == "database-unavailable"
        unseen = client.get(f"/feeds/sites/{client.site_id}.ics")
        assert unseen.status_code == 503 and unseen.headers["retry-after"] == "5"
        assert unseen.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        # Liveness stays up (no restart wanted); readiness says the database is away.
        assert client.get("/health").status_code == 200
        not_ready = client.get("/ready")
        assert not_ready.status_code == 503 and not_ready.headers["retry-after"] == "5"
        assert not_ready.json()["database"] == "unavailable"

        relay.up()

        # Back without restarting Wenming: the same process answers, writes and reads fresh.
        wait_until(lambda: client.get("/ready").status_code == 200, "ready again")
        created = _create_site(client, "恢复后的点").json()["data"]["createSite"]
        assert created["errors"] == []
        names = [e["node"]["name"] for e in client.post("/graphql", json={"query": QUERY}).json()["data"]["sites"]["edges"]]
        assert "恢复后的点" in names and "断线时的点" not in names
        fresh = _board(client)
        assert fresh.status_code == 200 and "x-wenming-stale" not in fresh.headers
        assert client.process.poll() is None
        log = (tmp_path / "serve.log").read_text()
        assert "Traceback" not in log and "Internal error" not in log, log[-3000:]


def test_a_frozen_database_answers_503_within_the_timeouts(tmp_path):
    """SIGSTOP-like: connections stay open and nothing answers. Requests give up after the
    statement and pool timeouts (1 s here) instead of hanging for the freeze; the client's
    own timeout (8 s) is what fails this test if they do not."""
    server_url = postgres_or_skip()
    timeouts = {"db_statement_timeout_seconds": 1, "db_pool_timeout_seconds": 1, "db_connect_timeout_seconds": 1}
    with database(server_url, f"wenming_freeze_{os.getpid()}") as url, _relay(server_url) as relay, \
            serving(tmp_path, through(url, relay), **timeouts) as client:
        assert client.post("/graphql", json={"query": QUERY}).status_code == 200
        relay.freeze()
        for _ in range(3):
            _unavailable(client.post("/graphql", json={"query": QUERY}, timeout=8))
        assert client.get("/ready", timeout=8).status_code == 503
        relay.thaw()
        wait_until(lambda: client.get("/ready").status_code == 200, "ready again")
        assert client.post("/graphql", json={"query": QUERY}).status_code == 200


def test_a_write_committed_just_before_the_connection_died_is_reported_as_done(tmp_path):
    """The server acknowledges COMMIT and the connection dies at once, so returning it to the
    pool fails. The write happened: the answer must say so (it said "Internal error")."""
    server_url = postgres_or_skip()
    with database(server_url, f"wenming_commit_{os.getpid()}") as url, _relay(server_url) as relay, \
            serving(tmp_path, through(url, relay)) as client:
        relay.cut_after_commit = 1
        response = _create_site(client, "提交后断线的点")
        assert relay.commits_cut == 1
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        assert body["data"]["createSite"]["errors"] == []
        assert body["data"]["createSite"]["site"]["name"] == "提交后断线的点"
        names = [e["node"]["name"] for e in client.post("/graphql", json={"query": QUERY}).json()["data"]["sites"]["edges"]]
        assert names.count("提交后断线的点") == 1
        assert "could not be returned to the pool after COMMIT" in (tmp_path / "serve.log").read_text()
