"""Events (lectures and activities) and their occurrences as GraphQL types."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Self

import strawberry
from strawberry import relay

from api.china_calendar.yearly import YearlyRule
from api.domain.clock import local
from api.models import events as em
from schema.core.context import Info
from schema.core.enums import EventKindEnum, EventStatusEnum, LectureFormatEnum, OccurrenceStatus
from schema.core.feeds import FeedLinks, links
from schema.core.nodes import LoadedNode, lazy_class, row_values
from schema.network.types import Campaign, LatestReports, Lecturer, Platform, Site, Team, Venue

ReportRef = Annotated["Report", strawberry.lazy("schema.reports.types")]

SignupPlacesRef = Annotated["SignupPlaces", strawberry.lazy("schema.volunteers.types")]


@strawberry.type
class _EventLinks:
    """Resolvers shared by Event and Occurrence: both rows carry the same foreign keys."""

    _row: strawberry.Private[Any]

    @strawberry.field(description="The service platform (平台) it belongs to")
    async def platform(self, info: Info) -> Platform | None:
        return Platform.from_optional(await info.context.loaders.platform.load(self._row.platform_id))

    @strawberry.field(description="The site where it takes place")
    async def site(self, info: Info) -> Site | None:
        return Site.from_optional(await info.context.loaders.site.load(self._row.site_id))

    @strawberry.field(description="The venue (场地) within the site, if set")
    async def venue(self, info: Info) -> Venue | None:
        vid = self._row.venue_id
        return Venue.from_optional(await info.context.loaders.venue.load(vid)) if vid else None

    @strawberry.field(description="The organising team")
    async def team(self, info: Info) -> Team | None:
        tid = self._row.team_id
        return Team.from_optional(await info.context.loaders.team.load(tid)) if tid else None

    @strawberry.field(description="The campaign it is part of, if any")
    async def campaign(self, info: Info) -> Campaign | None:
        cid = self._row.campaign_id
        return Campaign.from_optional(await info.context.loaders.campaign.load(cid)) if cid else None


def _last_day(all_day: bool, ends_at: datetime) -> date | None:
    # Stored ends are exclusive (midnight after the last day); people read the last day.
    return (local(ends_at) - timedelta(days=1)).date() if all_day else None


@strawberry.type(description="A lunar date (农历) an event recurs on every year, e.g. 正月十五 (docs/calendar.md).")
class LunarRecurrence:
    month: int = strawberry.field(description="Lunar month, 1 (正月) to 12 (腊月)")
    day: int = strawberry.field(description="Day of the lunar month, 1 (初一) to 30 (三十)")
    leap: bool = strawberry.field(description="The leap month (闰月) of that number")
    name: str = strawberry.field(description="As people say it: 正月十五, 闰六月初一")


@strawberry.type(description="A lecture (宣讲) or activity (活动): one event, or one recurring series.")
class Event(_EventLinks, LoadedNode):
    _loader = "event"
    id: relay.NodeID[int]
    kind: EventKindEnum = strawberry.field(description="Lecture or activity")
    title: str = strawberry.field(description="Title")
    summary: str = strawberry.field(description="One-line summary")
    description: str = strawberry.field(description="Full description")
    topic: str = strawberry.field(description="Lecture topic (宣讲主题), e.g. 党的二十大精神; empty for activities")
    format: LectureFormatEnum | None = strawberry.field(description="Lecture format (宣讲形式); null for activities")
    starts_at: datetime = strawberry.field(description="Start of the first occurrence, Asia/Shanghai (+08:00)")
    ends_at: datetime = strawberry.field(description="End of the first occurrence (exclusive midnight for all-day)")
    all_day: bool = strawberry.field(description="All-day: read startDate and endDate, not the times")
    rrule: str | None = strawberry.field(description="RFC 5545 recurrence rule, e.g. FREQ=WEEKLY;BYDAY=SA; null if single")
    exdates: list[str] = strawberry.field(description="Starts of occurrences removed from the series")
    skip_holidays: bool = strawberry.field(description="China's calendar: the series skips public holidays (放假)")
    on_makeup_workdays: bool = strawberry.field(
        name="onMakeUpWorkdays", description="China's calendar: the series also runs on make-up working days (调休上班)")
    calendar_exdates: list[str] = strawberry.field(
        description="Starts the holiday table removed (skipHolidays), up to the materialisation horizon: EXDATEs "
        "in the feed beside exdates. Moves when an administrator corrects the table")
    calendar_rdates: list[str] = strawberry.field(
        description="Starts China's calendar added, up to the materialisation horizon: make-up working days "
        "(onMakeUpWorkdays), or a yearly event's dates after the first (lunarRecurrence, solarTerm). RDATEs in the feed")
    solar_term: str | None = strawberry.field(
        description="Recurs every year on this solar term (节气), e.g. 清明; null otherwise")

    @strawberry.field(description="Recurs every year on this lunar date (农历), e.g. 正月十五; null otherwise")
    def lunar_recurrence(self) -> LunarRecurrence | None:
        value = self._row.lunar_recurrence
        if not value:
            return None
        rule = YearlyRule.of(value, None)
        return LunarRecurrence(month=rule.lunar_month, day=rule.lunar_day, leap=rule.leap, name=rule.name)
    status: EventStatusEnum = strawberry.field(description="Published or cancelled (drafts are never public)")
    capacity: int | None = strawberry.field(description="How many people can take part")
    audience: str = strawberry.field(description="Intended audience, e.g. 老年人")
    attendance: int | None = strawberry.field(description="Recorded attendance (听众人数) after a lecture")
    beneficiaries: int | None = strawberry.field(description="Recorded beneficiaries (受益群众) after an activity")
    version: int = strawberry.field(description="Grows by one on every change")
    updated_at: datetime = strawberry.field(description="When it last changed")
    _row: strawberry.Private[em.Event]

    @strawberry.field(description="First day of an all-day event")
    def start_date(self) -> date | None:
        return local(self._row.starts_at).date() if self.all_day else None

    @strawberry.field(description="Last day (inclusive) of an all-day event")
    def end_date(self) -> date | None:
        return _last_day(self.all_day, self._row.ends_at)

    @strawberry.field(description="The newest published reports (活动报道) on this event")
    async def reports(self, info: Info, first: LatestReports = 5) -> list[ReportRef]:
        return await lazy_class(ReportRef).latest(info, first, event_id=self.id)

    @strawberry.field(
        description="The next occurrences of this event not yet over (one running now first), cancelled ones left out: the dates a sign-up page offers"
    )
    async def upcoming_occurrences(
        self, info: Info, first: Annotated[int, strawberry.argument(description="How many, 1-20")] = 5
    ) -> list[Occurrence]:
        first = max(1, min(first, 20))
        return [Occurrence.from_row(r) for r in await info.context.loaders.upcoming(first, by="event_id").load(self.id)]

    @strawberry.field(description="Lecturers (宣讲员), in billing order")
    async def lecturers(self, info: Info) -> list[Lecturer]:
        return [Lecturer.from_row(link.person) for link in await info.context.loaders.event_lecturers.load(self.id)]

    @strawberry.field(
        description="iCal feed (日历订阅) of this one event with its whole series, whenever it is, and every part of a series split in two (THIS_AND_FOLLOWING): the \"add to my calendar\" links"
    )
    def feed(self, info: Info) -> FeedLinks:
        return links(info, "event", self.id)


def occurrence_key(node_id: str) -> tuple[int, datetime] | None:
    event_id, _, stamp = node_id.partition("@")
    try:
        return int(event_id), local(datetime.fromtimestamp(int(stamp), UTC))
    except (ValueError, OverflowError, OSError):
        return None


@strawberry.type(description="One dated occurrence of an event: what calendars, boards and feeds show.")
class Occurrence(_EventLinks, relay.Node):
    id: relay.NodeID[str]
    title: str = strawberry.field(description="Title (a single occurrence may be retitled)")
    kind: EventKindEnum = strawberry.field(description="Lecture or activity")
    starts_at: datetime = strawberry.field(description="Start, Asia/Shanghai (+08:00)")
    ends_at: datetime = strawberry.field(description="End (exclusive midnight for all-day)")
    all_day: bool = strawberry.field(description="All-day: read startDate and endDate")
    recurrence_id: datetime = strawberry.field(description="The start the series rule gave it (RECURRENCE-ID)")
    _row: strawberry.Private[em.Occurrence]

    @classmethod
    def from_row(cls, row: em.Occurrence) -> Self:
        stable_id = f"{row.event_id}@{int(row.recurrence_id.timestamp())}"
        return cls(**row_values(cls, row, id=stable_id), _row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        keys = [occurrence_key(i) for i in node_ids]
        valid = [k for k in keys if k]
        rows = dict(zip(valid, await info.context.loaders.occurrence.load_many(valid), strict=True))
        return [cls.from_row(rows[k]) if k and rows.get(k) else None for k in keys]

    @strawberry.field(description="Scheduled, or cancelled (this occurrence or its whole event)")
    def status(self) -> OccurrenceStatus:
        row = self._row
        cancelled = row.cancelled or row.event_status == em.EventStatus.CANCELLED
        return OccurrenceStatus.CANCELLED if cancelled else OccurrenceStatus.SCHEDULED

    @strawberry.field(description="Day of an all-day occurrence")
    def start_date(self) -> date | None:
        return local(self._row.starts_at).date() if self.all_day else None

    @strawberry.field(description="Last day (inclusive) of an all-day occurrence")
    def end_date(self) -> date | None:
        return _last_day(self.all_day, self._row.ends_at)

    @strawberry.field(description="The event or series it belongs to")
    async def event(self, info: Info) -> Event | None:
        return Event.from_optional(await info.context.loaders.event.load(self._row.event_id))

    @strawberry.field(description="Lecturers (宣讲员) of the lecture, in billing order")
    async def lecturers(self, info: Info) -> list[Lecturer]:
        links = await info.context.loaders.event_lecturers.load(self._row.event_id)
        return [Lecturer.from_row(link.person) for link in links]

    @strawberry.field(description="Sign-up (报名): places left, waiting list and opening times; null when the event "
                      "takes no sign-ups")
    async def signup(self, info: Info) -> SignupPlacesRef | None:
        return await lazy_class(SignupPlacesRef).of_occurrence(info, self._row)  # volunteering sits above the calendar
