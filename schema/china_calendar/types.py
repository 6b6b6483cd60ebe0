"""China's calendar as GraphQL types: a calendar day, its lunar date, a year of the holiday table."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from api.china_calendar.days import CalendarDay as Day
from api.china_calendar.lunar import LunarDate as Lunar
from api.china_calendar.templates import CampaignTemplate as Template
from api.domain.clock import local
from api.models.china_calendar import DayKind, DaySource
from api.models.china_calendar import HolidayYear as YearRow
from api.models.events import Campaign as CampaignRow
from schema.core.enums import CampaignKindEnum, graphql_enum
from schema.network.types import Campaign

DayKindEnum = graphql_enum(DayKind, "What an entry of the holiday table makes a date (节假日安排).", {
    "HOLIDAY": "放假: a day off of a public holiday, the weekend inside the holiday included",
    "MAKEUP_WORKDAY": "调休上班: a weekend day worked in exchange for a day off",
    "ORDINARY": "正常: the weekday rule (Monday to Friday work); an ADMIN's correction that removes an entry",
})
DaySourceEnum = graphql_enum(DaySource, "Where the holiday table's data comes from.", {
    "LIBRARY": "节假日数据包: the holidays package (the State Council's notices); a sync refreshes it",
    "ADMIN": "管理员更正: an administrator's correction; a sync keeps it",
})


@strawberry.type(name="LunarDate", description="A date of the Chinese lunar calendar (农历), from tyme4py.")
class LunarDate:
    text: str = strawberry.field(description="Month and day as written: 腊月廿三, 正月初一, 闰六月初一")
    year: str = strawberry.field(description="The sexagenary year (干支纪年) the lunar year is named by: 丙午")
    month: int = strawberry.field(description="Month, 1-12 (正月 is 1, 腊月 12)")
    day: int = strawberry.field(description="Day of the month, 1-30")
    leap_month: bool = strawberry.field(description="The month is a leap month (闰月)")
    month_name: str = strawberry.field(description="The month's name: 正月 ... 十月, 冬月, 腊月, with 闰 before a leap month")
    day_name: str = strawberry.field(description="The day's name: 初一 ... 初十, 十一 ... 二十, 廿一 ... 三十")

    @classmethod
    def of(cls, lunar: Lunar) -> LunarDate:
        return cls(text=lunar.text, year=lunar.year, month=lunar.month, day=lunar.day, leap_month=lunar.leap,
                   month_name=lunar.month_name, day_name=lunar.day_name)


@strawberry.type(name="CalendarDay", description="One date of China's calendar (日历): working day or not, "
                 "the holiday (节假日) and make-up working day (调休), lunar date (农历), solar term (节气), "
                 "festivals (节日) and the campaigns running.")
class CalendarDay:
    date: date = strawberry.field(description="The Gregorian date")
    weekday: int = strawberry.field(description="Day of the week, 1 (Monday, 星期一) to 7 (Sunday, 星期日)")
    workday: bool = strawberry.field(description="A working day (工作日): Monday to Friday unless a holiday, or a make-up working day")
    holiday_name: str | None = strawberry.field(description="The public holiday this day off belongs to (国庆节), the weekend inside it included; null on other days")
    makeup_workday: bool = strawberry.field(description="A make-up working day (调休上班): a weekend day that is worked")
    makeup_for: str | None = strawberry.field(description="The holiday a make-up working day pays for (春节); null on other days")
    holiday_label: str | None = strawberry.field(description="The holiday table's wording: 国庆节（补假）, 周末（连休）, 休息日（由 2026-09-20 调休）")
    corrected: bool = strawberry.field(description="An administrator corrected this date (管理员更正)")
    provisional: bool = strawberry.field(
        description="The year's holiday schedule is not announced yet (暂定): festival days by rule, no make-up working days"
    )
    lunar: LunarDate = strawberry.field(description="The lunar date (农历)")
    lunar_date: str = strawberry.field(description="The lunar date as written: 腊月廿三 (the same as lunar.text)")
    solar_term: str | None = strawberry.field(description="The solar term (二十四节气) that begins this day: 清明, 冬至; null on other days")
    festivals: list[str] = strawberry.field(
        description="Festivals and observances of the day (节日): lunar (春节, 元宵节, 端午节, 七夕节, 中秋节, 重阳节, 除夕), "
        "statutory (元旦, 劳动节, 国庆节), solar-term (清明节, 冬至节) and practice days (学雷锋日, 国际志愿者日)"
    )
    campaigns: list[Campaign] = strawberry.field(description="Campaigns (活动主题) running this day, by start date")

    @classmethod
    def of(cls, day: Day) -> CalendarDay:
        return cls(
            date=day.day, weekday=day.day.isoweekday(), workday=day.workday, holiday_name=day.holiday_name,
            makeup_workday=day.makeup_workday, makeup_for=day.makeup_for, holiday_label=day.label,
            corrected=day.corrected, provisional=day.provisional, lunar=LunarDate.of(day.almanac.lunar),
            lunar_date=day.almanac.lunar.text, solar_term=day.almanac.solar_term, festivals=list(day.almanac.festivals),
            campaigns=[Campaign.from_row(c) for c in day.campaigns],
        )


@strawberry.type(name="HolidayYear", description="One year of the holiday table (节假日安排): announced or provisional.")
class HolidayYear:
    year: int = strawberry.field(description="The year")
    announced: bool = strawberry.field(description="The State Council's schedule for the year is in the table (已公布)")
    provisional: bool = strawberry.field(description="Not announced (暂定): festival days by rule, no make-up working days")
    announced_by: DaySourceEnum = strawberry.field(description="Who decided announced: the holidays package, or an administrator")
    synced_at: datetime | None = strawberry.field(description="When `wenming holidays sync` last filled the year")
    source_version: str = strawberry.field(description="The holidays package's version at that sync")
    version: int = strawberry.field(description="Grows by one on every change: send it back with announceHolidayYear")

    @classmethod
    def of(cls, row: YearRow) -> HolidayYear:
        return cls(year=row.year, announced=row.announced, provisional=not row.announced,
                   announced_by=DaySourceEnum(row.announced_by.value), synced_at=row.synced_at and local(row.synced_at),
                   source_version=row.source_version, version=row.version)


@strawberry.type(name="CampaignTemplate", description="A festival or campaign day of a year computed from its rule "
                 "(节日活动模板): a lunar date, a solar term or a fixed date, with the campaign a centre may adopt.")
class CampaignTemplate:
    key: str = strawberry.field(description="Stable key for adoptCampaignTemplates: SPRING, LANTERN, LEIFENG, QINGMING ...")
    festival: str = strawberry.field(description="The festival or day: 春节, 学雷锋日")
    rule: str = strawberry.field(description="How its date is found: 农历正月初一, 清明节气, 公历3月5日")
    day: date = strawberry.field(description="The festival's date this year")
    name: str = strawberry.field(description="The campaign's name: 2026年“我们的节日·春节”")
    kind: CampaignKindEnum = strawberry.field(description="The campaign's kind (FESTIVAL)")
    starts_on: date = strawberry.field(description="The campaign's first day (the run-up to the festival)")
    ends_on: date = strawberry.field(description="The campaign's last day (inclusive)")
    description: str = strawberry.field(description="The campaign's description")
    adopted: Campaign | None = strawberry.field(description="The campaign made from it (same name and first day), or null")

    @classmethod
    def of(cls, template: Template, campaign: CampaignRow | None) -> CampaignTemplate:
        return cls(key=template.key, festival=template.festival, rule=template.rule, day=template.day, name=template.name,
                   kind=CampaignKindEnum(template.kind.value), starts_on=template.starts_on, ends_on=template.ends_on,
                   description=template.description, adopted=Campaign.from_optional(campaign))
