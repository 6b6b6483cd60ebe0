"""Columns every editable record carries: timestamps, soft delete and an optimistic version."""

from tortoise import fields
from tortoise.models import Model


class Record(Model):
    created_at = fields.DatetimeField(auto_now_add=True, description="When the record was created")
    # Indexed: feeds and persisted queries poll MAX(updated_at) as their watermark.
    updated_at = fields.DatetimeField(auto_now=True, db_index=True, description="When the record last changed")
    deleted_at = fields.DatetimeField(null=True, description="Soft delete: set instead of deleting")
    version = fields.IntField(default=1, description="Grows by one on every change")

    class Meta:
        abstract = True
