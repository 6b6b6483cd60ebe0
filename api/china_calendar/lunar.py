"""Lunar dates, solar terms and festivals of a Gregorian year, from tyme4py (astronomical,
correct far beyond 2100; the table-based libraries disagree near midnight new moons).

tyme4py answers one day in about 2 ms, too slow for a year's window on every request; the
year is computed once month by month (a lunar month's first day and length) and kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from tyme4py.festival import LunarFestival, SolarFestival
from tyme4py.lunar import LunarDay, LunarYear
from tyme4py.solar import SolarDay, SolarTerm

# The customary names of the 11th and 12th months (冬月, 腊月); tyme4py says 十一月, 十二月.
MONTH_NAMES = {"十一月": "冬月", "十二月": "腊月"}
# Days the practice centres keep besides the traditional and statutory festivals.
PRACTICE_DAYS = {
    (3, 5): "学雷锋日",
    (4, 15): "全民国家安全教育日",
    (12, 4): "国家宪法日",
    (12, 5): "国际志愿者日",
}
HARVEST_FESTIVAL_TERM = "秋分"  # 中国农民丰收节 falls on the autumn equinox


@dataclass(frozen=True)
class LunarDate:
    year: str  # the sexagenary year, 丙午
    month: int  # 1-12
    day: int  # 1-30
    leap: bool  # a leap month (闰月)
    month_name: str  # 正月, 闰六月, 冬月, 腊月
    day_name: str  # 初一, 十五, 廿三

    @property
    def text(self) -> str:
        return f"{self.month_name}{self.day_name}"


@dataclass(frozen=True)
class AlmanacDay:
    lunar: LunarDate
    solar_term: str | None
    festivals: tuple[str, ...]


def _date(day: SolarDay) -> date:
    return date(day.get_year(), day.get_month(), day.get_day())


def _month_name(name: str) -> str:
    leap = name.startswith("闰")
    base = name.removeprefix("闰")
    return ("闰" if leap else "") + MONTH_NAMES.get(base, base)


@lru_cache(maxsize=64)
def year_almanac(year: int) -> dict[date, AlmanacDay]:
    first, last = date(year, 1, 1), date(year, 12, 31)
    lunar: dict[date, LunarDate] = {}
    month = SolarDay.from_ymd(year, 1, 1).get_lunar_day().get_lunar_month()
    while True:
        start = _date(month.get_first_julian_day().get_solar_day())
        if start > last:
            break
        cycle = LunarYear.from_year(month.get_year()).get_sixty_cycle().get_name()
        name = _month_name(month.get_name())
        for i in range(month.get_day_count()):
            day = start + timedelta(days=i)
            if first <= day <= last:
                lunar[day] = LunarDate(cycle, month.get_month(), i + 1, month.is_leap(), name, LunarDay.NAMES[i])
        month = month.next(1)

    terms: dict[date, str] = {}
    for index in range(26):  # index 0 is the previous December's 冬至, 25 next January's 小寒
        term = SolarTerm.from_index(year, index)
        day = _date(term.get_julian_day().get_solar_day())
        if first <= day <= last:
            terms[day] = term.get_name()

    festivals: dict[date, list[str]] = {}
    for lunar_year in (year - 1, year):
        for index in range(len(LunarFestival.NAMES)):
            festival = LunarFestival.from_index(lunar_year, index)
            day = _date(festival.get_day().get_solar_day())
            if first <= day <= last:
                festivals.setdefault(day, []).append(festival.get_name())
    for index in range(len(SolarFestival.NAMES)):
        festival = SolarFestival.from_index(year, index)
        if festival is not None:
            festivals.setdefault(_date(festival.get_day()), []).append(festival.get_name())
    for (month_no, day_no), name in PRACTICE_DAYS.items():
        festivals.setdefault(date(year, month_no, day_no), []).append(name)
    for day, term_name in terms.items():
        if term_name == HARVEST_FESTIVAL_TERM and year >= 2018:  # 中国农民丰收节, since 2018
            festivals.setdefault(day, []).append("中国农民丰收节")

    return {
        day: AlmanacDay(lunar[day], terms.get(day), tuple(festivals.get(day, ())))
        for day in sorted(lunar)
    }


def almanac_day(day: date) -> AlmanacDay:
    return year_almanac(day.year)[day]
