"""Rendering with icalendar: one event (its series and overrides) into VEVENT text, and the
calendar around it. Pure functions of plain data, so they run in a worker thread and their
output can be cached and concatenated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from icalendar import Calendar, vDuration, vRecur
from icalendar import Event as VEvent

from api.domain.clock import SHANGHAI, local
from api.domain.recurrence import is_instance, parse_exdates

PRODID = "-//Wenming//New Era Civilization Practice Centre feeds//ZH"
TZID = "Asia/Shanghai"
TTL = timedelta(hours=1)
CANCELLED_PREFIX = "【已取消】"
# Bump when the rendered text changes shape: every cached block and every ETag changes with it.
RENDER_VERSION = "3"
# VTIMEZONE from this date on: Asia/Shanghai is one +08:00 block (no 1986-91 summer time).
TIMEZONE_FIRST_DATE = date(2000, 1, 1)
END_CALENDAR = b"END:VCALENDAR\r\n"

KIND_LABEL = {"LECTURE": "宣讲", "ACTIVITY": "活动"}
FORMAT_LABEL = {
    "MICRO": "微宣讲",
    "DRAMA": "戏剧宣讲",
    "CLAPPER": "快板",
    "RAP": "说唱",
    "PARTY_CLASS": "微党课",
    "REPORT": "报告会",
    "DIALOGUE": "互动访谈",
    "OTHER": "其他",
}


@dataclass(frozen=True)
class OverrideData:
    recurrence_id: datetime
    cancelled: bool
    starts_at: datetime | None
    ends_at: datetime | None
    title: str | None
    venue_name: str | None
    updated_at: datetime


@dataclass(frozen=True)
class EventData:
    """Everything one event's VEVENT text depends on (public fields only)."""

    id: int
    kind: str
    title: str
    summary: str
    description: str
    topic: str
    format: str | None
    status: str
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    rrule: str | None
    exdates: tuple[str, ...]
    version: int
    updated_at: datetime
    capacity: int | None
    audience: str
    site_name: str
    site_address: str
    latitude: float | None
    longitude: float | None
    venue_name: str | None
    team_name: str | None
    platform_name: str
    campaign_name: str | None
    lecturers: tuple[tuple[str, str], ...]  # (name, title), in billing order
    overrides: tuple[OverrideData, ...]
    created_at: datetime
    # The newest updated_at of every row the text shows: the event, its overrides, site,
    # venues, team, platform, campaign, lecturers (deleted ones too) and the other parts of
    # its series. It never goes back: whatever changes the text saves one of these rows.
    revised_at: datetime
    related: tuple[int, ...] = ()  # the other public parts of a series split in two (RELATED-TO)
    # What China's calendar did to the series (api/domain/recurrence.py, follow_calendar):
    # instances on a day off, sent as EXDATE, and make-up working days added, sent as RDATE.
    calendar_exdates: tuple[str, ...] = ()
    calendar_rdates: tuple[str, ...] = ()

    @property
    def sequence(self) -> int:
        """SEQUENCE: the event's version, plus the whole seconds from its creation to its
        revision, so it also grows when a shown row changes (a site renamed) without a new
        version of the event, and never goes down (both terms only grow)."""
        return self.version + max(0, int((self.revised_at - self.created_at).total_seconds()))


@dataclass(frozen=True)
class Site:
    """Where the feed lives: the host for UIDs and the base for URLs."""

    host: str
    public_url: str

    def event_url(self, event_id: int) -> str:
        return f"{self.public_url}/feeds/events/{event_id}.ics"

    def uid(self, event_id: int) -> str:
        return f"event-{event_id}@{self.host}"


def _rule_body(text: str) -> str:
    body = text.strip()
    return body[6:] if body.upper().startswith("RRULE:") else body


def _when(value: datetime, all_day: bool) -> date | datetime:
    """DTSTART's form: a local date for all-day, else a time with TZID=Asia/Shanghai."""
    return local(value).date() if all_day else local(value)


def _location(data: EventData, venue_name: str | None) -> str:
    place = " ".join(p for p in (data.site_name, venue_name) if p)
    return f"{place}, {data.site_address}" if data.site_address else place


def _description(data: EventData) -> str:
    lines = []
    if data.summary:
        lines.append(data.summary)
    if data.description and data.description != data.summary:
        lines.append(data.description)
    if lines:
        lines.append("")
    lines.append(f"类型：{KIND_LABEL.get(data.kind, data.kind)}")
    if data.topic:
        lines.append(f"主题：{data.topic}")
    if data.format:
        lines.append(f"形式：{FORMAT_LABEL.get(data.format, data.format)}")
    if data.lecturers:
        names = "、".join(f"{n}（{t}）" if t else n for n, t in data.lecturers)
        lines.append(f"宣讲员：{names}")
    if data.team_name:
        lines.append(f"组织队伍：{data.team_name}")
    lines.append(f"平台：{data.platform_name}")
    if data.campaign_name:
        lines.append(f"主题活动：{data.campaign_name}")
    if data.audience:
        lines.append(f"面向：{data.audience}")
    if data.capacity:
        lines.append(f"名额：{data.capacity}人")
    return "\n".join(lines)


