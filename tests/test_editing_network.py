"""Editing platforms, campaigns, teams, people and memberships over GraphQL: scopes, rules,
versions, privacy of people's data."""

from __future__ import annotations

from api.models.audit import AuditEntry
from api.models.events import Campaign
from api.models.people import Person
from api.models.platforms import Platform
from api.models.teams import Membership, Team
from tests.auth_support import make_callers, mutate, post
from tests.network import build, gid

ERRORS = "errors { field message code }"
CREATE_PLATFORM = f"""mutation($input: CreatePlatformInput!) {{ createPlatform(input: $input) {{
  platform {{ id code name version }} {ERRORS} }} }}"""
UPDATE_PLATFORM = f"""mutation($input: UpdatePlatformInput!) {{ updatePlatform(input: $input) {{
  platform {{ code name version }} {ERRORS} }} }}"""
CREATE_CAMPAIGN = f"""mutation($input: CreateCampaignInput!) {{ createCampaign(input: $input) {{
  campaign {{ name startsOn endsOn version }} {ERRORS} }} }}"""
UPDATE_CAMPAIGN = f"""mutation($input: UpdateCampaignInput!) {{ updateCampaign(input: $input) {{
  campaign {{ name startsOn endsOn version }} {ERRORS} }} }}"""
CREATE_TEAM = f"""mutation($input: CreateTeamInput!) {{ createTeam(input: $input) {{
  team {{ id name kind category categoryLabel parent {{ name }} homeSite {{ name }} version }} {ERRORS} }} }}"""
UPDATE_TEAM = f"""mutation($input: UpdateTeamInput!) {{ updateTeam(input: $input) {{
  team {{ name kind parent {{ name }} homeSite {{ name }} version }} {ERRORS} }} }}"""
CREATE_PERSON = f"""mutation($input: CreatePersonInput!) {{ createPerson(input: $input) {{
  person {{ id name isLecturer phone volunteerNumber lecturer {{ name }} homeSite {{ name }} version }} {ERRORS} }} }}"""
UPDATE_PERSON = f"""mutation($input: UpdatePersonInput!) {{ updatePerson(input: $input) {{
  person {{ id name title phone homeSite {{ name }} version }} {ERRORS} }} }}"""
CREATE_MEMBERSHIP = f"""mutation($input: CreateMembershipInput!) {{ createMembership(input: $input) {{
  membership {{ id role team {{ name }} person {{ name }} version }} {ERRORS} }} }}"""
UPDATE_MEMBERSHIP = f"""mutation($input: UpdateMembershipInput!) {{ updateMembership(input: $input) {{
  membership {{ role version }} {ERRORS} }} }}"""


async def query(client, token, text: str, **variables) -> dict:
    body = (await post(client, token, text, **variables)).json()
    assert "errors" not in body, body["errors"]
    return body["data"]


async def setup():
    net = await build()
    return net, await make_callers(net)


# Platforms and campaigns: the whole network's ------------------------------------------------


async def test_platforms_need_a_role_on_a_centre_and_a_unique_code(client):
    net, callers = await setup()
    new = {"code": "HEALTH", "name": "卫生健康", "leadUnit": "县卫健局"}
    refused = await mutate(client, callers.editor, CREATE_PLATFORM, input=new)
    assert refused["errors"][0]["code"] == "OUT_OF_SCOPE" and refused["platform"] is None
    made = await mutate(client, callers.admin, CREATE_PLATFORM, input=new)
    assert made["errors"] == [] and made["platform"]["version"] == 1
    again = await mutate(client, callers.admin, CREATE_PLATFORM, input={**new, "name": "另一个"})
    assert again["errors"] == [{"field": ["input", "code"], "code": "DUPLICATE",
                                "message": "platform code HEALTH is already used by 卫生健康"}]
    bad = await mutate(client, callers.admin, CREATE_PLATFORM, input={**new, "code": "health care"})
    assert bad["errors"][0]["field"] == ["input", "code"] and bad["errors"][0]["code"] == "INVALID"
    assert await Platform.filter(code="HEALTH").count() == 1


async def test_a_platform_update_with_a_stale_version_is_a_conflict(client):
    net, callers = await setup()
    pid = gid("Platform", net.theory.id)
    first = await mutate(client, callers.admin, UPDATE_PLATFORM, input={"id": pid, "version": 1, "name": "理论宣讲平台"})
    assert first["platform"] == {"code": "THEORY", "name": "理论宣讲平台", "version": 2}
    stale = await mutate(client, callers.other_editor, UPDATE_PLATFORM, input={"id": pid, "version": 1, "name": "覆盖"})
    assert stale["errors"][0]["code"] == "CONFLICT" and stale["errors"][0]["field"] == ["input", "version"]
    clash = await mutate(client, callers.admin, UPDATE_PLATFORM, input={"id": pid, "version": 2, "code": "CULTURE"})
    assert clash["errors"][0]["code"] == "DUPLICATE"
    assert (await Platform.get(id=net.theory.id)).name == "理论宣讲平台"


