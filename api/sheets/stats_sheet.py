"""The statistics a centre reports upward each month, as an .xlsx: one sheet per table, with
the figures of api/domain/stats.py (the same definitions as GraphQL's `stats`)."""

from __future__ import annotations

import io

import xlsxwriter

from api.domain import stats as figures
from api.models.platforms import Platform
from api.models.sites import Site, SiteKind
from api.sheets import labels


def _rate(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else ""


async def stats_xlsx(scope: figures.Scope, site: Site | None) -> bytes:
    kinds = await figures.sites_by_kind(scope)
    coverage = await figures.coverage(scope)
    teams, members = await figures.teams_by_category(scope), await figures.members_by_category(scope)
    volunteers = await figures.volunteers(scope)
    held = await figures.held_by_month_and_platform(scope)
    platforms = dict(await Platform.all().values_list("id", "name"))

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    head = book.add_format({"bold": True, "bg_color": "#FDE9D9", "border": 1})
    note = book.add_format({"italic": True, "font_color": "#666666"})
    where = site.name if site else "全网"
    period = f"{scope.first_day.isoformat()} 至 {scope.last_day.isoformat()}"

    def table(name: str, headers: list[str], rows: list[list], caption: str) -> None:
        sheet = book.add_worksheet(name)
        sheet.write(0, 0, f"{where} {caption}", note)
        sheet.write_row(1, 0, headers, head)
        for i, row in enumerate(rows, start=2):
            sheet.write_row(i, 0, row)
        for i, header in enumerate(headers):
            sheet.set_column(i, i, max(12, len(header) * 2 + 4))

    table("阵地", ["类型", "数量", "有阵地", "有队伍", "有活动", "有项目", "有机制", "五有齐全"],
          [[labels.word(labels.SITE_KIND, k.kind), k.sites, k.has_venue, k.has_team, k.has_activities, k.has_projects,
            k.has_mechanism, k.all_five] for k in kinds], "阵地数量与“五有”（现状）")
    table("覆盖率", ["层级", "统计的上级阵地", "应覆盖", "已覆盖", "覆盖率"],
          [[level, c.regions, c.units, c.covered, _rate(c.covered, c.units)]
           for level, c in (("乡镇（所）", coverage[SiteKind.CENTER]), ("村、社区（站）", coverage[SiteKind.INSTITUTE]))],
          "覆盖率：有所的乡镇、有站的村（社区）占应有数的比例")
    table("队伍", ["类别", "队伍数", "队员数"],
          [[labels.word(labels.TEAM_CATEGORY, c), n, members.get(c, 0)] for c, n in sorted(teams.items())]
          + [["合计（队员按人去重）", sum(teams.values()), volunteers]], "队伍与队员（现状）")
    table("活动", ["月份", "平台", "类型", "场次", "服务人次", "时长（小时）", "志愿服务时长（小时）"],
          [[r.month, platforms.get(r.platform_id, ""), labels.word(labels.EVENT_KIND, r.kind), r.held, r.reached,
            r.hours, r.volunteer_hours] for r in sorted(held, key=lambda r: (r.month, r.platform_id, r.kind))],
          f"已开展的宣讲与活动，{period}")
    book.close()
    return out.getvalue()
