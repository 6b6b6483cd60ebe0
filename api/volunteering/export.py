"""Volunteer hours for a period as a sheet for the national volunteer information system's
bulk entry (全国志愿服务信息系统 服务时长批量录入): CSV (UTF-8 with BOM, so Excel reads the
Chinese) or XLSX. One row per volunteer per occurrence with recorded hours (corrections
included). The columns and why: docs/volunteers.md, "Export for the national system"."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

import xlsxwriter
from tortoise.expressions import Q
from tortoise.functions import Sum

from api.domain.clock import local
from api.models.events import Event, Occurrence
from api.models.sites import Site
from api.models.teams import Team
from api.models.volunteering import HoursEntry, HoursKind, Volunteer
from api.volunteering.hours import Period, entries

COLUMNS = ("序号", "志愿者编号", "姓名", "服务项目名称", "服务开始时间", "服务结束时间", "服务时长（小时）",
           "服务地点", "所属队伍", "备注")
TIME = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class Row:
    number: int
    volunteer_number: str
    name: str
    title: str
    starts_at: str
    ends_at: str
    hours: float
    place: str
    team: str
    note: str

    def cells(self) -> list:
        return [self.number, self.volunteer_number, self.name, self.title, self.starts_at, self.ends_at, self.hours,
                self.place, self.team, self.note]


async def rows(site_path: str, start: date | None, end: date | None) -> list[Row]:
    qs = entries(site_path=site_path, period=Period(start, end))
    sums = await (qs.annotate(total=Sum("minutes")).group_by("volunteer_id", "event_id", "recurrence_id")
                  .values("volunteer_id", "event_id", "recurrence_id", "total"))
    sums = [s for s in sums if (s["total"] or 0) > 0]
    if not sums:
        return []
    corrected = {(e, local(r).timestamp(), v) for v, e, r in await qs.filter(kind=HoursKind.CORRECTION)
                 .values_list("volunteer_id", "event_id", "recurrence_id")}
    people = {v.id: v.person for v in await Volunteer.filter(id__in={s["volunteer_id"] for s in sums}).select_related("person")}
    events = {e.id: e for e in await Event.filter(id__in={s["event_id"] for s in sums})}
    query = Q()
    for s in sums:
        query |= Q(event_id=s["event_id"], recurrence_id=local(s["recurrence_id"]))
    occurrences = {(o.event_id, local(o.recurrence_id).timestamp()): o for o in await Occurrence.filter(query)}
    sites = {s.id: s.name for s in await Site.filter(id__in={e.site_id for e in events.values()})}
    teams = {t.id: t.name for t in await Team.filter(id__in={e.team_id for e in events.values() if e.team_id})}

    def key(s: dict) -> tuple:
        return (local(s["recurrence_id"]), s["event_id"], people[s["volunteer_id"]].name, s["volunteer_id"])

    found = []
    for i, s in enumerate(sorted(sums, key=key), start=1):
        event, stamp = events[s["event_id"]], local(s["recurrence_id"]).timestamp()
        occurrence = occurrences.get((event.id, stamp))
        starts: datetime = local(occurrence.starts_at if occurrence else s["recurrence_id"])
        ends: datetime = local(occurrence.ends_at) if occurrence else starts
        person = people[s["volunteer_id"]]
        found.append(Row(
            number=i, volunteer_number=person.volunteer_number or "", name=person.name,
            title=occurrence.title if occurrence else event.title, starts_at=f"{starts:{TIME}}", ends_at=f"{ends:{TIME}}",
            hours=round(int(s["total"]) / 60, 2), place=sites.get(event.site_id, ""),
            team=teams.get(event.team_id, "") if event.team_id else "",
            note="含人工更正" if (event.id, stamp, s["volunteer_id"]) in corrected else "",
        ))
    return found


def to_csv(found: list[Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(r.cells() for r in found)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(found: list[Row]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("服务时长")
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, COLUMNS, bold)
    for i, r in enumerate(found, start=1):
        sheet.write_row(i, 0, r.cells())
    sheet.set_column(0, 0, 6)
    sheet.set_column(1, len(COLUMNS) - 1, 18)
    book.close()
    return out.getvalue()