async def test_a_campaign_cannot_end_before_it_starts(client):
    net, callers = await setup()
    backwards = {"kind": "MONTHLY_THEME", "name": "五月主题", "startsOn": "2026-05-31", "endsOn": "2026-05-01"}
    payload = await mutate(client, callers.admin, CREATE_CAMPAIGN, input=backwards)
    assert payload["errors"][0]["code"] == "END_BEFORE_START" and payload["errors"][0]["field"] == ["input", "endsOn"]
    made = await mutate(client, callers.admin, CREATE_CAMPAIGN, input={**backwards, "endsOn": "2026-05-31", "startsOn": "2026-05-01"})
    assert made["errors"] == [] and made["campaign"]["startsOn"] == "2026-05-01"
    campaign = await Campaign.get(name="五月主题")
    moved = await mutate(client, callers.admin, UPDATE_CAMPAIGN, input={
        "id": gid("Campaign", campaign.id), "version": campaign.version, "startsOn": "2026-06-01"})
    assert moved["errors"][0]["code"] == "END_BEFORE_START"
    long = await mutate(client, callers.admin, UPDATE_CAMPAIGN, input={
        "id": gid("Campaign", campaign.id), "version": campaign.version, "name": "长" * 101})
    assert long["errors"][0]["code"] == "TOO_LONG" and "101 characters" in long["errors"][0]["message"]
    assert (await Campaign.get(id=campaign.id)).version == 1


# Teams: a site's -----------------------------------------------------------------------------


async def test_an_editor_builds_a_team_in_their_township_under_the_county_corps(client):
    net, callers = await setup()
    corps = await Team.get(kind="CORPS", home_site_id=net.centre.id)
    payload = await mutate(client, callers.editor, CREATE_TEAM, input={
        "kind": "DETACHMENT", "category": "OTHER", "categoryLabel": "非遗传承", "name": "河市镇非遗志愿服务支队",
        "homeSiteId": gid("Site", net.institute.id), "parentId": gid("Team", corps.id)})
    assert payload["errors"] == []
    assert payload["team"]["parent"]["name"] == corps.name and payload["team"]["homeSite"]["name"] == net.institute.name
    entry = await AuditEntry.get(object_type="Team", action="CREATE")
    assert entry.site_path == net.institute.path and entry.after["category_label"] == "非遗传承"


async def test_team_rules_name_the_field_at_fault(client):
    net, callers = await setup()
    corps = await Team.get(kind="CORPS", home_site_id=net.centre.id)
    lecture_team = await Team.get(name="洛地有声宣讲队")
    base = {"kind": "SQUAD", "category": "HEALTH", "name": "健康小队", "homeSiteId": gid("Site", net.institute.id)}
    cases = [
        ({**base, "category": "OTHER"}, ["input", "categoryLabel"], "REQUIRED"),
        ({**base, "parentId": gid("Team", lecture_team.id)}, ["input", "parentId"], "BAD_PARENT"),  # a TEAM over a SQUAD
        ({**base, "homeSiteId": gid("Site", net.other_centre.id)}, ["input", "homeSiteId"], "OUT_OF_SCOPE"),
        ({**base, "name": "队" * 101}, ["input", "name"], "TOO_LONG"),
        ({**base, "parentId": gid("Site", net.centre.id)}, ["input", "parentId"], "WRONG_ID_TYPE"),
        ({**base, "parentId": gid("Team", 9999)}, ["input", "parentId"], "NOT_FOUND"),
    ]
    for input, field, code in cases:
        error = (await mutate(client, callers.editor, CREATE_TEAM, input=input))["errors"][0]
        assert (error["field"], error["code"]) == (field, code), (input, error)
    # A county corps cannot hold another county's team.
    error = (await mutate(client, callers.other_editor, CREATE_TEAM, input={
        **base, "homeSiteId": gid("Site", net.other_station.id), "parentId": gid("Team", corps.id)}))["errors"][0]
    assert error["code"] == "BAD_PARENT" and error["field"] == ["input", "homeSiteId"]
    assert await Team.all().count() == 2


