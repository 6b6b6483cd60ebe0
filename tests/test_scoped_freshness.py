"""Write load does not empty the read caches (issue 10): a write makes stale only the boards
and feeds whose scope or shown rows it touched, and those show it on the next request. Both
halves on SQLite and PostgreSQL, through the real app and the domain's own writes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from tortoise import connections

from api.app import create_app
from api.domain import clock, series
from api.domain.events import change_occurrence, create_event
from api.domain.freshness import ChangeTracker, Dependencies, watermark
from api.domain.people import update_person
from api.domain.sites import update_site
from api.domain.teams import update_team
from api.models.events import Event, EventKind, EventLecturer, EventStatus
from api.models.people import Person
from api.models.sites import Site
from api.models.teams import Team
from schema.http import GraphQLApp
from tests.network import Network, build, gid

WINDOW = {"from": "2026-03-01", "to": "2026-05-01"}


@pytest.fixture
async def app_client(db, settings) -> AsyncIterator[tuple[httpx.AsyncClient, object, object]]:
    """A client on a fresh app, its feed service and its trusted-document service."""
    app = create_app(settings, manage_db=False)
    documents = next(r.endpoint for r in app.routes if isinstance(getattr(r, "endpoint", None), GraphQLApp)).documents
    documents.watermark_ttl = 0  # check on every request: "the next request" is the bar
    feeds = next(r.feed_service for r in app.routes if hasattr(r, "feed_service"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client, feeds, documents


def text(response: httpx.Response) -> str:
    """The body with iCal's folded lines joined again (a name may be split across a fold)."""
    return response.text.replace("\r\n ", "")


def feed_urls(n: Network) -> dict[str, tuple[str, dict]]:
    """The feeds of the institute's township, and of the other county."""
    return {
        "station": (f"/feeds/sites/{n.station.id}.ics", WINDOW),
        "institute subtree": (f"/feeds/sites/{n.institute.id}.ics", {"subtree": "1", **WINDOW}),
        "centre subtree": (f"/feeds/sites/{n.centre.id}.ics", {"subtree": "1", **WINDOW}),
        "team": (f"/feeds/teams/{n.weekly.team_id}.ics", WINDOW),
        "lecturer": (f"/feeds/lecturers/{n.lecturer.id}.ics", WINDOW),
        "weekly event": (f"/feeds/events/{n.weekly.id}.ics", WINDOW),
        "other county": (f"/feeds/sites/{n.other_centre.id}.ics", {"subtree": "1", **WINDOW}),
    }


async def poll(client: httpx.AsyncClient, feeds, n: Network, etags: dict[str, str]) -> dict[str, httpx.Response]:
    """Every feed with If-None-Match of the ETag seen last; returns the responses."""
    out = {}
    for name, (url, params) in feed_urls(n).items():
        headers = {"If-None-Match": etags[name]} if name in etags else {}
        out[name] = await client.get(url, params=params, headers=headers)
        assert out[name].status_code in (200, 304), out[name].text
        etags[name] = out[name].headers["etag"]
    return out


async def computed(client, feeds, n: Network, etags: dict[str, str]) -> tuple[set[str], dict[str, httpx.Response]]:
    """Which feeds had their state computed again, by polling them one by one."""
    again: set[str] = set()
    responses = {}
    for name in feed_urls(n):
        before = feeds.computes
        responses |= await poll_one(client, n, name, etags)
        if feeds.computes > before:
            again.add(name)
    return again, responses


async def poll_one(client, n: Network, name: str, etags: dict[str, str]) -> dict[str, httpx.Response]:
    url, params = feed_urls(n)[name]
    headers = {"If-None-Match": etags[name]} if name in etags else {}
    response = await client.get(url, params=params, headers=headers)
    assert response.status_code in (200, 304), response.text
    etags[name] = response.headers["etag"]
    return {name: response}


async def test_a_write_in_one_county_leaves_the_other_countys_feeds_cached(app_client):
    client, feeds, _ = app_client
    n = await build()
    etags: dict[str, str] = {}
    await poll(client, feeds, n, etags)
    again, _ = await computed(client, feeds, n, etags)
    assert again == set()  # nothing written: every feed from memory

    # A new lecture in the other county: only the other county's feed is looked at again.
    start = clock.local(n.elsewhere.starts_at) + timedelta(days=7)
    await create_event(kind=EventKind.LECTURE, title="海边新宣讲", platform_id=n.theory.id, site_id=n.other_station.id,
                       starts_at=start, ends_at=start + timedelta(hours=1), status=EventStatus.PUBLISHED)
    again, responses = await computed(client, feeds, n, etags)
    assert again == {"other county"}
    assert responses["other county"].status_code == 200 and "海边新宣讲" in text(responses["other county"])
    assert all(responses[name].status_code == 304 for name in feed_urls(n) if name != "other county")


