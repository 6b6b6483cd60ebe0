"""Volunteer and lecture teams (队伍) and their memberships."""

from enum import StrEnum

from tortoise import fields

from api.models.base import Record


class TeamKind(StrEnum):
    CORPS = "CORPS"  # 志愿服务总队
    DETACHMENT = "DETACHMENT"  # 支队
    SQUAD = "SQUAD"  # 小队
    TEAM = "TEAM"  # 队 (village team, lecture team)


class TeamCategory(StrEnum):
    # The ten standard categories of the "10+N" scheme.
    THEORY = "THEORY"  # 科学理论宣讲
    POLICY = "POLICY"  # 政策宣讲解读
    VALUES = "VALUES"  # 主流价值
    CULTURE_SPORTS = "CULTURE_SPORTS"  # 文化体育
    LAW = "LAW"  # 法律服务
    AGRI_TECH = "AGRI_TECH"  # 农业技术
    HEALTH = "HEALTH"  # 健康生活
    ENVIRONMENT = "ENVIRONMENT"  # 乡村环境
    ETIQUETTE = "ETIQUETTE"  # 文明礼仪
    CONVENIENCE = "CONVENIENCE"  # 便民服务
    # Emergency teams.
    RESCUE = "RESCUE"  # 应急救援
    MEDICAL = "MEDICAL"  # 医疗救护
    SCIENCE_EMERGENCY = "SCIENCE_EMERGENCY"  # 科普应急
    PSYCHOLOGICAL = "PSYCHOLOGICAL"  # 心理服务
    # The "N": a free label in category_label.
    OTHER = "OTHER"
    # No category (corps and detachments that span several).
    GENERAL = "GENERAL"


class MemberRole(StrEnum):
    LEADER = "LEADER"
    MEMBER = "MEMBER"


class Team(Record):
    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(TeamKind, max_length=16)
    category = fields.CharEnumField(TeamCategory, max_length=24, db_index=True)
    category_label = fields.CharField(max_length=50, default="", description="The N label")
    name = fields.CharField(max_length=100)
    parent = fields.ForeignKeyField(
        "wenming.Team", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    home_site = fields.ForeignKeyField("wenming.Site", related_name="teams", on_delete=fields.RESTRICT)
    is_lecture_team = fields.BooleanField(default=False, db_index=True)
    founded_on = fields.DateField(null=True)
    description = fields.TextField(default="")
    external_key = fields.CharField(
        max_length=64, null=True, db_index=True, description="外部编号: the row's key in the office's own sheet"
    )

    class Meta:
        table = "team"
        ordering = ["id"]


class Membership(Record):
    id = fields.IntField(primary_key=True)
    team = fields.ForeignKeyField("wenming.Team", related_name="memberships", on_delete=fields.CASCADE)
    person = fields.ForeignKeyField(
        "wenming.Person", related_name="memberships", on_delete=fields.CASCADE
    )
    role = fields.CharEnumField(MemberRole, max_length=8, default=MemberRole.MEMBER)
    joined_on = fields.DateField(null=True)

    class Meta:
        table = "membership"
        unique_together = (("team", "person"),)
        ordering = ["id"]
