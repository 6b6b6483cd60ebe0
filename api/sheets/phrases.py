"""What staff write in a sheet, read strictly: dates, times and recurrence in words.

Every parser returns a value or raises CellError with a message for the person who wrote
the cell. Nothing is guessed: a phrase that is not in the documented list is an error.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from api.domain.clock import local
from api.domain.validation import EARLIEST, LATEST

EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (with its 1900 leap-year bug folded in)


class CellError(ValueError):
    """A cell's value is not understood; the message says what was expected."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _clean(value: str) -> str:
    # Full-width digits, colons and spaces are what a Chinese input method types.
    table = str.maketrans("０１２３４５６７８９：　／－", "0123456789: /-")
    return value.translate(table).strip()


def _checked(day: date, shown: object) -> date:
    if not EARLIEST <= day <= LATEST:
        raise CellError(f"日期 {shown} 超出范围（{EARLIEST.year}年至{LATEST.year}年）")
    return day


# --- dates --------------------------------------------------------------------------------------

_DATE_FORMS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]"),
)
DATE_HELP = "日期请写成 2026-03-05、2026/3/5 或 2026年3月5日"


def parse_date(value: object) -> date:
    """An Excel date cell, an Excel serial number, 2026-03-05, 2026/3/5 or 2026年3月5日."""
    if isinstance(value, datetime):
        if value.time() != time.min:
            raise CellError(f"{value:%Y-%m-%d %H:%M} 带有时刻；这一列只写日期")
        return _checked(value.date(), value.date())
    if isinstance(value, date):
        return _checked(value, value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value != int(value) or not 1 <= value <= 200_000:
            raise CellError(f"{value} 不是日期；{DATE_HELP}")
        return _checked(EXCEL_EPOCH + timedelta(days=int(value)), value)
    text = _clean(str(value))
    for form in _DATE_FORMS:
        if m := form.fullmatch(text):
            try:
                return _checked(date(*map(int, m.groups())), text)
            except ValueError:
                raise CellError(f"{text} 不是存在的日期") from None
    raise CellError(f"{text!r} 不是日期；{DATE_HELP}")


# --- times --------------------------------------------------------------------------------------

_PERIODS = {"上午": 0, "早上": 0, "凌晨": 0, "中午": 12, "下午": 12, "晚上": 12}
_CLOCK = r"(上午|早上|凌晨|中午|下午|晚上)?\s*(\d{1,2})(?::(\d{2})|点(?:(\d{1,2})分?|半)?)"
_ONE = re.compile(_CLOCK)
_RANGE = re.compile(_CLOCK + r"\s*(?:-|~|～|—|–|至|到)\s*" + _CLOCK)
TIME_HELP = "时间请写成 9:30、09:30-11:00、上午9:30 或 下午2:30-4:00"
DEFAULT_LENGTH = timedelta(minutes=90)  # a time alone: the usual length of an activity
# As an end, 24:00 (or 00:00) is the midnight that ends the event's last day: 20:00-24:00.
MIDNIGHT = time(0)


def _clock(period: str | None, hour: str, minute: str | None, point_minute: str | None, whole: str, *, inherit: str | None = None,
           end: bool = False) -> time:
    h = int(hour)
    m = int(minute or point_minute or (30 if whole.endswith("半") else 0))
    if end and (h, m) in ((24, 0), (0, 0)):
        return MIDNIGHT
    period = period or inherit
    if period:
        if h > 12:
            raise CellError(f"{whole}：写了{period}就用 12 小时制（{period}1:00 至 12:59）")
        if _PERIODS[period] == 12 and h < 12 and not (period == "中午" and h >= 11):
            h += 12
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise CellError(f"{whole} 不是一天中的时刻")
    return time(h, m)


def parse_times(value: object) -> tuple[time, time]:
    """A start, or a start and an end: 9:30, 09:30-11:00, 上午9:30, 下午2:30-4:00.

    A time alone lasts DEFAULT_LENGTH (90 minutes). An Excel time cell is a start too."""
    if isinstance(value, time):
        return value, _plus(value, DEFAULT_LENGTH)
    if isinstance(value, datetime):
        raise CellError(f"{value} 是日期时间；这一列只写时刻，如 09:30-11:00")
    if isinstance(value, float) and 0 <= value < 1:  # an Excel time without a date
        minutes = round(value * 24 * 60)
        start = time(minutes // 60, minutes % 60)
        return start, _plus(start, DEFAULT_LENGTH)
    text = _clean(str(value))
    if m := _RANGE.fullmatch(text):
        g = m.groups()
        start = _clock(g[0], g[1], g[2], g[3], _part(text, 0))
        # An end at or before the start is checked with the dates (event_span): it is right
        # when 结束日期 is a later day (23:30-02:30 ending the next morning), an error otherwise.
        return start, _clock(g[4], g[5], g[6], g[7], _part(text, 1), inherit=g[0], end=True)
    if m := _ONE.fullmatch(text):
        g = m.groups()
        start = _clock(g[0], g[1], g[2], g[3], text)
        return start, _plus(start, DEFAULT_LENGTH)
    raise CellError(f"{text!r} 不是时间；{TIME_HELP}")


def _part(text: str, index: int) -> str:
    return re.split(r"\s*(?:-|~|～|—|–|至|到)\s*", text, maxsplit=1)[index]


def _plus(start: time, length: timedelta) -> time:
    end = datetime.combine(date.min, start) + length
    if end.date() != date.min and end.time() != MIDNIGHT:
        raise CellError(f"{start:%H:%M} 开始的活动会跨过午夜；请写明结束时刻")
    return end.time()


# --- recurrence in words ------------------------------------------------------------------------

_WEEKDAY = {"一": "MO", "二": "TU", "三": "WE", "四": "TH", "五": "FR", "六": "SA", "日": "SU", "天": "SU"}
_WEEKDAY_WORD = {v: k for k, v in _WEEKDAY.items() if k != "天"}
_COUNT = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_ORDINAL = {"一": 1, "1": 1, "二": 2, "2": 2, "三": 3, "3": 3, "四": 4, "4": 4, "最后一": -1}
_DAY = r"(?:周|星期|礼拜)"
# After 每周 / 每两周: 六, 周六, 二、四, 二和周四 ...
_DAYS = rf"{_DAY}?([一二三四五六日天](?:[、,，和及]{_DAY}?[一二三四五六日天])*)"
_RULES = (
    (re.compile(r"每天|每日"), lambda m: "FREQ=DAILY"),
    (re.compile(rf"每{_DAY}{_DAYS}"), lambda m: f"FREQ=WEEKLY;BYDAY={_byday(m.group(1))}"),
    (
        re.compile(rf"每(两|二|三|四|[2-4])(?:个)?{_DAY}{_DAYS}"),
        lambda m: f"FREQ=WEEKLY;INTERVAL={_COUNT.get(m.group(1)) or int(m.group(1))};BYDAY={_byday(m.group(2))}",
    ),
    (re.compile(r"每月(\d{1,2})[日号]"), lambda m: f"FREQ=MONTHLY;BYMONTHDAY={_monthday(m.group(1))}"),
    (
        re.compile(rf"每月(?:第([一二三四1-4])个|(最后一)个){_DAY}([一二三四五六日天])"),
        lambda m: f"FREQ=MONTHLY;BYDAY={_ORDINAL[m.group(1) or m.group(2)]}{_WEEKDAY[m.group(3)]}",
    ),
)
_UNTIL = re.compile(r"(.*?)[,，;；\s]*(?:至|到|截至|直到)(.+?)(?:止|为止)?")
_TIMES = re.compile(r"(.*?)[,，;；\s]*共(\d{1,4})次")
RECURRENCE_HELP = "重复请写成 每天、每周六、每两周周三、每月5日、每月第一个周六，可加“，至2026年12月31日”或“，共10次”"


def _byday(days: str) -> str:
    return ",".join(dict.fromkeys(_WEEKDAY[c] for c in re.sub(r"[、,，和及]|周|星期|礼拜", "", days)))


def _monthday(text: str) -> int:
    day = int(text)
    if not 1 <= day <= 31:
        raise CellError(f"每月{day}日：日子要在 1 到 31 之间")
    return day


def parse_recurrence(value: object, *, all_day: bool = False) -> str | None:
    """Words to an RRULE body ("FREQ=WEEKLY;BYDAY=SA"); blank is a one-off (None).

    `RRULE:...` is accepted as written, for rules the words cannot say (and exports of them)."""
    text = _clean(str(value or ""))
    if not text:
        return None
    if text.upper().startswith("RRULE:"):
        return text[6:].strip()
    tail = ""
    if m := _TIMES.fullmatch(text):
        text, tail = m.group(1), f";COUNT={int(m.group(2))}"
        if int(m.group(2)) < 1:
            raise CellError("共0次：次数至少为 1")
    elif m := _UNTIL.fullmatch(text):
        text, until = m.group(1), parse_date(m.group(2).strip())
        # A DATE-TIME series ends at the end of the local day, written in UTC (RFC 5545).
        tail = f";UNTIL={until:%Y%m%d}" if all_day else f";UNTIL={until:%Y%m%d}T155959Z"
    for pattern, build in _RULES:
        if m := pattern.fullmatch(text.strip()):
            return build(m) + tail
    raise CellError(f"{_clean(str(value))!r} 看不懂；{RECURRENCE_HELP}")


_FROM_RULE = (
    (re.compile(r"FREQ=DAILY"), lambda m: "每天"),
    (re.compile(r"FREQ=WEEKLY;BYDAY=([A-Z,]+)"), lambda m: "每" + "、".join("周" + _WEEKDAY_WORD[d] for d in m.group(1).split(","))),
    (
        re.compile(r"FREQ=WEEKLY;INTERVAL=([2-4]);BYDAY=([A-Z,]+)"),
        lambda m: f"每{'两' if m.group(1) == '2' else '三四'[int(m.group(1)) - 3]}周" + "、".join("周" + _WEEKDAY_WORD[d] for d in m.group(2).split(",")),
    ),
    (re.compile(r"FREQ=MONTHLY;BYMONTHDAY=(\d{1,2})"), lambda m: f"每月{int(m.group(1))}日"),
    (
        re.compile(r"FREQ=MONTHLY;BYDAY=(-1|[1-4])([A-Z]{2})"),
        lambda m: f"每月{'最后一' if m.group(1) == '-1' else '第' + '一二三四'[int(m.group(1)) - 1]}个周{_WEEKDAY_WORD[m.group(2)]}",
    ),
)


def recurrence_words(rule: str | None) -> str:
    """The words parse_recurrence reads back to the same rule; RRULE:... when there are none."""
    if not rule:
        return ""
    body = rule[6:] if rule.upper().startswith("RRULE:") else rule
    head, tail = body, ""
    if m := re.fullmatch(r"(.*);COUNT=(\d+)", body):
        head, tail = m.group(1), f"，共{int(m.group(2))}次"
    elif m := re.fullmatch(r"(.*);UNTIL=(\d{4})(\d{2})(\d{2})(T155959Z)?", body):
        head, tail = m.group(1), f"，至{int(m.group(2))}年{int(m.group(3))}月{int(m.group(4))}日"
    for pattern, build in _FROM_RULE:
        if m := pattern.fullmatch(head):
            return build(m) + tail
    return f"RRULE:{body}"


def event_span(first: date, last: date, times: tuple[time, time]) -> tuple[datetime, datetime]:
    """A timed event's start and end (Asia/Shanghai) from its 日期, last day and 时间."""
    start, end = times
    ends_on = last + timedelta(days=1) if end == MIDNIGHT else last
    starts_at, ends_at = local(datetime.combine(first, start)), local(datetime.combine(ends_on, end))
    if ends_at <= starts_at:
        raise CellError(f"{start:%H:%M}-{end:%H:%M}：结束时刻要晚于开始时刻（过了午夜才结束的活动，结束日期写第二天）")
    return starts_at, ends_at


def span_words(starts_at: datetime, ends_at: datetime) -> tuple[str, date]:
    """The 时间 and last day a timed event is written with, read back by event_span: an end
    at midnight is 24:00 of the day before it (20:00-24:00, not 20:00-00:00 a day later)."""
    start, end = local(starts_at), local(ends_at)
    if end.time() == MIDNIGHT and end > start:
        return f"{start:%H:%M}-24:00", (end - timedelta(days=1)).date()
    return f"{start:%H:%M}-{end:%H:%M}", end.date()
