from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


async def _lineage_index(apps, schema_editor) -> None:
    # AddField leaves db_index to us: a feed looks up a split series' parts by lineage_id.
    await schema_editor.client.execute_script(
        'CREATE INDEX IF NOT EXISTS "idx_event_lineage_id" ON "event" ("lineage_id")'
    )


async def _drop_lineage_index(apps, schema_editor) -> None:
    await schema_editor.client.execute_script('DROP INDEX IF EXISTS "idx_event_lineage_id"')


class Migration(migrations.Migration):
    dependencies = [('wenming', '0010_volunteer_hours_points')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Event',
            name='lineage_id',
            field=fields.IntField(null=True, db_index=True, description='Series split in two (THIS_AND_FOLLOWING): the id of its first part, the same on every part, null for an event never split'),
        ),
        ops.RunPython(_lineage_index, _drop_lineage_index),
    ]
