"""iCal feeds: what calendar apps and portals see (headers, calendar and event properties,
scopes and filters, bad parameters, caching and conditional requests)."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import quote, urlsplit

import icalendar
import pytest
from tortoise import connections

from api.domain import occurrences
from api.domain.events import change_occurrence, create_event
from api.feeds import service as feed_service
from api.domain.feed_urls import feed_links
from api.models.events import EventKind, EventStatus
from api.models.people import Person
from tests.conftest import count_sql
from tests.network import at, build
from tests.test_feeds_support import gid, unfold, value, vevents, window_of

MARCH = {"from": "2026-03-01", "to": "2026-04-01"}
HOST = "wenming.example.org"


def titles(body: bytes) -> set[str]:
    return {value(line) for v in vevents(body) for line in v["SUMMARY"]}


def by_uid(body: bytes, uid: str) -> list[dict]:
    return [v for v in vevents(body) if value(v["UID"][0]) == uid]


def service_of(client):
    for route in client._transport.app.routes:
        if hasattr(route, "feed_service"):
            return route.feed_service
    raise AssertionError("no feed routes mounted")


# -- the calendar as a whole -------------------------------------------------------------


async def test_calendar_headers_and_properties(db, client):
    n = await build()
    response = await client.get(f"/feeds/sites/{n.centre.id}.ics", params={"subtree": "1", **MARCH})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["cache-control"].startswith("public, max-age=")
    assert response.headers["etag"].startswith('"')
    assert parsedate_to_datetime(response.headers["last-modified"]).tzinfo is not None
    body = response.content
    # CRLF only, lines of at most 75 octets, folds never split a Chinese character.
    assert b"\n" not in body.replace(b"\r\n", b"")
    physical = body.split(b"\r\n")
    assert physical[-1] == b""
    assert max(len(line) for line in physical) <= 75
    for line in physical:
        line.decode("utf-8")  # each folded line is whole UTF-8 on its own
    assert any(len(line.decode()) < len(line) and len(line) > 70 for line in physical)  # Chinese text was folded
    lines = unfold(body)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    for expected in (
        "VERSION:2.0",
        "NAME:洛江区新时代文明实践中心（含下属阵地）",
        "X-WR-CALNAME:洛江区新时代文明实践中心（含下属阵地）",
        "X-WR-TIMEZONE:Asia/Shanghai",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ):
        assert expected in lines, expected
    assert any(line.startswith("PRODID:-//Wenming//") for line in lines)
    # One VTIMEZONE defines Asia/Shanghai as +08:00, and no time in the feed is floating.
    assert lines.count("BEGIN:VTIMEZONE") == 1 and "TZID:Asia/Shanghai" in lines
    assert "TZOFFSETTO:+0800" in lines and "TZOFFSETTO:+0900" not in lines
    for line in lines:
        if re.match(r"^(DTSTART|DTEND|EXDATE|RECURRENCE-ID)[;:]", line) and not line.startswith("DTSTART:2000"):
            assert ";TZID=Asia/Shanghai:" in line or ";VALUE=DATE:" in line, line
    calendar = icalendar.Calendar.from_ical(body)
    assert calendar.calendar_name == "洛江区新时代文明实践中心（含下属阵地）"
    assert calendar.get_missing_tzids() == set()


async def test_every_event_carries_what_clients_need(db, client):
    n = await build()
    n.station.latitude, n.station.longitude, n.station.address = 24.95, 118.62, "洛阳村中街1号"
    await n.station.save()
    response = await client.get(f"/feeds/sites/{n.station.id}.ics", params=MARCH)
    (master,) = [v for v in by_uid(response.content, f"event-{n.weekly.id}@{HOST}") if "RECURRENCE-ID" not in v]
    for name in ("DTSTAMP", "SEQUENCE", "LAST-MODIFIED", "LOCATION", "GEO", "DESCRIPTION", "CATEGORIES", "URL", "STATUS"):
        assert master[name], name
    # The version, plus the seconds from the event's creation to the last change it shows (docs/feeds.md)
    assert int(value(master["SEQUENCE"][0])) >= n.weekly.version
    location = value(master["LOCATION"][0])
    assert "洛阳村新时代文明实践站" in location and "道德讲堂" in location and "洛阳村中街1号" in location
    assert value(master["GEO"][0]) == "24.95;118.62"
    description = value(master["DESCRIPTION"][0])
    assert "陈宣讲" in description and "新时代宣讲员" in description and "洛地有声宣讲队" in description
    assert value(master["CATEGORIES"][0]) == "理论宣讲"
    assert value(master["URL"][0]) == f"https://{HOST}/feeds/events/{n.weekly.id}.ics"
    # The contact person's phone and name never reach a feed.
    assert "13900000002" not in response.text and "13700000003" not in response.text


async def test_uid_is_stable_across_feeds_and_edits(db, client):
    n = await build()
    uid = f"event-{n.weekly.id}@{HOST}"
    site = await client.get(f"/feeds/sites/{n.station.id}.ics", params=MARCH)
    team = await client.get(f"/feeds/teams/{n.weekly.team_id}.ics", params=MARCH)
    assert by_uid(site.content, uid) and by_uid(team.content, uid)
    await change_occurrence(n.weekly, at(2026, 3, 7, 9, 30), title="改了标题")
    again = await client.get(f"/feeds/sites/{n.station.id}.ics", params=MARCH)
    assert len(by_uid(again.content, uid)) == len(by_uid(site.content, uid)) + 1  # one more override, same UID


# -- series, overrides, all-day, drafts ----------------------------------------------------


async def test_series_rrule_exdate_and_overrides(db, client):
    n = await build()
    response = await client.get(f"/feeds/sites/{n.station.id}.ics", params=MARCH)
    components = by_uid(response.content, f"event-{n.weekly.id}@{HOST}")
    (master,) = [c for c in components if "RECURRENCE-ID" not in c]
    assert master["DTSTART"] == ["DTSTART;TZID=Asia/Shanghai:20260307T093000"]
    assert master["DTEND"] == ["DTEND;TZID=Asia/Shanghai:20260307T110000"]
    assert [value(r) for r in master["RRULE"]] == ["FREQ=WEEKLY;COUNT=4;BYDAY=SA"]
    assert master["EXDATE"] == ["EXDATE;TZID=Asia/Shanghai:20260314T093000"]  # in DTSTART's form
    overrides = {c["RECURRENCE-ID"][0]: c for c in components if "RECURRENCE-ID" in c}
    cancelled = overrides["RECURRENCE-ID;TZID=Asia/Shanghai:20260321T093000"]
    assert value(cancelled["STATUS"][0]) == "CANCELLED"
    assert value(cancelled["SUMMARY"][0]).startswith("【已取消】")
    moved = overrides["RECURRENCE-ID;TZID=Asia/Shanghai:20260328T093000"]
    assert moved["DTSTART"] == ["DTSTART;TZID=Asia/Shanghai:20260329T143000"]
    assert moved["DTEND"] == ["DTEND;TZID=Asia/Shanghai:20260329T160000"]
    assert value(moved["STATUS"][0]) == "CONFIRMED"
    assert len(overrides) == 2


async def test_all_day_event_is_a_date_with_exclusive_end(db, client):
    n = await build()
    response = await client.get(f"/feeds/sites/{n.centre.id}.ics", params=MARCH)
    (holiday,) = by_uid(response.content, f"event-{n.holiday.id}@{HOST}")
    assert holiday["DTSTART"] == ["DTSTART;VALUE=DATE:20260305"]
    assert holiday["DTEND"] == ["DTEND;VALUE=DATE:20260306"]  # the day after: exclusive


async def test_cancelled_series_is_cancelled_everywhere(db, client):
    n = await build()
    lecture = await create_event(
        kind=EventKind.LECTURE, title="取消的系列宣讲", platform_id=n.theory.id, site_id=n.station2.id,
        starts_at=at(2026, 3, 2, 19), ends_at=at(2026, 3, 2, 20), rrule="FREQ=WEEKLY;COUNT=3",
        status=EventStatus.CANCELLED,
    )
    await change_occurrence(lecture, at(2026, 3, 9, 19), starts_at=at(2026, 3, 10, 19), ends_at=at(2026, 3, 10, 20))
    response = await client.get(f"/feeds/sites/{n.station2.id}.ics", params=MARCH)
    components = by_uid(response.content, f"event-{lecture.id}@{HOST}")
    assert len(components) == 2
    for component in components:
        assert value(component["STATUS"][0]) == "CANCELLED"
        assert value(component["SUMMARY"][0]) == "【已取消】取消的系列宣讲"


async def test_drafts_never_appear(db, client):
    n = await build()
    for path, query in [
        (f"/feeds/sites/{n.station.id}.ics", {}),
        (f"/feeds/sites/{n.centre.id}.ics", {"subtree": "1"}),
        (f"/feeds/platforms/{n.culture.code}.ics", {}),
    ]:
        response = await client.get(path, params={**query, **MARCH})
        assert "草稿活动" not in response.text
        assert f"event-{n.draft.id}@" not in response.text
    response = await client.get(f"/feeds/events/{n.draft.id}.ics")
    assert response.status_code == 404


# -- scopes and filters --------------------------------------------------------------------


async def test_subtree_or_just_the_site(db, client):
    n = await build()

    async def seen(site, **query):
        response = await client.get(f"/feeds/sites/{site.id}.ics", params={**query, **MARCH})
        assert response.status_code == 200
        return titles(response.content)

    weekly, fair, holiday, elsewhere = "党的二十大精神微宣讲", "科普集市", "学雷锋志愿服务日", "海上船声筒宣讲"
    assert await seen(n.centre) == {holiday}
    assert {weekly, fair, holiday} <= await seen(n.centre, subtree="1")
    assert elsewhere not in await seen(n.centre, subtree="1")
    assert await seen(n.institute) == {fair}
    assert weekly in await seen(n.institute, subtree="true") and holiday not in await seen(n.institute, subtree="1")
    assert weekly in await seen(n.station) and fair not in await seen(n.station)
    assert await seen(n.other_centre, subtree="1") == {elsewhere}


async def test_kind_and_platform_filters(db, client):
    n = await build()
    url = f"/feeds/sites/{n.centre.id}.ics"

    async def seen(**query):
        response = await client.get(url, params={"subtree": "1", **query, **MARCH})
        assert response.status_code == 200, response.text
        return titles(response.content), response

    lectures, response = await seen(kind="LECTURE")
    assert lectures == {"党的二十大精神微宣讲", "【已取消】党的二十大精神微宣讲"}
    assert "NAME:洛江区新时代文明实践中心（含下属阵地） · 宣讲" in unfold(response.content)
    activities, _ = await seen(kind="activity")
    assert activities == {"科普集市", "学雷锋志愿服务日"}
    culture, response = await seen(platform=n.culture.code)
    assert culture == activities
    assert any(line.startswith("NAME:") and "文化服务" in line for line in unfold(response.content))
    both, _ = await seen(platform=f"{n.culture.code},{n.theory.code}")
    repeated = await client.get(url, params=[("subtree", "1"), ("platform", n.culture.code), ("platform", n.theory.code),
                                             *MARCH.items()])
    assert both == titles(repeated.content) == lectures | activities
    theory_activities, _ = await seen(platform=n.theory.code, kind="ACTIVITY")
    assert theory_activities == set()


async def test_team_lecturer_platform_campaign_and_event_feeds(db, client):
    n = await build()

    async def seen(path):
        response = await client.get(path, params=MARCH)
        assert response.status_code == 200, response.text
        return titles(response.content), unfold(response.content)

    team_titles, lines = await seen(f"/feeds/teams/{n.weekly.team_id}.ics")
    assert "NAME:洛地有声宣讲队" in lines and "党的二十大精神微宣讲" in team_titles and "科普集市" not in team_titles
    lecturer_titles, lines = await seen(f"/feeds/lecturers/{n.lecturer.id}.ics")
    assert "党的二十大精神微宣讲" in lecturer_titles and "科普集市" not in lecturer_titles
    assert any(line.startswith("NAME:陈宣讲") for line in lines)
    platform_titles, lines = await seen(f"/feeds/platforms/{n.theory.code}.ics")
    assert "NAME:理论宣讲" in lines and {"党的二十大精神微宣讲", "海上船声筒宣讲"} <= platform_titles
    campaign_titles, lines = await seen(f"/feeds/campaigns/{n.weekly.campaign_id}.ics")
    assert "NAME:学雷锋日" in lines and campaign_titles >= {"党的二十大精神微宣讲", "学雷锋志愿服务日"}
    assert "科普集市" not in campaign_titles
    event_titles, lines = await seen(f"/feeds/events/{n.fair.id}.ics")
    assert event_titles == {"科普集市"} and "NAME:科普集市" in lines
    # A GraphQL global id works in place of the numeric id.
    by_gid = await client.get(f"/feeds/sites/{gid('Site', n.station.id)}.ics", params=MARCH)
    by_pk = await client.get(f"/feeds/sites/{n.station.id}.ics", params=MARCH)
    assert by_gid.status_code == 200 and by_gid.content == by_pk.content


async def test_feed_links_point_at_working_feeds(db, client, settings):
    n = await build()
    links = feed_links("site", n.centre.id, settings=settings, subtree=True)
    assert links.https == f"https://{HOST}/feeds/sites/{n.centre.id}.ics?subtree=1"
    assert links.webcal == f"webcal://{HOST}/feeds/sites/{n.centre.id}.ics?subtree=1"
    assert links.google == "https://calendar.google.com/calendar/r?cid=" + quote(links.webcal, safe="")
    platform = feed_links("platform", n.culture.code, settings=settings, kind="ACTIVITY")
    assert platform.https == f"https://{HOST}/feeds/platforms/{n.culture.code}.ics?kind=ACTIVITY"
    for link in (links, platform, feed_links("lecturer", n.lecturer.id, settings=settings)):
        parts = urlsplit(link.https)
        response = await client.get(parts.path + ("?" + parts.query if parts.query else ""))
        assert response.status_code == 200, link.https
    with pytest.raises(ValueError, match="scope"):
        feed_links("volunteer", 1, settings=settings)


# -- bad requests --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query", "status", "parameter"),
    [
        ("/feeds/sites/999999.ics", {}, 404, "site"),
        ("/feeds/sites/abc.ics", {}, 404, "site"),
        ("/feeds/sites/99999999999999999999.ics", {}, 404, "site"),
        ("/feeds/teams/999999.ics", {}, 404, "team"),
        ("/feeds/lecturers/999999.ics", {}, 404, "lecturer"),
        ("/feeds/platforms/NO_SUCH.ics", {}, 404, "platform"),
        ("/feeds/campaigns/999999.ics", {}, 404, "campaign"),
        ("/feeds/events/999999.ics", {}, 404, "event"),
        ("SITE", {"from": "2026-02-30"}, 400, "from"),
        ("SITE", {"from": "yesterday"}, 400, "from"),
        ("SITE", {"to": "2026-13-01T00:00:00+08:00"}, 400, "to"),
        ("SITE", {"from": "2026-04-01", "to": "2026-03-01"}, 400, "to"),
        ("SITE", {"from": "2024-01-01", "to": "2026-06-01"}, 400, "to"),
        ("SITE", {"days_back": "-1"}, 400, "days_back"),
        ("SITE", {"days_back": "400"}, 400, "days_back"),
        ("SITE", {"days_ahead": "abc"}, 400, "days_ahead"),
        ("SITE", {"days_ahead": "10000"}, 400, "days_ahead"),
        ("SITE", {"kind": "CONCERT"}, 400, "kind"),
        ("SITE", {"platform": "NO_SUCH"}, 400, "platform"),
        ("SITE", {"platform": "THEORY,NO_SUCH"}, 400, "platform"),
        ("SITE", {"subtree": "maybe"}, 400, "subtree"),
    ],
)
async def test_bad_requests_get_a_clear_4xx(db, client, path, query, status, parameter):
    n = await build()
    path = f"/feeds/sites/{n.centre.id}.ics" if path == "SITE" else path
    response = await client.get(path, params=query)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["parameter"] == parameter
    assert error["message"]
    if status == 404:
        assert "does not exist" in error["message"]


async def test_a_lecturer_feed_exists_only_for_public_lecturers(db, client):
    await build()
    volunteer = await Person.get(name="李志愿")
    response = await client.get(f"/feeds/lecturers/{volunteer.id}.ics")
    assert response.status_code == 404
    assert "李志愿" not in response.text


async def test_wrong_type_of_global_id_is_unknown(db, client):
    n = await build()
    response = await client.get(f"/feeds/sites/{gid('Team', n.station.id)}.ics")
    assert response.status_code == 404


async def test_too_large_a_feed_says_how_to_narrow_it(db, client, monkeypatch):
    n = await build()
    monkeypatch.setattr(feed_service, "MAX_FEED_COMPONENTS", 3)
    response = await client.get(f"/feeds/sites/{n.centre.id}.ics", params={"subtree": "1", **MARCH})
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "window" in message and "kind" in message and "platform" in message
    narrowed = await client.get(f"/feeds/sites/{n.centre.id}.ics", params={"subtree": "1", "kind": "ACTIVITY", **MARCH})
    assert narrowed.status_code == 200


async def test_default_window_and_its_bounds(db, client):
    n = await build()
    response = await client.get(f"/feeds/sites/{n.centre.id}.ics")
    assert response.status_code == 200
    start, end = window_of(response)
    assert end - start == timedelta(days=90 + 365 + 1)
    assert start.hour == 0 and start.utcoffset() == timedelta(hours=8)
    widest = await client.get(f"/feeds/sites/{n.centre.id}.ics", params={"days_back": "366", "days_ahead": "366"})
    assert widest.status_code == 200
    # A '+' that arrived as a space in the offset is still understood.
    spaced = await client.get(f"/feeds/sites/{n.centre.id}.ics?from=2026-03-01T00:00:00 08:00&to=2026-04-01")
    assert spaced.status_code == 200 and spaced.headers["x-feed-window"].startswith("2026-03-01T00:00:00+08:00")


# -- caching, conditional requests, edits --------------------------------------------------


async def test_an_edit_shows_new_sequence_and_etag_and_unchanged_answers_304(db, client):
    n = await build()
    url = f"/feeds/sites/{n.station.id}.ics"
    uid = f"event-{n.weekly.id}@{HOST}"
    first = await client.get(url, params=MARCH)
    etag = first.headers["etag"]
    sequence = {value(c["SEQUENCE"][0]) for c in by_uid(first.content, uid)}
    assert len(sequence) == 1 and int(next(iter(sequence))) >= n.weekly.version
    unchanged = await client.get(url, params=MARCH, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == etag

    await change_occurrence(
        n.weekly, at(2026, 3, 7, 9, 30), starts_at=at(2026, 3, 7, 10), ends_at=at(2026, 3, 7, 11, 30)
    )
    changed = await client.get(url, params=MARCH, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    new_sequence = {value(c["SEQUENCE"][0]) for c in by_uid(changed.content, uid)}
    (old,), (new,) = sequence, new_sequence
    assert int(new) >= int(old) + 1  # one more version, and the change is later
    rid = ["RECURRENCE-ID;TZID=Asia/Shanghai:20260307T093000"]
    modified = [c for c in by_uid(changed.content, uid) if c.get("RECURRENCE-ID") == rid]
    assert modified and modified[0]["DTSTART"] == ["DTSTART;TZID=Asia/Shanghai:20260307T100000"]
    again = await client.get(url, params=MARCH, headers={"If-None-Match": changed.headers["etag"]})
    assert again.status_code == 304


async def test_if_modified_since(db, client):
    n = await build()
    url = f"/feeds/sites/{n.station.id}.ics"
    first = await client.get(url, params=MARCH)
    last_modified = first.headers["last-modified"]
    assert (await client.get(url, params=MARCH, headers={"If-Modified-Since": last_modified})).status_code == 304
    earlier = format_datetime(parsedate_to_datetime(last_modified) - timedelta(seconds=5), usegmt=True)
    assert (await client.get(url, params=MARCH, headers={"If-Modified-Since": earlier})).status_code == 200
    # An event leaving the feed changes it, though nothing left in it was touched.
    n.fair.site_id = n.station.id
    await n.fair.save()
    await occurrences.refresh([n.fair])
    moved_in = await client.get(url, params=MARCH, headers={"If-Modified-Since": last_modified})
    assert moved_in.status_code == 200 and "科普集市" in moved_in.text
    n.fair.status = EventStatus.DRAFT
    await n.fair.save()
    await occurrences.refresh([n.fair])
    gone = await client.get(url, params=MARCH, headers={"If-Modified-Since": moved_in.headers["last-modified"]})
    assert gone.status_code == 200 and "科普集市" not in gone.text
    assert gone.headers["etag"] == first.headers["etag"]  # the same calendar as at first, byte for byte
    # If-None-Match wins over If-Modified-Since.
    stale = await client.get(url, params=MARCH, headers={"If-None-Match": moved_in.headers["etag"],
                                                          "If-Modified-Since": gone.headers["last-modified"]})
    assert stale.status_code == 200


async def test_a_renamed_site_changes_location_and_etag(db, client):
    n = await build()
    url = f"/feeds/sites/{n.station.id}.ics"
    first = await client.get(url, params=MARCH)
    n.station.name = "洛阳村新时代文明实践站（新址）"
    await n.station.save()
    second = await client.get(url, params=MARCH, headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200
    assert "新址" in second.text


async def test_repeated_requests_reuse_rendered_events(db, client):
    n = await build()
    service = service_of(client)
    url = f"/feeds/sites/{n.centre.id}.ics"
    first = await client.get(url, params={"subtree": "1", **MARCH})
    rendered = service.renders
    assert rendered == 3  # the weekly series (with its overrides), the fair, the all-day event
    second = await client.get(url, params={"subtree": "1", **MARCH})
    assert second.content == first.content and service.renders == rendered
    # Another feed holding some of the same events renders only what it has not seen.
    await client.get(f"/feeds/sites/{n.other_centre.id}.ics", params={"subtree": "1", **MARCH})
    assert service.renders == rendered + 1
    await change_occurrence(n.weekly, at(2026, 3, 7, 9, 30), title="新标题")
    await client.get(url, params={"subtree": "1", **MARCH})
    assert service.renders == rendered + 2  # only the edited event


async def test_304_costs_a_fixed_number_of_queries_and_no_rendering(db, client):
    n = await build()
    url = f"/feeds/sites/{n.centre.id}.ics"
    query = {"subtree": "1", **MARCH}

    async def cost_of_304():
        etag = (await client.get(url, params=query)).headers["etag"]
        service = service_of(client)
        rendered = service.renders
        with count_sql() as statements:
            response = await client.get(url, params=query, headers={"If-None-Match": etag})
        assert response.status_code == 304
        assert service.renders == rendered
        return len(statements)

    small = await cost_of_304()
    for day in range(1, 29):
        await create_event(
            kind=EventKind.ACTIVITY, title=f"活动{day}", platform_id=n.culture.id, site_id=n.station2.id,
            starts_at=at(2026, 3, day, 9), ends_at=at(2026, 3, day, 10), status=EventStatus.PUBLISHED,
        )
    assert await cost_of_304() == small <= 6


async def test_an_unchanged_feed_is_validated_from_memory(db, client):
    """While nothing was written, a poll costs the scope lookup and one watermark query,
    whatever the feed's size; a write anywhere sends the next poll to the database."""
    n = await build()
    url = f"/feeds/sites/{n.centre.id}.ics"
    query = {"subtree": "1", **MARCH}
    etag = (await client.get(url, params=query)).headers["etag"]
    with count_sql() as statements:
        response = await client.get(url, params=query, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert len(statements) == 2, statements
    await change_occurrence(n.weekly, at(2026, 3, 7, 9, 30), title="改了")
    changed = await client.get(url, params=query, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "改了" in changed.text


async def test_no_cache_revalidates_what_the_watermark_missed(db, client, monkeypatch):
    """A write that moved no watermark (here a raw UPDATE that skipped updated_at) is seen
    by a client asking for revalidation at once, and by everyone after MEMO_MAX_AGE."""
    n = await build()
    url = f"/feeds/sites/{n.station.id}.ics"
    first = await client.get(url, params=MARCH)
    etag = first.headers["etag"]
    sequence = int(value(by_uid(first.content, f"event-{n.weekly.id}@{HOST}")[0]["SEQUENCE"][0]))
    bump = f"UPDATE event SET version = version + 5 WHERE id = {n.weekly.id}"
    await connections.get("default").execute_query(bump)
    remembered = await client.get(url, params=MARCH, headers={"If-None-Match": etag})
    assert remembered.status_code == 304
    fresh = await client.get(url, params=MARCH, headers={"If-None-Match": etag, "Cache-Control": "no-cache"})
    assert fresh.status_code == 200 and f"SEQUENCE:{sequence + 5}" in fresh.text

    await connections.get("default").execute_query(bump)
    assert (await client.get(url, params=MARCH, headers={"If-None-Match": fresh.headers["etag"]})).status_code == 304
    monkeypatch.setattr(feed_service, "MEMO_MAX_AGE", 0.0)
    aged = await client.get(url, params=MARCH, headers={"If-None-Match": fresh.headers["etag"]})
    assert aged.status_code == 200 and f"SEQUENCE:{sequence + 10}" in aged.text


async def test_concurrent_cold_requests_render_once(db, client):
    n = await build()
    service = service_of(client)
    url = f"/feeds/sites/{n.centre.id}.ics"
    first, second = await asyncio.gather(
        client.get(url, params={"subtree": "1", **MARCH}), client.get(url, params={"subtree": "1", **MARCH})
    )
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert service.renders == 3


async def test_head_and_unknown_parameters(db, client):
    n = await build()
    url = f"/feeds/sites/{n.station.id}.ics"
    get = await client.get(url, params=MARCH)
    head = await client.head(url, params=MARCH)
    assert head.status_code == 200 and head.headers["etag"] == get.headers["etag"]
    busted = await client.get(url, params={**MARCH, "_": "1732270000", "utm_source": "wechat"})
    assert busted.status_code == 200 and busted.headers["etag"] == get.headers["etag"]
    assert busted.content == get.content
