"""Hostile requests get a cheap, clear refusal: documents that would expand exponentially,
queries that cost too much, oversized and slow bodies, slow headers, too many WebSockets,
too many requests. Connection limits are tested on `wenming serve` in its own process with
raw sockets; every client call there has a timeout, so a regression fails, it cannot hang."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import socket
from datetime import datetime, timedelta

import httpx
import pytest
from websockets.asyncio.client import connect

from api.limits import rate
from api.settings import Settings
from schema.core.error_log import MAX_LOGGED_CHARS
from schema.core.query_cost import MAX_LIST_ITEMS
from tests.conftest import create_app
from tests.live_support import redis_or_skip, unique_prefix
from tests.network import build, gid
from tests.server_support import wenming_serve

GRAPHQL_JSON = {"accept": "application/graphql-response+json"}
CLIENT_TIMEOUT = 10  # seconds: an answer slower than this is a failure, never a hang


def fragment_chain(levels: int, leaf: str = "platforms { code }") -> str:
    """Each fragment spreads the next twice: 2^levels leaves once expanded, ~40 bytes a level."""
    parts = ["query Chain { ...F0 }"]
    parts += [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    parts.append(f"fragment F{levels} on Query {{ {leaf} }}")
    return "\n".join(parts)


def codes(body: dict) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with wenming_serve(tmp_path_factory.mktemp("served"), header_timeout_seconds=1, body_timeout_seconds=1,
                       max_body_bytes=4096, max_websockets=3, max_websockets_per_client=2,
                       trusted_proxy_header="X-Real-IP", rate_limit_per_minute=0) as served:
        yield served


# -- documents that expand exponentially ------------------------------------------------------

@pytest.mark.parametrize("levels", [30, 60])
@pytest.mark.parametrize("leaf", ["platforms { code }", "a: platforms { code }"])
def test_a_fragment_chain_is_refused_at_once_and_the_server_keeps_answering(server, levels, leaf):
    document = fragment_chain(levels, leaf)
    assert len(document) < 3000  # a short text, as an attacker sends it

    def post() -> httpx.Response:
        return httpx.post(f"{server.url}/graphql", json={"query": document}, headers=GRAPHQL_JSON,
                          timeout=CLIENT_TIMEOUT)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        refused = [pool.submit(post) for _ in range(3)]
        health = httpx.get(f"{server.url}/health", timeout=CLIENT_TIMEOUT)
        responses = [f.result() for f in refused]
    assert health.status_code == 200
    for response in responses:
        assert response.status_code == 400
        body = response.json()
        if leaf.startswith("a:"):  # one alias at each of the 2^levels leaves
            assert "TOO_MANY_ALIASES" in codes(body) and f"{2**levels} aliases found" in json.dumps(body)
        else:  # two fields (platforms, code) at each leaf
            assert codes(body) == ["QUERY_TOO_LARGE"] and f"selects {2 * 2**levels} fields" in json.dumps(body)


async def test_a_document_over_a_shape_limit_is_refused_before_its_fields_are_checked(client, db):
    """graphql-core's rules walk every fragment with the schema's types (about 10 ms for 60
    levels); the linear shape measure comes first, so such a document gets its refusal alone."""
    body = (await client.post("/graphql", json={"query": fragment_chain(60, "platforms { nonsense }")})).json()
    assert codes(body) == ["QUERY_TOO_LARGE"]
    # Within the limits, the same mistake is graphql-core's to report.
    body = (await client.post("/graphql", json={"query": fragment_chain(2, "platforms { nonsense }")})).json()
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]


# -- connections -------------------------------------------------------------------------------

def raw_exchange(server, payload: bytes) -> bytes:
    """Send `payload`, then read until the server closes (or CLIENT_TIMEOUT passes)."""
    with socket.create_connection((server.host, server.port), timeout=CLIENT_TIMEOUT) as sock:
        sock.sendall(payload)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


def test_slow_headers_are_cut_off(server):
    answer = raw_exchange(server, b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Ty")
    assert answer.startswith(b"HTTP/1.1 408")
    assert raw_exchange(server, b"").startswith(b"HTTP/1.1 408")  # a connection that says nothing


def test_a_slow_body_answers_408(server):
    head = b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n"
    answer = raw_exchange(server, head + b'{"query": "{ plat')
    assert answer.startswith(b"HTTP/1.1 408")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["errors"][0]["extensions"]["code"] == "BODY_TIMEOUT"


def test_a_large_body_answers_413_whether_announced_or_streamed(server):
    big = json.dumps({"query": "{ platforms { code } }", "variables": {"pad": "x" * 10_000}}).encode()
    announced = httpx.post(f"{server.url}/graphql", content=big, headers={"content-type": "application/json"},
                           timeout=CLIENT_TIMEOUT)
    assert announced.status_code == 413 and codes(announced.json()) == ["BODY_TOO_LARGE"]

    def chunks():
        for i in range(0, len(big), 1000):
            yield big[i:i + 1000]

    streamed = httpx.post(f"{server.url}/graphql", content=chunks(), headers={"content-type": "application/json"},
                          timeout=CLIENT_TIMEOUT)
    assert streamed.status_code == 413 and codes(streamed.json()) == ["BODY_TOO_LARGE"]
    long_get = httpx.get(f"{server.url}/graphql", params={"query": "{ platforms { code } }", "variables": big.decode()},
                         timeout=CLIENT_TIMEOUT)
    assert long_get.status_code == 414 and codes(long_get.json()) == ["URI_TOO_LONG"]
    ordinary = httpx.post(f"{server.url}/graphql", json={"query": "{ platforms { code } }"}, timeout=CLIENT_TIMEOUT)
    assert ordinary.status_code == 200 and ordinary.json() == {"data": {"platforms": []}}


async def test_websockets_are_capped_per_client_and_in_all(server):
    url = server.url.replace("http", "ws") + "/graphql"

    def opening(client: str):
        return connect(url, subprotocols=["graphql-transport-ws"], additional_headers={"X-Real-IP": client},
                       open_timeout=CLIENT_TIMEOUT, close_timeout=2)

    async def refusal(client: str) -> tuple[int, str]:
        async with opening(client) as ws:
            async with asyncio.timeout(CLIENT_TIMEOUT):
                await ws.wait_closed()
            return ws.close_code, ws.close_reason

    async with opening("10.0.0.1"), opening("10.0.0.1"):
        code, reason = await refusal("10.0.0.1")
        assert code == 1013 and "This client has 2 WebSockets open" in reason
        async with opening("10.0.0.2") as third:
            await third.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await asyncio.wait_for(third.recv(), CLIENT_TIMEOUT))["type"] == "connection_ack"
            code, reason = await refusal("10.0.0.3")
            assert code == 1013 and "3 WebSockets open" in reason
    async with opening("10.0.0.3") as later:  # closing frees the places
        await later.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await asyncio.wait_for(later.recv(), CLIENT_TIMEOUT))["type"] == "connection_ack"


# -- cost, list sizes and time, through the app ------------------------------------------------

WINDOW = {"from": "2026-01-01T00:00:00+08:00", "to": "2027-02-04T00:00:00+08:00"}  # 400 days


async def test_costly_queries_are_refused_with_their_cost(client, db):
    stats = "{" + " ".join(f"s{i}: stats {{ held {{ lectures }} }}" for i in range(30)) + "}"
    body = (await client.post("/graphql", json={"query": stats})).json()
    assert codes(body) == ["QUERY_TOO_COSTLY"] and body.get("data") is None
    extensions = body["errors"][0]["extensions"]
    assert extensions["cost"] > extensions["limit"] == 5000
    assert f"would cost {extensions['cost']} points; at most 5000" in body["errors"][0]["message"]

    occurrences = "query($from: DateTime!, $to: DateTime!) {" + " ".join(
        f"o{i}: occurrences(from: $from, to: $to, first: 100) {{ totalCount edges {{ node {{ title }} }} }}"
        for i in range(30)) + "}"
    refused = await client.post("/graphql", json={"query": occurrences, "variables": WINDOW}, headers=GRAPHQL_JSON)
    assert refused.status_code == 400 and codes(refused.json()) == ["QUERY_TOO_COSTLY"]
    # The same list once, over a month, is an ordinary query.
    month = {"from": "2026-03-01T00:00:00+08:00", "to": "2026-04-01T00:00:00+08:00"}
    one = "query($from: DateTime!, $to: DateTime!) { occurrences(from: $from, to: $to, first: 100) { totalCount } }"
    assert (await client.post("/graphql", json={"query": one, "variables": month})).json() == {
        "data": {"occurrences": {"totalCount": 0}}}


async def test_the_cost_limit_is_a_setting(db, settings):
    app = create_app(settings.model_copy(update={"max_query_cost": 100}), manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        body = (await c.post("/graphql", json={"query": "{ sites(first: 100) { edges { node { name } } } }"})).json()
    assert codes(body) == ["QUERY_TOO_COSTLY"] and "at most 100 are allowed" in body["errors"][0]["message"]


async def test_long_lists_are_refused_before_they_are_read(client, db):
    ids = [gid("Site", i) for i in range(1, 10_001)]
    body = (await client.post("/graphql", json={"query": "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                                                "variables": {"ids": ids}})).json()
    assert codes(body) == ["TOO_MANY_ITEMS"]
    assert body["errors"][0]["message"] == f"nodes(ids:) has 10000 items; a list may hold at most {MAX_LIST_ITEMS}"
    assert body["errors"][0]["extensions"]["argument"] == "nodes(ids:)"
    kinds = {"kinds": ["STATION"] * 20_000}
    body = (await client.post("/graphql", json={"query": "query($kinds: [SiteKind!]) { sites(kind: $kinds) { totalCount } }",
                                                "variables": kinds})).json()
    assert codes(body) == ["TOO_MANY_ITEMS"] and "sites(kind:) has 20000 items" in body["errors"][0]["message"]
    literal = "{ nodes(ids: [%s]) { id } }" % ",".join(f'"{i}"' for i in ids[:101])
    assert codes((await client.post("/graphql", json={"query": literal})).json()) == ["TOO_MANY_ITEMS"]
    assert (await client.post("/graphql", json={"query": "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                                                "variables": {"ids": ids[:100]}})).json()["data"]["nodes"] == [None] * 100


async def test_a_ten_megabyte_body_is_refused_unread(client, db):
    body = b'{"query": "{ platforms { code } }", "variables": {"x": "' + b"x" * 10_000_000 + b'"}}'
    response = await client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413 and codes(response.json()) == ["BODY_TOO_LARGE"]
    assert response.json()["errors"][0]["extensions"]["limit"] == 262_144


async def test_a_query_that_runs_too_long_is_stopped(db, settings, monkeypatch):
    from api.models import platforms

    class Slow:
        def order_by(self, *args):
            return asyncio.sleep(60, result=[])  # a statement that never comes back in time

    monkeypatch.setattr(platforms.Platform, "filter", classmethod(lambda cls, **kw: Slow()))
    app = create_app(settings.model_copy(update={"query_timeout_seconds": 0.2}), manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        async with asyncio.timeout(CLIENT_TIMEOUT):
            body = (await c.post("/graphql", json={"query": "{ platforms { code } }"})).json()
    assert codes(body) == ["TIMEOUT"] and body["data"] is None
    assert "ran longer than 0.2 s" in body["errors"][0]["message"]


async def test_ordinary_portal_and_kiosk_queries_pass_every_limit(client, db):
    n = await build()
    today = datetime.fromisoformat("2026-03-07T00:00:00+08:00")
    portal = """query CentrePage($centre: ID!, $from: DateTime!, $to: DateTime!) {
      site(id: $centre) { name kind subtreeCounts { kind count } children { id name kind }
                         teams { name category memberCount } upcomingOccurrences(first: 10) { title } }
      sites(within: $centre, first: 100) { totalCount edges { node { name parent { name } } } }
      occurrences(within: $centre, from: $from, to: $to, first: 100) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { node { title startsAt site { name } venue { name } platform { name } team { name }
                       lecturers { name title } event { id } } } }
    }"""
    variables = {"centre": gid("Site", n.centre.id), "from": today.isoformat(),
                 "to": (today + timedelta(days=400)).isoformat()}
    # A mini-program asks up to 10 things at once.
    answers = await asyncio.gather(*[client.post("/graphql", json={"query": portal, "variables": variables})
                                     for _ in range(10)])
    for answer in answers:
        assert answer.status_code == 200 and "errors" not in answer.json(), answer.text
    board = await client.get("/graphql", params={"documentId": "board",
                                                  "variables": json.dumps({"site": gid("Site", n.station.id)})})
    stats = await client.get("/graphql", params={"documentId": "stats"})
    assert board.status_code == stats.status_code == 200
    assert "errors" not in board.json() and "errors" not in stats.json()


# -- rate limits -------------------------------------------------------------------------------

@pytest.fixture
def fixed_window(monkeypatch):
    """The counting window held still (window number 1, 42 s left), so no test straddles two."""
    monkeypatch.setattr(rate, "window", lambda: (1, 42))


def limited(settings: Settings, **limits) -> httpx.AsyncClient:
    app = create_app(settings.model_copy(update=limits), manage_db=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("203.0.113.9", 4000)), base_url="http://t")


async def assert_rate_limited(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 429
    assert response.headers["retry-after"] == "42"
    body = response.json()
    assert codes(body) == ["RATE_LIMITED"]
    assert body["errors"][0]["extensions"] == {"code": "RATE_LIMITED", "retryAfter": 42, "limit": limit}
    assert f"at most {limit} a minute" in body["errors"][0]["message"]


async def test_each_client_gets_its_requests_a_minute(db, settings, fixed_window):
    query = {"query": "{ platforms { code } }"}
    async with limited(settings, rate_limit_per_minute=3, feed_rate_limit_per_minute=5) as c:
        assert (await c.post("/graphql", json=query)).status_code == 200
        assert (await c.get("/health")).status_code == 200  # health counts too
        assert (await c.get("/graphql", params=query)).status_code == 200
        await assert_rate_limited(await c.post("/graphql", json=query), 3)
        await assert_rate_limited(await c.get("/health"), 3)
        # Feeds have their own bucket; a token caller is counted by its token.
        assert (await c.get("/feeds/platforms/999.ics")).status_code == 404
        assert (await c.post("/graphql", json=query, headers={"authorization": "Bearer made-up"})).status_code == 401
        # Without a trusted proxy header configured, a forged one changes nothing.
        await assert_rate_limited(await c.post("/graphql", json=query, headers={"x-forwarded-for": "198.51.100.1"}), 3)


async def test_made_up_tokens_count_against_their_address(db, settings, fixed_window):
    async with limited(settings, rate_limit_per_minute=3) as c:
        for i in range(3):
            answer = await c.post("/graphql", json={"query": "{ me { name } }"}, headers={"authorization": f"Bearer t{i}"})
            assert answer.status_code == 401
        await assert_rate_limited(await c.post("/graphql", json={"query": "{ me { name } }"},
                                               headers={"authorization": "Bearer t9"}), 3)


async def test_behind_a_trusted_proxy_its_header_names_the_client(db, settings, fixed_window):
    query = {"query": "{ platforms { code } }"}
    async with limited(settings, rate_limit_per_minute=1, trusted_proxy_header="X-Forwarded-For") as c:
        first = {"x-forwarded-for": "198.51.100.7, 192.0.2.1"}  # the proxy appended the real address last
        assert (await c.post("/graphql", json=query, headers=first)).status_code == 200
        await assert_rate_limited(await c.post("/graphql", json=query, headers={"x-forwarded-for": "192.0.2.1"}), 1)
        assert (await c.post("/graphql", json=query, headers={"x-forwarded-for": "192.0.2.2"})).status_code == 200


async def test_with_redis_every_worker_shares_the_count(db, settings, fixed_window):
    shared = settings.model_copy(update={"redis_url": redis_or_skip(), "redis_prefix": unique_prefix()})
    query = {"query": "{ platforms { code } }"}
    async with limited(shared, rate_limit_per_minute=2) as one, limited(shared, rate_limit_per_minute=2) as two:
        assert (await one.post("/graphql", json=query)).status_code == 200
        assert (await two.post("/graphql", json=query)).status_code == 200
        await assert_rate_limited(await one.post("/graphql", json=query), 2)


# -- the log -----------------------------------------------------------------------------------

async def test_client_errors_are_one_short_line_and_faults_keep_their_traceback(client, db, caplog, monkeypatch):
    caplog.set_level(logging.INFO)
    huge_id = "x" * 1_000_00
    await client.post("/graphql", json={"query": "query($id: ID!) { site(id: $id) { name } }", "variables": {"id": huge_id}})
    records = [r for r in caplog.records if r.name.startswith(("strawberry", "wenming"))]
    assert len(records) == 1 and records[0].exc_info is None
    assert records[0].levelno == logging.INFO and len(records[0].getMessage()) < MAX_LOGGED_CHARS + 200
    caplog.clear()

    from api.models.platforms import Platform

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Platform, "filter", classmethod(broken))
    await client.post("/graphql", json={"query": "{ platforms { code } }"})
    faults = [r for r in caplog.records if r.exc_info]
    assert len(faults) == 1 and faults[0].levelno == logging.ERROR
    assert "the database went away" in caplog.text
