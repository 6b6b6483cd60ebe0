"""The Date header of every response, from the application's clock.

uvicorn writes a Date it refreshes once a second, so it can be up to a second behind the clock
a feed's Last-Modified is read from, and RFC 9110 forbids a Last-Modified later than the Date.
So uvicorn's is turned off (`date_header=False`, api/limits/server.py), the feeds set Date
themselves right after reading Last-Modified, and this middleware sets it on every other
response.
"""

from __future__ import annotations

from email.utils import formatdate

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class DateHeader:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_date(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"date" for name, _ in headers):
                    headers.append((b"date", formatdate(usegmt=True).encode()))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_date)
