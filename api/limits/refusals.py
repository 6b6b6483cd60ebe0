"""Answers the limits give, in the GraphQL error shape every client already reads."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Send


async def refuse(send: Send, status: int, message: str, code: str, *, headers: dict[str, str] | None = None,
                 close: bool = False, **extensions: Any) -> None:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code, **extensions}}]},
                      ensure_ascii=False, separators=(",", ":")).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if close:  # the rest of the body is not read: the connection cannot carry another request
        raw.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def close_websocket(scope: dict, receive, send: Send, reason: str, code: int = 1013) -> None:
    """Accept, then close at once with `code` (1013: try again later) and the reason: a
    refusal before accepting reaches a browser as a bare failed handshake, without a word."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    subprotocols = scope.get("subprotocols") or []
    await send({"type": "websocket.accept", "subprotocol": subprotocols[0] if subprotocols else None})
    await send({"type": "websocket.close", "code": code, "reason": reason.encode()[:123].decode(errors="ignore")})
