"""The audit trail: one row per write, with who, when, what, and the values before and after."""

from tortoise import fields
from tortoise.models import Model


class AuditEntry(Model):
    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    account = fields.ForeignKeyField("wenming.Account", related_name="audit_entries", null=True, on_delete=fields.SET_NULL)
    token = fields.ForeignKeyField("wenming.ApiToken", related_name="audit_entries", null=True, on_delete=fields.SET_NULL)
    actor = fields.CharField(max_length=120, description="Who, as shown: 'account alice' or 'token 门户后台 (wm_3fK9)'")
    action = fields.CharField(max_length=32, description="CREATE, UPDATE, DELETE, RESTORE, PUBLISH ...")
    object_type = fields.CharField(max_length=32)
    object_id = fields.IntField()
    # The site subtree the object belongs to, so auditLog(within:) is one prefix query.
    site_path = fields.CharField(max_length=255, null=True, db_index=True)
    before = fields.JSONField(null=True)
    after = fields.JSONField(null=True)

    class Meta:
        table = "audit_entry"
        ordering = ["id"]
