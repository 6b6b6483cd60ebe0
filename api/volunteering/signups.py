"""Sign-up (报名) for occurrences: places, opening times, a waiting list (候补) that moves up
by itself, and the private tokens of those who signed up.

Concurrency: every sign-up and cancellation of an occurrence first UPDATEs that occurrence's
SignupSlot row. On PostgreSQL that row lock makes the writers of one occurrence go one at a
time until commit; on SQLite the UPDATE takes the database's write lock. Counting the places
after it is therefore exact: no overbooking however many ask at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import F, Q
from tortoise.functions import Count

from api.domain import audit, validation
from api.domain.accounts import hash_token
from api.domain.clock import local, now
from api.domain.errors import DomainError
from api.domain.orders import PHONE
from api.domain.permissions import Actor
from api.domain.writes import Write, save_versioned
from api.models.accounts import Role
from api.models.events import Event, EventStatus, Occurrence
from api.models.sites import Site
from api.models.volunteering import Signup, SignupSheet, SignupSlot, SignupStatus, Volunteer
from api.volunteering.volunteers import label

TOKEN_PREFIX = "sgn_"
MAX_CAPACITY = 10_000
S = SignupStatus


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(24)


def private_snapshot(signup: Signup) -> dict:
    return audit.snapshot(signup)  # token_hash is never audited


# --- settings ----------------------------------------------------------------------------------


async def _event_path(event: Event) -> str:
    return (await Site.get(id=event.site_id)).path


async def set_sheet(write: Write, event: Event, *, capacity: int, opens_at: datetime | None,
                    closes_at: datetime | None, residents_allowed: bool, version: int | None) -> SignupSheet:
    """Create or change an event's sign-up settings (EDITOR on the event's site). A larger
    capacity moves people up from the waiting lists at once."""
    path = await _event_path(event)
    write.actor.require(Role.EDITOR, path, where=f"sign-up for event {event.id}", field="eventId")
    validation.in_range(capacity, "capacity", 1, MAX_CAPACITY)
    opens_at = local(opens_at) if opens_at else None
    closes_at = local(closes_at) if closes_at else None
    if opens_at and closes_at and closes_at <= opens_at:
        raise DomainError("closesAt must be after opensAt", field="closesAt", code="END_BEFORE_START")
    values = {"capacity": capacity, "opens_at": opens_at, "closes_at": closes_at, "residents_allowed": residents_allowed}
    sheet = await SignupSheet.get_or_none(event_id=event.id)
    if sheet is None:
        sheet = await SignupSheet.create(event_id=event.id, **values)
        await write.audit("CREATE", sheet, site_path=path)
    else:
        if version is None:
            raise DomainError("changing sign-up settings needs the version you read", field="version", code="REQUIRED")
        before = audit.snapshot(sheet)
        await save_versioned(sheet, version, values, f"the sign-up settings of event {event.id}")
        await write.audit("UPDATE", sheet, site_path=path, before=before)
        for slot in await SignupSlot.filter(event_id=event.id):
            await _lock(event.id, slot.recurrence_id)
            await _promote(write, sheet, event.id, slot.recurrence_id, path)
    return sheet


# --- the occurrence and its lock ---------------------------------------------------------------


async def open_occurrence(event_id: int, recurrence_id: datetime, field: str = "occurrenceId") -> Occurrence:
    """A published, not cancelled occurrence (the only kind one can sign up for)."""
    row = await Occurrence.get_or_none(event_id=event_id, recurrence_id=local(recurrence_id),
                                       event_status=EventStatus.PUBLISHED)
    if row is None:
        raise DomainError(f"occurrence {event_id}@{int(recurrence_id.timestamp())} does not exist", field=field,
                          code="NOT_FOUND")
    if row.cancelled:
        raise DomainError(f"{row.title} on {local(row.starts_at):%Y-%m-%d %H:%M} is cancelled", field=field,
                          code="CANCELLED")
    return row


async def _lock(event_id: int, recurrence_id: datetime) -> None:
    """Serialise the writers of one occurrence's places (see the module's comment)."""
    recurrence_id = local(recurrence_id)
    await SignupSlot.bulk_create([SignupSlot(event_id=event_id, recurrence_id=recurrence_id)], ignore_conflicts=True)
    await SignupSlot.filter(event_id=event_id, recurrence_id=recurrence_id).update(changes=F("changes") + 1)


def _of(event_id: int, recurrence_id: datetime) -> Q:
    return Q(event_id=event_id, recurrence_id=local(recurrence_id))


async def _promote(write: Write, sheet: SignupSheet, event_id: int, recurrence_id: datetime, path: str) -> None:
    """Give free places to the waiting list, first come first served (call under the lock)."""
    taken = await Signup.filter(_of(event_id, recurrence_id), status=S.CONFIRMED).count()
    free = sheet.capacity - taken
    if free <= 0:
        return
    for signup in await Signup.filter(_of(event_id, recurrence_id), status=S.WAITING).order_by("id").limit(free):
        before = private_snapshot(signup)
        signup.status, signup.confirmed_at = S.CONFIRMED, now()
        await signup.save(update_fields=["status", "confirmed_at"])
        await audit.record(write.actor, "PROMOTE", "Signup", signup.id, site_path=path, before=before,
                           after=private_snapshot(signup))


# --- signing up and cancelling -----------------------------------------------------------------


def _window(sheet: SignupSheet, occurrence: Occurrence) -> None:
    moment = now()
    if sheet.opens_at and moment < sheet.opens_at:
        raise DomainError(f"sign-up opens at {local(sheet.opens_at):%Y-%m-%d %H:%M}", field="occurrenceId",
                          code="SIGNUP_NOT_OPEN")
    closes = sheet.closes_at or occurrence.starts_at
    if moment >= closes:
        raise DomainError(f"sign-up closed at {local(closes):%Y-%m-%d %H:%M}", field="occurrenceId",
                          code="SIGNUP_CLOSED")


async def sheet_of(event_id: int, field: str = "occurrenceId") -> SignupSheet:
    sheet = await SignupSheet.get_or_none(event_id=event_id, deleted_at__isnull=True)
    if sheet is None:
        raise DomainError("this event takes no sign-ups", field=field, code="NOT_TAKING_SIGNUPS")
    return sheet


async def sign_up(write: Write, occurrence: Occurrence, *, volunteer: Volunteer | None = None,
                  resident_name: str | None = None, resident_phone: str | None = None) -> tuple[Signup, str]:
    """A place (CONFIRMED) or a place on the waiting list (WAITING), and the sign-up's token."""
    sheet = await sheet_of(occurrence.event_id)
    values: dict = {}
    if volunteer is None:
        if not sheet.residents_allowed:
            raise DomainError("only volunteers may sign up for this event: give your volunteerToken",
                              field="volunteerToken", code="RESIDENTS_NOT_ALLOWED")
        values["resident_name"] = validation.text(resident_name, "residentName", max_length=50)
        phone = (resident_phone or "").strip()
        if not PHONE.match(phone):
            raise DomainError("residentPhone must be a phone number (digits, optionally +, spaces or -)",
                              field="residentPhone", code="INVALID" if phone else "REQUIRED")
        values["resident_phone"] = phone
    _window(sheet, occurrence)
    await _lock(occurrence.event_id, occurrence.recurrence_id)
    mine = _of(occurrence.event_id, occurrence.recurrence_id) & Q(status__in=[S.CONFIRMED, S.WAITING])
    if volunteer is not None and await Signup.filter(mine, volunteer_id=volunteer.id).exists():
        raise DomainError("you have already signed up for this occurrence", field="occurrenceId", code="ALREADY_SIGNED_UP")
    taken = await Signup.filter(_of(occurrence.event_id, occurrence.recurrence_id), status=S.CONFIRMED).count()
    status = S.CONFIRMED if taken < sheet.capacity else S.WAITING
    token = new_token()
    signup = await Signup.create(
        event_id=occurrence.event_id, recurrence_id=local(occurrence.recurrence_id), site_path=occurrence.site_path,
        volunteer_id=volunteer.id if volunteer else None, token_hash=hash_token(token), status=status,
        confirmed_at=now() if status == S.CONFIRMED else None, **values,
    )
    who = Actor(label=label(volunteer) if volunteer else "resident")
    await audit.record(who, "SIGN_UP", "Signup", signup.id, site_path=occurrence.site_path,
                       after=private_snapshot(signup))
    return signup, token


