"""Importing sheets: all rows checked first, nothing written when any is bad, re-imports
update instead of duplicating, every kind round-trips, permissions and audit apply."""

from __future__ import annotations

import pytest

from api.domain.permissions import OPERATOR, Actor, Grant
from api.models.accounts import Role
from api.models.audit import AuditEntry
from api.models.events import Event, EventLecturer, EventStatus, Occurrence
from api.models.people import Person
from api.models.sites import Site
from api.models.teams import Membership, Team
from api.sheets.columns import SHEETS
from api.sheets.exports import Export, write_csv, write_xlsx
from api.sheets.imports import import_file
from tests.network import build
from tests.sheets_support import csv_bytes, sheet_rows, xlsx

CENTRE = "洛江区新时代文明实践中心"
INSTITUTE = f"{CENTRE}/河市镇新时代文明实践所"
STATION = f"{INSTITUTE}/洛阳村新时代文明实践站"
TABLES = (Site, Team, Person, Membership, Event, EventLecturer, Occurrence, AuditEntry)


async def counts() -> dict[str, int]:
    return {m.__name__: await m.all().count() for m in TABLES}


def editor_of(site: Site) -> Actor:
    return Actor(label="account editor", grants=(Grant(site.path, site.name, Role.EDITOR),))


@pytest.mark.parametrize("kind", list(SHEETS))
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
async def test_every_kind_round_trips_unchanged(db, kind, fmt):
    await build()
    before = await counts()
    body = await (write_xlsx if fmt == "xlsx" else write_csv)(Export(kind, OPERATOR, None))
    report = await import_file(kind, body, f"{kind}.{fmt}", actor=OPERATOR)
    assert report.errors == []
    assert report.rows > 0
    assert [o for o in report.outcomes if o.action != "UNCHANGED"] == []
    assert await counts() == before


async def test_sites_chain_created_in_one_sheet_then_updated(db):
    await build()
    rows = sheet_rows(
        "sites",
        {"上级": INSTITUTE, "名称": "洪四村新时代文明实践站", "类型": "站", "有阵地": "是", "星级": 3},
        {"上级": f"{INSTITUTE}/洪四村新时代文明实践站", "名称": "洪四小学实践点", "类型": "点"},
    )
    report = await import_file("sites", xlsx(rows), "s.xlsx", actor=OPERATOR)
    assert report.errors == [] and [o.action for o in report.outcomes] == ["CREATE", "CREATE"]
    station = await Site.get(name="洪四村新时代文明实践站")
    point = await Site.get(name="洪四小学实践点")
    assert point.path.startswith(station.path) and station.star_rating == 3 and station.has_venue
    rows[1][rows[0].index("星级")] = 4
    again = await import_file("sites", xlsx(rows), "s.xlsx", actor=OPERATOR)
    assert [(o.action, o.changed) for o in again.outcomes] == [("UPDATE", ["星级"])] and again.count("UNCHANGED") == 1
    assert (await Site.get(id=station.id)).star_rating == 4
    assert await Site.filter(name="洪四村新时代文明实践站").count() == 1


async def test_events_in_words_become_series(db):
    net = await build()
    rows = sheet_rows("events", {
        "外部编号": "HS-2026-001", "类型": "宣讲", "标题": "乡村振兴微宣讲", "平台": "理论宣讲", "阵地": STATION,
        "场所": "道德讲堂", "队伍": "洛地有声宣讲队", "日期": "2026年4月4日", "时间": "上午9:30-11:00",
        "重复": "每周六，至2026年4月25日", "宣讲形式": "微宣讲", "讲师": "陈宣讲", "容纳人数": 80,
    })
    report = await import_file("events", xlsx(rows), "e.xlsx", actor=OPERATOR)
    assert report.errors == []
    event = await Event.get(external_key="HS-2026-001")
    assert event.rrule == "FREQ=WEEKLY;BYDAY=SA;UNTIL=20260425T155959Z"
    assert event.status == EventStatus.PUBLISHED and event.venue_id is not None and event.team_id is not None
    assert await Occurrence.filter(event_id=event.id).count() == 4
    assert await EventLecturer.filter(event_id=event.id, person_id=net.lecturer.id).exists()
    # Re-import by 外部编号 with a new title and platform: the same event, changed.
    rows[1][rows[0].index("标题")] = "乡村振兴微宣讲（第二期）"
    rows[1][rows[0].index("平台")] = "文化服务"
    again = await import_file("events", xlsx(rows), "e.xlsx", actor=OPERATOR)
    assert [(o.action, sorted(o.changed)) for o in again.outcomes] == [("UPDATE", ["平台", "标题"])]
    event = await Event.get(id=event.id)
    assert event.title == "乡村振兴微宣讲（第二期）" and event.platform_id == net.culture.id
    assert set(await Occurrence.filter(event_id=event.id).values_list("platform_id", flat=True)) == {net.culture.id}


