"""What a VEVENT says, and which VEVENTs an event's feed holds (issue 10):

- an event's own feed covers the whole event, whatever the default window;
- a series split in two (THIS_AND_FOLLOWING, again and again) stays one feed: the old event's
  feed and the new one's hold every part, linked with RELATED-TO;RELTYPE=SIBLING;
- a change to a row the VEVENT shows (a site renamed) moves its SEQUENCE, LAST-MODIFIED and
  DTSTAMP without a new version of the event, and SEQUENCE never goes down.

Feeds are read with two parsers (icalendar + recurring-ical-events, and vobject)."""

from __future__ import annotations

import base64
from datetime import timedelta

from api.domain import writes
from api.domain.clock import now
from tests.auth_support import make_callers, mutate
from tests.network import at, build, gid
from tests.test_feeds_support import expand_icalendar, expand_vobject, value, vevents

HOST = "wenming.example.org"
UPDATE = """mutation($input: UpdateEventInput!) { updateEvent(input: $input) {
  event { id version title feed { https } } errors { field message code } } }"""
RENAME = """mutation($input: UpdateSiteInput!) { updateSite(input: $input) { site { name version } errors { code } } }"""
MARCH = (at(2026, 3, 1), at(2026, 5, 1))


def _pk(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


def _occurrence(event_id: int, start) -> str:
    return gid("Occurrence", f"{event_id}@{int(start.timestamp())}")


def _read(body: bytes) -> list:
    instances = expand_icalendar(body, *MARCH)
    assert instances == expand_vobject(body, *MARCH)
    return instances


def _by_uid(body: bytes) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for v in vevents(body):
        out.setdefault(value(v["UID"][0]), []).append(v)
    return out


def _siblings(component: dict) -> set[str]:
    lines = component.get("RELATED-TO", [])
    assert all(line.startswith("RELATED-TO;RELTYPE=SIBLING:") for line in lines), lines
    return {value(line) for line in lines}


async def test_an_events_feed_holds_it_long_after_the_default_window(client):
    net = await build()  # the fair was on 10 March 2026, more than 90 days ago
    response = await client.get(f"/feeds/events/{net.fair.id}.ics")
    assert response.status_code == 200 and response.headers["x-feed-components"] == "1"
    assert _read(response.content) == [(at(2026, 3, 10, 14), at(2026, 3, 10, 17), False)]
    weekly = await client.get(f"/feeds/events/{net.weekly.id}.ics")
    assert len(_read(weekly.content)) == 3  # 7 March, 21 March (cancelled), 29 March (moved)


async def test_a_split_series_stays_one_feed_linked_with_related_to(client):
    net = await build()
    callers = await make_callers(net)
    old = net.weekly.id
    first_split = await mutate(client, callers.editor, UPDATE, input={
        "id": gid("Event", old), "version": net.weekly.version, "scope": "THIS_AND_FOLLOWING",
        "occurrenceId": _occurrence(old, at(2026, 3, 21, 9, 30)), "title": "新时代文明微宣讲"})
    assert first_split["errors"] == []
    middle = _pk(first_split["event"]["id"])
    second_split = await mutate(client, callers.editor, UPDATE, input={
        "id": first_split["event"]["id"], "version": first_split["event"]["version"], "scope": "THIS_AND_FOLLOWING",
        "occurrenceId": _occurrence(middle, at(2026, 3, 28, 9, 30)), "title": "理论宣讲进村",
        "startsAt": "2026-03-28T19:00:00+08:00", "endsAt": "2026-03-28T20:30:00+08:00"})
    assert second_split["errors"] == []
    last = _pk(second_split["event"]["id"])

    expected = [
        (at(2026, 3, 7, 9, 30), at(2026, 3, 7, 11), False),  # the first part (14 March left out)
        (at(2026, 3, 21, 9, 30), at(2026, 3, 21, 11), False),  # the middle part
        (at(2026, 3, 28, 19), at(2026, 3, 28, 20, 30), False),  # the last part, in the evening
    ]
    uids = {pk: f"event-{pk}@{HOST}" for pk in (old, middle, last)}
    for pk in (old, middle, last):  # every part's feed is the whole series
        response = await client.get(f"/feeds/events/{pk}.ics")
        assert response.status_code == 200
        assert _read(response.content) == expected
        parts = _by_uid(response.content)
        assert set(parts) == set(uids.values())
        for part, uid in uids.items():
            for component in parts[uid]:
                assert _siblings(component) == set(uids.values()) - {uid}
    # Event.feed of each part is its own link, and (above) each covers the whole series.
    assert first_split["event"]["feed"]["https"].endswith(f"/feeds/events/{middle}.ics")


async def test_renaming_a_site_moves_sequence_and_last_modified_never_back(client, monkeypatch):
    net = await build()
    callers = await make_callers(net)
    url = f"/feeds/sites/{net.station.id}.ics"
    uid = f"event-{net.weekly.id}@{HOST}"

    def master(body: bytes) -> dict:
        (component,) = [c for c in _by_uid(body)[uid] if "RECURRENCE-ID" not in c]
        return {name: value(component[name][0]) for name in ("SEQUENCE", "LAST-MODIFIED", "DTSTAMP", "LOCATION")}

    before = master((await client.get(url, params={"from": "2026-03-01", "to": "2026-05-01"})).content)
    later = now() + timedelta(seconds=10)
    monkeypatch.setattr(writes, "now", lambda: later)  # the rename is saved ten seconds later
    renamed = await mutate(client, callers.admin, RENAME, input={
        "id": gid("Site", net.station.id), "version": net.station.version, "name": "洛阳村文明实践站"})
    assert renamed["errors"] == []
    monkeypatch.undo()
    after = master((await client.get(url, params={"from": "2026-03-01", "to": "2026-05-01"})).content)
    assert "洛阳村文明实践站" in after["LOCATION"] and after["LOCATION"] != before["LOCATION"]
    assert int(after["SEQUENCE"]) >= int(before["SEQUENCE"]) + 10
    assert after["LAST-MODIFIED"] == after["DTSTAMP"] > before["LAST-MODIFIED"]

    # The event's own edit that stops showing a row (its venue): SEQUENCE still grows.
    event = await mutate(client, callers.editor, UPDATE, input={
        "id": gid("Event", net.weekly.id), "version": 3, "venueId": None})
    assert event["errors"] == []
    last = master((await client.get(url, params={"from": "2026-03-01", "to": "2026-05-01"})).content)
    assert "道德讲堂" not in last["LOCATION"]
    assert int(last["SEQUENCE"]) > int(after["SEQUENCE"]) and last["LAST-MODIFIED"] >= after["LAST-MODIFIED"]
