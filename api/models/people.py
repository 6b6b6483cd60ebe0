"""People: lecturers with a public profile, volunteers with private contact data."""

from tortoise import fields

from api.models.base import Record


class Person(Record):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50)
    # Only people with a public profile (lecturers) are ever shown by name to the public.
    is_lecturer = fields.BooleanField(default=False, db_index=True)
    title = fields.CharField(max_length=50, default="", description="e.g. 新时代宣讲员")
    bio = fields.TextField(default="")
    topics = fields.JSONField(default=list)
    home_site = fields.ForeignKeyField(
        "wenming.Site", related_name="people", null=True, on_delete=fields.SET_NULL
    )
    # Private.
    volunteer_number = fields.CharField(max_length=32, null=True)
    phone = fields.CharField(max_length=30, default="")
    external_key = fields.CharField(
        max_length=64, null=True, db_index=True, description="外部编号: the row's key in the office's own sheet"
    )

    class Meta:
        table = "person"
        ordering = ["id"]
