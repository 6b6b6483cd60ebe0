"""The feed and GraphQL's ``occurrences`` are one truth.

For several scopes and windows, the feed is expanded as calendar apps expand it, with two
independent parsers (icalendar + recurring-ical-events, and vobject), and clipped to the
window; both must give exactly the (start, end, cancelled) GraphQL returns for the same scope
and window. The windows are chosen to catch series that start before the window, series that
run past it, and moved occurrences whose original time is inside the window and new time
outside it, and the other way round.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.domain import clock
from api.domain.clock import SHANGHAI, day_start
from api.domain.events import change_occurrence, create_event
from api.models.events import EventKind, EventStatus
from tests.network import Network, at, build
from tests.test_feeds_support import (
    expand_icalendar,
    expand_vobject,
    gid,
    graphql_instances,
    value,
    vevents,
    window_of,
)


async def around_today(n: Network) -> dict[str, int]:
    """Events around today, so the default window (90 days back, 365 ahead) has edges to test."""
    today = clock.local_date(clock.now())
    midnight = day_start(today)
    window_start = midnight - timedelta(days=90)
    window_end = midnight + timedelta(days=366)  # the default window ends after today + 365 days
    published = {"status": EventStatus.PUBLISHED}

    def t(days: int, hh: int = 0, mm: int = 0) -> datetime:
        return midnight + timedelta(days=days, hours=hh, minutes=mm)

    # A weekly evening lecture that began before the window and runs past its end.
    first = t(-120, 19, 30)
    weekly = await create_event(
        kind=EventKind.LECTURE, title="周三夜校", platform_id=n.theory.id, site_id=n.station.id,
        team_id=None, lecturer_ids=[n.lecturer.id], starts_at=first, ends_at=first + timedelta(hours=1),
        rrule="FREQ=WEEKLY;COUNT=80", exdates=[(first + timedelta(weeks=10)).isoformat()], **published,
    )
    before = first + timedelta(weeks=4)  # just before the window starts
    assert before < window_start
    await change_occurrence(weekly, before, starts_at=window_start + timedelta(days=2, hours=10),
                            ends_at=window_start + timedelta(days=2, hours=11))  # moved into the window
    near_end = first + timedelta(weeks=69)  # inside, a few days before the end
    assert window_start < near_end < window_end
    await change_occurrence(weekly, near_end, starts_at=window_end + timedelta(days=3, hours=9),
                            ends_at=window_end + timedelta(days=3, hours=10))  # moved out of the window
    await change_occurrence(weekly, first + timedelta(weeks=20), cancelled=True)
    await change_occurrence(weekly, first + timedelta(weeks=21), title="周三夜校（特别场）")

    # An all-day series every 30 days, one removed, and a two-day event across the window start.
    monthly = await create_event(
        kind=EventKind.ACTIVITY, title="便民服务日", platform_id=n.culture.id, site_id=n.institute.id,
        starts_at=day_start(today - timedelta(days=100)), ends_at=day_start(today - timedelta(days=99)),
        all_day=True, rrule="FREQ=DAILY;INTERVAL=30;COUNT=20",
        exdates=[(today - timedelta(days=100) + timedelta(days=150)).isoformat()], **published,
    )
    await change_occurrence(monthly, day_start(today - timedelta(days=100) + timedelta(days=60)), cancelled=True)
    await create_event(
        kind=EventKind.ACTIVITY, title="跨窗口两日活动", platform_id=n.culture.id, site_id=n.centre.id,
        starts_at=day_start(today - timedelta(days=91)), ends_at=day_start(today - timedelta(days=89)),
        all_day=True, **published,
    )
    # Timed events at the far edge: one ends after the window (inside), one starts at its end (outside).
    await create_event(
        kind=EventKind.ACTIVITY, title="跨年夜活动", platform_id=n.culture.id, site_id=n.station2.id,
        starts_at=window_end - timedelta(hours=1), ends_at=window_end + timedelta(hours=1), **published,
    )
    await create_event(
        kind=EventKind.ACTIVITY, title="窗口外活动", platform_id=n.culture.id, site_id=n.station2.id,
        starts_at=window_end, ends_at=window_end + timedelta(hours=2), **published,
    )
    # A cancelled event, a daily series with UNTIL, a moved single event, a draft series.
    await create_event(
        kind=EventKind.LECTURE, title="取消的宣讲", platform_id=n.theory.id, site_id=n.station.id,
        starts_at=t(10, 15), ends_at=t(10, 16), status=EventStatus.CANCELLED,
    )
    until = t(5, 7).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    await create_event(
        kind=EventKind.ACTIVITY, title="晨练", platform_id=n.culture.id, site_id=n.station.id,
        starts_at=t(-5, 7), ends_at=t(-5, 8), rrule=f"FREQ=DAILY;UNTIL={until}",
        **published,
    )
    single = await create_event(
        kind=EventKind.LECTURE, title="改期的宣讲", platform_id=n.theory.id, site_id=n.institute.id,
        lecturer_ids=[n.lecturer.id], starts_at=t(30, 9), ends_at=t(30, 10), **published,
    )
    await change_occurrence(single, t(30, 9), starts_at=t(31, 14), ends_at=t(31, 15))
    # A series on two weekdays, starting on the first of them (a start the rule does not give is refused).
    saturday = midnight + timedelta(days=(5 - today.weekday()) % 7 + 7, hours=9)
    await create_event(
        kind=EventKind.ACTIVITY, title="周末读书会", platform_id=n.culture.id, site_id=n.station.id,
        starts_at=saturday, ends_at=saturday + timedelta(hours=2), rrule="FREQ=WEEKLY;BYDAY=SA,SU;COUNT=5", **published,
    )
    await create_event(
        kind=EventKind.ACTIVITY, title="草稿系列", platform_id=n.culture.id, site_id=n.station.id,
        starts_at=t(1, 9), ends_at=t(1, 10), rrule="FREQ=DAILY;COUNT=10",
    )
    return {"weekly": weekly.id, "monthly": monthly.id}


def scopes(n: Network) -> list[tuple[str, dict, dict]]:
    """(feed path, feed query, GraphQL arguments) for the same set of occurrences."""
    return [
        (f"/feeds/sites/{n.centre.id}.ics", {"subtree": "1"}, {"within": gid("Site", n.centre.id)}),
        (f"/feeds/sites/{n.centre.id}.ics", {}, {"site": gid("Site", n.centre.id)}),
        (f"/feeds/sites/{n.institute.id}.ics", {"subtree": "1"}, {"within": gid("Site", n.institute.id)}),
        (f"/feeds/sites/{n.station.id}.ics", {}, {"site": gid("Site", n.station.id)}),
        (f"/feeds/sites/{n.centre.id}.ics", {"subtree": "1", "kind": "LECTURE"},
         {"within": gid("Site", n.centre.id), "kind": ["LECTURE"]}),
        (f"/feeds/sites/{n.centre.id}.ics", {"subtree": "1", "platform": n.culture.code},
         {"within": gid("Site", n.centre.id), "platform": [gid("Platform", n.culture.id)]}),
        (f"/feeds/teams/{n.weekly.team_id}.ics", {}, {"team": gid("Team", n.weekly.team_id)}),
        (f"/feeds/lecturers/{n.lecturer.id}.ics", {}, {"lecturer": gid("Lecturer", n.lecturer.id)}),
        (f"/feeds/platforms/{n.theory.code}.ics", {}, {"platform": [gid("Platform", n.theory.id)]}),
        (f"/feeds/platforms/{n.culture.code}.ics", {"kind": "ACTIVITY"},
         {"platform": [gid("Platform", n.culture.id)], "kind": ["ACTIVITY"]}),
        (f"/feeds/campaigns/{n.weekly.campaign_id}.ics", {}, {"campaign": gid("Campaign", n.weekly.campaign_id)}),
    ]


async def assert_one_truth(client, gql, path: str, query: dict, args: dict, window: dict) -> int:
    response = await client.get(path, params={**query, **window})
    assert response.status_code == 200, response.text
    start, end = window_of(response)
    expected = await graphql_instances(gql, start, end, **args)
    by_icalendar = expand_icalendar(response.content, start, end)
    by_vobject = expand_vobject(response.content, start, end)
    assert by_icalendar == expected, f"{path} {query} {window}: icalendar expansion differs from GraphQL"
    assert by_vobject == expected, f"{path} {query} {window}: vobject expansion differs from GraphQL"
    return len(expected)


# Windows over the March 2026 network: the whole month; one that starts after the weekly
# series began and ends between the moved occurrence's original time (28th 09:30) and its
# new time (29th 14:30); one that holds the new time but not the original; one that cuts the
# all-day event in half.
MARCH_WINDOWS = [
    {"from": "2026-03-01", "to": "2026-04-01"},
    {"from": "2026-03-15", "to": "2026-03-29"},
    {"from": "2026-03-29", "to": "2026-04-05"},
    {"from": "2026-03-05T12:00:00+08:00", "to": "2026-03-10T15:00:00+08:00"},
    {"from": "2026-03-28T10:00:00+08:00", "to": "2026-03-29T15:00:00+08:00"},
]


@pytest.mark.parametrize("window", MARCH_WINDOWS, ids=lambda w: f"{w['from']}..{w['to']}")
async def test_feeds_expand_to_exactly_the_graphql_occurrences(db, client, gql, window):
    n = await build()
    seen = 0
    for path, query, args in scopes(n):
        seen += await assert_one_truth(client, gql, path, query, args, window)
    assert seen > 0  # the windows are not all empty


async def test_default_window_edges_match_graphql(db, client, gql):
    """No from/to: 90 days back, 365 ahead, with series and moves across both edges."""
    n = await build()
    await around_today(n)
    counts = []
    for path, query, args in scopes(n):
        counts.append(await assert_one_truth(client, gql, path, query, args, {}))
    assert max(counts) > 60  # the weekly series is mostly inside the default window


async def test_the_widest_feed_window_is_one_graphql_window(db, client, gql):
    """366 days back to 366 ahead: the feed and GraphQL's ``occurrences`` both take it whole
    (one window limit in the domain), and agree."""
    n = await build()
    await around_today(n)
    widest = {"days_back": "366", "days_ahead": "366"}
    start, end = window_of(await client.get(f"/feeds/sites/{n.centre.id}.ics", params=widest))
    assert end - start == timedelta(days=733)
    counts = [
        await assert_one_truth(client, gql, path, {**query, **widest}, args, {}) for path, query, args in scopes(n)[:4]
    ]
    assert max(counts) > 70  # the weekly series: about 80 weeks, most of them inside


async def test_narrow_windows_around_moves_match_graphql(db, client, gql):
    """Explicit windows around today's edge cases, including windows that hold only a moved
    occurrence's original time or only its new time."""
    n = await build()
    await around_today(n)
    midnight = day_start(clock.local_date(clock.now()))
    window_start = midnight - timedelta(days=90)
    windows = [
        (window_start - timedelta(days=3), window_start + timedelta(days=1)),  # original time only
        (window_start + timedelta(days=1), window_start + timedelta(days=4)),  # new time only
        (midnight - timedelta(days=2), midnight + timedelta(days=40)),
        (midnight + timedelta(days=355), midnight + timedelta(days=366)),
    ]
    for start, end in windows:
        window = {"from": start.isoformat(), "to": end.isoformat()}
        for path, query, args in scopes(n):
            await assert_one_truth(client, gql, path, query, args, window)