def _vevent(
    data: EventData,
    site: Site,
    *,
    start: datetime,
    end: datetime,
    title: str,
    cancelled: bool,
    venue_name: str | None,
    modified: datetime,
    description: str,
    recurrence_id: datetime | None = None,
) -> VEvent:
    event = VEvent.new(
        uid=site.uid(data.id),
        stamp=modified,
        last_modified=modified,
        sequence=data.sequence,
        start=_when(start, data.all_day),
        end=_when(end, data.all_day),
        summary=f"{CANCELLED_PREFIX}{title}" if cancelled else title,
        status="CANCELLED" if cancelled else "CONFIRMED",
        location=_location(data, venue_name),
        description=description,
        categories=[data.platform_name],
        url=site.event_url(data.id),
        recurrence_id=_when(recurrence_id, data.all_day) if recurrence_id is not None else None,
    )
    if data.latitude is not None and data.longitude is not None:
        event.add("GEO", (data.latitude, data.longitude))
    for other in data.related:  # the parts of one series split in two (docs/feeds.md)
        event.add("RELATED-TO", site.uid(other), parameters={"RELTYPE": "SIBLING"})
    return event


def render_event(data: EventData, site: Site) -> bytes:
    """The VEVENT text of one event: the series with its RRULE and EXDATEs, then one
    RECURRENCE-ID override per changed occurrence (same UID). Folded, CRLF."""
    series_cancelled = data.status == "CANCELLED"
    description = _description(data)
    modified = data.revised_at
    if not data.rrule and not data.calendar_rdates:
        # A single event: an override of its one occurrence is folded into the event itself.
        start, end, title, venue = data.starts_at, data.ends_at, data.title, data.venue_name
        cancelled = series_cancelled
        for o in data.overrides:
            if local(o.recurrence_id) == local(data.starts_at):
                start = o.starts_at or start
                end = o.ends_at or (start + (data.ends_at - data.starts_at))
                title = o.title or title
                cancelled = cancelled or o.cancelled
                venue = o.venue_name or venue
                modified = max(modified, o.updated_at)
        vevent = _vevent(
            data, site, start=start, end=end, title=title, cancelled=cancelled, venue_name=venue,
            modified=modified, description=description,
        )
        return vevent.to_ical()

    duration = data.ends_at - data.starts_at
    # DTSTART is the series' first instance as RFC 5545 reads it: the domain refuses a start
    # the rule does not give (recurrence.check_series), so it is sent as stored.
    master = _vevent(
        data, site, start=data.starts_at, end=data.ends_at, title=data.title, cancelled=series_cancelled,
        venue_name=data.venue_name, modified=modified, description=description,
    )
    if data.rrule:  # a yearly lunar date or solar term has none: its dates are RDATEs
        master.add("RRULE", vRecur.from_ical(_rule_body(data.rrule)))
    removed = sorted(parse_exdates((*data.exdates, *data.calendar_exdates), data.all_day))
    if removed:
        master.add("EXDATE", [_when(x, data.all_day) for x in removed])
    added = sorted(parse_exdates(data.calendar_rdates, data.all_day))
    if added:
        master.add("RDATE", [_when(x, data.all_day) for x in added])
    parts = [master.to_ical()]
    removed_set = set(removed)
    for o in sorted(data.overrides, key=lambda o: o.recurrence_id):
        rid = local(o.recurrence_id)
        # Only real, not removed, instances: what the occurrences table materialised.
        if rid in removed_set or not is_instance(data.rrule, data.starts_at, data.all_day, rid, data.calendar_rdates):
            continue
        start = o.starts_at or rid
        end = o.ends_at or start + duration
        parts.append(
            _vevent(
                data, site, start=start, end=end, title=o.title or data.title,
                cancelled=series_cancelled or o.cancelled, venue_name=o.venue_name or data.venue_name,
                modified=max(modified, o.updated_at), description=description, recurrence_id=rid,
            ).to_ical()
        )
    return b"".join(parts)


def render_events(items: list[EventData], site: Site) -> list[bytes]:
    return [render_event(item, site) for item in items]


def _timezone_block() -> bytes:
    cal = Calendar()
    moment = datetime(2026, 1, 1, tzinfo=SHANGHAI)
    probe = VEvent.new(uid="probe", stamp=moment, start=moment)
    cal.add_component(probe)
    cal.add_missing_timezones(first_date=TIMEZONE_FIRST_DATE)
    (tz,) = cal.timezones
    return tz.to_ical()


VTIMEZONE = _timezone_block()


def render_head(name: str, description: str, uid: str) -> bytes:
    """BEGIN:VCALENDAR, the calendar's properties and the VTIMEZONE; events follow."""
    cal = Calendar.new(
        prodid=PRODID,
        name=name,  # NAME and X-WR-CALNAME
        description=description,  # DESCRIPTION and X-WR-CALDESC
        refresh_interval=TTL,
        uid=uid,
    )
    cal["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"
    cal.add("X-PUBLISHED-TTL", vDuration(TTL))
    cal.add("X-WR-TIMEZONE", TZID)
    cal.add("CALSCALE", "GREGORIAN")
    text = cal.to_ical()
    assert text.endswith(END_CALENDAR)
    return text[: -len(END_CALENDAR)] + VTIMEZONE


def assemble(head: bytes, blocks: list[bytes]) -> bytes:
    return b"".join((head, *blocks, END_CALENDAR))
