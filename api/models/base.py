"""Columns every editable record carries: timestamps, soft delete and an optimistic version."""

from tortoise import fields
from tortoise.models import Model


class Record(Model):
    created_at = fields.DatetimeField(auto_now_add=True, description="When the record was created")
    updated_at = fields.DatetimeField(auto_now=True, description="When the record last changed")
    deleted_at = fields.DatetimeField(null=True, description="Soft delete: set instead of deleting")
    version = fields.IntField(default=1, description="Grows by one on every change")

    class Meta:
        abstract = True
