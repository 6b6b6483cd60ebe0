"""Idempotency keys: the first answer to a mutation sent with an ``Idempotency-Key`` header,
kept so that a retry gets it again instead of writing twice (api/domain/idempotency.py)."""

from tortoise import fields
from tortoise.models import Model


class IdempotencyKey(Model):
    id = fields.BigIntField(primary_key=True)
    caller = fields.CharField(
        max_length=64, description="Who sent it: a hash of the Authorization header, or 'anonymous'"
    )
    key = fields.CharField(max_length=255, description="The client's Idempotency-Key, as sent")
    request_hash = fields.CharField(max_length=64, description="SHA-256 of the request (query, variables, operation)")
    status = fields.IntField(description="The first answer's HTTP status")
    content_type = fields.CharField(max_length=100, description="The first answer's media type")
    response = fields.TextField(description="The first answer's body")
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True, description="Kept for KEEP_HOURS after this")

    class Meta:
        table = "idempotency_key"
        unique_together = (("caller", "key"),)
        table_description = "The first answer to a mutation sent with an Idempotency-Key header."
