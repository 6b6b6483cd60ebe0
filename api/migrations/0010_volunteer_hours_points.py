from tortoise import migrations
from tortoise.migrations import operations as ops
from api.models.volunteering import CheckMethod, HoursKind, PointsKind
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('wenming', '0009_china_calendar')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Attendance',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('volunteer', fields.ForeignKeyField('wenming.Volunteer', source_field='volunteer_id', db_constraint=True, to_field='id', related_name='attendances', on_delete=OnDelete.CASCADE)),
                ('event', fields.ForeignKeyField('wenming.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='attendances', on_delete=OnDelete.CASCADE)),
                ('recurrence_id', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('site_path', fields.CharField(db_index=True, max_length=255)),
                ('checked_in_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('checked_in_by', fields.CharEnumField(description='SCAN: SCAN\nSTAFF: STAFF', enum_type=CheckMethod, max_length=5)),
                ('checked_out_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('checked_out_by', fields.CharEnumField(null=True, description='SCAN: SCAN\nSTAFF: STAFF', enum_type=CheckMethod, max_length=5)),
            ],
            options={'table': 'volunteer_attendance', 'app': 'wenming', 'unique_together': (('volunteer', 'event', 'recurrence_id'),), 'pk_attr': 'id', 'table_description': "A volunteer's check-in (签到) and check-out (签退) at one occurrence."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CodeUse',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('volunteer', fields.ForeignKeyField('wenming.Volunteer', source_field='volunteer_id', db_constraint=True, to_field='id', related_name='code_uses', on_delete=OnDelete.CASCADE)),
                ('nonce', fields.CharField(max_length=32)),
                ('used_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'checkin_code_use', 'app': 'wenming', 'unique_together': (('volunteer', 'nonce'),), 'pk_attr': 'id', 'table_description': "A check-in code's nonce a volunteer has used: the same code never counts twice for them."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HoursEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('volunteer', fields.ForeignKeyField('wenming.Volunteer', source_field='volunteer_id', db_constraint=True, to_field='id', related_name='hours', on_delete=OnDelete.CASCADE)),
                ('event', fields.ForeignKeyField('wenming.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='hours', on_delete=OnDelete.CASCADE)),
                ('recurrence_id', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('served_at', fields.DatetimeField(db_index=True, description="The occurrence's start: periods select on it", auto_now=False, auto_now_add=False)),
                ('site_path', fields.CharField(db_index=True, max_length=255)),
                ('team_id', fields.IntField(null=True, db_index=True, description="The event's team when recorded")),
                ('platform_id', fields.IntField(null=True)),
                ('minutes', fields.IntField(description="Minutes served, or a correction's difference (may be negative)")),
                ('kind', fields.CharEnumField(description='RECORDED: RECORDED\nCORRECTION: CORRECTION', enum_type=HoursKind, max_length=10)),
                ('corrects', fields.ForeignKeyField('wenming.HoursEntry', source_field='corrects_id', null=True, db_constraint=True, to_field='id', related_name='corrections', on_delete=OnDelete.RESTRICT)),
                ('reason', fields.CharField(default='', max_length=200)),
                ('recorded_by', fields.CharField(max_length=120)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'service_hours', 'app': 'wenming', 'pk_attr': 'id', 'table_description': 'The service-hours ledger (志愿服务时长): append-only. A correction is a new entry whose'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PointsRule',
            fields=[
                ('created_at', fields.DatetimeField(description='When the record was created', auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, description='When the record last changed', auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, description='Soft delete: set instead of deleting', auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1, description='Grows by one on every change')),
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('wenming.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='points_rules', on_delete=OnDelete.CASCADE)),
                ('site_path', fields.CharField(db_index=True, max_length=255)),
                ('name', fields.CharField(max_length=100)),
                ('per_hour', fields.IntField(default=0, description='Points per hour served (pro rata by the minute)')),
                ('per_occurrence', fields.IntField(default=0, description='Points per occurrence served (once, at check-out)')),
                ('platform', fields.ForeignKeyField('wenming.Platform', source_field='platform_id', null=True, db_constraint=True, to_field='id', related_name='points_rules', on_delete=OnDelete.CASCADE)),
                ('campaign', fields.ForeignKeyField('wenming.Campaign', source_field='campaign_id', null=True, db_constraint=True, to_field='id', related_name='points_rules', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'points_rule', 'app': 'wenming', 'pk_attr': 'id', 'table_description': "A centre's points scheme (积分制): points per hour served and per occurrence served, for"},
            bases=['Record'],
        ),
        ops.CreateModel(
            name='Reward',
            fields=[
                ('created_at', fields.DatetimeField(description='When the record was created', auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, description='When the record last changed', auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, description='Soft delete: set instead of deleting', auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1, description='Grows by one on every change')),
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('wenming.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='rewards', on_delete=OnDelete.CASCADE)),
                ('site_path', fields.CharField(db_index=True, max_length=255)),
                ('name', fields.CharField(max_length=100)),
                ('description', fields.TextField(default='', unique=False)),
                ('cost', fields.IntField(description='Points it costs')),
            ],
            options={'table': 'reward', 'app': 'wenming', 'pk_attr': 'id', 'table_description': "What points buy (礼遇): a centre's offer, e.g. 免费体检, 公交卡, 优先办理."},
            bases=['Record'],
        ),
        ops.CreateModel(
            name='PointsEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('volunteer', fields.ForeignKeyField('wenming.Volunteer', source_field='volunteer_id', db_constraint=True, to_field='id', related_name='points', on_delete=OnDelete.CASCADE)),
                ('points', fields.IntField(description='Points added, or spent (negative)')),
                ('kind', fields.CharEnumField(description='EARNED: EARNED\nREDEEMED: REDEEMED', enum_type=PointsKind, max_length=8)),
                ('site_path', fields.CharField(db_index=True, description="Where earned (the occurrence's site) or spent", max_length=255)),
                ('rule', fields.ForeignKeyField('wenming.PointsRule', source_field='rule_id', null=True, db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.SET_NULL)),
                ('hours_entry', fields.ForeignKeyField('wenming.HoursEntry', source_field='hours_entry_id', null=True, db_constraint=True, to_field='id', related_name='points', on_delete=OnDelete.CASCADE)),
                ('reward', fields.ForeignKeyField('wenming.Reward', source_field='reward_id', null=True, db_constraint=True, to_field='id', related_name='redemptions', on_delete=OnDelete.SET_NULL)),
                ('note', fields.CharField(default='', max_length=200)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'points_entry', 'app': 'wenming', 'pk_attr': 'id', 'table_description': 'The points ledger, append-only: a balance is a sum.'},
            bases=['Model'],
        ),
    ]
