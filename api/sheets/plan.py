"""The monthly plan (月度活动计划): a subtree's published activities for one month, grouped by
township (所), as an .xlsx for the office and an HTML article for the WeChat official-account
editor (inline styles only: the editor drops <style> and classes; three columns, so a table
stays readable on a phone)."""

from __future__ import annotations

import hashlib
import html
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import xlsxwriter

from api.domain.clock import day_start, local
from api.domain.errors import DomainError
from api.domain.occurrences import OccurrenceFilter
from api.domain.sites import subtree
from api.models.events import EventLecturer
from api.models.platforms import Platform
from api.models.sites import Site, SiteKind
from api.models.teams import Team

WEEKDAYS = "一二三四五六日"
RED = "#B71C1C"  # the practice centres' red


@dataclass
class Item:
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    site: str
    title: str
    platform: str
    team: str
    lecturers: list[str]

    @property
    def day(self) -> str:
        d = local(self.starts_at)
        return f"{d.month}月{d.day}日（周{WEEKDAYS[d.weekday()]}）"

    @property
    def short_day(self) -> tuple[str, str]:
        d = local(self.starts_at)
        return f"{d.month}月{d.day}日", f"周{WEEKDAYS[d.weekday()]}"

    @property
    def hours(self) -> str:
        if self.all_day:
            return "全天"
        return f"{local(self.starts_at):%H:%M}-{local(self.ends_at):%H:%M}"


@dataclass
class Group:
    name: str  # the township's institute, or the centre itself for county-level activities
    items: list[Item] = field(default_factory=list)


@dataclass
class Plan:
    site: Site
    month: date  # the first day
    groups: list[Group]

    @property
    def title(self) -> str:
        return f"{self.site.name}{self.month.year}年{self.month.month}月新时代文明实践活动计划"

    @property
    def count(self) -> int:
        return sum(len(g.items) for g in self.groups)


def parse_month(text: str) -> date:
    try:
        year, month = (int(p) for p in text.split("-"))
        if not 1900 <= year <= 2199:
            raise ValueError(year)
        return date(year, month, 1)
    except (ValueError, TypeError):
        raise DomainError(f"month must be written YYYY-MM, e.g. 2026-03; got {text!r}", field="month", code="BAD_MONTH") from None


def _next_month(first: date) -> date:
    return date(first.year + (first.month == 12), first.month % 12 + 1, 1)


async def build_plan(site: Site, month: date) -> Plan:
    window = OccurrenceFilter(start=day_start(month), end=day_start(_next_month(month)), within_path=site.path)
    rows = await window.queryset().filter(cancelled=False).exclude(event_status="CANCELLED").values_list(
        "event_id", "starts_at", "ends_at", "all_day", "title", "site_id", "platform_id", "team_id")
    sites = {s.id: s for s in await Site.filter(subtree(site.path)).only("id", "name", "kind", "path")}
    ancestors = {s.id: s for s in await Site.filter(id__in=[int(p) for p in site.path.strip("/").split("/")]).only("id", "name", "kind", "path")}
    known = sites | ancestors
    platforms = dict(await Platform.all().values_list("id", "name"))
    teams = dict(await Team.filter(id__in={r[7] for r in rows if r[7]}).values_list("id", "name"))
    lecturers: dict[int, list[str]] = defaultdict(list)
    for link in await EventLecturer.filter(event_id__in={r[0] for r in rows}).order_by("position", "id").prefetch_related("person"):
        if link.person.is_lecturer and link.person.deleted_at is None:  # only lecturers are public
            lecturers[link.event_id].append(link.person.name)
    groups: dict[int, Group] = {}
    for event_id, starts_at, ends_at, all_day, title, site_id, platform_id, team_id in rows:
        where = known[site_id]
        township = _township(where, known) or site
        group = groups.setdefault(township.id, Group(township.name))
        group.items.append(Item(starts_at, ends_at, all_day, where.name, title, platforms.get(platform_id, ""),
                                teams.get(team_id, ""), lecturers.get(event_id, [])))
    order = sorted(groups, key=lambda i: (known[i].kind != SiteKind.CENTER, known[i].path))
    return Plan(site, month, [groups[i] for i in order])


