"""Naming a team in an input publishes under its name (its public feed, the menu): an editor
must cover the team's home site, wherever the event or menu item itself is (issue 10)."""

from __future__ import annotations

from api.models.events import Event
from api.models.orders import ServiceItem, ServiceItemTeam
from api.models.teams import Team, TeamCategory, TeamKind
from tests.auth_support import make_callers, mutate, post
from tests.network import build, gid

CREATE = """mutation($input: CreateEventInput!) { createEvent(input: $input) {
  event { id version team { name } } errors { field message code } } }"""
UPDATE = """mutation($input: UpdateEventInput!) { updateEvent(input: $input) {
  event { version team { name } } errors { field message code } } }"""
CREATE_ITEM = """mutation($input: CreateServiceItemInput!) { createServiceItem(input: $input) {
  item { id version } errors { field message code } } }"""
UPDATE_ITEM = """mutation($input: UpdateServiceItemInput!) { updateServiceItem(input: $input) {
  item { version } errors { field message code } } }"""


async def _other_districts_team(net) -> Team:
    return await Team.create(kind=TeamKind.TEAM, category=TeamCategory.HEALTH, name="海滨义诊队",
                             home_site=net.other_station)


def _event_input(net, team: Team) -> dict:
    return {"kind": "ACTIVITY", "title": "健康讲座", "platformId": gid("Platform", net.culture.id),
            "siteId": gid("Site", net.station.id), "startsAt": "2027-04-02T19:00:00+08:00",
            "endsAt": "2027-04-02T20:00:00+08:00", "teamId": gid("Team", team.id), "publish": True}


def _refused(payload: dict, field: str) -> None:
    (error,) = payload["errors"]
    assert error["code"] in ("OUT_OF_SCOPE", "FORBIDDEN") and error["field"] == ["input", field], error


async def test_an_event_cannot_be_put_in_another_districts_team_feed(client):
    net = await build()
    callers = await make_callers(net)
    foreign = await _other_districts_team(net)
    events = await Event.all().count()
    # The institute's editor, on an event at their own station, naming the other county's team.
    refused = await mutate(client, callers.editor, CREATE, input=_event_input(net, foreign))
    _refused(refused, "teamId")
    assert refused["errors"][0]["code"] == "OUT_OF_SCOPE" and foreign.name in refused["errors"][0]["message"]
    assert await Event.all().count() == events
    # The team's feed stays empty of it.
    feed = await client.get(f"/feeds/teams/{foreign.id}.ics")
    assert feed.status_code == 200 and "健康讲座" not in feed.text
    # A VIEWER of the team's home is not enough either (FORBIDDEN: a role, too small).
    from api.domain import accounts
    from api.models.accounts import Role

    account = await accounts.create_account("dual")
    await accounts.grant(account, net.institute, Role.EDITOR)
    await accounts.grant(account, net.other_centre, Role.VIEWER)
    dual = (await accounts.create_token("dual's token", account=account))[1]
    forbidden = await mutate(client, dual, CREATE, input=_event_input(net, foreign))
    assert forbidden["errors"][0]["code"] == "FORBIDDEN" and forbidden["errors"][0]["field"] == ["input", "teamId"]

    # Updating an own event to name the foreign team is refused the same way, and changes nothing.
    own = await Team.get(name="洛地有声宣讲队")  # based at the station: within the editor's township
    created = await mutate(client, callers.editor, CREATE, input=_event_input(net, own))
    assert created["errors"] == [] and created["event"]["team"]["name"] == own.name
    event_id, version = created["event"]["id"], created["event"]["version"]
    for scope in ("ALL", "THIS_AND_FOLLOWING"):
        refused = await mutate(client, callers.editor, UPDATE, input={
            "id": event_id, "version": version, "scope": scope, "teamId": gid("Team", foreign.id)})
        _refused(refused, "teamId")
    assert (await Event.get(title="健康讲座")).team_id == own.id
    # Editing other fields of an event whose team is already linked is not a new link.
    fine = await mutate(client, callers.editor, UPDATE, input={"id": event_id, "version": version, "title": "健康讲座(改)",
                                                                 "teamId": gid("Team", own.id)})
    assert fine["errors"] == []
    # The county's admin covers the corps at the centre; the township editor does not.
    corps = await Team.get(kind=TeamKind.CORPS)
    _refused(await mutate(client, callers.editor, CREATE, input=_event_input(net, corps)), "teamId")
    assert (await mutate(client, callers.admin, CREATE, input=_event_input(net, corps)))["errors"] == []
    # The other county's editor may link their own team, at their own site.
    theirs = {**_event_input(net, foreign), "siteId": gid("Site", net.other_station.id)}
    assert (await mutate(client, callers.other_editor, CREATE, input=theirs))["errors"] == []


async def test_a_menu_item_cannot_name_another_districts_team(client):
    net = await build()
    callers = await make_callers(net)
    foreign = await _other_districts_team(net)
    own = await Team.get(name="洛地有声宣讲队")
    base = {"platformId": gid("Platform", net.theory.id), "name": "健康义诊进村", "siteIds": [gid("Site", net.station.id)],
            "published": True}
    refused = await mutate(client, callers.editor, CREATE_ITEM,
                           input={**base, "teamIds": [gid("Team", own.id), gid("Team", foreign.id)]})
    _refused(refused, "teamIds")
    assert await ServiceItem.all().count() == 0
    created = await mutate(client, callers.editor, CREATE_ITEM, input={**base, "teamIds": [gid("Team", own.id)]})
    assert created["errors"] == []
    item = created["item"]
    refused = await mutate(client, callers.editor, UPDATE_ITEM, input={
        "id": item["id"], "version": item["version"], "teamIds": [gid("Team", own.id), gid("Team", foreign.id)]})
    _refused(refused, "teamIds")
    assert set(await ServiceItemTeam.all().values_list("team_id", flat=True)) == {own.id}
    menu = (await post(client, None, "query($s: ID!) { menu(site: $s) { teams { name } } }",
                       s=gid("Site", net.station.id))).json()["data"]["menu"]
    assert menu == [{"teams": [{"name": own.name}]}]
