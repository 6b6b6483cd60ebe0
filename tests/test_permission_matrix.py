"""The permission matrix: every mutation of the schema, tried by every kind of caller.

Each mutation has a row in CASES: who may do it, and how to build a valid input on the test
network (built afresh before each attempt, so a refusal can only be about who is asking).
Only the callers named in the row succeed; for everyone else the request is refused and no
table changes (a fingerprint of every table is compared before and after). A mutation added
to the schema without a row fails here, and so does a row for a mutation that is gone.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from graphql import GraphQLNamedType, get_named_type
from tortoise import Tortoise, connections

from api.domain import accounts
from api.domain.events import create_event
from api.domain.writes import soft_delete
from api.models.accounts import Role
from api.models.events import EventKind, EventStatus
from api.models.people import Person
from api.models.sites import Venue
from api.models.teams import Membership, Team
from schema.schema import schema
from tests.auth_support import Callers, make_callers, post, upload
from tests.network import Network, at, build, gid

# Who tries. "editor" is the EDITOR of the institute, the subtree every site-scoped row targets;
# "sibling_editor" holds EDITOR on station2 next door; "other_editor" EDITOR on another county's
# centre (so network-wide objects are theirs too); "admin" is ADMIN on the county centre.
CALLERS = ("anonymous", "viewer", "editor", "sibling_editor", "other_editor", "admin", "expired", "revoked")
SUBTREE = frozenset({"editor", "admin"})  # content in the institute's subtree
NETWORK_WIDE = frozenset({"admin", "other_editor"})  # platforms, campaigns: a role on any centre
ADMIN_ONLY = frozenset({"admin"})  # accounts and tokens in the institute's subtree
ACCOUNTS = frozenset({"editor", "other_editor", "admin"})  # anything a signed-in person may do for themself


@dataclass
class World:
    net: Network
    callers: Callers
    serial: itertools.count

    def unique(self, stem: str) -> str:
        return f"{stem}{next(self.serial)}"

    async def team(self) -> Team:
        return await Team.get(name="洛地有声宣讲队")  # at the station, in the institute's subtree

    async def event(self, *, status: EventStatus = EventStatus.PUBLISHED, weekly: bool = False, past: bool = False):
        start = at(2025, 5, 10, 9) if past else at(2027, 5, 8, 9)
        return await create_event(
            kind=EventKind.ACTIVITY, title=self.unique("矩阵活动"), platform_id=self.net.culture.id,
            site_id=self.net.station.id, starts_at=start, ends_at=start + timedelta(hours=2),
            rrule="FREQ=WEEKLY;COUNT=3" if weekly else None, status=status,
        )


Build = Callable[[World], Awaitable[dict]]


@dataclass(frozen=True)
class Case:
    allowed: frozenset[str]
    build: Build
    # For a mutation whose writes happen after it answers: waits for them (client, token, response).
    settle: Callable[..., Awaitable[None]] | None = None


def occurrence_id(event, start: datetime) -> str:
    return gid("Occurrence", f"{event.id}@{int(start.timestamp())}")


async def _venue(w: World) -> Venue:
    return await Venue.create(site=w.net.station, name=w.unique("矩阵场地"))


async def _deleted_venue(w: World) -> dict:
    venue = await _venue(w)
    await soft_delete(venue, venue.version, "venue")
    return {"id": gid("Venue", venue.id)}


async def _person(w: World) -> Person:
    return await Person.create(name=w.unique("矩阵志愿者"), home_site=w.net.station)


async def _membership(w: World) -> dict:
    m = await Membership.create(team=await w.team(), person=await _person(w))
    return {"id": gid("Membership", m.id), "version": m.version, "role": "LEADER"}


async def _account_without_role(w: World) -> dict:
    account = await accounts.create_account(w.unique("matrix"))
    return {"username": account.username, "siteId": gid("Site", w.net.station.id), "role": "EDITOR"}


async def _station_token(w: World) -> dict:
    token, _ = await accounts.create_token(w.unique("矩阵令牌"), site=w.net.station, role=Role.VIEWER)
    return {"id": str(token.id)}


async def _current(model, pk: int) -> int:
    return (await model.get(id=pk)).version


CASES: dict[str, Case] = {
    # Sites and venues (schema/network/site_mutations.py)
    "createSite": Case(SUBTREE, lambda w: _const({"kind": "STATION", "name": w.unique("矩阵站"), "parentId": gid("Site", w.net.institute.id)})),
    "updateSite": Case(SUBTREE, lambda w: _with_version("Site", w.net.station, {"name": w.unique("矩阵站")})),
    "createVenue": Case(SUBTREE, lambda w: _const({"siteId": gid("Site", w.net.station.id), "name": w.unique("矩阵场地")})),
    "updateVenue": Case(SUBTREE, lambda w: _fresh_venue_update(w)),
    # Platforms, campaigns, teams (schema/network/mutations.py)
    "createPlatform": Case(NETWORK_WIDE, lambda w: _const({"code": w.unique("MATRIX"), "name": "矩阵平台"})),
    "updatePlatform": Case(NETWORK_WIDE, lambda w: _with_version("Platform", w.net.theory, {"name": w.unique("平台")})),
    "createCampaign": Case(NETWORK_WIDE, lambda w: _const({
        "kind": "ACTIVITY_DAY", "name": w.unique("集中活动日"), "startsOn": "2027-01-05", "endsOn": "2027-01-05"})),
    "updateCampaign": Case(NETWORK_WIDE, lambda w: _campaign_update(w)),
    "createTeam": Case(SUBTREE, lambda w: _const({
        "kind": "SQUAD", "category": "HEALTH", "name": w.unique("矩阵小队"), "homeSiteId": gid("Site", w.net.station.id)})),
    "updateTeam": Case(SUBTREE, lambda w: _team_update(w)),
    # People and memberships (schema/people/mutations.py)
    "createPerson": Case(SUBTREE, lambda w: _const({"name": w.unique("矩阵"), "homeSiteId": gid("Site", w.net.station.id)})),
    "updatePerson": Case(SUBTREE, lambda w: _with_version("Lecturer", w.net.lecturer, {"title": w.unique("宣讲员")})),
    "createMembership": Case(SUBTREE, lambda w: _new_membership(w)),
    "updateMembership": Case(SUBTREE, _membership),
    # Events (schema/calendar/mutations.py)
    "createEvent": Case(SUBTREE, lambda w: _const({
        "kind": "ACTIVITY", "title": w.unique("矩阵活动"), "platformId": gid("Platform", w.net.culture.id),
        "siteId": gid("Site", w.net.station.id), "startsAt": "2027-05-08T09:00:00+08:00", "endsAt": "2027-05-08T11:00:00+08:00"})),
    "updateEvent": Case(SUBTREE, lambda w: _event_input(w, title=w.unique("改名"))),
    "publishEvent": Case(SUBTREE, lambda w: _event_input(w, status=EventStatus.DRAFT)),
    "unpublishEvent": Case(SUBTREE, lambda w: _event_input(w)),
    "cancelEvent": Case(SUBTREE, lambda w: _event_input(w)),
    "cancelOccurrence": Case(SUBTREE, lambda w: _occurrence_input(w, {})),
    "moveOccurrence": Case(SUBTREE, lambda w: _occurrence_input(w, {
        "startsAt": "2027-05-08T14:00:00+08:00", "endsAt": "2027-05-08T16:00:00+08:00"})),
    "recordAttendance": Case(SUBTREE, lambda w: _event_input(w, past=True, attendance=40)),
    # Any record (schema/core/records.py)
    "deleteRecord": Case(SUBTREE, lambda w: _fresh_venue_delete(w)),
    "restoreRecord": Case(SUBTREE, _deleted_venue),
    # A sheet of one event at the station, sent as a GraphQL multipart upload (see attempt).
    "importSheet": Case(SUBTREE, lambda w: _const({"kind": "EVENTS", "file": _event_sheet(w.unique("矩阵导入"))})),
    # The same, in the background: refused at once, or written by the job it answers with.
    "startSheetImport": Case(SUBTREE, lambda w: _const({
        "kind": "EVENTS", "file": _event_sheet(w.unique("矩阵后台导入")), "withinId": gid("Site", w.net.station.id)}),
        settle=lambda client, token, response: _job_done(client, token, response)),
    # Accounts and tokens (schema/access/mutations.py)
    "createServiceToken": Case(ADMIN_ONLY, lambda w: _const({
        "name": w.unique("大屏"), "siteId": gid("Site", w.net.station.id), "role": "VIEWER"})),
    "createPersonalToken": Case(ACCOUNTS, lambda w: _const({"name": w.unique("办公室电脑")})),
    "revokeToken": Case(ADMIN_ONLY, _station_token),
    "createAccount": Case(ADMIN_ONLY, lambda w: _const({
        "username": w.unique("matrix"), "siteId": gid("Site", w.net.station.id), "role": "EDITOR"})),
    "grantRole": Case(ADMIN_ONLY, _account_without_role),
    # Reports (schema/reports/mutations.py): editors write and submit, the subtree's ADMIN reviews
    "createReport": Case(SUBTREE, lambda w: _const({"siteId": gid("Site", w.net.station.id), "title": w.unique("矩阵报道")})),
    "updateReport": Case(SUBTREE, lambda w: _report_input(w, "DRAFT", title=w.unique("改名"))),
    "submitReport": Case(SUBTREE, lambda w: _report_input(w, "DRAFT")),
    "approveReport": Case(ADMIN_ONLY, lambda w: _report_input(w, "IN_REVIEW")),
    "returnReport": Case(ADMIN_ONLY, lambda w: _report_input(w, "IN_REVIEW")),
    "unpublishReport": Case(ADMIN_ONLY, lambda w: _report_input(w, "PUBLISHED")),
    "uploadImage": Case(SUBTREE, lambda w: _image_input(w)),
}


async def _const(value: dict) -> dict:
    return value


async def _with_version(type_name: str, row, changes: dict) -> dict:
    return {"id": gid(type_name, row.id), "version": await _current(type(row), row.id), **changes}


async def _fresh_venue_update(w: World) -> dict:
    venue = await _venue(w)
    return {"id": gid("Venue", venue.id), "version": venue.version, "capacity": 30}


async def _fresh_venue_delete(w: World) -> dict:
    venue = await _venue(w)
    return {"id": gid("Venue", venue.id), "version": venue.version}


async def _campaign_update(w: World) -> dict:
    from api.models.events import Campaign

    campaign = await Campaign.get(name="学雷锋日")
    return {"id": gid("Campaign", campaign.id), "version": campaign.version, "description": w.unique("说明")}


async def _team_update(w: World) -> dict:
    team = await w.team()
    return {"id": gid("Team", team.id), "version": team.version, "description": w.unique("说明")}


async def _new_membership(w: World) -> dict:
    return {"teamId": gid("Team", (await w.team()).id), "personId": gid("Person", (await _person(w)).id), "role": "MEMBER"}


async def _event_input(w: World, *, status: EventStatus = EventStatus.PUBLISHED, past: bool = False, **changes) -> dict:
    event = await w.event(status=status, past=past)
    return {"id": gid("Event", event.id), "version": event.version, **changes}


async def _report_input(w: World, status: str, **changes) -> dict:
    from api.domain.clock import now
    from api.models.content import Report

    report = await Report.create(title=w.unique("矩阵报道"), site=w.net.station, site_path=w.net.station.path,
                                 status=status, listed_at=now())
    return {"id": gid("Report", report.id), "version": report.version, **changes}


async def _image_input(w: World) -> dict:
    """A small PNG of a colour no other attempt uses (the same photo twice is one Image)."""
    import io

    from PIL import Image

    shade = next(w.serial)
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (shade % 256, shade // 256 % 256, 90)).save(out, "PNG")
    return {"siteId": gid("Site", w.net.station.id), "file": out.getvalue()}


async def _occurrence_input(w: World, changes: dict) -> dict:
    event = await w.event(weekly=True)
    return {"occurrenceId": occurrence_id(event, event.starts_at), "version": event.version, **changes}


# The fingerprint: what any write would move ------------------------------------------------

# Columns a write sets; api_token.last_used_at is left out (authenticating a caller touches it).
MOVED_BY_WRITES = ("version", "updated_at", "deleted_at", "revoked_at", "disabled_at", "role")


async def fingerprint() -> dict[str, tuple]:
    """Per table: the row count and the maximum of every column a write moves."""
    conn = connections.get("default")
    prints = {}
    for model in Tortoise.apps["wenming"].values():
        table = model._meta.db_table
        columns = [c for c in MOVED_BY_WRITES if c in model._meta.fields_db_projection.values()]
        select = ", ".join(["COUNT(*)", *(f"MAX({c})" for c in columns)])
        _, rows = await conn.execute_query(f"SELECT {select} FROM {table}")
        prints[table] = tuple(str(v) for v in (rows[0].values() if hasattr(rows[0], "values") else rows[0]))
    return prints


def changed_tables(before: dict, after: dict) -> list[str]:
    return [t for t in before if before[t] != after[t]]


# The matrix ---------------------------------------------------------------------------------


def mutation_names() -> list[str]:
    return sorted(schema._schema.mutation_type.fields)


def document(name: str) -> str:
    """A minimal operation for any mutation: one input, and the payload's errors."""
    field = schema._schema.mutation_type.fields[name]
    input_type: GraphQLNamedType = get_named_type(field.args["input"].type)
    job = " job { id }" if "job" in get_named_type(field.type).fields else ""  # a background import's
    return f"mutation($input: {input_type.name}!) {{ {name}(input: $input) {{ errors {{ field code message }}{job} }} }}"