BAD_ROWS = {
    "sites": [
        ({"上级": "没有这个中心", "名称": "某站", "类型": "站"}, "上级"),
        ({"上级": INSTITUTE, "名称": "某站", "类型": "村"}, "类型"),
        ({"上级": INSTITUTE, "名称": "", "类型": "站"}, "名称"),
        ({"上级": INSTITUTE, "名称": "某点", "类型": "站", "星级": 9}, "星级"),
        ({"上级": INSTITUTE, "名称": "某所", "类型": "所"}, "上级"),  # an institute sits under a centre
    ],
    "venues": [
        ({"阵地": STATION, "名称": "", "类型": "大厅"}, "名称"),
        ({"阵地": STATION, "名称": "礼堂", "类型": "礼堂"}, "类型"),
        ({"阵地": STATION, "名称": "礼堂", "容纳人数": -5}, "容纳人数"),
        ({"阵地": "洛江区新时代文明实践中心/没有的所", "名称": "礼堂"}, "阵地"),
    ],
    "teams": [
        ({"名称": "新队", "层级": "队", "类别": "文明礼仪", "所属阵地": "不存在/某处"}, "所属阵地"),
        ({"名称": "新队", "层级": "大队", "类别": "文明礼仪", "所属阵地": STATION}, "层级"),
        ({"名称": "新队", "层级": "队", "类别": "其他", "所属阵地": STATION}, "自定义类别"),
        ({"名称": "新队", "层级": "总队", "类别": "综合", "所属阵地": STATION, "上级队伍": "洛地有声宣讲队"}, "上级队伍"),
    ],
    "people": [
        ({"姓名": "", "所属阵地": STATION}, "姓名"),
        ({"姓名": "王五", "电话": "call me"}, "电话"),
        ({"姓名": "王五", "讲师": "也许"}, "讲师"),
    ],
    "memberships": [
        ({"队伍所属阵地": STATION, "队伍": "没有的队", "姓名": "陈宣讲"}, "队伍"),
        ({"队伍所属阵地": STATION, "队伍": "洛地有声宣讲队", "姓名": "无名氏"}, "姓名"),
        ({"队伍所属阵地": STATION, "队伍": "洛地有声宣讲队", "姓名": "陈宣讲", "角色": "书记"}, "角色"),
    ],
    "events": [
        ({"类型": "宣讲", "标题": "好", "平台": "理论宣讲", "阵地": STATION, "日期": "2026-03-35", "时间": "9:30"}, "日期"),
        ({"类型": "宣讲", "标题": "好", "平台": "理论宣讲", "阵地": STATION, "日期": "2026-03-07", "时间": "25:00"}, "时间"),
        ({"类型": "宣讲", "标题": "好", "平台": "理论宣讲", "阵地": STATION, "日期": "2026-03-07", "时间": "9:30", "重复": "隔三差五"}, "重复"),
        ({"类型": "宣讲", "标题": "好", "平台": "理论宣讲", "阵地": STATION, "日期": "2026-03-06", "时间": "9:30", "重复": "每周六"}, "重复"),
        ({"类型": "宣讲", "标题": "好", "平台": "没有的平台", "阵地": STATION, "日期": "2026-03-07"}, "平台"),
        ({"类型": "宣讲", "标题": "好", "平台": "理论宣讲", "阵地": STATION, "日期": "2026-03-07", "讲师": "李志愿"}, "讲师"),
        ({"类型": "活动", "标题": "好", "平台": "理论宣讲", "阵地": STATION, "日期": "2026-03-07", "场所": "月球"}, "场所"),
    ],
}


@pytest.mark.parametrize("kind", list(BAD_ROWS))
async def test_one_bad_row_of_each_kind_writes_nothing(db, kind):
    await build()
    good = {
        "sites": {"上级": INSTITUTE, "名称": "好站", "类型": "站"},
        "venues": {"阵地": STATION, "名称": "村史馆", "类型": "其他", "容纳人数": 60},
        "teams": {"名称": "好队", "层级": "队", "类别": "文明礼仪", "所属阵地": STATION},
        "people": {"姓名": "好人", "所属阵地": STATION},
        "memberships": {"队伍所属阵地": STATION, "队伍": "洛地有声宣讲队", "姓名": "李志愿", "志愿者编号": "V001", "角色": "队长"},
        "events": {"类型": "活动", "标题": "好活动", "平台": "文化服务", "阵地": STATION, "日期": "2026-03-08"},
    }[kind]
    bad = BAD_ROWS[kind]
    before = await counts()
    rows = sheet_rows(kind, good, *[record for record, _ in bad])
    report = await import_file(kind, xlsx(rows), "bad.xlsx", actor=OPERATOR)
    found = {(e.row, e.header) for e in report.errors}
    assert found == {(i + 3, header) for i, (_, header) in enumerate(bad)}, report.errors
    assert all(e.message for e in report.errors)
    assert await counts() == before  # the good row is not written either


