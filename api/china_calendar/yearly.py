"""Events that recur every year on a lunar date (every 正月十五) or a solar term (清明).

RRULE cannot say either, so such an event is materialised as dated occurrences and its feed
sends them as RDATEs (api/domain/recurrence.py). The dates come from tyme4py, as the calendar
days do (api/china_calendar/lunar.py).

Dates that do not exist every year:
- day 30 (三十) of a month that has 29 days that year falls on its last day (廿九), as 除夕 is
  the last day of 腊月 whatever its length;
- a leap month (闰六月) in a year without that leap month falls in the ordinary month (六月).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tyme4py.lunar import LunarDay, LunarMonth, LunarYear
from tyme4py.solar import SolarTerm

from api.domain.errors import DomainError

SOLAR_TERMS = tuple(SolarTerm.NAMES)
MONTH_NAMES = ("正月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "冬月", "腊月")


@dataclass(frozen=True)
class YearlyRule:
    """Every year on a lunar date, or on a solar term (exactly one of the two)."""

    lunar_month: int | None = None  # 1-12
    lunar_day: int | None = None  # 1-30
    leap: bool = False
    solar_term: str | None = None

    @classmethod
    def of(cls, lunar: dict | None, solar_term: str | None) -> YearlyRule | None:
        if lunar:
            return cls(lunar_month=lunar["month"], lunar_day=lunar["day"], leap=bool(lunar.get("leap")))
        return cls(solar_term=solar_term) if solar_term else None

    @property
    def name(self) -> str:
        """As people say it: 正月十五, 闰六月初一, 清明."""
        if self.solar_term:
            return self.solar_term
        return ("闰" if self.leap else "") + MONTH_NAMES[self.lunar_month - 1] + LunarDay.NAMES[self.lunar_day - 1]

    def dates(self, first: date, last: date) -> list[date]:
        """Every date of the rule from ``first`` to ``last``, both included, in order."""
        found = self._term_dates(first, last) if self.solar_term else self._lunar_dates(first, last)
        return sorted({d for d in found if first <= d <= last})

    def _term_dates(self, first: date, last: date) -> list[date]:
        # SolarTerm.from_name(year, "冬至") is the December before `year`: look one year further.
        return [_solar(SolarTerm.from_name(year, self.solar_term).get_julian_day().get_solar_day())
                for year in range(first.year, last.year + 2)]

    def _lunar_dates(self, first: date, last: date) -> list[date]:
        out = []
        for year in range(first.year - 1, last.year + 1):  # 腊月 of lunar year Y is in January of Y + 1
            month_no = self.lunar_month
            if self.leap and LunarYear.from_year(year).get_leap_month() == self.lunar_month:
                month_no = -self.lunar_month  # tyme4py's leap months are negative
            month = LunarMonth.from_ym(year, month_no)
            day = min(self.lunar_day, month.get_day_count())
            out.append(_solar(LunarDay.from_ymd(year, month_no, day).get_solar_day()))
        return out


def _solar(day) -> date:
    return date(day.get_year(), day.get_month(), day.get_day())


def check(lunar: dict | None, solar_term: str | None, rrule: str | None) -> YearlyRule | None:
    """The rule an event's input asks for, or a DomainError naming the field that is wrong."""
    if lunar and solar_term:
        raise DomainError("give lunarRecurrence or solarTerm, not both", field="solarTerm", code="TWO_RULES")
    if (lunar or solar_term) and rrule:
        field = "lunarRecurrence" if lunar else "solarTerm"
        raise DomainError(f"{field} and rrule are two ways to repeat an event: give one of them",
                          field=field, code="TWO_RULES")
    if lunar:
        month, day = lunar.get("month"), lunar.get("day")
        if not isinstance(month, int) or not 1 <= month <= 12:
            raise DomainError(f"lunarRecurrence.month must be 1-12 (正月 to 腊月), got {month}",
                              field="lunarRecurrence.month", code="OUT_OF_RANGE")
        if not isinstance(day, int) or not 1 <= day <= 30:
            raise DomainError(f"lunarRecurrence.day must be 1-30 (初一 to 三十), got {day}; a day 30 falls on "
                              "the month's last day in a year whose month has 29", field="lunarRecurrence.day",
                              code="OUT_OF_RANGE")
    if solar_term is not None and solar_term not in SOLAR_TERMS:
        raise DomainError(f"solarTerm {solar_term!r} is not one of the 24 solar terms: {'、'.join(SOLAR_TERMS)}",
                          field="solarTerm", code="NOT_A_SOLAR_TERM")
    return YearlyRule.of(lunar, solar_term)


def check_start(rule: YearlyRule, start: date) -> None:
    """A yearly event starts on its first occurrence (as a series starts on its rule's first)."""
    if rule.dates(start, start):
        return
    following = rule.dates(start, date(start.year + 2, start.month, 1))
    field = "solarTerm" if rule.solar_term else "lunarRecurrence"
    hint = f"; the next {rule.name} is {following[0].isoformat()}: start it then" if following else ""
    raise DomainError(f"startsAt ({start.isoformat()}) is not {rule.name}{hint}", field=field, code="START_NOT_IN_RULE")

