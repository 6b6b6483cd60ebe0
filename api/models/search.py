"""The search index (搜索索引): one row per public site, team, lecturer, event and published report.

The token columns hold space-separated tokens from api/search/tokens.py. SQLite indexes them
in an FTS5 table kept in step by triggers; PostgreSQL in a generated tsvector column with a GIN
index (both made by migration 0005, since neither is a Tortoise field)."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class SearchKind(StrEnum):
    SITE = "SITE"
    TEAM = "TEAM"
    LECTURER = "LECTURER"
    EVENT = "EVENT"
    REPORT = "REPORT"  # 活动报道: only while PUBLISHED (and not deleted)


class SearchDoc(Model):
    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(SearchKind, max_length=12)
    object_id = fields.IntField()
    site_path = fields.CharField(max_length=255, null=True, description="For `within`: the site the object belongs to")
    # Written for every entry and carried into PostgreSQL's search_title_term, but no query reads it
    # since title_key (migration 0020) decides "the title is the query".
    title_len = fields.IntField(description="Length of the folded title in characters (not read by search since title_key)")
    title_key = fields.CharField(
        max_length=120, null=True,
        description="The folded title without spaces and punctuation: a query with this key is the title itself. "
        "Null: indexed before this column existed (wenming reindex fills it)")
    last_end = fields.DatetimeField(null=True, description="Events: end of the last occurrence, null for an open series")
    title_tokens = fields.TextField(description="Tokens of the title or name")
    body_tokens = fields.TextField(description="Tokens of the description and other public text")
    initials_tokens = fields.TextField(description="Pinyin initials of the title's Chinese runs")

    class Meta:
        table = "search_doc"
        unique_together = (("kind", "object_id"),)
