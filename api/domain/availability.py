"""Is this exception "the database is unavailable"? The one place that says so.

Every face asks here: GraphQL answers such a fault with 503 and extensions.code
SERVICE_UNAVAILABLE, the feeds and boards serve their last answer from cache (or 503), and
``/ready`` reports it. Anything not recognised here stays a fault (500, logged with its
traceback): a bug must not hide behind "try again later".
"""

from __future__ import annotations

import re
import sqlite3

from tortoise.exceptions import DBConnectionError, OperationalError

CODE = "SERVICE_UNAVAILABLE"
# What clients are told to wait before retrying: a PostgreSQL restart takes a few seconds.
RETRY_AFTER_SECONDS = 5
MESSAGE = (
    f"The database is unavailable for the moment; retry in {RETRY_AFTER_SECONDS} s. Retry a mutation with the "
    "same Idempotency-Key header: it is then applied once, whether or not this attempt reached the database."
)


# An answer given while the database is unavailable: a cached one (feeds, boards), or the read
# replica's while it stands in for the primary (api/db/replica.py). The client shows it and
# asks again; it does not keep it.
STALE_HEADER = "X-Wenming-Stale"
STALE_HEADERS = {"Cache-Control": "no-cache", STALE_HEADER: "database-unavailable"}


def retry_headers() -> dict[str, str]:
    """The HTTP headers of every 503 for an unavailable database."""
    return {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}


# SQLite: another process held the write lock past the busy timeout, or the file went away.
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database", "disk i/o error")
# asyncpg's InterfaceError for a pool or connection closed under us (not the "another
# operation is in progress" kind, which is a bug).
_CLOSED = ("connection is closed", "pool is closing", "connection was closed")
# asyncpg's protocol stuck in FAILED (1), ERROR_CONSUME (2) or TERMINATING (4): the server sent
# an error on an idle pooled connection ("terminating connection due to administrator command"
# as PostgreSQL shuts down) and the next statement on it fails with this.
_BROKEN_PROTOCOL = re.compile(r"cannot switch to state \d+; another operation \([124]\) is in progress")


def _one(exc: BaseException) -> bool:
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        asyncpg = None
    if isinstance(exc, (DBConnectionError, TimeoutError)) or _connection_lost(exc):  # timeouts: connect, acquire, statement
        return True
    if asyncpg is not None and isinstance(exc, (asyncpg.QueryCanceledError, asyncpg.TooManyConnectionsError)):
        return True
    if isinstance(exc, (sqlite3.OperationalError, OperationalError)):
        return any(s in str(exc).lower() for s in _SQLITE_UNAVAILABLE)
    return False


def _connection_lost(exc: BaseException) -> bool:
    """The server cannot be reached or dropped the connection (refused, reset, no route, DNS,
    shutting down): not a statement cancelled by its timeout, not a wait for a pool connection,
    not "too many connections" (the server answered)."""
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        asyncpg = None
    if isinstance(exc, ConnectionError):  # refused, reset, aborted
        return True
    if isinstance(exc, OSError) and not isinstance(exc, TimeoutError) and exc.errno is not None:
        return True  # no route, host down, a name that does not resolve (socket.gaierror)
    if asyncpg is not None:
        if isinstance(exc, (asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError,
                            asyncpg.AdminShutdownError, asyncpg.CrashShutdownError)):
            return True
        if isinstance(exc, asyncpg.InterfaceError) and any(s in str(exc).lower() for s in _CLOSED):
            return True
        if isinstance(exc, asyncpg.InternalClientError) and _BROKEN_PROTOCOL.search(str(exc)):
            return True
    return False


def _caused_by(exc: BaseException | None, test) -> bool:
    """``test`` holds for ``exc`` or what caused it (Tortoise and graphql-core wrap the driver's error)."""
    seen = 0
    while exc is not None and seen < 12:
        if test(exc):
            return True
        exc = getattr(exc, "original_error", None) or exc.__cause__ or exc.__context__
        seen += 1
    return False


def unreachable(exc: BaseException | None) -> bool:
    """True when ``exc`` (or what caused it) says the server is unreachable, as opposed to busy:
    what makes the read replica stand in for the primary (api/db/replica.py). A timeout says
    neither (a pool whose connections are all in use waits too): ask ``timed_out``."""
    return _caused_by(exc, _connection_lost)


def timed_out(exc: BaseException | None) -> bool:
    """A wait that ran out (a pool connection, a new connection, an answer): the server may be
    away or only busy."""
    return _caused_by(exc, lambda e: isinstance(e, TimeoutError))


def is_unavailable(exc: BaseException | None) -> bool:
    """True when ``exc`` (or what caused it) says the database cannot be reached or did not
    answer in time."""
    return _caused_by(exc, _one)
