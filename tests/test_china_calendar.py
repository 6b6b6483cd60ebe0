"""China's calendar (issue 15): the holiday table against two holiday libraries, lunar dates
and solar terms against tyme4py, corrections by an ADMIN, and the holiday feed."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import holidays as holiday_library
import pytest
from icalendar import Calendar
from tyme4py.solar import SolarDay

from api.china_calendar import holidays as table
from api.china_calendar.lunar import year_almanac
from api.domain.clock import now
from api.models.audit import AuditEntry
from api.models.china_calendar import DayKind, DaySource, HolidayDay
from api.models.events import Campaign, CampaignKind
from tests.auth_support import make_callers, mutate, post
from tests.network import build

DAYS = """query($from: Date!, $to: Date!) { calendarDays(from: $from, to: $to) {
  date weekday workday holidayName makeupWorkday makeupFor holidayLabel corrected provisional
  lunarDate lunar { year month day leapMonth monthName dayName } solarTerm festivals campaigns { name } } }"""
ERRORS = "errors { field message code }"
CORRECT = f"""mutation($input: CorrectHolidayDayInput!) {{ correctHolidayDay(input: $input) {{
  day {{ date workday holidayName makeupWorkday makeupFor corrected }} {ERRORS} }} }}"""
REVERT = f"""mutation($input: RevertHolidayDayInput!) {{ revertHolidayDay(input: $input) {{
  day {{ date workday holidayName corrected }} {ERRORS} }} }}"""
ANNOUNCE = f"""mutation($input: AnnounceHolidayYearInput!) {{ announceHolidayYear(input: $input) {{
  year {{ year announced provisional announcedBy version }} {ERRORS} }} }}"""
# chinesecalendar names the holidays in English.
ENGLISH = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
           "Dragon Boat Festival": "端午节", "Mid-autumn Festival": "中秋节", "National Day": "国庆节"}
# The one place the two disagree on a name: chinesecalendar follows each notice's wording, and
# 2024's 端午 notice ("6月10日放假，与周末连休") leaves the weekend before it unnamed; the table
# names a weekend inside a holiday's run of days off after the holiday, as it does in 2026.
WEEKEND_NAMED_BY_THE_TABLE_ONLY = {date(2024, 6, 8), date(2024, 6, 9)}


async def days(gql, start: date, end: date) -> dict[date, dict]:
    data = await gql(DAYS, **{"from": start.isoformat(), "to": end.isoformat()})
    return {date.fromisoformat(d["date"]): d for d in data["calendarDays"]}


@pytest.fixture
async def synced(db):
    await table.sync(range(2019, 2029))


async def test_every_day_of_2020_to_2026_agrees_with_both_holiday_libraries(synced, gql):
    package = holiday_library.China(years=range(2020, 2027))
    checked = 0
    for year in range(2020, 2027):
        for day, d in (await days(gql, date(year, 1, 1), date(year, 12, 31))).items():
            assert d["workday"] == package.is_working_day(day) == chinese_calendar.is_workday(day), day
            on_holiday, english = chinese_calendar.get_holiday_detail(day)
            theirs = ENGLISH.get(english) if english else None
            ours = d["holidayName"] if not d["workday"] else d["makeupFor"]
            if day not in WEEKEND_NAMED_BY_THE_TABLE_ONLY:
                assert ours == theirs, (day, d, english)
            assert d["makeupWorkday"] == (d["workday"] and day.weekday() >= 5), day
            assert d["provisional"] is False
            checked += 1
    assert checked == 2557


async def test_known_lunar_dates_solar_terms_and_festivals(synced, gql):
    found = await days(gql, date(2026, 1, 1), date(2026, 12, 31))
    found |= await days(gql, date(2027, 2, 1), date(2027, 2, 10))
    assert found[date(2026, 2, 17)]["lunarDate"] == "正月初一" and "春节" in found[date(2026, 2, 17)]["festivals"]
    assert found[date(2027, 2, 6)]["lunarDate"] == "正月初一" and "春节" in found[date(2027, 2, 6)]["festivals"]
    assert found[date(2027, 2, 5)]["festivals"] == ["除夕"]
    assert found[date(2026, 9, 25)]["lunarDate"] == "八月十五" and found[date(2026, 9, 25)]["festivals"] == ["中秋节"]
    assert found[date(2026, 2, 10)]["lunarDate"] == "腊月廿三"  # 小年 in the north
    assert found[date(2026, 2, 16)]["lunar"] == {"year": "乙巳", "month": 12, "day": 29, "leapMonth": False,
                                                "monthName": "腊月", "dayName": "廿九"}
    assert found[date(2026, 4, 5)]["solarTerm"] == "清明" and "清明节" in found[date(2026, 4, 5)]["festivals"]
    assert found[date(2026, 3, 5)]["festivals"] == ["学雷锋日"]
    assert found[date(2026, 12, 5)]["festivals"] == ["国际志愿者日"]
    assert found[date(2026, 10, 1)]["holidayName"] == "国庆节" and found[date(2026, 10, 1)]["weekday"] == 4
    assert sum(1 for d in found.values() if d["solarTerm"] and d["date"].startswith("2026")) == 24
    leap = (await days(gql, date(2025, 7, 25), date(2025, 7, 25)))[date(2025, 7, 25)]
    assert leap["lunarDate"] == "闰六月初一" and leap["lunar"]["leapMonth"] is True


@pytest.mark.parametrize("year", [2026, 2057, 2097])
def test_the_year_computed_month_by_month_agrees_with_tyme4py_day_by_day(year):
    """The almanac is built from months' first days and lengths; tyme4py's own per-day answers
    (2057 and 2097 hold new moons near midnight, where table-based libraries go wrong)."""
    for day, almanac in year_almanac(year).items():
        solar = SolarDay.from_ymd(day.year, day.month, day.day)
        lunar = solar.get_lunar_day()
        assert (almanac.lunar.month, almanac.lunar.day, almanac.lunar.leap) == (
            abs(lunar.get_month()), lunar.get_day(), lunar.get_lunar_month().is_leap()), day
        term = solar.get_term_day()
        assert almanac.solar_term == (term.get_solar_term().get_name() if term.get_day_index() == 0 else None), day
        festival = lunar.get_festival()
        if festival is not None:
            assert festival.get_name() in almanac.festivals, day


async def test_a_year_not_announced_is_provisional_with_no_make_up_days(synced, gql):
    announced = [y for y in range(2019, 2029) if table.announced_in_library(y)]
    later = max(announced) + 1
    assert later <= 2028, "the holidays package announces years this test expects to be unannounced"
    found = await days(gql, date(later, 1, 1), date(later, 12, 31))
    assert all(d["provisional"] for d in found.values())
    assert not any(d["makeupWorkday"] for d in found.values())
    assert any(d["holidayName"] == "春节" for d in found.values())  # festival days by rule
    assert not any(d["provisional"] for d in (await days(gql, date(max(announced), 12, 1), date(max(announced), 12, 31))).values())
    # A year never synced is provisional too, and follows the weekday rule.
    far = await days(gql, date(2090, 10, 1), date(2090, 10, 1))
    assert far[date(2090, 10, 1)]["provisional"] is True and far[date(2090, 10, 1)]["holidayName"] is None


async def test_the_window_is_at_most_a_year_and_in_order(synced, gql):
    for start, end in (("2024-01-01", "2024-12-31"), ("2025-03-01", "2026-02-28")):
        assert len((await gql(DAYS, **{"from": start, "to": end}))["calendarDays"]) in (365, 366)
    for start, end in (("2026-01-01", "2027-01-02"), ("2026-05-02", "2026-05-01")):
        (error,) = await gql.errors(DAYS, **{"from": start, "to": end})
        assert error["extensions"]["code"] == "BAD_WINDOW" and "to" in error["message"]


async def test_campaigns_running_are_listed_on_their_days(synced, gql):
    await Campaign.create(kind=CampaignKind.FESTIVAL, name="学雷锋志愿服务月", starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 31))
    gone = await Campaign.create(kind=CampaignKind.FESTIVAL, name="删掉的", starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 5))
    await Campaign.filter(id=gone.id).update(deleted_at=now())
    found = await days(gql, date(2026, 2, 28), date(2026, 4, 1))
    assert found[date(2026, 2, 28)]["campaigns"] == [] and found[date(2026, 4, 1)]["campaigns"] == []
    assert found[date(2026, 3, 5)]["campaigns"] == [{"name": "学雷锋志愿服务月"}]


async def test_an_admin_corrects_the_table_a_sync_keeps_it_and_a_revert_undoes_it(synced, client, gql):
    net = await build()
    callers = await make_callers(net)
    # An extra day off (as when a notice is amended), audited.
    extra = {"date": "2026-10-09", "kind": "HOLIDAY", "name": "国庆节", "note": "示例：国办补充通知"}
    refused = await mutate(client, callers.editor, CORRECT, input=extra)
    assert refused["errors"][0]["code"] in ("FORBIDDEN", "OUT_OF_SCOPE") and refused["day"] is None
    anonymous = (await post(client, None, CORRECT, input=extra)).json()
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    done = await mutate(client, callers.admin, CORRECT, input=extra)
    assert done["errors"] == [] and done["day"] == {"date": "2026-10-09", "workday": False, "holidayName": "国庆节",
                                                    "makeupWorkday": False, "makeupFor": None, "corrected": True}
    entry = await AuditEntry.filter(object_type="HolidayDay").order_by("-id").first()
    assert entry.action == "CORRECT" and entry.after["kind"] == "HOLIDAY" and entry.site_path is None
    # The make-up Saturday becomes an ordinary weekend day; a sync keeps both corrections.
    ordinary = await mutate(client, callers.admin, CORRECT, input={"date": "2026-10-10", "kind": "ORDINARY"})
    assert ordinary["day"]["workday"] is False and ordinary["day"]["corrected"] is True
    await table.sync(range(2026, 2027))
    found = await days(gql, date(2026, 10, 9), date(2026, 10, 10))
    assert found[date(2026, 10, 9)]["holidayName"] == "国庆节" and found[date(2026, 10, 10)]["workday"] is False
    assert await HolidayDay.filter(source=DaySource.ADMIN).count() == 2
    # Reverting gives back the package's make-up working day.
    reverted = await mutate(client, callers.admin, REVERT, input={"date": "2026-10-10"})
    assert reverted["errors"] == [] and reverted["day"]["workday"] is True and reverted["day"]["corrected"] is False
    again = await mutate(client, callers.admin, REVERT, input={"date": "2026-10-10"})
    assert again["errors"][0]["code"] == "NOT_FOUND" and again["errors"][0]["field"] == ["input", "date"]


async def test_corrections_are_checked_and_change_nothing_when_refused(synced, client):
    net = await build()
    callers = await make_callers(net)
    before = await HolidayDay.filter(day=date(2026, 10, 1)).first()
    cases = [
        ({"date": "2026-10-01", "kind": "HOLIDAY"}, "name", "REQUIRED"),
        ({"date": "2026-10-01", "kind": "HOLIDAY", "name": "国" * 51}, "name", "TOO_LONG"),
        ({"date": "2026-10-01", "kind": "ORDINARY", "name": "国庆节"}, "name", "INVALID"),
        ({"date": "2026-10-01", "kind": "HOLIDAY", "name": "国庆节", "version": before.version + 5}, "version", "CONFLICT"),
        ({"date": "2101-01-01", "kind": "HOLIDAY", "name": "元旦"}, "date", "OUT_OF_RANGE"),
    ]
    for given, field, code in cases:
        result = await mutate(client, callers.admin, CORRECT, input=given)
        assert result["day"] is None and result["errors"][0]["code"] == code, (given, result)
        assert result["errors"][0]["field"] == ["input", field]
    after = await HolidayDay.get(day=date(2026, 10, 1))
    assert (after.kind, after.name, after.version, after.source) == (before.kind, before.name, before.version, before.source)
    assert not await AuditEntry.filter(object_type="HolidayDay").exists()


async def test_an_admin_announces_a_year(synced, client, gql):
    net = await build()
    callers = await make_callers(net)
    year = max(y for y in range(2019, 2029) if table.announced_in_library(y)) + 1
    result = await mutate(client, callers.admin, ANNOUNCE, input={"year": year, "announced": True})
    assert result["year"]["provisional"] is False and result["year"]["announcedBy"] == "ADMIN"
    assert not (await days(gql, date(year, 6, 1), date(year, 6, 1)))[date(year, 6, 1)]["provisional"]
    await table.sync(range(year, year + 1))  # the package still says unannounced: the ADMIN's word stays
    assert not (await days(gql, date(year, 6, 1), date(year, 6, 1)))[date(year, 6, 1)]["provisional"]
    stale = await mutate(client, callers.admin, ANNOUNCE, input={"year": year, "announced": False, "version": 1})
    assert stale["errors"][0]["code"] == "CONFLICT"
    entry = await AuditEntry.filter(object_type="HolidayYear").order_by("-id").first()
    assert entry.action == "ANNOUNCE" and entry.object_id == year


def _events(body: bytes) -> list:
    return list(Calendar.from_ical(body).walk("VEVENT"))


async def test_the_holiday_feed_has_each_holiday_as_one_all_day_event_and_answers_304(synced, client):
    net = await build()
    callers = await make_callers(net)
    year = now().year
    response = await client.get("/feeds/holidays.ics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    events = {(e.decoded("DTSTART"), str(e["SUMMARY"])): e for e in _events(response.content)}
    starts = [start for start, _ in events]
    assert all(type(s) is date for s in starts) and min(starts).year == year - 1 and max(starts).year <= year + 1
    package = holiday_library.China(years=[year], language="zh_CN")
    national = min(d for d, name in package.items() if "国庆节" in name)
    (event,) = [e for (start, summary), e in events.items() if start == national]
    assert str(event["SUMMARY"]).startswith("国庆节 放假") and event["TRANSP"] == "TRANSPARENT"
    last_day = event.decoded("DTEND") - timedelta(days=1)
    assert all(not package.is_working_day(national + timedelta(days=i)) for i in range((last_day - national).days + 1))
    assert package.is_working_day(last_day + timedelta(days=1))
    makeup = sorted(d for d in package.weekend_workdays if d.year == year)
    if makeup:
        assert any(start == makeup[0] and summary.startswith("调休上班") for start, summary in events)

    etag = response.headers["etag"]
    assert (await client.get("/feeds/holidays.ics", headers={"If-None-Match": etag})).status_code == 304
    gz = await client.get("/feeds/holidays.ics", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["content-encoding"] == "gzip" and gz.content == response.content
    # A correction inside the national holiday: a new ETag, the event's SEQUENCE moves.
    await mutate(client, callers.admin, CORRECT, input={"date": national.isoformat(), "kind": "HOLIDAY", "name": "国庆节", "note": "test"})
    changed = await client.get("/feeds/holidays.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    (after,) = [e for e in _events(changed.content) if e.decoded("DTSTART") == national]
    assert after["SEQUENCE"] > event["SEQUENCE"]


async def test_a_fresh_database_is_filled_once(db):
    assert await table.ensure_filled() is True
    assert await table.ensure_filled() is False
    assert await HolidayDay.filter(day=date(2026, 2, 17), kind=DayKind.HOLIDAY).exists()


async def test_two_workers_starting_on_a_fresh_database_fill_it_once_without_failing(db):
    # Both find the table empty; on PostgreSQL both insert at once and one meets the other's rows.
    results = await asyncio.gather(table.ensure_filled(), table.ensure_filled())
    assert sorted(results) == [False, True] or results == [True, True]
    days = await HolidayDay.filter(day__gte=date(2026, 1, 1), day__lte=date(2026, 12, 31)).values_list("day", flat=True)
    assert len(days) == len(set(days)) > 0


DOC_ROW = re.compile(r"^\| (\d{4}-\d\d-\d\d)[^|]*\|(.*)\|$", re.M)


async def test_the_table_in_calendar_md_is_what_calendar_days_answers(synced, gql):
    text = (Path(__file__).parent.parent / "docs" / "calendar.md").read_text(encoding="utf-8")
    rows = DOC_ROW.findall(text)
    assert len(rows) >= 5
    for day, cells in rows:
        workday, holiday, makeup, lunar, term, festivals = (c.strip() for c in cells.split("|"))
        makeup = makeup.split(" ")[0]
        d = (await days(gql, date.fromisoformat(day), date.fromisoformat(day)))[date.fromisoformat(day)]
        assert (str(d["workday"]).lower(), d["holidayName"] or "", str(d["makeupWorkday"]).lower(), d["lunarDate"],
                d["solarTerm"] or "", " ".join(d["festivals"])) == (workday, holiday, makeup, lunar, term, festivals), day


def test_wenming_holidays_sync_says_what_it_filled(tmp_path):
    from tests.test_cli import run

    url = f"sqlite://{tmp_path / 'wenming.sqlite3'}"
    done = run(["holidays", "sync", "--from", "2026", "--to", "2027"], tmp_path, WENMING_DATABASE_URL=url)
    assert done.returncode == 0, done.stderr
    assert "Holiday table synced for 2026-2027" in done.stderr and "announced: " in done.stderr
    refused = run(["holidays", "sync", "--from", "2027", "--to", "2026"], tmp_path, WENMING_DATABASE_URL=url)
    assert refused.returncode == 2 and "--to (2026) is before --from (2027)" in refused.stderr
    outside = run(["holidays", "sync", "--from", "1900", "--to", "1901"], tmp_path, WENMING_DATABASE_URL=url)
    assert outside.returncode == 2 and "between 1950 and 2100" in outside.stderr and "Traceback" not in outside.stderr


# The festival calendar: campaign templates (step 2) ------------------------------------------

TEMPLATES = """query($year: Int!) { campaignTemplates(year: $year) {
  key festival rule day name kind startsOn endsOn description adopted { id name } } }"""
ADOPT = """mutation($input: AdoptCampaignTemplatesInput!) { adoptCampaignTemplates(input: $input) {
  campaigns { id name startsOn endsOn kind } created errors { field message code } } }"""


async def test_campaign_templates_put_each_festival_on_its_day(db, gql):
    found = {t["key"]: t for t in (await gql(TEMPLATES, year=2026))["campaignTemplates"]}
    assert {k: found[k]["day"] for k in found} == {
        "NEW_YEAR": "2026-01-01", "EVE": "2026-02-16", "SPRING": "2026-02-17", "LANTERN": "2026-03-03",
        "LEIFENG": "2026-03-05", "QINGMING": "2026-04-05", "DRAGON_BOAT": "2026-06-19", "QIXI": "2026-08-19",
        "MID_AUTUMN": "2026-09-25", "NATIONAL_DAY": "2026-10-01", "DOUBLE_NINTH": "2026-10-18",
        "VOLUNTEER_DAY": "2026-12-05",
    }
    spring = found["SPRING"]
    assert spring["festival"] == "春节" and spring["rule"] == "农历正月初一" and spring["kind"] == "FESTIVAL"
    assert spring["startsOn"] <= spring["day"] <= spring["endsOn"] and spring["adopted"] is None
    later = {t["key"]: t["day"] for t in (await gql(TEMPLATES, year=2027))["campaignTemplates"]}
    assert (later["SPRING"], later["EVE"], later["MID_AUTUMN"]) == ("2027-02-06", "2027-02-05", "2027-09-15")
    (error,) = await gql.errors(TEMPLATES, year=1800)
    assert error["extensions"]["code"] == "OUT_OF_RANGE"


def test_lunar_templates_agree_with_tyme4py_festivals_2020_to_2040():
    from tyme4py.festival import LunarFestival

    from api.china_calendar.templates import campaign_templates

    names = {"SPRING": "春节", "LANTERN": "元宵节", "QINGMING": "清明节", "DRAGON_BOAT": "端午节", "QIXI": "七夕节",
             "MID_AUTUMN": "中秋节", "DOUBLE_NINTH": "重阳节", "EVE": "除夕"}
    for year in range(2020, 2041):
        ours = {t.key: t.day for t in campaign_templates(year)}
        theirs = {}
        for lunar_year in (year - 1, year):
            for i in range(len(LunarFestival.NAMES)):
                f = LunarFestival.from_index(lunar_year, i)
                s = f.get_day().get_solar_day()
                if s.get_year() == year:
                    theirs[f.get_name()] = date(year, s.get_month(), s.get_day())
        assert {k: ours[k] for k in names} == {k: theirs[n] for k, n in names.items()}, year


async def test_adopting_templates_makes_campaigns_once_and_is_audited(db, client, gql):
    net = await build()
    callers = await make_callers(net)
    existing = await Campaign.all().count()  # the test network's own
    refused = await mutate(client, callers.editor, ADOPT, input={"year": 2026, "keys": ["SPRING"]})
    assert refused["errors"][0]["code"] == "OUT_OF_SCOPE" and refused["campaigns"] is None
    unknown = await mutate(client, callers.admin, ADOPT, input={"year": 2026, "keys": ["SPRING", "HALLOWEEN"]})
    assert unknown["errors"][0]["code"] == "NOT_FOUND" and "HALLOWEEN" in unknown["errors"][0]["message"]
    assert await Campaign.all().count() == existing
    first = await mutate(client, callers.admin, ADOPT, input={"year": 2026, "keys": ["SPRING", "LEIFENG"]})
    assert first["errors"] == [] and first["created"] == 2
    assert [c["name"] for c in first["campaigns"]] == ["2026年“我们的节日·春节”", "2026年“学雷锋志愿服务月”"]
    again = await mutate(client, callers.admin, ADOPT, input={"year": 2026})
    assert again["created"] == 10 and len(again["campaigns"]) == 12
    assert {c["id"] for c in first["campaigns"]} <= {c["id"] for c in again["campaigns"]}
    assert await Campaign.all().count() == existing + 12
    assert await AuditEntry.filter(object_type="Campaign", action="CREATE").count() == 12
    found = {t["key"]: t for t in (await gql(TEMPLATES, year=2026))["campaignTemplates"]}
    assert found["SPRING"]["adopted"]["id"] == first["campaigns"][0]["id"]
    # The calendar lists the adopted campaign on its days.
    day = (await days(gql, date(2026, 3, 5), date(2026, 3, 5)))[date(2026, 3, 5)]
    assert "2026年“学雷锋志愿服务月”" in [c["name"] for c in day["campaigns"]]


def test_the_demo_takes_its_festivals_from_the_templates():
    from api.china_calendar.templates import campaign_templates
    from api.demo.campaigns import festivals

    assert festivals(2031) == campaign_templates(2031)


async def test_the_template_table_in_calendar_md_is_what_the_rules_give():
    from api.china_calendar.templates import campaign_templates

    text = (Path(__file__).parent.parent / "docs" / "calendar.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| ([A-Z_]+) \| (\S+) \| (\S+) \| (\d\d-\d\d) \| (\d\d-\d\d) \| ([^|(]+?) (?:\(.*\) )?\|$", text, re.M)
    assert len(rows) == 12
    by_year = {y: {t.key: t for t in campaign_templates(y)} for y in (2026, 2027)}
    for key, festival, rule, day_2026, day_2027, span in rows:
        t = by_year[2026][key]
        assert (t.festival, t.rule, t.day.strftime("%m-%d"), by_year[2027][key].day.strftime("%m-%d")) == (
            festival, rule, day_2026, day_2027), key
        assert {campaign_span(by_year[y][key]) for y in (2026, 2027)} == {span}, key


def campaign_span(template) -> str:
    """The campaign's days as the page's table words them ("4 days before to 2 after")."""
    before, after = (template.day - template.starts_on).days, (template.ends_on - template.day).days
    if template.starts_on.day == 1 and (template.ends_on + timedelta(days=1)).day == 1:
        return template.starts_on.strftime("%B")  # the whole month
    if (before, after) == (0, 0):
        return "the day"
    if after == 0:
        return "the week before" if before == 7 else f"{before} days before"
    return f"{before} days before to {after} after"


async def test_a_kiosk_board_carries_todays_lunar_date_and_festivals(synced, client, gql):
    from api.china_calendar.lunar import almanac_day
    from api.domain.clock import local_date
    from tests.network import gid

    net = await build()
    data = await gql("""query($site: ID!) { board(site: $site) { today calendarDay {
      date lunarDate festivals holidayName workday provisional } } }""", site=gid("Site", net.centre.id))
    today = local_date(now())
    day = data["board"]["calendarDay"]
    assert day["date"] == data["board"]["today"] == today.isoformat()
    assert day["lunarDate"] == almanac_day(today).lunar.text and day["festivals"] == list(almanac_day(today).festivals)


async def test_the_kiosk_header_shows_the_lunar_date_and_todays_festival(db, settings, tmp_path):
    """docs/examples/kiosk.html in headless Chromium: 农历 and today's festivals under the date."""
    from urllib.parse import urlencode

    from api.app import create_app
    from api.china_calendar.lunar import almanac_day
    from api.domain.clock import local_date
    from tests.browser_support import browser, chromium_or_skip
    from tests.live_support import free_socket, serving
    from tests.network import gid
    from tests.test_kiosk import static_site

    chromium_or_skip()
    net = await build()
    await table.sync(range(2025, 2028))
    today = almanac_day(local_date(now()))
    page_socket = free_socket()
    page_origin = f"http://127.0.0.1:{page_socket.getsockname()[1]}"
    api_app = create_app(settings.model_copy(update={"allowed_origins": [page_origin]}), manage_db=False)
    async with serving(static_site(), page_socket) as pages, serving(api_app) as api:
        async with browser(tmp_path / "profile") as page:
            query = urlencode({"api": api.url, "site": gid("Site", net.station2.id), "poll": 600})
            await page.goto(f"{pages.url}/kiosk.html?{query}", width=1920, height=1080)
            await page.shows("#day-lines", f"农历{today.lunar.text}", *today.festivals)
