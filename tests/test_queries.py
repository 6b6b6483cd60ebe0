"""The public read API, as a portal or kiosk developer calls it."""

from tests.network import build, gid

MARCH = {"start": "2026-03-01T00:00:00+08:00", "end": "2026-04-01T00:00:00+08:00"}
OCCURRENCES = """
query($start: DateTime!, $end: DateTime!, $within: ID, $site: ID, $kind: [EventKind!], $platform: [ID!],
      $team: ID, $lecturer: ID, $campaign: ID, $first: Int, $after: String) {
  occurrences(from: $start, to: $end, within: $within, site: $site, kind: $kind, platform: $platform,
              team: $team, lecturer: $lecturer, campaign: $campaign, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id title startsAt endsAt allDay startDate endDate status site { name } } }
  }
}"""


def titles(data):
    return [(e["node"]["title"], e["node"]["startsAt"][:16]) for e in data["occurrences"]["edges"]]


async def test_a_centre_sees_its_whole_subtree_in_time_order(gql, db):
    net = await build()
    data = await gql(OCCURRENCES, within=gid("Site", net.centre.id), **MARCH)
    assert titles(data) == [
        ("学雷锋志愿服务日", "2026-03-05T00:00"),
        ("党的二十大精神微宣讲", "2026-03-07T09:30"),
        ("科普集市", "2026-03-10T14:00"),
        ("党的二十大精神微宣讲", "2026-03-21T09:30"),
        ("党的二十大精神微宣讲", "2026-03-29T14:30"),
    ]
    statuses = [e["node"]["status"] for e in data["occurrences"]["edges"]]
    assert statuses == ["SCHEDULED", "SCHEDULED", "SCHEDULED", "CANCELLED", "SCHEDULED"]
    holiday = data["occurrences"]["edges"][0]["node"]
    assert (holiday["allDay"], holiday["startDate"], holiday["endDate"]) == (True, "2026-03-05", "2026-03-05")


async def test_drafts_and_other_counties_stay_out(gql, db):
    net = await build()
    data = await gql(OCCURRENCES, within=gid("Site", net.centre.id), **MARCH)
    names = {t for t, _ in titles(data)}
    assert "草稿活动" not in names and "海上船声筒宣讲" not in names
    everything = await gql(OCCURRENCES, **MARCH)
    assert "海上船声筒宣讲" in {t for t, _ in titles(everything)}
    assert "草稿活动" not in {t for t, _ in titles(everything)}


async def test_occurrence_filters(gql, db):
    net = await build()
    lectures = await gql(OCCURRENCES, kind=["LECTURE"], **MARCH)
    assert {t for t, _ in titles(lectures)} == {"党的二十大精神微宣讲", "海上船声筒宣讲"}
    by_lecturer = await gql(OCCURRENCES, lecturer=gid("Lecturer", net.lecturer.id), **MARCH)
    assert len(titles(by_lecturer)) == 3
    by_platform = await gql(OCCURRENCES, platform=[gid("Platform", net.culture.id)], **MARCH)
    assert {t for t, _ in titles(by_platform)} == {"科普集市", "学雷锋志愿服务日"}
    at_site = await gql(OCCURRENCES, site=gid("Site", net.institute.id), **MARCH)
    assert titles(at_site) == [("科普集市", "2026-03-10T14:00")]
    in_campaign = await gql(OCCURRENCES, campaign=gid("Campaign", net.weekly.campaign_id), **MARCH)
    assert len(titles(in_campaign)) == 4


async def test_a_window_returns_what_overlaps_it(gql, db):
    await build()
    data = await gql(OCCURRENCES, start="2026-03-10T15:00:00+08:00", end="2026-03-10T15:30:00+08:00")
    assert titles(data) == [("科普集市", "2026-03-10T14:00")]


