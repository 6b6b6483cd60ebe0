"""Who may write: accounts, their role grants on site subtrees, and API tokens."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    # Ordered: each role includes the ones before it (see api.domain.permissions.RANK).
    VIEWER = "VIEWER"  # reads private fields (contact phones) in its subtree
    EDITOR = "EDITOR"  # edits content in its subtree
    ADMIN = "ADMIN"  # also manages accounts, grants and tokens in its subtree


class Account(Model):
    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    display_name = fields.CharField(max_length=50, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    disabled_at = fields.DatetimeField(null=True, description="A disabled account's tokens stop working")

    class Meta:
        table = "account"
        ordering = ["id"]


class Grant(Model):
    # A role on a site and everything below it.
    id = fields.IntField(primary_key=True)
    account = fields.ForeignKeyField("wenming.Account", related_name="grants", on_delete=fields.CASCADE)
    site = fields.ForeignKeyField("wenming.Site", related_name="grants", on_delete=fields.CASCADE)
    role = fields.CharEnumField(Role, max_length=8)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "role_grant"  # "grant" is an SQL keyword
        unique_together = (("account", "site"),)
        ordering = ["id"]


class ApiToken(Model):
    # A bearer token. Only its SHA-256 is stored: the secret is shown once, at creation.
    # A personal token (account set, no site) acts with its account's grants. A service token
    # (a kiosk, a portal back end) acts with exactly its own site and role.

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    token_hash = fields.CharField(max_length=64, unique=True)
    prefix = fields.CharField(max_length=12, description="The first characters, to recognise a token in lists")
    account = fields.ForeignKeyField("wenming.Account", related_name="tokens", null=True, on_delete=fields.CASCADE)
    site = fields.ForeignKeyField("wenming.Site", related_name="tokens", null=True, on_delete=fields.CASCADE)
    role = fields.CharEnumField(Role, max_length=8, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"
        ordering = ["id"]