async def test_dry_run_lists_changes_and_writes_nothing(db):
    await build()
    before = await counts()
    rows = sheet_rows("people", {"姓名": "林晓华", "讲师": "是", "所属阵地": STATION, "宣讲主题": "乡村振兴、法治"})
    report = await import_file("people", xlsx(rows), "p.xlsx", actor=OPERATOR, dry_run=True)
    assert report.errors == [] and [(o.action, o.label) for o in report.outcomes] == [("CREATE", "林晓华")]
    assert await counts() == before


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "gb18030"])
async def test_csv_encodings(db, encoding):
    await build()
    rows = sheet_rows("teams", {"名称": "溪阳社区环境志愿队", "层级": "队", "类别": "乡村环境", "所属阵地": INSTITUTE + "/溪阳社区新时代文明实践站"})
    report = await import_file("teams", csv_bytes(rows, encoding), "teams.csv", actor=OPERATOR)
    assert report.errors == []
    assert await Team.filter(name="溪阳社区环境志愿队").exists()


async def test_unknown_and_missing_headers(db):
    await build()
    report = await import_file("events", csv_bytes([["标题", "地点"], ["x", "y"]]), "e.csv", actor=OPERATOR)
    headers = {e.header for e in report.errors}
    assert {"地点", "类型", "平台", "阵地", "日期"} <= headers
    assert all(e.row == 1 for e in report.errors)


async def test_permissions_and_audit(db):
    net = await build()
    editor = editor_of(net.institute)
    rows = sheet_rows(
        "events",
        {"类型": "活动", "标题": "河市镇文艺汇演", "平台": "文化服务", "阵地": INSTITUTE, "日期": "2026-04-01", "时间": "19:30-21:00"},
        {"类型": "活动", "标题": "越界活动", "平台": "文化服务", "阵地": "泉港区新时代文明实践中心", "日期": "2026-04-01"},
    )
    before = await counts()
    refused = await import_file("events", xlsx(rows), "e.xlsx", actor=editor)
    assert [(e.row, e.header) for e in refused.errors] == [(3, "阵地")]
    assert "outside your scope" in refused.errors[0].message
    assert await counts() == before
    # --within narrows even an operator's import.
    within = await import_file("events", xlsx(rows[:2]), "e.xlsx", actor=OPERATOR, within=net.station.id)
    assert [(e.row, e.header) for e in within.errors] == [(2, "阵地")]
    done = await import_file("events", xlsx(rows[:2]), "e.xlsx", actor=editor)
    assert done.errors == []
    event = await Event.get(title="河市镇文艺汇演")
    entry = await AuditEntry.get(object_type="Event", object_id=event.id)
    assert entry.action == "CREATE" and entry.actor == "account editor" and entry.site_path == net.institute.path


async def test_the_documented_csv_imports(db):
    import re
    from pathlib import Path

    await build()
    text = (Path(__file__).parent.parent / "docs" / "sheets.md").read_text(encoding="utf-8")
    sample = re.search(r"```csv\n(.*?)```", text, re.DOTALL).group(1)
    report = await import_file("teams", sample.encode("gb18030"), "teams.csv", actor=OPERATOR)
    assert report.errors == [] and report.count("CREATE") == 2


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
async def test_csv_line_endings_and_cells_over_several_lines(db, newline):
    await build()
    rows = sheet_rows("teams", {"名称": "溪阳社区环境志愿队", "层级": "队", "类别": "乡村环境",
                                "所属阵地": INSTITUTE + "/溪阳社区新时代文明实践站", "简介": "第一行\n第二行"})
    body = csv_bytes(rows).decode("utf-8-sig").replace("\r\n", newline).encode("utf-8-sig")
    report = await import_file("teams", body, "teams.csv", actor=OPERATOR)
    assert report.errors == [] and report.rows == 1
    description = (await Team.get(name="溪阳社区环境志愿队")).description
    assert description.splitlines() == ["第一行", "第二行"]


async def test_a_malformed_csv_is_a_bad_file(db):
    from api.domain.errors import DomainError

    await build()
    with pytest.raises(DomainError) as refused:
        # A quote never closed swallows the rest of the file into one cell, past csv's field limit.
        headers = ",".join(SHEETS["teams"].headers)
        await import_file("teams", (headers + "\n\"a,队\n" + "x," * 70_000).encode(), "teams.csv", actor=OPERATOR)
    assert refused.value.code == "BAD_FILE" and "line" in refused.value.message


async def test_a_big_report_counts_every_row_and_lists_the_first(db, monkeypatch):
    from api.sheets import imports

    await build()
    monkeypatch.setattr(imports, "MAX_LISTED", 2)
    rows = sheet_rows("people", *[{"姓名": f"列出测试{i}", "所属阵地": STATION} for i in range(3)])
    report = await import_file("people", xlsx(rows), "p.xlsx", actor=OPERATOR)
    assert report.count("CREATE") == 3 and [o.row for o in report.outcomes] == [2, 3]
    assert await Person.filter(name__startswith="列出测试").count() == 3
