"""PostgreSQL only: prefix LIKE on the materialised paths needs varchar_pattern_ops indexes
(the default b-tree index serves equality, not `path LIKE '/1/5/%'`, under a non-C collation)."""

from tortoise import migrations
from tortoise.migrations import operations as ops

PATTERN_INDEXES = {
    "site_path_prefix_idx": ("site", "path"),
    "occurrence_site_path_prefix_idx": ("occurrence", "site_path"),
}


async def _create(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect != "postgres":
        return
    for name, (table, column) in PATTERN_INDEXES.items():
        await schema_editor.client.execute_script(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}" varchar_pattern_ops)'
        )


async def _drop(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect != "postgres":
        return
    for name in PATTERN_INDEXES:
        await schema_editor.client.execute_script(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("wenming", "0001_initial")]

    operations = [ops.RunPython(_create, _drop)]
