"""The reference kiosk page (docs/examples/kiosk.html) in headless Chromium, against real servers.

The page is served by one uvicorn server, the API by another (a different origin, allowed by
WENMING_ALLOWED_ORIGINS), and Chromium is driven over the DevTools protocol. Where no browser
is installed the test is skipped with how to get one.
"""

from __future__ import annotations

import re
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
