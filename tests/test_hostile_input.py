"""Hostile or plainly wrong input gets a cheap, clear 4xx or a GraphQL error with a stable code
naming what is wrong: never a 500, never a masked "Internal error" (issue 11)."""

from __future__ import annotations

import base64
import json
from datetime import datetime

import httpx
import pytest

from api.app import create_app
from tests.auth_support import make_callers, post
from tests.live_support import serving
from tests.network import build, gid

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


def raw_gid(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def cursor(key: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


async def send(client: httpx.AsyncClient, body: bytes, content_type: str = "application/json") -> httpx.Response:
    return await client.post("/graphql", content=body, headers={"content-type": content_type})


def only_error(response: httpx.Response) -> dict:
    """The single error of a GraphQL answer that must not be a server fault."""
    assert response.status_code < 500, response.text
    body = response.json()
    assert body.get("errors"), body
    (error,) = body["errors"]
    assert "Internal error" not in error["message"], error
    assert error["message"]
    return error


# --- the HTTP layer -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"query": "{ __typename }", "x": "\xff\xfe"}', "BAD_REQUEST"),  # not UTF-8
        (b"42", "BAD_REQUEST"),
        (b"null", "BAD_REQUEST"),
        (b'"{ __typename }"', "BAD_REQUEST"),
        (b"true", "BAD_REQUEST"),
        (b"[" * 100_000 + b"]" * 100_000, "BAD_REQUEST"),  # nested past any parser's stack
        (b'{"query": ' + b"[" * 5000 + b"]" * 5000 + b"}", "BAD_REQUEST"),
        (b'{"query": "{ __typename }", "variables": 5}', "BAD_REQUEST"),
        (b"{not json", "BAD_REQUEST"),
    ],
)
async def test_a_broken_body_is_a_400_that_says_why(client, body, code):
    for accept in ("application/json", GRAPHQL_RESPONSE_JSON):
        response = await client.post("/graphql", content=body, headers={"content-type": "application/json", "accept": accept})
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith(accept)
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == code
        assert "data" not in response.json()


async def test_an_unsupported_content_type_is_a_json_error(client):
    response = await client.post("/graphql", content=b"query=x", headers={"content-type": "text/plain"})
    assert response.status_code in (400, 415), response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_lone_surrogate_in_variables_is_refused_and_named(client):
    await build()
    body = '{"query": "query($n: String) { sites(name: $n) { edges { node { name } } } }", "variables": {"n": "\\ud800x"}}'
    response = await send(client, body.encode())
    error = only_error(response)
    assert error["extensions"]["code"] == "INVALID_UNICODE"
    assert "n" in error["message"]


async def test_a_lone_surrogate_in_trusted_document_variables_is_a_400(client):
    net = await build()
    variables = '{"site": "\\udc00' + gid("Site", net.station.id) + '"}'
    response = await client.get("/graphql", params={"documentId": "board", "variables": variables})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_UNICODE"


# --- ids and cursors ------------------------------------------------------------------------------

SITE = "query($id: ID!) { site(id: $id) { name } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"
SITES = "query($after: String, $within: ID) { sites(after: $after, within: $within) { edges { node { name } } } }"
OCCURRENCES = """query($after: String) { occurrences(from: "2026-03-01T00:00:00+08:00", to: "2026-04-01T00:00:00+08:00",
  after: $after) { edges { node { id } } } }"""


