"""A run of calendar days: workday or not, the holiday, the lunar date, solar term,
festivals and the campaigns running, as calendarDays and the kiosk header show them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from api.china_calendar.lunar import AlmanacDay, almanac_day
from api.domain.errors import DomainError
from api.models.china_calendar import DayKind, DaySource, HolidayDay, HolidayYear
from api.models.events import Campaign

MAX_DAYS = 366  # a window of at most a year (a leap year's 366 days, both ends included)


@dataclass(frozen=True)
class CalendarDay:
    day: date
    workday: bool
    holiday_name: str | None  # the holiday this day off belongs to (国庆节)
    makeup_workday: bool  # 调休上班
    makeup_for: str | None  # the holiday a make-up working day pays for
    label: str | None  # the table's wording: 国庆节（补假）, 周末（连休）
    corrected: bool  # an ADMIN's correction
    provisional: bool  # the year's schedule is not announced (or not synced) yet
    almanac: AlmanacDay
    campaigns: tuple[Campaign, ...]  # running that day


def check_window(start: date, end: date) -> None:
    if end < start:
        raise DomainError(f"to ({end}) is before from ({start}); a one-day window has from = to",
                          field="to", code="BAD_WINDOW")
    if (end - start).days + 1 > MAX_DAYS:
        raise DomainError(f"from {start} to {end} holds {(end - start).days + 1} days; at most {MAX_DAYS} (a year) may be asked",
                          field="to", code="BAD_WINDOW")


def workday_of(day: date, kind: DayKind | None) -> bool:
    if kind is DayKind.HOLIDAY:
        return False
    if kind is DayKind.MAKEUP_WORKDAY:
        return True
    return day.weekday() < 5


async def calendar_days(start: date, end: date) -> list[CalendarDay]:
    """Every date from start to end (both included): three queries whatever the window."""
    check_window(start, end)
    rows = {row.day: row for row in await HolidayDay.filter(day__gte=start, day__lte=end)}
    announced = dict(await HolidayYear.filter(year__gte=start.year, year__lte=end.year).values_list("year", "announced"))
    campaigns = await Campaign.filter(deleted_at=None, starts_on__lte=end, ends_on__gte=start).order_by("starts_on", "id")
    days: list[CalendarDay] = []
    for i in range((end - start).days + 1):
        day = start + timedelta(days=i)
        row = rows.get(day)
        kind = row.kind if row else None
        days.append(CalendarDay(
            day=day,
            workday=workday_of(day, kind),
            holiday_name=(row.name or None) if kind is DayKind.HOLIDAY else None,
            makeup_workday=kind is DayKind.MAKEUP_WORKDAY,
            makeup_for=(row.name or None) if kind is DayKind.MAKEUP_WORKDAY else None,
            label=(row.label or None) if row and kind is not DayKind.ORDINARY else None,
            corrected=row is not None and row.source is DaySource.ADMIN,
            provisional=not announced.get(day.year, False),
            almanac=almanac_day(day),
            campaigns=tuple(c for c in campaigns if c.starts_on <= day <= c.ends_on),
        ))
    return days
