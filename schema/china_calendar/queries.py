"""Reading China's calendar: calendar days of a window, and the holiday table's years."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from api.china_calendar.days import MAX_DAYS, calendar_days
from api.china_calendar.holidays import check_year
from api.models.china_calendar import HolidayYear as YearRow
from schema.china_calendar.types import CalendarDay, HolidayYear


@strawberry.type(description="China's calendar: public holidays, make-up working days, lunar dates, festivals.")
class ChinaCalendarQuery:
    @strawberry.field(
        description="Every date from `from` to `to` (both included, at most "
        f"{MAX_DAYS} days): working day, holiday, make-up working day (调休), lunar date (农历), "
        "solar term (节气), festivals and campaigns running. Public."
    )
    async def calendar_days(
        self,
        start: Annotated[date, strawberry.argument(name="from", description="First date")],
        end: Annotated[date, strawberry.argument(name="to", description="Last date (included)")],
    ) -> list[CalendarDay]:
        return [CalendarDay.of(day) for day in await calendar_days(start, end)]

    @strawberry.field(description="The years of the holiday table (节假日安排), each announced or provisional (暂定). Public.")
    async def holiday_years(
        self,
        start: Annotated[int, strawberry.argument(name="from", description="First year")],
        end: Annotated[int, strawberry.argument(name="to", description="Last year (included)")],
    ) -> list[HolidayYear]:
        check_year(start, "from")
        check_year(end, "to")
        return [HolidayYear.of(row) for row in await YearRow.filter(year__gte=start, year__lte=end)]
