"""The six sheets (sites, venues, teams, people, memberships, events): their columns, in order.

One list per kind serves the template (header, note, drop-down, example), the import (how a
cell is read) and the export (which attribute fills it), so the three never drift apart."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from api.sheets import cells, labels
from api.sheets.cells import Reader

PLATFORMS = "platforms"  # a drop-down filled from the database's platforms


@dataclass(frozen=True)
class Column:
    header: str  # as written in row 1 of the sheet
    key: str  # the row field it fills
    note: str  # the header's comment: what to write
    read: Reader
    example: Any = ""
    required: bool = False
    choices: tuple[str, ...] | str = ()  # drop-down words (or PLATFORMS)
    private: bool = False  # personal data: exported only to those who may see it


@dataclass(frozen=True)
class Sheet:
    kind: str  # the CLI and URL name: sites, teams ...
    title: str  # the sheet's Chinese name
    key_note: str  # how a row finds the record it updates (documented natural key)
    columns: tuple[Column, ...] = field(default_factory=tuple)

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


def _yes_no(header: str, key: str, note: str, example: str = "是") -> Column:
    return Column(header, key, f"{note}：是 或 否，空白为否", cells.choice(labels.YES_NO), example, choices=tuple(labels.YES_NO))


EXTERNAL_KEY = Column(
    "外部编号", "external_key", "可选。你们自己的编号（台账编号）；写了它，再次导入时按它找到这一行对应的记录并更新",
    cells.text(64),
)
SITE_PATH_NOTE = "阵地的名称路径，从中心写起，用 / 分隔，如 洛江区新时代文明实践中心/河市镇新时代文明实践所"

SITES = Sheet("sites", "阵地", "外部编号；没有外部编号时按 上级 + 名称（名称路径）", (
    EXTERNAL_KEY,
    Column("上级", "parent", f"上级阵地的名称路径；中心留空。{SITE_PATH_NOTE}", cells.site_path, "洛江区新时代文明实践中心/河市镇新时代文明实践所"),
    Column("名称", "name", "必填。阵地名称，最多 100 字", cells.text(100), "洪四村新时代文明实践站", required=True),
    Column("类型", "kind", "必填。省、市、中心、分中心、所、站、点、基地", cells.choice(labels.SITE_KIND), "站", True, tuple(labels.SITE_KIND)),
    Column("行政区划代码", "region_code", "可选。6 到 12 位数字", cells.text(12), "350504102201"),
    Column("地址", "address", "可选。最多 200 字", cells.text(200), "河市镇洪四村村部"),
    Column("纬度", "latitude", "可选。-90 到 90", cells.decimal(-90, 90), 25.05),
    Column("经度", "longitude", "可选。-180 到 180", cells.decimal(-180, 180), 118.68),
    Column("开放时间", "opening_hours", "可选。如 周二至周日 09:00-17:30", cells.text(200), "每天 08:00-21:00"),
    Column("简介", "description", "可选", cells.text(5000), ""),
    _yes_no("有阵地", "has_venue", "五有：有阵地"),
    _yes_no("有队伍", "has_team", "五有：有队伍"),
    _yes_no("有活动", "has_activities", "五有：有活动"),
    _yes_no("有项目", "has_projects", "五有：有项目", "否"),
    _yes_no("有机制", "has_mechanism", "五有：有机制"),
    Column("星级", "star_rating", "可选。1 到 5", cells.integer(1, 5), 3),
    Column("试点级别", "pilot_level", "可选。国家级、省级、市级", cells.choice(labels.PILOT_LEVEL), "", choices=tuple(labels.PILOT_LEVEL)),
    Column("试点命名日期", "pilot_date", "可选。日期，如 2026-03-05", cells.day, ""),
    Column("联系人", "contact_name", "可选。不公开", cells.text(50), "王站长", private=True),
    Column("联系电话", "contact_phone", "可选。不公开", cells.text(30), "13800138000", private=True),
))

VENUES = Sheet("venues", "场所", "阵地 + 名称", (
    Column("阵地", "site", f"必填。场所所在的阵地。{SITE_PATH_NOTE}", cells.site_path, "洛江区新时代文明实践中心/河市镇新时代文明实践所/洪四村新时代文明实践站", required=True),
    Column("名称", "name", "必填。场所名称，如 农家书屋、道德讲堂，最多 100 字", cells.text(100), "农家书屋", required=True),
    Column("类型", "kind", "房间、大厅、广场、书屋、户外、其他；空白为房间", cells.choice(labels.VENUE_KIND), "书屋", choices=tuple(labels.VENUE_KIND)),
    Column("容纳人数", "capacity", "可选。整数", cells.integer(0, 1_000_000), 40),
    Column("简介", "description", "可选", cells.text(5000), ""),
))

TEAMS = Sheet("teams", "队伍", "外部编号；没有外部编号时按 所属阵地 + 名称", (
    EXTERNAL_KEY,
    Column("名称", "name", "必填。队伍名称，最多 100 字", cells.text(100), "洪四村文明实践志愿服务队", required=True),
    Column("层级", "kind", "必填。总队、支队、小队、队", cells.choice(labels.TEAM_KIND), "队", True, tuple(labels.TEAM_KIND)),
    Column("类别", "category", "必填。“10+N”类别；写“其他”时填自定义类别", cells.choice(labels.TEAM_CATEGORY), "文明礼仪", True, tuple(labels.TEAM_CATEGORY)),
    Column("自定义类别", "category_label", "类别为“其他”时必填（N 的名称）", cells.text(50), ""),
    Column("所属阵地", "home_site", f"必填。{SITE_PATH_NOTE}", cells.site_path, "洛江区新时代文明实践中心/河市镇新时代文明实践所/洪四村新时代文明实践站", required=True),
    Column("上级队伍", "parent", "可选。上级队伍的名称（同名时写外部编号）", cells.text(100), ""),
    _yes_no("宣讲队", "is_lecture_team", "是否宣讲队（宣讲团）", "否"),
    Column("成立日期", "founded_on", "可选。日期", cells.day, "2026-03-05"),
    Column("简介", "description", "可选", cells.text(5000), ""),
))

PEOPLE = Sheet("people", "人员", "外部编号；没有时按 志愿者编号；都没有时按 姓名 + 所属阵地", (
    EXTERNAL_KEY,
    Column("姓名", "name", "必填。最多 50 字；讲师的姓名公开，其他人不公开", cells.text(50), "林晓华", required=True),
    _yes_no("讲师", "is_lecturer", "是否宣讲员（讲师），讲师的姓名、称号、简介公开"),
    Column("称号", "title", "可选。如 新时代宣讲员", cells.text(50), "新时代宣讲员"),
    Column("所属阵地", "home_site", f"可选。{SITE_PATH_NOTE}", cells.site_path, "洛江区新时代文明实践中心/河市镇新时代文明实践所"),
    Column("志愿者编号", "volunteer_number", "可选。不公开", cells.text(32), "V350504000123", private=True),
    Column("电话", "phone", "可选。不公开", cells.text(30), "13900139000", private=True),
    Column("宣讲主题", "topics", "可选。多个用 、 分隔，最多 20 个", cells.listed(20, 50), "党的二十大精神、乡村振兴"),
    Column("简介", "bio", "可选。最多 2000 字", cells.text(2000), ""),
))

MEMBERSHIPS = Sheet("memberships", "队员", "队伍（所属阵地 + 名称）与人员（志愿者编号，或姓名 + 人员所属阵地）", (
    Column("队伍所属阵地", "team_site", f"必填。队伍的所属阵地。{SITE_PATH_NOTE}", cells.site_path, "洛江区新时代文明实践中心/河市镇新时代文明实践所/洪四村新时代文明实践站", required=True),
    Column("队伍", "team", "必填。队伍名称", cells.text(100), "洪四村文明实践志愿服务队", required=True),
    Column("姓名", "name", "必填。队员姓名", cells.text(50), "林晓华", required=True),
    Column("志愿者编号", "volunteer_number", "可选。写了就按编号找人", cells.text(32), "V350504000123", private=True),
    Column("人员所属阵地", "person_site", "可选。没有志愿者编号时按 姓名 + 人员所属阵地 找人", cells.site_path, "洛江区新时代文明实践中心/河市镇新时代文明实践所"),
    Column("角色", "role", "队长 或 队员，空白为队员", cells.choice(labels.MEMBER_ROLE), "队员", choices=tuple(labels.MEMBER_ROLE)),
    Column("加入日期", "joined_on", "可选。日期", cells.day, "2026-03-05"),
))

EVENTS = Sheet("events", "活动", "外部编号；没有时按 阵地 + 标题 + 日期 + 开始时刻", (
    EXTERNAL_KEY,
    Column("类型", "kind", "必填。宣讲 或 活动", cells.choice(labels.EVENT_KIND), "宣讲", True, tuple(labels.EVENT_KIND)),
    Column("标题", "title", "必填。最多 120 字", cells.text(120), "党的二十大精神微宣讲", required=True),
    Column("平台", "platform", "必填。平台名称（下拉选择）", cells.text(50), "", True, PLATFORMS),
    Column("阵地", "site", f"必填。{SITE_PATH_NOTE}", cells.site_path, "洛江区新时代文明实践中心/河市镇新时代文明实践所/洪四村新时代文明实践站", required=True),
    Column("场所", "venue", "可选。该阵地下的场所名称，如 农家书屋", cells.text(100), ""),
    Column("队伍", "team", "可选。组织队伍的名称", cells.text(100), ""),
    Column("日期", "date", "必填。2026-03-05、2026/3/5 或 2026年3月5日；重复活动写第一次的日期", cells.day, "2026-03-07", required=True),
    Column("时间", "times", "9:30、09:30-11:00、上午9:30、下午2:30-4:00；只写开始时为 90 分钟；空白为全天", cells.times, "09:30-11:00"),
    Column("结束日期", "end_date", "可选。跨天的活动（如展览）写最后一天；空白为当天结束", cells.day, ""),
    Column("重复", "recurrence", "可选。每天、每周六、每两周周三、每月5日、每月第一个周六，可加“，至2026年12月31日”或“，共10次”", cells.text(100), "每周六，至2026年6月27日"),
    _yes_no("跳过法定节假日", "skip_holidays", "重复活动才填：法定节假日放假的日子不办（如国庆假期）", "否"),
    _yes_no("调休上班日照常", "on_makeup_workdays", "重复活动才填：调休上班的周末也办，“每个工作日”即按中国的工作日", "否"),
    Column("宣讲形式", "format", "宣讲才填：微宣讲、戏剧宣讲、快板、说唱、微党课、报告会、互动访谈、其他", cells.choice(labels.LECTURE_FORMAT), "微宣讲", choices=tuple(labels.LECTURE_FORMAT)),
    Column("讲师", "lecturers", "宣讲才填。讲师姓名，多个用 、 分隔", cells.listed(10, 50), "林晓华"),
    Column("主题", "topic", "可选。最多 100 字", cells.text(100), "党的二十大精神"),
    Column("简介", "summary", "可选。最多 300 字", cells.text(300), ""),
    Column("对象", "audience", "可选。如 村民、青少年", cells.text(100), "村民"),
    Column("容纳人数", "capacity", "可选。整数", cells.integer(1, 1_000_000), 60),
    Column("状态", "status", "草稿、已发布、已取消；空白为已发布", cells.choice(labels.EVENT_STATUS), "已发布", choices=tuple(labels.EVENT_STATUS)),
))

SHEETS: dict[str, Sheet] = {s.kind: s for s in (SITES, VENUES, TEAMS, PEOPLE, MEMBERSHIPS, EVENTS)}
