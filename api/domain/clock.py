"""Time in the domain's zone. Every public time carries its offset (+08:00)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(SHANGHAI)


def local(dt: datetime) -> datetime:
    """The same instant in Asia/Shanghai (naive input is taken to be Shanghai wall time).

    Every datetime is written and compared in this zone: SQLite keeps datetimes as text and
    compares them as text, which is only right when every value carries the same offset.
    """
    if dt.tzinfo is None:
        return dt.replace(tzinfo=SHANGHAI)
    return dt.astimezone(SHANGHAI)


def day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=SHANGHAI)


def local_date(dt: datetime) -> date:
    return local(dt).date()


def days(n: int) -> timedelta:
    return timedelta(days=n)
