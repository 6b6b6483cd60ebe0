"""The public-holiday table: filled from the `holidays` package, corrected by an ADMIN.

The package knows the State Council's schedules (substituted days off, make-up working days)
for the years announced so far; for later years it gives the festival days by rule and no
make-up days. Such a year is stored as provisional and the API says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from importlib.metadata import version as package_version

import holidays as holiday_library
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from api.domain import validation
from api.domain.occurrences import follow_holiday_change
from api.domain.clock import now
from api.domain.errors import DomainError
from api.domain.writes import check_version, save_versioned
from api.models.china_calendar import DayKind, DaySource, HolidayDay, HolidayYear

# The years a fresh database is filled with; `wenming holidays sync --from/--to` chooses others.
DEFAULT_YEARS = range(2001, 2051)  # the package knows the notices from 2001 on
FIRST_YEAR, LAST_YEAR = 1950, 2100  # what the holidays package covers
MAKEUP_REF = re.compile(r"由 (\d{4}-\d{2}-\d{2}) 调休")
WEEKEND_IN_HOLIDAY = "周末（连休）"
# Labels the package gives a day that belong to another holiday's name.
SAME_AS = {"农历除夕": "春节", "春节延长假期": "春节"}


@dataclass(frozen=True)
class LibraryDay:
    day: date
    kind: DayKind
    name: str
    label: str


def _own_name(label: str) -> str | None:
    """The holiday a label names itself, or None for a substituted day off or a 补假."""
    if label.startswith("休息日") or "补假" in label:
        return None
    last = label.split("; ")[-1]  # 中秋节; 国庆节: the day is counted to the later, longer holiday
    return SAME_AS.get(last, last)


def announced_in_library(year: int) -> bool:
    return year in holiday_library.China(years=[]).special_public_holidays


def library_days(year: int) -> list[LibraryDay]:
    """The year's holidays and make-up working days as the package has them.

    A day off is named after its holiday period (假期): a 补假 or substituted day, and a weekend
    inside the period, take the name of the nearest day that names itself; a period that holds
    国庆节 is named 国庆节 throughout except 中秋节 itself (as the State Council's notices do).
    """
    lib = holiday_library.China(years=[year - 1, year, year + 1], language="zh_CN")
    workdays = set(lib.weekend_workdays)

    def off(day: date) -> bool:
        return day in lib or (day.weekday() >= 5 and day not in workdays)

    def period(day: date) -> list[date]:
        start = end = day
        while off(start - timedelta(days=1)):
            start -= timedelta(days=1)
        while off(end + timedelta(days=1)):
            end += timedelta(days=1)
        return [start + timedelta(days=i) for i in range((end - start).days + 1)]

    def name_of(day: date) -> str | None:
        own = _own_name(lib[day]) if day in lib else None
        if own:
            return own
        days = period(day)
        named = [(abs((d - day).days), d, n) for d in days if d in lib and (n := _own_name(lib[d]))]
        if not named:
            return None
        if any(n == "国庆节" for _, _, n in named):
            return "国庆节"
        return min(named)[2]

    found: list[LibraryDay] = []
    seen: set[date] = set()
    for day in sorted(lib):  # a period may start in the year before (元旦 after a weekend)
        for d in period(day):
            if d.year == year and d not in seen and (name := name_of(d)):
                seen.add(d)
                label = lib.get(d) or WEEKEND_IN_HOLIDAY
                found.append(LibraryDay(d, DayKind.HOLIDAY, name, label))
    for day_off, label in lib.items():
        if (ref := MAKEUP_REF.search(label)) and (work := date.fromisoformat(ref.group(1))).year == year:
            found.append(LibraryDay(work, DayKind.MAKEUP_WORKDAY, name_of(day_off) or "", f"调休上班（{day_off.isoformat()} 休息）"))
    return sorted(found, key=lambda d: d.day)


def check_year(year: int, field: str = "year") -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError(f"{field} must be between {FIRST_YEAR} and {LAST_YEAR} (got {year})", field=field, code="OUT_OF_RANGE")
    return year


async def sync(years: range, changes: list | None = None) -> dict[int, int]:
    """Replace the package's rows for these years (an ADMIN's corrections stay); {year: rows}.
    One read of the years' rows, then only what differs is written (bulk inserts). Series that
    follow the calendar are re-materialised in the same transaction; ``changes``, when given,
    receives their occurrence changes (announce them after it returns)."""
    for year in (years[0], years[-1]) if years else ():
        check_year(year)
    if not years:
        return {}
    async with in_transaction():  # all the years or none
        counts, moved = await _sync(years)
        refreshed = await follow_holiday_change(moved)
    if changes is not None:
        changes += refreshed.changes
    return counts


async def _sync(years: range) -> tuple[dict[int, int], set[date]]:
    source_version = package_version("holidays")
    stamp = now()
    first, last = date(years[0], 1, 1), date(years[-1], 12, 31)
    rows = await HolidayDay.filter(day__gte=first, day__lte=last)
    corrected = {row.day for row in rows if row.source is DaySource.ADMIN}
    existing = {row.day: row for row in rows if row.source is DaySource.LIBRARY}
    counts: dict[int, int] = {}
    wanted: dict[date, LibraryDay] = {}
    for year in years:
        found = [d for d in library_days(year) if d.day not in corrected]
        wanted |= {d.day: d for d in found}
        counts[year] = len(found)
    gone = [row.id for day, row in existing.items() if day not in wanted]
    moved = {day for day in existing if day not in wanted} | {day for day in wanted if day not in existing}
    if gone:
        await HolidayDay.filter(id__in=gone).delete()
    await HolidayDay.bulk_create([
        HolidayDay(day=day, kind=item.kind, name=item.name, label=item.label)
        for day, item in wanted.items() if day not in existing
    ])
    for day, item in wanted.items():
        row = existing.get(day)
        if row is not None and (row.kind, row.name, row.label) != (item.kind, item.name, item.label):
            moved.add(day)
            await HolidayDay.filter(id=row.id).update(
                kind=item.kind, name=item.name, label=item.label, version=row.version + 1, updated_at=stamp
            )
    year_rows = {row.year: row for row in await HolidayYear.filter(year__gte=years[0], year__lte=years[-1])}
    await HolidayYear.bulk_create([
        HolidayYear(year=year, announced=announced_in_library(year), synced_at=stamp, source_version=source_version)
        for year in years if year not in year_rows
    ])
    if year_rows:
        await HolidayYear.filter(year__in=list(year_rows)).update(synced_at=stamp, source_version=source_version)
    for year, row in year_rows.items():
        announced = announced_in_library(year)
        if row.announced_by is DaySource.LIBRARY and row.announced != announced:
            await HolidayYear.filter(year=year).update(announced=announced, version=row.version + 1, updated_at=stamp)
    return counts, moved


async def ensure_filled() -> bool:
    """Fill the default years on a database that has none yet (a fresh install); True if it did.
    Several workers starting at once on a fresh database: one fills, the others find it filled."""
    if await HolidayYear.exists():
        return False
    try:
        await sync(DEFAULT_YEARS)  # one transaction: all the years or none
    except IntegrityError:  # another worker filled it at the same moment
        return False
    return True


# An ADMIN's corrections -----------------------------------------------------------------------


def _check_correction(kind: DayKind, name: str | None, note: str | None) -> tuple[str, str]:
    name = validation.text(name, "name", max_length=50, required=kind is not DayKind.ORDINARY)
    if kind is DayKind.ORDINARY and name:
        raise DomainError("an ORDINARY day has no holiday name; leave name out", field="name", code="INVALID")
    return name, validation.text(note, "note", max_length=200, required=False)


async def correct_day(day: date, kind: DayKind, name: str | None, note: str | None,
                      version: int | None = None, changes: list | None = None) -> tuple[HolidayDay | None, HolidayDay]:
    """Set what a date is (a sync keeps it from then on); returns (the row before, after).
    Call inside a transaction: the series that follow the calendar move with it in it, and
    ``changes`` receives their occurrence changes (see _follow)."""
    check_year(day.year, "date")
    name, note = _check_correction(kind, name, note)
    row = await HolidayDay.get_or_none(day=day)
    label = {DayKind.HOLIDAY: name, DayKind.MAKEUP_WORKDAY: f"调休上班（{name}）", DayKind.ORDINARY: ""}[kind]
    if row is None:
        if version is not None:
            raise DomainError(f"{day} has no entry to be at version {version}; leave version out",
                              field="version", code="CONFLICT")
        created = await HolidayDay.create(day=day, kind=kind, name=name, label=label, source=DaySource.ADMIN, note=note)
        await _year_row(day.year)
        await _follow(day, changes)
        return None, created
    before = HolidayDay(**{f: getattr(row, f) for f in ("id", "day", "kind", "name", "label", "source", "note", "version")})
    if version is not None:
        check_version(row, version, f"the entry for {day}")
    row = await save_versioned(
        row, row.version, {"kind": kind, "name": name, "label": label, "source": DaySource.ADMIN, "note": note},
        f"the entry for {day}",
    )
    await _follow(day, changes)
    return before, row


async def _follow(day: date, changes: list | None) -> None:
    """Re-materialise the series whose dates the change to ``day`` moves, in the caller's
    transaction (api/domain/occurrences.py, follow_holiday_change)."""
    refreshed = await follow_holiday_change([day])
    if changes is not None:
        changes += refreshed.changes


async def revert_day(day: date, changes: list | None = None) -> tuple[HolidayDay, HolidayDay | None]:
    """Drop an ADMIN's correction: the date is what the holidays package says again (inside a
    transaction; the series that follow the calendar move with it, as for correct_day)."""
    row = await HolidayDay.get_or_none(day=day, source=DaySource.ADMIN)
    if row is None:
        raise DomainError(f"{day} has no correction to revert", field="date", code="NOT_FOUND")
    await HolidayDay.filter(id=row.id).delete()
    item = next((d for d in library_days(day.year) if d.day == day), None)
    restored = None
    if item is not None:
        restored = await HolidayDay.create(day=day, kind=item.kind, name=item.name, label=item.label)
    await _follow(day, changes)
    return row, restored


async def _year_row(year: int) -> HolidayYear:
    row = await HolidayYear.get_or_none(year=year)
    return row or await HolidayYear.create(year=year, announced=False)


async def announce_year(year: int, announced: bool, version: int | None = None) -> HolidayYear:
    """Mark a year announced (its schedule is entered: no longer provisional) or provisional."""
    check_year(year)
    row = await _year_row(year)
    if version is not None:
        check_version(row, version, f"the year {year}")
    return await save_versioned(row, row.version, {"announced": announced, "announced_by": DaySource.ADMIN}, f"the year {year}")


# The table as runs of days, for the holiday feed ----------------------------------------------


@dataclass(frozen=True)
class Period:
    """Consecutive days off of one holiday, or one make-up working day."""

    kind: DayKind
    name: str
    first: date
    last: date
    provisional: bool
    version: int  # the highest version of its rows: a correction moves SEQUENCE
    updated_at: object  # the latest change of its rows


async def periods(first_year: int, last_year: int) -> list[Period]:
    rows = await HolidayDay.filter(
        day__gte=date(first_year, 1, 1), day__lte=date(last_year, 12, 31), kind__not=DayKind.ORDINARY
    ).order_by("day")
    announced = dict(await HolidayYear.filter(year__gte=first_year, year__lte=last_year).values_list("year", "announced"))
    found: list[Period] = []
    for row in rows:
        provisional = not announced.get(row.day.year, False)
        last = found[-1] if found else None
        if (last is not None and row.kind is DayKind.HOLIDAY and last.kind is DayKind.HOLIDAY
                and last.name == row.name and last.last + timedelta(days=1) == row.day):
            found[-1] = Period(last.kind, last.name, last.first, row.day, last.provisional or provisional,
                               max(last.version, row.version), max(last.updated_at, row.updated_at))
        else:
            found.append(Period(row.kind, row.name, row.day, row.day, provisional, row.version, row.updated_at))
    return found


async def announced_years(first_year: int, last_year: int) -> list[int]:
    return list(await HolidayYear.filter(year__gte=first_year, year__lte=last_year, announced=True)
                .order_by("year").values_list("year", flat=True))
