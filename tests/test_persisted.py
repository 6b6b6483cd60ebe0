"""Trusted documents over GET: answers from the cache with ETags and real 304s, new answers
when data or time move them, clear 4xx for bad requests, nothing shared with a token holder."""

from __future__ import annotations

import json
from datetime import timedelta
from collections.abc import AsyncIterator

import httpx
import pytest

from api.app import create_app
from api.domain import clock
from api.domain.accounts import create_token
from api.domain.events import change_occurrence, create_event
from api.models.accounts import Role
from api.models.events import EventKind, EventStatus
from schema.core.persisted import PersistedDocuments, load_documents
from schema.http import GraphQLApp
from schema.schema import schema
from tests.conftest import count_sql
from tests.network import at, build, gid


@pytest.fixture
async def screen(db, settings) -> AsyncIterator[tuple[httpx.AsyncClient, PersistedDocuments]]:
    """An HTTP client on a fresh app, and that app's document service (to count executions)."""
    app = create_app(settings, manage_db=False)
    graphql = next(r.endpoint for r in app.routes if isinstance(getattr(r, "endpoint", None), GraphQLApp))
    graphql.documents.watermark_ttl = 0  # read the watermark on every request (its own test below)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client, graphql.documents


def board_params(site_id: int, **variables) -> dict:
    return {"documentId": "board", "variables": json.dumps({"site": gid("Site", site_id), **variables})}


@pytest.fixture
def saturday(monkeypatch):
    """The clock at 09:00 on Saturday 21 March 2026: the station's 09:30 lecture is cancelled."""
    now = {"at": at(2026, 3, 21, 9)}
    monkeypatch.setattr(clock, "now", lambda: now["at"])
    return now


