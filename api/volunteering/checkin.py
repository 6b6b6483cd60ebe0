"""Check-in (签到) and check-out (签退) at the station, and the hours they record.

A kiosk or a staff phone shows a short-lived signed code for the occurrence (a QR payload):

    wmc1.<event id>.<recurrence stamp>.<minute>.<nonce>.<HMAC-SHA256, base64url, 22 chars>

`minute` is the Unix minute it was made in; a code is good in that minute and the next
(CODE_MINUTES), so a code that rotates while the volunteer scans still works, and one sent
round by photo a few minutes later does not. The nonce is random per code, and each volunteer
may use a nonce once: the same code scanned twice by one person is refused. The HMAC key is
the server's secret (WENMING_CHECKIN_SECRET), so nobody can make a code without the server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import segno
from tortoise.expressions import F

from api.domain import audit, day_stats, validation
from api.domain.clock import local, now
from api.domain.errors import DomainError
from api.domain.permissions import Actor
from api.domain.writes import Write
from api.models.accounts import Role
from api.models.events import Event, Occurrence
from api.models.volunteering import Attendance, CheckMethod, CodeUse, HoursEntry, HoursKind, Volunteer
from api.volunteering import points
from api.volunteering.signups import open_occurrence
from api.volunteering.volunteers import label

PREFIX = "wmc1"
CODE_MINUTES = 2  # a code is good in the minute it was made and the next
OPEN_BEFORE = timedelta(minutes=60)  # codes are given out from an hour before the start ...
OPEN_AFTER = timedelta(minutes=60)  # ... to an hour after the end
MARGIN = timedelta(minutes=30)  # hours are capped at the occurrence's length plus this
MAX_CORRECTED_MINUTES = 24 * 60
# A code's use is kept this long: the code was made before it was used and is refused
# (CODE_EXPIRED) CODE_MINUTES after that, so an older use guards nothing. An hour is margin
# for servers whose clocks differ.
CODE_USE_KEPT = timedelta(hours=1)
# Without WENMING_CHECKIN_SECRET each process makes its own key at start: codes then stop
# working on a restart and across workers (docs/volunteers.md says to set it).
_PROCESS_SECRET = secrets.token_bytes(32)


def key(secret: str | None) -> bytes:
    return secret.encode() if secret else _PROCESS_SECRET


def _mac(secret: bytes, body: str) -> str:
    digest = hmac.new(secret, body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


def _minute(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


@dataclass(frozen=True)
class Code:
    code: str
    valid_until: datetime


@dataclass(frozen=True)
class Scanned:
    event_id: int
    recurrence_id: datetime
    nonce: str


def _window(occurrence: Occurrence) -> tuple[datetime, datetime]:
    return local(occurrence.starts_at) - OPEN_BEFORE, local(occurrence.ends_at) + OPEN_AFTER


async def issue(actor: Actor, occurrence: Occurrence, secret: bytes, field: str = "occurrence") -> Code:
    """A fresh code for the kiosk or staff phone (VIEWER on the occurrence's site)."""
    actor.require(Role.VIEWER, occurrence.site_path, where=f"the check-in code of {occurrence.title}", field=field)
    moment = now()
    opens, closes = _window(occurrence)
    if not opens <= moment <= closes:
        raise DomainError(f"check-in for {occurrence.title} is from {opens:%Y-%m-%d %H:%M} to {closes:%H:%M}",
                          field=field, code="CHECKIN_NOT_NOW")
    minute = _minute(moment)
    code = sign(occurrence.event_id, occurrence.recurrence_id, minute, secrets.token_hex(8), secret)
    return Code(code, local(datetime.fromtimestamp((minute + CODE_MINUTES) * 60, UTC)))


def qr_svg(code: str) -> str:
    """The code as a QR code, an SVG that scales to its box (black on transparent)."""
    out = io.BytesIO()
    segno.make(code, error="m").save(out, kind="svg", scale=1, border=2, xmldecl=False, omitsize=True)
    return out.getvalue().decode()


def qr_rows(code: str) -> list[str]:
    """The code's QR modules row by row, "1" dark and "0" light, without the quiet zone: a
    page draws them itself rather than trusting markup from the wire."""
    return ["".join("1" if m else "0" for m in row) for row in segno.make(code, error="m").matrix]


def sign(event_id: int, recurrence_id: datetime, minute: int, nonce: str, secret: bytes) -> str:
    body = f"{event_id}.{int(recurrence_id.timestamp())}.{minute}.{nonce}"
    return f"{PREFIX}.{body}.{_mac(secret, body)}"


def read(code: str | None, secret: bytes, field: str = "code") -> Scanned:
    """The occurrence a scanned code names, if the server made it and it is still good."""
    parts = (code or "").strip().split(".")
    if len(parts) != 6 or parts[0] != PREFIX:
        raise DomainError("this is not a Wenming check-in code", field=field, code="INVALID_CODE")
    body = ".".join(parts[1:5])
    if not hmac.compare_digest(_mac(secret, body), parts[5]):
        raise DomainError("this check-in code was not made by this server", field=field, code="INVALID_CODE")
    try:
        event_id, stamp, minute = int(parts[1]), int(parts[2]), int(parts[3])
    except ValueError:
        raise DomainError("this is not a Wenming check-in code", field=field, code="INVALID_CODE") from None
    age = _minute(now()) - minute
    if age < 0 or age >= CODE_MINUTES:
        raise DomainError("this check-in code has expired: scan the code on the screen now", field=field,
                          code="CODE_EXPIRED")
    return Scanned(event_id, local(datetime.fromtimestamp(stamp, UTC)), parts[4])


async def _lock_volunteer(volunteer: Volunteer) -> None:
    """One scan of a volunteer at a time (row lock on PostgreSQL, the write lock on SQLite)."""
    await Volunteer.filter(id=volunteer.id).update(version=F("version"))


async def _use(volunteer: Volunteer, nonce: str) -> None:
    if await CodeUse.filter(volunteer_id=volunteer.id, nonce=nonce).exists():
        raise DomainError("you have already used this check-in code: scan the code on the screen now", field="code",
                          code="CODE_ALREADY_USED")
    await CodeUse.create(volunteer_id=volunteer.id, nonce=nonce, used_at=now())  # the clock read() judges by


async def forget_spent_codes() -> int:
    """Delete the uses of codes that can no longer be read (the daily trims, api/app.py)."""
    return await CodeUse.filter(used_at__lt=now() - CODE_USE_KEPT).delete()


def minutes_served(occurrence: Occurrence, checked_in: datetime, checked_out: datetime) -> int:
    """Whole minutes between check-in and check-out, capped at the occurrence's length + MARGIN."""
    served = max(int((checked_out - checked_in).total_seconds()) // 60, 0)
    cap = int((occurrence.ends_at - occurrence.starts_at + MARGIN).total_seconds()) // 60
    return min(served, cap)


async def _attendance(volunteer: Volunteer, occurrence: Occurrence) -> Attendance | None:
    return await Attendance.get_or_none(volunteer_id=volunteer.id, event_id=occurrence.event_id,
                                        recurrence_id=local(occurrence.recurrence_id))


async def check_in(write: Write, volunteer: Volunteer, occurrence: Occurrence, *, at: datetime,
                   method: CheckMethod) -> Attendance:
    await _lock_volunteer(volunteer)
    found = await _attendance(volunteer, occurrence)
    if found is not None:
        state = "out" if found.checked_out_at else "in"
        raise DomainError(f"already checked {state} at {local(found.checked_out_at or found.checked_in_at):%H:%M}",
                          field="code", code="ALREADY_CHECKED_OUT" if found.checked_out_at else "ALREADY_CHECKED_IN")
    attendance = await Attendance.create(
        volunteer_id=volunteer.id, event_id=occurrence.event_id, recurrence_id=local(occurrence.recurrence_id),
        site_path=occurrence.site_path, checked_in_at=at, checked_in_by=method)
    await audit.record(_who(write, volunteer), "CHECK_IN", "Attendance", attendance.id, site_path=occurrence.site_path,
                       after=audit.snapshot(attendance))
    return attendance


async def check_out(write: Write, volunteer: Volunteer, occurrence: Occurrence, *, at: datetime,
                    method: CheckMethod) -> tuple[Attendance, HoursEntry]:
    await _lock_volunteer(volunteer)
    attendance = await _attendance(volunteer, occurrence)
    if attendance is None:
        raise DomainError("not checked in to this occurrence: check in first", field="code", code="NOT_CHECKED_IN")
    if attendance.checked_out_at is not None:
        raise DomainError(f"already checked out at {local(attendance.checked_out_at):%H:%M}", field="code",
                          code="ALREADY_CHECKED_OUT")
    if at < attendance.checked_in_at:
        raise DomainError("check-out cannot be before check-in", field="at", code="END_BEFORE_START")
    before = audit.snapshot(attendance)
    attendance.checked_out_at, attendance.checked_out_by = at, method
    await attendance.save(update_fields=["checked_out_at", "checked_out_by"])
    who = _who(write, volunteer)
    await audit.record(who, "CHECK_OUT", "Attendance", attendance.id, site_path=occurrence.site_path, before=before,
                       after=audit.snapshot(attendance))
    event = await Event.get(id=occurrence.event_id)
    entry = await HoursEntry.create(
        volunteer_id=volunteer.id, event_id=occurrence.event_id, recurrence_id=local(occurrence.recurrence_id),
        served_at=local(occurrence.starts_at), site_path=occurrence.site_path, team_id=event.team_id,
        platform_id=event.platform_id, minutes=minutes_served(occurrence, attendance.checked_in_at, at),
        kind=HoursKind.RECORDED, recorded_by=who.label)
    await audit.record(who, "CREATE", "HoursEntry", entry.id, site_path=occurrence.site_path,
                       after=audit.snapshot(entry))
    await points.award(entry)
    await day_stats.recompute_occurrence(entry.event_id, entry.recurrence_id)  # recorded hours
    return attendance, entry


def _who(write: Write, volunteer: Volunteer) -> Actor:
    return write.actor if write.actor.authenticated else Actor(label=label(volunteer))


async def scan(write: Write, volunteer: Volunteer, code: str, secret: bytes, *, out: bool):
    """The volunteer scanned the station's code: check in (out=False) or out."""
    scanned = read(code, secret)
    occurrence = await open_occurrence(scanned.event_id, scanned.recurrence_id, field="code")
    await _lock_volunteer(volunteer)
    await _use(volunteer, scanned.nonce)
    moment = now()
    if out:
        return await check_out(write, volunteer, occurrence, at=moment, method=CheckMethod.SCAN)
    return await check_in(write, volunteer, occurrence, at=moment, method=CheckMethod.SCAN)


async def by_staff(write: Write, volunteer: Volunteer, occurrence: Occurrence, at: datetime | None, *, out: bool):
    """Staff record a check-in or out by hand (EDITOR on the occurrence's site)."""
    write.actor.require(Role.EDITOR, occurrence.site_path, where=f"attendance at {occurrence.title}", field="occurrenceId")
    moment = local(at) if at else now()
    opens, closes = _window(occurrence)
    if moment > now() or not opens <= moment <= closes:
        raise DomainError(f"at must be between {opens:%Y-%m-%d %H:%M} and {closes:%Y-%m-%d %H:%M}, and not in the "
                          "future", field="at", code="OUT_OF_RANGE")
    if out:
        return await check_out(write, volunteer, occurrence, at=moment, method=CheckMethod.STAFF)
    return await check_in(write, volunteer, occurrence, at=moment, method=CheckMethod.STAFF)


# --- the ledger: corrections ---------------------------------------------------------------------


async def correct(write: Write, entry: HoursEntry, minutes: int, reason: str) -> HoursEntry:
    """Set a volunteer's hours for an occurrence to `minutes`: a new CORRECTION entry holds the
    difference; every earlier entry stays as it was (EDITOR on the occurrence's site)."""
    write.actor.require(Role.EDITOR, entry.site_path, where=f"the hours of entry {entry.id}", field="entryId")
    validation.in_range(minutes, "minutes", 0, MAX_CORRECTED_MINUTES)
    reason = validation.text(reason, "reason", max_length=200)
    await _lock_volunteer(await Volunteer.get(id=entry.volunteer_id))
    same = HoursEntry.filter(volunteer_id=entry.volunteer_id, event_id=entry.event_id, recurrence_id=entry.recurrence_id)
    total = sum(await same.values_list("minutes", flat=True))
    if minutes == total:
        raise DomainError(f"the hours are {total} minutes already", field="minutes", code="NO_CHANGE")
    correction = await HoursEntry.create(
        volunteer_id=entry.volunteer_id, event_id=entry.event_id, recurrence_id=entry.recurrence_id,
        served_at=entry.served_at, site_path=entry.site_path, team_id=entry.team_id, platform_id=entry.platform_id,
        minutes=minutes - total, kind=HoursKind.CORRECTION, corrects_id=entry.id, reason=reason,
        recorded_by=write.actor.label)
    await audit.record(write.actor, "CORRECT", "HoursEntry", correction.id, site_path=entry.site_path,
                       before={"minutes": total}, after={**audit.snapshot(correction), "minutes_now": minutes})
    await points.award(correction)
    await day_stats.recompute_occurrence(entry.event_id, entry.recurrence_id)  # recorded hours
    return correction
