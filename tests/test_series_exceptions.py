"""A series' exceptions follow it (issue 10): when updateEvent (scope ALL) changes a series'
time or rule, its EXDATEs and single-occurrence changes move with it, or the payload names the
ones that were removed. Checked in GraphQL and in the event's feed, read by two iCal parsers.

The series (tests/network.py): Saturdays 09:30-11:00 from 7 March 2026, COUNT=4; 14 March left
out (EXDATE), 21 March cancelled, 28 March moved to 29 March 14:30-16:00."""

from __future__ import annotations

from datetime import datetime

from api.domain.events import create_event
from api.models.events import Event, EventKind, EventStatus
from tests.auth_support import make_callers, mutate
from tests.network import at, build, gid
from tests.test_feeds_support import expand_icalendar, expand_vobject, value, vevents

UPDATE = """mutation($input: UpdateEventInput!) { updateEvent(input: $input) {
  event { id version exdates } errors { field message code } droppedExceptions { kind originalStart } } }"""
SERIES = """query { occurrences(from: "2026-03-01T00:00:00+08:00", to: "2026-06-01T00:00:00+08:00", first: 100) {
  edges { node { startsAt status event { id } } } } }"""
MARCH = (at(2026, 3, 1), at(2026, 5, 1))


async def _occurrences(gql, event_id: int) -> list[tuple[str, str]]:
    edges = (await gql(SERIES))["occurrences"]["edges"]
    return [(e["node"]["startsAt"], e["node"]["status"]) for e in edges if e["node"]["event"]["id"] == gid("Event", event_id)]


async def _feed(client, event_id: int) -> list[tuple[datetime, datetime, bool]]:
    response = await client.get(f"/feeds/events/{event_id}.ics", params={"from": "2026-03-01", "to": "2026-05-01"})
    assert response.status_code == 200
    instances = expand_icalendar(response.content, *MARCH)
    assert instances == expand_vobject(response.content, *MARCH)
    return instances


async def test_moving_a_series_to_the_afternoon_moves_its_exceptions(client, gql):
    net = await build()
    callers = await make_callers(net)
    moved = await mutate(client, callers.editor, UPDATE, input={
        "id": gid("Event", net.weekly.id), "version": net.weekly.version,
        "startsAt": "2026-03-07T14:30:00+08:00", "endsAt": "2026-03-07T16:00:00+08:00"})
    assert moved["errors"] == [] and moved["droppedExceptions"] == []
    assert moved["event"]["exdates"] == ["2026-03-14T14:30:00+08:00"]
    # 14 March stays out, 21 March stays cancelled, 28 March stays moved to the 29th.
    assert await _occurrences(gql, net.weekly.id) == [
        ("2026-03-07T14:30:00+08:00", "SCHEDULED"),
        ("2026-03-21T14:30:00+08:00", "CANCELLED"),
        ("2026-03-29T14:30:00+08:00", "SCHEDULED"),
    ]
    assert await _feed(client, net.weekly.id) == [
        (at(2026, 3, 7, 14, 30), at(2026, 3, 7, 16), False),
        (at(2026, 3, 21, 14, 30), at(2026, 3, 21, 16), True),
        (at(2026, 3, 29, 14, 30), at(2026, 3, 29, 16), False),
    ]
    body = (await client.get(f"/feeds/events/{net.weekly.id}.ics", params={"from": "2026-03-01", "to": "2026-05-01"})).content
    lines = [line for v in vevents(body) for name in ("EXDATE", "RECURRENCE-ID") for line in v.get(name, [])]
    assert sorted(value(line) for line in lines) == ["20260314T143000", "20260321T143000", "20260328T143000"]


async def test_a_rule_that_no_longer_gives_a_day_drops_its_exceptions_and_says_so(client, gql):
    net = await build()
    callers = await make_callers(net)
    # The rule docs/editing.md shows on the demo ("Editing a series"): fortnightly, in the afternoon.
    fortnightly = await mutate(client, callers.editor, UPDATE, input={
        "id": gid("Event", net.weekly.id), "version": net.weekly.version, "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA;COUNT=2",
        "startsAt": "2026-03-07T14:30:00+08:00", "endsAt": "2026-03-07T16:00:00+08:00"})
    assert fortnightly["errors"] == [] and fortnightly["event"]["version"] == net.weekly.version + 1 == 4
    # Every other Saturday: 7 and 21 March. 14 March (left out) and 28 March (moved) are gone.
    assert fortnightly["droppedExceptions"] == [
        {"kind": "EXCLUDED", "originalStart": "2026-03-14T09:30:00+08:00"},
        {"kind": "CHANGED", "originalStart": "2026-03-28T09:30:00+08:00"},
    ]
    assert fortnightly["event"]["exdates"] == []
    assert await _occurrences(gql, net.weekly.id) == [
        ("2026-03-07T14:30:00+08:00", "SCHEDULED"),
        ("2026-03-21T14:30:00+08:00", "CANCELLED"),
    ]
    assert await _feed(client, net.weekly.id) == [
        (at(2026, 3, 7, 14, 30), at(2026, 3, 7, 16), False),
        (at(2026, 3, 21, 14, 30), at(2026, 3, 21, 16), True),
    ]


