"""Festival campaigns, monthly themes and concentrated activity days (集中活动日).

Lunar festivals move every year, so their Gregorian dates come from a table; a year outside
the table simply has no lunar festivals in the demo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from api.models.events import Campaign, CampaignKind

# Gregorian dates of 春节 (1/1), 端午 (5/5), 中秋 (8/15) and 重阳 (9/9) of the lunar calendar.
# 元宵 (1/15) is always 春节 + 14 days.
LUNAR_FESTIVALS: dict[int, tuple[date, date, date, date]] = {
    2023: (date(2023, 1, 22), date(2023, 6, 22), date(2023, 9, 29), date(2023, 10, 23)),
    2024: (date(2024, 2, 10), date(2024, 6, 10), date(2024, 9, 17), date(2024, 10, 11)),
    2025: (date(2025, 1, 29), date(2025, 5, 31), date(2025, 10, 6), date(2025, 10, 29)),
    2026: (date(2026, 2, 17), date(2026, 6, 19), date(2026, 9, 25), date(2026, 10, 18)),
    2027: (date(2027, 2, 6), date(2027, 6, 9), date(2027, 9, 15), date(2027, 10, 8)),
    2028: (date(2028, 1, 26), date(2028, 5, 28), date(2028, 10, 3), date(2028, 10, 26)),
    2029: (date(2029, 2, 13), date(2029, 6, 16), date(2029, 9, 22), date(2029, 10, 16)),
    2030: (date(2030, 2, 3), date(2030, 6, 5), date(2030, 9, 12), date(2030, 10, 5)),
}

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


@dataclass(frozen=True)
class Festival:
    key: str  # SPRING, LANTERN, LEIFENG, QINGMING, DRAGON_BOAT, MID_AUTUMN, NATIONAL_DAY, DOUBLE_NINTH, NEW_YEAR
    name: str
    day: date  # the festival day itself
    starts_on: date
    ends_on: date
    description: str


def festivals(year: int) -> list[Festival]:
    out = [
        Festival("NEW_YEAR", f"{year}年元旦“文明迎新年”志愿服务活动", date(year, 1, 1), date(year - 1, 12, 28),
                 date(year, 1, 3), "辞旧迎新，开展文明实践志愿服务进社区、进乡村。"),
        Festival("LEIFENG", f"{year}年“学雷锋志愿服务月”", date(year, 3, 5), date(year, 3, 1), date(year, 3, 31),
                 "3月5日学雷锋纪念日，集中开展学雷锋志愿服务活动。"),
        Festival("QINGMING", f"{year}年“我们的节日·清明”文明祭扫", date(year, 4, 4), date(year, 3, 28),
                 date(year, 4, 6), "倡导文明祭扫、绿色殡葬，缅怀革命先烈。"),
        Festival("NATIONAL_DAY", f"{year}年“我和我的祖国”国庆主题活动", date(year, 10, 1), date(year, 9, 28),
                 date(year, 10, 7), "唱响爱国主旋律，开展国庆快闪、升旗仪式等活动。"),
    ]
    if year in LUNAR_FESTIVALS:
        spring, dragon, mid_autumn, double_ninth = LUNAR_FESTIVALS[year]
        lantern = spring + timedelta(days=14)
        out += [
            Festival("SPRING", f"{year}年“我们的节日·春节”", spring, spring - timedelta(days=10),
                     spring + timedelta(days=6), "写春联、送福字、文艺汇演，欢欢喜喜过大年。"),
            Festival("LANTERN", f"{year}年“我们的节日·元宵”", lantern, lantern - timedelta(days=2), lantern,
                     "猜灯谜、闹元宵、踩街民俗活动。"),
            Festival("DRAGON_BOAT", f"{year}年“我们的节日·端午”", dragon, dragon - timedelta(days=4), dragon,
                     "包粽子、话端午、龙舟竞渡。"),
            Festival("MID_AUTUMN", f"{year}年“我们的节日·中秋”", mid_autumn, mid_autumn - timedelta(days=4),
                     mid_autumn + timedelta(days=1), "中秋博饼、赏月诵诗、邻里团圆宴。"),
            Festival("DOUBLE_NINTH", f"{year}年“我们的节日·重阳”敬老月", double_ninth,
                     double_ninth - timedelta(days=7), double_ninth, "敬老爱老，义诊、义剪、慰问老人。"),
        ]
    return sorted(out, key=lambda f: (f.starts_on, f.key))


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
