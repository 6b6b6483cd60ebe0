"""Series that follow China's calendar (issue 15): skipHolidays and onMakeUpWorkdays.

"Every working day" (FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR with both flags) over late September to
mid October 2026 loses the National Day week's weekdays and gains the make-up Saturday, in
GraphQL's occurrences and in the event's feed read by two parsers (icalendar with
recurring-ical-events, and vobject), as EXDATE and RDATE. An ADMIN's correction of the holiday
table re-materialises the series in the same transaction: the occurrence leaves GraphQL and
the feed, SEQUENCE rises and a live subscriber hears it. A provisional year skips the festival
days the table has by rule and adds no make-up day."""

from __future__ import annotations

import base64
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.china_calendar import holidays as table
from api.domain.clock import SHANGHAI
from api.live.occurrences import CHANNEL
from api.models.china_calendar import DayKind, HolidayDay
from api.models.events import Event, Occurrence
from tests.auth_support import make_callers, mutate
from tests.live_support import GraphQLSocket, listening, serving
from tests.network import at, build, gid
from tests.test_feeds_support import expand_icalendar, expand_vobject, graphql_instances, value, vevents

ERRORS = "errors { field message code }"
EVENT = "event { id version skipHolidays onMakeUpWorkdays calendarExdates calendarRdates }"
CREATE = f"mutation($input: CreateEventInput!) {{ createEvent(input: $input) {{ {EVENT} {ERRORS} }} }}"
UPDATE = f"mutation($input: UpdateEventInput!) {{ updateEvent(input: $input) {{ {EVENT} {ERRORS} }} }}"
CORRECT = f"""mutation($input: CorrectHolidayDayInput!) {{ correctHolidayDay(input: $input) {{
  day {{ date workday holidayName }} {ERRORS} }} }}"""
REVERT = f"""mutation($input: RevertHolidayDayInput!) {{ revertHolidayDay(input: $input) {{ day {{ date }} {ERRORS} }} }}"""
WORKDAYS = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20261016T235959Z"
WINDOW = (at(2026, 9, 21), at(2026, 10, 19))
NATIONAL_DAY_WEEKDAYS = [date(2026, 10, d) for d in (1, 2, 5, 6, 7)]  # 3-4 October is a weekend
MAKEUP_SATURDAY = date(2026, 10, 10)  # 调休上班 for 国庆节 (20 September is before the series)


@pytest.fixture
async def synced(db):
    await table.sync(range(2025, 2029))


def _weekdays(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1) if (first + timedelta(days=i)).weekday() < 5]