async def by_token(token: str | None, field: str = "token") -> Signup:
    token = (token or "").strip()
    if not token.startswith(TOKEN_PREFIX):
        raise DomainError(f"{field} must be the sign-up token you got when signing up (it starts with {TOKEN_PREFIX})",
                          field=field, code="INVALID")
    signup = await Signup.get_or_none(token_hash=hash_token(token))
    if signup is None:
        raise DomainError("no sign-up has this token", field=field, code="NOT_FOUND")
    return signup


async def of_volunteer(volunteer: Volunteer, event_id: int, recurrence_id: datetime) -> Signup:
    signup = await Signup.filter(_of(event_id, recurrence_id), volunteer_id=volunteer.id,
                                 status__in=[S.CONFIRMED, S.WAITING]).first()
    if signup is None:
        raise DomainError("you have not signed up for this occurrence", field="occurrenceId", code="NOT_FOUND")
    return signup


async def cancel(write: Write, signup: Signup, who: str) -> Signup:
    """Cancel a sign-up; a place it held goes to the first on the waiting list."""
    await _lock(signup.event_id, signup.recurrence_id)
    signup = await Signup.get(id=signup.id)  # as it is now that we hold the lock
    if signup.status == S.CANCELLED:
        raise DomainError("this sign-up is already cancelled", field="token", code="ALREADY_CANCELLED")
    before = private_snapshot(signup)
    held = signup.status == S.CONFIRMED
    signup.status, signup.cancelled_at = S.CANCELLED, now()
    await signup.save(update_fields=["status", "cancelled_at"])
    await audit.record(Actor(label=who) if not write.actor.authenticated else write.actor, "CANCEL", "Signup",
                       signup.id, site_path=signup.site_path, before=before, after=private_snapshot(signup))
    if held:
        sheet = await SignupSheet.get(event_id=signup.event_id)
        await _promote(write, sheet, signup.event_id, signup.recurrence_id, signup.site_path)
    return signup


