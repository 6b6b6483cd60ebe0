"""Reading China's calendar: calendar days of a window, and the holiday table's years."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from api.china_calendar.days import MAX_DAYS, calendar_days
from api.china_calendar import templates
from api.china_calendar.holidays import check_year
from api.models.china_calendar import HolidayYear as YearRow
from schema.china_calendar.types import CalendarDay, CampaignTemplate, HolidayYear


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

    @strawberry.field(
        description="The standard festival and campaign days of a year computed from their rules (春节 元宵 清明 端午 "
        "七夕 中秋 重阳 除夕, 3月5日 学雷锋日, 12月5日 国际志愿者日 ...), each with the campaign a centre may adopt "
        "(adoptCampaignTemplates). Public."
    )
    async def campaign_templates(
        self, year: Annotated[int, strawberry.argument(description=f"The year, {templates.FIRST_YEAR}-{templates.LAST_YEAR}")]
    ) -> list[CampaignTemplate]:
        found = templates.campaign_templates(year)
        adopted = await templates.adopted(found)
        return [CampaignTemplate.of(t, adopted.get(t.key)) for t in found]