def test_every_row_names_a_mutation_that_exists():
    assert sorted(set(CASES) - set(mutation_names())) == []


async def attempt(client, callers: Callers, caller: str, name: str, input: dict):
    token = None if caller == "anonymous" else getattr(callers, caller)
    if files := {k: v for k, v in input.items() if isinstance(v, bytes)}:
        return await upload(client, token, document(name), input, files)
    return await post(client, token, document(name), input=input)


def _event_sheet(title: str) -> bytes:
    from tests.sheets_support import sheet_rows, xlsx

    station = "洛江区新时代文明实践中心/河市镇新时代文明实践所/洛阳村新时代文明实践站"
    return xlsx(sheet_rows("events", {"类型": "活动", "标题": title, "平台": "文化服务", "阵地": station, "日期": "2026-04-04"}))


async def _job_done(client, token: str, response) -> None:
    """Wait for the background import startSheetImport answered with; it must end DONE."""
    import asyncio

    job_id = response.json()["data"]["startSheetImport"]["job"]["id"]
    while True:
        body = (await post(client, token, "query($id: ID!) { importJob(id: $id) { state errors { message } } }", id=job_id)).json()
        job = body["data"]["importJob"]
        if job["state"] in ("DONE", "FAILED"):
            assert job["state"] == "DONE", job
            return
        await asyncio.sleep(0.05)