def _township(site: Site, known: dict[int, Site]) -> Site | None:
    """The institute (所: a township or street) a site is in, or is."""
    for part in site.path.strip("/").split("/"):
        ancestor = known.get(int(part))
        if ancestor is not None and ancestor.kind == SiteKind.INSTITUTE:
            return ancestor
    return None


def plan_xlsx(plan: Plan) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("月度活动计划")
    title = book.add_format({"bold": True, "font_size": 16, "align": "center"})
    head = book.add_format({"bold": True, "bg_color": "#FDE9D9", "border": 1, "align": "center"})
    section = book.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": RED, "border": 1})
    cell = book.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    headers = ["日期", "时间", "阵地", "活动名称", "平台", "组织队伍", "讲师"]
    widths = [16, 13, 26, 36, 12, 24, 16]
    sheet.merge_range(0, 0, 0, len(headers) - 1, plan.title, title)
    sheet.write_row(1, 0, headers, head)
    for i, width in enumerate(widths):
        sheet.set_column(i, i, width)
    row = 2
    for group in plan.groups:
        sheet.merge_range(row, 0, row, len(headers) - 1, f"{group.name}（{len(group.items)}项）", section)
        row += 1
        for item in group.items:
            sheet.write_row(row, 0, [item.day, item.hours, item.site, item.title, item.platform, item.team,
                                     "、".join(item.lecturers)], cell)
            row += 1
    if not plan.groups:
        sheet.merge_range(row, 0, row, len(headers) - 1, "本月暂无已发布的活动", cell)
    sheet.freeze_panes(2, 0)
    book.close()
    return out.getvalue()


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def plan_html(plan: Plan) -> str:
    """An article fragment: paste into the official-account editor as it is."""
    wrap = "margin:0;padding:0 4px;font-size:15px;line-height:1.6;color:#333;"
    th = f"background:{RED};color:#fff;font-weight:bold;padding:6px 4px;border:1px solid {RED};text-align:center;"
    td = "padding:6px 4px;border:1px solid #e0c9c9;vertical-align:top;"
    parts = [
        f'<section style="{wrap}">',
        f'<p style="margin:12px 0;font-size:19px;font-weight:bold;color:{RED};text-align:center;">{_e(plan.title)}</p>',
        f'<p style="margin:0 0 12px;font-size:13px;color:#888;text-align:center;">共 {plan.count} 项活动，欢迎群众就近参加</p>',
    ]
    if not plan.groups:
        parts.append('<p style="text-align:center;color:#888;">本月暂无已发布的活动</p>')
    for group in plan.groups:
        parts.append(
            f'<p style="margin:18px 0 6px;padding-left:8px;border-left:4px solid {RED};font-size:17px;font-weight:bold;">'
            f"{_e(group.name)}</p>"
        )
        parts.append('<table style="width:100%;border-collapse:collapse;table-layout:fixed;font-size:14px;">')
        parts.append(f'<tr><th style="{th}width:28%;">时间</th><th style="{th}">活动</th><th style="{th}width:20%;">平台</th></tr>')
        for i, item in enumerate(group.items):
            shade = "background:#fdf5f5;" if i % 2 else ""
            details = [f"地点：{_e(item.site)}"]
            if item.team:
                details.append(f"组织：{_e(item.team)}")
            if item.lecturers:
                details.append(f"讲师：{_e('、'.join(item.lecturers))}")
            parts.append(
                f'<tr><td style="{td}{shade}">{"<br/>".join(map(_e, item.short_day))}<br/>{_e(item.hours)}</td>'
                f'<td style="{td}{shade}"><strong>{_e(item.title)}</strong><br/>'
                f'<span style="font-size:12px;color:#666;">{"<br/>".join(details)}</span></td>'
                f'<td style="{td}{shade}text-align:center;">{_e(item.platform)}</td></tr>'
            )
        parts.append("</table>")
    parts.append("</section>")
    return "\n".join(parts) + "\n"


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def page(plan: Plan) -> str:
    """The article inside a minimal page, for previewing in a browser (and copying from it)."""
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(plan.title)}</title></head><body style=\"margin:0;\">{plan_html(plan)}</body></html>\n"
    )