async def test_every_write_that_changes_a_feed_shows_in_the_next_request(app_client):
    client, feeds, _ = app_client
    n = await build()
    etags: dict[str, str] = {}
    await poll(client, feeds, n, etags)

    async def after_write(*expected: str) -> dict[str, httpx.Response]:
        again, responses = await computed(client, feeds, n, etags)
        changed = {name for name, r in responses.items() if r.status_code == 200}
        assert set(expected) <= changed, (expected, changed)  # every feed the write changed shows it ...
        assert changed <= again  # ... and a 200 only ever comes from a state computed again
        assert "other county" not in again  # the other county's feed never had to be looked at
        return responses

    # One occurrence of the weekly series retitled (an override, not the event's row).
    await change_occurrence(n.weekly, clock.local(n.weekly.starts_at), title="改题的微宣讲")
    got = await after_write("station", "institute subtree", "centre subtree", "team", "lecturer", "weekly event")
    assert "改题的微宣讲" in text(got["station"]) and "改题的微宣讲" in text(got["lecturer"])

    # The team renamed: its name is in the team feed's name and in its events' descriptions.
    team = await Team.get(id=n.weekly.team_id)
    await update_team(team, team.version, {"name": "洛地有声新宣讲队"})
    got = await after_write("team", "station", "institute subtree", "centre subtree", "lecturer", "weekly event")
    assert "洛地有声新宣讲队" in text(got["team"]) and "洛地有声新宣讲队" in text(got["station"])

    # The lecturer renamed: the lecture's description names them.
    person = await Person.get(id=n.lecturer.id)
    await update_person(person, person.version, {"name": "陈新讲"})
    got = await after_write("lecturer", "station", "weekly event", "team")
    assert "陈新讲" in text(got["lecturer"]) and "陈新讲" in text(got["station"])

    # An ancestor renamed: the institute's subtree feed carries its name.
    institute = await Site.get(id=n.institute.id)
    await update_site(institute, institute.version, {"name": "河市镇新时代文明实践所(新)"})
    got = await after_write("institute subtree")
    assert "河市镇新时代文明实践所(新)" in text(got["institute subtree"])

    # A lecturer added to an event in the other county: it enters their feed (that one feed of
    # the township's; the other county's feed is looked at again too, as its event changed).
    elsewhere = await Event.get(id=n.elsewhere.id)
    await series.update_series(elsewhere, elsewhere.version, {}, [n.lecturer.id], [])
    url, params = feed_urls(n)["lecturer"]
    got = await client.get(url, params=params, headers={"If-None-Match": etags["lecturer"]})
    assert got.status_code == 200 and n.elsewhere.title in text(got)


async def test_an_event_leaving_a_scope_leaves_its_feed_and_board(app_client):
    client, feeds, documents = app_client
    n = await build()
    etags: dict[str, str] = {}
    await poll(client, feeds, n, etags)
    # The station moved to the other county (a STATION may sit under any INSTITUTE): its events
    # leave this county's subtree feed and enter the other's, though no event row changed.
    other_institute = await Site.get(path__startswith=n.other_centre.path, kind="INSTITUTE")
    station = await Site.get(id=n.station.id)
    await update_site(station, station.version, {}, parent=other_institute)
    got = await poll(client, feeds, n, etags)
    assert n.weekly.title not in text(got["centre subtree"]) and n.weekly.title not in text(got["institute subtree"])
    assert got["other county"].status_code == 200 and n.weekly.title in text(got["other county"])


