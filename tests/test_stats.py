"""Big-screen statistics against figures computed by hand for the small test network, on
SQLite and PostgreSQL, and a fixed number of statements whatever the network's size."""

from __future__ import annotations

import random
from datetime import date

import pytest

from api.domain import clock, kept_figures
from api.domain import stats as figures
from api.domain.events import create_event
from api.domain.occurrences import refresh
from api.domain.sites import create_site
from api.domain.teams import create_team
from api.models.events import Event, EventKind, EventStatus
from api.models.people import Person
from api.models.sites import Site, SiteKind
from api.models.teams import Membership, Team, TeamCategory, TeamKind
from tests.conftest import count_sql
from tests.network import at, build, gid

STATS = """
query Stats($within: ID, $from: Date, $to: Date) {
  stats(within: $within, from: $from, to: $to) {
    within { name } from to
    sites { total byKind { kind count } }
    coverage { townships { regions units covered rate } villages { regions units covered rate } }
    fiveHaves { sites venue team activities projects mechanism allFive allFiveRate }
    fiveHavesByKind { kind sites allFive }
    stars { rated byStars { stars sites } }
    teams { teams members byCategory { category teams members } }
    held { lectures audience activities beneficiaries serviceHours volunteerServiceHours }
    byMonth { month lectures audience activities beneficiaries serviceHours volunteerServiceHours }
    byPlatform { platform { name } lectures audience activities beneficiaries volunteerServiceHours }
  }
}"""
# One statement each: sites by kind, coverage, stars, teams, members, people, held (two: the
# days kept per site and day, and what ended today), the next change, platforms; and within's
# site when given.
STATS_STATEMENTS = 10


async def figures_network():
    """tests/network.py plus region data, five-haves, stars, a second team membership and
    recorded attendance. The figures below are counted by hand from this."""
    net = await build()
    await Site.filter(id=net.centre.id).update(region_unit_count=3)  # 3 townships, 1 institute
    # 1 village on record but 2 stations below: covered is capped at 1.
    await Site.filter(id=net.institute.id).update(region_unit_count=1, star_rating=5, **ALL_FIVE)
    await Site.filter(id=net.station.id).update(star_rating=4, **ALL_FIVE)
    await Site.filter(id=net.station2.id).update(star_rating=3, has_venue=True, has_team=True)
    await Site.filter(id=net.other_centre.id).update(region_unit_count=1)
    other_institute = await Site.get(parent_id=net.other_centre.id, kind=SiteKind.INSTITUTE)
    await Site.filter(id=other_institute.id).update(region_unit_count=4)
    volunteer = await Person.get(name="李志愿")
    await Membership.create(team_id=net.fair.team_id, person=volunteer)  # the corps: 1 member
    await Event.filter(id=net.weekly.id).update(attendance=40)  # per session
    await Event.filter(id=net.fair.id).update(beneficiaries=150)
    await Event.filter(id=net.holiday.id).update(beneficiaries=500)
    await kept_figures.rebuild()  # edits by hand bypass the writes that keep them (wenming reindex)
    return net


ALL_FIVE = dict(has_venue=True, has_team=True, has_activities=True, has_projects=True, has_mechanism=True)


