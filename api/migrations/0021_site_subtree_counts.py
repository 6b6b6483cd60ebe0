"""Subtree counts kept on write (issue 18): ``site_subtree_count`` holds how many live sites of
each kind are below each site (api/domain/site_counts.py), built here from the sites a
database already holds (``wenming reindex`` rebuilds it the same way)."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from api.domain import site_counts
from api.models.sites import SiteKind


async def _build(apps, schema_editor) -> None:
    await site_counts.rebuild(schema_editor.client)


async def _nothing(apps, schema_editor) -> None:
    return None


class Migration(migrations.Migration):
    dependencies = [("wenming", "0020_search_title_key")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SiteSubtreeCount",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("site", fields.ForeignKeyField("wenming.Site", source_field="site_id", db_constraint=True, to_field="id",
                                                related_name="subtree_counts", on_delete=OnDelete.CASCADE)),
                ("kind", fields.CharEnumField(description="The kind of the sites counted", enum_type=SiteKind, max_length=16)),
                ("n", fields.IntField(default=0, description="How many live sites of that kind are below the site")),
            ],
            options={"table": "site_subtree_count", "app": "wenming", "unique_together": (("site", "kind"),),
                     "pk_attr": "id", "table_description": "How many live sites of one kind are below a site (the site itself excluded): the"},
            bases=["Model"],
        ),
        ops.RunPython(_build, _nothing),
    ]
