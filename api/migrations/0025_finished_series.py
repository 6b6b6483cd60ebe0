"""Finished series leave the horizon job (issue 18): every day each worker's horizon job read
every live series behind the moved horizon and expanded it, those that ended long ago
(COUNT or UNTIL) too, to find nothing to add; its scan had no index (1.3-4.7 s at 3.1 million
events). ``materialised_complete`` says a rewrite found no instance after
``materialised_until`` (api/domain/occurrences.py ``complete``; every rewrite, an edit's too,
decides it anew), and the partial index holds only the series still open, in id order, as
``_behind_ids`` walks them. Existing events start open: the first daily run after this
migration rewrites each series behind the horizon once more (adding nothing to a finished
one) and marks the finished ones."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from api.domain.occurrences import OPEN_SERIES

INDEX = "idx_event_open_series"


async def _create(apps, schema_editor) -> None:
    await schema_editor.client.execute_script(
        f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "event" ("id", "materialised_until") WHERE {OPEN_SERIES}')


async def _drop(apps, schema_editor) -> None:
    await schema_editor.client.execute_script(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):
    dependencies = [("wenming", "0024_search_term_statistics")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Event",
            name="materialised_complete",
            field=fields.BooleanField(
                default=False, db_default=False,
                description="Every occurrence is written: none starts after materialised_until (the horizon job passes it by)",
            ),
        ),
        ops.RunPython(_create, _drop),
    ]