async def test_a_centre_after_march(gql, db, monkeypatch):
    net = await figures_network()
    monkeypatch.setattr(clock, "now", lambda: at(2026, 4, 1))
    s = (await gql(STATS, within=gid("Site", net.centre.id), **{"from": "2026-03-01", "to": "2026-03-31"}))["stats"]

    # centre, sub-centre, institute, two stations, a point
    assert s["sites"]["total"] == 6
    assert {k["kind"]: k["count"] for k in s["sites"]["byKind"]} == {
        "PROVINCE": 0, "CITY": 0,
        "CENTER": 1, "SUB_CENTER": 1, "INSTITUTE": 1, "STATION": 2, "POINT": 1, "BASE": 0}
    assert s["coverage"]["townships"] == {"regions": 1, "units": 3, "covered": 1, "rate": 0.3333}
    assert s["coverage"]["villages"] == {"regions": 1, "units": 1, "covered": 1, "rate": 1.0}
    assert s["fiveHaves"] == {"sites": 6, "venue": 3, "team": 3, "activities": 2, "projects": 2, "mechanism": 2,
                              "allFive": 2, "allFiveRate": 0.3333}
    assert {k["kind"]: (k["sites"], k["allFive"]) for k in s["fiveHavesByKind"]} == {
        "CENTER": (1, 0), "SUB_CENTER": (1, 0), "INSTITUTE": (1, 1), "STATION": (2, 1), "POINT": (1, 0)}
    assert s["stars"] == {"rated": 3, "byStars": [{"stars": 1, "sites": 0}, {"stars": 2, "sites": 0},
                                                  {"stars": 3, "sites": 1}, {"stars": 4, "sites": 1},
                                                  {"stars": 5, "sites": 1}]}
    # corps (the volunteer) and the lecture team (lecturer and volunteer): 2 people, not 3
    assert s["teams"] == {"teams": 2, "members": 2, "byCategory": [
        {"category": "THEORY", "teams": 1, "members": 2}, {"category": "GENERAL", "teams": 1, "members": 1}]}
    # Lectures: 7 March and the moved 29 March (14 March removed, 21 March cancelled), 40 each.
    # Activities: the fair (150, 3 h, the corps' 1 member) and the all-day 5 March (500, 8 h, no team).
    # Volunteer hours: 2 lectures x 1.5 h x 2 members + 3 h x 1 member = 9.
    held = {"lectures": 2, "audience": 80, "activities": 2, "beneficiaries": 650, "serviceHours": 14.0,
            "volunteerServiceHours": 9.0}
    assert s["held"] == held
    assert s["byMonth"] == [{"month": "2026-03", **held}]
    assert s["byPlatform"] == [
        {"platform": {"name": "理论宣讲"}, "lectures": 2, "audience": 80, "activities": 0, "beneficiaries": 0,
         "volunteerServiceHours": 6.0},
        {"platform": {"name": "文化服务"}, "lectures": 0, "audience": 0, "activities": 2, "beneficiaries": 650,
         "volunteerServiceHours": 3.0},
    ]


async def test_the_whole_network_mid_march(gql, db, monkeypatch):
    await figures_network()
    monkeypatch.setattr(clock, "now", lambda: at(2026, 3, 10, 15))  # the fair is on: not held yet
    s = (await gql(STATS, **{"from": "2026-02-15", "to": "2026-04-10"}))["stats"]

    assert s["within"] is None and s["sites"]["total"] == 9
    assert s["coverage"]["townships"] == {"regions": 2, "units": 4, "covered": 2, "rate": 0.5}
    assert s["coverage"]["villages"] == {"regions": 2, "units": 5, "covered": 2, "rate": 0.4}
    # 7 March (40) and the all-day 5 March (500, 8 h); the other centre's lecture is on 11 March
    assert s["held"] == {"lectures": 1, "audience": 40, "activities": 1, "beneficiaries": 500, "serviceHours": 9.5,
                         "volunteerServiceHours": 3.0}
    assert [m["month"] for m in s["byMonth"]] == ["2026-02", "2026-03", "2026-04"]
    assert s["byMonth"][0]["lectures"] == s["byMonth"][2]["activities"] == 0


async def test_cancelled_events_and_drafts_are_not_held(gql, db, monkeypatch):
    net = await figures_network()
    await Event.filter(id=net.fair.id).update(status=EventStatus.CANCELLED)
    await refresh([await Event.get(id=net.fair.id)])
    await Event.filter(id=net.draft.id).update(attendance=999)
    monkeypatch.setattr(clock, "now", lambda: at(2026, 4, 1))
    s = (await gql(STATS, within=gid("Site", net.centre.id), **{"from": "2026-03-01", "to": "2026-03-31"}))["stats"]
    assert (s["held"]["activities"], s["held"]["beneficiaries"]) == (1, 500)


async def test_bad_periods_are_named(gql, db):
    await build()
    errors = await gql.errors(STATS, **{"from": "2026-03-05", "to": "2026-03-01"})
    assert errors[0]["message"] == "to (2026-03-01) must not be before from (2026-03-05)"
    errors = await gql.errors(STATS, **{"from": "2020-01-01", "to": "2026-03-01"})
    assert "longer than" in errors[0]["message"]
    errors = await gql.errors(STATS, within=gid("Site", 404))
    assert "does not exist" in errors[0]["message"]


