"""Recurring series: validate an RRULE and expand a series into dated instances.

Expansion runs in Asia/Shanghai wall time, so "every Saturday 09:30" stays 09:30 local.
All-day series expand over local dates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr

from api.china_calendar.yearly import YearlyRule
from api.domain.clock import SHANGHAI, day_start, local
from api.domain.errors import DomainError

ALLOWED_FREQUENCIES = {DAILY: "DAILY", WEEKLY: "WEEKLY", MONTHLY: "MONTHLY", YEARLY: "YEARLY"}
MAX_INSTANCES = 2000  # per series up to the horizon: a daily series for five years fits
# The longest an event, or one occurrence of a series, may last (a month-long exhibition fits).
# Occurrence windows rely on it: whatever overlaps [start, end) starts after start - this, so
# the time index is read over the window, not over all history (api.domain.occurrences).
MAX_DURATION_DAYS = 31
MAX_DURATION = timedelta(days=MAX_DURATION_DAYS)


@dataclass(frozen=True)
class Change:
    """A change to one instance (an EventOverride, as the expansion sees it)."""

    cancelled: bool = False
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    title: str | None = None
    venue_id: int | None = None


@dataclass(frozen=True)
class Instance:
    recurrence_id: datetime  # the start the rule gave it, Asia/Shanghai
    starts_at: datetime
    ends_at: datetime
    cancelled: bool = False
    title: str | None = None
    venue_id: int | None = None


def parse_rule(text: str, starts_at: datetime, all_day: bool) -> rrule:
    """Parse an RRULE (with or without the 'RRULE:' prefix); DomainError says what is wrong."""
    body = _body(text)
    if not body or "\n" in body:
        raise DomainError("rrule must be one RRULE line such as FREQ=WEEKLY;BYDAY=SA", field="rrule", code="BAD_RRULE")
    try:
        rule = rrulestr(body, dtstart=_rule_start(starts_at, all_day), cache=False)
    except (ValueError, TypeError) as exc:
        raise DomainError(f"rrule {body!r} is not a valid RFC 5545 rule: {exc}", field="rrule", code="BAD_RRULE") from exc
    if not isinstance(rule, rrule):
        raise DomainError("rrule must be a single rule", field="rrule", code="BAD_RRULE")
    if rule._freq not in ALLOWED_FREQUENCIES:
        allowed = ", ".join(ALLOWED_FREQUENCIES.values())
        raise DomainError(f"rrule frequency must be one of {allowed}", field="rrule", code="BAD_RRULE")
    return rule


def parse_exdates(values: Iterable[str], all_day: bool) -> set[datetime]:
    result = set()
    for i, value in enumerate(values):
        try:
            parsed = date.fromisoformat(value) if all_day else datetime.fromisoformat(value)
        except (TypeError, ValueError) as exc:
            raise DomainError(f"exdates[{i}] {value!r} is not an ISO date{'' if all_day else '-time'}", field=f"exdates.{i}", code="BAD_EXDATE") from exc
        result.add(day_start(parsed) if all_day else local(parsed))
    return result


@dataclass(frozen=True)
class ChinaDays:
    """The holiday table over the dates a series spans (api/china_calendar/holidays.py)."""

    days_off: frozenset[date] = frozenset()  # 放假, the weekends inside a holiday included
    makeup_workdays: frozenset[date] = frozenset()  # 调休上班


@dataclass(frozen=True)
class FollowCalendar:
    """How a series follows China's calendar: its two flags, and the table's days."""

    skip_holidays: bool
    on_makeup_workdays: bool
    days: ChinaDays


@dataclass(frozen=True)
class Adjusted:
    """What China's calendar did to a series: rule instances it took out (sent as EXDATE) and
    make-up working days it added (RDATE), in time order."""

    removed: tuple[datetime, ...] = ()
    added: tuple[datetime, ...] = ()

    def as_text(self, all_day: bool) -> tuple[list[str], list[str]]:
        """As stored on the event and read back by parse_exdates: ISO dates or date-times."""
        return [_moment(x, all_day) for x in self.removed], [_moment(x, all_day) for x in self.added]


def follow_calendar(starts: list[datetime], starts_at: datetime, all_day: bool, rule: rrule, until: datetime,
                    follow: FollowCalendar) -> Adjusted:
    """The one rule for series that follow China's calendar (docs/calendar.md):

    - skip_holidays: an instance whose local date is a day off in the holiday table is removed;
    - on_makeup_workdays: every make-up working day from the series' first day to its last
      (the rule's last instance when it has COUNT or UNTIL, else ``until``) gains an instance
      at the series' start time, unless the rule already gives one that day.

    A provisional year has only what the table holds for it: the festival days known by rule
    (skipped) and no make-up working days (none added) until the schedule is announced.
    """
    removed: tuple[datetime, ...] = ()
    added: list[datetime] = []
    if follow.skip_holidays:
        removed = tuple(s for s in starts if s.date() in follow.days.days_off)
    if follow.on_makeup_workdays and starts:
        first = local(starts_at).date()
        finite = rule._count is not None or rule._until is not None
        last = starts[-1].date() if finite else local(until).date()
        given = {s.date() for s in starts}
        wall = local(starts_at).timetz()
        for day in sorted(follow.days.makeup_workdays):
            if first <= day <= last and day not in given:
                added.append(day_start(day) if all_day else datetime.combine(day, wall.replace(tzinfo=None), SHANGHAI))
    return Adjusted(removed, tuple(a for a in added if a <= until))


def expand(**kwargs) -> list[Instance]:
    """Every instance whose rule start is at or before ``until``, exceptions applied."""
    return expand_following(**kwargs)[0]


def expand_following(
    *,
    starts_at: datetime,
    ends_at: datetime,
    all_day: bool,
    rule_text: str | None,
    exdates: Iterable[str] = (),
    changes: Mapping[datetime, Change] | None = None,
    until: datetime,
    calendar: FollowCalendar | None = None,
    yearly: YearlyRule | None = None,
) -> tuple[list[Instance], Adjusted]:
    """Every instance whose start is at or before ``until``, China's calendar followed (when the
    series asks to) and exceptions applied; and what the calendar changed (for the feeds).
    A ``yearly`` event (lunar date or solar term) has an instance on each of its dates, at its
    start's wall time; those after the first are its RDATEs (``Adjusted.added``)."""
    starts_at, ends_at = local(starts_at), local(ends_at)
    duration = ends_at - starts_at
    changes = {local(k): v for k, v in (changes or {}).items()}
    adjusted = Adjusted()
    if yearly is not None and not rule_text:
        wall = starts_at.time()
        starts = [s for d in yearly.dates(starts_at.date(), local(until).date())
                  if (s := datetime.combine(d, wall, SHANGHAI)) <= until]
        adjusted = Adjusted(added=tuple(s for s in starts if s != starts_at))
    elif not rule_text:
        starts = [starts_at] if starts_at <= until else []
    else:
        rule = parse_rule(rule_text, starts_at, all_day)
        limit = until.replace(tzinfo=None) if all_day else until
        starts = []
        for start in rule.xafter(_rule_start(starts_at, all_day), inc=True):
            if start > limit:
                break
            starts.append(start.replace(tzinfo=SHANGHAI) if all_day else local(start))
            if len(starts) > MAX_INSTANCES:
                raise DomainError(
                    f"rrule gives more than {MAX_INSTANCES} occurrences before {until.date()}; add COUNT or UNTIL",
                    field="rrule",
                    code="TOO_MANY_OCCURRENCES",
                )
        if calendar is not None and (calendar.skip_holidays or calendar.on_makeup_workdays):
            adjusted = follow_calendar(starts, starts_at, all_day, rule, until, calendar)
            starts = sorted({*starts, *adjusted.added})
    removed = parse_exdates(exdates, all_day) | set(adjusted.removed)
    instances = []
    for start in starts:
        if start in removed:
            continue
        change = changes.get(start, Change())
        new_start = local(change.starts_at) if change.starts_at else start
        new_end = local(change.ends_at) if change.ends_at else new_start + duration
        instances.append(
            Instance(start, new_start, new_end, change.cancelled, change.title, change.venue_id)
        )
    return instances, adjusted


