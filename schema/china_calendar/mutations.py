"""Correcting and extending the holiday table: an ADMIN on a centre (the table is the whole
network's). Every change is audited; `wenming holidays sync` keeps corrections."""

from __future__ import annotations

from datetime import date

import strawberry

from api.china_calendar import holidays as holiday_rules
from api.china_calendar import templates as template_rules
from api.china_calendar.days import calendar_days
from api.domain import audit
from api.domain.permissions import NETWORK
from api.domain.writes import Write
from api.models.accounts import Role
from api.models.china_calendar import DayKind
from schema.china_calendar.types import CalendarDay, DayKindEnum, HolidayYear
from schema.core.context import Info
from schema.core.mutation import UserError, payload, perform
from schema.network.types import Campaign

CalendarDayPayload = payload("CalendarDayPayload", "day", CalendarDay, "calendar day")
HolidayYearPayload = payload("HolidayYearPayload", "year", HolidayYear, "holiday year")


@strawberry.input(description="What a date is, as an administrator corrects the holiday table (更正节假日). "
                  "Needs ADMIN on a centre.")
class CorrectHolidayDayInput:
    date: date = strawberry.field(description="The date")
    kind: DayKindEnum = strawberry.field(description="HOLIDAY (放假), MAKEUP_WORKDAY (调休上班) or ORDINARY (the weekday rule)")
    name: str | None = strawberry.field(default=None, description="The holiday (国庆节); for a make-up working day the holiday it pays for. Up to 50 characters; none for ORDINARY")
    note: str | None = strawberry.field(default=None, description="Why, e.g. the State Council's notice (国办发明电〔2026〕X号). Up to 200 characters")
    version: int | None = strawberry.field(default=None, description="The version you read of the date's entry, if it has one: a newer one means a colleague changed it")


@strawberry.input(description="Undo an administrator's correction of a date: it is what the holidays package says again.")
class RevertHolidayDayInput:
    date: date = strawberry.field(description="The corrected date")


@strawberry.input(description="Mark a year's holiday schedule announced (已公布: entered, no longer provisional) or provisional (暂定).")
class AnnounceHolidayYearInput:
    year: int = strawberry.field(description="The year, 1950-2100")
    announced: bool = strawberry.field(description="True: the schedule is complete; false: provisional")
    version: int | None = strawberry.field(default=None, description="The version of the year you read")


@strawberry.input(description="Adopt a year's campaign templates as campaigns (采用节日活动模板). Campaigns are the "
                  "whole network's: needs EDITOR on a centre.")
class AdoptCampaignTemplatesInput:
    year: int = strawberry.field(description="The year of the templates")
    keys: list[str] | None = strawberry.field(default=None, description="The templates' keys (SPRING, LEIFENG ...); none: all of them")


@strawberry.type(description="The result of adoptCampaignTemplates.")
class AdoptCampaignTemplatesPayload:
    campaigns: list[Campaign] | None = strawberry.field(
        default=None, description="The campaigns of the templates asked for, those adopted before included; null when errors is not empty")
    created: int = strawberry.field(default=0, description="How many campaigns this call created (0 when all were adopted already)")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Empty on success; otherwise why nothing changed")


async def _adopt(write: Write, input: AdoptCampaignTemplatesInput) -> tuple[list, int]:
    write.actor.require(Role.EDITOR, NETWORK, where="campaigns (network-wide)")
    created, campaigns = await template_rules.adopt(input.year, input.keys)
    for row in created:
        await write.audit("CREATE", row, site_path=NETWORK)
    return campaigns, len(created)


async def _day(day: date) -> CalendarDay:
    return CalendarDay.of((await calendar_days(day, day))[0])


async def _correct(write: Write, input: CorrectHolidayDayInput) -> CalendarDay:
    write.actor.require(Role.ADMIN, NETWORK, where="the holiday table (network-wide)")
    before, row = await holiday_rules.correct_day(input.date, DayKind(input.kind.value), input.name, input.note,
                                                  input.version, write.occurrence_changes)
    await write.audit("CORRECT", row, site_path=NETWORK, before=before and audit.snapshot(before))
    return await _day(input.date)


async def _revert(write: Write, input: RevertHolidayDayInput) -> CalendarDay:
    write.actor.require(Role.ADMIN, NETWORK, where="the holiday table (network-wide)")
    removed, restored = await holiday_rules.revert_day(input.date, write.occurrence_changes)
    await audit.record(write.actor, "REVERT", "HolidayDay", removed.id, site_path=NETWORK,
                       before=audit.snapshot(removed), after=restored and audit.snapshot(restored))
    return await _day(input.date)


async def _announce(write: Write, input: AnnounceHolidayYearInput) -> HolidayYear:
    write.actor.require(Role.ADMIN, NETWORK, where="the holiday table (network-wide)")
    row = await holiday_rules.announce_year(input.year, input.announced, input.version)
    await write.audit("ANNOUNCE" if input.announced else "UNANNOUNCE", row, site_path=NETWORK)
    return HolidayYear.of(row)


@strawberry.type(description="Correcting and extending the holiday table.")
class ChinaCalendarMutation:
    @strawberry.mutation(description="Set what a date is in the holiday table: a holiday, a make-up working day, or "
                         "ordinary (needs ADMIN on a centre). A sync keeps the correction; series that follow the calendar move with it")
    async def correct_holiday_day(self, info: Info, input: CorrectHolidayDayInput) -> CalendarDayPayload:  # type: ignore[valid-type]
        day, errors = await perform(info, lambda w: _correct(w, input))
        return CalendarDayPayload(day=day, errors=errors)

    @strawberry.mutation(description="Undo a correction of the holiday table (needs ADMIN on a centre)")
    async def revert_holiday_day(self, info: Info, input: RevertHolidayDayInput) -> CalendarDayPayload:  # type: ignore[valid-type]
        day, errors = await perform(info, lambda w: _revert(w, input))
        return CalendarDayPayload(day=day, errors=errors)

    @strawberry.mutation(description="Mark a year's holiday schedule announced or provisional (needs ADMIN on a centre)")
    async def announce_holiday_year(self, info: Info, input: AnnounceHolidayYearInput) -> HolidayYearPayload:  # type: ignore[valid-type]
        year, errors = await perform(info, lambda w: _announce(w, input))
        return HolidayYearPayload(year=year, errors=errors)

    @strawberry.mutation(description="Adopt a year's festival campaign templates as campaigns, in one go (needs EDITOR on "
                         "a centre). Templates adopted before are not created twice")
    async def adopt_campaign_templates(self, info: Info, input: AdoptCampaignTemplatesInput) -> AdoptCampaignTemplatesPayload:
        result, errors = await perform(info, lambda w: _adopt(w, input))
        if result is None:
            return AdoptCampaignTemplatesPayload(errors=errors)
        campaigns, created = result
        return AdoptCampaignTemplatesPayload(campaigns=[Campaign.from_row(c) for c in campaigns], created=created)
