from tortoise import migrations
from tortoise.migrations import operations as ops
from api.models.orders import OrderStatus, Party
from tortoise.fields.base import OnDelete
from tortoise import fields


async def _prefix_index(apps, schema_editor) -> None:
    # PostgreSQL: prefix LIKE on site_path needs varchar_pattern_ops (see 0002).
    if schema_editor.client.capabilities.dialect == "postgres":
        await schema_editor.client.execute_script(
            'CREATE INDEX IF NOT EXISTS "service_order_site_path_prefix_idx" ON "service_order" ("site_path" varchar_pattern_ops)'
        )


async def _drop_prefix_index(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "postgres":
        await schema_editor.client.execute_script('DROP INDEX IF EXISTS "service_order_site_path_prefix_idx"')


class Migration(migrations.Migration):
    dependencies = [('wenming', '0003_accounts_audit_watermark_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ServiceItem',
            fields=[
                ('created_at', fields.DatetimeField(description='When the record was created', auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, description='When the record last changed', auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, description='Soft delete: set instead of deleting', auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1, description='Grows by one on every change')),
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('platform', fields.ForeignKeyField('wenming.Platform', source_field='platform_id', db_constraint=True, to_field='id', related_name='service_items', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=100)),
                ('description', fields.TextField(default='', unique=False)),
                ('typical_minutes', fields.IntField(default=90, description='Typical duration, the default length of a scheduled activity')),
                ('published', fields.BooleanField(default=False, db_index=True, description='Only published items can be ordered')),
            ],
            options={'table': 'service_item', 'app': 'wenming', 'pk_attr': 'id', 'table_description': 'One entry of a service menu (服务菜单).'},
            bases=['Record'],
        ),
        ops.CreateModel(
            name='Order',
            fields=[
                ('created_at', fields.DatetimeField(description='When the record was created', auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, description='When the record last changed', auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, description='Soft delete: set instead of deleting', auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1, description='Grows by one on every change')),
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item', fields.ForeignKeyField('wenming.ServiceItem', source_field='item_id', db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.RESTRICT)),
                ('platform', fields.ForeignKeyField('wenming.Platform', source_field='platform_id', db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.RESTRICT)),
                ('site', fields.ForeignKeyField('wenming.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.RESTRICT)),
                ('site_path', fields.CharField(db_index=True, description="The site's path, for subtree filters", max_length=255)),
                ('preferred_times', fields.CharField(default='', description='When the resident would like it, as written', max_length=200)),
                ('note', fields.TextField(default='', unique=False)),
                ('resident_name', fields.CharField(max_length=50)),
                ('resident_phone', fields.CharField(max_length=30)),
                ('token_hash', fields.CharField(unique=True, description="SHA-256 of the resident's order token", max_length=64)),
                ('status', fields.CharEnumField(default=OrderStatus.ORDERED, db_index=True, description='ORDERED: ORDERED\nDISPATCHED: DISPATCHED\nACCEPTED: ACCEPTED\nDECLINED: DECLINED\nSCHEDULED: SCHEDULED\nDONE: DONE\nRATED: RATED\nCANCELLED: CANCELLED', enum_type=OrderStatus, max_length=12)),
                ('team', fields.ForeignKeyField('wenming.Team', source_field='team_id', null=True, db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.RESTRICT)),
                ('decline_reason', fields.CharField(default='', max_length=200)),
                ('event', fields.ForeignKeyField('wenming.Event', source_field='event_id', null=True, db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.SET_NULL)),
                ('attendance', fields.IntField(null=True)),
                ('rating', fields.SmallIntField(null=True)),
                ('rating_comment', fields.CharField(default='', max_length=500)),
                ('dispatched_at', fields.DatetimeField(null=True, description='The latest dispatch', auto_now=False, auto_now_add=False)),
                ('seconds_to_dispatch', fields.IntField(null=True, description='From ordering to the first dispatch')),
                ('seconds_to_accept', fields.IntField(null=True, description='From the latest dispatch to acceptance')),
            ],
            options={'table': 'service_order', 'app': 'wenming', 'pk_attr': 'id', 'table_description': 'A resident\'s order (点单). "order" is an SQL keyword, hence the table name.'},
            bases=['Record'],
        ),
        ops.CreateModel(
            name='OrderTransition',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('wenming.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='transitions', on_delete=OnDelete.CASCADE)),
                ('from_status', fields.CharEnumField(null=True, description='Null for the order being placed', enum_type=OrderStatus, max_length=12)),
                ('to_status', fields.CharEnumField(description='ORDERED: ORDERED\nDISPATCHED: DISPATCHED\nACCEPTED: ACCEPTED\nDECLINED: DECLINED\nSCHEDULED: SCHEDULED\nDONE: DONE\nRATED: RATED\nCANCELLED: CANCELLED', enum_type=OrderStatus, max_length=12)),
                ('party', fields.CharEnumField(description='STAFF: STAFF\nTEAM: TEAM\nRESIDENT: RESIDENT', enum_type=Party, max_length=8)),
                ('actor', fields.CharField(description="The account or token label, or 'resident'", max_length=120)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('note', fields.CharField(default='', max_length=500)),
            ],
            options={'table': 'service_order_transition', 'app': 'wenming', 'pk_attr': 'id', 'table_description': "One step in an order's history: from, to, who and when."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ServiceItemSite',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item', fields.ForeignKeyField('wenming.ServiceItem', source_field='item_id', db_constraint=True, to_field='id', related_name='site_links', on_delete=OnDelete.CASCADE)),
                ('site', fields.ForeignKeyField('wenming.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='service_item_links', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'service_item_site', 'app': 'wenming', 'unique_together': (('item', 'site'),), 'pk_attr': 'id', 'table_description': 'The item is offered at this site, and so on the menu of every site below it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ServiceItemTeam',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item', fields.ForeignKeyField('wenming.ServiceItem', source_field='item_id', db_constraint=True, to_field='id', related_name='team_links', on_delete=OnDelete.CASCADE)),
                ('team', fields.ForeignKeyField('wenming.Team', source_field='team_id', db_constraint=True, to_field='id', related_name='service_item_links', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'service_item_team', 'app': 'wenming', 'unique_together': (('item', 'team'),), 'pk_attr': 'id', 'table_description': "This team offers the item: the dispatch desk's first choice."},
            bases=['Model'],
        ),
        ops.RunPython(_prefix_index, _drop_prefix_index),
    ]
