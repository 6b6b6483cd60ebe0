"""China's calendar: the public-holiday table (节假日) with its make-up working days (调休).

Filled from the `holidays` package (`wenming holidays sync`); an ADMIN corrects or extends it.
Lunar dates, solar terms and festivals are computed, not stored (api/china_calendar/lunar.py).
"""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class DayKind(StrEnum):
    HOLIDAY = "HOLIDAY"  # 放假: a day off of a public holiday (including the weekend inside it)
    MAKEUP_WORKDAY = "MAKEUP_WORKDAY"  # 调休上班: a weekend day worked in exchange for a day off
    ORDINARY = "ORDINARY"  # an ADMIN's correction: this date follows the weekday rule after all


class DaySource(StrEnum):
    LIBRARY = "LIBRARY"  # from the holidays package; a sync replaces it
    ADMIN = "ADMIN"  # an administrator's correction; a sync never touches it


class HolidayYear(Model):
    """One synced year: announced (the State Council's schedule is known) or provisional."""

    year = fields.IntField(primary_key=True, generated=False)
    announced = fields.BooleanField(
        default=False, description="False: provisional, festival days by rule and no make-up working days yet"
    )
    announced_by = fields.CharEnumField(DaySource, max_length=8, default=DaySource.LIBRARY)
    synced_at = fields.DatetimeField(null=True, description="When `wenming holidays sync` last filled this year")
    source_version = fields.CharField(max_length=30, default="", description="The holidays package's version")
    version = fields.IntField(default=1, description="Grows by one on every change")
    updated_at = fields.DatetimeField(auto_now=True, db_index=True)

    class Meta:
        table = "holiday_year"
        ordering = ["year"]


class HolidayDay(Model):
    """One date that is not an ordinary weekday/weekend: a holiday or a make-up working day."""

    id = fields.IntField(primary_key=True)
    day = fields.DateField(unique=True)
    kind = fields.CharEnumField(DayKind, max_length=16)
    name = fields.CharField(
        max_length=50, default="", description="The holiday (国庆节), or for a make-up working day the holiday it pays for"
    )
    label = fields.CharField(max_length=100, default="", description="As the source words it: 国庆节（补假）")
    source = fields.CharEnumField(DaySource, max_length=8, default=DaySource.LIBRARY, db_index=True)
    note = fields.CharField(max_length=200, default="", description="Why an ADMIN corrected it")
    version = fields.IntField(default=1, description="Grows by one on every change")
    updated_at = fields.DatetimeField(auto_now=True, db_index=True)

    class Meta:
        table = "holiday_day"
        ordering = ["day"]