async def test_a_team_cannot_go_under_its_own_subtree(client):
    net, callers = await setup()
    corps = await Team.get(kind="CORPS", home_site_id=net.centre.id)
    detachment = await mutate(client, callers.admin, CREATE_TEAM, input={
        "kind": "DETACHMENT", "category": "GENERAL", "name": "支队", "homeSiteId": gid("Site", net.centre.id),
        "parentId": gid("Team", corps.id)})
    squad = await mutate(client, callers.admin, CREATE_TEAM, input={
        "kind": "SQUAD", "category": "GENERAL", "name": "小队", "homeSiteId": gid("Site", net.centre.id),
        "parentId": detachment["team"]["id"]})
    # Turning the corps into a team below its own squad: the cycle is caught whatever the level says.
    error = (await mutate(client, callers.admin, UPDATE_TEAM, input={
        "id": gid("Team", corps.id), "version": corps.version, "kind": "TEAM", "parentId": squad["team"]["id"]}))["errors"][0]
    assert error["code"] == "CYCLE" and error["field"] == ["input", "parentId"]
    error = (await mutate(client, callers.admin, UPDATE_TEAM, input={
        "id": gid("Team", corps.id), "version": corps.version, "kind": "SQUAD"}))["errors"][0]
    assert error["code"] == "BAD_PARENT" and error["field"] == ["input", "kind"]  # its detachment would sit above it
    assert (await Team.get(id=corps.id)).kind == "CORPS"


async def test_moving_a_team_to_another_site_needs_editor_on_both(client):
    net, callers = await setup()
    team = await Team.get(name="洛地有声宣讲队")  # at the station, under the county corps
    to_other = {"id": gid("Team", team.id), "version": team.version, "homeSiteId": gid("Site", net.station2.id)}
    refused = await mutate(client, callers.sibling_editor, UPDATE_TEAM, input=to_other)
    assert refused["errors"][0]["code"] == "OUT_OF_SCOPE" and refused["errors"][0]["field"] == ["input", "id"]
    refused = await mutate(client, callers.editor, UPDATE_TEAM, input={**to_other, "homeSiteId": gid("Site", net.other_station.id)})
    assert refused["errors"][0]["code"] == "OUT_OF_SCOPE" and refused["errors"][0]["field"] == ["input", "homeSiteId"]
    moved = await mutate(client, callers.editor, UPDATE_TEAM, input=to_other)
    assert moved["errors"] == [] and moved["team"]["homeSite"]["name"] == net.station2.name
    assert moved["team"]["version"] == team.version + 1
    entry = await AuditEntry.get(object_type="Team", action="UPDATE")
    assert entry.before == {"home_site_id": net.station.id, "version": 1}
    assert entry.after == {"home_site_id": net.station2.id, "version": 2}


# People and memberships ----------------------------------------------------------------------


async def test_a_volunteer_is_private_to_the_people_of_their_site(client):
    net, callers = await setup()
    payload = await mutate(client, callers.editor, CREATE_PERSON, input={
        "name": "张志愿", "homeSiteId": gid("Site", net.station.id), "phone": "13500000009", "volunteerNumber": "V123"})
    assert payload["errors"] == []
    person = payload["person"]
    assert person["phone"] == "13500000009" and person["volunteerNumber"] == "V123" and person["lecturer"] is None
    read = "query($id: ID!) { node(id: $id) { ... on Person { name phone volunteerNumber } } }"
    assert (await query(client, None, read, id=person["id"]))["node"] is None
    assert (await query(client, callers.sibling_editor, read, id=person["id"]))["node"] is None
    assert (await query(client, callers.viewer, read, id=person["id"]))["node"] == {
        "name": "张志愿", "phone": "13500000009", "volunteerNumber": "V123"}


async def test_a_lecturer_is_public_but_their_phone_is_not(client):
    net, callers = await setup()
    read = "query($id: ID!) { node(id: $id) { ... on Person { name isLecturer phone lecturer { name version } } } }"
    pid = gid("Person", net.lecturer.id)
    assert (await query(client, None, read, id=pid))["node"] == {
        "name": "陈宣讲", "isLecturer": True, "phone": None, "lecturer": {"name": "陈宣讲", "version": 1}}
    assert (await query(client, callers.viewer, read, id=pid))["node"]["phone"] == "13700000003"
    # Edited through the Lecturer ID that public pages show.
    payload = await mutate(client, callers.editor, UPDATE_PERSON, input={
        "id": gid("Lecturer", net.lecturer.id), "version": 1, "title": "新时代宣讲指导师", "phone": "call me"})
    assert payload["errors"][0]["field"] == ["input", "phone"]
    payload = await mutate(client, callers.editor, UPDATE_PERSON, input={
        "id": gid("Lecturer", net.lecturer.id), "version": 1, "title": "新时代宣讲指导师"})
    assert payload["person"]["title"] == "新时代宣讲指导师" and payload["person"]["version"] == 2