async def position(signup: Signup) -> int | None:
    """Place on the waiting list, 1 for the next to move up (None unless WAITING)."""
    if signup.status != S.WAITING:
        return None
    ahead = await Signup.filter(_of(signup.event_id, signup.recurrence_id), status=S.WAITING, id__lt=signup.id).count()
    return ahead + 1


# --- places left -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Places:
    sheet: SignupSheet
    confirmed: int
    waiting: int

    @property
    def left(self) -> int:
        return max(self.sheet.capacity - self.confirmed, 0)


async def places(keys: list[tuple[int, datetime]]) -> list[Places | None]:
    """Capacity and counts for occurrences named by (event id, recurrence id): two statements."""
    event_ids = sorted({e for e, _ in keys})
    sheets = {s.event_id: s for s in await SignupSheet.filter(event_id__in=event_ids, deleted_at__isnull=True)}
    counts: dict[tuple[int, float, str], int] = {}
    wanted = [k for k in keys if k[0] in sheets]
    if wanted:
        query = Q()
        for event_id, recurrence_id in wanted:
            query |= _of(event_id, recurrence_id)
        rows = await Signup.filter(query, status__in=[S.CONFIRMED, S.WAITING]).annotate(n=Count("id")).group_by(
            "event_id", "recurrence_id", "status").values("event_id", "recurrence_id", "status", "n")
        for r in rows:
            counts[(r["event_id"], local(r["recurrence_id"]).timestamp(), str(r["status"]))] = r["n"]
    found: list[Places | None] = []
    for event_id, recurrence_id in keys:
        sheet = sheets.get(event_id)
        if sheet is None:
            found.append(None)
            continue
        stamp = local(recurrence_id).timestamp()
        found.append(Places(sheet, counts.get((event_id, stamp, S.CONFIRMED.value), 0),
                            counts.get((event_id, stamp, S.WAITING.value), 0)))
    return found
