"""Service platforms (平台): data, not code, so a deployment can rename or add."""

from tortoise import fields

from api.models.base import Record


class Platform(Record):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=50)
    lead_unit = fields.CharField(max_length=100, default="")
    description = fields.TextField(default="")
    sort_order = fields.SmallIntField(default=0)

    class Meta:
        table = "platform"
        ordering = ["sort_order", "id"]