def _pk(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


async def _series(client, token: str, net, **flags) -> dict:
    created = await mutate(client, token, CREATE, input={
        "kind": "ACTIVITY", "title": "每个工作日：便民理发", "platformId": gid("Platform", net.culture.id),
        "siteId": gid("Site", net.station.id), "startsAt": "2026-09-28T09:00:00+08:00",
        "endsAt": "2026-09-28T10:00:00+08:00", "rrule": WORKDAYS, "publish": True, **flags})
    assert created["errors"] == [], created["errors"]
    return created["event"]


async def _days(gql, client, net, event_id: int) -> tuple[list[date], bytes]:
    """The series' days in GraphQL's occurrences (the station has nothing else in the window),
    asserted equal to what both parsers read in the event's feed."""
    found = await graphql_instances(gql, *WINDOW, site=gid("Site", net.station.id))
    feed = await client.get(f"/feeds/events/{event_id}.ics")
    assert feed.status_code == 200
    assert expand_icalendar(feed.content, *WINDOW) == expand_vobject(feed.content, *WINDOW) == found
    return [start.date() for start, _, _ in found], feed.content


async def _made(client, token, net, **flags) -> tuple[int, dict]:
    event = await _series(client, token, net, **flags)
    return _pk(event["id"]), event


async def _retire(event_id: int) -> None:
    """Out of the station's listing, so the next series is compared alone."""
    await Event.filter(id=event_id).update(deleted_at=at(2026, 9, 1))
    await Occurrence.filter(event_id=event_id).delete()


async def test_every_working_day_skips_national_day_week_and_runs_on_the_make_up_saturday(synced, client, gql):
    net = await build()
    callers = await make_callers(net)
    plain_id, plain = await _made(client, callers.editor, net)
    assert plain["skipHolidays"] is False and plain["calendarExdates"] == []
    plain_days, _ = await _days(gql, client, net, plain_id)
    assert plain_days == _weekdays(date(2026, 9, 28), date(2026, 10, 16))
    await _retire(plain_id)

    skipping_id, skipping = await _made(client, callers.editor, net, skipHolidays=True)
    assert skipping["calendarExdates"] == [f"{d.isoformat()}T09:00:00+08:00" for d in NATIONAL_DAY_WEEKDAYS]
    assert skipping["calendarRdates"] == []
    skipping_days, body = await _days(gql, client, net, skipping_id)
    assert skipping_days == [d for d in plain_days if d not in NATIONAL_DAY_WEEKDAYS]
    (master,) = vevents(body)
    assert len(master["EXDATE"]) == 1 and value(master["EXDATE"][0]).count(",") == 4
    assert "RDATE" not in master
    await _retire(skipping_id)

    china_id, china = await _made(client, callers.editor, net, skipHolidays=True, onMakeUpWorkdays=True)
    assert china["onMakeUpWorkdays"] is True and china["calendarRdates"] == ["2026-10-10T09:00:00+08:00"]
    china_days, body = await _days(gql, client, net, china_id)
    assert china_days == sorted([*skipping_days, MAKEUP_SATURDAY])
    (master,) = vevents(body)
    assert master["RDATE"] == ["RDATE;TZID=Asia/Shanghai:20261010T090000"]


async def test_the_flags_are_for_series_and_editable_and_a_refusal_writes_nothing(synced, client):
    net = await build()
    callers = await make_callers(net)
    before = await Event.all().count()
    single = await mutate(client, callers.editor, CREATE, input={
        "kind": "ACTIVITY", "title": "国庆游园", "platformId": gid("Platform", net.culture.id),
        "siteId": gid("Site", net.station.id), "startsAt": "2026-10-01T09:00:00+08:00",
        "endsAt": "2026-10-01T11:00:00+08:00", "skipHolidays": True})
    assert single["event"] is None and single["errors"][0]["code"] == "NOT_A_SERIES"
    assert single["errors"][0]["field"] == ["input", "skipHolidays"]
    assert await Event.all().count() == before
    pk, event = await _made(client, callers.editor, net)
    edited = await mutate(client, callers.editor, UPDATE, input={"id": event["id"], "version": event["version"],
                                                                 "skipHolidays": True})
    assert edited["errors"] == [] and edited["event"]["skipHolidays"] is True
    assert len(edited["event"]["calendarExdates"]) == 5
    starts = {o.starts_at.astimezone(SHANGHAI).date() for o in await Occurrence.filter(event_id=pk)}
    assert starts.isdisjoint(NATIONAL_DAY_WEEKDAYS)
    # A single occurrence added by a make-up day can be cancelled like any other.
    both = await mutate(client, callers.editor, UPDATE, input={"id": event["id"], "version": edited["event"]["version"],
                                                               "onMakeUpWorkdays": True})
    assert both["event"]["calendarRdates"] == ["2026-10-10T09:00:00+08:00"]
    cancel = """mutation($input: CancelOccurrenceInput!) { cancelOccurrence(input: $input) { errors { code } } }"""
    occurrence = gid("Occurrence", f"{pk}@{int(at(2026, 10, 10, 9).timestamp())}")
    done = await mutate(client, callers.editor, cancel, input={"occurrenceId": occurrence, "version": both["event"]["version"]})
    assert done["errors"] == []
    feed = await client.get(f"/feeds/events/{pk}.ics")
    cancelled = [i for i in expand_icalendar(feed.content, *WINDOW) if i[2]]
    assert cancelled == [(at(2026, 10, 10, 9), at(2026, 10, 10, 10), True)] == [
        i for i in expand_vobject(feed.content, *WINDOW) if i[2]]


def _sequence(body: bytes) -> int:
    (master,) = vevents(body)
    return int(value(master["SEQUENCE"][0]))


async def test_an_admin_correction_rematerialises_the_series_and_a_live_subscriber_hears_it(synced, settings):
    net = await build()
    callers = await make_callers(net)
    app = create_app(settings, manage_db=False)
    changes = """subscription($within: ID!) { occurrenceChanges(within: $within) { change occurrenceId } }"""
    async with serving(app) as served, GraphQLSocket.open(served.ws_url) as screen, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://worker") as client:
        pk, event = await _made(client, callers.editor, net, skipHolidays=True, onMakeUpWorkdays=True)
        before = await client.get(f"/feeds/events/{pk}.ics")
        await screen.subscribe(changes, within=gid("Site", net.station.id))
        await listening(app, CHANNEL)

        # 12 October 2026 (a Monday) made a day off, as an amended notice would.
        fixed = await mutate(client, callers.admin, CORRECT, input={
            "date": "2026-10-12", "kind": "HOLIDAY", "name": "国庆节", "note": "示例：补充通知"})
        assert fixed["errors"] == [] and fixed["day"]["workday"] is False
        gone = gid("Occurrence", f"{pk}@{int(at(2026, 10, 12, 9).timestamp())}")
        heard = (await screen.next())["data"]["occurrenceChanges"]
        assert heard == {"change": "DELETED", "occurrenceId": gone}

        row = await Event.get(id=pk)
        assert row.version == event["version"] + 1 and "2026-10-12T09:00:00+08:00" in row.calendar_exdates
        assert not await Occurrence.filter(event_id=pk, starts_at=at(2026, 10, 12, 9)).exists()
        after = await client.get(f"/feeds/events/{pk}.ics")
        assert after.headers["etag"] != before.headers["etag"]
        assert _sequence(after.content) > _sequence(before.content)
        for read in (expand_icalendar, expand_vobject):
            assert at(2026, 10, 12, 9) in [i[0] for i in read(before.content, *WINDOW)]
            assert at(2026, 10, 12, 9) not in [i[0] for i in read(after.content, *WINDOW)]

        # Reverting gives the occurrence back, and the subscriber hears that too.
        reverted = await mutate(client, callers.admin, REVERT, input={"date": "2026-10-12"})
        assert reverted["errors"] == []
        assert (await screen.next())["data"]["occurrenceChanges"] == {"change": "CREATED", "occurrenceId": gone}
        again = await client.get(f"/feeds/events/{pk}.ics")
        assert _sequence(again.content) > _sequence(after.content)
        assert at(2026, 10, 12, 9) in [i[0] for i in expand_vobject(again.content, *WINDOW)]


async def test_a_sync_that_changes_the_table_moves_the_series_with_it(synced, client):
    net = await build()
    callers = await make_callers(net)
    await HolidayDay.filter(day=MAKEUP_SATURDAY).delete()  # as an older package had it: no make-up Saturday yet
    pk, event = await _made(client, callers.editor, net, skipHolidays=True, onMakeUpWorkdays=True)
    assert event["calendarRdates"] == []
    changes: list = []
    await table.sync(range(2026, 2027), changes)  # the package now knows it
    row = await Event.get(id=pk)
    assert row.calendar_rdates == ["2026-10-10T09:00:00+08:00"] and row.version == event["version"] + 1
    assert [(c.change.value, c.starts_at) for c in changes] == [("CREATED", at(2026, 10, 10, 9))]
    assert await Occurrence.filter(event_id=pk, starts_at=at(2026, 10, 10, 9)).exists()
    await table.sync(range(2026, 2027), changes)  # nothing differs: nothing moves
    assert len(changes) == 1 and (await Event.get(id=pk)).version == row.version


async def test_a_provisional_year_skips_festival_days_by_rule_and_adds_no_make_up_day(synced, client, gql):
    year = next(y for y in range(2027, 2029) if not table.announced_in_library(y))
    net = await build()
    callers = await make_callers(net)
    first = next(date(year, 9, 27) + timedelta(days=i) for i in range(7) if (date(year, 9, 27) + timedelta(days=i)).weekday() == 0)
    created = await mutate(client, callers.editor, CREATE, input={
        "kind": "ACTIVITY", "title": "工作日志愿服务", "platformId": gid("Platform", net.culture.id),
        "siteId": gid("Site", net.station.id), "startsAt": f"{first}T09:00:00+08:00", "endsAt": f"{first}T10:00:00+08:00",
        "rrule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=15", "skipHolidays": True, "onMakeUpWorkdays": True,
        "publish": True})
    assert created["errors"] == []
    days_off = set(await HolidayDay.filter(day__gte=first, day__lte=first + timedelta(days=21), kind=DayKind.HOLIDAY)
                   .values_list("day", flat=True))
    assert date(year, 10, 1) in days_off  # 国庆节 by rule
    skipped = [datetime.fromisoformat(x).date() for x in created["event"]["calendarExdates"]]
    assert skipped and set(skipped) == {d for d in days_off if d.weekday() < 5 and d <= first + timedelta(days=20)}
    assert created["event"]["calendarRdates"] == []  # no make-up working day invented


async def test_the_example_in_calendar_md_gives_its_answer(synced, client):
    net = await build()
    callers = await make_callers(net)
    text = (Path(__file__).parent.parent / "docs" / "calendar.md").read_text(encoding="utf-8")
    section = text[text.index("## Series that follow the calendar"):text.index("## The festival calendar")]
    query, variables, answer = re.findall(r"```(?:json)?\n(.*?)```", section, re.S)[:3]
    variables = json.loads(variables)
    assert variables["input"]["platformId"] == gid("Platform", net.culture.id)  # the network's ids
    assert variables["input"]["siteId"] == gid("Site", net.station.id)
    response = await client.post("/graphql", json={"query": query, "variables": variables},
                                 headers={"Authorization": f"Bearer {callers.editor}"})
    assert response.json() == json.loads(answer)


async def test_a_cached_board_shows_a_correction_of_today_at_once(synced, settings, monkeypatch):
    """The trusted `board` document is cached per site; a correction of today's date changes
    its calendarDay and removes the series' occurrence from it on the next request."""
    from api.domain import clock
    from schema.http import GraphQLApp

    net = await build()
    callers = await make_callers(net)
    monkeypatch.setattr(clock, "now", lambda: at(2026, 10, 12, 8))
    app = create_app(settings, manage_db=False)
    graphql = next(r.endpoint for r in app.routes if isinstance(getattr(r, "endpoint", None), GraphQLApp))
    graphql.documents.watermark_ttl = 0  # read the watermark on every request, as a screen polling after 1 s would
    params = {"documentId": "board", "variables": json.dumps({"site": gid("Site", net.station.id)})}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kiosk") as client:
        await _made(client, callers.editor, net, skipHolidays=True, onMakeUpWorkdays=True)
        first = (await client.get("/graphql", params=params)).json()["data"]["board"]
        assert first["calendarDay"]["holidayName"] is None
        assert [o["startsAt"] for o in first["restOfToday"]] == ["2026-10-12T09:00:00+08:00"]
        assert (await client.get("/graphql", params=params)).json()["data"]["board"] == first  # from the cache
        fixed = await mutate(client, callers.admin, CORRECT, input={"date": "2026-10-12", "kind": "HOLIDAY", "name": "国庆节"})
        assert fixed["errors"] == []
        board = (await client.get("/graphql", params=params)).json()["data"]["board"]
        assert board["calendarDay"]["holidayName"] == "国庆节" and board["restOfToday"] == []
        # A correction of the table alone (no series moves): the header still follows.
        await mutate(client, callers.admin, CORRECT, input={"date": "2026-10-12", "kind": "HOLIDAY", "name": "测试假日"})
        board = (await client.get("/graphql", params=params)).json()["data"]["board"]
        assert board["calendarDay"]["holidayName"] == "测试假日"
