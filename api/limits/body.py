"""Request bodies: at most `max_bytes`, arriving within `timeout` seconds (and a URL's query
string at most `max_bytes` too: 414).

The body is read here, before the app sees it, and replayed to it: a Content-Length over the
limit is refused without reading a byte (413), a body that grows past it while streaming is
refused at that point (413), and one that trickles in slower than `timeout` is refused (408),
so neither a huge nor a slow body holds the server.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.limits.refusals import refuse


# A form upload (an image) carries the file plus a little form framing.
FORM_OVERHEAD = 64 * 1024


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout: float, upload_paths: tuple[str, ...] = (),
                 max_upload_bytes: int = 0, upload_timeout: float = 0) -> None:
        self.app, self.max_bytes, self.timeout = app, max_bytes, timeout
        # multipart/form-data to these paths (image uploads) may be as large as an image file may be.
        self.upload_paths, self.max_upload_bytes, self.upload_timeout = upload_paths, max_upload_bytes, upload_timeout

    def _limits(self, scope: Scope) -> tuple[int, float]:
        path = scope.get("path", "")
        if any(path == p or (p.endswith("/") and path.startswith(p)) for p in self.upload_paths) and any(
            name == b"content-type" and value.startswith(b"multipart/form-data") for name, value in scope["headers"]
        ):
            return self.max_upload_bytes + FORM_OVERHEAD, max(self.timeout, self.upload_timeout)
        return self.max_bytes, self.timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and len(scope.get("query_string", b"")) > self.max_bytes:
            # A GET carries its query and variables in the URL: the same limit as a body.
            await refuse(send, 414, f"The URL's query string is longer than {self.max_bytes} bytes; send less",
                         "URI_TOO_LONG", limit=self.max_bytes)
            return
        if scope["type"] != "http" or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        max_bytes, timeout = self._limits(scope)
        length = _content_length(scope)
        if length is not None and length > max_bytes:
            await self._too_large(send, max_bytes)
            return
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > max_bytes:
                        await self._too_large(send, max_bytes)
                        return
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            await refuse(send, 408, f"The request body did not arrive within {timeout:g} s",
                         "BODY_TIMEOUT", close=True, limitSeconds=timeout)
            return
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _too_large(self, send: Send, max_bytes: int) -> None:
        hint = "a file of at most the upload limit" if max_bytes != self.max_bytes else \
            "a query over GET, or a trusted document by id"
        await refuse(send, 413, f"The request body is larger than {max_bytes} bytes; send less ({hint})",
                     "BODY_TOO_LARGE", close=True, limit=max_bytes)


def _has_body(scope: Scope) -> bool:
    return any(name in (b"content-length", b"transfer-encoding") for name, _ in scope["headers"])


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server itself refuses a malformed length
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: the disconnect, when it comes

    return replay
