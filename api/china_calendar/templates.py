"""The festival calendar (节日活动): the year's standard festival and campaign days computed
from their rules (a lunar date, a solar term, a fixed date), for a centre to adopt as campaigns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from api.china_calendar.lunar import year_almanac
from api.domain.errors import DomainError
from api.models.events import Campaign, CampaignKind

FIRST_YEAR, LAST_YEAR = 1901, 2199  # the dates any caller may name (api/domain/validation.py)


@dataclass(frozen=True)
class Rule:
    key: str  # stable, for adopting: SPRING, LANTERN, LEIFENG ...
    festival: str  # 春节
    rule: str  # how the day is found, as a person says it: 农历正月初一
    find: Callable[[int], date]
    before: int  # the campaign starts this many days before the day
    after: int  # ... and ends this many days after it
    title: str  # the campaign's name after the year: “我们的节日·春节”
    description: str


@dataclass(frozen=True)
class CampaignTemplate:
    key: str
    festival: str
    rule: str
    day: date
    name: str
    kind: CampaignKind
    starts_on: date
    ends_on: date
    description: str


def _lunar(month: int, day: int) -> Callable[[int], date]:
    def find(year: int) -> date:
        return next(d for d, a in year_almanac(year).items()
                    if (a.lunar.month, a.lunar.day, a.lunar.leap) == (month, day, False))
    return find


def _term(name: str) -> Callable[[int], date]:
    def find(year: int) -> date:
        return next(d for d, a in year_almanac(year).items() if a.solar_term == name)
    return find


def _fixed(month: int, day: int) -> Callable[[int], date]:
    return lambda year: date(year, month, day)


def _eve(year: int) -> date:
    return _lunar(1, 1)(year) - timedelta(days=1)  # the last day of 腊月, 29th or 30th


RULES = (
    Rule("NEW_YEAR", "元旦", "公历1月1日", _fixed(1, 1), 4, 2, "元旦“文明迎新年”志愿服务活动",
         "辞旧迎新，开展文明实践志愿服务进社区、进乡村。"),
    Rule("EVE", "除夕", "农历腊月最后一天", _eve, 0, 0, "“我们的节日·除夕”守岁团圆",
         "看望空巢老人和困难群众，一起包饺子、吃年夜饭。"),
    Rule("SPRING", "春节", "农历正月初一", _lunar(1, 1), 10, 6, "“我们的节日·春节”",
         "写春联、送福字、文艺汇演，欢欢喜喜过大年。"),
    Rule("LANTERN", "元宵节", "农历正月十五", _lunar(1, 15), 2, 0, "“我们的节日·元宵”",
         "猜灯谜、闹元宵、踩街民俗活动。"),
    Rule("LEIFENG", "学雷锋日", "公历3月5日（学雷锋纪念日）", _fixed(3, 5), 4, 26, "“学雷锋志愿服务月”",
         "3月5日学雷锋纪念日，集中开展学雷锋志愿服务活动。"),
    Rule("QINGMING", "清明节", "清明节气", _term("清明"), 7, 2, "“我们的节日·清明”文明祭扫",
         "倡导文明祭扫、绿色殡葬，缅怀革命先烈。"),
    Rule("DRAGON_BOAT", "端午节", "农历五月初五", _lunar(5, 5), 4, 0, "“我们的节日·端午”",
         "包粽子、话端午、龙舟竞渡。"),
    Rule("QIXI", "七夕节", "农历七月初七", _lunar(7, 7), 2, 0, "“我们的节日·七夕”",
         "弘扬爱情婚姻家庭美德，倡导婚事新办、移风易俗。"),
    Rule("MID_AUTUMN", "中秋节", "农历八月十五", _lunar(8, 15), 4, 1, "“我们的节日·中秋”",
         "中秋博饼、赏月诵诗、邻里团圆宴。"),
    Rule("NATIONAL_DAY", "国庆节", "公历10月1日", _fixed(10, 1), 3, 6, "“我和我的祖国”国庆主题活动",
         "唱响爱国主旋律，开展国庆快闪、升旗仪式等活动。"),
    Rule("DOUBLE_NINTH", "重阳节", "农历九月初九", _lunar(9, 9), 7, 0, "“我们的节日·重阳”敬老月",
         "敬老爱老，义诊、义剪、慰问老人。"),
    Rule("VOLUNTEER_DAY", "国际志愿者日", "公历12月5日", _fixed(12, 5), 0, 0, "国际志愿者日志愿服务集中行动",
         "志愿者注册宣传、优秀志愿者礼遇、志愿服务项目展示。"),
)
KEYS = tuple(rule.key for rule in RULES)


def check_year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError(f"year must be between {FIRST_YEAR} and {LAST_YEAR} (got {year})", field="year", code="OUT_OF_RANGE")
    return year


def campaign_templates(year: int, keys: list[str] | None = None) -> list[CampaignTemplate]:
    """The year's festival campaigns by their rules, in date order; `keys` picks some."""
    check_year(year)
    if keys is not None:
        unknown = sorted(set(keys) - set(KEYS))
        if unknown:
            raise DomainError(f"no campaign template {', '.join(unknown)}; the keys are {', '.join(KEYS)}",
                              field="keys", code="NOT_FOUND")
    found = []
    for rule in RULES:
        if keys is not None and rule.key not in keys:
            continue
        day = rule.find(year)
        found.append(CampaignTemplate(
            key=rule.key, festival=rule.festival, rule=rule.rule, day=day, name=f"{year}年{rule.title}",
            kind=CampaignKind.FESTIVAL, starts_on=day - timedelta(days=rule.before),
            ends_on=day + timedelta(days=rule.after), description=rule.description,
        ))
    return sorted(found, key=lambda t: (t.day, KEYS.index(t.key)))


async def adopted(templates: list[CampaignTemplate]) -> dict[str, Campaign]:
    """The campaigns already made from these templates (same name and first day), by key."""
    rows = await Campaign.filter(deleted_at=None, name__in=[t.name for t in templates])
    by_name = {(row.name, row.starts_on): row for row in rows}
    return {t.key: by_name[(t.name, t.starts_on)] for t in templates if (t.name, t.starts_on) in by_name}


async def adopt(year: int, keys: list[str] | None) -> tuple[list[Campaign], list[Campaign]]:
    """Create the campaigns of these templates not adopted yet: (created, all of them)."""
    templates = campaign_templates(year, keys)
    existing = await adopted(templates)
    created, all_of_them = [], []
    for template in templates:
        row = existing.get(template.key)
        if row is None:
            row = await Campaign.create(kind=template.kind, name=template.name, starts_on=template.starts_on,
                                        ends_on=template.ends_on, description=template.description)
            created.append(row)
        all_of_them.append(row)
    return created, all_of_them