def ends_by(rule_text: str, starts_at: datetime, all_day: bool, until: datetime) -> bool:
    """Whether the rule gives no instance after ``until``: it has COUNT or UNTIL and its last
    instance starts at or before ``until`` (China's calendar adds days only up to that last
    one, and an override moves an instance the rule gave, so nothing else comes later)."""
    rule = parse_rule(rule_text, starts_at, all_day)
    if rule._count is None and rule._until is None:
        return False
    return rule.after(until.replace(tzinfo=None) if all_day else until) is None  # the expansion's limit


def _rule_start(starts_at: datetime, all_day: bool) -> datetime:
    # dateutil wants a naive start for DATE rules (UNTIL=20260101) and an aware one for
    # DATE-TIME rules (UNTIL=...Z), as RFC 5545 pairs them.
    start = local(starts_at)
    return start.replace(tzinfo=None) if all_day else start


def follow(moment: datetime, old_start: datetime, new_start: datetime, new_rule: str | None, new_all_day: bool) -> datetime | None:
    """Where an instance of a series falls once the series is edited: shifted as the series'
    start was, in wall time (09:30 -> 14:30 moves each instance five hours later, a start a
    day later moves each a day). None when the edited series has no instance there (a rule
    that no longer gives that day)."""
    shift = local(new_start).replace(tzinfo=None) - local(old_start).replace(tzinfo=None)
    candidate = (local(moment).replace(tzinfo=None) + shift).replace(tzinfo=SHANGHAI)
    return candidate if is_instance(new_rule, new_start, new_all_day, candidate) else None