async def test_site_contacts_are_for_viewers_of_that_site(client):
    net, callers = await setup()
    read = "query($id: ID!) { site(id: $id) { contactName contactPhone version } }"
    station = gid("Site", net.station.id)
    assert (await query(client, None, read, id=station))["site"] == {"contactName": None, "contactPhone": None, "version": 1}
    assert (await query(client, callers.sibling_editor, read, id=station))["site"]["contactPhone"] is None
    assert (await query(client, callers.viewer, read, id=station))["site"]["contactPhone"] == "13900000002"


async def test_people_without_a_home_are_the_whole_networks(client):
    net, callers = await setup()
    volunteer = await Person.get(name="李志愿")  # no home site
    update = {"id": gid("Person", volunteer.id), "version": volunteer.version, "name": "李志愿者"}
    assert (await mutate(client, callers.editor, UPDATE_PERSON, input=update))["errors"][0]["code"] == "OUT_OF_SCOPE"
    moved = await mutate(client, callers.admin, UPDATE_PERSON, input={**update, "homeSiteId": gid("Site", net.station.id)})
    assert moved["errors"] == [] and moved["person"]["homeSite"]["name"] == net.station.name


async def test_memberships_are_unique_and_their_role_can_change(client):
    net, callers = await setup()
    team = await Team.get(name="洛地有声宣讲队")
    made = await mutate(client, callers.editor, CREATE_PERSON, input={"name": "新队员", "homeSiteId": gid("Site", net.station.id)})
    add = {"teamId": gid("Team", team.id), "personId": made["person"]["id"], "role": "MEMBER"}
    added = await mutate(client, callers.editor, CREATE_MEMBERSHIP, input=add)
    assert added["errors"] == [] and added["membership"]["person"]["name"] == "新队员"
    twice = await mutate(client, callers.editor, CREATE_MEMBERSHIP, input=add)
    assert twice["errors"][0]["code"] == "DUPLICATE" and twice["errors"][0]["field"] == ["input", "personId"]
    # A volunteer of another county cannot be pulled into the team (nor is their name told).
    stranger = await Person.create(name="外县志愿者", home_site=net.other_station)
    refused = await mutate(client, callers.editor, CREATE_MEMBERSHIP, input={**add, "personId": gid("Person", stranger.id)})
    assert refused["errors"][0]["code"] == "OUT_OF_SCOPE" and "外县" not in refused["errors"][0]["message"]
    membership = added["membership"]
    promoted = await mutate(client, callers.editor, UPDATE_MEMBERSHIP, input={"id": membership["id"], "version": 1, "role": "LEADER"})
    assert promoted["membership"] == {"role": "LEADER", "version": 2}
    assert await Membership.filter(team_id=team.id).count() == 3


async def test_team_memberships_list_volunteers_only_for_viewers(client):
    net, callers = await setup()
    team = await Team.get(name="洛地有声宣讲队")
    read = "query($id: ID!) { team(id: $id) { memberCount members { lecturer { name } } memberships { role person { name } } } }"
    public = (await query(client, None, read, id=gid("Team", team.id)))["team"]
    assert public == {"memberCount": 2, "members": [{"lecturer": {"name": "陈宣讲"}}], "memberships": None}
    seen = (await query(client, callers.viewer, read, id=gid("Team", team.id)))["team"]["memberships"]
    assert seen == [{"role": "LEADER", "person": {"name": "陈宣讲"}}, {"role": "MEMBER", "person": {"name": "李志愿"}}]
    volunteer_membership = await Membership.get(team_id=team.id, person__name="李志愿")
    node = "query($id: ID!) { node(id: $id) { ... on Membership { role } } }"
    assert (await query(client, None, node, id=gid("Membership", volunteer_membership.id)))["node"] is None
    assert (await query(client, callers.viewer, node, id=gid("Membership", volunteer_membership.id)))["node"] == {"role": "MEMBER"}


async def test_null_for_a_required_column_is_refused_by_name(client):
    net, callers = await setup()
    team = await Team.get(name="洛地有声宣讲队")
    error = (await mutate(client, callers.editor, UPDATE_TEAM, input={
        "id": gid("Team", team.id), "version": team.version, "kind": None}))["errors"][0]
    assert error == {"field": ["input", "kind"], "code": "REQUIRED",
                     "message": "kind cannot be null; leave it out to keep its value"}
