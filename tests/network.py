"""A small, hand-checkable network for tests, built through the domain rules."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from api.domain.clock import SHANGHAI
from api.domain.events import change_occurrence, create_event
from api.domain.sites import create_site
from api.domain.teams import create_team
from api.models.events import Campaign, CampaignKind, Event, EventKind, EventStatus, LectureFormat
from api.models.people import Person
from api.models.platforms import Platform
from api.models.sites import Site, SiteKind, Venue
from api.models.teams import Membership, MemberRole, TeamCategory, TeamKind


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def gid(type_name: str, pk: int | str) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


@dataclass
class Network:
    centre: Site
    institute: Site
    station: Site
    station2: Site
    other_centre: Site
    other_station: Site
    theory: Platform
    culture: Platform
    weekly: Event  # weekly lecture at station, Saturdays 09:30 in March 2026, one exdate, one cancelled, one moved
    fair: Event  # one-off activity at the institute
    holiday: Event  # all-day activity at the centre
    draft: Event
    elsewhere: Event  # at the other centre's station
    lecturer: Person


async def build(prefix: str = "") -> Network:
    theory = await Platform.create(code=f"{prefix}THEORY", name="理论宣讲", lead_unit="县委宣传部", sort_order=1)
    culture = await Platform.create(code=f"{prefix}CULTURE", name="文化服务", lead_unit="县文旅局", sort_order=2)
    centre = await create_site(kind=SiteKind.CENTER, name=f"{prefix}洛江区新时代文明实践中心", region_code="350504",
                               contact_name="王主任", contact_phone="13800000001")
    await create_site(kind=SiteKind.SUB_CENTER, name=f"{prefix}洛江区图书馆分中心", parent=centre)
    institute = await create_site(kind=SiteKind.INSTITUTE, name=f"{prefix}河市镇新时代文明实践所", parent=centre,
                                  region_code="350504100")
    station = await create_site(kind=SiteKind.STATION, name=f"{prefix}洛阳村新时代文明实践站", parent=institute,
                                region_code="350504100201", contact_phone="13900000002")
    station2 = await create_site(kind=SiteKind.STATION, name=f"{prefix}溪阳社区新时代文明实践站", parent=institute,
                                 region_code="350504100202")
    await create_site(kind=SiteKind.POINT, name=f"{prefix}河市中学实践点", parent=station)
    other_centre = await create_site(kind=SiteKind.CENTER, name=f"{prefix}泉港区新时代文明实践中心", region_code="350505")
    other_institute = await create_site(kind=SiteKind.INSTITUTE, name=f"{prefix}山腰街道新时代文明实践所", parent=other_centre)
    other_station = await create_site(kind=SiteKind.STATION, name=f"{prefix}海滨社区新时代文明实践站", parent=other_institute)
    hall = await Venue.create(site=station, name="道德讲堂", kind="HALL", capacity=80)

    corps = await create_team(kind=TeamKind.CORPS, category=TeamCategory.GENERAL, name=f"{prefix}洛江区志愿服务总队", home_site=centre)
    lecture_team = await create_team(kind=TeamKind.TEAM, category=TeamCategory.THEORY, name=f"{prefix}洛地有声宣讲队",
                                     home_site=station, parent=corps, is_lecture_team=True)
    lecturer = await Person.create(name=f"{prefix}陈宣讲", is_lecturer=True, title="新时代宣讲员", topics=["党的二十大精神"],
                                   home_site=station, phone="13700000003")
    volunteer = await Person.create(name=f"{prefix}李志愿", phone="13600000004", volunteer_number="V001")
    await Membership.create(team=lecture_team, person=lecturer, role=MemberRole.LEADER)
    await Membership.create(team=lecture_team, person=volunteer)
    campaign = await Campaign.create(kind=CampaignKind.FESTIVAL, name="学雷锋日", starts_on=at(2026, 3, 1).date(),
                                     ends_on=at(2026, 3, 31).date())

    published = {"status": EventStatus.PUBLISHED}
    weekly = await create_event(
        kind=EventKind.LECTURE, title=f"{prefix}党的二十大精神微宣讲", platform_id=theory.id, site_id=station.id,
        venue_id=hall.id, team_id=lecture_team.id, campaign_id=campaign.id, lecturer_ids=[lecturer.id],
        format=LectureFormat.MICRO, topic="党的二十大精神",
        starts_at=at(2026, 3, 7, 9, 30), ends_at=at(2026, 3, 7, 11), rrule="FREQ=WEEKLY;BYDAY=SA;COUNT=4",
        exdates=["2026-03-14T09:30:00+08:00"], **published,
    )
    await change_occurrence(weekly, at(2026, 3, 21, 9, 30), cancelled=True)
    await change_occurrence(weekly, at(2026, 3, 28, 9, 30), starts_at=at(2026, 3, 29, 14, 30), ends_at=at(2026, 3, 29, 16))
    fair = await create_event(
        kind=EventKind.ACTIVITY, title=f"{prefix}科普集市", platform_id=culture.id, site_id=institute.id,
        team_id=corps.id, starts_at=at(2026, 3, 10, 14), ends_at=at(2026, 3, 10, 17), capacity=200, **published,
    )
    holiday = await create_event(
        kind=EventKind.ACTIVITY, title=f"{prefix}学雷锋志愿服务日", platform_id=culture.id, site_id=centre.id,
        campaign_id=campaign.id, starts_at=at(2026, 3, 5), ends_at=at(2026, 3, 6), all_day=True, **published,
    )
    draft = await create_event(
        kind=EventKind.ACTIVITY, title=f"{prefix}草稿活动", platform_id=culture.id, site_id=station.id,
        starts_at=at(2026, 3, 12, 9), ends_at=at(2026, 3, 12, 10),
    )
    elsewhere = await create_event(
        kind=EventKind.LECTURE, title=f"{prefix}海上船声筒宣讲", platform_id=theory.id, site_id=other_station.id,
        starts_at=at(2026, 3, 11, 19, 30), ends_at=at(2026, 3, 11, 21), **published,
    )
    return Network(centre, institute, station, station2, other_centre, other_station, theory, culture,
                   weekly, fair, holiday, draft, elsewhere, lecturer)