def first_instances(rule_text: str, starts_at: datetime, all_day: bool, count: int) -> list[datetime]:
    rule = parse_rule(rule_text, starts_at, all_day)
    out = []
    for start in rule.xafter(_rule_start(starts_at, all_day), inc=True):
        out.append(start.replace(tzinfo=SHANGHAI) if all_day else local(start))
        if len(out) >= count:
            break
    return out


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def check_series(rule_text: str, starts_at: datetime, all_day: bool) -> rrule:
    """Validate a series: the rule itself, and that its start is the rule's first instance.

    RFC 5545 counts DTSTART as the first instance even when the rule would not give it
    (a Tuesday start with FREQ=WEEKLY;BYDAY=MO); dateutil, and so the occurrences table, does
    not. Calendar apps and GraphQL would then disagree, so such a series is refused, with the
    date to start it on instead.
    """
    rule = parse_rule(rule_text, starts_at, all_day)
    start = local(starts_at)
    first = next(iter(first_instances(rule_text, start, all_day, 1)), None)
    if first == (day_start(start.date()) if all_day else start):
        return rule
    shown = _moment(start, all_day)
    if first is None:
        message = f"rrule {_body(rule_text)!r} gives no occurrence on or after startsAt ({shown})"
    else:
        message = (
            f"startsAt ({shown}, a {WEEKDAYS[start.weekday()]}) is not an occurrence of rrule "
            f"{_body(rule_text)!r}: a series starts on its first occurrence, which would be "
            f"{_moment(first, all_day)} (a {WEEKDAYS[first.weekday()]}); start it then, or change the rule"
        )
    raise DomainError(message, field="rrule", code="START_NOT_IN_RULE")


def _moment(value: datetime, all_day: bool) -> str:
    return value.date().isoformat() if all_day else local(value).isoformat()


def _body(text: str) -> str:
    body = text.strip()
    return body[6:] if body.upper().startswith("RRULE:") else body


def is_instance(rule_text: str | None, starts_at: datetime, all_day: bool, candidate: datetime,
                added: Iterable[str] = ()) -> bool:
    """Whether the series has an instance starting at ``candidate``: one its rule gives, or one
    China's calendar added (``added``: the event's calendar_rdates)."""
    candidate = local(candidate)
    if added and candidate in parse_exdates(added, all_day):
        return True
    if not rule_text:
        return candidate == local(starts_at)
    rule = parse_rule(rule_text, starts_at, all_day)
    probe = candidate.replace(tzinfo=None) if all_day else candidate
    found = rule.after(probe - timedelta(seconds=1), inc=True)
    return found == probe
