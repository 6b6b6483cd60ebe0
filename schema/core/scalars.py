"""Date and DateTime as every argument receives them: checked once, here, for every resolver.

A DateTime must carry its UTC offset (an instant, not a wall time that means something else in
each zone), and both stay within the calendar the domain handles (api.domain.validation), so a
window, a day's end or a zone shift can never overflow. A bad value is refused while the
variables are coerced, before any resolver runs; schema/core/errors.py names the argument.
"""

from __future__ import annotations

import datetime as dt

import dateutil.parser
from strawberry.types.scalar import ScalarDefinition

from api.domain import validation
from api.domain.errors import DomainError

ISO_DATE = "an ISO date such as 2026-03-05"
ISO_DATETIME = "an ISO date-time with its UTC offset, such as 2026-03-05T09:30:00+08:00"


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise DomainError(f"expected {what}, got {value!r}", code="BAD_USER_INPUT")
    return value


def parse_date(value: object) -> dt.date:
    text = _text(value, ISO_DATE)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise DomainError(f"expected {ISO_DATE}, got {text[:40]!r}", code="BAD_USER_INPUT") from None
    validation.calendar_date(day)
    return day


def parse_datetime(value: object) -> dt.datetime:
    text = _text(value, ISO_DATETIME)
    try:
        moment = dateutil.parser.isoparse(text)
    except (ValueError, OverflowError):
        raise DomainError(f"expected {ISO_DATETIME}, got {text[:40]!r}", code="BAD_USER_INPUT") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise DomainError(f"expected {ISO_DATETIME}; {text[:40]!r} has no offset", code="NO_OFFSET")
    validation.calendar_date(moment)
    return moment


def _isoformat(value: dt.date) -> str:
    return value.isoformat()


DATE = ScalarDefinition(
    name="Date",
    description=f"A calendar day: {ISO_DATE}, from {validation.EARLIEST} to {validation.LATEST}",
    specified_by_url=None,
    serialize=_isoformat,
    parse_value=parse_date,
    parse_literal=None,  # graphql-core reads the literal and hands it to parse_value
    origin=dt.date,
)
DATETIME = ScalarDefinition(
    name="DateTime",
    description=f"An instant: {ISO_DATETIME} (answers are in Asia/Shanghai time, +08:00); "
    f"dates from {validation.EARLIEST} to {validation.LATEST}",
    specified_by_url=None,
    serialize=_isoformat,
    parse_value=parse_datetime,
    parse_literal=None,
    origin=dt.datetime,
)

SCALAR_OVERRIDES = {dt.date: DATE, dt.datetime: DATETIME}
