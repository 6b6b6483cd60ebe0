"""The service-order loop (点单 - 派单 - 接单 - 评单) over real HTTP and a real WebSocket, on both
databases: the whole loop, every forbidden step, every wrong caller, the calendar, the figures."""

from __future__ import annotations

from datetime import date, timedelta

import icalendar
import pytest
from tortoise.transactions import in_transaction

from api.app import create_app
from api.domain import orders as rules
from api.domain.clock import now
from api.domain.orders import STEPS
from api.domain.writes import Write
from api.models.audit import AuditEntry
from api.models.events import Event
from api.models.orders import Order, OrderStatus, OrderTransition, ServiceItem
from tests.auth_support import mutate, post
from tests.live_support import GraphQLSocket, listening, serving
from tests.network import gid
from tests.orders_support import (
    actor_for,
    desk_socket,
    doc_examples,
    doc_subscription,
    loop_setup,
    order_in,
)

ORDER_FIELDS = "order { id status version residentName residentPhone note team { name } event { id title status } } errors { field message code }"
PLACE = f"""mutation($input: PlaceOrderInput!) {{ placeOrder(input: $input) {{ token {ORDER_FIELDS} }} }}"""
STEP = {a: f"""mutation($input: {a.capitalize()}OrderInput!) {{ {a}Order(input: $input) {{ {ORDER_FIELDS} }} }}"""
        for a in rules.ACTIONS}
BY_TOKEN = """query($t: String!) { orderByToken(token: $t) {
  status residentName residentPhone note history { fromStatus toStatus by actor note } } }"""
ORDERS = """query($within: ID, $team: ID, $status: [OrderStatus!]) { orders(within: $within, team: $team, status: $status) {
  edges { node { id status residentName residentPhone } } } }"""


def step_input(action: str, order: Order, token: str, loop) -> dict:
    """A valid input for each step."""
    base = {"id": gid("Order", order.id), "version": order.version}
    return {
        "dispatch": {**base, "teamId": gid("Team", loop.team.id)},
        "accept": base,
        "decline": {**base, "reason": "本周人手不够"},
        "schedule": {**base, "startsAt": (now() + timedelta(days=5)).replace(microsecond=0).isoformat()},
        "complete": {**base, "attendance": 42},
        "rate": {"token": token, "rating": 5, "comment": "讲得好"},
        "cancel": {"token": token, "reason": "时间不合适"},
    }[action]


# --- the whole loop --------------------------------------------------------------------------


