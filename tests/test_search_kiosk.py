"""The kiosk page's search box (issue 16) in headless Chromium, against a real API server."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from api.app import create_app
from api.search.index import reindex
from api.settings import Settings
from tests.browser_support import browser, chromium_or_skip
from tests.live_support import free_socket, serving
from tests.network import build, gid
from tests.test_kiosk import static_site


async def search_for(page, text: str) -> None:
    """Type into the search box as a keyboard would, and wait until the list answers it."""
    await page.evaluate("(() => { const box = document.getElementById('search-box'); box.value = ''; box.focus(); })()")
    await page.call("Input.insertText", text=text)
    for _ in range(200):
        if await page.attribute("#search-results", "query") == text:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the search list never answered {text!r}")


async def test_the_kiosk_search_box_finds_by_characters_traditional_script_and_initials(db, settings: Settings, tmp_path):
    chromium_or_skip()
    n = await build()
    await reindex()
    page_socket = free_socket()
    page_origin = f"http://127.0.0.1:{page_socket.getsockname()[1]}"
    api_app = create_app(settings.model_copy(update={"allowed_origins": [page_origin]}), manage_db=False)
    async with serving(static_site(), page_socket) as pages, serving(api_app) as api:
        query = urlencode({"api": api.url, "site": gid("Site", n.station.id), "poll": 600})
        async with browser(tmp_path / "profile") as page:
            await page.goto(f"{pages.url}/kiosk.html?{query}", width=1920, height=1080)
            await page.shows("#site-name", "洛阳村新时代文明实践站")
            await page.shows("#search-results", "输入关键词")

            await search_for(page, "宣講")
            await page.shows("#search-results", "洛地有声宣讲队", "陈宣讲", "队伍", "宣讲员")
            assert "宣讲" in await page.evaluate("[...document.querySelectorAll('#search-results mark')].map(m => m.textContent).join()")
            await search_for(page, "xjd")
            await page.shows("#search-results", "洛地有声宣讲队")
            assert await page.evaluate("document.querySelector('#search-results mark').textContent") == "宣讲队"
            await search_for(page, "没有这个")
            await page.shows("#search-results", "没有找到")
            # The board is still whole on one 1080p screen with the search column beside it.
            assert await page.evaluate(
                "document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth")

            # &search=0: no box, and the board takes the whole width again.
            query = urlencode({"api": api.url, "site": gid("Site", n.station.id), "poll": 600, "search": 0})
            await page.goto(f"{pages.url}/kiosk.html?{query}", width=1920, height=1080)
            await page.shows("#site-name", "洛阳村新时代文明实践站")
            assert await page.evaluate("document.getElementById('search-box') === null")
