"""Feed links on the GraphQL types: every type with a feed gives its https, webcal:// and Google
links, built from the request's settings, and each link is a working feed."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from tests.conftest import count_sql
from tests.network import build, gid
from tests.test_feeds_support import value, vevents

HOST = "wenming.example.org"
GOOGLE = "https://calendar.google.com/calendar/r?cid="
MARCH = "from=2026-03-01&to=2026-04-01"  # the test network's month (today's default window may miss it)

FEEDS = """
fragment Links on FeedLinks { https webcal google }
query Feeds($site: ID!, $team: ID!, $lecturer: ID!, $campaign: ID!, $event: ID!, $culture: ID!) {
  site(id: $site) {
    feed { ...Links }
    activities: feed(subtree: true, kind: ACTIVITY, platforms: [$culture]) { ...Links }
  }
  team: node(id: $team) { ... on Team { feed { ...Links } } }
  lecturer: node(id: $lecturer) { ... on Lecturer { feed { ...Links } } }
  campaign: node(id: $campaign) { ... on Campaign { feed(kind: LECTURE) { ...Links } } }
  event: node(id: $event) { ... on Event { feed { ...Links } } }
  platforms { code feed { ...Links } }
}"""


def local_path(url: str, extra: str = "") -> str:
    """The feed URL as a path for the test client (which does not serve the public host)."""
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, extra) if q)
    return parts.path + (f"?{query}" if query else "")


async def feeds_of(gql, n) -> dict:
    return await gql(
        FEEDS, site=gid("Site", n.centre.id), team=gid("Team", n.weekly.team_id),
        lecturer=gid("Lecturer", n.lecturer.id), campaign=gid("Campaign", n.weekly.campaign_id),
        event=gid("Event", n.weekly.id), culture=gid("Platform", n.culture.id),
    )


async def test_every_feed_link_is_a_working_calendar(db, client, gql):
    n = await build()
    data = await feeds_of(gql, n)
    links = [
        data["site"]["feed"], data["site"]["activities"], data["team"]["feed"], data["lecturer"]["feed"],
        data["campaign"]["feed"], data["event"]["feed"], *(p["feed"] for p in data["platforms"]),
    ]
    assert len(links) == 8
    for link in links:
        assert link["https"].startswith(f"https://{HOST}/feeds/")  # the request's public_url
        assert link["webcal"] == "webcal://" + link["https"].removeprefix("https://")
        assert link["google"] == GOOGLE + quote(link["webcal"], safe="")
        response = await client.get(local_path(link["https"]))
        assert response.status_code == 200, (link["https"], response.text)
        assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert data["site"]["feed"]["https"] == f"https://{HOST}/feeds/sites/{n.centre.id}.ics"
    assert data["event"]["feed"]["https"] == f"https://{HOST}/feeds/events/{n.weekly.id}.ics"
    codes = {p["code"]: p["feed"]["https"] for p in data["platforms"]}
    assert codes[n.theory.code] == f"https://{HOST}/feeds/platforms/{n.theory.code}.ics"


async def test_the_links_carry_the_filters_they_were_asked_for(db, client, gql):
    n = await build()
    data = await feeds_of(gql, n)

    async def titles(link: dict) -> set[str]:
        response = await client.get(local_path(link["https"], MARCH))
        assert response.status_code == 200
        return {value(line) for v in vevents(response.content) for line in v["SUMMARY"]}

    # The centre alone holds the all-day activity; its subtree's culture activities add the fair,
    # and leave out the weekly lecture (a lecture, on the theory platform) and other centres' events.
    assert await titles(data["site"]["feed"]) == {"学雷锋志愿服务日"}
    assert await titles(data["site"]["activities"]) == {"学雷锋志愿服务日", "科普集市"}
    assert "subtree=1" in data["site"]["activities"]["https"]
    weekly = {"党的二十大精神微宣讲", "【已取消】党的二十大精神微宣讲"}  # the series and its cancelled occurrence
    assert await titles(data["campaign"]["feed"]) == weekly  # kind: LECTURE leaves out the campaign's activity
    assert await titles(data["event"]["feed"]) == weekly


async def test_a_bad_platform_argument_is_named(db, gql):
    n = await build()
    query = "query($site: ID!, $p: [ID!]) { site(id: $site) { feed(platforms: $p) { https } } }"
    wrong_type = await gql.errors(query, site=gid("Site", n.centre.id), p=[gid("Team", 1)])
    assert "platforms must be the id of a Platform, got the id of a Team" in wrong_type[0]["message"]
    unknown = await gql.errors(query, site=gid("Site", n.centre.id), p=[gid("Platform", 999)])
    assert "platform" in unknown[0]["message"] and "does not exist" in unknown[0]["message"]


SITE_FEEDS = """
query($centre: ID!, $first: Int!, $culture: ID!) {
  sites(within: $centre, first: $first) {
    edges { node { name feed { https } culture: feed(subtree: true, platforms: [$culture]) { webcal } } }
  }
}"""
SITE_NAMES = "query($centre: ID!, $first: Int!) { sites(within: $centre, first: $first) { edges { node { name } } } }"


async def test_feed_links_cost_no_sql_per_item(db, gql):
    n = await build()
    args = {"centre": gid("Site", n.centre.id), "culture": gid("Platform", n.culture.id)}
    with count_sql() as plain:
        await gql(SITE_NAMES, centre=args["centre"], first=20)
    with count_sql() as two:
        await gql(SITE_FEEDS, first=2, **args)
    with count_sql() as many:
        data = await gql(SITE_FEEDS, first=20, **args)
    assert len(data["sites"]["edges"]) > 2
    assert len(many) == len(two) == len(plain) + 1  # the platform codes: one query, whatever the page size