async def test_boards_recompute_only_for_writes_in_their_scope(app_client, monkeypatch):
    client, _, documents = app_client
    n = await build()
    monkeypatch.setattr(clock, "now", lambda: clock.local(n.weekly.starts_at) - timedelta(days=1))
    soon = clock.local(n.weekly.starts_at) + timedelta(hours=3)

    def params(site: Site, within: bool = False) -> dict:
        return {"documentId": "board", "variables": json.dumps({"site": gid("Site", site.id), "within": within})}

    boards = {"station": params(n.station), "station2": params(n.station2), "county": params(n.centre, True),
              "other county": params(n.other_centre, True)}
    etags = {name: (await client.get("/graphql", params=p)).headers["etag"] for name, p in boards.items()}

    async def recomputed() -> tuple[set[str], dict[str, httpx.Response]]:
        again, responses = set(), {}
        for name, p in boards.items():
            before = documents.executions
            responses[name] = await client.get("/graphql", params=p, headers={"If-None-Match": etags[name]})
            etags[name] = responses[name].headers["etag"]
            if documents.executions > before:
                again.add(name)
        return again, responses

    # Written at the neighbouring village: its board and the county's, not the station's.
    await create_event(kind=EventKind.ACTIVITY, title="溪阳夜校", platform_id=n.culture.id, site_id=n.station2.id,
                       starts_at=soon, ends_at=soon + timedelta(hours=1), status=EventStatus.PUBLISHED)
    again, got = await recomputed()
    assert again == {"station2", "county"}
    assert "溪阳夜校" in got["station2"].text and "溪阳夜校" in text(got["county"])
    assert got["station"].status_code == 304 and got["other county"].status_code == 304

    # The station's lecture cancelled: its board (and the county's) show it on the next request.
    weekly = await Event.get(id=n.weekly.id)
    await series.set_status(weekly, weekly.version, EventStatus.CANCELLED, [])
    again, got = await recomputed()
    assert again == {"station", "county"}
    assert got["station"].status_code == 200
    statuses = {o["status"] for d in got["station"].json()["data"]["board"]["weekAhead"] for o in d["occurrences"]}
    assert statuses == {"CANCELLED"}

    # A platform renamed shows on every board listing its events (and nowhere else is computed).
    from api.models.platforms import Platform

    culture = await Platform.get(id=n.culture.id)
    await Platform.filter(id=culture.id).update(name="文化惠民", updated_at=clock.local(clock.now()).replace(year=2031))
    again, got = await recomputed()
    assert {"station2", "county"} <= again and "other county" not in again
    assert "文化惠民" in got["station2"].text


async def test_a_change_that_leaves_no_row_to_read_makes_everything_stale(db):
    """A lecturer link deleted outright (no event saved): the tracker cannot say whose, so it
    says everyone's. Coarse, never wrong."""
    n = await build()
    tracker = ChangeTracker()
    await tracker.sync()
    since = tracker.generation
    narrow = Dependencies(shows=frozenset({("event", n.fair.id)}), scope=frozenset({("site", n.institute.id)}))
    await tracker.sync()
    assert tracker.unchanged(narrow, since)
    await connections.get("default").execute_query(f"DELETE FROM event_lecturer WHERE event_id = {n.weekly.id}")
    assert await EventLecturer.filter(event_id=n.weekly.id).count() == 0
    await tracker.sync()
    assert not tracker.unchanged(narrow, since)


@pytest.mark.parametrize("table", ["membership", "event_lecturer", "event_override"])
async def test_a_row_deleted_outright_moves_the_watermark(db, table):
    """The watermark notices hard deletes through migration 0023's triggers (not a COUNT of
    the table): a raw DELETE moves it, a DELETE that matched nothing does not. A later
    migration that rebuilds one of these tables on SQLite would drop its trigger: this fails."""
    await build()
    conn = connections.get("default")
    _, rows = await conn.execute_query(f"SELECT MIN(id) FROM {table}")
    first = tuple(rows[0])[0]
    assert first is not None, f"the network holds no {table} row"
    before = await watermark()
    await conn.execute_query(f"DELETE FROM {table} WHERE id = -1")
    assert await watermark() == before
    await conn.execute_query(f"DELETE FROM {table} WHERE id = {first}")
    assert await watermark() != before


async def test_concurrent_requests_after_a_write_all_see_it(app_client):
    """Requests arriving together share the tracker's reads, but none is answered from a read
    that started before it arrived."""
    import asyncio

    client, feeds, _ = app_client
    n = await build()
    url, params = feed_urls(n)["station"]
    for round_ in range(3):
        await asyncio.gather(*(client.get(url, params=params) for _ in range(4)))  # reads in flight, cached
        await change_occurrence(n.weekly, clock.local(n.weekly.starts_at), title=f"第{round_}次改题")
        seen = await asyncio.gather(*(client.get(url, params=params) for _ in range(6)))
        assert all(f"第{round_}次改题" in text(r) for r in seen)
    assert feeds.tracker.syncs < 3 * 10  # shared: fewer reads than requests
