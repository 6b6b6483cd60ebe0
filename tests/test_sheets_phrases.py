"""What staff write in a sheet: every documented phrase, and phrases that must be refused
(never guessed)."""

from datetime import date, datetime, time

import pytest
from dateutil.rrule import rrulestr

from api.sheets.phrases import MIDNIGHT, CellError, parse_date, parse_recurrence, parse_times, recurrence_words

DATES = {
    "2026-03-05": date(2026, 3, 5),
    "2026/3/5": date(2026, 3, 5),
    "2026年3月5日": date(2026, 3, 5),
    "2026年3月5号": date(2026, 3, 5),
    "２０２６／３／５": date(2026, 3, 5),  # full-width, as a Chinese input method types it
    46086.0: date(2026, 3, 5),  # an Excel serial number in a General cell
    datetime(2026, 3, 5): date(2026, 3, 5),  # an Excel date cell, as calamine reads it
    date(2026, 3, 5): date(2026, 3, 5),
}


@pytest.mark.parametrize(("written", "meant"), DATES.items(), ids=[str(k) for k in DATES])
def test_dates(written, meant):
    assert parse_date(written) == meant


@pytest.mark.parametrize("written", ["3月5日", "2026-02-30", "05/03/2026", "明天", "2026-3", 46086.5, datetime(2026, 3, 5, 9, 30), "1850-01-01"])
def test_dates_not_understood(written):
    with pytest.raises(CellError):
        parse_date(written)


TIMES = {
    "9:30": (time(9, 30), time(11, 0)),  # a start alone lasts 90 minutes
    "09:30-11:00": (time(9, 30), time(11, 0)),
    "09:30~11:00": (time(9, 30), time(11, 0)),
    "9:30至11:00": (time(9, 30), time(11, 0)),
    "上午9:30": (time(9, 30), time(11, 0)),
    "下午2:30": (time(14, 30), time(16, 0)),
    "下午2:30-4:00": (time(14, 30), time(16, 0)),  # the end keeps the afternoon
    "上午11:00-下午1:00": (time(11, 0), time(13, 0)),
    "晚上7点半": (time(19, 30), time(21, 0)),
    "14：00－16：30": (time(14, 0), time(16, 30)),
    time(9, 30): (time(9, 30), time(11, 0)),  # an Excel time cell
    0.375: (time(9, 0), time(10, 30)),  # an Excel time as a fraction of a day
    "20:00-24:00": (time(20, 0), MIDNIGHT),  # the midnight that ends the day
    "20:00-00:00": (time(20, 0), MIDNIGHT),
    "22:30": (time(22, 30), MIDNIGHT),
}


@pytest.mark.parametrize(("written", "meant"), TIMES.items(), ids=[str(k) for k in TIMES])
def test_times(written, meant):
    assert parse_times(written) == meant


# An end before the start is a row error unless 结束日期 is later (tests/test_sheets_event_keys.py).
@pytest.mark.parametrize("written", ["25:00", "下午14:00", "半天", "9.30", "23:00", "24:00", "20:00-24:30"])
def test_times_not_understood(written):
    with pytest.raises(CellError):
        parse_times(written)


RULES = {
    "每天": "FREQ=DAILY",
    "每日": "FREQ=DAILY",
    "每周六": "FREQ=WEEKLY;BYDAY=SA",
    "每星期六": "FREQ=WEEKLY;BYDAY=SA",
    "每周日": "FREQ=WEEKLY;BYDAY=SU",
    "每周二、四": "FREQ=WEEKLY;BYDAY=TU,TH",
    "每周二和周四": "FREQ=WEEKLY;BYDAY=TU,TH",
    "每两周周三": "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE",
    "每2周星期三": "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE",
    "每月5日": "FREQ=MONTHLY;BYMONTHDAY=5",
    "每月5号": "FREQ=MONTHLY;BYMONTHDAY=5",
    "每月第一个周六": "FREQ=MONTHLY;BYDAY=1SA",
    "每月第3个星期五": "FREQ=MONTHLY;BYDAY=3FR",
    "每月最后一个周五": "FREQ=MONTHLY;BYDAY=-1FR",
    "每周六，至2026年12月31日": "FREQ=WEEKLY;BYDAY=SA;UNTIL=20261231T155959Z",
    "每天 至2026-12-31": "FREQ=DAILY;UNTIL=20261231T155959Z",
    "每月5日，共10次": "FREQ=MONTHLY;BYMONTHDAY=5;COUNT=10",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=5": "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=5",
    "": None,
}


@pytest.mark.parametrize(("written", "rule"), RULES.items(), ids=[k or "blank" for k in RULES])
def test_recurrence(written, rule):
    assert parse_recurrence(written) == rule
    if rule:  # a valid RFC 5545 rule, and the export's words read back to it
        rrulestr(rule, dtstart=datetime(2026, 3, 7, 9, 30).astimezone())
        assert parse_recurrence(recurrence_words(rule)) == rule


def test_all_day_series_end_on_a_date():
    assert parse_recurrence("每周六，至2026年12月31日", all_day=True) == "FREQ=WEEKLY;BYDAY=SA;UNTIL=20261231"


@pytest.mark.parametrize("written", ["每周八", "隔周六", "每月32日", "每年春节", "每周", "工作日", "每周六，至明年", "每天，共0次"])
def test_recurrence_not_understood(written):
    with pytest.raises(CellError):
        parse_recurrence(written)


def _doc_table(title: str) -> list[tuple[str, str]]:
    """The rows of the table under a `### title` heading in docs/sheets.md."""
    from pathlib import Path

    text = (Path(__file__).parent.parent / "docs" / "sheets.md").read_text(encoding="utf-8")
    section = text.split(f"### {title}", 1)[1].split("\n#", 1)[0]
    rows = [line.split("|")[1:3] for line in section.splitlines() if line.startswith("| `")]
    return [(a.strip().strip("`"), b.strip()) for a, b in rows]


def test_the_documented_dates_read_as_documented():
    for written, meant in _doc_table("Dates (日期)"):
        assert parse_date(written).isoformat() == meant, written


def test_the_documented_times_read_as_documented():
    for written, meant in _doc_table("Times (时间)"):
        start, end = parse_times(written)
        shown = "24:00" if end == MIDNIGHT else f"{end:%H:%M}"
        assert meant.startswith(f"{start:%H:%M}-{shown}"), written


def test_the_documented_recurrences_read_as_documented():
    rows = _doc_table("Recurrence (重复)")
    assert len(rows) >= 9
    for written, rule in rows:
        assert rule.startswith(f"`{parse_recurrence(written)}`"), written
