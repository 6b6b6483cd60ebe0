"""Festival campaigns, monthly themes and concentrated activity days (集中活动日).

Festivals are the year's campaign templates (api/china_calendar/templates.py): lunar festivals
move every year, and their dates come from the lunar calendar, for any year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from api.china_calendar.templates import CampaignTemplate, campaign_templates
from api.models.events import Campaign, CampaignKind

MONTHLY_THEMES = {
    1: "移风易俗树新风",
    2: "我们的节日·温暖过大年",
    3: "学雷锋 文明实践我行动",
    4: "文明祭扫 绿色出行",
    5: "劳动创造幸福",
    6: "守护绿水青山",
    7: "永远跟党走",
    8: "全民健身 强国有我",
    9: "尊师重教 立德树人",
    10: "我和我的祖国",
    11: "法治护航 平安同行",
    12: "宪法宣传 志愿同行",
}
ACTIVITY_DAY = 5  # the 5th of each month, after 学雷锋日 on 3月5日


Festival = CampaignTemplate


def festivals(year: int) -> list[Festival]:
    """The year's festival campaigns, from the rules a centre adopts them by (campaignTemplates)."""
    return campaign_templates(year)


def months_between(first: date, last: date) -> list[tuple[int, int]]:
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@dataclass
class CampaignIndex:
    """The campaigns created, and which one a date falls in."""

    festivals: list[tuple[Festival, Campaign]]
    themes: dict[tuple[int, int], Campaign]
    activity_days: dict[date, Campaign]

    def festival_on(self, day: date) -> tuple[Festival, Campaign] | None:
        for fest, campaign in self.festivals:
            if fest.starts_on <= day <= fest.ends_on:
                return fest, campaign
        return None

    def theme_of(self, day: date) -> Campaign | None:
        return self.themes.get((day.year, day.month))


async def create_campaigns(today: date, first: date, last: date) -> CampaignIndex:
    """Festivals of the current and next year (and any year the event window touches),
    a theme for every month of the window, and the monthly activity days."""
    years = range(min(first.year, today.year), max(last.year, today.year + 1) + 1)
    index = CampaignIndex([], {}, {})
    for year in years:
        for fest in festivals(year):
            campaign = await Campaign.create(
                kind=CampaignKind.FESTIVAL, name=fest.name, starts_on=fest.starts_on, ends_on=fest.ends_on,
                description=fest.description,
            )
            index.festivals.append((fest, campaign))
    for y, m in months_between(first, last):
        month_end = (date(y + (m == 12), m % 12 + 1, 1)) - timedelta(days=1)
        index.themes[(y, m)] = await Campaign.create(
            kind=CampaignKind.MONTHLY_THEME, name=f"{y}年{m}月主题：{MONTHLY_THEMES[m]}",
            starts_on=date(y, m, 1), ends_on=month_end,
            description=f"围绕“{MONTHLY_THEMES[m]}”主题，每月一主题、每周有活动。",
        )
        day = date(y, m, ACTIVITY_DAY)
        index.activity_days[day] = await Campaign.create(
            kind=CampaignKind.ACTIVITY_DAY, name=f"{y}年{m}月新时代文明实践集中活动日",
            starts_on=day, ends_on=day, description="各中心、所、站同步开展文明实践志愿服务。",
        )
    return index
