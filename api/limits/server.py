"""The uvicorn side of the limits: options for `wenming serve`, and an HTTP protocol that
closes a connection whose request headers do not arrive within `header_timeout_seconds`.

uvicorn times out an idle keep-alive connection, but nothing bounds a client that opens a
connection and trickles its headers one byte at a time (slowloris): each such connection is
held for as long as the client likes. The protocols below start a timer when a connection
opens (and when a new request begins on a kept-alive one) and stop it when the headers are
complete; when it fires, the connection answers 408 and is closed.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from typing import Any

from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.h11_impl import H11Protocol

from api.settings import Settings, get_settings

TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
MAX_LOGGED_PATH = 200


class HeaderTimeout:
    """Mixed into a uvicorn protocol class."""

    header_timer: asyncio.TimerHandle | None = None
    transport: Any
    loop: asyncio.AbstractEventLoop

    def arm_header_timer(self) -> None:
        if self.header_timer is None:
            self.header_timer = self.loop.call_later(get_settings().header_timeout_seconds, self.headers_too_slow)

    def disarm_header_timer(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def headers_too_slow(self) -> None:
        self.header_timer = None
        if not self.transport.is_closing():
            self.transport.write(TIMED_OUT)
            self.transport.close()

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self.arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self.disarm_header_timer()
        super().connection_lost(exc)  # type: ignore[misc]


class H11WithHeaderTimeout(HeaderTimeout, H11Protocol):
    def handle_events(self) -> None:
        had_cycle = self.cycle
        super().handle_events()
        if self.cycle is not had_cycle:  # a request's headers were parsed
            self.disarm_header_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.arm_header_timer()  # the next request on this connection gets its own time


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - uvicorn[standard] brings httptools
    http_protocol: type = H11WithHeaderTimeout
else:

    class HttpToolsWithHeaderTimeout(HeaderTimeout, HttpToolsProtocol):
        def on_message_begin(self) -> None:
            super().on_message_begin()
            self.arm_header_timer()

        def on_headers_complete(self) -> None:
            self.disarm_header_timer()
            super().on_headers_complete()

    http_protocol = HttpToolsWithHeaderTimeout


class ShortAccessLines(logging.Filter):
    """The access log shows at most MAX_LOGGED_PATH characters of a path: a megabyte-long GET
    query must not become a megabyte of log."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and len(args[2]) > MAX_LOGGED_PATH:
            record.args = (*args[:2], f"{args[2][:MAX_LOGGED_PATH]}… ({len(args[2])} characters)", *args[3:])
        return True


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Connection limits for uvicorn.run (docs/graphql.md, "Limits")."""
    log_config = copy.deepcopy(LOGGING_CONFIG)  # a dict, so that every worker process gets the filter
    log_config.setdefault("filters", {})["short_paths"] = {"()": "api.limits.server.ShortAccessLines"}
    log_config["handlers"]["access"]["filters"] = ["short_paths"]
    return dict(
        log_config=log_config,
        http=http_protocol,
        limit_concurrency=settings.max_connections,  # beyond it: 503 rather than an ever longer queue
        timeout_keep_alive=5,  # an idle kept-alive connection is closed after 5 s
        h11_max_incomplete_event_size=16 * 1024,  # request line and headers, when h11 parses them
        ws_max_size=settings.max_body_bytes,  # a WebSocket message is no bigger than a request body
        timeout_graceful_shutdown=10,  # a stuck request cannot keep a stopping server alive
        date_header=False,  # the app sets Date from its own clock (api/web/date.py)
    )
