"""Idempotency-Key on mutations (issue 10): a retry with the same key gets the first answer and
writes nothing more; the same key with another request, or a malformed key, is refused with a
code; keys belong to their caller and expire. Real HTTP through the ASGI app, on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from api.domain import clock, idempotency
from api.models.idempotency import IdempotencyKey
from api.models.orders import Order
from api.models.sites import Site
from tests.auth_support import make_callers
from tests.network import build, gid
from tests.orders_support import loop_setup

CREATE_SITE = """mutation($input: CreateSiteInput!) { createSite(input: $input) {
  site { id name } errors { field code message } } }"""
PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { token order { id } errors { code } } }"""


async def _send(client: httpx.AsyncClient, token: str | None, key: str | None, query: str, **variables) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if key is not None:
        headers["Idempotency-Key"] = key
    return await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


def _point(net, name: str) -> dict:
    return {"kind": "POINT", "name": name, "parentId": gid("Site", net.institute.id)}


async def test_a_retry_with_the_same_key_gets_the_first_answer_and_writes_once(client):
    net = await build()
    callers = await make_callers(net)
    first = await _send(client, callers.admin, "c0ffee-1", CREATE_SITE, input=_point(net, "重试点"))
    assert first.status_code == 200 and first.json()["data"]["createSite"]["errors"] == [], first.text
    assert "idempotent-replayed" not in first.headers
    again = await _send(client, callers.admin, "c0ffee-1", CREATE_SITE, input=_point(net, "重试点"))
    assert again.status_code == 200 and again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert await Site.filter(name="重试点").count() == 1
    # Another key is another request.
    other = await _send(client, callers.admin, "c0ffee-2", CREATE_SITE, input=_point(net, "重试点"))
    assert other.json()["data"]["createSite"]["site"]["id"] != first.json()["data"]["createSite"]["site"]["id"]
    assert await Site.filter(name="重试点").count() == 2


async def test_the_same_key_with_another_request_is_refused_and_changes_nothing(client):
    net = await build()
    callers = await make_callers(net)
    await _send(client, callers.admin, "key-A", CREATE_SITE, input=_point(net, "甲点"))
    reused = await _send(client, callers.admin, "key-A", CREATE_SITE, input=_point(net, "乙点"))
    assert reused.status_code == 422
    error = reused.json()["errors"][0]
    assert error["extensions"] == {"code": "IDEMPOTENCY_KEY_REUSED", "header": "Idempotency-Key"}
    assert "different request" in error["message"]
    assert await Site.filter(name="乙点").count() == 0


async def test_a_malformed_key_is_refused_before_anything_runs(client):
    net = await build()
    callers = await make_callers(net)
    for bad in ["", "has space", "x" * 256, "键"]:
        response = await client.post("/graphql", json={"query": CREATE_SITE, "variables": {"input": _point(net, "坏键点")}},
                                     headers={"Authorization": f"Bearer {callers.admin}",
                                              "Idempotency-Key": bad.encode()})
        assert response.status_code == 400, (bad, response.text)
        assert response.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_INVALID"
    assert await Site.filter(name="坏键点").count() == 0


async def test_keys_belong_to_their_caller(client):
    net = await build()
    callers = await make_callers(net)
    mine = await _send(client, callers.admin, "shared-key", CREATE_SITE, input=_point(net, "管理员的点"))
    theirs = await _send(client, callers.editor, "shared-key", CREATE_SITE, input=_point(net, "编辑的点"))
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["data"]["createSite"]["site"]["name"] == "编辑的点"
    assert mine.json()["data"]["createSite"]["site"]["name"] == "管理员的点"


async def test_a_refusal_is_the_first_answer_too(client):
    """The first answer is kept whatever it says: a retry does not turn a refusal into a write
    behind the client's back (it sends a new key for a corrected request)."""
    net = await build()
    callers = await make_callers(net)
    bad = {"kind": "POINT", "name": "", "parentId": gid("Site", net.institute.id)}
    first = await _send(client, callers.admin, "refused-1", CREATE_SITE, input=bad)
    assert first.json()["data"]["createSite"]["errors"], first.text
    again = await _send(client, callers.admin, "refused-1", CREATE_SITE, input=bad)
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"