async def grow(net, institutes: int) -> None:
    for i in range(institutes):
        inst = await create_site(kind=SiteKind.INSTITUTE, name=f"第{i}镇实践所", parent=net.centre, region_unit_count=3,
                                 star_rating=(i % 5) + 1, **ALL_FIVE)
        team = await create_team(kind=TeamKind.TEAM, category=TeamCategory.HEALTH, name=f"第{i}镇健康队", home_site=inst)
        for j in range(3):
            person = await Person.create(name=f"志愿者{i}-{j}")
            await Membership.create(team=team, person=person)
        station = await create_site(kind=SiteKind.STATION, name=f"第{i}镇1村实践站", parent=inst)
        await create_event(kind=EventKind.ACTIVITY, title=f"第{i}镇义诊", platform_id=net.culture.id, site_id=station.id,
                           team_id=team.id, starts_at=at(2026, 3, 2, 9), ends_at=at(2026, 3, 2, 11),
                           rrule="FREQ=WEEKLY;COUNT=4", beneficiaries=30, status=EventStatus.PUBLISHED)


@pytest.mark.parametrize("within", [True, False])
async def test_statements_do_not_grow_with_the_network(client, db, monkeypatch, within):
    net = await figures_network()
    monkeypatch.setattr(clock, "now", lambda: at(2026, 4, 1))
    variables = {"from": "2026-03-01", "to": "2026-03-31"} | ({"within": gid("Site", net.centre.id)} if within else {})

    async def run() -> tuple[dict, int]:
        with count_sql() as sql:
            body = (await client.post("/graphql", json={"query": STATS, "variables": variables})).json()
        assert "errors" not in body, body
        return body["data"]["stats"], len(sql)

    small, small_sql = await run()
    await grow(net, institutes=8)
    large, large_sql = await run()
    assert large["held"]["activities"] == small["held"]["activities"] + 8 * 4
    assert large["held"]["volunteerServiceHours"] == small["held"]["volunteerServiceHours"] + 8 * 4 * 2 * 3
    assert small_sql == large_sql == STATS_STATEMENTS + within


async def _direct_members(within: str | None) -> tuple[dict[str, int], int]:
    """Distinct live people in the live teams based in the subtree, per category and in all,
    counted from the rows themselves."""
    paths = {s["id"]: s["path"] for s in await Site.all().values("id", "path")}
    live = {p["id"] for p in await Person.filter(deleted_at__isnull=True).values("id")}
    teams = {t["id"]: str(t["category"]) for t in await Team.filter(deleted_at__isnull=True).values("id", "category", "home_site_id")
             if not within or paths[t["home_site_id"]].startswith(within)}
    per_category: dict[str, set[int]] = {}
    for m in await Membership.filter(deleted_at__isnull=True).values("team_id", "person_id"):
        if m["team_id"] in teams and m["person_id"] in live:
            per_category.setdefault(teams[m["team_id"]], set()).add(m["person_id"])
    return {c: len(p) for c, p in per_category.items()}, len(set().union(*per_category.values()))


async def test_members_and_volunteers_equal_a_direct_count_after_random_edits(db):
    """Members per category and volunteers count each live person once per scope, whatever
    others leave, join or are deleted elsewhere in the network (the statement reads only the
    subtree's teams and reaches people by their key)."""
    net = await build()
    rng = random.Random(18)
    sites = await Site.all()
    people = [await Person.create(name=f"志愿者{i}") for i in range(30)]
    teams = [await create_team(kind=TeamKind.TEAM, category=rng.choice([c for c in TeamCategory if c != TeamCategory.OTHER]), name=f"队{i}",
                               home_site=rng.choice(sites)) for i in range(8)]
    for _ in range(80):
        team, person = rng.choice(teams), rng.choice(people)
        membership = await Membership.get_or_none(team=team, person=person)
        if membership is None:
            await Membership.create(team=team, person=person)
        elif rng.random() < 0.5:
            await Membership.filter(id=membership.id).update(deleted_at=None if membership.deleted_at else clock.now())
    for person in rng.sample(people, 6):  # people who left: never counted, whatever their memberships
        await Person.filter(id=person.id).update(deleted_at=clock.now())
    await Team.filter(id=teams[0].id).update(deleted_at=clock.now())
    now = clock.now()
    for within in (None, net.centre.path, net.institute.path, net.station.path, net.other_station.path):
        scope = figures.Scope(within_path=within, first_day=date(2026, 1, 1), last_day=date(2026, 12, 31), now=now)
        by_category, everyone = await _direct_members(within)
        assert await figures.members_by_category(scope) == by_category, within
        assert await figures.volunteers(scope) == everyone, within
    whole = figures.Scope(within_path=None, first_day=date(2026, 1, 1), last_day=date(2026, 12, 31), now=now)
    assert await figures.volunteers(whole) > 15  # the edits left plenty to count
