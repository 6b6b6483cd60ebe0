"""Held figures kept on write (issue 18): ``site_day_stats`` holds, per site, local day,
platform, kind and team, what ``stats`` sums of the countable occurrences
(api/domain/day_stats.py), built here from the occurrences a database already holds
(``wenming reindex`` rebuilds it the same way). Its indexes: a site's days (the rewrite on
every write) and a subtree's days (``stats``: a range of the path, pattern operators on
PostgreSQL as for every path, migration 0002). And the teams of a subtree, read by their home
site (stats' teams and volunteers), which neither database had an index for."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from api.domain import day_stats
from api.models.events import EventKind

# name: (table, columns as SQL, or per dialect)
INDEXES = {
    "idx_site_day_stats_site_day": ("site_day_stats", '"site_id", "day"'),
    "idx_site_day_stats_path_day": ("site_day_stats", {"postgres": '"site_path" varchar_pattern_ops, "day"',
                                                       "sqlite": '"site_path", "day"'}),
    "idx_team_home_site_id": ("team", '"home_site_id"'),
}


async def _build(apps, schema_editor) -> None:
    client = schema_editor.client
    dialect = client.capabilities.dialect
    for name, (table, columns) in INDEXES.items():
        columns = columns[dialect] if isinstance(columns, dict) else columns
        await client.execute_script(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({columns})')
    await day_stats.rebuild(client)


async def _drop(apps, schema_editor) -> None:
    for name in INDEXES:
        await schema_editor.client.execute_script(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("wenming", "0021_site_subtree_counts")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SiteDayStats",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("site_id", fields.IntField(description="The occurrences' site")),
                ("site_path", fields.CharField(description="Its materialised path: subtrees are a range of it", max_length=255)),
                ("day", fields.DateField(description="The local day the occurrences start")),
                ("end_day", fields.DateField(description="The local day they end (held once it is over)")),
                ("platform_id", fields.IntField()),
                ("kind", fields.CharEnumField(description="LECTURE: LECTURE\nACTIVITY: ACTIVITY", enum_type=EventKind, max_length=8)),
                ("team_id", fields.IntField(null=True, description="The organising team (the estimate counts its members now)")),
                ("held", fields.IntField(description="How many occurrences")),
                ("reached", fields.IntField(description="Their audience (lectures) or beneficiaries (activities)")),
                ("hours", fields.FloatField(description="Their service hours")),
                ("recorded_minutes", fields.IntField(description="Minutes their ledger records")),
                ("unrecorded_hours", fields.FloatField(description="Service hours of those whose ledger records nothing")),
            ],
            options={"table": "site_day_stats", "app": "wenming", "pk_attr": "id",
                     "table_description": "The held figures of one site's countable occurrences (published, not cancelled) that"},
            bases=["Model"],
        ),
        ops.RunPython(_build, _drop),
    ]