async def test_an_anonymous_order_placed_twice_with_one_key_is_one_order(client):
    loop = await loop_setup()
    place = {"itemId": gid("ServiceItem", loop.item.id), "siteId": gid("Site", loop.net.station.id),
             "residentName": "张阿姨", "residentPhone": "13812345678", "preferredTimes": "周六上午"}
    first = await _send(client, None, "order-7f3a", PLACE, input=place)
    assert first.json()["data"]["placeOrder"]["errors"] == [], first.text
    again = await _send(client, None, "order-7f3a", PLACE, input=place)
    assert again.content == first.content  # the same private order token, given once more
    assert await Order.all().count() == 1


async def test_concurrent_requests_with_one_key_write_once(client):
    net = await build()
    callers = await make_callers(net)
    responses = await asyncio.gather(*[
        _send(client, callers.admin, "race-1", CREATE_SITE, input=_point(net, "并发点")) for _ in range(4)])
    assert [r.status_code for r in responses] == [200] * 4
    assert len({r.content for r in responses}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 3
    assert await Site.filter(name="并发点").count() == 1


async def test_queries_ignore_the_header_and_keys_expire(client):
    net = await build()
    callers = await make_callers(net)
    query = await _send(client, None, "any", "{ sites(first: 1) { edges { node { name } } } }")
    assert query.status_code == 200 and "idempotent-replayed" not in query.headers
    assert await IdempotencyKey.all().count() == 0
    await _send(client, callers.admin, "old-key", CREATE_SITE, input=_point(net, "旧点"))
    await IdempotencyKey.filter(key="old-key").update(
        created_at=clock.now() - timedelta(hours=idempotency.KEEP_HOURS, minutes=1))
    reused = await _send(client, callers.admin, "old-key", CREATE_SITE, input=_point(net, "新点"))
    assert reused.status_code == 200 and reused.json()["data"]["createSite"]["site"]["name"] == "新点"
    assert await idempotency.forget_expired() == 0  # the expired row made way for the new one
    assert await IdempotencyKey.filter(key="old-key").count() == 1


async def test_the_documented_request_works_as_documented(client):
    """docs/operations.md's Idempotency-Key example, sent twice with a real token and parent."""
    import json
    import re
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs" / "operations.md").read_text(encoding="utf-8")
    block = re.search(r"```http\n(.*?)```", text, re.DOTALL).group(1)
    head, body = block.split("\n\n", 1)
    headers = dict(line.split(": ", 1) for line in head.splitlines()[1:])
    net = await build()
    callers = await make_callers(net)
    headers["Authorization"] = f"Bearer {callers.admin}"
    payload = json.loads(body)
    payload["variables"]["input"]["parentId"] = gid("Site", net.institute.id)
    first, again = [await client.post("/graphql", json=payload, headers=headers) for _ in range(2)]
    assert first.json()["data"]["createSite"]["errors"] == [], first.text
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    assert await Site.filter(name=payload["variables"]["input"]["name"]).count() == 1


CREATE_EVENT = """mutation($input: CreateEventInput!) { createEvent(input: $input) { event { id } errors { code } } }"""


async def test_live_updates_go_out_once_after_the_commit(client):
    from api.live.occurrences import CHANNEL

    net = await build()
    callers = await make_callers(net)
    bus = client._transport.app.state.bus
    event = {"kind": "ACTIVITY", "title": "周六义诊", "platformId": gid("Platform", net.culture.id),
             "siteId": gid("Site", net.station2.id), "startsAt": "2026-04-04T09:00:00+08:00",
             "endsAt": "2026-04-04T11:00:00+08:00", "publish": True}
    async with bus.subscribe(CHANNEL) as messages:
        first = await _send(client, callers.admin, "event-1", CREATE_EVENT, input=event)
        assert first.json()["data"]["createEvent"]["errors"] == [], first.text
        heard = await asyncio.wait_for(anext(messages), 5)
        assert heard["change"] == "CREATED"
        again = await _send(client, callers.admin, "event-1", CREATE_EVENT, input=event)
        assert again.headers["idempotent-replayed"] == "true"
        other = event | {"title": "周日义诊", "startsAt": "2026-04-05T09:00:00+08:00", "endsAt": "2026-04-05T11:00:00+08:00"}
        await _send(client, callers.admin, "event-2", CREATE_EVENT, input=other)
        # The next message is the second event's: the replay announced nothing.
        following = await asyncio.wait_for(anext(messages), 5)
        assert following["change"] == "CREATED" and following["occurrence_id"] != heard["occurrence_id"]
