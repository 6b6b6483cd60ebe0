from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from api.models.content import ReportStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields


async def _prefix_index(apps, schema_editor) -> None:
    # PostgreSQL: prefix LIKE on site_path needs varchar_pattern_ops (see 0002).
    if schema_editor.client.capabilities.dialect == "postgres":
        await schema_editor.client.execute_script(
            'CREATE INDEX IF NOT EXISTS "report_site_path_prefix_idx" ON "report" ("site_path" varchar_pattern_ops)'
        )


async def _drop_prefix_index(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "postgres":
        await schema_editor.client.execute_script('DROP INDEX IF EXISTS "report_site_path_prefix_idx"')


class Migration(migrations.Migration):
    dependencies = [('wenming', '0007_idempotency_keys')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Image',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('digest', fields.CharField(unique=True, description='SHA-256 of the stored (stripped) original', max_length=64)),
                ('format', fields.CharField(description='Format of the original: jpeg, png or webp', max_length=8)),
                ('width', fields.IntField(description='Width in pixels, after the EXIF orientation was applied')),
                ('height', fields.IntField(description='Height in pixels, after the EXIF orientation was applied')),
                ('blurhash', fields.CharField(description='BlurHash placeholder', max_length=64)),
                ('size_bytes', fields.IntField(description='Size of the stored original, in bytes')),
                ('site', fields.ForeignKeyField('wenming.Site', source_field='site_id', null=True, description="The site of the uploader's grant, for the audit log", db_constraint=True, to_field='id', related_name='images', on_delete=OnDelete.SET_NULL)),
                ('uploaded_by', fields.CharField(default='', description='Who uploaded it, as the audit log names them', max_length=100)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'image', 'app': 'wenming', 'pk_attr': 'id', 'table_description': 'An uploaded photo, stored under the SHA-256 of its stripped original (content-addressed):'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Report',
            fields=[
                ('created_at', fields.DatetimeField(description='When the record was created', auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, description='When the record last changed', auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, description='Soft delete: set instead of deleting', auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1, description='Grows by one on every change')),
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=120)),
                ('summary', fields.CharField(default='', max_length=300)),
                ('body', fields.TextField(default='', description='Sanitised HTML (nh3 allowlist)', unique=False)),
                ('body_text', fields.TextField(default='', description='The body as plain text, for big screens', unique=False)),
                ('site', fields.ForeignKeyField('wenming.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='reports', on_delete=OnDelete.RESTRICT)),
                ('site_path', fields.CharField(db_index=True, description="The site's path, for subtree filters", max_length=255)),
                ('event', fields.ForeignKeyField('wenming.Event', source_field='event_id', null=True, db_constraint=True, to_field='id', related_name='reports', on_delete=OnDelete.SET_NULL)),
                ('occurrence_start', fields.DatetimeField(null=True, description='One occurrence of the event, by its start', auto_now=False, auto_now_add=False)),
                ('campaign', fields.ForeignKeyField('wenming.Campaign', source_field='campaign_id', null=True, db_constraint=True, to_field='id', related_name='reports', on_delete=OnDelete.SET_NULL)),
                ('teams', fields.ManyToManyField('wenming.Team', unique=True, db_constraint=True, through='report_team', forward_key='team_id', backward_key='report_id', related_name='reports', on_delete=OnDelete.CASCADE)),
                ('cover', fields.ForeignKeyField('wenming.Image', source_field='cover_id', null=True, db_constraint=True, to_field='id', related_name='covers', on_delete=OnDelete.SET_NULL)),
                ('gallery', fields.JSONField(default=list, description='Image ids of the gallery, in order', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=ReportStatus.DRAFT, db_index=True, description='DRAFT: DRAFT\nIN_REVIEW: IN_REVIEW\nPUBLISHED: PUBLISHED\nUNPUBLISHED: UNPUBLISHED', enum_type=ReportStatus, max_length=12)),
                ('author', fields.CharField(default='', description='Who wrote it, as the audit log names them', max_length=100)),
                ('published_at', fields.DatetimeField(null=True, description='When it was (last) published', auto_now=False, auto_now_add=False)),
                ('listed_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'report', 'app': 'wenming', 'pk_attr': 'id'},
            bases=['Record'],
        ),
        ops.RunPython(_prefix_index, _drop_prefix_index),
    ]
