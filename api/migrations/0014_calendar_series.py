"""Series that follow China's calendar (issue 15): skip public holidays, run on make-up working
days (调休上班), and the dates the holiday table took out of or added to each series, which the
feeds send as EXDATE and RDATE (api/domain/recurrence.py, follow_calendar)."""

from tortoise import fields, migrations
from tortoise.fields.db_defaults import SqlDefault
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("wenming", "0013_scale_indexes")]

    operations = [
        ops.AddField(
            model_name="Event", name="skip_holidays",
            field=fields.BooleanField(default=False, db_default=False, description="No occurrence on a public holiday (放假): the holiday table's days off"),
        ),
        ops.AddField(
            model_name="Event", name="on_makeup_workdays",
            field=fields.BooleanField(default=False, db_default=False, description="An occurrence on every make-up working day (调休上班) in the series' span"),
        ),
        ops.AddField(
            model_name="Event", name="calendar_exdates",
            field=fields.JSONField(default=list, db_default=SqlDefault("'[]'"), description="Occurrences the holiday table removed (ISO starts), up to the horizon"),
        ),
        ops.AddField(
            model_name="Event", name="calendar_rdates",
            field=fields.JSONField(default=list, db_default=SqlDefault("'[]'"), description="Occurrences make-up working days added (ISO starts), up to the horizon"),
        ),
    ]