@pytest.mark.parametrize(
    ("query", "variables", "code", "argument"),
    [
        (SITE, {"id": raw_gid("Site:99999999999999999999999")}, "BAD_ID", "id"),
        (SITE, {"id": raw_gid("Site:-1")}, "BAD_ID", "id"),
        (SITE, {"id": raw_gid("Site:²")}, "BAD_ID", "id"),
        (SITES, {"within": raw_gid("Site:9223372036854775808")}, "BAD_ID", "within"),
        (SITES, {"after": cursor([99999999999999999999999])}, "BAD_CURSOR", "after"),
        (SITES, {"after": cursor(["a"])}, "BAD_CURSOR", "after"),
        (SITES, {"after": cursor([None])}, "BAD_CURSOR", "after"),
        (SITES, {"after": cursor([True])}, "BAD_CURSOR", "after"),
        (SITES, {"after": "not base64 at all!"}, "BAD_CURSOR", "after"),
        (OCCURRENCES, {"after": cursor([1e300, 1])}, "BAD_CURSOR", "after"),
        (OCCURRENCES, {"after": cursor(["x", "y"])}, "BAD_CURSOR", "after"),
        (OCCURRENCES, {"after": cursor([1767225600.0, 2**70])}, "BAD_CURSOR", "after"),
    ],
)
async def test_impossible_ids_and_cursors_are_named(client, query, variables, code, argument):
    await build()
    error = only_error(await client.post("/graphql", json={"query": query, "variables": variables}))
    assert error["extensions"]["code"] == code
    assert error["extensions"]["argument"] == argument


async def test_node_with_an_impossible_id_is_null(client):
    await build()
    for node_id in ("Site:99999999999999999999999", "Site:²", "Site:-5"):
        body = (await client.post("/graphql", json={"query": NODE, "variables": {"id": raw_gid(node_id)}})).json()
        assert body == {"data": {"node": None}}, body


# --- dates, datetimes and strings -----------------------------------------------------------------

OCC_WINDOW = "query($from: DateTime!, $to: DateTime!) { occurrences(from: $from, to: $to) { edges { node { id } } } }"
STATS = "query($from: Date, $to: Date) { stats(from: $from, to: $to) { held { lectures } } }"
ORDER_STATS = "query($within: ID!, $from: Date, $to: Date) { orderStats(within: $within, from: $from, to: $to) { total } }"


@pytest.mark.parametrize("year", ["0001", "9999"])
async def test_dates_far_outside_the_calendar_are_refused(client, year):
    net = await build()
    cases = [
        (OCC_WINDOW, {"from": f"{year}-01-01T00:00:00+08:00", "to": "2026-04-01T00:00:00+08:00"}),
        (OCC_WINDOW, {"from": "2026-03-01T00:00:00+08:00", "to": f"{year}-12-31T23:59:59+08:00"}),
        (STATS, {"from": f"{year}-01-01"}),
        (STATS, {"to": f"{year}-12-31"}),
        (ORDER_STATS, {"within": gid("Site", net.centre.id), "from": f"{year}-01-01"}),
        (ORDER_STATS, {"within": gid("Site", net.centre.id), "to": f"{year}-12-31"}),
    ]
    for query, variables in cases:
        error = only_error(await client.post("/graphql", json={"query": query, "variables": variables}))
        assert error["extensions"]["code"] == "OUT_OF_RANGE", error
        assert error["extensions"]["argument"] in ("from", "to")


async def test_a_date_literal_out_of_range_names_the_argument(client):
    await build()
    query = '{ stats(from: "0001-01-01") { held { lectures } } }'
    error = only_error(await client.post("/graphql", json={"query": query}))
    assert error["extensions"]["code"] == "OUT_OF_RANGE"
    assert error["extensions"]["argument"] == "from"


NAME_FILTERS = [
    "query($n: String) { sites(name: $n) { edges { node { id } } } }",
    "query($n: String) { teams(name: $n) { edges { node { id } } } }",
    "query($n: String) { lecturers(name: $n) { edges { node { id } } } }",
]


@pytest.mark.parametrize("query", NAME_FILTERS)
async def test_a_huge_name_filter_is_refused(client, query):
    await build()
    error = only_error(await client.post("/graphql", json={"query": query, "variables": {"n": "讲" * 17_000}}))
    assert error["extensions"]["code"] == "TOO_LONG"
    assert error["extensions"]["argument"] == "name"


