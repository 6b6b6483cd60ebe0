"""Practice sites (阵地) and their venues."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from api.models.base import Record


class SiteKind(StrEnum):
    PROVINCE = "PROVINCE"  # 省: the province's office (省文明办) or provincial centre
    CITY = "CITY"  # 市: a city's office (市文明办) or city centre, over its county centres
    CENTER = "CENTER"  # 新时代文明实践中心: county / district
    SUB_CENTER = "SUB_CENTER"  # 分中心
    INSTITUTE = "INSTITUTE"  # 新时代文明实践所: township / street
    STATION = "STATION"  # 新时代文明实践站: village / community
    POINT = "POINT"  # 新时代文明实践点
    BASE = "BASE"  # 实践基地 / 示范基地


class PilotLevel(StrEnum):
    NATIONAL = "NATIONAL"
    PROVINCIAL = "PROVINCIAL"
    MUNICIPAL = "MUNICIPAL"


class VenueKind(StrEnum):
    ROOM = "ROOM"
    HALL = "HALL"
    SQUARE = "SQUARE"
    LIBRARY = "LIBRARY"
    OUTDOOR = "OUTDOOR"
    OTHER = "OTHER"


class Site(Record):
    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(SiteKind, max_length=16, db_index=True)
    name = fields.CharField(max_length=100)
    parent = fields.ForeignKeyField(
        "wenming.Site", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    # Materialised path of ids, "/1/5/12/": a subtree is one range of it in byte order on both
    # backends (api.domain.sites.subtree; PostgreSQL: COLLATE "C", migration 0026, as every copy).
    path = fields.CharField(max_length=255, db_index=True)
    depth = fields.SmallIntField(default=0)
    region_code = fields.CharField(max_length=12, null=True, db_index=True)
    region_unit_count = fields.IntField(
        null=True, description="Villages/townships in this site's region, for coverage figures"
    )
    address = fields.CharField(max_length=200, default="")
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    opening_hours = fields.CharField(max_length=200, default="")
    description = fields.TextField(default="")
    # The "five haves" (五有) assessment, one column each so statistics stay in SQL.
    has_venue = fields.BooleanField(default=False)
    has_team = fields.BooleanField(default=False)
    has_activities = fields.BooleanField(default=False)
    has_projects = fields.BooleanField(default=False)
    has_mechanism = fields.BooleanField(default=False)
    star_rating = fields.SmallIntField(null=True)
    pilot_level = fields.CharEnumField(PilotLevel, max_length=16, null=True)
    pilot_date = fields.DateField(null=True)
    # Private: never in a public response.
    contact_name = fields.CharField(max_length=50, default="")
    contact_phone = fields.CharField(max_length=30, default="")
    external_key = fields.CharField(
        max_length=64, null=True, db_index=True, description="外部编号: the row's key in the office's own sheet"
    )

    class Meta:
        table = "site"
        ordering = ["id"]


class Venue(Record):
    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("wenming.Site", related_name="venues", on_delete=fields.RESTRICT)
    name = fields.CharField(max_length=100)
    kind = fields.CharEnumField(VenueKind, max_length=16, default=VenueKind.ROOM)
    capacity = fields.IntField(null=True)
    description = fields.TextField(default="")

    class Meta:
        table = "venue"
        ordering = ["id"]


class SiteSubtreeCount(Model):
    """How many live sites of one kind are below a site (the site itself excluded): the
    ``subtreeCounts`` figures, kept on write by api/domain/site_counts.py instead of a join of
    each site with its whole subtree on every read."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("wenming.Site", related_name="subtree_counts", on_delete=fields.CASCADE)
    kind = fields.CharEnumField(SiteKind, max_length=16, description="The kind of the sites counted")
    n = fields.IntField(default=0, description="How many live sites of that kind are below the site")

    class Meta:
        table = "site_subtree_count"
        unique_together = (("site", "kind"),)
