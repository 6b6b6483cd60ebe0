"""Feeds and trusted documents over the wire (issue 11): gzip when the client accepts it,
compressed once per cached body, a distinct ETag per representation, 304s for either."""

from __future__ import annotations

import gzip
import json

import httpx
import icalendar
import pytest

from api.domain.compression import accepts_gzip, etag_matches, gzip_etag
from api.domain import clock
from api.domain.events import create_event
from api.models.events import EventKind, EventStatus
from schema.http import GraphQLApp
from tests.network import build, gid

IDENTITY = {"Accept-Encoding": "identity"}
GZIP = {"Accept-Encoding": "gzip"}


def service_of(client):
    return next(r.feed_service for r in client._transport.app.routes if hasattr(r, "feed_service"))


async def raw(client: httpx.AsyncClient, url: str, headers: dict, **params) -> tuple[httpx.Response, bytes]:
    """The response and its bytes as sent on the wire (httpx would otherwise decode gzip)."""
    async with client.stream("GET", url, headers=headers, params=params) as response:
        return response, b"".join([chunk async for chunk in response.aiter_raw()])


async def test_a_feed_is_gzipped_once_for_every_client_that_accepts_it(db, client):
    n = await build()
    url = f"/feeds/sites/{n.centre.id}.ics"
    params = {"subtree": "1", "from": "2026-03-01", "to": "2026-04-01"}
    plain, plain_bytes = await raw(client, url, IDENTITY, **params)
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert plain.headers["vary"] == "Accept-Encoding"
    service = service_of(client)
    for _ in range(3):
        packed, packed_bytes = await raw(client, url, {"Accept-Encoding": "gzip, deflate, br"}, **params)
        assert packed.status_code == 200 and packed.headers["content-encoding"] == "gzip"
        assert packed.headers["vary"] == "Accept-Encoding"
        assert int(packed.headers["content-length"]) == len(packed_bytes) < len(plain_bytes)
        assert gzip.decompress(packed_bytes) == plain_bytes  # the same calendar ...
        assert packed.headers["etag"] == gzip_etag(plain.headers["etag"]) != plain.headers["etag"]  # ... its own ETag
    assert service.compressions == 1  # compressed once, served three times
    calendar = icalendar.Calendar.from_ical(gzip.decompress(packed_bytes))
    assert {str(e["SUMMARY"]) for e in calendar.walk("VEVENT")} >= {"党的二十大精神微宣讲", "科普集市"}
    # q=0 refuses gzip; "*" accepts it.
    refused, _ = await raw(client, url, {"Accept-Encoding": "gzip;q=0, identity"}, **params)
    assert "content-encoding" not in refused.headers and refused.headers["etag"] == plain.headers["etag"]
    star, _ = await raw(client, url, {"Accept-Encoding": "*"}, **params)
    assert star.headers["content-encoding"] == "gzip"


async def test_if_none_match_answers_304_for_either_representation(db, client):
    n = await build()
    url = f"/feeds/sites/{n.station.id}.ics"
    plain = await client.get(url, headers=IDENTITY)
    packed = await client.get(url, headers=GZIP)
    for sent in (plain.headers["etag"], packed.headers["etag"], f'W/{packed.headers["etag"]}'):
        for accept, expected in ((IDENTITY, plain.headers["etag"]), (GZIP, packed.headers["etag"])):
            response = await client.get(url, headers={**accept, "If-None-Match": sent})
            assert response.status_code == 304 and response.headers["etag"] == expected, (sent, accept)
            assert response.headers["vary"] == "Accept-Encoding" and response.content == b""
    # A change to the feed moves both ETags: the old gzip tag no longer matches.
    soon = clock.now().replace(microsecond=0) + clock.days(3)
    await create_event(kind=EventKind.ACTIVITY, title="新活动", platform_id=n.culture.id, site_id=n.station.id,
                       starts_at=soon, ends_at=soon + clock.days(1) / 24,
                       status=EventStatus.PUBLISHED)
    fresh = await client.get(url, headers={**GZIP, "If-None-Match": packed.headers["etag"]})
    assert fresh.status_code == 200 and "新活动" in fresh.text and fresh.headers["etag"] != packed.headers["etag"]


async def test_a_board_answer_is_gzipped_once_with_its_own_etag(db, settings):
    from api.app import create_app

    n = await build()
    soon = clock.now().replace(microsecond=0) + clock.days(1)
    for i in range(12):  # enough on the board to be worth compressing
        await create_event(kind=EventKind.ACTIVITY, title=f"看板活动{i}", platform_id=n.culture.id, site_id=n.station.id,
                           starts_at=soon + clock.days(i % 6), ends_at=soon + clock.days(i % 6) + clock.days(1) / 24,
                           status=EventStatus.PUBLISHED)
    app = create_app(settings, manage_db=False)
    graphql = next(r.endpoint for r in app.routes if isinstance(getattr(r, "endpoint", None), GraphQLApp))
    params = {"documentId": "board", "variables": json.dumps({"site": gid("Site", n.station.id)})}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        plain, plain_bytes = await raw(client, "/graphql", IDENTITY, **params)
        packed, packed_bytes = await raw(client, "/graphql", GZIP, **params)
        assert "content-encoding" not in plain.headers and packed.headers["content-encoding"] == "gzip"
        assert "Accept-Encoding" in packed.headers["vary"] and "Accept-Encoding" in plain.headers["vary"]
        assert gzip.decompress(packed_bytes) == plain_bytes and len(packed_bytes) < len(plain_bytes)
        assert len(json.loads(plain_bytes)["data"]["board"]["weekAhead"]) == 7
        assert packed.headers["etag"] == gzip_etag(plain.headers["etag"])
        assert graphql.documents.executions == 1  # one computation serves both encodings
        for sent in (plain.headers["etag"], packed.headers["etag"]):
            again = await client.get("/graphql", params=params, headers={**GZIP, "If-None-Match": sent})
            assert again.status_code == 304 and again.headers["etag"] == packed.headers["etag"]


@pytest.mark.parametrize(("header", "wanted"), [
    (None, False), ("", False), ("identity", False), ("gzip", True), ("GZIP", True), ("deflate, gzip;q=0.5", True),
    ("gzip;q=0", False), ("gzip;q=0.0, *", False), ("*", True), ("*;q=0", False), ("br, *;q=0.1", True),
    ("x-gzip", True), ("gzip;q=abc", False),
])
def test_accept_encoding_is_read_with_its_q_values(header, wanted):
    assert accepts_gzip(header) is wanted


def test_if_none_match_lists_are_read_per_tag():
    assert etag_matches('"a", W/"b-gzip"', '"b"') and etag_matches("*", '"x"')
    assert not etag_matches('"ab"', '"a"') and not etag_matches(None, '"a"')
