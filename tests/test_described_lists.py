"""Lists do what their descriptions say (issue 10): `Site.upcomingOccurrences` leaves out what
will not take place, `campaigns` is in start-date order and its cursors page through it."""

from __future__ import annotations

from datetime import date, timedelta

from api.domain import series
from api.domain.clock import now
from api.domain.events import change_occurrence, create_event
from api.models.events import Campaign, CampaignKind, EventKind, EventStatus
from tests.network import build, gid

UPCOMING = """query($site: ID!) { node(id: $site) { ... on Site { upcomingOccurrences(first: 10) { title status } } } }"""


async def test_upcoming_occurrences_leave_out_cancelled_events_and_occurrences(gql, db):
    net = await build()
    soon = now().replace(microsecond=0) + timedelta(days=1)

    async def event(title: str, **extra):
        return await create_event(kind=EventKind.ACTIVITY, title=title, platform_id=net.culture.id, site_id=net.station2.id,
                                  starts_at=soon, ends_at=soon + timedelta(hours=1), status=EventStatus.PUBLISHED, **extra)

    await event("照常举行")
    called_off = await event("整场取消", rrule="FREQ=DAILY;COUNT=3")
    await series.set_status(called_off, called_off.version, EventStatus.CANCELLED, [])
    one_off = await event("取消一次", rrule="FREQ=DAILY;COUNT=2")
    await change_occurrence(one_off, soon, cancelled=True)
    listed = (await gql(UPCOMING, site=gid("Site", net.station2.id)))["node"]["upcomingOccurrences"]
    assert [(o["title"], o["status"]) for o in listed] == [("照常举行", "SCHEDULED"), ("取消一次", "SCHEDULED")]


CAMPAIGNS = """query($after: String) { campaigns(first: 2, after: $after) {
  edges { cursor node { name startsOn } } pageInfo { hasNextPage endCursor } } }"""


async def test_campaigns_come_by_start_date_and_page_by_it(gql, db):
    await build()  # one campaign, 学雷锋日 from 2026-03-01
    for name, starts in (("国庆", date(2026, 10, 1)), ("春节", date(2026, 2, 10)), ("元宵", date(2026, 2, 10)),
                         ("重阳", date(2026, 10, 18)), ("清明", date(2026, 4, 4))):
        await Campaign.create(kind=CampaignKind.FESTIVAL, name=name, starts_on=starts, ends_on=starts + timedelta(days=3))
    seen, after = [], None
    while True:
        page = (await gql(CAMPAIGNS, after=after))["campaigns"]
        seen += [(e["node"]["startsOn"], e["node"]["name"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # By start date; the same date in creation (id) order; every campaign once.
    assert seen == [("2026-02-10", "春节"), ("2026-02-10", "元宵"), ("2026-03-01", "学雷锋日"), ("2026-04-04", "清明"),
                    ("2026-10-01", "国庆"), ("2026-10-18", "重阳")]
    errors = await gql.errors(CAMPAIGNS, after="WyJub3QtYS1kYXRlIiwxXQ==")  # ["not-a-date",1]
    assert "after" in errors[0]["message"] and "cursor" in errors[0]["message"]  # named, not an internal error
