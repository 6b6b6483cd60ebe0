"""The reference kiosk page (docs/examples/kiosk.html) in headless Chromium, against real servers.

The page is served by one uvicorn server, the API by another (a different origin, allowed by
WENMING_ALLOWED_ORIGINS), and Chromium is driven over the DevTools protocol. Where no browser
is installed the test is skipped with how to get one.
"""

from __future__ import annotations

import re
import struct
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from api.app import create_app
from api.domain import clock
from api.domain.events import create_event
from api.live.occurrences import CHANNEL
from api.models.events import EventKind, EventStatus
from api.settings import Settings
from tests.browser_support import browser, chromium_or_skip
from tests.live_support import edit_through, free_socket, listening, serving
from tests.network import build, gid

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def static_site() -> Starlette:
    return Starlette(routes=[Mount("/", StaticFiles(directory=EXAMPLES, html=True))])


async def test_the_kiosk_shows_the_board_follows_changes_and_says_when_it_is_offline(db, settings: Settings, tmp_path):
    chromium_or_skip()
    n = await build()
    # Times around the real clock: the page sets its clock by the server's Date header.
    now = clock.now().replace(second=0, microsecond=0)
    running = await create_event(
        kind=EventKind.ACTIVITY, title="义务理发", platform_id=n.culture.id, site_id=n.station.id,
        starts_at=now - timedelta(minutes=30), ends_at=now + timedelta(minutes=45), status=EventStatus.PUBLISHED,
    )
    coming = await create_event(
        kind=EventKind.LECTURE, title="理论微宣讲", platform_id=n.theory.id, site_id=n.station.id,
        starts_at=now + timedelta(minutes=50), ends_at=now + timedelta(minutes=80), status=EventStatus.PUBLISHED,
    )
    await create_event(  # the other county: never on this kiosk
        kind=EventKind.ACTIVITY, title="海滨清洁", platform_id=n.culture.id, site_id=n.other_station.id,
        starts_at=now - timedelta(minutes=10), ends_at=now + timedelta(minutes=20), status=EventStatus.PUBLISHED,
    )

    page_socket = free_socket()
    page_origin = f"http://127.0.0.1:{page_socket.getsockname()[1]}"
    api_app = create_app(settings.model_copy(update={"allowed_origins": [page_origin]}), manage_db=False)
    async with serving(static_site(), page_socket) as pages, serving(api_app) as api:
        # poll=600: within the test only the live subscription can explain an update.
        query = urlencode({"api": api.url, "site": gid("Site", n.station.id), "poll": 600})
        async with browser(tmp_path / "profile") as page:
            await page.goto(f"{pages.url}/kiosk.html?{query}")
            await page.shows("#site-name", "洛阳村新时代文明实践站")
            hhmm = lambda dt: clock.local(dt).strftime("%H:%M")  # noqa: E731
            await page.shows("#now", "义务理发", f"{hhmm(running.starts_at)}–{hhmm(running.ends_at)}")
            assert "海滨清洁" not in await page.text("main")
            await page.shows("#next", "理论微宣讲", "宣讲")
            day = await page.text("#day")  # the board's today, as the page shows it
            starts = clock.local(coming.starts_at)
            if f"{starts.month}月{starts.day}日" in day:
                await page.shows("#today", "理论微宣讲")
            else:  # run in the last hour before midnight: it starts tomorrow
                await page.shows("#today", "今日暂无更多安排")
            assert re.fullmatch(r"\d\d:\d\d", await page.text("#clock"))
            await listening(api_app, CHANNEL)  # the page's subscription is up

            await edit_through(api_app, coming, title="理论微宣讲(改在文化礼堂)")
            await page.shows("#next", "理论微宣讲(改在文化礼堂)")
            await edit_through(api_app, running, status=EventStatus.CANCELLED)
            await page.shows("#now", "义务理发", "已取消")
            status = await page.shows("#status", "在线", "实时")
            assert await page.attribute("#status", "state") == "live"

            await api.stop()
            status = await page.shows("#status", "离线", "最后更新")
            assert re.search(r"最后更新 \d\d:\d\d", status), status
            assert await page.attribute("#status", "state") == "offline"
            # The last good board stays on screen.
            await page.shows("#now", "义务理发", "已取消")
            await page.shows("#next", "理论微宣讲(改在文化礼堂)")


WEEKDAY_SHORT = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]


def png_size(path: Path) -> tuple[int, int]:
    return struct.unpack(">II", path.read_bytes()[16:24])


