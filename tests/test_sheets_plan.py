"""The monthly plan (月度活动计划): grouped by township, public, cached with ETags; its HTML
article renders in headless Chromium at a phone's width (screenshot kept for a person)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from python_calamine import CalamineWorkbook

from api.domain.events import create_event
from api.models.events import EventKind, EventStatus
from tests.browser_support import browser, chromium_or_skip
from tests.live_support import serving
from tests.network import at, build
from tests.test_cli import run



async def _network():
    net = await build()
    await create_event(kind=EventKind.ACTIVITY, title="溪阳社区<义诊>", platform_id=net.culture.id, site_id=net.station2.id,
                       starts_at=at(2026, 3, 15, 8, 30), ends_at=at(2026, 3, 15, 11), status=EventStatus.PUBLISHED)
    return net


async def test_plan_over_http(client, db):
    net = await _network()
    response = await client.get(f"/sheets/plan/{net.centre.id}/2026-03.html")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    body = response.text
    assert "洛江区新时代文明实践中心2026年3月新时代文明实践活动计划" in body
    # County-level first, then the township; nothing from the other county, no drafts, no cancelled ones.
    assert body.index("学雷锋志愿服务日") < body.index("河市镇新时代文明实践所") < body.index("科普集市")
    assert "海上船声筒宣讲" not in body and "草稿活动" not in body
    assert body.count("党的二十大精神微宣讲") == 2  # 7 March and the moved 29 March; 14th removed, 21st cancelled
    assert "3月7日<br/>周六<br/>09:30-11:00" in body and "讲师：陈宣讲" in body
    assert "溪阳社区&lt;义诊&gt;" in body  # escaped
    assert "<style" not in body and "class=" not in body  # the WeChat editor keeps inline styles only
    again = await client.get(f"/sheets/plan/{net.centre.id}/2026-03.html", headers={"if-none-match": response.headers["etag"]})
    assert again.status_code == 304 and again.headers["cache-control"] == "public, max-age=300"
    sheet = await client.get(f"/sheets/plan/{net.centre.id}/2026-03.xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(sheet.content)).get_sheet_by_index(0).to_python()
    assert rows[1] == ["日期", "时间", "阵地", "活动名称", "平台", "组织队伍", "讲师"]
    sections = [r[0] for r in rows if re.search(r"（\d+项）$", str(r[0]))]
    assert sections == ["洛江区新时代文明实践中心（1项）", "河市镇新时代文明实践所（4项）"]
    township = await client.get(f"/sheets/plan/{net.institute.id}/2026-03.html")
    assert "学雷锋志愿服务日" not in township.text and "科普集市" in township.text
    assert (await client.get(f"/sheets/plan/{net.centre.id}/2026-13.html")).status_code == 400
    assert (await client.get(f"/sheets/plan/999999/2026-03.html")).status_code == 404
    assert (await client.get(f"/sheets/plan/{net.centre.id}/2026-03.pdf")).status_code == 404


async def test_the_article_renders_in_chromium(db, settings, tmp_path):
    chromium_or_skip()
    from api.app import create_app

    net = await _network()
    app = create_app(settings, manage_db=False)
    async with serving(app) as api:
        async with browser(tmp_path / "profile") as page:
            await page.goto(f"{api.url}/sheets/plan/{net.centre.id}/2026-03.html", width=390, height=1400)
            await page.shows("section", "科普集市", "河市镇新时代文明实践所")
            # Readable on a phone: the table fits the screen, the text is not shrunk.
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390
            size = await page.evaluate("getComputedStyle(document.querySelector('td')).fontSize")
            assert size == "14px"
            await page.screenshot(tmp_path / "monthly-plan-phone.png")


def test_plan_from_the_cli(tmp_path: Path):
    url = f"sqlite://{tmp_path / 'w.sqlite3'}"
    sites = tmp_path / "s.csv"
    sites.write_text("名称,类型,上级\n洛江区新时代文明实践中心,中心,\n", encoding="utf-8")
    assert run(["import", "sites", str(sites)], tmp_path, WENMING_DATABASE_URL=url).returncode == 0
    result = run(["plan", "1", "2026-03", "--format", "html", "-o", str(tmp_path / "p.html")], tmp_path, WENMING_DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert "本月暂无已发布的活动" in (tmp_path / "p.html").read_text(encoding="utf-8")
    bad = run(["plan", "1", "March", "-o", str(tmp_path / "p.xlsx")], tmp_path, WENMING_DATABASE_URL=url)
    assert bad.returncode == 2 and "YYYY-MM" in bad.stderr


STATS = """query($within: ID) { stats(within: $within, from: "2026-03-01", to: "2026-03-31") {
  sites { total } held { lectures activities } teams { teams members } } }"""


async def test_stats_sheet_agrees_with_graphql(client, gql, db):
    from tests.network import gid

    net = await build()
    figures = (await gql(STATS, within=gid("Site", net.centre.id)))["stats"]
    response = await client.get("/sheets/stats.xlsx", params={"within": net.centre.id, "from": "2026-03-01", "to": "2026-03-31"})
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert book.sheet_names == ["阵地", "覆盖率", "队伍", "活动"]
    sites = book.get_sheet_by_name("阵地").to_python()[2:]
    assert sum(int(r[1]) for r in sites) == figures["sites"]["total"]
    held = book.get_sheet_by_name("活动").to_python()[2:]
    assert sum(int(r[3]) for r in held) == figures["held"]["lectures"] + figures["held"]["activities"]
    teams = book.get_sheet_by_name("队伍").to_python()
    assert teams[-1][0].startswith("合计") and int(teams[-1][1]) == figures["teams"]["teams"]
    assert int(teams[-1][2]) == figures["teams"]["members"]
    assert (await client.get("/sheets/stats.xlsx", params={"from": "2026-04-01", "to": "2026-03-01"})).status_code == 400
