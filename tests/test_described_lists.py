"""Lists do what their descriptions say (issue 10): `Site.upcomingOccurrences` leaves out what
will not take place, `Event.upcomingOccurrences` gives a sign-up page the one running now and the
next dates (issue 12), `campaigns` is in start-date order and its cursors page through it."""

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


EVENT_DATES = """query($ids: [ID!]!) { nodes(ids: $ids) { ... on Event { title upcomingOccurrences(first: 2) { startsAt status } } } }"""


async def test_an_events_upcoming_occurrences_start_with_the_one_running_now(gql, db):
    net = await build()
    started = now().replace(second=0, microsecond=0) - timedelta(minutes=30)

    async def daily(title: str, starts_at):
        return await create_event(kind=EventKind.ACTIVITY, title=title, platform_id=net.culture.id, site_id=net.station2.id,
                                  starts_at=starts_at, ends_at=starts_at + timedelta(hours=2), rrule="FREQ=DAILY;COUNT=4",
                                  status=EventStatus.PUBLISHED)

    duty = await daily("每日值守", started)  # today's is on, for another 90 minutes
    over = await daily("早已结束", started - timedelta(days=1, hours=3))  # yesterday's and today's are over
    await change_occurrence(duty, started + timedelta(days=1), cancelled=True)  # tomorrow's is called off
    listed = (await gql(EVENT_DATES, ids=[gid("Event", duty.id), gid("Event", over.id)]))["nodes"]
    iso = lambda dt: dt.isoformat()  # noqa: E731
    assert listed[0]["upcomingOccurrences"] == [{"startsAt": iso(started), "status": "SCHEDULED"},
                                                {"startsAt": iso(started + timedelta(days=2)), "status": "SCHEDULED"}]
    later = started - timedelta(hours=3) + timedelta(days=1)
    assert [o["startsAt"] for o in listed[1]["upcomingOccurrences"]] == [iso(later), iso(later + timedelta(days=1))]


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