async def test_one_event_feed_matches_graphql(db, client, gql):
    n = await build()
    ids = await around_today(n)
    response = await client.get(f"/feeds/events/{ids['weekly']}.ics")
    assert response.status_code == 200
    start, end = window_of(response)
    everything = await graphql_instances(gql, start, end, site=gid("Site", n.station.id))
    # The station has other events too; the weekly series is the one with 1-hour evening slots.
    instances = expand_icalendar(response.content, start, end)
    assert instances == expand_vobject(response.content, start, end)
    assert set(instances) <= set(everything)
    assert len(instances) > 60
    assert {i[0].astimezone(SHANGHAI).minute for i in instances} <= {30, 0}
    uids = {value(line) for vevent in vevents(response.content) for line in vevent["UID"]}
    assert uids == {f"event-{ids['weekly']}@wenming.example.org"}


async def test_march_series_expands_as_published(db, client):
    """The hand-checked weekly series: Mar 7, (14 removed), 21 cancelled, 28 moved to 29 14:30."""
    n = await build()
    response = await client.get(f"/feeds/sites/{n.station.id}.ics", params={"from": "2026-03-01", "to": "2026-04-01"})
    start, end = window_of(response)
    expected = [
        (at(2026, 3, 7, 9, 30), at(2026, 3, 7, 11), False),
        (at(2026, 3, 21, 9, 30), at(2026, 3, 21, 11), True),
        (at(2026, 3, 29, 14, 30), at(2026, 3, 29, 16), False),
    ]
    assert expand_icalendar(response.content, start, end) == expected
    assert expand_vobject(response.content, start, end) == expected
