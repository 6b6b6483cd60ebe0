"""Tiers above the county: PROVINCE and CITY site kinds (issue 18).

``site.kind`` is a VARCHAR(16) with no CHECK constraint on either backend, so the stored rows
and the column stay as they are: only the migration state learns the new choices (so
``tortoise makemigrations`` finds nothing to do). A plain AlterField would rebuild the whole
``site`` table on SQLite (copy, drop, rename) to change nothing.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from api.models.sites import SiteKind


class AlterChoices(ops.AlterField):
    """AlterField for the migration state only: the database already holds any value."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [("wenming", "0017_series_horizon")]

    operations = [
        AlterChoices(
            model_name="Site",
            name="kind",
            field=fields.CharEnumField(
                db_index=True,
                description="PROVINCE: PROVINCE\nCITY: CITY\nCENTER: CENTER\nSUB_CENTER: SUB_CENTER\n"
                "INSTITUTE: INSTITUTE\nSTATION: STATION\nPOINT: POINT\nBASE: BASE",
                enum_type=SiteKind,
                max_length=16,
            ),
        ),
    ]