async def test_the_kiosk_names_the_day_of_the_next_start_shows_the_week_and_fits_a_1080p_screen(db, settings: Settings, tmp_path):
    chromium_or_skip()
    n = await build()
    today = clock.local_date(clock.now())
    in_three_days = today + timedelta(days=3)
    at = lambda day, h, m=0: clock.day_start(day) + timedelta(hours=h, minutes=m)  # noqa: E731
    await create_event(
        kind=EventKind.LECTURE, title="理论微宣讲进村居", platform_id=n.theory.id, site_id=n.station2.id,
        starts_at=at(in_three_days, 10), ends_at=at(in_three_days, 11), status=EventStatus.PUBLISHED,
    )
    for i in range(12):  # more than a day's column holds: it says how many more
        await create_event(
            kind=EventKind.ACTIVITY, title=f"文明实践志愿服务第{i + 1}场", platform_id=n.culture.id, site_id=n.station2.id,
            starts_at=at(in_three_days, 12, i * 4), ends_at=at(in_three_days, 13, i * 4), status=EventStatus.PUBLISHED,
        )
    await create_event(
        kind=EventKind.ACTIVITY, title="海滨清洁", platform_id=n.culture.id, site_id=n.other_station.id,
        starts_at=at(today + timedelta(days=1), 8, 30), ends_at=at(today + timedelta(days=1), 9, 30),
        status=EventStatus.PUBLISHED,
    )

    page_socket = free_socket()
    page_origin = f"http://127.0.0.1:{page_socket.getsockname()[1]}"
    api_app = create_app(settings.model_copy(update={"allowed_origins": [page_origin]}), manage_db=False)
    async with serving(static_site(), page_socket) as pages, serving(api_app) as api:
        async with browser(tmp_path / "profile") as page:
            query = urlencode({"api": api.url, "site": gid("Site", n.station2.id), "poll": 600})
            await page.goto(f"{pages.url}/kiosk.html?{query}", width=1920, height=1080)
            # Not today: the next start carries its day (周三 3月5日), not just 10:00–11:00.
            label = f"{WEEKDAY_SHORT[in_three_days.weekday()]} {in_three_days.month}月{in_three_days.day}日"
            await page.shows("#next", label, "10:00–11:00", "理论微宣讲进村居")
            # The week ahead: seven days from tomorrow (明天), each with what starts on it.
            week = await page.shows("#week", "明天", "理论微宣讲进村居", "另有")
            assert await page.evaluate("document.querySelectorAll('#week .day').length") == 7
            column = await page.text(f'#week .day[data-date="{in_three_days.isoformat()}"]')
            assert "理论微宣讲进村居" in column and "另有" in column, week
            # The empty state reads on one line, not six characters and a wrap.
            await page.shows("#now", "暂无进行中的活动")
            lines = await page.evaluate(
                "(() => { const r = document.createRange(); r.selectNodeContents(document.querySelector('#now li.empty'));"
                " return new Set([...r.getClientRects()].map((b) => Math.round(b.top))).size; })()")
            assert lines == 1
            # One 1080p screen: nothing scrolls, nothing spills sideways.
            assert await page.evaluate(
                "document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth")
            shot = await page.screenshot(tmp_path / "kiosk-1920x1080.png")
            assert png_size(shot) == (1920, 1080)

            query = urlencode({"api": api.url, "site": gid("Site", n.other_station.id), "poll": 600})
            await page.goto(f"{pages.url}/kiosk.html?{query}", width=1920, height=1080)
            await page.shows("#next", "明天", "08:30–09:30", "海滨清洁")


async def test_the_kiosk_shows_the_volunteers_check_in_code_with_a_token(db, settings: Settings, tmp_path):
    from api.domain import accounts
    from api.models.accounts import Role

    chromium_or_skip()
    n = await build()
    now = clock.now().replace(second=0, microsecond=0)
    await create_event(
        kind=EventKind.ACTIVITY, title="敬老院志愿服务", platform_id=n.culture.id, site_id=n.station.id,
        starts_at=now - timedelta(minutes=20), ends_at=now + timedelta(minutes=70), status=EventStatus.PUBLISHED,
    )
    _, kiosk = await accounts.create_token("洛阳村一体机", site=n.station, role=Role.VIEWER)
    page_socket = free_socket()
    page_origin = f"http://127.0.0.1:{page_socket.getsockname()[1]}"
    api_app = create_app(settings.model_copy(update={"allowed_origins": [page_origin]}), manage_db=False)
    async with serving(static_site(), page_socket) as pages, serving(api_app) as api:
        async with browser(tmp_path / "profile") as page:
            plain = urlencode({"api": api.url, "site": gid("Site", n.station.id), "poll": 600})
            await page.goto(f"{pages.url}/kiosk.html?{plain}", width=1920, height=1080)
            await page.shows("#now", "敬老院志愿服务")
            assert await page.evaluate("document.getElementById('checkin-section')") is None  # no token, no code

            query = urlencode({"api": api.url, "site": gid("Site", n.station.id), "poll": 600, "token": kiosk})
            await page.goto(f"{pages.url}/kiosk.html?{query}", width=1920, height=1080)
            await page.shows("#checkin-section", "扫码签到", "敬老院志愿服务", "每分钟更新")
            # A QR code drawn from the server's SVG, square and large enough to scan across a room.
            box = await page.evaluate(
                "(() => { const r = document.querySelector('#checkin-qr svg').getBoundingClientRect();"
                " return [Math.round(r.width), Math.round(r.height)]; })()")
            assert box[0] == box[1] and box[0] >= 150, box
            assert await page.evaluate("document.querySelector('#checkin-qr svg path').getAttribute('d').length") > 100
            assert await page.evaluate(
                "document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth")
            await page.screenshot(tmp_path / "kiosk-checkin-1920x1080.png")
