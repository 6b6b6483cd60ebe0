"""A fixed number of SQL statements per request, however large the page (DataLoaders)."""

from api.domain.events import create_event
from api.domain.sites import create_site
from api.domain.teams import create_team
from api.models.events import EventKind, EventStatus
from api.models.people import Person
from api.models.sites import SiteKind
from api.models.teams import Membership, TeamCategory, TeamKind
from tests.conftest import count_sql
from tests.network import at, build, gid

PORTAL = """
query Portal($centre: ID!, $from: DateTime!, $to: DateTime!) {
  centre: site(id: $centre) {
    name
    subtreeCounts { kind count }
    children { name kind teams { name members { lecturer { name } } } children { name } }
  }
  sites(within: $centre, first: 100) { totalCount edges { node { name kind parent { name } } } }
  teams(within: $centre, first: 100) { edges { node { name category homeSite { name } } } }
  occurrences(within: $centre, from: $from, to: $to, first: 100) {
    edges { node { title startsAt status site { name } venue { name } platform { name }
                   team { name } lecturers { name title } } }
  }
}"""
# One statement per root page and per loader batch. Root fields run concurrently, so a loader
# used under several roots may be dispatched in one batch or two depending on which page query
# returns first: the pin is an upper bound that does not depend on the amount of data.
PORTAL_MAX_STATEMENTS = 17
KIOSK = """
query Today($site: ID!, $from: DateTime!, $to: DateTime!) {
  occurrences(within: $site, from: $from, to: $to, first: 100) {
    edges { node { title startsAt endsAt status site { name } venue { name } platform { name }
                   team { name } campaign { name } lecturers { name } event { summary } } }
  }
}"""
KIOSK_STATEMENTS = 9  # occurrences, site, venue, platform, team, campaign, lecturers, event, + within's site


async def grow(net, institutes: int) -> None:
    """Add institutes to the same centre, each with stations, a lecture team and a weekly series."""
    for i in range(institutes):
        inst = await create_site(kind=SiteKind.INSTITUTE, name=f"第{i}镇实践所", parent=net.centre)
        team = await create_team(kind=TeamKind.TEAM, category=TeamCategory.THEORY, name=f"第{i}镇宣讲队",
                                 home_site=inst, is_lecture_team=True)
        lecturer = await Person.create(name=f"讲师{i}", is_lecturer=True, title="新时代宣讲员", home_site=inst)
        await Membership.create(team=team, person=lecturer)
        for j in range(2):
            station = await create_site(kind=SiteKind.STATION, name=f"第{i}镇{j}村实践站", parent=inst)
            await create_event(kind=EventKind.LECTURE, title=f"第{i}镇{j}村周末宣讲", platform_id=net.theory.id,
                               site_id=station.id, team_id=team.id, lecturer_ids=[lecturer.id],
                               starts_at=at(2026, 3, 7, 9), ends_at=at(2026, 3, 7, 10),
                               rrule="FREQ=WEEKLY;COUNT=4", status=EventStatus.PUBLISHED)


async def run(client, query: str, **variables) -> tuple[dict, list[str]]:
    variables |= {"from": "2026-03-01T00:00:00+08:00", "to": "2026-04-01T00:00:00+08:00"}
    with count_sql() as statements:
        response = await client.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    assert "errors" not in body, body
    return body["data"], list(statements)


async def test_portal_query_costs_a_fixed_number_of_statements(client, db):
    net = await build()
    centre = gid("Site", net.centre.id)
    small, small_sql = await run(client, PORTAL, centre=centre)
    small_kiosk, small_kiosk_sql = await run(client, KIOSK, site=centre)
    await grow(net, institutes=10)
    large, large_sql = await run(client, PORTAL, centre=centre)
    large_kiosk, large_kiosk_sql = await run(client, KIOSK, site=centre)

    assert len(small["occurrences"]["edges"]) == 5
    assert len(large["occurrences"]["edges"]) == 5 + 10 * 2 * 4  # the page grew tenfold and more
    assert len(large["sites"]["edges"]) > 5 * len(small["sites"]["edges"])
    assert len(small_sql) <= PORTAL_MAX_STATEMENTS, "\n".join(small_sql)
    assert len(large_sql) <= PORTAL_MAX_STATEMENTS, "\n".join(large_sql)
    assert len(large_kiosk["occurrences"]["edges"]) == 85
    assert len(small_kiosk_sql) == len(large_kiosk_sql) == KIOSK_STATEMENTS, "\n".join(large_kiosk_sql)
