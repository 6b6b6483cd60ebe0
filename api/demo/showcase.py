"""The showcase: one month of the demo on fixed dates, whatever day the demo is loaded.

The demo's programme moves with the day it is loaded (three months back, nine ahead), so a
query for a given date answers differently from one day to the next. The docs' examples need
answers that hold: they ask about March 2026, the 学雷锋 month (3月5日 is 学雷锋纪念日) in
鲤城区 (the first centre), and these few events are what they find there. The programme's
window starts three months before the load day, so from July 2026 on it never reaches March
2026: the month holds the showcase alone. Everything is found by its place in the network
(the first centre, its first institute, that institute's first station, the first lecturer),
which is the same on every load (the network does not depend on the day). The volunteers'
daily duty (api/demo/duty.py) is the exception: it runs at the time of day of the load.
"""

from __future__ import annotations

from datetime import date, datetime, time

from api.demo.duty import create_volunteer_duty
from api.domain.clock import SHANGHAI
from api.domain.events import change_occurrence, create_event
from api.models.events import Campaign, CampaignKind, EventKind, EventStatus, LectureFormat
from api.models.people import Person
from api.models.sites import Site, SiteKind, Venue
from api.models.teams import Team, TeamKind

MONTH_FIRST, MONTH_LAST = date(2026, 3, 1), date(2026, 3, 31)


def at(day: tuple[int, int], hm: tuple[int, int]) -> datetime:
    return datetime.combine(date(2026, *day), time(*hm), tzinfo=SHANGHAI)


async def _first(model, **filters):
    return await model.filter(**filters).order_by("id").first()


async def create_showcase(platforms: dict[str, int], loaded_at: datetime) -> tuple[int, int]:
    """Write the showcase month (and the duty that starts before ``loaded_at``); return
    (events, overrides) created."""
    centre = await _first(Site, kind=SiteKind.CENTER)
    institute = await _first(Site, kind=SiteKind.INSTITUTE, parent_id=centre.id)
    station = await _first(Site, kind=SiteKind.STATION, parent_id=institute.id)
    hall = await _first(Venue, site_id=centre.id)
    institute_hall = await _first(Venue, site_id=institute.id)
    station_rooms = await Venue.filter(site_id=station.id).order_by("id")
    lecturer = await _first(Person, is_lecturer=True)
    lecture_team = await _first(Team, is_lecture_team=True, memberships__person_id=lecturer.id)
    corps = await _first(Team, kind=TeamKind.CORPS, home_site_id=centre.id)
    squads = await Team.filter(kind=TeamKind.SQUAD, home_site_id=institute.id).order_by("id")
    village_team = await _first(Team, home_site_id=station.id)
    campaign = await Campaign.create(
        kind=CampaignKind.FESTIVAL, name="2026年鲤城区学雷锋志愿服务月", starts_on=MONTH_FIRST, ends_on=MONTH_LAST,
        description="3月5日学雷锋纪念日前后，全区各中心、所、站集中开展学雷锋志愿服务。",
    )
    common = dict(status=EventStatus.PUBLISHED, campaign_id=campaign.id)
    events = [
        dict(kind=EventKind.ACTIVITY, title="学雷锋纪念日志愿服务集中行动", platform_id=platforms["CULTURE"],
             site_id=centre.id, venue_id=hall.id, team_id=corps.id, starts_at=at((3, 5), (9, 0)),
             ends_at=at((3, 5), (11, 30)), beneficiaries=320),
        dict(kind=EventKind.LECTURE, title="“雷锋精神代代传”微宣讲", platform_id=platforms["THEORY"],
             site_id=station.id, venue_id=station_rooms[-1].id, lecturer_ids=[lecturer.id], team_id=lecture_team.id,
             format=LectureFormat.MICRO, topic="雷锋精神", starts_at=at((3, 7), (9, 30)),
             ends_at=at((3, 7), (10, 30)), attendance=68),
        dict(kind=EventKind.ACTIVITY, title="健康义诊进社区", platform_id=platforms["HEALTH"], site_id=station.id,
             venue_id=station_rooms[0].id, team_id=village_team.id, starts_at=at((3, 7), (14, 30)),
             ends_at=at((3, 7), (16, 30)), beneficiaries=45),
        dict(kind=EventKind.LECTURE, title="方言快板说雷锋", platform_id=platforms["THEORY"], site_id=institute.id,
             venue_id=institute_hall.id, lecturer_ids=[lecturer.id], team_id=lecture_team.id, format=LectureFormat.CLAPPER, topic="雷锋精神",
             starts_at=at((3, 20), (19, 30)), ends_at=at((3, 20), (20, 30)), attendance=120),
    ]
    written = 0
    for fields in events:
        await create_event(**common, **fields)
        written += 1
    # A Saturday series of three, the middle one cancelled (it shows as 已取消).
    series = await create_event(
        **common, kind=EventKind.ACTIVITY, title="学雷锋·周六爱心义剪", platform_id=platforms["CULTURE"],
        site_id=institute.id, venue_id=institute_hall.id, team_id=next((t for t in squads if "义剪" in t.name), squads[0]).id, rrule="FREQ=WEEKLY;COUNT=3",
        starts_at=at((3, 14), (9, 0)), ends_at=at((3, 14), (11, 0)),
    )
    await change_occurrence(series, at((3, 21), (9, 0)), cancelled=True)
    # After the month, on the lecturer's calendar.
    await create_event(
        kind=EventKind.LECTURE, title="党的二十大精神进社区宣讲", platform_id=platforms["THEORY"], site_id=centre.id,
        venue_id=hall.id, lecturer_ids=[lecturer.id], team_id=lecture_team.id, format=LectureFormat.REPORT, topic="党的二十大精神",
        starts_at=at((4, 16), (9, 30)), ends_at=at((4, 16), (11, 0)), attendance=150, status=EventStatus.PUBLISHED,
    )
    # The one showcase event that moves with the load time: volunteers sign up and check in now.
    await create_volunteer_duty(platforms, station, village_team, loaded_at)
    return written + 3, 1
