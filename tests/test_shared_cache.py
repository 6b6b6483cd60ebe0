"""Workers that share (issue 18): with Redis, what one app instance rendered another serves
without rendering it again: feeds' events and bodies, and trusted documents' answers.

Two app instances over one database and one Redis stand for two worker processes."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from api.app import create_app
from api.domain import clock
from api.domain.events import change_occurrence
from api.settings import Settings
from tests.live_support import redis_settings
from schema.http import GraphQLApp
from tests.network import at, build, gid

MARCH = {"from": "2026-03-01", "to": "2026-04-01"}


def _service(app):
    return next(route.feed_service for route in app.routes if hasattr(route, "feed_service"))


@pytest.fixture
async def workers(db, settings: Settings) -> AsyncIterator[list[tuple[object, httpx.AsyncClient]]]:
    shared = redis_settings(settings, f"wenming-test-{uuid.uuid4().hex[:8]}")
    out = []
    for _ in range(2):
        app = create_app(shared, manage_db=False)
        out.append((app, httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")))
    yield out
    for app, client in out:
        await client.aclose()
        await _service(app).shared.close()
        await _documents(app).shared.close()


async def test_a_second_worker_serves_the_feed_the_first_rendered(workers):
    (app1, one), (app2, two) = workers
    n = await build()
    url = f"/feeds/sites/{n.centre.id}.ics"
    first = await one.get(url, params={"subtree": "1", **MARCH})
    rendered_by_one = _service(app1).renders
    assert first.status_code == 200 and rendered_by_one >= 3

    second = await two.get(url, params={"subtree": "1", **MARCH})
    assert second.content == first.content and second.headers["etag"] == first.headers["etag"]
    assert _service(app2).renders == 0  # the whole body came from the first worker's render

    # An edit: the feed changes, and the second worker renders only the edited event, taking
    # the others' text from the first worker's render.
    await change_occurrence(n.weekly, at(2026, 3, 7, 9, 30), title="新标题")
    third = await two.get(url, params={"subtree": "1", **MARCH})
    assert third.headers["etag"] != first.headers["etag"] and "新标题" in third.text
    assert _service(app2).renders == 1
    # ... and the first worker, asked again, takes the edited event from the second.
    fourth = await one.get(url, params={"subtree": "1", **MARCH})
    assert fourth.content == third.content
    assert _service(app1).renders == rendered_by_one


def _documents(app):
    graphql = next(r.endpoint for r in app.routes if isinstance(getattr(r, "endpoint", None), GraphQLApp))
    graphql.documents.watermark_ttl = 0  # read the watermark on every request
    return graphql.documents


async def test_a_second_worker_serves_the_board_the_first_computed(workers, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: at(2026, 3, 21, 9))  # Saturday 21 March, 09:00
    (app1, one), (app2, two) = workers
    docs1, docs2 = _documents(app1), _documents(app2)
    n = await build()
    params = {"documentId": "board", "variables": json.dumps({"site": gid("Site", n.centre.id), "within": True})}

    first = await one.get("/graphql", params=params)
    assert first.status_code == 200 and docs1.executions == 1
    second = await two.get("/graphql", params=params)
    assert second.content == first.content and second.headers["etag"] == first.headers["etag"]
    assert docs2.executions == 0  # the first worker's answer, found under the same watermark

    # A change moves the watermark: the second worker computes the new board once, and the
    # first, asked again, takes that one instead of running the document itself.
    await change_occurrence(n.weekly, at(2026, 3, 21, 9, 30), title="今天改了标题")
    third = await two.get("/graphql", params=params)
    assert "今天改了标题" in third.text and docs2.executions == 1
    fourth = await one.get("/graphql", params=params)
    assert fourth.content == third.content and docs1.executions == 1
