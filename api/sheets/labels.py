"""The Chinese words a sheet uses for each enumeration (the drop-down lists of the templates).

A cell may hold the Chinese word or the code itself (STATION); exports write the word."""

from __future__ import annotations

from enum import StrEnum

from api.models.events import EventKind, EventStatus, LectureFormat
from api.models.sites import PilotLevel, SiteKind, VenueKind
from api.models.teams import MemberRole, TeamCategory, TeamKind

SITE_KIND = {"省": SiteKind.PROVINCE, "市": SiteKind.CITY, "中心": SiteKind.CENTER, "分中心": SiteKind.SUB_CENTER, "所": SiteKind.INSTITUTE,
             "站": SiteKind.STATION, "点": SiteKind.POINT, "基地": SiteKind.BASE}
VENUE_KIND = {"房间": VenueKind.ROOM, "大厅": VenueKind.HALL, "广场": VenueKind.SQUARE, "书屋": VenueKind.LIBRARY,
              "户外": VenueKind.OUTDOOR, "其他": VenueKind.OTHER}
PILOT_LEVEL = {"国家级": PilotLevel.NATIONAL, "省级": PilotLevel.PROVINCIAL, "市级": PilotLevel.MUNICIPAL}
TEAM_KIND = {"总队": TeamKind.CORPS, "支队": TeamKind.DETACHMENT, "小队": TeamKind.SQUAD, "队": TeamKind.TEAM}
TEAM_CATEGORY = {
    "科学理论宣讲": TeamCategory.THEORY, "政策宣讲解读": TeamCategory.POLICY, "主流价值": TeamCategory.VALUES,
    "文化体育": TeamCategory.CULTURE_SPORTS, "法律服务": TeamCategory.LAW, "农业技术": TeamCategory.AGRI_TECH,
    "健康生活": TeamCategory.HEALTH, "乡村环境": TeamCategory.ENVIRONMENT, "文明礼仪": TeamCategory.ETIQUETTE,
    "便民服务": TeamCategory.CONVENIENCE, "应急救援": TeamCategory.RESCUE, "医疗救护": TeamCategory.MEDICAL,
    "科普应急": TeamCategory.SCIENCE_EMERGENCY, "心理服务": TeamCategory.PSYCHOLOGICAL,
    "其他": TeamCategory.OTHER, "综合": TeamCategory.GENERAL,
}
MEMBER_ROLE = {"队长": MemberRole.LEADER, "队员": MemberRole.MEMBER}
EVENT_KIND = {"宣讲": EventKind.LECTURE, "活动": EventKind.ACTIVITY}
EVENT_STATUS = {"草稿": EventStatus.DRAFT, "已发布": EventStatus.PUBLISHED, "已取消": EventStatus.CANCELLED}
LECTURE_FORMAT = {
    "微宣讲": LectureFormat.MICRO, "戏剧宣讲": LectureFormat.DRAMA, "快板": LectureFormat.CLAPPER,
    "说唱": LectureFormat.RAP, "微党课": LectureFormat.PARTY_CLASS, "报告会": LectureFormat.REPORT,
    "互动访谈": LectureFormat.DIALOGUE, "其他": LectureFormat.OTHER,
}
YES_NO = {"是": True, "否": False}


def word(mapping: dict[str, StrEnum], value: StrEnum | None) -> str:
    """The Chinese word for an enum value (for exports)."""
    if value is None:
        return ""
    return next(k for k, v in mapping.items() if v == value)


def _every_value_has_a_word() -> None:
    for mapping, enum in ((SITE_KIND, SiteKind), (VENUE_KIND, VenueKind), (PILOT_LEVEL, PilotLevel), (TEAM_KIND, TeamKind),
                          (TEAM_CATEGORY, TeamCategory), (MEMBER_ROLE, MemberRole), (EVENT_KIND, EventKind),
                          (EVENT_STATUS, EventStatus), (LECTURE_FORMAT, LectureFormat)):
        assert set(mapping.values()) == set(enum), f"{enum.__name__}: a value has no Chinese word"


_every_value_has_a_word()
