"""Reports reach readers and screens: the Atom feeds per site subtree and per campaign
(validated by feedparser, ETag and 304), the reportChanges subscription over a real WebSocket,
and the published-report figures in stats."""

from __future__ import annotations

import feedparser
import httpx

from api.app import create_app
from tests.auth_support import make_callers, mutate
from tests.live_support import GraphQLSocket, listening, serving
from tests.network import build, gid
from tests.reports_support import STEP, UPDATE, publish, step, write


async def test_the_atom_feed_validates_and_holds_only_published_reports(client):
    net = await build()
    callers = await make_callers(net)
    campaign = await net.weekly.campaign
    first = await publish(client, callers.editor, callers.admin, await write(
        client, callers.editor, net.station, title="微宣讲走进洛阳村", campaignId=gid("Campaign", campaign.id),
        body='<p>村民 &amp; 志愿者<script>alert(1)</script></p>'))
    await publish(client, callers.editor, callers.admin, await write(client, callers.editor, net.institute, title="科普集市报道"))
    await write(client, callers.editor, net.station, title="还在写的草稿")
    elsewhere = await write(client, callers.other_editor, net.other_station, title="别处的报道")
    assert elsewhere["status"] == "DRAFT"

    response = await client.get(f"/feeds/sites/{net.centre.id}/reports.atom")
    assert response.status_code == 200 and response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.bozo_exception
    assert feed.version == "atom10" and feed.feed.title == f"{net.centre.name} 活动报道"
    assert [e.title for e in feed.entries] == ["科普集市报道", "微宣讲走进洛阳村"]  # newest first, no draft
    entry = feed.entries[1]
    assert entry.author == net.station.name  # the site, never the account that typed it
    assert "script" not in entry.content[0].value and "村民 &amp; 志愿者" in entry.content[0].value
    assert entry.id.startswith("tag:wenming.example.org,2026:report:") and entry.published
    # The station's subtree holds one of them; the campaign's feed the one on the campaign.
    station = feedparser.parse((await client.get(f"/feeds/sites/{net.station.id}/reports.atom")).content)
    assert [e.title for e in station.entries] == ["微宣讲走进洛阳村"]
    by_campaign = feedparser.parse((await client.get(f"/feeds/campaigns/{campaign.id}/reports.atom")).content)
    assert by_campaign.bozo == 0 and [e.title for e in by_campaign.entries] == ["微宣讲走进洛阳村"]

    # ETag and 304; an edit changes the feed and its ETag.
    again = await client.get(f"/feeds/sites/{net.centre.id}/reports.atom", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    edited = await mutate(client, callers.admin, UPDATE, input={"id": first["id"], "version": first["version"], "title": "微宣讲走进洛阳村(图)"})
    assert edited["errors"] == []
    changed = await client.get(f"/feeds/sites/{net.centre.id}/reports.atom", headers={"If-None-Match": response.headers["etag"]})
    assert changed.status_code == 200 and "微宣讲走进洛阳村(图)" in changed.text
    # Unknown scopes are a clear 404, not a 500.
    for path in ("/feeds/sites/999/reports.atom", "/feeds/sites/abc/reports.atom", "/feeds/campaigns/0/reports.atom"):
        missing = await client.get(path)
        assert missing.status_code == 404 and missing.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND", path


SUBSCRIPTION = """subscription($within: ID) { reportChanges(within: $within) { reportId status removed report { title } } }"""


async def test_screens_hear_of_published_and_withdrawn_reports(db, settings):
    net = await build()
    callers = await make_callers(net)
    app = create_app(settings, manage_db=False)
    async with serving(app) as server, GraphQLSocket.open(server.ws_url) as screen:
        await screen.subscribe(SUBSCRIPTION, within=gid("Site", net.institute.id))
        await listening(app, "reports")
        async with httpx.AsyncClient(base_url=server.url) as http:
            # A draft, its submission and a report in another county: nobody's news.
            await write(http, callers.other_editor, net.other_station, title="别处")
            draft = await write(http, callers.editor, net.station, title="洛阳村报道")
            submitted = (await step(http, callers.editor, "submit", draft))["report"]
            approved = (await step(http, callers.admin, "approve", submitted))["report"]
            news = (await screen.next())["data"]["reportChanges"]
            assert news == {"reportId": draft["id"], "status": "PUBLISHED", "removed": False, "report": {"title": "洛阳村报道"}}
            gone = await mutate(http, callers.admin, STEP["unpublish"], input={"id": approved["id"], "version": approved["version"]})
            assert gone["errors"] == []
            withdrawn = (await screen.next())["data"]["reportChanges"]
            assert withdrawn == {"reportId": draft["id"], "status": "UNPUBLISHED", "removed": True, "report": None}


async def test_stats_count_published_reports_per_month_and_platform(client):
    net = await build()
    callers = await make_callers(net)
    await publish(client, callers.editor, callers.admin,
                  await write(client, callers.editor, net.station, eventId=gid("Event", net.weekly.id)))
    await publish(client, callers.editor, callers.admin, await write(client, callers.editor, net.institute))
    await write(client, callers.editor, net.station, title="草稿不算")
    from api.domain.clock import now

    today = now().date()
    response = await client.post("/graphql", json={"query": """query($within: ID, $from: Date, $to: Date) {
      stats(within: $within, from: $from, to: $to) { reports { published onNoEvent
        byMonth { month published } byPlatform { platform { code } published } } } }""",
        "variables": {"within": gid("Site", net.centre.id), "from": today.replace(day=1).isoformat(), "to": today.isoformat()}})
    figures = response.json()["data"]["stats"]["reports"]
    assert figures["published"] == 2 and figures["onNoEvent"] == 1
    assert figures["byMonth"] == [{"month": today.strftime("%Y-%m"), "published": 2}]
    assert {p["platform"]["code"]: p["published"] for p in figures["byPlatform"]} == {"THEORY": 1, "CULTURE": 0}


async def test_a_moved_sites_reports_follow_it_to_the_new_ancestor(client):
    """A site moved to another centre takes its reports along: they show in the new centre's
    feed, not the old one's (found by review: report.site_path kept the old path)."""
    from api.domain.sites import move_site
    from api.models.content import Report
    from api.models.sites import Site

    net = await build()
    callers = await make_callers(net)
    await publish(client, callers.editor, callers.admin, await write(client, callers.editor, net.station, title="洛阳村报道"))
    await move_site(await Site.get(id=net.institute.id), await Site.get(id=net.other_centre.id))
    station = await Site.get(id=net.station.id)
    assert station.path.startswith(net.other_centre.path)
    assert [r.site_path for r in await Report.filter(site_id=station.id)] == [station.path]
    titles = {}
    for centre in (net.centre, net.other_centre):
        feed = feedparser.parse((await client.get(f"/feeds/sites/{centre.id}/reports.atom")).content)
        titles[centre.id] = [e.title for e in feed.entries]
    assert titles == {net.centre.id: [], net.other_centre.id: ["洛阳村报道"]}
