"""The events sheet's two calendar columns (issue 15): 跳过法定节假日 (skipHolidays) and
调休上班日照常 (onMakeUpWorkdays). An "every working day" series imported with both loses the
National Day week's weekdays and runs on the make-up Saturday, exactly as createEvent makes it;
export then import changes nothing; a one-off event cannot take them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from api.china_calendar import holidays as table
from api.domain.clock import local
from api.domain.permissions import OPERATOR
from api.models.events import Event, Occurrence
from api.sheets.exports import Export, write_csv, write_xlsx
from api.sheets.imports import import_file
from tests.network import build
from tests.sheets_support import sheet_rows, xlsx

STATION = "洛江区新时代文明实践中心/河市镇新时代文明实践所/洛阳村新时代文明实践站"
NATIONAL_DAY_WEEKDAYS = [date(2026, 10, d) for d in (1, 2, 5, 6, 7)]
MAKEUP_SATURDAY = date(2026, 10, 10)
BARBER = {"外部编号": "LY-理发", "类型": "活动", "标题": "每个工作日：便民理发", "平台": "文化服务", "阵地": STATION,
          "日期": "2026-09-28", "时间": "09:00-10:00", "重复": "每周一、二、三、四、五，至2026年10月16日",
          "跳过法定节假日": "是", "调休上班日照常": "是"}


@pytest.fixture
async def synced(db):
    await table.sync(range(2025, 2029))


async def _days(event: Event) -> list[date]:
    starts = await Occurrence.filter(event_id=event.id).order_by("starts_at").values_list("starts_at", flat=True)
    return [local(s).date() for s in starts]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
async def test_the_calendar_columns_make_a_series_follow_chinas_calendar_and_round_trip(synced, fmt):
    await build()
    report = await import_file("events", xlsx(sheet_rows("events", BARBER)), "e.xlsx", actor=OPERATOR)
    assert report.errors == [] and report.count("CREATE") == 1
    event = await Event.get(external_key="LY-理发")
    assert event.skip_holidays and event.on_makeup_workdays
    weekdays = [date(2026, 9, 28) + timedelta(days=i) for i in range(19) if (date(2026, 9, 28) + timedelta(days=i)).weekday() < 5]
    assert await _days(event) == sorted([d for d in weekdays if d not in NATIONAL_DAY_WEEKDAYS] + [MAKEUP_SATURDAY])

    # Exported in the same two columns, and imported back unchanged.
    body = await (write_xlsx if fmt == "xlsx" else write_csv)(Export("events", OPERATOR, None))
    again = await import_file("events", body, f"e.{fmt}", actor=OPERATOR)
    assert again.errors == [] and again.count("UPDATE") == 0 and again.count("CREATE") == 0

    # Edited in the sheet: the series follows (the weekdays of the holiday come back).
    edited = await import_file("events", xlsx(sheet_rows("events", BARBER | {"跳过法定节假日": "否", "调休上班日照常": ""})),
                               "e.xlsx", actor=OPERATOR)
    assert [(o.action, sorted(o.changed)) for o in edited.outcomes] == [("UPDATE", ["调休上班日照常", "跳过法定节假日"])]
    assert await _days(await Event.get(id=event.id)) == weekdays


async def test_a_one_off_event_cannot_skip_holidays(synced):
    await build()
    one_off = BARBER | {"外部编号": "LY-一次", "重复": "", "调休上班日照常": "否"}
    bad_word = BARBER | {"外部编号": "LY-二次", "跳过法定节假日": "跳过"}
    report = await import_file("events", xlsx(sheet_rows("events", one_off, bad_word)), "e.xlsx", actor=OPERATOR)
    assert [(e.row, e.header) for e in report.errors] == [(2, "跳过法定节假日"), (3, "跳过法定节假日")]
    assert "recurring series" in report.errors[0].message
    assert not await Event.filter(external_key__startswith="LY-").exists()
