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


# The placeholder's width in the box's own font, against the room inside the box.
PLACEHOLDER_FITS = """(() => {
  const box = document.getElementById('search-box'), style = getComputedStyle(box);
  const pen = document.createElement('canvas').getContext('2d');
  pen.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return [Math.ceil(pen.measureText(box.placeholder).width), Math.floor(room)];
})()"""
# Headings and the hints under the box read on one line: no text in them breaks in two.
ONE_LINE = """[...document.querySelectorAll('#board h2, #search-results li.hint')].filter((e) => {
  const walk = document.createTreeWalker(e, NodeFilter.SHOW_TEXT), r = document.createRange();
  for (let t = walk.nextNode(); t; t = walk.nextNode()) {
    r.selectNodeContents(t);
    if (new Set([...r.getClientRects()].map((b) => Math.round(b.top))).size > 1) return true;
  }
  return false;
}).map((e) => e.textContent)"""

HINTS_SHOWN = """(() => {
  const list = document.getElementById('search-results').getBoundingClientRect();
  const hints = [...document.querySelectorAll('#search-results li.hint')];
  return hints.length === 2 && hints.every((h) => { const r = h.getBoundingClientRect();
    return r.height > 0 && r.top >= list.top && r.bottom <= list.bottom; });
})()"""


async def test_the_search_box_shows_its_whole_placeholder_on_a_landscape_and_a_portrait_screen(db, settings: Settings, tmp_path):
    chromium_or_skip()
    n = await build()
    page_socket = free_socket()
    page_origin = f"http://127.0.0.1:{page_socket.getsockname()[1]}"
    api_app = create_app(settings.model_copy(update={"allowed_origins": [page_origin]}), manage_db=False)
    async with serving(static_site(), page_socket) as pages, serving(api_app) as api:
        query = urlencode({"api": api.url, "site": gid("Site", n.station.id), "poll": 600})
        async with browser(tmp_path / "profile") as page:
            for width, height in [(1920, 1080), (1080, 1920)]:
                await page.goto(f"{pages.url}/kiosk.html?{query}", width=width, height=height)
                await page.shows("#site-name", "洛阳村新时代文明实践站")
                await page.shows("#search-results", "输入关键词")
                await page.screenshot(tmp_path / f"kiosk-search-{width}x{height}.png")
                needed, room = await page.evaluate(PLACEHOLDER_FITS)
                assert needed <= room, f"at {width}x{height} the placeholder needs {needed}px, the box has {room}px"
                assert await page.evaluate(ONE_LINE) == [], f"at {width}x{height}"
                # The list under the box has room: its hints (and so its hits) show, not cut off.
                assert await page.evaluate(HINTS_SHOWN), f"at {width}x{height} the search list has no room"
                assert await page.evaluate(
                    "document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth")
