"""Volunteering (志愿服务): volunteer credentials, sign-up sheets (报名) and sign-ups."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from api.models.base import Record


class SignupStatus(StrEnum):
    CONFIRMED = "CONFIRMED"  # 已报名: has a place
    WAITING = "WAITING"  # 候补: on the waiting list, moves up when someone cancels
    CANCELLED = "CANCELLED"  # 已取消


class Volunteer(Record):
    """A person's volunteer profile: the private token they sign up and check in with, and
    whether their name may be shown on public leaderboards."""

    id = fields.IntField(primary_key=True)
    person = fields.OneToOneField("wenming.Person", related_name="volunteer", on_delete=fields.CASCADE)
    token_hash = fields.CharField(max_length=64, unique=True, description="SHA-256 of the volunteer token")
    show_on_leaderboard = fields.BooleanField(default=False, description="Opted in to be named on public leaderboards")

    class Meta:
        table = "volunteer"
        ordering = ["id"]


class SignupSheet(Record):
    """The sign-up settings of an event, for each of its occurrences."""

    id = fields.IntField(primary_key=True)
    event = fields.OneToOneField("wenming.Event", related_name="signup_sheet", on_delete=fields.CASCADE)
    capacity = fields.IntField(description="Places per occurrence")
    opens_at = fields.DatetimeField(null=True, description="Sign-up opens (null: now)")
    closes_at = fields.DatetimeField(null=True, description="Sign-up closes (null: when the occurrence starts)")
    residents_allowed = fields.BooleanField(default=False, description="Residents (name and phone) may sign up too")

    class Meta:
        table = "signup_sheet"
        ordering = ["id"]


class SignupSlot(Model):
    """One row per occurrence that took sign-ups: the row every sign-up and cancellation of
    that occurrence locks first, so places are counted one writer at a time. Occurrence rows
    are rewritten on every event edit, so an occurrence is named by (event, recurrence_id)."""

    id = fields.IntField(primary_key=True)
    event = fields.ForeignKeyField("wenming.Event", related_name="signup_slots", on_delete=fields.CASCADE)
    recurrence_id = fields.DatetimeField()
    changes = fields.IntField(default=0, description="Grows by one on every sign-up or cancellation")

    class Meta:
        table = "signup_slot"
        unique_together = (("event", "recurrence_id"),)


class Signup(Model):
    """A volunteer's or a resident's sign-up for one occurrence."""

    id = fields.IntField(primary_key=True)
    event = fields.ForeignKeyField("wenming.Event", related_name="signups", on_delete=fields.CASCADE)
    recurrence_id = fields.DatetimeField(db_index=True)
    site_path = fields.CharField(max_length=255, db_index=True, description="The event's site path, for scope")
    volunteer = fields.ForeignKeyField("wenming.Volunteer", related_name="signups", null=True, on_delete=fields.CASCADE)
    # Private: a resident's name and phone (null for a volunteer).
    resident_name = fields.CharField(max_length=50, null=True)
    resident_phone = fields.CharField(max_length=30, null=True)
    token_hash = fields.CharField(max_length=64, unique=True, description="SHA-256 of the sign-up's private token")
    status = fields.CharEnumField(SignupStatus, max_length=10, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    confirmed_at = fields.DatetimeField(null=True, description="When it got a place (at once, or promoted)")
    cancelled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "signup"
        ordering = ["id"]