def refusal(caller: str, response) -> str | None:
    """Why the request was refused, or None when it was not."""
    if caller in ("expired", "revoked"):
        return "401" if response.status_code == 401 else None
    body = response.json()
    if caller == "anonymous":
        codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
        return "UNAUTHENTICATED" if body.get("data") is None and codes == ["UNAUTHENTICATED"] else None
    assert "errors" not in body, body
    errors = next(iter(body["data"].values()))["errors"]
    return errors[0]["code"] if errors and errors[0]["code"] in ("OUT_OF_SCOPE", "FORBIDDEN") else None


@pytest.mark.parametrize("name", mutation_names())
async def test_only_the_right_callers_succeed_and_the_rest_change_nothing(client, name):
    assert name in CASES, f"mutation {name} has no row in tests/test_permission_matrix.py CASES: add who may do it"
    case = CASES[name]
    net = await build()
    world = World(net, await make_callers(net), itertools.count(1))
    # Refusals first, each against the same state; then each allowed caller, on a fresh input.
    for caller in sorted(CALLERS, key=lambda c: c in case.allowed):
        input = await case.build(world)
        before = await fingerprint()
        response = await attempt(client, world.callers, caller, name, input)
        if caller in case.allowed:
            body = response.json()
            assert response.status_code == 200 and "errors" not in body, (caller, body)
            assert next(iter(body["data"].values()))["errors"] == [], (caller, body)
            if case.settle:
                await case.settle(client, getattr(world.callers, caller), response)
            after = await fingerprint()
            assert changed_tables(before, after), f"{name} by {caller} succeeded but the fingerprint did not move"
        else:
            after = await fingerprint()
            assert refusal(caller, response), (name, caller, response.status_code, response.text)
            assert changed_tables(before, after) == [], f"{name} refused to {caller} but changed {changed_tables(before, after)}"