async def test_pages_follow_cursors_without_gaps(gql, db):
    net = await build()
    seen, after = [], None
    while True:
        page = await gql(OCCURRENCES, within=gid("Site", net.centre.id), first=2, after=after, **MARCH)
        seen += titles(page)
        assert page["occurrences"]["totalCount"] == 5
        if not page["occurrences"]["pageInfo"]["hasNextPage"]:
            break
        after = page["occurrences"]["pageInfo"]["endCursor"]
    assert seen == titles(await gql(OCCURRENCES, within=gid("Site", net.centre.id), **MARCH))


async def test_bad_arguments_get_errors_that_name_them(gql, db):
    net = await build()
    cases = [
        (dict(first=101), "first must be between 0 and 100"),
        (dict(after="not-a-cursor"), "is not a cursor"),
        (dict(within=gid("Team", 1)), "within must be the id of a Site, got the id of a Team"),
        (dict(within=gid("Site", 99999)), "site U2l0ZTo5OTk5OQ== does not exist"),
        (dict(start="2026-03-01T00:00:00+08:00", end="2028-03-10T00:00:00+08:00"), "longer than 733 days"),
        (dict(start="2026-03-02T00:00:00+08:00", end="2026-03-01T00:00:00+08:00"), "to must be after from"),
        (dict(start="2026-03-01T00:00:00", end="2026-03-02T00:00:00"), "has no offset"),
    ]
    for args, message in cases:
        errors = await gql.errors(OCCURRENCES, **(MARCH | args))
        assert message in errors[0]["message"], (args, errors)
    assert net


SITE = """
query($id: ID!) {
  node(id: $id) {
    ... on Site {
      name kind regionCode depth
      fiveHaves { venue score }
      parent { name }
      ancestors { name kind }
      children { name kind }
      subtreeCounts { kind count }
      venues { name kind capacity }
      teams { name kind category isLectureTeam members { role lecturer { name title } } memberCount }
    }
  }
}"""


async def test_a_site_with_its_tree_venues_and_teams(gql, db):
    net = await build()
    site = (await gql(SITE, id=gid("Site", net.station.id)))["node"]
    assert site["kind"] == "STATION" and site["depth"] == 2
    assert [a["kind"] for a in site["ancestors"]] == ["CENTER", "INSTITUTE"]
    assert site["parent"]["name"] == "河市镇新时代文明实践所"
    assert site["children"] == [{"name": "河市中学实践点", "kind": "POINT"}]
    assert site["venues"] == [{"name": "道德讲堂", "kind": "HALL", "capacity": 80}]
    team = site["teams"][0]
    assert team["isLectureTeam"] and team["memberCount"] == 2
    # Lecturers are public by name; the volunteer is only counted.
    assert team["members"] == [{"role": "LEADER", "lecturer": {"name": "陈宣讲", "title": "新时代宣讲员"}}]
    centre = (await gql(SITE, id=gid("Site", net.centre.id)))["node"]
    counts = {c["kind"]: c["count"] for c in centre["subtreeCounts"]}
    assert counts == {"PROVINCE": 0, "CITY": 0, "CENTER": 0, "SUB_CENTER": 1, "INSTITUTE": 1, "STATION": 2, "POINT": 1, "BASE": 0}


SITES = """
query($kind: [SiteKind!], $region: String, $within: ID, $parent: ID, $name: String) {
  sites(kind: $kind, region: $region, within: $within, parent: $parent, name: $name, first: 50) {
    totalCount edges { node { name } }
  }
}"""


async def test_site_filters(gql, db):
    net = await build()

    async def names(**args):
        return [e["node"]["name"] for e in (await gql(SITES, **args))["sites"]["edges"]]

    assert await names(kind=["CENTER"]) == ["洛江区新时代文明实践中心", "泉港区新时代文明实践中心"]
    assert await names(region="350504100") == ["河市镇新时代文明实践所", "洛阳村新时代文明实践站", "溪阳社区新时代文明实践站"]
    assert len(await names(within=gid("Site", net.centre.id))) == 6
    assert await names(parent=gid("Site", net.institute.id)) == ["洛阳村新时代文明实践站", "溪阳社区新时代文明实践站"]
    assert await names(name="溪阳") == ["溪阳社区新时代文明实践站"]