SERVICE_TOKEN = """mutation($input: CreateServiceTokenInput!) { createServiceToken(input: $input) {
  secret errors { field code message } } }"""
CREATE_VENUE = """mutation($input: CreateVenueInput!) { createVenue(input: $input) {
  venue { id } errors { field code message } } }"""
AUDIT = "query($within: ID!, $actor: String) { auditLog(within: $within, actor: $actor) { edges { node { id } } } }"


async def test_write_inputs_are_checked_before_the_database_sees_them(client):
    net = await build()
    callers = await make_callers(net)
    naive = await post(client, callers.admin, SERVICE_TOKEN, input={
        "name": "kiosk", "siteId": gid("Site", net.institute.id), "role": "VIEWER", "expiresAt": "2030-01-01T00:00:00"})
    error = only_error(naive)
    assert error["extensions"]["code"] == "NO_OFFSET" and "expiresAt" in error["message"]

    venue = await post(client, callers.admin, CREATE_VENUE, input={
        "siteId": gid("Site", net.station.id), "name": "礼堂", "kind": None})
    payload = venue.json()
    assert "errors" not in payload, payload
    assert payload["data"]["createVenue"]["errors"] == [
        {"field": ["input", "kind"], "code": "REQUIRED", "message": "kind must not be null"}]

    surrogate = await client.post("/graphql", content=json.dumps({"query": CREATE_VENUE, "variables": {"input": {
        "siteId": gid("Site", net.station.id), "name": "\udfff礼堂"}}}).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {callers.admin}"})
    assert only_error(surrogate)["extensions"]["code"] == "INVALID_UNICODE"

    long_actor = await post(client, callers.admin, AUDIT, within=gid("Site", net.centre.id), actor="x" * 121)
    error = only_error(long_actor)
    assert error["extensions"]["code"] == "TOO_LONG" and error["extensions"]["argument"] == "actor"


# --- error shape --------------------------------------------------------------------------------


async def test_every_client_error_carries_a_code(client):
    await build()
    cases = [
        ("{ sites(first: 1000) { edges { node { id } } } }", "BAD_PAGE_SIZE"),
        ("{ sites { edges { node { nosuchfield } } } }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ sites { ", "GRAPHQL_PARSE_FAILED"),
        ('query($f: Int) { sites(first: $f) { edges { node { id } } } }', None),  # fine: null
    ]
    for query, code in cases:
        body = (await client.post("/graphql", json={"query": query})).json()
        if code is None:
            assert "errors" not in body
            continue
        assert body["errors"][0]["extensions"]["code"] == code, body
    bad_variable = await client.post("/graphql", json={
        "query": "query($f: Int) { sites(first: $f) { edges { node { id } } } }", "variables": {"f": "many"}})
    assert bad_variable.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_pre_execution_errors_under_graphql_response_json_have_no_data(client):
    await build()
    for query in ("{ sites { ", "{ nosuchfield }"):
        response = await client.post("/graphql", json={"query": query}, headers={"accept": GRAPHQL_RESPONSE_JSON})
        assert response.status_code == 400
        assert "data" not in response.json(), response.json()


# --- feeds --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "status", "parameter"),
    [
        ("/feeds/sites/%C2%B2.ics", {}, 404, "site"),
        ("/feeds/sites/%EF%BC%91.ics", {}, 404, "site"),  # a full-width digit one
        ("/feeds/platforms/99999999999999999999999.ics", {}, 404, "platform"),
        ("/feeds/events/-1.ics", {}, 404, "event"),
        ("SITE", {"from": "0001-01-01"}, 400, "from"),
        ("SITE", {"from": "0001-01-01T00:00:00+08:00"}, 400, "from"),
        ("SITE", {"to": "9999-12-31"}, 400, "to"),
        ("SITE", {"to": "9999-12-31T23:59:59+08:00"}, 400, "to"),
        ("/feeds/sites/1", {}, 404, "path"),
        ("/feeds/sites/1.ical", {}, 404, "path"),
        ("/feeds/nothing/1.ics", {}, 404, "path"),
    ],
)
async def test_hostile_feed_urls_get_a_json_4xx(client, path, params, status, parameter):
    net = await build()
    path = f"/feeds/sites/{net.centre.id}.ics" if path == "SITE" else path
    response = await client.get(path, params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["parameter"] == parameter and error["message"] and error["code"]


# --- the same over a real server ------------------------------------------------------------------


async def test_a_real_server_answers_every_hostile_request_with_a_4xx(db, settings):
    """uvicorn parses the raw bytes and the URL itself: nothing above may reach a 500 there."""
    net = await build()
    bodies = [b'{"query": "{ __typename }", "x": "\xff"}', b"42", b"null", b"true", b'"q"', b"[" * 100_000,
              b'{"query": "query($n: String) { sites(name: $n) { totalCount } }", "variables": {"n": "\\udfff"}}']
    paths = ["/feeds/sites/%C2%B2.ics", "/feeds/platforms/99999999999999999999999.ics", "/feeds/sites/1",
             f"/feeds/sites/{net.centre.id}.ics?from=0001-01-01", f"/feeds/sites/{net.centre.id}.ics?to=9999-12-31",
             "/graphql?documentId=board&variables=%7B%22site%22%3A%22%5Cud800%22%7D"]
    async with serving(create_app(settings, manage_db=False)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            for body in bodies:
                response = await http.post("/graphql", content=body, headers={"content-type": "application/json"})
                assert response.status_code == 400, (body[:40], response.text)
                assert response.json()["errors"][0]["extensions"]["code"] in ("BAD_REQUEST", "INVALID_UNICODE")
            for path in paths:
                response = await http.get(path)
                assert 400 <= response.status_code < 500, (path, response.text)
                assert response.headers["content-type"].startswith("application/json"), path


async def test_a_big_scope_gets_a_narrower_default_window(client, monkeypatch):
    """Past BIG_FEED_COMPONENTS VEVENTs in the default window (90 days back, 365 ahead) a feed
    asked without a window gets a week back and 90 days ahead; a window asked for is served as is."""
    from datetime import timedelta

    from api.domain import clock
    from api.domain.events import create_event
    from api.feeds import params as feed_params
    from api.models.events import EventKind, EventStatus

    net = await build()
    midnight = clock.day_start(clock.local_date(clock.now()))
    for days, title in [(-60, "两月前的活动"), (-3, "三天前的活动"), (30, "下月的活动"), (200, "半年后的活动")]:
        start = midnight + timedelta(days=days, hours=9)
        await create_event(kind=EventKind.ACTIVITY, title=title, platform_id=net.culture.id, site_id=net.station.id,
                           starts_at=start, ends_at=start + timedelta(hours=2), status=EventStatus.PUBLISHED)
    url = f"/feeds/sites/{net.centre.id}.ics"

    async def feed(**params) -> tuple[str, timedelta]:
        response = await client.get(url, params={"subtree": "1", **params})
        assert response.status_code == 200, response.text
        start, end = (datetime.fromisoformat(t) for t in response.headers["x-feed-window"].split("/"))
        return response.text, end - start

    text, length = await feed()
    assert length == timedelta(days=90 + 365 + 1) and "两月前的活动" in text  # small: the usual default
    monkeypatch.setattr(feed_params, "BIG_FEED_COMPONENTS", 3)
    text, length = await feed()
    assert length == timedelta(days=7 + 90 + 1)
    assert "三天前的活动" in text and "下月的活动" in text
    assert "两月前的活动" not in text and "半年后的活动" not in text
    text, length = await feed(days_back="90", days_ahead="365")  # asked for: served whole
    assert length == timedelta(days=90 + 365 + 1) and "两月前的活动" in text and "半年后的活动" in text