# Service orders (schema/orders/mutations.py) ------------------------------------------------
# Staff and team steps are SUBTREE (the order is at the station, the team based there); placing
# needs no token, and rating or cancelling needs the order token, whoever sends it.

ANYONE = frozenset({"anonymous", "viewer", "editor", "sibling_editor", "other_editor", "admin"})


async def _menu_item(w: World):
    from api.domain import orders as order_rules
    from api.models.orders import ServiceItem

    item = await ServiceItem.create(platform=w.net.theory, name=w.unique("矩阵服务"), published=True)
    await order_rules.offer(item, sites=[w.net.station], teams=[await w.team()])
    return item


async def _order(w: World, *actions: str) -> tuple:
    """A new order at the station, taken through `actions` by the county's admin."""
    from tortoise.transactions import in_transaction

    from api.domain import orders as order_rules
    from api.domain.writes import Write
    from api.models.orders import Order

    admin = await accounts.authenticate(f"Bearer {w.callers.admin}")
    async with in_transaction():
        order, token = await order_rules.place(Write(admin), item=await _menu_item(w), site=w.net.station,
                                               resident_name="矩阵居民", resident_phone="13800000000")
    for action in actions:
        # Scheduled in the past: completing records attendance, which needs a held activity.
        given = order_rules.StepInput(team=await w.team(), starts_at=at(2025, 5, 10, 9), attendance=10, rating=5, token=token)
        async with in_transaction():
            order = await order_rules.step(Write(admin), await Order.get(id=order.id), action, given)
    return order, token