async def test_an_unchanged_board_is_a_304_with_the_same_etag(screen, saturday):
    client, documents = screen
    net = await build()
    first = await client.get("/graphql", params=board_params(net.station.id))
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, max-age=10"
    etag = first.headers["etag"]
    board = first.json()["data"]["board"]
    assert [(o["title"], o["status"]) for o in board["restOfToday"]] == [(net.weekly.title, "CANCELLED")]
    assert "serverTime" not in board  # a cached body cannot carry the current time (docs/screens.md)

    with count_sql() as sql:
        again = await client.get("/graphql", params=board_params(net.station.id), headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert len(sql) == 1  # the watermark, nothing else
    repeated = await client.get("/graphql", params=board_params(net.station.id))
    assert repeated.status_code == 200 and repeated.content == first.content and repeated.headers["etag"] == etag
    assert documents.executions == 1


async def test_a_write_in_scope_gives_a_new_etag(screen, saturday):
    client, _ = screen
    net = await build()
    first = await client.get("/graphql", params=board_params(net.station.id))
    await change_occurrence(net.weekly, at(2026, 3, 21, 9, 30), cancelled=False, title="恢复举办的微宣讲")

    after = await client.get("/graphql", params=board_params(net.station.id), headers={"If-None-Match": first.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != first.headers["etag"]
    assert [(o["title"], o["status"]) for o in after.json()["data"]["board"]["restOfToday"]] == [("恢复举办的微宣讲", "SCHEDULED")]


async def test_a_write_elsewhere_leaves_the_board_in_the_cache(screen, saturday):
    client, documents = screen
    net = await build()
    first = await client.get("/graphql", params=board_params(net.station.id))
    await create_event(kind=EventKind.LECTURE, title="别处的宣讲", platform_id=net.theory.id, site_id=net.other_station.id,
                       starts_at=at(2026, 3, 21, 10), ends_at=at(2026, 3, 21, 11), status=EventStatus.PUBLISHED)

    after = await client.get("/graphql", params=board_params(net.station.id), headers={"If-None-Match": first.headers["etag"]})
    assert after.status_code == 304  # the kiosk downloads nothing ...
    assert documents.executions == 1  # ... and the server computed nothing: the write was in another county


async def test_the_watermark_is_read_once_a_second(screen, saturday):
    client, documents = screen
    net = await build()
    documents.watermark_ttl, seconds = 1.0, [100.0]
    documents.monotonic = lambda: seconds[0]
    first = await client.get("/graphql", params=board_params(net.station.id))
    await change_occurrence(net.weekly, at(2026, 3, 21, 9, 30), cancelled=False)

    seconds[0] = 100.9
    with count_sql() as sql:
        within = await client.get("/graphql", params=board_params(net.station.id), headers={"If-None-Match": first.headers["etag"]})
    assert within.status_code == 304 and sql == []  # no statement at all within the second
    seconds[0] = 101.0
    after = await client.get("/graphql", params=board_params(net.station.id), headers={"If-None-Match": first.headers["etag"]})
    assert after.status_code == 200 and after.json()["data"]["board"]["restOfToday"][0]["status"] == "SCHEDULED"


async def test_the_board_changes_when_its_time_comes(screen, saturday):
    client, documents = screen
    net = await build()
    first = await client.get("/graphql", params=board_params(net.station.id))
    assert first.json()["data"]["board"]["changesAt"] == "2026-03-21T09:30:00+08:00"

    saturday["at"] = at(2026, 3, 21, 9, 29)
    before = await client.get("/graphql", params=board_params(net.station.id), headers={"If-None-Match": first.headers["etag"]})
    assert before.status_code == 304 and documents.executions == 1
    assert before.headers["cache-control"] == "public, max-age=10"

    saturday["at"] = at(2026, 3, 21, 9, 30)  # the lecture's time: it moves from restOfToday to now
    after = await client.get("/graphql", params=board_params(net.station.id), headers={"If-None-Match": first.headers["etag"]})
    assert after.status_code == 200 and documents.executions == 2
    board = after.json()["data"]["board"]
    assert [o["status"] for o in board["now"]] == ["CANCELLED"] and board["restOfToday"] == []


async def test_max_age_never_outlives_the_next_change(screen, monkeypatch):
    client, _ = screen
    net = await build()
    monkeypatch.setattr(clock, "now", lambda: at(2026, 3, 21, 9, 29) + timedelta(seconds=55))
    response = await client.get("/graphql", params=board_params(net.station.id))
    assert response.headers["cache-control"] == "public, max-age=5"


async def test_variables_in_another_order_share_one_answer(screen, saturday):
    client, documents = screen
    net = await build()
    site = gid("Site", net.centre.id)
    await client.get("/graphql", params={"documentId": "board", "variables": json.dumps({"site": site, "within": True})})
    await client.get("/graphql", params={"documentId": "board", "variables": f'{{ "within": true,  "site": "{site}" }}'})
    assert documents.executions == 1


async def test_stats_document(screen, monkeypatch):
    client, documents = screen
    net = await build()
    monkeypatch.setattr(clock, "now", lambda: at(2026, 4, 1))
    params = {"documentId": "stats", "variables": json.dumps({"within": gid("Site", net.centre.id),
                                                              "from": "2026-03-01", "to": "2026-03-31"})}
    first = await client.get("/graphql", params=params)
    assert first.json()["data"]["stats"]["held"]["lectures"] == 2
    again = await client.get("/graphql", params=params, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and documents.executions == 1


async def test_unknown_documents_and_bad_variables_are_named(screen):
    client, _ = screen
    unknown = await client.get("/graphql", params={"documentId": "kiosk-v2"})
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["message"] == "documentId 'kiosk-v2' is not a trusted document; known: board, stats"
    bad = await client.get("/graphql", params={"documentId": "board", "variables": "{site:"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["extensions"]["field"] == "variables"
    both = await client.get("/graphql", params={"documentId": "board", "query": "{ platforms { name } }"})
    assert both.status_code == 400 and "not both" in both.json()["errors"][0]["message"]


async def test_errors_are_answered_but_never_cached(screen, saturday):
    client, documents = screen
    await build()
    for _ in range(2):
        response = await client.get("/graphql", params=board_params(999))
        assert response.status_code == 200 and "does not exist" in response.json()["errors"][0]["message"]
        assert response.headers["cache-control"] == "no-store" and "etag" not in response.headers
    assert documents.executions == 2


async def test_a_request_with_a_token_never_touches_the_shared_cache(screen, saturday):
    client, documents = screen
    net = await build()
    _, secret = await create_token("大屏", site=net.centre, role=Role.VIEWER)
    await client.get("/graphql", params=board_params(net.station.id))
    private = await client.get("/graphql", params=board_params(net.station.id), headers={"Authorization": f"Bearer {secret}"})
    assert private.status_code == 200 and private.json()["data"]["board"]["restOfToday"]
    assert private.headers["cache-control"] == "private, no-store" and "etag" not in private.headers
    assert documents.executions == 2  # run for the token holder, not taken from the shared cache
    refused = await client.get("/graphql", params=board_params(net.station.id), headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401 and refused.headers["cache-control"] == "private, no-store"


async def test_the_media_type_follows_accept(screen, saturday):
    client, _ = screen
    net = await build()
    await client.get("/graphql", params=board_params(net.station.id))
    cached = await client.get("/graphql", params=board_params(net.station.id),
                              headers={"Accept": "application/graphql-response+json"})
    assert cached.headers["content-type"] == "application/graphql-response+json; charset=utf-8"


async def test_post_still_runs_any_document(gql, db):
    await build()
    data = await gql("{ platforms { name } }")
    assert [p["name"] for p in data["platforms"]] == ["理论宣讲", "文化服务"]


def test_every_document_is_one_valid_query(tmp_path):
    assert set(load_documents(schema)) >= {"board", "stats"}
    (tmp_path / "write.graphql").write_text("mutation { __typename }")
    with pytest.raises(ValueError, match="exactly one query"):
        load_documents(schema, tmp_path)
    (tmp_path / "write.graphql").write_text("{ boards { now { title } } }")
    with pytest.raises(ValueError, match="does not validate"):
        load_documents(schema, tmp_path)