async def test_a_day_later_moves_every_exception_a_day(client, gql):
    net = await build()
    callers = await make_callers(net)
    sundays = await mutate(client, callers.editor, UPDATE, input={
        "id": gid("Event", net.weekly.id), "version": net.weekly.version, "rrule": "FREQ=WEEKLY;BYDAY=SU;COUNT=4",
        "startsAt": "2026-03-08T09:30:00+08:00", "endsAt": "2026-03-08T11:00:00+08:00"})
    assert sundays["errors"] == [] and sundays["droppedExceptions"] == []
    assert sundays["event"]["exdates"] == ["2026-03-15T09:30:00+08:00"]
    # The moved occurrence keeps the time its editor gave it (29 March 14:30).
    assert await _occurrences(gql, net.weekly.id) == [
        ("2026-03-08T09:30:00+08:00", "SCHEDULED"),
        ("2026-03-22T09:30:00+08:00", "CANCELLED"),
        ("2026-03-29T14:30:00+08:00", "SCHEDULED"),
    ]


async def test_exdates_given_with_the_edit_are_taken_as_given(client, gql):
    net = await build()
    callers = await make_callers(net)
    edited = await mutate(client, callers.editor, UPDATE, input={
        "id": gid("Event", net.weekly.id), "version": net.weekly.version, "exdates": ["2026-03-07T14:30:00+08:00"],
        "startsAt": "2026-03-07T14:30:00+08:00", "endsAt": "2026-03-07T16:00:00+08:00"})
    assert edited["errors"] == [] and edited["droppedExceptions"] == []
    assert (await Event.get(id=net.weekly.id)).exdates == ["2026-03-07T14:30:00+08:00"]
    starts = [s for s, _ in await _occurrences(gql, net.weekly.id)]
    assert starts == ["2026-03-14T14:30:00+08:00", "2026-03-21T14:30:00+08:00", "2026-03-29T14:30:00+08:00"]


async def test_a_split_at_a_new_time_moves_the_tails_exdates(client, gql):
    net = await build()
    callers = await make_callers(net)
    spring = await create_event(
        kind=EventKind.ACTIVITY, title="春季读书会", platform_id=net.culture.id, site_id=net.station.id,
        starts_at=at(2026, 4, 4, 9, 30), ends_at=at(2026, 4, 4, 11), rrule="FREQ=WEEKLY;COUNT=6",
        exdates=["2026-04-11T09:30:00+08:00", "2026-04-25T09:30:00+08:00"], status=EventStatus.PUBLISHED,
    )
    split = await mutate(client, callers.editor, UPDATE, input={
        "id": gid("Event", spring.id), "version": spring.version, "scope": "THIS_AND_FOLLOWING",
        "occurrenceId": gid("Occurrence", f"{spring.id}@{int(at(2026, 4, 18, 9, 30).timestamp())}"),
        "startsAt": "2026-04-18T19:00:00+08:00", "endsAt": "2026-04-18T20:30:00+08:00"})
    assert split["errors"] == [] and split["droppedExceptions"] == []
    assert split["event"]["exdates"] == ["2026-04-25T19:00:00+08:00"]  # the tail's, at the new time
    assert (await Event.get(id=spring.id)).exdates == ["2026-04-11T09:30:00+08:00"]
    successor = (await Event.filter(title="春季读书会").order_by("-id").first()).id
    assert split["event"]["id"] == gid("Event", successor)
    assert await _occurrences(gql, successor) == [
        ("2026-04-18T19:00:00+08:00", "SCHEDULED"),
        ("2026-05-02T19:00:00+08:00", "SCHEDULED"),
        ("2026-05-09T19:00:00+08:00", "SCHEDULED"),
    ]
