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


class CheckMethod(StrEnum):
    SCAN = "SCAN"  # 扫码: the volunteer scanned the station's rotating code
    STAFF = "STAFF"  # 手工: staff recorded it by hand


class HoursKind(StrEnum):
    RECORDED = "RECORDED"  # 签退: hours from a check-in and check-out
    CORRECTION = "CORRECTION"  # 更正: staff correct the hours; a new entry, the old one stays


class Attendance(Model):
    """A volunteer's check-in (签到) and check-out (签退) at one occurrence."""

    id = fields.IntField(primary_key=True)
    volunteer = fields.ForeignKeyField("wenming.Volunteer", related_name="attendances", on_delete=fields.CASCADE)
    event = fields.ForeignKeyField("wenming.Event", related_name="attendances", on_delete=fields.CASCADE)
    recurrence_id = fields.DatetimeField()
    site_path = fields.CharField(max_length=255, db_index=True)
    checked_in_at = fields.DatetimeField()
    checked_in_by = fields.CharEnumField(CheckMethod, max_length=5)
    checked_out_at = fields.DatetimeField(null=True)
    checked_out_by = fields.CharEnumField(CheckMethod, max_length=5, null=True)

    class Meta:
        table = "volunteer_attendance"
        unique_together = (("volunteer", "event", "recurrence_id"),)
        ordering = ["id"]


class CodeUse(Model):
    """A check-in code's nonce a volunteer has used: the same code never counts twice for them."""

    id = fields.IntField(primary_key=True)
    volunteer = fields.ForeignKeyField("wenming.Volunteer", related_name="code_uses", on_delete=fields.CASCADE)
    nonce = fields.CharField(max_length=32)
    used_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "checkin_code_use"
        unique_together = (("volunteer", "nonce"),)


class HoursEntry(Model):
    """The service-hours ledger (志愿服务时长): append-only. A correction is a new entry whose
    minutes are the difference; totals are sums."""

    id = fields.IntField(primary_key=True)
    volunteer = fields.ForeignKeyField("wenming.Volunteer", related_name="hours", on_delete=fields.CASCADE)
    event = fields.ForeignKeyField("wenming.Event", related_name="hours", on_delete=fields.CASCADE)
    recurrence_id = fields.DatetimeField()
    served_at = fields.DatetimeField(db_index=True, description="The occurrence's start: periods select on it")
    site_path = fields.CharField(max_length=255, db_index=True)
    team_id = fields.IntField(null=True, db_index=True, description="The event's team when recorded")
    platform_id = fields.IntField(null=True)
    minutes = fields.IntField(description="Minutes served, or a correction's difference (may be negative)")
    kind = fields.CharEnumField(HoursKind, max_length=10)
    corrects = fields.ForeignKeyField("wenming.HoursEntry", related_name="corrections", null=True, on_delete=fields.RESTRICT)
    reason = fields.CharField(max_length=200, default="")
    recorded_by = fields.CharField(max_length=120)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "service_hours"
        ordering = ["id"]


class PointsKind(StrEnum):
    EARNED = "EARNED"  # 积分获得: by the rules, for hours in the ledger
    REDEEMED = "REDEEMED"  # 积分兑换: spent on a reward (礼遇)


class PointsRule(Record):
    """A centre's points scheme (积分制): points per hour served and per occurrence served, for
    occurrences in the site's subtree, optionally only of one platform or one campaign."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("wenming.Site", related_name="points_rules", on_delete=fields.CASCADE)
    site_path = fields.CharField(max_length=255, db_index=True)
    name = fields.CharField(max_length=100)
    per_hour = fields.IntField(default=0, description="Points per hour served (pro rata by the minute)")
    per_occurrence = fields.IntField(default=0, description="Points per occurrence served (once, at check-out)")
    platform = fields.ForeignKeyField("wenming.Platform", related_name="points_rules", null=True, on_delete=fields.CASCADE)
    campaign = fields.ForeignKeyField("wenming.Campaign", related_name="points_rules", null=True, on_delete=fields.CASCADE)

    class Meta:
        table = "points_rule"
        ordering = ["id"]


class Reward(Record):
    """What points buy (礼遇): a centre's offer, e.g. 免费体检, 公交卡, 优先办理."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("wenming.Site", related_name="rewards", on_delete=fields.CASCADE)
    site_path = fields.CharField(max_length=255, db_index=True)
    name = fields.CharField(max_length=100)
    description = fields.TextField(default="")
    cost = fields.IntField(description="Points it costs")

    class Meta:
        table = "reward"
        ordering = ["id"]


class PointsEntry(Model):
    """The points ledger, append-only: a balance is a sum."""

    id = fields.IntField(primary_key=True)
    volunteer = fields.ForeignKeyField("wenming.Volunteer", related_name="points", on_delete=fields.CASCADE)
    points = fields.IntField(description="Points added, or spent (negative)")
    kind = fields.CharEnumField(PointsKind, max_length=8)
    site_path = fields.CharField(max_length=255, db_index=True, description="Where earned (the occurrence's site) or spent")
    rule = fields.ForeignKeyField("wenming.PointsRule", related_name="entries", null=True, on_delete=fields.SET_NULL)
    hours_entry = fields.ForeignKeyField("wenming.HoursEntry", related_name="points", null=True, on_delete=fields.CASCADE)
    reward = fields.ForeignKeyField("wenming.Reward", related_name="redemptions", null=True, on_delete=fields.SET_NULL)
    note = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "points_entry"
        ordering = ["id"]
