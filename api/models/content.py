"""Reports with pictures (活动报道) and the images they show."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from api.models.base import Record


class ReportStatus(StrEnum):
    DRAFT = "DRAFT"
    IN_REVIEW = "IN_REVIEW"
    PUBLISHED = "PUBLISHED"
    UNPUBLISHED = "UNPUBLISHED"


class Image(Model):
    """An uploaded photo, stored under the SHA-256 of its stripped original (content-addressed):
    the same photo uploaded twice is one row and one set of files."""

    id = fields.IntField(primary_key=True)
    digest = fields.CharField(max_length=64, unique=True, description="SHA-256 of the stored (stripped) original")
    format = fields.CharField(max_length=8, description="Format of the original: jpeg, png or webp")
    width = fields.IntField(description="Width in pixels, after the EXIF orientation was applied")
    height = fields.IntField(description="Height in pixels, after the EXIF orientation was applied")
    blurhash = fields.CharField(max_length=64, description="BlurHash placeholder")
    size_bytes = fields.IntField(description="Size of the stored original, in bytes")
    site = fields.ForeignKeyField("wenming.Site", related_name="images", null=True, on_delete=fields.SET_NULL,
                                  description="The site of the uploader's grant, for the audit log")
    uploaded_by = fields.CharField(max_length=100, default="", description="Who uploaded it, as the audit log names them")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "image"


class Report(Record):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=120)
    summary = fields.CharField(max_length=300, default="")
    body = fields.TextField(default="", description="Sanitised HTML (nh3 allowlist)")
    body_text = fields.TextField(default="", description="The body as plain text, for big screens")
    site = fields.ForeignKeyField("wenming.Site", related_name="reports", on_delete=fields.RESTRICT)
    site_path = fields.CharField(max_length=255, db_index=True, description="The site's path, for subtree filters")
    event = fields.ForeignKeyField("wenming.Event", related_name="reports", null=True, on_delete=fields.SET_NULL)
    occurrence_start = fields.DatetimeField(null=True, description="One occurrence of the event, by its start")
    campaign = fields.ForeignKeyField("wenming.Campaign", related_name="reports", null=True, on_delete=fields.SET_NULL)
    teams = fields.ManyToManyField("wenming.Team", related_name="reports", through="report_team")
    cover = fields.ForeignKeyField("wenming.Image", related_name="covers", null=True, on_delete=fields.SET_NULL)
    gallery = fields.JSONField(default=list, description="Image ids of the gallery, in order")
    status = fields.CharEnumField(ReportStatus, max_length=12, default=ReportStatus.DRAFT, db_index=True)
    author = fields.CharField(max_length=100, default="", description="Who wrote it, as the audit log names them")
    published_at = fields.DatetimeField(null=True, description="When it was (last) published")
    # Publication order: published_at once published, created_at before; keyset pages on it.
    listed_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "report"
        ordering = ["-listed_at", "-id"]
