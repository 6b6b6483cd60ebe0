"""Events that recur every year on a lunar date (正月十五) or a solar term (清明), issue 15:
materialised as dated occurrences, sent as RDATEs (api/china_calendar/yearly.py)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("wenming", "0014_calendar_series")]

    operations = [
        ops.AddField(
            model_name="Event", name="lunar_recurrence",
            field=fields.JSONField(null=True, description='Every year on this lunar date: {"month": 1, "day": 15, "leap": false}'),
        ),
        ops.AddField(
            model_name="Event", name="solar_term",
            field=fields.CharField(max_length=4, null=True, description="Every year on this solar term (节气), e.g. 清明"),
        ),
    ]
