"""gzip for cached bodies (feeds, trusted documents): compressed once per body, never per request.
Plain functions over bytes and header text (no HTTP framework), shared by api.feeds and schema.

A cached body has two representations, identity and gzip, each with its own strong ETag (the
gzip one is the identity one with ``-gzip`` before the closing quote, as Apache does), so a
cache between client and server never mixes them up. ``If-None-Match`` matches either: both
name the same content, and the 304 carries the ETag of the representation this client gets.
Responses say ``Vary: Accept-Encoding``.
"""

from __future__ import annotations

import gzip

GZIP_SUFFIX = "-gzip"
# Below this, gzip's header and the CPU are not worth it (a short JSON answer, an empty feed).
MIN_BYTES = 1024
# Level 6 (zlib's default) gives nearly all of level 9's ratio on iCal text at a third of its CPU.
LEVEL = 6
VARY = "Accept-Encoding"


def compress(body: bytes) -> bytes:
    # mtime=0: the same body gives the same bytes in every worker (and a stable Content-Length).
    return gzip.compress(body, compresslevel=LEVEL, mtime=0)


def worth_compressing(body: bytes) -> bool:
    return len(body) >= MIN_BYTES


def accepts_gzip(header: str | None) -> bool:
    """Whether Accept-Encoding allows gzip: listed (or ``*``) with a q-value above 0."""
    if not header:
        return False
    explicit: float | None = None
    star: float | None = None
    for item in header.split(","):
        name, _, params = item.strip().partition(";")
        name = name.strip().lower()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name in ("gzip", "x-gzip"):
            explicit = q if explicit is None else max(explicit, q)
        elif name == "*":
            star = q
    if explicit is not None:
        return explicit > 0
    return star is not None and star > 0


def gzip_etag(etag: str) -> str:
    """The gzip representation's ETag: ``"abc"`` -> ``"abc-gzip"``."""
    return etag[:-1] + GZIP_SUFFIX + '"' if etag.endswith('"') else etag + GZIP_SUFFIX


def etag_matches(header: str | None, etag: str) -> bool:
    """If-None-Match (weak comparison: W/"x" matches "x") against either representation of the
    body whose identity ETag is ``etag``."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return etag in tags or gzip_etag(etag) in tags
