from tortoise import migrations
from tortoise.migrations import operations as ops
from api.models.volunteering import SignupStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('wenming', '0005_search')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SignupSheet',
            fields=[
                ('created_at', fields.DatetimeField(description='When the record was created', auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, description='When the record last changed', auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, description='Soft delete: set instead of deleting', auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1, description='Grows by one on every change')),
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.OneToOneField('wenming.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='signup_sheet', on_delete=OnDelete.CASCADE)),
                ('capacity', fields.IntField(description='Places per occurrence')),
                ('opens_at', fields.DatetimeField(null=True, description='Sign-up opens (null: now)', auto_now=False, auto_now_add=False)),
                ('closes_at', fields.DatetimeField(null=True, description='Sign-up closes (null: when the occurrence starts)', auto_now=False, auto_now_add=False)),
                ('residents_allowed', fields.BooleanField(default=False, description='Residents (name and phone) may sign up too')),
            ],
            options={'table': 'signup_sheet', 'app': 'wenming', 'pk_attr': 'id', 'table_description': 'The sign-up settings of an event, for each of its occurrences.'},
            bases=['Record'],
        ),
        ops.CreateModel(
            name='SignupSlot',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('wenming.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='signup_slots', on_delete=OnDelete.CASCADE)),
                ('recurrence_id', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('changes', fields.IntField(default=0, description='Grows by one on every sign-up or cancellation')),
            ],
            options={'table': 'signup_slot', 'app': 'wenming', 'unique_together': (('event', 'recurrence_id'),), 'pk_attr': 'id', 'table_description': 'One row per occurrence that took sign-ups: the row every sign-up and cancellation of'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Volunteer',
            fields=[
                ('created_at', fields.DatetimeField(description='When the record was created', auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(db_index=True, description='When the record last changed', auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, description='Soft delete: set instead of deleting', auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1, description='Grows by one on every change')),
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.OneToOneField('wenming.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='volunteer', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, description='SHA-256 of the volunteer token', max_length=64)),
                ('show_on_leaderboard', fields.BooleanField(default=False, description='Opted in to be named on public leaderboards')),
            ],
            options={'table': 'volunteer', 'app': 'wenming', 'pk_attr': 'id', 'table_description': "A person's volunteer profile: the private token they sign up and check in with, and"},
            bases=['Record'],
        ),
        ops.CreateModel(
            name='Signup',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('wenming.Event', source_field='event_id', db_constraint=True, to_field='id', related_name='signups', on_delete=OnDelete.CASCADE)),
                ('recurrence_id', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('site_path', fields.CharField(db_index=True, description="The event's site path, for scope", max_length=255)),
                ('volunteer', fields.ForeignKeyField('wenming.Volunteer', source_field='volunteer_id', null=True, db_constraint=True, to_field='id', related_name='signups', on_delete=OnDelete.CASCADE)),
                ('resident_name', fields.CharField(null=True, max_length=50)),
                ('resident_phone', fields.CharField(null=True, max_length=30)),
                ('token_hash', fields.CharField(unique=True, description="SHA-256 of the sign-up's private token", max_length=64)),
                ('status', fields.CharEnumField(db_index=True, description='CONFIRMED: CONFIRMED\nWAITING: WAITING\nCANCELLED: CANCELLED', enum_type=SignupStatus, max_length=10)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('confirmed_at', fields.DatetimeField(null=True, description='When it got a place (at once, or promoted)', auto_now=False, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'signup', 'app': 'wenming', 'pk_attr': 'id', 'table_description': "A volunteer's or a resident's sign-up for one occurrence."},
            bases=['Model'],
        ),
    ]
