"""外部编号: the key a row carries in an office's own sheet, so a re-import updates the record
it made instead of adding a second one (api/sheets/)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


def _key() -> fields.CharField:
    return fields.CharField(
        max_length=64, null=True, db_index=True, description="外部编号: the row's key in the office's own sheet"
    )


class Migration(migrations.Migration):
    dependencies = [("wenming", "0011_event_lineage")]

    operations = [ops.AddField(model_name=model, name="external_key", field=_key()) for model in ("Site", "Team", "Person", "Event")]
