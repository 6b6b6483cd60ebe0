"""Helpers for the feed tests (no tests here): reading a feed the way calendar apps do, with
two independent parsers, and reading the same scope and window from GraphQL.

- icalendar + recurring-ical-events: the parser the service renders with, plus a separate
  expansion library.
- vobject: its own parser, its own VTIMEZONE handling and its own rruleset building (it
  shares no code with icalendar); overrides (RECURRENCE-ID) are applied here by hand, as
  RFC 5545 says.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from datetime import date, datetime, timedelta

import icalendar
import recurring_ical_events
import vobject

from api.domain.clock import SHANGHAI

Instance = tuple[datetime, datetime, bool]  # start, end, cancelled
MARGIN = timedelta(days=800)  # expand this far around the window, then clip exactly


def gid(type_name: str, pk: int | str) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def _aware(value: date | datetime) -> datetime:
    """All-day values as local midnight (how the occurrences table stores them)."""
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI) if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    return datetime(value.year, value.month, value.day, tzinfo=SHANGHAI)


def _clip(items: list[Instance], start: datetime, end: datetime) -> list[Instance]:
    """Occurrences overlapping [start, end), as GraphQL's ``occurrences`` selects them."""
    return sorted(i for i in items if i[0] < end and i[1] > start)


def expand_icalendar(body: bytes, start: datetime, end: datetime) -> list[Instance]:
    calendar = icalendar.Calendar.from_ical(body)
    out = []
    for event in recurring_ical_events.of(calendar).between(start - MARGIN, end + MARGIN):
        cancelled = str(event.get("STATUS", "")).upper() == "CANCELLED"
        out.append((_aware(event.start), _aware(event.end), cancelled))
    return _clip(out, start, end)


def _vobject_value(component, name: str):
    prop = getattr(component, name, None)
    return None if prop is None else prop.value


def expand_vobject(body: bytes, start: datetime, end: datetime) -> list[Instance]:
    calendar = vobject.readOne(body.decode("utf-8"))
    by_uid: dict[str, dict] = defaultdict(lambda: {"master": None, "overrides": []})
    for vevent in calendar.contents.get("vevent", []):
        group = by_uid[vevent.uid.value]
        if hasattr(vevent, "recurrence_id"):
            group["overrides"].append(vevent)
        else:
            assert group["master"] is None, f"two masters for {vevent.uid.value}"
            group["master"] = vevent
    out: list[Instance] = []
    for uid, group in by_uid.items():
        master = group["master"]
        assert master is not None, f"overrides of {uid} without their series"
        m_start, m_end = master.dtstart.value, master.dtend.value
        cancelled = str(_vobject_value(master, "status") or "").upper() == "CANCELLED"
        replaced = {_aware(o.recurrence_id.value) for o in group["overrides"]}
        if hasattr(master, "rrule") or hasattr(master, "rdate"):  # RDATE alone: a yearly lunar event
            rules = master.getrruleset(addRDate=True)
            all_day = not isinstance(m_start, datetime)
            lo, hi = start - MARGIN, end + MARGIN
            if all_day:  # vobject expands DATE series as naive datetimes
                lo, hi = lo.replace(tzinfo=None), hi.replace(tzinfo=None)
            starts = rules.between(lo, hi, inc=True)
        else:
            starts = [m_start]
        duration = _aware(m_end) - _aware(m_start)
        for s in starts:
            s = _aware(s)
            if s not in replaced:
                out.append((s, s + duration, cancelled))
        for o in group["overrides"]:
            o_cancelled = str(_vobject_value(o, "status") or "").upper() == "CANCELLED"
            out.append((_aware(o.dtstart.value), _aware(o.dtend.value), o_cancelled))
    return _clip(out, start, end)


OCCURRENCES = """
query($from: DateTime!, $to: DateTime!, $within: ID, $site: ID, $kind: [EventKind!], $platform: [ID!],
      $team: ID, $lecturer: ID, $campaign: ID, $after: String) {
  occurrences(from: $from, to: $to, within: $within, site: $site, kind: $kind, platform: $platform,
              team: $team, lecturer: $lecturer, campaign: $campaign, first: 100, after: $after) {
    edges { node { id startsAt endsAt status } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
async def graphql_instances(gql, start: datetime, end: datetime, **args) -> list[Instance]:
    """Every occurrence GraphQL returns for the scope and window, paged 100 at a time: one
    window, as wide as any feed's (both faces share the domain's window limit)."""
    seen: dict[str, Instance] = {}
    after = None
    while True:
        data = await gql(OCCURRENCES, **{"from": start.isoformat(), "to": end.isoformat()}, after=after, **args)
        page = data["occurrences"]
        for edge in page["edges"]:
            node = edge["node"]
            seen[node["id"]] = (
                datetime.fromisoformat(node["startsAt"]).astimezone(SHANGHAI),
                datetime.fromisoformat(node["endsAt"]).astimezone(SHANGHAI),
                node["status"] == "CANCELLED",
            )
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    return _clip(list(seen.values()), start, end)


def window_of(response) -> tuple[datetime, datetime]:
    """The window the server used (X-Feed-Window: start/end, ISO with offsets)."""
    first, _, second = response.headers["x-feed-window"].partition("/")
    return datetime.fromisoformat(first), datetime.fromisoformat(second)


def unfold(body: bytes) -> list[str]:
    return body.decode("utf-8").replace("\r\n ", "").split("\r\n")


def vevents(body: bytes) -> list[dict[str, list[str]]]:
    """Each VEVENT as {property name: [full content lines]} (after unfolding)."""
    out, current = [], None
    for line in unfold(body):
        if line == "BEGIN:VEVENT":
            current = defaultdict(list)
        elif line == "END:VEVENT":
            out.append(current)
            current = None
        elif current is not None:
            name = line.split(":", 1)[0].split(";", 1)[0]
            current[name].append(line)
    return out


def value(line: str) -> str:
    return line.split(":", 1)[1]
