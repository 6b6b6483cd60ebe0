"""Headless Chromium driven over the DevTools protocol, for the pages Wenming ships (the kiosk
page, GraphiQL). Where no browser is installed the tests are skipped with how to get one.

The browser resolves no host name at all (``--host-resolver-rules``) and records every request
the page makes, so a test can show that a page works with nothing beyond 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.live_support import WAIT

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--no-first-run", "--no-default-browser-check", "--disable-component-update", "--disable-sync",
    # Offline, as on an intranet without internet: no name resolves; 127.0.0.1 is reached by address.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def chromium_or_skip() -> str:
    path = os.environ.get("WENMING_TEST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip("no Chromium to drive the page: install it (apt-get install chromium) "
                    "or point WENMING_TEST_CHROMIUM at a Chromium binary")
    return path


class Page:
    """One browser tab: navigate, read what it shows, click, screenshot; every request it made."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self._ids = 0
        self.requests: list[str] = []  # URLs, in the order the page asked for them
        self.failed: list[str] = []  # requests that got no answer (blocked, refused)
        self._urls: dict[str, str] = {}

    def _event(self, message: dict) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.requestWillBeSent":
            self._urls[params["requestId"]] = params["request"]["url"]
            self.requests.append(params["request"]["url"])
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            self.failed.append(f"{self._urls.get(params['requestId'], '?')}: {params.get('errorText')}")

    async def call(self, method: str, **params) -> dict:
        self._ids += 1
        await self.conn.send(json.dumps({"id": self._ids, "method": method, "params": params}))
        async with asyncio.timeout(WAIT * 3):
            while True:
                message = json.loads(await self.conn.recv())
                if message.get("id") == self._ids:
                    assert "error" not in message, message
                    return message["result"]
                self._event(message)

    async def goto(self, url: str, width: int = 1920, height: int = 1080) -> None:
        await self.call("Network.enable")
        await self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        await self.call("Page.navigate", url=url)

    async def evaluate(self, expression: str):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result["result"].get("value")

    async def text(self, selector: str) -> str:
        return await self.evaluate(f"(document.querySelector({json.dumps(selector)}) || {{}}).innerText || ''") or ""

    async def attribute(self, selector: str, name: str) -> str | None:
        return await self.evaluate(f"(document.querySelector({json.dumps(selector)}) || {{dataset: {{}}}}).dataset[{json.dumps(name)}]")

    async def shows(self, selector: str, *texts: str, wait: float = WAIT) -> str:
        """Wait (bounded) until the element shows every text; return what it shows."""
        shown = ""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                while True:
                    shown = await self.text(selector)
                    if all(t in shown for t in texts):
                        break
                    await asyncio.sleep(0.05)
        assert all(t in shown for t in texts), f"{selector} shows {shown!r}, expected {texts}"
        return shown

    async def screenshot(self, path: Path) -> Path:
        shot = await self.call("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def outside(self, origin_host: str = "127.0.0.1") -> list[str]:
        """Requests to anything but the local servers (data: and about: URLs stay inside the page)."""
        return [u for u in self.requests if not u.startswith((f"http://{origin_host}:", f"ws://{origin_host}:", "data:", "about:", "blob:"))]


@contextlib.asynccontextmanager
async def browser(profile: Path) -> AsyncIterator[Page]:
    """A fresh headless Chromium with one blank tab; ``page.goto(url)`` opens a page in it."""
    process = await asyncio.create_subprocess_exec(
        chromium_or_skip(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"  # Chromium writes the port it chose here
        async with asyncio.timeout(30):
            while not (port_file.exists() and port_file.read_text().strip()):
                assert process.returncode is None, "Chromium exited at start"
                await asyncio.sleep(0.05)
            port = int(port_file.read_text().split()[0])
            async with httpx.AsyncClient() as http:
                while not (pages := [t for t in (await http.get(f"http://127.0.0.1:{port}/json/list")).json()
                                     if t["type"] == "page"]):
                    await asyncio.sleep(0.05)
        async with connect(pages[0]["webSocketDebuggerUrl"], max_size=None) as conn:
            yield Page(conn)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()
