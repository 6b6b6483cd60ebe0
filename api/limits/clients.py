"""Who a request comes from, for limits counted per client."""

from __future__ import annotations

import hashlib

from starlette.types import Scope


def client_address(scope: Scope, trusted_proxy_header: str | None) -> str:
    """The connection's address, or what the trusted reverse proxy says it is. The header is
    read only when configured: otherwise any client could name itself anyone. Of a list
    (X-Forwarded-For) the last entry counts: the one our proxy appended."""
    if trusted_proxy_header:
        wanted = trusted_proxy_header.lower().encode()
        for name, value in scope.get("headers", ()):
            if name == wanted:
                last = value.decode("latin-1").rsplit(",", 1)[-1].strip()
                if last:
                    return last[:64]
    client = scope.get("client")
    return client[0] if client else "unknown"


def bearer_token(scope: Scope) -> str | None:
    """A short, irreversible name for the token the request carries (never the token itself)."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization" and value:
            return hashlib.blake2b(value, digest_size=12).hexdigest()
    return None