async def _step_input(w: World, actions: tuple[str, ...], **fields) -> dict:
    order, _ = await _order(w, *actions)
    return {"id": gid("Order", order.id), "version": order.version, **fields}


async def _dispatch_input(w: World) -> dict:
    return await _step_input(w, (), teamId=gid("Team", (await w.team()).id))


async def _token_input(w: World, actions: tuple[str, ...], **fields) -> dict:
    _, token = await _order(w, *actions)
    return {"token": token, **fields}


async def _place_input(w: World) -> dict:
    item = await _menu_item(w)
    return {"itemId": gid("ServiceItem", item.id), "siteId": gid("Site", w.net.station.id),
            "residentName": "矩阵居民", "residentPhone": "13800000000"}


async def _item_update(w: World) -> dict:
    item = await _menu_item(w)
    return {"id": gid("ServiceItem", item.id), "version": item.version, "description": w.unique("说明")}


CASES.update({
    "placeOrder": Case(ANYONE, _place_input),
    "dispatchOrder": Case(SUBTREE, lambda w: _dispatch_input(w)),
    "acceptOrder": Case(SUBTREE, lambda w: _step_input(w, ("dispatch",))),
    "declineOrder": Case(SUBTREE, lambda w: _step_input(w, ("dispatch",), reason="人手不够")),
    "scheduleOrder": Case(SUBTREE, lambda w: _step_input(w, ("dispatch", "accept"), startsAt="2027-05-08T09:00:00+08:00")),
    "completeOrder": Case(SUBTREE, lambda w: _step_input(w, ("dispatch", "accept", "schedule"), attendance=20)),
    "rateOrder": Case(ANYONE, lambda w: _token_input(w, ("dispatch", "accept", "schedule", "complete"), rating=4)),
    "cancelOrder": Case(ANYONE, lambda w: _token_input(w, ("dispatch",))),
    "createServiceItem": Case(SUBTREE, lambda w: _const({
        "platformId": gid("Platform", w.net.theory.id), "name": w.unique("矩阵服务"), "siteIds": [gid("Site", w.net.station.id)]})),
    "updateServiceItem": Case(SUBTREE, _item_update),
})


