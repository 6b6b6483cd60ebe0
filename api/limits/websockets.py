"""Open GraphQL WebSockets: at most `max_websockets` at once, and `max_websockets_per_client`
per client (address or token), counted in this process. One over either is closed at once
with 1013 (try again later) and a reason."""

from __future__ import annotations

from collections import Counter

from starlette.types import ASGIApp, Receive, Scope, Send

from api.limits.clients import bearer_token, client_address
from api.limits.refusals import close_websocket
from api.settings import Settings


class WebSocketCap:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app, self.settings = app, settings
        self.open: Counter[str] = Counter()
        self.total = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        token = bearer_token(scope)
        client = f"token:{token}" if token else f"ip:{client_address(scope, self.settings.trusted_proxy_header)}"
        if self.total >= self.settings.max_websockets:
            await close_websocket(scope, receive, send, f"The server has {self.total} WebSockets open, its limit; "
                                  "try again later")
            return
        if self.open[client] >= self.settings.max_websockets_per_client:
            await close_websocket(scope, receive, send, f"This client has {self.open[client]} WebSockets open, "
                                  "its limit; close one first")
            return
        self.total += 1
        self.open[client] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.total -= 1
            self.open[client] -= 1
            if not self.open[client]:
                del self.open[client]
