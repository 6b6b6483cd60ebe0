"""GraphQL enums, built from the model enums so the values have one source, each value
described with its Chinese term."""

from enum import Enum, StrEnum

import strawberry

from api.models.accounts import Role
from api.models.events import CampaignKind, EventKind, EventStatus, LectureFormat
from api.models.sites import PilotLevel, SiteKind, VenueKind
from api.models.teams import MemberRole, TeamCategory, TeamKind


def graphql_enum(model_enum: type[StrEnum], description: str, terms: dict[str, str]) -> type[Enum]:
    missing = {m.value for m in model_enum} - terms.keys()
    assert not missing, f"{model_enum.__name__} values without a description: {missing}"
    members = {m.value: strawberry.enum_value(m.value, description=terms[m.value]) for m in model_enum}
    return strawberry.enum(Enum(model_enum.__name__, members), description=description)


SiteKindEnum = graphql_enum(SiteKind, "The level of a practice site (阵地).", {
    "PROVINCE": "省: a province's office (省委文明办) or provincial centre, over its cities; always a root",
    "CITY": "市: a city's office (市委文明办) or city centre, over its county centres; under a PROVINCE or a root",
    "CENTER": "新时代文明实践中心: county or district level; under a CITY or a root",
    "SUB_CENTER": "分中心: a venue attached to a centre (library, theatre, sports centre)",
    "INSTITUTE": "新时代文明实践所: township or street level",
    "STATION": "新时代文明实践站: village or community level",
    "POINT": "新时代文明实践点: an extension into a school, enterprise, field or fishing boat",
    "BASE": "实践基地 / 示范基地: a practice or demonstration base",
})
PilotLevelEnum = graphql_enum(PilotLevel, "The level at which a site was named a pilot (试点).", {
    "NATIONAL": "全国试点: national pilot",
    "PROVINCIAL": "省级试点: provincial pilot",
    "MUNICIPAL": "市级试点: municipal pilot",
})
VenueKindEnum = graphql_enum(VenueKind, "What kind of place a venue (场地) is.", {
    "ROOM": "活动室 / 会议室: a room",
    "HALL": "礼堂 / 讲堂: a hall, such as a 道德讲堂",
    "SQUARE": "广场: a square",
    "LIBRARY": "书屋 / 图书室: a reading room such as a 农家书屋",
    "OUTDOOR": "户外: an outdoor place (a field, a park)",
    "OTHER": "其他: anything else",
})
TeamKindEnum = graphql_enum(TeamKind, "The level of a volunteer team in the hierarchy.", {
    "CORPS": "志愿服务总队: the county corps",
    "DETACHMENT": "支队: a detachment, per township or thematic",
    "SQUAD": "小队: a squad",
    "TEAM": "队: a village team or a lecture team (宣讲队)",
})
TeamCategoryEnum = graphql_enum(TeamCategory, 'The category of a team in the "10+N" scheme.', {
    "THEORY": "科学理论宣讲: scientific-theory lecturing",
    "POLICY": "政策宣讲解读: policy explanation",
    "VALUES": "主流价值引领: mainstream values",
    "CULTURE_SPORTS": "文化体育: culture and sports",
    "LAW": "法律服务: law",
    "AGRI_TECH": "农业技术: agricultural technology",
    "HEALTH": "健康生活: healthy living",
    "ENVIRONMENT": "乡村环境: rural environment",
    "ETIQUETTE": "文明礼仪: civility and etiquette",
    "CONVENIENCE": "便民服务: convenience services",
    "RESCUE": "应急救援: emergency rescue",
    "MEDICAL": "医疗救护: emergency medical",
    "SCIENCE_EMERGENCY": "科普应急: science emergency",
    "PSYCHOLOGICAL": "心理服务: psychological support",
    "OTHER": 'The "N": a thematic team, named by categoryLabel',
    "GENERAL": "综合: no single category (corps, detachments)",
})
MemberRoleEnum = graphql_enum(MemberRole, "A member's role in a team.", {
    "LEADER": "队长: team leader",
    "MEMBER": "队员: member",
})
EventKindEnum = graphql_enum(EventKind, "Whether an event is a lecture or an activity.", {
    "LECTURE": "宣讲: a lecture",
    "ACTIVITY": "活动: an activity",
})
EventStatusEnum = graphql_enum(EventStatus, "Publication status of an event (drafts are never public).", {
    "DRAFT": "草稿: not yet published",
    "PUBLISHED": "已发布: published",
    "CANCELLED": "已取消: cancelled",
})
LectureFormatEnum = graphql_enum(LectureFormat, "The format of a lecture (宣讲形式).", {
    "MICRO": "微宣讲: micro-lecture",
    "DRAMA": "戏剧宣讲: drama lecture",
    "CLAPPER": "快板 / 方言快板: (dialect) clapper talk",
    "RAP": "说唱: rap",
    "PARTY_CLASS": "微党课: micro party class",
    "REPORT": "报告会: report meeting",
    "DIALOGUE": "互动访谈: interactive dialogue",
    "OTHER": "其他: another format",
})
CampaignKindEnum = graphql_enum(CampaignKind, "The kind of a campaign (主题活动).", {
    "FESTIVAL": "节日活动: a festival campaign (春节, 学雷锋日 ...)",
    "MONTHLY_THEME": "月度主题: a monthly theme",
    "ACTIVITY_DAY": "集中活动日: a concentrated activity day",
})

RoleEnum = graphql_enum(Role, "A role held on a site and everything below it; each includes the ones before it.", {
    "VIEWER": "Reads private fields (contact names and phones) in the subtree",
    "EDITOR": "Edits content in the subtree",
    "ADMIN": "Also manages accounts, grants and tokens in the subtree, and reads its audit log",
})


@strawberry.enum(description="Whether an occurrence takes place.")
class OccurrenceStatus(Enum):
    SCHEDULED = strawberry.enum_value("SCHEDULED", description="按计划: takes place as planned")
    CANCELLED = strawberry.enum_value("CANCELLED", description="已取消: cancelled (the occurrence or its whole event)")
