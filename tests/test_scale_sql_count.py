"""The canonical queries of a province deployment (issue 18) send as many SQL statements at a
big network as at a small one: nothing per site, per occurrence or per subtree member
(bench/bench_scale.py measures their time; this pins their shape)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from api.app import create_app
from schema.http import GraphQLApp

from tests.conftest import count_sql
from tests.network import build, gid
from tests.test_sql_count import grow

WEEK = {"from": "2026-03-07T00:00:00+08:00", "to": "2026-03-14T00:00:00+08:00"}
COUNTY_WEEK = """query($centre: ID!, $from: DateTime!, $to: DateTime!) {
  occurrences(within: $centre, from: $from, to: $to, first: 100) {
    edges { node { title startsAt site { name } venue { name } platform { name } team { name } } }
  }
}"""
SITES = """query($centre: ID!) {
  sites(within: $centre, first: 100) { edges { node { name kind subtreeCounts { kind count } } } }
}"""
BOARD = """query($site: ID!) { board(site: $site, within: true) {
  today next { title site { name } } weekAhead { date occurrences { title venue { name } team { name } } } } }"""
STATS = """query($centre: ID!) { stats(within: $centre, from: "2026-01-01", to: "2026-12-31") {
  sites { total byKind { kind count } } teams { teams members } held { lectures activities serviceHours }
  byMonth { month lectures activities } byPlatform { platform { name } lectures activities } } }"""


async def _statements(client, centre: int) -> dict[str, int]:
    """Statements of each canonical request. Each is asked once before, so the change tracker
    has caught up with the writes that built the network (its work grows with the writes
    since it last looked, not with the network): POSTed queries are computed again, the feed
    and the trusted document answer from their caches, as a polling client sees them."""
    c = gid("Site", centre)
    asks = {
        "county week": ("POST", "/graphql", {"json": {"query": COUNTY_WEEK, "variables": {"centre": c, **WEEK}}}),
        "sites + subtreeCounts": ("POST", "/graphql", {"json": {"query": SITES, "variables": {"centre": c}}}),
        "county board": ("POST", "/graphql", {"json": {"query": BOARD, "variables": {"site": c}}}),
        "stats": ("POST", "/graphql", {"json": {"query": STATS, "variables": {"centre": c}}}),
        "subtree feed": ("GET", f"/feeds/sites/{centre}.ics", {"params": {"subtree": "1"}}),
        "board document": ("GET", "/graphql", {"params": {"documentId": "board",
                                                          "variables": json.dumps({"site": c, "within": True})}}),
    }
    for _ in range(2):  # the second round finds every cache filled and the trackers caught up
        for method, url, kwargs in asks.values():
            response = await client.request(method, url, **kwargs)
            assert response.status_code == 200, response.text
            if url == "/graphql":
                assert "errors" not in response.json(), response.text
    counts = {}
    for name, (method, url, kwargs) in asks.items():
        with count_sql() as sql:
            response = await client.request(method, url, **kwargs)
        assert response.status_code == 200, response.text
        counts[name] = len(sql)
    return counts


@pytest.fixture
async def screen_client(db, settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with the trusted documents' watermark read on every request (not at most once a
    second), so what a request sends does not depend on how long the one before took."""
    app = create_app(settings, manage_db=False)
    graphql = next(r.endpoint for r in app.routes if isinstance(getattr(r, "endpoint", None), GraphQLApp))
    graphql.documents.watermark_ttl = 0
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


async def test_canonical_queries_send_the_same_statements_at_any_size(screen_client, db):
    client = screen_client
    net = await build()
    small = await _statements(client, net.centre.id)
    await grow(net, institutes=12)  # 12 institutes, 24 stations, 24 series: the county six times as big
    big = await _statements(client, net.centre.id)
    assert big == small, (small, big)
    assert 0 < small["county week"] <= 8 and small["board document"] <= 2, small
