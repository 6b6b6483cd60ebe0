"""Events that recur every year on a lunar date or a solar term (issue 15): materialised as
dated occurrences (GraphQL's occurrences), sent in the feed as RDATEs that both parsers
(icalendar with recurring-ical-events, and vobject) read; dates checked against tyme4py;
impossible dates and two rules refused with nothing written."""

from __future__ import annotations

import base64
import json
import re
from datetime import date
from pathlib import Path

from tyme4py.lunar import LunarDay
from tyme4py.solar import SolarTerm

from api.models.events import Event, Occurrence
from tests.auth_support import make_callers, mutate
from tests.network import at, build, gid
from tests.test_feeds_support import expand_icalendar, expand_vobject, graphql_instances, value, vevents

ERRORS = "errors { field message code }"
EVENT = "event { id version rrule solarTerm lunarRecurrence { month day leap name } calendarRdates }"
CREATE = f"mutation($input: CreateEventInput!) {{ createEvent(input: $input) {{ {EVENT} {ERRORS} }} }}"
CANCEL = f"mutation($input: CancelOccurrenceInput!) {{ cancelOccurrence(input: $input) {{ {ERRORS} }} }}"
TWO_YEARS = (at(2026, 1, 1), at(2027, 12, 31))


def _pk(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


def _solar(lunar_year: int, month: int, day: int) -> date:
    d = LunarDay.from_ymd(lunar_year, month, day).get_solar_day()
    return date(d.get_year(), d.get_month(), d.get_day())


async def _create(client, token, net, **fields) -> dict:
    return await mutate(client, token, CREATE, input={
        "kind": "ACTIVITY", "title": "元宵灯谜会", "platformId": gid("Platform", net.culture.id),
        "siteId": gid("Site", net.station2.id), "publish": True, **fields})  # nothing else on there


async def test_a_lantern_festival_event_recurs_on_every_zhengyue_fifteenth(db, client, gql):
    net = await build()
    callers = await make_callers(net)
    created = await _create(client, callers.editor, net, startsAt="2026-03-03T19:00:00+08:00",
                            endsAt="2026-03-03T21:00:00+08:00", lunarRecurrence={"month": 1, "day": 15})
    assert created["errors"] == []
    event = created["event"]
    assert event["rrule"] is None and event["lunarRecurrence"] == {"month": 1, "day": 15, "leap": False, "name": "正月十五"}
    lantern = [_solar(year, 1, 15) for year in (2026, 2027, 2028)]
    assert lantern == [date(2026, 3, 3), date(2027, 2, 20), date(2028, 2, 9)]  # tyme4py
    # After the first, each date up to the horizon (730 days) is an RDATE.
    assert [r[:10] for r in event["calendarRdates"]][:2] == ["2027-02-20", "2028-02-09"]

    found = await graphql_instances(gql, *TWO_YEARS, site=gid("Site", net.station2.id))
    expected = [(at(d.year, d.month, d.day, 19), at(d.year, d.month, d.day, 21), False) for d in lantern[:2]]
    assert found == expected
    pk = _pk(event["id"])
    feed = await client.get(f"/feeds/events/{pk}.ics")
    assert expand_icalendar(feed.content, *TWO_YEARS) == expand_vobject(feed.content, *TWO_YEARS) == expected
    (master,) = vevents(feed.content)
    assert "RRULE" not in master
    assert value(master["RDATE"][0]).split(",")[:2] == ["20270220T190000", "20280209T190000"]

    # One year's lantern riddles cancelled: a RECURRENCE-ID both parsers apply.
    occurrence = gid("Occurrence", f"{pk}@{int(at(2027, 2, 20, 19).timestamp())}")
    cancelled = await mutate(client, callers.editor, CANCEL, input={"occurrenceId": occurrence, "version": event["version"]})
    assert cancelled["errors"] == []
    feed = await client.get(f"/feeds/events/{pk}.ics")
    for read in (expand_icalendar, expand_vobject):
        assert [i[2] for i in read(feed.content, *TWO_YEARS)] == [False, True]


async def test_qingming_as_an_all_day_solar_term_event(db, client, gql):
    net = await build()
    callers = await make_callers(net)
    created = await _create(client, callers.editor, net, title="清明文明祭扫志愿服务", allDay=True,
                            startsAt="2026-04-05T00:00:00+08:00", endsAt="2026-04-06T00:00:00+08:00", solarTerm="清明")
    assert created["errors"] == [] and created["event"]["solarTerm"] == "清明"
    terms = []
    for year in (2026, 2027):
        d = SolarTerm.from_name(year, "清明").get_julian_day().get_solar_day()
        terms.append(date(d.get_year(), d.get_month(), d.get_day()))
    expected = [(at(d.year, d.month, d.day), at(d.year, d.month, d.day + 1), False) for d in terms]
    assert await graphql_instances(gql, *TWO_YEARS, site=gid("Site", net.station2.id)) == expected
    feed = await client.get(f"/feeds/events/{_pk(created['event']['id'])}.ics")
    assert expand_icalendar(feed.content, *TWO_YEARS) == expand_vobject(feed.content, *TWO_YEARS) == expected
    (master,) = vevents(feed.content)
    assert master["RDATE"][0].startswith("RDATE;VALUE=DATE:20270405")


async def test_day_thirty_falls_on_the_last_day_of_a_short_month(db, client):
    net = await build()
    callers = await make_callers(net)
    created = await _create(client, callers.editor, net, title="除夕守岁", startsAt="2026-02-16T20:00:00+08:00",
                            endsAt="2026-02-16T22:00:00+08:00", lunarRecurrence={"month": 12, "day": 30})
    assert created["errors"] == []
    starts = [o.starts_at for o in await Occurrence.filter(event_id=_pk(created["event"]["id"])).order_by("starts_at")]
    # 腊月 of 2025 and 2026 have 29 days: 除夕 (the eve) is their 廿九, as the campaign templates say.
    assert [s.date() for s in starts][:3] == [date(2026, 2, 16), date(2027, 2, 5), date(2028, 1, 25)]


async def test_impossible_or_conflicting_rules_are_refused_and_nothing_is_written(db, client):
    net = await build()
    callers = await make_callers(net)
    before = await Event.all().count()
    times = {"startsAt": "2026-03-04T19:00:00+08:00", "endsAt": "2026-03-04T21:00:00+08:00"}
    cases = [
        ({"lunarRecurrence": {"month": 1, "day": 15}}, "START_NOT_IN_RULE", "2027-02-20"),  # 3 March was 正月十五
        ({"lunarRecurrence": {"month": 13, "day": 1}}, "OUT_OF_RANGE", "1-12"),
        ({"lunarRecurrence": {"month": 1, "day": 31}}, "OUT_OF_RANGE", "1-30"),
        ({"solarTerm": "春节"}, "NOT_A_SOLAR_TERM", "清明"),
        ({"solarTerm": "清明", "rrule": "FREQ=YEARLY"}, "TWO_RULES", "rrule"),
        ({"solarTerm": "清明", "lunarRecurrence": {"month": 1, "day": 15}}, "TWO_RULES", "not both"),
    ]
    for fields, code, said in cases:
        refused = await _create(client, callers.editor, net, **times, **fields)
        assert refused["event"] is None and refused["errors"][0]["code"] == code, (fields, refused)
        assert said in refused["errors"][0]["message"], refused
    assert await Event.all().count() == before


async def test_the_example_in_calendar_md_gives_its_answer(db, client):
    net = await build()
    callers = await make_callers(net)
    text = (Path(__file__).parent.parent / "docs" / "calendar.md").read_text(encoding="utf-8")
    section = text[text.index("## Yearly lunar events"):text.index("## The festival calendar")]
    query, variables, answer = re.findall(r"```(?:json)?\n(.*?)```", section, re.S)[:3]
    variables = json.loads(variables)
    assert variables["input"]["siteId"] == gid("Site", net.station2.id)
    response = await client.post("/graphql", json={"query": query, "variables": variables},
                                 headers={"Authorization": f"Bearer {callers.editor}"})
    assert response.json() == json.loads(answer)


async def test_the_horizon_job_materialises_yearly_events_too(db, client):
    from api.domain.occurrences import extend_horizon

    net = await build()
    callers = await make_callers(net)
    created = await _create(client, callers.editor, net, startsAt="2026-03-03T19:00:00+08:00",
                            endsAt="2026-03-03T21:00:00+08:00", lunarRecurrence={"month": 1, "day": 15})
    pk = _pk(created["event"]["id"])
    made = await Occurrence.filter(event_id=pk).count()
    assert made >= 2
    await Occurrence.filter(event_id=pk).delete()  # as if the rows had never been written
    await Event.filter(id=pk).update(materialised_until=None)  # (nor recorded as written)
    await extend_horizon()
    assert await Occurrence.filter(event_id=pk).count() == made