# Volunteering (schema/volunteers/mutations.py) ----------------------------------------------
# Volunteers and events at the station: staff writes are SUBTREE; signing up and cancelling
# need a volunteer or sign-up token (or nothing, for a resident), whoever sends it.


async def _sheet_event(w: World):
    from tortoise.transactions import in_transaction

    from api.domain.writes import Write
    from api.volunteering import signups

    event = await w.event()
    admin = await accounts.authenticate(f"Bearer {w.callers.admin}")
    async with in_transaction():
        await signups.set_sheet(Write(admin), event, capacity=5, opens_at=None, closes_at=None,
                                residents_allowed=True, version=None)
    return event


async def _sign_up_input(w: World) -> dict:
    event = await _sheet_event(w)
    return {"occurrenceId": occurrence_id(event, event.starts_at), "residentName": "矩阵居民", "residentPhone": "13800000000"}


async def _cancel_signup_input(w: World) -> dict:
    from tortoise.transactions import in_transaction

    from api.domain.permissions import ANONYMOUS
    from api.domain.writes import Write
    from api.volunteering import signups

    event = await _sheet_event(w)
    async with in_transaction():
        occurrence = await signups.open_occurrence(event.id, event.starts_at)
        _, token = await signups.sign_up(Write(ANONYMOUS), occurrence, resident_name="矩阵居民", resident_phone="13800000000")
    return {"token": token}


CASES.update({
    "registerVolunteer": Case(SUBTREE, lambda w: _person_input(w)),
    "setSignupSettings": Case(SUBTREE, lambda w: _event_id_input(w, capacity=5)),
    "signUp": Case(ANYONE, _sign_up_input),
    "cancelSignup": Case(ANYONE, _cancel_signup_input),
})


async def _person_input(w: World) -> dict:
    return {"personId": gid("Person", (await _person(w)).id)}


async def _event_id_input(w: World, **fields) -> dict:
    return {"eventId": gid("Event", (await w.event()).id), **fields}


# China's calendar (schema/china_calendar/mutations.py): the holiday table is the whole
# network's, and only an ADMIN on a centre corrects it.


async def _corrected_day(w: World) -> dict:
    from datetime import date

    from api.models.china_calendar import DayKind, DaySource, HolidayDay

    day = date(2031, 1, 1) + timedelta(days=next(w.serial))
    await HolidayDay.create(day=day, kind=DayKind.HOLIDAY, name="矩阵假日", source=DaySource.ADMIN)
    return {"date": day.isoformat()}


CASES.update({
    "correctHolidayDay": Case(ADMIN_ONLY, lambda w: _const({"date": "2030-10-08", "kind": "HOLIDAY", "name": w.unique("矩阵假日")})),
    "revertHolidayDay": Case(ADMIN_ONLY, _corrected_day),
    "announceHolidayYear": Case(ADMIN_ONLY, lambda w: _const({"year": 2030, "announced": True})),
    "adoptCampaignTemplates": Case(NETWORK_WIDE, lambda w: _const({"year": 2030 + next(w.serial), "keys": ["SPRING"]})),
})


# Check-in and hours: an occurrence at the station that started an hour ago and is on now.


async def _on_now(w: World):
    from api.domain.clock import now

    start = now().replace(microsecond=0) - timedelta(hours=1)
    return await create_event(
        kind=EventKind.ACTIVITY, title=w.unique("签到活动"), platform_id=w.net.culture.id, site_id=w.net.station.id,
        starts_at=start, ends_at=start + timedelta(hours=3), status=EventStatus.PUBLISHED,
    )


async def _volunteer(w: World):
    from tortoise.transactions import in_transaction

    from api.domain.writes import Write
    from api.volunteering import volunteers

    person = await _person(w)
    admin = await accounts.authenticate(f"Bearer {w.callers.admin}")
    async with in_transaction():
        _, token = await volunteers.register(Write(admin), person, show_on_leaderboard=False)
    return person, token


