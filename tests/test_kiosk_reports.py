"""The kiosk page's latest reports (最新报道) in headless Chromium, against a real API server: the
newest published reports of the subtree with their covers, following reportChanges."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import httpx

from api.app import create_app
from api.settings import Settings
from tests.auth_support import make_callers
from tests.browser_support import browser, chromium_or_skip
from tests.images_support import phone_photo
from tests.live_support import free_socket, listening, serving
from tests.network import build, gid
from tests.reports_support import publish, write
from tests.test_kiosk import static_site


async def test_the_kiosk_shows_the_latest_reports_and_follows_new_ones(db, settings: Settings, tmp_path):
    chromium_or_skip()
    net = await build()
    callers = await make_callers(net)
    page_socket, api_socket = free_socket(), free_socket()
    page_origin = f"http://127.0.0.1:{page_socket.getsockname()[1]}"
    # Image URLs name the address the API is reached at (what WENMING_PUBLIC_URL is for).
    api_url = f"http://127.0.0.1:{api_socket.getsockname()[1]}"
    api_app = create_app(settings.model_copy(update={"allowed_origins": [page_origin], "public_url": api_url}),
                         manage_db=False)
    async with serving(static_site(), page_socket) as pages, serving(api_app, api_socket) as api:
        async with httpx.AsyncClient(base_url=api.url) as http:
            uploaded = await http.post("/uploads/images", files={"file": ("p.jpg", phone_photo(), "image/jpeg")},
                                       headers={"Authorization": f"Bearer {callers.editor}"})
            cover = uploaded.json()["image"]["id"]
            await publish(http, callers.editor, callers.admin, await write(
                http, callers.editor, net.station, title="洛阳村志愿服务活动", coverId=cover))
            await write(http, callers.editor, net.station, title="还没发布的草稿")
            query = urlencode({"api": api.url, "site": gid("Site", net.institute.id), "within": 1, "poll": 600})
            async with browser(tmp_path / "profile") as page:
                await page.goto(f"{pages.url}/kiosk.html?{query}")
                await page.shows("#reports", "洛阳村志愿服务活动")
                assert "还没发布的草稿" not in await page.text("#side")
                # The cover's 320 px rendition, loaded from the API's /images/.
                src = await page.evaluate("document.querySelector('#reports img').src")
                assert src.startswith(api_url) and src.endswith("/320.jpg"), src
                await page.shows("#reports", "洛阳村志愿服务活动")
                loaded = 0
                for _ in range(100):
                    loaded = await page.evaluate("document.querySelector('#reports img').naturalWidth")
                    if loaded:
                        break
                    await asyncio.sleep(0.05)
                assert loaded == 320
                await listening(api_app, "reports")
                await publish(http, callers.editor, callers.admin, await write(
                    http, callers.editor, net.station2, title="溪阳社区文艺汇演"))
                text = await page.shows("#reports", "溪阳社区文艺汇演", "洛阳村志愿服务活动")
                assert text.index("溪阳社区文艺汇演") < text.index("洛阳村志愿服务活动")  # newest first
