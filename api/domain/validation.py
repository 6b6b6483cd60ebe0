"""Small checks shared by every write: each names the field it rejects."""

import re
from datetime import date, datetime

from api.domain.errors import DomainError


def text(value: str | None, field: str, *, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"{field} must not be empty", field=field, code="REQUIRED")
    if len(value) > max_length:
        raise DomainError(
            f"{field} is {len(value)} characters long; at most {max_length} are allowed",
            field=field,
            code="TOO_LONG",
        )
    return value


def in_range(value: float | int | None, field: str, low: float, high: float) -> None:
    if value is not None and not low <= value <= high:
        raise DomainError(f"{field} must be between {low} and {high}, got {value}", field=field, code="OUT_OF_RANGE")


# --- values any caller can send: ids, calendar dates, search text ---------------------------------

# Record ids are INT columns (32-bit on PostgreSQL); the audit log's are BIGINT. A number past
# the column's range cannot name a row, and the database would refuse it with an error.
MAX_ID = 2**31 - 1
MAX_BIG_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII only: str.isdigit() and int() accept '²' and '١'

# Dates a caller may name, inclusive: wide enough for any record or statistics period, narrow
# enough that date arithmetic (a window, a day's end, a time zone shift) can never overflow.
EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)

SEARCH_TEXT_MAX = 100  # a name filter: no stored name is longer


def record_id(value: str | int, max_id: int = MAX_ID) -> int | None:
    """The id a URL segment, global id or cursor names, or None when no row can have it."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not _DIGITS.fullmatch(value):
            return None
        value = int(value)
    if not isinstance(value, int) or not 1 <= value <= max_id:
        return None
    return value


def calendar_date(value: date, field: str | None = None) -> None:
    """A date (or a datetime's date) within EARLIEST..LATEST."""
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        what = field or "a date"
        raise DomainError(
            f"{what} must fall between {EARLIEST.isoformat()} and {LATEST.isoformat()}, got {value.isoformat()}",
            field=field,
            code="OUT_OF_RANGE",
        )


def search_text(value: str | None, field: str, max_length: int = SEARCH_TEXT_MAX) -> str | None:
    """A filter's text, stripped (None when blank), refused when longer than anything it can match."""
    value = (value or "").strip()
    if len(value) > max_length:
        raise DomainError(
            f"{field} is {len(value)} characters long; at most {max_length} are allowed",
            field=field,
            code="TOO_LONG",
        )
    return value or None