async def test_personal_data_is_never_public(gql, db):
    await build()  # its centre and station have contact names and phones
    data = await gql("{ sites { edges { node { contactName contactPhone } } } }")
    assert {(e["node"]["contactName"], e["node"]["contactPhone"]) for e in data["sites"]["edges"]} == {(None, None)}
    for field in ("phone", "volunteerNumber"):
        errors = await gql.errors("{ lecturers { edges { node { %s } } } }" % field)
        assert "Cannot query field" in errors[0]["message"]


async def test_teams_lecturers_platforms_campaigns(gql, db):
    net = await build()
    data = await gql("""query($within: ID!) {
      teams(within: $within, lectureTeams: true) { edges { node { name parent { name } homeSite { name } } } }
      lecturers(within: $within) { edges { node { name title topics homeSite { name } } } }
      platforms { code name leadUnit }
      campaigns(from: "2026-03-05T00:00:00+08:00") { edges { node { name kind startsOn endsOn } } }
    }""", within=gid("Site", net.centre.id))
    assert data["teams"]["edges"] == [{"node": {"name": "洛地有声宣讲队", "parent": {"name": "洛江区志愿服务总队"},
                                                "homeSite": {"name": "洛阳村新时代文明实践站"}}}]
    assert data["lecturers"]["edges"][0]["node"]["topics"] == ["党的二十大精神"]
    assert [p["code"] for p in data["platforms"]] == ["THEORY", "CULTURE"]
    assert data["campaigns"]["edges"][0]["node"]["kind"] == "FESTIVAL"


async def test_nodes_round_trip_by_global_id(gql, db):
    net = await build()
    occ = (await gql(OCCURRENCES, site=gid("Site", net.station.id), **MARCH))["occurrences"]["edges"][0]["node"]
    data = await gql("""query($ids: [ID!]!) { nodes(ids: $ids) { __typename ... on Occurrence { title }
                        ... on Event { title rrule lecturers { name } } ... on Site { name } } }""",
                     ids=[occ["id"], gid("Event", net.weekly.id), gid("Site", net.station.id), gid("Event", net.draft.id)])
    assert data["nodes"] == [
        {"__typename": "Occurrence", "title": "党的二十大精神微宣讲"},
        {"__typename": "Event", "title": "党的二十大精神微宣讲", "rrule": "FREQ=WEEKLY;BYDAY=SA;COUNT=4", "lecturers": [{"name": "陈宣讲"}]},
        {"__typename": "Site", "name": "洛阳村新时代文明实践站"},
        None,  # drafts are not public
    ]


async def test_upcoming_occurrences_of_a_site(gql, db):
    from api.domain.clock import now
    from api.domain.events import create_event
    from api.models.events import EventKind, EventStatus

    net = await build()
    soon = now().replace(microsecond=0)
    for days in (3, 1, 2):
        await create_event(kind=EventKind.ACTIVITY, title=f"{days}天后", platform_id=net.culture.id, site_id=net.station2.id,
                           starts_at=soon + __import__("datetime").timedelta(days=days),
                           ends_at=soon + __import__("datetime").timedelta(days=days, hours=1), status=EventStatus.PUBLISHED)
    data = await gql("""query($id: ID!) { site(id: $id) { upcomingOccurrences(first: 2) { title } } }""",
                     id=gid("Site", net.station2.id))
    assert [o["title"] for o in data["site"]["upcomingOccurrences"]] == ["1天后", "2天后"]


async def test_a_window_in_utc_finds_the_same_occurrences(gql, db):
    # SQLite compares datetimes as text: a "Z" window must still match +08:00 rows.
    net = await build()
    local_window = await gql(OCCURRENCES, within=gid("Site", net.centre.id), **MARCH)
    utc_window = await gql(OCCURRENCES, within=gid("Site", net.centre.id),
                           start="2026-02-28T16:00:00Z", end="2026-03-31T16:00:00Z")
    assert titles(utc_window) == titles(local_window)
    assert utc_window["occurrences"]["edges"][1]["node"]["startsAt"] == "2026-03-07T09:30:00+08:00"
