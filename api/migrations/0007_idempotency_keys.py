from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('wenming', '0006_volunteering')]

    initial = False

    operations = [
        ops.CreateModel(
            name='IdempotencyKey',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('caller', fields.CharField(description="Who sent it: a hash of the Authorization header, or 'anonymous'", max_length=64)),
                ('key', fields.CharField(description="The client's Idempotency-Key, as sent", max_length=255)),
                ('request_hash', fields.CharField(description='SHA-256 of the request (query, variables, operation)', max_length=64)),
                ('status', fields.IntField(description="The first answer's HTTP status")),
                ('content_type', fields.CharField(description="The first answer's media type", max_length=100)),
                ('response', fields.TextField(description="The first answer's body", unique=False)),
                ('created_at', fields.DatetimeField(db_index=True, description='Kept for KEEP_HOURS after this', auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'idempotency_key', 'app': 'wenming', 'unique_together': (('caller', 'key'),), 'pk_attr': 'id', 'table_description': 'The first answer to a mutation sent with an Idempotency-Key header.'},
            bases=['Model'],
        ),
    ]
