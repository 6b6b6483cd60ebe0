"""Liveness (/health), readiness (/ready), and 503 for any request the database cannot serve.

- ``/health`` says the process answers HTTP; it never touches the database, so a load balancer
  or systemd does not restart a healthy Wenming because PostgreSQL is restarting.
- ``/ready`` runs ``SELECT 1``: 200 when the database answers, 503 (with Retry-After) when it
  does not. Take a worker out of rotation on it, do not restart it.
- ``Unavailable``: the last net under every route. A request whose handler failed because
  the database is unavailable (api/domain/availability.py) answers 503 + Retry-After with a
  coded JSON error, never a 500 text/plain. GraphQL and the cached faces handle it earlier
  themselves (a coded GraphQL error; the last answer from cache); this catches the rest.
"""

from __future__ import annotations

import json
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tortoise import connections

from api.domain import availability

log = logging.getLogger("wenming")


def unavailable_body(path: str) -> dict:
    """GraphQL's error shape on /graphql, the feeds' shape elsewhere (api/feeds/errors.py)."""
    extensions = {"code": availability.CODE, "retryAfterSeconds": availability.RETRY_AFTER_SECONDS}
    if path.startswith("/graphql"):
        return {"errors": [{"message": availability.MESSAGE, "extensions": extensions}]}
    return {"error": {"code": availability.CODE, "parameter": None, "message": availability.MESSAGE,
                      "retryAfterSeconds": availability.RETRY_AFTER_SECONDS}}


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> JSONResponse:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception as exc:
        if not availability.is_unavailable(exc):
            raise
        log.warning("readiness: the database is unavailable (%s: %s)", type(exc).__name__, exc)
        body = {"status": "unavailable", "database": "unavailable",
                "retryAfterSeconds": availability.RETRY_AFTER_SECONDS}
        return JSONResponse(body, status_code=503, headers=availability.retry_headers())
    return JSONResponse({"status": "ready", "database": "ok"}, headers={"Cache-Control": "no-store"})


class Unavailable:
    """ASGI middleware: a database outage escaping a handler becomes a 503 (see above)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if started or not availability.is_unavailable(exc):
                raise
            log.warning("%s %s: the database is unavailable (%s: %s); answered 503", scope.get("method"),
                        scope.get("path"), type(exc).__name__, exc)
            body = json.dumps(unavailable_body(scope.get("path", "")), ensure_ascii=False).encode()
            await Response(body, status_code=503, media_type="application/json; charset=utf-8",
                           headers=availability.retry_headers())(scope, receive, send)
