"""Lectures and activities (宣讲 / 活动), campaigns, and the materialised occurrences table."""

from enum import StrEnum

from tortoise import fields
from tortoise.fields.db_defaults import SqlDefault
from tortoise.models import Model

from api.models.base import Record


class EventKind(StrEnum):
    LECTURE = "LECTURE"  # 宣讲
    ACTIVITY = "ACTIVITY"  # 活动


class EventStatus(StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    CANCELLED = "CANCELLED"


class LectureFormat(StrEnum):
    MICRO = "MICRO"  # 微宣讲
    DRAMA = "DRAMA"  # 戏剧宣讲
    CLAPPER = "CLAPPER"  # 快板 / 方言快板
    RAP = "RAP"  # 说唱
    PARTY_CLASS = "PARTY_CLASS"  # 微党课
    REPORT = "REPORT"  # 报告会
    DIALOGUE = "DIALOGUE"  # 互动访谈
    OTHER = "OTHER"


class CampaignKind(StrEnum):
    FESTIVAL = "FESTIVAL"  # 节日活动 (春节, 学雷锋日 ...)
    MONTHLY_THEME = "MONTHLY_THEME"  # 月度主题
    ACTIVITY_DAY = "ACTIVITY_DAY"  # 集中活动日


class Campaign(Record):
    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(CampaignKind, max_length=16)
    name = fields.CharField(max_length=100)
    starts_on = fields.DateField()
    ends_on = fields.DateField()
    description = fields.TextField(default="")

    class Meta:
        table = "campaign"
        ordering = ["starts_on", "id"]


class Event(Record):
    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(EventKind, max_length=8, db_index=True)
    title = fields.CharField(max_length=120)
    summary = fields.CharField(max_length=300, default="")
    description = fields.TextField(default="")
    platform = fields.ForeignKeyField("wenming.Platform", related_name="events", on_delete=fields.RESTRICT)
    site = fields.ForeignKeyField("wenming.Site", related_name="events", on_delete=fields.RESTRICT)
    venue = fields.ForeignKeyField(
        "wenming.Venue", related_name="events", null=True, on_delete=fields.SET_NULL
    )
    team = fields.ForeignKeyField("wenming.Team", related_name="events", null=True, on_delete=fields.SET_NULL)
    campaign = fields.ForeignKeyField(
        "wenming.Campaign", related_name="events", null=True, on_delete=fields.SET_NULL
    )
    topic = fields.CharField(max_length=100, default="")
    format = fields.CharEnumField(LectureFormat, max_length=16, null=True)
    # Times are aware; all-day events start and end (exclusive) at local midnight.
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    all_day = fields.BooleanField(default=False)
    rrule = fields.CharField(max_length=300, null=True, description="RFC 5545 RRULE, without 'RRULE:'")
    exdates = fields.JSONField(default=list, description="Removed occurrences, ISO starts")
    # China's calendar (api/domain/recurrence.py, follow_calendar): the flags an editor sets, and
    # what the holiday table made of them, kept by every materialisation for the feeds.
    skip_holidays = fields.BooleanField(default=False, db_default=False, description="No occurrence on a public holiday (放假): the holiday table's days off")
    on_makeup_workdays = fields.BooleanField(default=False, db_default=False, description="An occurrence on every make-up working day (调休上班) in the series' span")
    calendar_exdates = fields.JSONField(default=list, db_default=SqlDefault("'[]'"), description="Occurrences the holiday table removed (ISO starts), up to the horizon")
    calendar_rdates = fields.JSONField(default=list, db_default=SqlDefault("'[]'"), description="Occurrences make-up working days added (ISO starts), up to the horizon")
    # Every year on a lunar date or a solar term (api/china_calendar/yearly.py); its dates after
    # the first are kept in calendar_rdates (RDATE), as RRULE cannot say them.
    lunar_recurrence = fields.JSONField(null=True, description='Every year on this lunar date: {"month": 1, "day": 15, "leap": false}')
    solar_term = fields.CharField(max_length=4, null=True, description="Every year on this solar term (节气), e.g. 清明")
    status = fields.CharEnumField(EventStatus, max_length=12, default=EventStatus.DRAFT, db_index=True)
    capacity = fields.IntField(null=True)
    audience = fields.CharField(max_length=100, default="")
    attendance = fields.IntField(null=True)
    beneficiaries = fields.IntField(null=True)
    # A series split in two (THIS_AND_FOLLOWING) stays one lineage: its feed covers every part.
    lineage_id = fields.IntField(
        null=True, db_index=True,
        description="Series split in two (THIS_AND_FOLLOWING): the id of its first part, the same on every part, null for an event never split",
    )
    external_key = fields.CharField(
        max_length=64, null=True, db_index=True, description="外部编号: the row's key in the office's own sheet"
    )
    # Bookkeeping, not content: set with a plain UPDATE, so updated_at and version stay put.
    materialised_until = fields.DatetimeField(
        null=True, description="Occurrences are written up to this instant (the horizon of the last rewrite)"
    )
    materialised_complete = fields.BooleanField(
        default=False, db_default=False,
        description="Every occurrence is written: none starts after materialised_until (the horizon job passes it by)",
    )

    class Meta:
        table = "event"
        ordering = ["id"]


class EventLecturer(Model):
    id = fields.IntField(primary_key=True)
    event = fields.ForeignKeyField("wenming.Event", related_name="lecturer_links", on_delete=fields.CASCADE)
    person = fields.ForeignKeyField("wenming.Person", related_name="lecture_links", on_delete=fields.CASCADE)
    position = fields.SmallIntField(default=0)

    class Meta:
        table = "event_lecturer"
        unique_together = (("event", "person"),)
        ordering = ["position", "id"]


class EventOverride(Model):
    """One changed occurrence of a series: moved, retitled or cancelled (RECURRENCE-ID)."""

    id = fields.IntField(primary_key=True)
    event = fields.ForeignKeyField("wenming.Event", related_name="overrides", on_delete=fields.CASCADE)
    recurrence_id = fields.DatetimeField(description="The original start this override replaces")
    cancelled = fields.BooleanField(default=False)
    starts_at = fields.DatetimeField(null=True)
    ends_at = fields.DatetimeField(null=True)
    title = fields.CharField(max_length=120, null=True)
    venue = fields.ForeignKeyField("wenming.Venue", related_name="overrides", null=True, on_delete=fields.SET_NULL)
    version = fields.IntField(default=1)
    updated_at = fields.DatetimeField(auto_now=True, db_index=True)

    class Meta:
        table = "event_override"
        unique_together = (("event", "recurrence_id"),)


class Occurrence(Model):
    """One dated instance of an event, materialised so range queries never expand a series."""

    id = fields.IntField(primary_key=True)
    event = fields.ForeignKeyField("wenming.Event", related_name="occurrences", on_delete=fields.CASCADE)
    recurrence_id = fields.DatetimeField(description="The start the series rule gave this instance")
    starts_at = fields.DatetimeField(db_index=True)
    ends_at = fields.DatetimeField()
    all_day = fields.BooleanField(default=False)
    cancelled = fields.BooleanField(default=False)
    # Denormalised from the event (and its override) so filters are one indexed range query.
    title = fields.CharField(max_length=120)
    kind = fields.CharEnumField(EventKind, max_length=8)
    event_status = fields.CharEnumField(EventStatus, max_length=12)
    site = fields.ForeignKeyField("wenming.Site", related_name="occurrences", on_delete=fields.CASCADE)
    site_path = fields.CharField(max_length=255, db_index=True)
    venue_id = fields.IntField(null=True)
    platform_id = fields.IntField(db_index=True)
    team_id = fields.IntField(null=True, db_index=True)
    campaign_id = fields.IntField(null=True, db_index=True)

    class Meta:
        table = "occurrence"
        unique_together = (("event", "recurrence_id"),)
        ordering = ["starts_at", "id"]


class SiteDayStats(Model):
    """The held figures of one site's countable occurrences (published, not cancelled) that
    start on one local day and end on another, per platform, kind and team: kept on write by
    api/domain/day_stats.py so ``stats`` sums a few rows instead of every occurrence."""

    id = fields.IntField(primary_key=True)
    site_id = fields.IntField(description="The occurrences' site")
    site_path = fields.CharField(max_length=255, description="Its materialised path: subtrees are a range of it")
    day = fields.DateField(description="The local day the occurrences start")
    end_day = fields.DateField(description="The local day they end (held once it is over)")
    platform_id = fields.IntField()
    kind = fields.CharEnumField(EventKind, max_length=8)
    team_id = fields.IntField(null=True, description="The organising team (the estimate counts its members now)")
    held = fields.IntField(description="How many occurrences")
    reached = fields.IntField(description="Their audience (lectures) or beneficiaries (activities)")
    hours = fields.FloatField(description="Their service hours")
    recorded_minutes = fields.IntField(description="Minutes their ledger records")
    unrecorded_hours = fields.FloatField(description="Service hours of those whose ledger records nothing")

    class Meta:
        table = "site_day_stats"