async def _code(event) -> str:
    from api.domain.clock import now
    from api.volunteering import checkin

    return checkin.sign(event.id, event.starts_at, int(now().timestamp()) // 60, w_nonce(), checkin.key(None))


def w_nonce() -> str:
    import secrets

    return secrets.token_hex(8)


async def _scan_input(w: World) -> dict:
    event = await _on_now(w)
    _, token = await _volunteer(w)
    return {"code": await _code(event), "volunteerToken": token}


async def _checked_in(w: World):
    from tortoise.transactions import in_transaction

    from api.domain.clock import now
    from api.domain.writes import Write
    from api.models.volunteering import CheckMethod, Volunteer
    from api.volunteering import checkin, signups

    event = await _on_now(w)
    person, token = await _volunteer(w)
    admin = await accounts.authenticate(f"Bearer {w.callers.admin}")
    async with in_transaction():
        occurrence = await signups.open_occurrence(event.id, event.starts_at)
        await checkin.check_in(Write(admin), await Volunteer.get(person_id=person.id), occurrence,
                               at=now() - timedelta(minutes=30), method=CheckMethod.STAFF)
    return event, person, token


async def _scan_out_input(w: World) -> dict:
    event, _, token = await _checked_in(w)
    return {"code": await _code(event), "volunteerToken": token}


async def _staff_in_input(w: World) -> dict:
    event = await _on_now(w)
    person, _ = await _volunteer(w)
    return {"occurrenceId": occurrence_id(event, event.starts_at), "personId": gid("Person", person.id)}


async def _staff_out_input(w: World) -> dict:
    event, person, _ = await _checked_in(w)
    return {"occurrenceId": occurrence_id(event, event.starts_at), "personId": gid("Person", person.id)}


async def _correct_input(w: World) -> dict:
    from tortoise.transactions import in_transaction

    from api.domain.clock import now
    from api.domain.writes import Write
    from api.models.volunteering import CheckMethod, Volunteer
    from api.volunteering import checkin, signups

    event, person, _ = await _checked_in(w)
    admin = await accounts.authenticate(f"Bearer {w.callers.admin}")
    async with in_transaction():
        occurrence = await signups.open_occurrence(event.id, event.starts_at)
        _, entry = await checkin.check_out(Write(admin), await Volunteer.get(person_id=person.id), occurrence,
                                           at=now(), method=CheckMethod.STAFF)
    return {"entryId": gid("HoursEntry", entry.id), "minutes": 45, "reason": "矩阵更正"}


CASES.update({
    "checkIn": Case(ANYONE, _scan_input),
    "checkOut": Case(ANYONE, _scan_out_input),
    "staffCheckIn": Case(SUBTREE, _staff_in_input),
    "staffCheckOut": Case(SUBTREE, _staff_out_input),
    "correctHours": Case(SUBTREE, _correct_input),
})


# Points: rules and rewards at the station (SUBTREE); redeeming needs the volunteer token.


async def _redeem_input(w: World) -> dict:
    from api.models.volunteering import PointsEntry, PointsKind, Reward, Volunteer

    person, token = await _volunteer(w)
    volunteer = await Volunteer.get(person_id=person.id)
    await PointsEntry.create(volunteer_id=volunteer.id, points=50, kind=PointsKind.EARNED, site_path=w.net.station.path)
    reward = await Reward.create(site=w.net.station, site_path=w.net.station.path, name=w.unique("礼遇"), cost=10)
    return {"rewardId": gid("Reward", reward.id), "volunteerToken": token}


CASES.update({
    "createPointsRule": Case(SUBTREE, lambda w: _const({"siteId": gid("Site", w.net.station.id), "name": w.unique("积分"), "perHour": 10})),
    "createReward": Case(SUBTREE, lambda w: _const({"siteId": gid("Site", w.net.station.id), "name": w.unique("礼遇"), "cost": 10})),
    "redeemReward": Case(ANYONE, _redeem_input),
})
