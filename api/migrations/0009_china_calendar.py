from tortoise import migrations
from tortoise.migrations import operations as ops
from api.models.china_calendar import DayKind, DaySource
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('wenming', '0008_reports')]

    initial = False

    operations = [
        ops.CreateModel(
            name='HolidayDay',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.DateField(unique=True)),
                ('kind', fields.CharEnumField(description='HOLIDAY: HOLIDAY\nMAKEUP_WORKDAY: MAKEUP_WORKDAY\nORDINARY: ORDINARY', enum_type=DayKind, max_length=16)),
                ('name', fields.CharField(default='', description='The holiday (国庆节), or for a make-up working day the holiday it pays for', max_length=50)),
                ('label', fields.CharField(default='', description='As the source words it: 国庆节（补假）', max_length=100)),
                ('source', fields.CharEnumField(default=DaySource.LIBRARY, db_index=True, description='LIBRARY: LIBRARY\nADMIN: ADMIN', enum_type=DaySource, max_length=8)),
                ('note', fields.CharField(default='', description='Why an ADMIN corrected it', max_length=200)),
                ('version', fields.IntField(default=1, description='Grows by one on every change')),
                ('updated_at', fields.DatetimeField(db_index=True, auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'holiday_day', 'app': 'wenming', 'pk_attr': 'id', 'table_description': 'One date that is not an ordinary weekday/weekend: a holiday or a make-up working day.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HolidayYear',
            fields=[
                ('year', fields.IntField(generated=False, primary_key=True, unique=True, db_index=True)),
                ('announced', fields.BooleanField(default=False, description='False: provisional, festival days by rule and no make-up working days yet')),
                ('announced_by', fields.CharEnumField(default=DaySource.LIBRARY, description='LIBRARY: LIBRARY\nADMIN: ADMIN', enum_type=DaySource, max_length=8)),
                ('synced_at', fields.DatetimeField(null=True, description='When `wenming holidays sync` last filled this year', auto_now=False, auto_now_add=False)),
                ('source_version', fields.CharField(default='', description="The holidays package's version", max_length=30)),
                ('version', fields.IntField(default=1, description='Grows by one on every change')),
                ('updated_at', fields.DatetimeField(db_index=True, auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'holiday_year', 'app': 'wenming', 'pk_attr': 'year', 'table_description': "One synced year: announced (the State Council's schedule is known) or provisional."},
            bases=['Model'],
        ),
    ]
