"""Marks of hard deletes, for the freshness watermark (api/domain/freshness.py)."""

from tortoise import fields
from tortoise.models import Model


class DeletionMark(Model):
    """A delete from a table the watermark watches whose rows are deleted outright (membership,
    event_lecturer, event_override): written by triggers (migration 0023), so that the
    watermark reads MAX(id) per table through an index instead of COUNT(*), which read every
    row of those tables on each feed and board request and grew with the network."""

    id = fields.BigIntField(primary_key=True)
    table_name = fields.CharField(max_length=32, description="The table a row was deleted from")

    class Meta:
        table = "deletion_mark"