async def test_the_whole_loop_over_http(client):
    loop = await loop_setup()
    net = loop.net
    menu = (await post(client, None, "query($s: ID!) { menu(site: $s) { id name teams { name } } }",
                       s=gid("Site", net.station.id))).json()["data"]["menu"]
    assert [m["name"] for m in menu] == [loop.item.name]  # offered at the centre: on the village's menu

    placed = await mutate(client, None, PLACE, input={
        "itemId": menu[0]["id"], "siteId": gid("Site", net.station.id), "residentName": "张阿姨",
        "residentPhone": "13812345678", "preferredTimes": "周六上午", "note": "村委会二楼"})
    assert placed["errors"] == [] and placed["token"].startswith("ord_")
    token, order = placed["token"], placed["order"]
    # The resident sees their own name back, their phone masked.
    assert (order["status"], order["residentName"], order["residentPhone"]) == ("ORDERED", "张阿姨", "138****5678")
    assert await Order.filter(token_hash=placed["token"]).count() == 0  # only the hash is kept

    async def take(action: str, caller: str | None, **fields) -> dict:
        result = await mutate(client, caller, STEP[action], input=fields)
        assert result["errors"] == [], result["errors"]
        return result["order"]

    oid = order["id"]
    order = await take("dispatch", loop.callers.editor, id=oid, version=order["version"], teamId=gid("Team", loop.team.id))
    assert order["status"] == "DISPATCHED" and order["team"]["name"] == loop.team.name
    assert order["residentPhone"] == "13812345678"  # staff see the phone in full
    order = await take("decline", loop.team_desk, id=oid, version=order["version"], reason="本周人手不够")
    order = await take("dispatch", loop.callers.editor, id=oid, version=order["version"], teamId=gid("Team", loop.team.id))
    order = await take("accept", loop.team_desk, id=oid, version=order["version"])
    # Fixed after the fact (yesterday): attendance is recorded once the activity was held.
    starts = (now() - timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    order = await take("schedule", loop.team_desk, id=oid, version=order["version"], startsAt=starts.isoformat())
    assert order["status"] == "SCHEDULED" and order["event"]["title"] == loop.item.name
    assert order["event"]["status"] == "PUBLISHED"
    order = await take("complete", loop.team_desk, id=oid, version=order["version"], attendance=42)
    assert order["status"] == "DONE"
    event = await Event.get(orders__id=int(rules_id(oid)))
    assert event.attendance == 42
    rated = await take("rate", None, token=token, rating=4, comment="讲得生动")
    assert rated["status"] == "RATED"
    # A resident's answer never carries the staff's view.
    assert rated["residentPhone"] == "138****5678"

    mine = (await post(client, None, BY_TOKEN, t=token)).json()["data"]["orderByToken"]
    assert mine["status"] == "RATED" and mine["residentName"] == "张阿姨" and mine["note"] == "村委会二楼"
    assert [(h["fromStatus"], h["toStatus"], h["by"]) for h in mine["history"]] == [
        (None, "ORDERED", "RESIDENT"), ("ORDERED", "DISPATCHED", "STAFF"), ("DISPATCHED", "DECLINED", "TEAM"),
        ("DECLINED", "DISPATCHED", "STAFF"), ("DISPATCHED", "ACCEPTED", "TEAM"), ("ACCEPTED", "SCHEDULED", "TEAM"),
        ("SCHEDULED", "DONE", "TEAM"), ("DONE", "RATED", "RESIDENT"),
    ]
    assert {h["actor"] for h in mine["history"]} == {None}  # who exactly, only staff see
    assert mine["history"][2]["note"] == "本周人手不够"
    staff = (await post(client, loop.callers.viewer, BY_TOKEN, t=token)).json()["data"]["orderByToken"]
    assert staff["history"][0]["actor"] == "resident" and staff["history"][1]["actor"] == "account editor" and staff["history"][2]["actor"].startswith("token 洛地有声 desk")
    # Audited like every write, without the token hash.
    entries = await AuditEntry.filter(object_type="Order").order_by("id")
    assert [e.action for e in entries] == ["PLACE", "DISPATCH", "DECLINE", "DISPATCH", "ACCEPT", "SCHEDULE", "COMPLETE", "RATE"]
    assert entries[0].actor == "resident" and "token_hash" not in (entries[0].after or {})


def rules_id(global_id: str) -> str:
    import base64

    return base64.b64decode(global_id).decode().split(":")[1]


# --- every forbidden step --------------------------------------------------------------------

FORBIDDEN_STEPS = [(s, a) for s in OrderStatus for a in rules.ACTIONS
                   if not any(step.source == s and step.action == a for step in STEPS)]


def test_the_table_refuses_what_it_does_not_list():
    # 8 statuses x 7 actions, 12 of them allowed: the other 44 must be refused.
    assert len(STEPS) == 12 and len(FORBIDDEN_STEPS) == 8 * 7 - 12


async def test_every_step_not_in_the_table_is_refused_naming_the_status(client):
    loop = await loop_setup()
    orders = {s: await order_in(loop, s) for s in OrderStatus}
    for status, action in FORBIDDEN_STEPS:
        order, token = orders[status]
        order = await Order.get(id=order.id)
        caller = None if action in ("rate", "cancel") else loop.callers.admin
        result = await mutate(client, caller, STEP[action], input=step_input(action, order, token, loop))
        assert result["order"] is None, (status, action)
        [error] = result["errors"]
        assert error["code"] == "TRANSITION_NOT_ALLOWED", (status, action, error)
        assert f"is {status.value}" in error["message"], error["message"]
        allowed = rules.steps_from(status)
        if allowed:
            assert all(s.action in error["message"] for s in allowed), error["message"]
        else:
            assert "final" in error["message"]
        assert (await Order.get(id=order.id)).status == status  # nothing changed
    # History holds only the steps taken to get there.
    assert await OrderTransition.filter(order_id=orders[OrderStatus.ORDERED][0].id).count() == 1


# --- every wrong caller ----------------------------------------------------------------------

# (action, caller, expected error code). Staff steps need EDITOR on the order's site (the
# station, below the institute); team steps need EDITOR covering the team's home (the station).
WRONG_CALLERS = [
    ("dispatch", "viewer", "FORBIDDEN"),
    ("dispatch", "sibling_editor", "OUT_OF_SCOPE"),
    ("dispatch", "other_editor", "OUT_OF_SCOPE"),
    *((a, c, code) for a in ("accept", "decline", "schedule", "complete")
      for c, code in (("viewer", "FORBIDDEN"), ("sibling_editor", "OUT_OF_SCOPE"), ("other_editor", "OUT_OF_SCOPE"))),
]
SOURCE = {"dispatch": OrderStatus.ORDERED, "accept": OrderStatus.DISPATCHED, "decline": OrderStatus.DISPATCHED,
          "schedule": OrderStatus.ACCEPTED, "complete": OrderStatus.SCHEDULED, "rate": OrderStatus.DONE,
          "cancel": OrderStatus.ACCEPTED}


async def test_every_wrong_caller_is_refused(client):
    loop = await loop_setup()
    for action, who, code in WRONG_CALLERS:
        order, token = await order_in(loop, SOURCE[action])
        result = await mutate(client, getattr(loop.callers, who), STEP[action], input=step_input(action, order, token, loop))
        assert [e["code"] for e in result["errors"]] == [code], (action, who, result)
        assert result["errors"][0]["field"] == ["input", "id"]
        assert (await Order.get(id=order.id)).status == SOURCE[action]
    # Without a token, staff and team steps are an authentication error, not a user error.
    for action in ("dispatch", "accept", "decline", "schedule", "complete"):
        order, token = await order_in(loop, SOURCE[action])
        body = (await post(client, None, STEP[action], input=step_input(action, order, token, loop))).json()
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", body
    for secret in (loop.callers.expired, loop.callers.revoked):
        order, token = await order_in(loop, OrderStatus.ORDERED)
        response = await post(client, secret, STEP["dispatch"], input=step_input("dispatch", order, token, loop))
        assert response.status_code == 401
    # Only the token's holder rates or cancels: another order's token acts on that order only.
    mine, my_token = await order_in(loop, OrderStatus.DONE)
    other, other_token = await order_in(loop, OrderStatus.ORDERED)
    result = await mutate(client, loop.callers.admin, STEP["rate"], input={"token": other_token, "rating": 1})
    assert result["errors"][0]["code"] == "TRANSITION_NOT_ALLOWED"  # the ORDERED one, not mine
    for bad, code in (("ord_not-a-real-token", "NOT_FOUND"), ("wm_looks-like-an-api-token", "INVALID")):
        result = await mutate(client, None, STEP["cancel"], input={"token": bad})
        assert result["errors"][0]["code"] == code and result["errors"][0]["field"] == ["input", "token"]
    assert (await Order.get(id=mine.id)).status == OrderStatus.DONE
    # The domain refuses a resident step without the token even for an admin.
    admin = await actor_for(loop.callers.admin)
    with pytest.raises(rules.DomainError) as refused:
        async with in_transaction():
            await rules.step(Write(admin), await Order.get(id=mine.id), "rate", rules.StepInput(rating=5))
    assert refused.value.code == "FORBIDDEN"


async def test_dispatch_reaches_only_teams_in_the_dispatchers_scope(client):
    loop = await loop_setup()
    order, token = await order_in(loop, OrderStatus.ORDERED)
    # The township institute cannot send the county corps (based at the centre) ...
    to_corps = {**step_input("dispatch", order, token, loop), "teamId": gid("Team", loop.corps.id)}
    result = await mutate(client, loop.callers.editor, STEP["dispatch"], input=to_corps)
    assert result["errors"][0]["code"] == "OUT_OF_SCOPE" and result["errors"][0]["field"] == ["input", "teamId"]
    assert loop.corps.name in result["errors"][0]["message"]
    # ... the county centre can.
    result = await mutate(client, loop.callers.admin, STEP["dispatch"], input=to_corps)
    assert result["errors"] == [] and result["order"]["team"]["name"] == loop.corps.name


async def test_bad_input_is_named_and_changes_nothing(client):
    loop = await loop_setup()
    net = loop.net
    base = {"itemId": gid("ServiceItem", loop.item.id), "siteId": gid("Site", net.station.id),
            "residentName": "张阿姨", "residentPhone": "13812345678"}
    hidden = await ServiceItem.create(platform=net.theory, name="未发布", published=False)
    await rules.offer(hidden, sites=[net.centre])
    cases = [
        ({"residentPhone": "call me"}, "residentPhone", "INVALID"),
        ({"residentPhone": " "}, "residentPhone", "REQUIRED"),
        ({"residentName": ""}, "residentName", "REQUIRED"),
        ({"siteId": gid("Site", net.other_station.id)}, "itemId", "NOT_ON_MENU"),  # another county's village
        ({"itemId": gid("ServiceItem", hidden.id)}, "itemId", "NOT_ON_MENU"),
        ({"itemId": gid("Site", net.station.id)}, "itemId", "WRONG_ID_TYPE"),
    ]
    for change, field, code in cases:
        result = await mutate(client, None, PLACE, input={**base, **change})
        assert [(e["field"], e["code"]) for e in result["errors"]] == [(["input", field], code)], (change, result)
    assert await Order.all().count() == 0

    order, token = await order_in(loop, OrderStatus.DISPATCHED)
    stale = {**step_input("accept", order, token, loop), "version": order.version - 1}
    result = await mutate(client, loop.team_desk, STEP["accept"], input=stale)
    assert result["errors"][0]["code"] == "CONFLICT"
    decline = {**step_input("decline", order, token, loop), "reason": "  "}
    assert (await mutate(client, loop.team_desk, STEP["decline"], input=decline))["errors"][0]["field"] == ["input", "reason"]
    done, token = await order_in(loop, OrderStatus.DONE)
    for stars in (0, 6):
        result = await mutate(client, None, STEP["rate"], input={"token": token, "rating": stars})
        assert result["errors"][0]["code"] == "OUT_OF_RANGE" and str(stars) in result["errors"][0]["message"]
    assert (await Order.get(id=done.id)).status == OrderStatus.DONE


# --- who sees what ---------------------------------------------------------------------------


async def test_staff_lists_show_private_data_only_in_scope(client):
    loop = await loop_setup()
    at_station, _ = await order_in(loop, OrderStatus.DISPATCHED)
    at_station2, _ = await order_in(loop, OrderStatus.ORDERED, site=loop.net.station2)
    institute = gid("Site", loop.net.institute.id)

    async def listed(caller, **args):
        return (await post(client, caller, ORDERS, **args)).json()

    viewer = (await listed(loop.callers.viewer, within=institute))["data"]["orders"]["edges"]
    assert [e["node"]["status"] for e in viewer] == ["ORDERED", "DISPATCHED"]  # newest first
    assert all(e["node"]["residentPhone"] == "13812345678" for e in viewer)
    only = (await listed(loop.callers.viewer, within=institute, status=["DISPATCHED"]))["data"]["orders"]["edges"]
    assert [e["node"]["id"] for e in only] == [gid("Order", at_station.id)]
    # The team's desk sees what was dispatched to its team, with the phone to call.
    mine = (await listed(loop.team_desk, team=gid("Team", loop.team.id)))["data"]["orders"]["edges"]
    assert [e["node"]["id"] for e in mine] == [gid("Order", at_station.id)]
    assert mine[0]["node"]["residentName"] == "张阿姨"
    # Station2's desk may list its own village, not the institute, and sees station2's order only.
    assert "outside your scope" in (await listed(loop.callers.sibling_editor, within=institute))["errors"][0]["message"]
    own = (await listed(loop.callers.sibling_editor, within=gid("Site", loop.net.station2.id)))["data"]["orders"]["edges"]
    assert [e["node"]["id"] for e in own] == [gid("Order", at_station2.id)]
    assert "outside your scope" in (await listed(loop.callers.other_editor, within=institute))["errors"][0]["message"]
    anonymous = await listed(None, within=institute)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED" and anonymous["data"] is None
    # node(id:) hides an order from anyone without a role on it.
    node = "query($id: ID!) { node(id: $id) { ... on Order { status residentPhone } } }"
    assert (await post(client, None, node, id=gid("Order", at_station.id))).json()["data"]["node"] is None
    assert (await post(client, loop.callers.other_editor, node, id=gid("Order", at_station.id))).json()["data"]["node"] is None
    seen = (await post(client, loop.callers.viewer, node, id=gid("Order", at_station.id))).json()["data"]["node"]
    assert seen == {"status": "DISPATCHED", "residentPhone": "13812345678"}
    # The public schema never carries the resident's data in an event either.
    order, _ = await order_in(loop, OrderStatus.SCHEDULED)
    event = await Event.get(id=order.event_id)
    assert "张阿姨" not in f"{event.title}{event.summary}{event.description}" and "138" not in event.summary


# --- on the calendar -------------------------------------------------------------------------

OCCURRENCES = """query($within: ID!, $from: DateTime!, $to: DateTime!) {
  occurrences(within: $within, from: $from, to: $to) { edges { node { title status startsAt team { name } site { name } } } } }"""


async def test_a_scheduled_order_is_on_the_calendar_and_in_the_feed_until_cancelled(client):
    loop = await loop_setup()
    order, token = await order_in(loop, OrderStatus.ACCEPTED)
    starts = (now() + timedelta(days=6)).replace(hour=14, minute=30, second=0, microsecond=0)
    result = await mutate(client, loop.team_desk, STEP["schedule"], input={
        "id": gid("Order", order.id), "version": order.version, "startsAt": starts.isoformat(), "title": "二十大精神进洛阳村"})
    assert result["errors"] == []
    window = {"within": gid("Site", loop.net.centre.id), "from": starts.replace(hour=0, minute=0).isoformat(),
              "to": (starts + timedelta(days=1)).isoformat()}
    edges = (await post(client, None, OCCURRENCES, **window)).json()["data"]["occurrences"]["edges"]
    assert [e["node"] for e in edges] == [{"title": "二十大精神进洛阳村", "status": "SCHEDULED", "startsAt": starts.isoformat(),
                                           "team": {"name": loop.team.name}, "site": {"name": loop.net.station.name}}]

    async def feed_events() -> list:
        response = await client.get(f"/feeds/sites/{loop.net.station.id}.ics")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
        assert "张阿姨" not in response.text and "13812345678" not in response.text
        return [e for e in icalendar.Calendar.from_ical(response.text).walk("VEVENT") if str(e["SUMMARY"]).endswith("二十大精神进洛阳村")]

    [vevent] = await feed_events()
    assert vevent.decoded("DTSTART") == starts
    assert vevent.decoded("DTEND") == starts + timedelta(minutes=loop.item.typical_minutes)  # the item's typical length
    assert str(vevent.get("STATUS", "CONFIRMED")) != "CANCELLED"

    cancelled = await mutate(client, None, STEP["cancel"], input={"token": token, "reason": "家里有事"})
    assert cancelled["order"]["status"] == "CANCELLED" and cancelled["order"]["event"]["status"] == "CANCELLED"
    edges = (await post(client, None, OCCURRENCES, **window)).json()["data"]["occurrences"]["edges"]
    assert [e["node"]["status"] for e in edges] == ["CANCELLED"]
    [vevent] = await feed_events()
    assert str(vevent["STATUS"]) == "CANCELLED" and str(vevent["SUMMARY"]).startswith("【已取消】")


# --- the dispatch desk, live -----------------------------------------------------------------


async def test_the_dispatch_desk_sees_new_and_changed_orders_live(db, settings):
    loop = await loop_setup()
    app = create_app(settings, manage_db=False)
    station = gid("Site", loop.net.station.id)
    place = {"itemId": gid("ServiceItem", loop.item.id), "residentName": "李大爷", "residentPhone": "13900001111"}
    desk_header = {"Authorization": f"Bearer {loop.callers.viewer}"}
    async with serving(app) as server, desk_socket(server.ws_url, headers=desk_header) as desk:
        await desk.subscribe(doc_subscription(), within=station)
        await listening(app, "orders")
        import httpx

        async with httpx.AsyncClient(base_url=server.url) as http:
            # Station2 is outside the desk's subtree: its order is not sent.
            elsewhere = await mutate(http, None, PLACE, input={**place, "siteId": gid("Site", loop.net.station2.id)})
            placed = await mutate(http, None, PLACE, input={**place, "siteId": station})
            assert elsewhere["errors"] == [] and placed["errors"] == []
            new = (await desk.next())["data"]["orderChanges"]
            assert (new["orderId"], new["status"], new["previousStatus"]) == (placed["order"]["id"], "ORDERED", None)
            assert new["order"]["residentName"] == "李大爷" and new["order"]["residentPhone"] == "13900001111"
            assert new["order"]["item"]["name"] == loop.item.name
            dispatched = await mutate(http, loop.callers.editor, STEP["dispatch"], input={
                "id": placed["order"]["id"], "version": placed["order"]["version"], "teamId": gid("Team", loop.team.id)})
            assert dispatched["errors"] == []
            changed = (await desk.next())["data"]["orderChanges"]
            assert (changed["status"], changed["previousStatus"]) == ("DISPATCHED", "ORDERED")
            assert changed["order"]["team"]["name"] == loop.team.name
            # A refused step announces nothing: the next message is the resident's cancellation.
            refused = await mutate(http, loop.callers.viewer, STEP["accept"], input={
                "id": placed["order"]["id"], "version": changed["order"]["version"]})
            assert refused["errors"][0]["code"] == "FORBIDDEN"
            await mutate(http, None, STEP["cancel"], input={"token": placed["token"]})
            cancelled = (await desk.next())["data"]["orderChanges"]
            assert (cancelled["status"], cancelled["previousStatus"]) == ("CANCELLED", "DISPATCHED")


async def test_a_browser_desk_authenticates_in_connection_init(db, settings):
    loop = await loop_setup()
    app = create_app(settings, manage_db=False)
    async with serving(app) as server, desk_socket(
        server.ws_url, init={"authorization": f"Bearer {loop.callers.viewer}"}
    ) as desk:
        await desk.subscribe(doc_subscription(), within=gid("Site", loop.net.institute.id))
        await listening(app, "orders")
        order, _ = await order_in(loop, OrderStatus.ORDERED)
        await app.state.bus.publish("orders", rules.order_message(order, None))
        message = (await desk.next())["data"]["orderChanges"]
        assert message["orderId"] == gid("Order", order.id) and message["order"]["residentPhone"] == "13812345678"


async def test_the_desk_is_refused_without_a_role_on_the_subtree(db, settings):
    loop = await loop_setup()
    app = create_app(settings, manage_db=False)
    institute = gid("Site", loop.net.institute.id)
    async with serving(app) as server:
        async with GraphQLSocket.open(server.ws_url) as anonymous:
            await anonymous.subscribe(doc_subscription(), within=institute)
            [error] = (await anonymous.next())["errors"]
            assert error["extensions"]["code"] == "UNAUTHENTICATED" and "connection_init" in error["message"]
        other = {"Authorization": f"Bearer {loop.callers.other_editor}"}
        async with desk_socket(server.ws_url, headers=other) as outsider:
            await outsider.subscribe(doc_subscription(), within=institute)
            [error] = (await outsider.next())["errors"]
            assert "outside your scope" in error["message"]
        async with desk_socket(server.ws_url, init={"authorization": "Bearer wm_nonsense"}) as forged:
            await forged.subscribe(doc_subscription(), within=institute)
            [error] = (await forged.next())["errors"]
            assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert app.state.bus.listeners("orders") == 0


# --- docs/orders.md --------------------------------------------------------------------------


def test_the_orders_guide_shows_every_step_of_the_loop():
    """The examples run on the demo, in order, answering as shown: tests/test_docs.py."""
    examples = doc_examples()
    assert len(examples) >= 12
    actions = {a for a in rules.ACTIONS if any(f"{a}Order(" in e.query for e in examples)}
    assert actions == set(rules.ACTIONS)


# --- figures ---------------------------------------------------------------------------------

STATS = """query($within: ID!, $from: Date, $to: Date) { orderStats(within: $within, from: $from, to: $to) {
  total byStatus { status count } byPlatform { platform { code } count }
  medianMinutesToDispatch medianMinutesToAccept completionRate averageRating rated } }"""


async def test_figures_match_a_hand_count(client):
    loop = await loop_setup()
    net = loop.net
    culture = await ServiceItem.create(platform=net.culture, name="广场舞教学", published=True)
    await rules.offer(culture, sites=[net.centre])
    rows = [  # site, item, placed on, status, minutes to dispatch, minutes to accept, rating
        (net.station, loop.item, date(2026, 3, 2), OrderStatus.RATED, 10, 30, 5),
        (net.station, loop.item, date(2026, 3, 3), OrderStatus.RATED, 20, 10, 3),
        (net.station2, culture, date(2026, 3, 5), OrderStatus.DONE, 60, 50, None),
        (net.station, culture, date(2026, 3, 10), OrderStatus.CANCELLED, None, None, None),
        (net.station, loop.item, date(2026, 3, 20), OrderStatus.DISPATCHED, 5, None, None),
        (net.station, loop.item, date(2026, 4, 2), OrderStatus.DONE, 1, 1, None),  # April
        (net.other_station, loop.item, date(2026, 3, 4), OrderStatus.RATED, 2, 2, 1),  # another county
    ]
    for i, (site, item, day, status, dispatch, accept, rating) in enumerate(rows):
        order = await Order.create(
            item=item, platform_id=item.platform_id, site=site, site_path=site.path, resident_name="居民",
            resident_phone="13800000000", token_hash=f"{i:064d}", status=status, rating=rating,
            seconds_to_dispatch=dispatch and dispatch * 60, seconds_to_accept=accept and accept * 60,
        )
        # Placed at 23:30 Shanghai time: the day is the local one, not UTC's.
        await Order.filter(id=order.id).update(created_at=now().replace(year=day.year, month=day.month, day=day.day,
                                                                        hour=23, minute=30))

    async def stats(site, **period) -> dict:
        body = (await post(client, None, STATS, within=gid("Site", site.id), **period)).json()
        assert "errors" not in body, body
        figures = body["data"]["orderStats"]
        figures["byStatus"] = {s["status"]: s["count"] for s in figures["byStatus"] if s["count"]}
        figures["byPlatform"] = [(p["platform"]["code"], p["count"]) for p in figures["byPlatform"]]
        return figures

    march = {"from": "2026-03-01", "to": "2026-03-31"}
    assert await stats(net.centre, **march) == {
        "total": 5, "byStatus": {"RATED": 2, "DONE": 1, "CANCELLED": 1, "DISPATCHED": 1},
        "byPlatform": [("THEORY", 3), ("CULTURE", 2)],
        "medianMinutesToDispatch": 15.0,  # 5, 10, 20, 60
        "medianMinutesToAccept": 30.0,  # 10, 30, 50
        "completionRate": 0.6, "averageRating": 4.0, "rated": 2,
    }
    assert await stats(net.station, **march) == {
        "total": 4, "byStatus": {"RATED": 2, "CANCELLED": 1, "DISPATCHED": 1},
        "byPlatform": [("THEORY", 3), ("CULTURE", 1)],
        "medianMinutesToDispatch": 10.0, "medianMinutesToAccept": 20.0,
        "completionRate": 0.5, "averageRating": 4.0, "rated": 2,
    }
    all_time = await stats(net.centre)
    assert (all_time["total"], all_time["completionRate"], all_time["medianMinutesToDispatch"]) == (6, 0.6667, 10.0)
    assert (await stats(net.centre, **{"from": "2026-03-02", "to": "2026-03-02"}))["total"] == 1  # one day, both ends in
    other = await stats(net.other_centre)
    assert (other["total"], other["averageRating"]) == (1, 1.0)
    empty = await stats(net.centre, **{"from": "2025-01-01", "to": "2025-12-31"})
    assert empty == {"total": 0, "byStatus": {}, "byPlatform": [], "medianMinutesToDispatch": None,
                     "medianMinutesToAccept": None, "completionRate": None, "averageRating": None, "rated": 0}
    backwards = (await post(client, None, STATS, within=gid("Site", net.centre.id), **{"from": "2026-03-31", "to": "2026-03-01"})).json()
    assert "before from" in backwards["errors"][0]["message"]


# --- the menu --------------------------------------------------------------------------------

CREATE_ITEM = """mutation($input: CreateServiceItemInput!) { createServiceItem(input: $input) {
  item { id version name published } errors { field code message } } }"""
UPDATE_ITEM = """mutation($input: UpdateServiceItemInput!) { updateServiceItem(input: $input) {
  item { version published sites { name } } errors { field code message } } }"""
MENU = "query($s: ID!, $all: Boolean! = false) { menu(site: $s, includeUnpublished: $all) { name published } }"


async def test_menu_items_are_edited_within_scope(client):
    loop = await loop_setup()
    net = loop.net
    new = {"platformId": gid("Platform", net.culture.id), "name": "免费理发", "siteIds": [gid("Site", net.institute.id)],
           "teamIds": [gid("Team", loop.team.id)], "typicalMinutes": 120}
    for caller, code in (("viewer", "FORBIDDEN"), ("other_editor", "OUT_OF_SCOPE"), ("sibling_editor", "OUT_OF_SCOPE")):
        result = await mutate(client, getattr(loop.callers, caller), CREATE_ITEM, input=new)
        assert [(e["field"], e["code"]) for e in result["errors"]] == [(["input", "siteIds"], code)], (caller, result)
    bad = await mutate(client, loop.callers.editor, CREATE_ITEM, input={**new, "typicalMinutes": 5})
    assert bad["errors"][0]["field"] == ["input", "typicalMinutes"]
    created = await mutate(client, loop.callers.editor, CREATE_ITEM, input=new)
    assert created["errors"] == [] and created["item"]["published"] is False
    station = gid("Site", net.station.id)

    async def menu(caller=None, **args) -> dict:
        return (await post(client, caller, MENU, s=station, **args)).json()

    assert [m["name"] for m in (await menu())["data"]["menu"]] == [loop.item.name]  # drafts stay off the menu
    assert {m["name"] for m in (await menu(loop.callers.viewer, all=True))["data"]["menu"]} == {loop.item.name, "免费理发"}
    assert (await menu(None, all=True))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    item = created["item"]
    published = await mutate(client, loop.callers.editor, UPDATE_ITEM, input={"id": item["id"], "version": item["version"], "published": True})
    assert published["errors"] == [] and published["item"]["version"] == item["version"] + 1
    assert {m["name"] for m in (await menu())["data"]["menu"]} == {loop.item.name, "免费理发"}
    # The institute cannot touch the county centre's item, nor offer its own item county-wide.
    centre_item = {"id": gid("ServiceItem", loop.item.id), "version": loop.item.version, "published": False}
    assert (await mutate(client, loop.callers.editor, UPDATE_ITEM, input=centre_item))["errors"][0]["code"] == "OUT_OF_SCOPE"
    widen = {"id": item["id"], "version": published["item"]["version"], "siteIds": [gid("Site", net.centre.id)]}
    assert (await mutate(client, loop.callers.editor, UPDATE_ITEM, input=widen))["errors"][0]["code"] == "OUT_OF_SCOPE"
    # Withdrawn, it can no longer be ordered.
    await mutate(client, loop.callers.admin, UPDATE_ITEM, input=centre_item)
    placed = await mutate(client, None, PLACE, input={"itemId": centre_item["id"], "siteId": station,
                                                      "residentName": "王", "residentPhone": "13800000000"})
    assert placed["errors"][0]["code"] == "NOT_ON_MENU"


async def test_an_order_list_costs_the_same_sql_however_long(client):
    from tests.conftest import count_sql

    loop = await loop_setup()
    query = """query($within: ID!) { orders(within: $within, first: 50) { edges { node {
      status residentPhone item { name platform { name } } site { name } team { name } event { title }
      nextSteps { action } history { toStatus actor } } } } }"""

    async def statements() -> int:
        with count_sql() as seen:
            body = (await post(client, loop.callers.viewer, query, within=gid("Site", loop.net.institute.id))).json()
        assert "errors" not in body, body
        return len(seen)

    for status in (OrderStatus.ORDERED, OrderStatus.SCHEDULED):
        await order_in(loop, status)
    await statements()  # the token's first use records last_used_at: one UPDATE not to count
    few = await statements()
    for status in (OrderStatus.DISPATCHED, OrderStatus.DONE, OrderStatus.RATED, OrderStatus.DECLINED):
        await order_in(loop, status, site=loop.net.station2)
    assert await statements() == few


async def test_a_refused_desk_gets_next_with_errors_then_complete_as_the_guide_says(db, settings):
    """docs/orders.md tells graphql-ws users to look for `errors` in `next`: that is what is sent."""
    loop = await loop_setup()
    app = create_app(settings, manage_db=False)
    institute = gid("Site", loop.net.institute.id)
    async with serving(app) as server:
        for init, says in ((None, "connection_init"), ({"authorization": f"Bearer {loop.callers.other_editor}"}, "outside your scope")):
            async with desk_socket(server.ws_url, init=init) as desk:
                sid = await desk.subscribe(doc_subscription(), within=institute)
                first, second = await desk.receive(), await desk.receive()
                assert first["type"] == "next" and first["id"] == sid, first
                [error] = first["payload"]["errors"]
                assert says in error["message"], error
                assert second == {"type": "complete", "id": sid}, second


# --- who may act is checked before the status; notes; attendance (issue 10) ------------------


async def test_a_caller_without_the_right_learns_nothing_about_the_order(client):
    loop = await loop_setup()
    # Every staff and team step, tried on orders in every status by callers with no right to
    # that order: the same refusal whatever the status, naming neither status nor site nor team.
    outsiders = {"sibling_editor": "OUT_OF_SCOPE", "other_editor": "OUT_OF_SCOPE", "viewer": "FORBIDDEN"}
    for status in (OrderStatus.ORDERED, OrderStatus.DISPATCHED, OrderStatus.SCHEDULED, OrderStatus.DONE,
                   OrderStatus.CANCELLED):
        order, token = await order_in(loop, status)
        for action in ("dispatch", "accept", "decline", "schedule", "complete"):
            for who, code in outsiders.items():
                result = await mutate(client, getattr(loop.callers, who), STEP[action],
                                      input=step_input(action, order, token, loop))
                (error,) = result["errors"]
                assert (error["code"], error["field"]) == (code, ["input", "id"]), (status, action, who, error)
                message = error["message"]
                assert not any(s.value in message for s in OrderStatus), message
                assert loop.net.station.name not in message and loop.team.name not in message, message
        assert (await Order.get(id=order.id)).status == status
    # The order's own staff still hear why a step does not apply.
    order, token = await order_in(loop, OrderStatus.ORDERED)
    result = await mutate(client, loop.callers.editor, STEP["complete"], input=step_input("complete", order, token, loop))
    assert result["errors"][0]["code"] == "TRANSITION_NOT_ALLOWED" and "ORDERED" in result["errors"][0]["message"]
    # A team step on an order no team holds yet (at the neighbouring village): no team has a right to it.
    order, token = await order_in(loop, OrderStatus.ORDERED, site=loop.net.station2)
    result = await mutate(client, loop.team_desk, STEP["accept"], input=step_input("accept", order, token, loop))
    assert result["errors"][0]["code"] == "OUT_OF_SCOPE" and "ORDERED" not in result["errors"][0]["message"]


async def test_the_resident_reads_only_the_notes_meant_for_them(client):
    loop = await loop_setup()
    order, token = await order_in(loop, OrderStatus.ORDERED)
    oid = gid("Order", order.id)
    notes = {}

    async def take(action: str, caller: str | None, **fields) -> None:
        result = await mutate(client, caller, STEP[action], input=fields)
        assert result["errors"] == [], result["errors"]
        notes[action] = result["order"]["version"]

    version = order.version
    for action, caller, extra in (
        ("dispatch", loop.callers.editor, {"teamId": gid("Team", loop.team.id), "note": "内部: 请先电话确认, 该户情况复杂"}),
        ("decline", loop.team_desk, {"reason": "本周人手不够, 下周再约"}),
        ("dispatch", loop.callers.editor, {"teamId": gid("Team", loop.team.id), "note": "内部: 第二次派单"}),
        ("accept", loop.team_desk, {"note": "内部: 陈宣讲负责"}),
        ("schedule", loop.team_desk, {"startsAt": (now() - timedelta(days=1)).replace(microsecond=0).isoformat()}),
        ("complete", loop.team_desk, {"attendance": 12, "note": "内部: 现场秩序一般"}),
    ):
        await take(action, caller, id=oid, version=version, **extra)
        version = notes[action]
    await take("rate", None, token=token, rating=5, comment="讲得好")

    query = "query($t: String!) { orderByToken(token: $t) { declineReason history { toStatus by note at } } }"
    mine = (await post(client, None, query, t=token)).json()["data"]["orderByToken"]
    shown = [(h["toStatus"], h["note"]) for h in mine["history"]]
    assert shown == [("ORDERED", ""), ("DISPATCHED", ""), ("DECLINED", "本周人手不够, 下周再约"), ("DISPATCHED", ""),
                     ("ACCEPTED", ""), ("SCHEDULED", ""), ("DONE", ""), ("RATED", "讲得好")]
    assert all(h["at"] for h in mine["history"])  # every step and its time are there
    assert "内部" not in str(mine)
    # Staff read every note.
    staff = "query($id: ID!) { node(id: $id) { ... on Order { history { note } } } }"
    staff_notes = [h["note"] for h in (await post(client, loop.callers.editor, staff, id=oid)).json()["data"]["node"]["history"]]
    assert "内部: 请先电话确认, 该户情况复杂" in staff_notes and "内部: 现场秩序一般" in staff_notes


async def test_completing_before_the_activity_was_held_is_refused_like_record_attendance(client):
    loop = await loop_setup()
    order, token = await order_in(loop, OrderStatus.SCHEDULED)  # scheduled three days ahead
    event = await Event.get(orders__id=order.id)
    result = await mutate(client, loop.team_desk, STEP["complete"], input=step_input("complete", order, token, loop))
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("NOT_YET_HELD", ["input", "id"])]
    assert (await Order.get(id=order.id)).status == OrderStatus.SCHEDULED
    assert (await Event.get(id=event.id)).attendance is None
    # recordAttendance refuses the same activity with the same code: one rule.
    record = """mutation($input: RecordAttendanceInput!) { recordAttendance(input: $input) { errors { code } } }"""
    refused = await mutate(client, loop.callers.admin, record,
                           input={"id": gid("Event", event.id), "version": event.version, "attendance": 5})
    assert [e["code"] for e in refused["errors"]] == ["NOT_YET_HELD"]
