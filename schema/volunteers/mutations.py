"""Volunteering writes: volunteer tokens (staff), sign-up settings (staff), signing up and
cancelling (volunteers with their token, residents with name and phone; no account)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from api.domain.clock import local
from api.domain.errors import DomainError
from api.domain.writes import Write
from api.models.events import Event as EventRow
from api.models.people import Person as PersonRow
from api.models.volunteering import Signup as SignupRow
from api.models.volunteering import SignupSheet as SignupSheetRow
from api.models.volunteering import Attendance as AttendanceRow
from api.models.volunteering import HoursEntry as HoursEntryRow
from api.models.volunteering import Volunteer as VolunteerRow
from api.volunteering import checkin
from api.volunteering import signups as rules
from api.volunteering import volunteers
from schema.core.context import Info, node_pk
from schema.core.inputs import load
from schema.core.mutation import UserError, payload, perform
from schema.volunteers.queries import occurrence_of
from schema.volunteers.types import Attendance, HoursEntry, Signup, VolunteerProfile

SignupPayload = payload("SignupPayload", "signup", Signup, "sign-up")


@strawberry.type(description="An event's sign-up settings (报名设置), the same for each of its occurrences.")
class SignupSettings:
    capacity: int = strawberry.field(description="Places per occurrence")
    opens_at: datetime | None = strawberry.field(description="When sign-up opens (null: at once)")
    closes_at: datetime | None = strawberry.field(description="When sign-up closes (null: when each occurrence starts)")
    residents_allowed: bool = strawberry.field(description="Residents may sign up with a name and phone")
    version: int = strawberry.field(description="Grows by one on every change (send it back when changing)")

    @classmethod
    def of(cls, row: SignupSheetRow) -> SignupSettings:
        return cls(capacity=row.capacity, opens_at=local(row.opens_at) if row.opens_at else None,
                   closes_at=local(row.closes_at) if row.closes_at else None,
                   residents_allowed=row.residents_allowed, version=row.version)


SignupSettingsPayload = payload("SignupSettingsPayload", "settings", SignupSettings, "sign-up settings")


@strawberry.type(description="A new volunteer token: shown this once.")
class RegisterVolunteerPayload:
    volunteer: VolunteerProfile | None = strawberry.field(default=None, description="The profile; null on errors")
    token: str | None = strawberry.field(
        default=None, description="The volunteer token (vol_...): hand it to the volunteer (e.g. as a QR code). "
        "It is shown only now; registering again gives a new one and the old one stops working")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Empty on success; otherwise why nothing changed")


@strawberry.type(description="The result of signing up: the sign-up and its private token, shown this once.")
class SignUpPayload:
    signup: Signup | None = strawberry.field(default=None, description="The sign-up: CONFIRMED, or WAITING when full")
    token: str | None = strawberry.field(
        default=None, description="The sign-up token (sgn_...): keep it to see (signupByToken) or cancel "
        "(cancelSignup) the sign-up. Shown only now")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Empty on success; otherwise why nothing changed")


@strawberry.input(description="Give a person a volunteer profile (志愿者), or a new token. EDITOR on their home site.")
class RegisterVolunteerInput:
    person_id: relay.GlobalID = strawberry.field(description="The person (from the team's members)")
    show_on_leaderboard: bool | None = strawberry.field(
        default=None, description="The volunteer agrees to be named on public leaderboards (default: not named)")


@strawberry.input(description="Sign-up settings (报名设置) of an event, for each of its occurrences.")
class SetSignupSettingsInput:
    event_id: relay.GlobalID = strawberry.field(description="The event or series")
    capacity: int = strawberry.field(description="Places per occurrence, 1-10000; more sign-ups go on a waiting list")
    opens_at: datetime | None = strawberry.field(default=None, description="When sign-up opens (default: at once)")
    closes_at: datetime | None = strawberry.field(default=None, description="When it closes (default: each occurrence's start)")
    residents_allowed: bool = strawberry.field(default=False, description="Residents may sign up too, with a name and phone")
    version: int | None = strawberry.field(default=None, description="The settings' version you read (when changing them)")


@strawberry.input(description="Sign up (报名) for an occurrence: a volunteer gives their token; a resident (when the "
                  "event allows residents) a name and phone. No account is needed.")
class SignUpInput:
    occurrence_id: relay.GlobalID = strawberry.field(description="The occurrence")
    volunteer_token: str | None = strawberry.field(default=None, description="A volunteer's token (vol_...)")
    resident_name: str | None = strawberry.field(default=None, description="Private: a resident's name (without a volunteer token)")
    resident_phone: str | None = strawberry.field(default=None, description="Private: a resident's phone")


@strawberry.input(description="Cancel a sign-up: with its sign-up token, or with the volunteer token and the occurrence.")
class CancelSignupInput:
    token: str | None = strawberry.field(default=None, description="The sign-up token (sgn_...) from signUp")
    volunteer_token: str | None = strawberry.field(default=None, description="Or: the volunteer token (vol_...)")
    occurrence_id: relay.GlobalID | None = strawberry.field(default=None, description="With volunteerToken: the occurrence")


async def _register(write: Write, input: RegisterVolunteerInput) -> tuple[VolunteerRow, PersonRow, str]:
    person = await load(PersonRow, input.person_id, "Person", "personId")
    volunteer, token = await volunteers.register(write, person, input.show_on_leaderboard)
    return volunteer, person, token


async def _settings(write: Write, input: SetSignupSettingsInput) -> SignupSheetRow:
    event = await load(EventRow, input.event_id, "Event", "eventId")
    return await rules.set_sheet(write, event, capacity=input.capacity, opens_at=input.opens_at,
                                 closes_at=input.closes_at, residents_allowed=input.residents_allowed,
                                 version=input.version)


async def _sign_up(write: Write, input: SignUpInput) -> tuple[SignupRow, str]:
    event_id, recurrence_id = occurrence_of(input.occurrence_id)
    occurrence = await rules.open_occurrence(event_id, recurrence_id)
    volunteer = None
    if input.volunteer_token:
        volunteer = await volunteers.by_token(input.volunteer_token)
    return await rules.sign_up(write, occurrence, volunteer=volunteer, resident_name=input.resident_name,
                               resident_phone=input.resident_phone)


async def _cancel(write: Write, input: CancelSignupInput) -> SignupRow:
    if input.token:
        signup = await rules.by_token(input.token)
        return await rules.cancel(write, signup, "volunteer" if signup.volunteer_id else "resident")
    if not input.volunteer_token or input.occurrence_id is None:
        raise DomainError("give the sign-up token, or your volunteerToken with the occurrenceId", field="token",
                          code="REQUIRED")
    volunteer = await volunteers.by_token(input.volunteer_token)
    signup = await rules.of_volunteer(volunteer, *occurrence_of(input.occurrence_id))
    return await rules.cancel(write, signup, volunteers.label(volunteer))


@strawberry.type(description="Volunteering (志愿服务): volunteer tokens, sign-up settings, signing up and cancelling.")
class VolunteerMutation:
    @strawberry.mutation(description="Give a person a volunteer profile and a private volunteer token, or replace a "
                         "lost token (EDITOR on the person's home site)")
    async def register_volunteer(self, info: Info, input: RegisterVolunteerInput) -> RegisterVolunteerPayload:
        done, errors = await perform(info, lambda w: _register(w, input))
        if done is None:
            return RegisterVolunteerPayload(errors=errors)
        return RegisterVolunteerPayload(volunteer=VolunteerProfile.of(done[0], done[1]), token=done[2])

    @strawberry.mutation(description="Let an event take sign-ups (报名), or change its places and times (EDITOR on the "
                         "event's site). A larger capacity moves people up from the waiting lists")
    async def set_signup_settings(self, info: Info, input: SetSignupSettingsInput) -> SignupSettingsPayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _settings(w, input))
        return SignupSettingsPayload(settings=SignupSettings.of(row) if row else None, errors=errors)

    @strawberry.mutation(description="报名: sign up for an occurrence, with a volunteer token or as a resident. A place "
                         "if one is left, else the waiting list (候补). No account needed; the answer carries the "
                         "private sign-up token, shown only this once")
    async def sign_up(self, info: Info, input: SignUpInput) -> SignUpPayload:
        done, errors = await perform(info, lambda w: _sign_up(w, input), anonymous=True)
        if done is None:
            return SignUpPayload(errors=errors)
        return SignUpPayload(signup=Signup.of(done[0], owner=True), token=done[1])

    @strawberry.mutation(description="Cancel a sign-up (no account needed); a place it held goes to the first on "
                         "the waiting list")
    async def cancel_signup(self, info: Info, input: CancelSignupInput) -> SignupPayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _cancel(w, input), anonymous=True)
        return SignupPayload(signup=Signup.of(row, owner=True) if row else None, errors=errors)


# --- check-in, check-out, corrections ------------------------------------------------------------

AttendancePayload = payload("AttendancePayload", "attendance", Attendance, "check-in")
HoursEntryPayload = payload("HoursEntryPayload", "entry", HoursEntry, "service-hours entry")


@strawberry.input(description="The volunteer scanned the station's check-in code (签到码) with their app.")
class ScanInput:
    code: str = strawberry.field(description="The scanned QR payload (wmc1....)")
    volunteer_token: str = strawberry.field(description="The volunteer's token (vol_...)")


@strawberry.input(description="Staff record a volunteer's check-in or check-out by hand (手工签到).")
class StaffCheckInput:
    occurrence_id: relay.GlobalID = strawberry.field(description="The occurrence")
    person_id: relay.GlobalID = strawberry.field(description="The volunteer (a person with a volunteer profile)")
    at: datetime | None = strawberry.field(default=None, description="When (default now); from an hour before the "
                                           "start to an hour after the end, never in the future")


@strawberry.input(description="Correct a volunteer's hours for an occurrence (更正): a new ledger entry holds the "
                  "difference; the earlier entries stay.")
class CorrectHoursInput:
    entry_id: relay.GlobalID = strawberry.field(description="An entry of that volunteer and occurrence")
    minutes: int = strawberry.field(description="The right total in minutes for that occurrence, 0-1440")
    reason: str = strawberry.field(description="Why, up to 200 characters (kept in the ledger and the audit log)")


async def _scan(info: Info, write: Write, input: ScanInput, *, out: bool) -> AttendanceRow:
    volunteer = await volunteers.by_token(input.volunteer_token)
    done = await checkin.scan(write, volunteer, input.code, checkin.key(info.context.settings.checkin_secret), out=out)
    return done[0] if out else done


async def _staff(write: Write, input: StaffCheckInput, *, out: bool) -> AttendanceRow:
    person = await load(PersonRow, input.person_id, "Person", "personId")
    volunteer = await VolunteerRow.get_or_none(person_id=person.id, deleted_at__isnull=True)
    if volunteer is None:
        raise DomainError(f"{person.name} has no volunteer profile (registerVolunteer)", field="personId",
                          code="NOT_A_VOLUNTEER")
    occurrence = await rules.open_occurrence(*occurrence_of(input.occurrence_id))
    done = await checkin.by_staff(write, volunteer, occurrence, input.at, out=out)
    return done[0] if out else done


async def _correct(write: Write, input: CorrectHoursInput) -> HoursEntryRow:
    entry = await HoursEntryRow.get_or_none(id=node_pk(input.entry_id, "HoursEntry", "entryId"))
    if entry is None:
        raise DomainError(f"hours entry {input.entry_id.node_id} does not exist", field="entryId", code="NOT_FOUND")
    return await checkin.correct(write, entry, input.minutes, input.reason)


@strawberry.type(description="Check-in (签到) and check-out (签退) at the station, and corrections of hours.")
class AttendanceMutation:
    @strawberry.mutation(description="签到: check in by scanning the station's code with the volunteer token (no "
                         "account). Refused: INVALID_CODE, CODE_EXPIRED, CODE_ALREADY_USED, ALREADY_CHECKED_IN")
    async def check_in(self, info: Info, input: ScanInput) -> AttendancePayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _scan(info, w, input, out=False), anonymous=True)
        return AttendancePayload(attendance=Attendance.of(row) if row else None, errors=errors)

    @strawberry.mutation(description="签退: check out by scanning a fresh code; the hours go into the ledger, capped "
                         "at the occurrence's length plus 30 minutes")
    async def check_out(self, info: Info, input: ScanInput) -> AttendancePayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _scan(info, w, input, out=True), anonymous=True)
        return AttendancePayload(attendance=Attendance.of(row) if row else None, errors=errors)

    @strawberry.mutation(description="Staff check a volunteer in by hand (EDITOR on the event's site)")
    async def staff_check_in(self, info: Info, input: StaffCheckInput) -> AttendancePayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _staff(w, input, out=False))
        return AttendancePayload(attendance=Attendance.of(row) if row else None, errors=errors)

    @strawberry.mutation(description="Staff check a volunteer out by hand (EDITOR on the event's site); the hours "
                         "go into the ledger")
    async def staff_check_out(self, info: Info, input: StaffCheckInput) -> AttendancePayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _staff(w, input, out=True))
        return AttendancePayload(attendance=Attendance.of(row) if row else None, errors=errors)

    @strawberry.mutation(description="更正: set a volunteer's hours for an occurrence (EDITOR on the event's site); a new "
                         "CORRECTION entry, audited; the earlier entries stay")
    async def correct_hours(self, info: Info, input: CorrectHoursInput) -> HoursEntryPayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _correct(w, input))
        return HoursEntryPayload(entry=HoursEntry.of(row) if row else None, errors=errors)
