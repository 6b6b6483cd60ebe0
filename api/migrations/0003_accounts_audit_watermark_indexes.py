from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from api.models.accounts import Role
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('wenming', '0002_prefix_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Account',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('username', fields.CharField(unique=True, max_length=64)),
                ('display_name', fields.CharField(default='', max_length=50)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('disabled_at', fields.DatetimeField(null=True, description="A disabled account's tokens stop working", auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account', 'app': 'wenming', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApiToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('prefix', fields.CharField(description='The first characters, to recognise a token in lists', max_length=12)),
                ('account', fields.ForeignKeyField('wenming.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('site', fields.ForeignKeyField('wenming.Site', source_field='site_id', null=True, db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(null=True, description='VIEWER: VIEWER\nEDITOR: EDITOR\nADMIN: ADMIN', enum_type=Role, max_length=8)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_token', 'app': 'wenming', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('account', fields.ForeignKeyField('wenming.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL)),
                ('token', fields.ForeignKeyField('wenming.ApiToken', source_field='token_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL)),
                ('actor', fields.CharField(description="Who, as shown: 'account alice' or 'token 门户后台 (wm_3fK9)'", max_length=120)),
                ('action', fields.CharField(description='CREATE, UPDATE, DELETE, RESTORE, PUBLISH ...', max_length=32)),
                ('object_type', fields.CharField(max_length=32)),
                ('object_id', fields.IntField()),
                ('site_path', fields.CharField(null=True, db_index=True, max_length=255)),
                ('before', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'audit_entry', 'app': 'wenming', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Grant',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('wenming.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='grants', on_delete=OnDelete.CASCADE)),
                ('site', fields.ForeignKeyField('wenming.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='grants', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(description='VIEWER: VIEWER\nEDITOR: EDITOR\nADMIN: ADMIN', enum_type=Role, max_length=8)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'role_grant', 'app': 'wenming', 'unique_together': (('account', 'site'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Campaign',
            name='updated_at',
            field=fields.DatetimeField(db_index=True, description='When the record last changed', auto_now=True, auto_now_add=False),
        ),
        ops.AlterField(
            model_name='Event',
            name='updated_at',
            field=fields.DatetimeField(db_index=True, description='When the record last changed', auto_now=True, auto_now_add=False),
        ),
        ops.AlterField(
            model_name='EventOverride',
            name='updated_at',
            field=fields.DatetimeField(db_index=True, auto_now=True, auto_now_add=False),
        ),
        ops.AlterField(
            model_name='Membership',
            name='updated_at',
            field=fields.DatetimeField(db_index=True, description='When the record last changed', auto_now=True, auto_now_add=False),
        ),
        ops.AlterField(
            model_name='Person',
            name='updated_at',
            field=fields.DatetimeField(db_index=True, description='When the record last changed', auto_now=True, auto_now_add=False),
        ),
        ops.AlterField(
            model_name='Platform',
            name='updated_at',
            field=fields.DatetimeField(db_index=True, description='When the record last changed', auto_now=True, auto_now_add=False),
        ),
        ops.AlterField(
            model_name='Site',
            name='updated_at',
            field=fields.DatetimeField(db_index=True, description='When the record last changed', auto_now=True, auto_now_add=False),
        ),
        ops.AlterField(
            model_name='Team',
            name='updated_at',
            field=fields.DatetimeField(db_index=True, description='When the record last changed', auto_now=True, auto_now_add=False),
        ),
        ops.AlterField(
            model_name='Venue',
            name='updated_at',
            field=fields.DatetimeField(db_index=True, description='When the record last changed', auto_now=True, auto_now_add=False),
        ),
    ]
