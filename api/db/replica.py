"""Reads that may be slightly stale go to a PostgreSQL read replica (WENMING_DATABASE_REPLICA_URL).

Who reads where (docs/operations.md, "The read replica"):

- A request says "stale is fine" with ``stale_reads_allowed()``: anonymous GETs of the iCal
  feeds and of trusted documents (boards), and anonymous GraphQL queries over HTTP
  (schema/core/replica_reads.py). Everything else reads the primary: mutations, any request
  with a token (an editor reads their own writes), WebSocket subscriptions, the CLI, the
  background jobs, and every read inside a transaction.
- Tortoise asks ``ReplicaRouter.db_for_read(model)`` on every query, so the choice is made
  per request through a context variable; raw SQL asks ``reading()``, which decides the same.
- The replica is used only while its last check (at most every CHECK_SECONDS, in the
  background: a request never waits for it) found it at most WENMING_REPLICA_MAX_LAG_SECONDS
  behind. A statement that fails on it because it is unreachable marks it down and runs again
  on the primary, so a replica that is away never makes a request fail.
- Answers that are cached and given ETags (feeds, boards, the holiday and report feeds) are
  computed on the replica only when its freshness watermark equals the primary's
  (api/domain/freshness.py ``reads_no_older_than``): an ETag never goes back to an older one
  because a request reached a replica that was behind.
- While the PRIMARY is unreachable (found by a check, or by a request that failed on it) and the
  replica answers, the replica stands in (``stand_in_when_primary_down``): an anonymous,
  stale-tolerant request reads it for everything, even what it would read on the primary, and
  its answer is marked stale as the outage fallback marks cached ones. A cached answer is then
  computed there only if the replica holds the watermark this process last read from the
  primary, or more (``ReplicaBehind`` otherwise: the outage fallback answers); writes, token holders and
  reads by a private token still go to the primary and fail with the outage error. The next
  check that reaches the primary ends it.

Without a replica none of this is installed: no router, one connection, as before (``attach``
is called by api.db.connected for the server only; the CLI never reads a replica).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any, TypeVar

import asyncpg
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.connection import get_connections
from tortoise.exceptions import DBConnectionError
from tortoise.router import router

from api.db.postgres import PostgresClient
from api.domain import availability

log = logging.getLogger("wenming.db")

PRIMARY = "default"
REPLICA = "replica"
STAND_IN = "stand-in"  # the primary is unreachable: every read of the request goes to the replica
ROUTER = "api.db.replica.ReplicaRouter"
CHECK_SECONDS = 2.0  # the replica's lag is read at most this often
CHECK_TIMEOUT_SECONDS = 2.0  # a check that takes longer finds the replica down

# Where this task's reads go: None (not said: the primary), PRIMARY, REPLICA (stale is fine), or
# STAND_IN (stale is fine and the primary is away).
_reads: ContextVar[str | None] = ContextVar("wenming_reads", default=None)

# The primary's WAL position, then the replica's: caught up when it has replayed that far;
# otherwise its lag is the age of the last transaction it replayed. A "replica" that is not in
# recovery (a second connection to the primary, as the tests use) has no lag.
PRIMARY_LSN_SQL = "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn"
REPLICA_LAG_SQL = (
    "SELECT pg_is_in_recovery(), COALESCE(pg_last_wal_replay_lsn() - '0/0'::pg_lsn, 0), "
    "EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())"
)


class ReplicaBehind(DBConnectionError):
    """The primary is unreachable and the replica has not got what this process last read from
    it: a cached answer computed there could be older than one already served. An outage
    (api/domain/availability.py), so the outage fallback answers instead."""


class _PrimaryAway(Exception):
    """A check reached the replica but not the primary (raised from the primary's error)."""


class _PrimaryBusy(Exception):
    """A check's read of the primary timed out, but a new connection to it was made: it is
    there, its pool is full or its statements slow."""


class Health:
    """What the last check found, and counters for the tests and the benchmark (one per process)."""

    def __init__(self) -> None:
        self.configure(False)

    def configure(self, configured: bool, max_lag: float = 5.0) -> None:
        pending = getattr(self, "_check", None)
        if pending is not None and not pending.done():
            pending.cancel()  # a check of the replica being detached
        self.configured = configured
        self.max_lag = max_lag
        self.state = "unchecked"  # ok, lagging, down
        self.lag: float | None = None
        self.checked_at = -math.inf
        self._check: asyncio.Task | None = None
        self.counts: Counter[str] = Counter()
        self.primary_down = False  # found unreachable while the replica answered; a check that reaches it ends it
        self.primary_losses = 0  # times it was found unreachable: a check that began before the last one ends nothing
        self._probe: asyncio.Task | None = None

    @property
    def usable(self) -> bool:
        return self.configured and self.state == "ok"

    @property
    def can_stand_in(self) -> bool:
        """The replica may answer for an unreachable primary: configured and not found down
        (its lag cannot be known without the primary; it is the freshest copy there is)."""
        return self.configured and self.state != "down"

    def primary_unreachable(self, exc: BaseException | None) -> None:
        if not self.primary_down:
            why = f"{type(exc).__name__}: {exc}" if exc is not None else "a request found it unavailable"
            log.warning("primary database unreachable, the read replica answers anonymous reads: %s", why)
        self.primary_down = True
        self.primary_losses += 1
        self.counts["primary_unreachable"] += 1

    def primary_reached(self) -> None:
        if self.primary_down:
            log.warning("primary database reachable again: reads go where they went before")
        self.primary_down = False

    def refresh_if_due(self) -> None:
        """Start a check in the background when the last one is older than CHECK_SECONDS."""
        if not self.configured or time.monotonic() - self.checked_at < CHECK_SECONDS:
            return
        if self._check is None or self._check.done():
            self.checked_at = time.monotonic()  # one check at a time, even while it runs
            self._check = asyncio.ensure_future(self.check())

    async def check(self) -> str:
        """Read the replica's lag now; returns the new state."""
        self.checked_at = time.monotonic()
        losses = self.primary_losses
        try:
            lag = await asyncio.wait_for(_lag(), 4 * CHECK_TIMEOUT_SECONDS)
        except _PrimaryAway as away:  # the replica answered, the primary did not
            self.primary_unreachable(away.__cause__)
            if self.state in ("unchecked", "down"):
                self.state = "ok"
            self.lag = None
            return self.state
        except _PrimaryBusy:  # reachable, its connections all in use: nothing learnt
            self.counts["check_primary_busy"] += 1
            return self.state
        except Exception as exc:  # the replica unreachable, refused or timed out
            self.mark_down(exc)
            return self.state
        if self.primary_losses == losses:  # else a request found it away after this check read it
            self.primary_reached()
        self.lag = lag
        state = "ok" if lag <= self.max_lag else "lagging"
        if state != self.state:
            log.warning("read replica %s (lag %.1f s, bound %.1f s)", "in use" if state == "ok" else
                        "behind: reads go to the primary", lag, self.max_lag)
        self.state = state
        return state

    def mark_down(self, exc: BaseException) -> None:
        if self.state != "down":
            log.warning("read replica unavailable, reads go to the primary: %s: %s", type(exc).__name__, exc)
        self.state, self.lag = "down", None
        self.checked_at = time.monotonic()


health = Health()


async def _lag() -> float:
    replica: ReplicaClient = connections.get(REPLICA)  # type: ignore[assignment]
    try:
        with primary():
            _, rows = await asyncio.wait_for(connections.get(PRIMARY).execute_query(PRIMARY_LSN_SQL),
                                             CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        if not availability.is_unavailable(exc):
            raise
        if not await primary_away(exc):
            raise _PrimaryBusy() from exc
        await asyncio.wait_for(replica.execute_unrouted("SELECT 1"), CHECK_TIMEOUT_SECONDS)  # is the replica there?
        raise _PrimaryAway() from exc
    primary_lsn = rows[0][0]
    _, rows = await replica.execute_unrouted(REPLICA_LAG_SQL)
    in_recovery, replayed, age = rows[0]
    if not in_recovery or replayed >= primary_lsn:
        return 0.0
    return math.inf if age is None else max(float(age), 0.0)


async def primary_away(exc: BaseException | None) -> bool:
    """Whether a failure on the primary (``exc``; None: a request answered the outage error)
    means it is unreachable: a lost or refused connection does; a cancelled statement or "too
    many connections" does not (it answered); a wait that ran out, or an unknown cause, is
    settled by making a NEW connection to it (a full pool waits too). Concurrent callers share
    one attempt."""
    if exc is not None and availability.unreachable(exc):
        return True
    if exc is not None and not availability.timed_out(exc):
        return False
    if health._probe is None or health._probe.done():
        health._probe = asyncio.ensure_future(_new_primary_connection_fails())
    return await asyncio.shield(health._probe)


async def _new_primary_connection_fails() -> bool:
    client = connections.get(PRIMARY)
    try:
        conn = await asyncpg.connect(host=client.host, port=client.port, user=client.user, password=client.password,
                                     database=client.database, ssl=client.extra.get("ssl"),
                                     timeout=CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        health.counts["primary_probe_failed"] += 1
        return availability.unreachable(exc) or availability.timed_out(exc)
    await conn.close()
    health.counts["primary_probe_connected"] += 1
    return False


def _in_transaction() -> bool:
    return isinstance(connections.get(PRIMARY), TransactionalDBClient)


def uses_replica() -> bool:
    """Whether a read made now goes to the replica."""
    reads = _reads.get()
    if reads not in (REPLICA, STAND_IN) or _in_transaction():
        return False
    return reads == STAND_IN or health.usable


def standing_in() -> bool:
    """Whether this request's reads go to the replica because the primary is unreachable."""
    return _reads.get() == STAND_IN


def reading() -> BaseDBAsyncClient:
    """The connection for a raw SQL read, chosen as the router chooses for the ORM's."""
    return connections.get(REPLICA) if uses_replica() else connections.get(PRIMARY)


@contextmanager
def _reads_from(alias: str | None) -> Iterator[None]:
    token = _reads.set(alias)
    try:
        yield
    finally:
        _reads.reset(token)


def primary() -> Any:
    """Reads of the block go to the primary, whatever the request allowed (a caller's own writes)."""
    return _reads_from(PRIMARY)


def newest_copy() -> Any:
    """Reads of the block go to the newest copy there is: the primary, or while the replica
    stands in for it, the replica."""
    return nullcontext() if standing_in() else _reads_from(PRIMARY)


def decided() -> bool:
    """Whether this request's reads were already given a place (the GraphQL extension keeps it)."""
    return _reads.get() is not None


def stale_reads_allowed() -> Any:
    """For a request whose answer may be a few seconds stale: its reads go to the replica while
    the replica is in use; otherwise (none configured, behind, down) to the primary."""
    if not health.configured:
        return _reads_from(PRIMARY)
    if standing_in():
        return nullcontext()
    health.refresh_if_due()
    if health.primary_down and health.can_stand_in:
        health.counts["stand_in"] += 1
        return _reads_from(STAND_IN)
    if not health.usable:
        health.counts[f"primary_{health.state}"] += 1
        return _reads_from(PRIMARY)
    return _reads_from(REPLICA)


def reads_of(headers: Any) -> Any:
    """An HTTP request's reads (``headers``: its headers): with a token, the primary (a caller
    reads their own writes); anonymous, stale is fine."""
    return primary() if "authorization" in headers else stale_reads_allowed()


T = TypeVar("T")


async def stand_in_when_primary_down(run: Callable[[], Awaitable[T]],
                                     failed: Callable[[T], bool] = lambda _: False) -> tuple[T, bool]:
    """For an anonymous request whose answer may be stale (and that ``run`` may repeat: it
    writes nothing): ``run()``; when the primary is unreachable, known from the last check or
    found now (``run`` raised an outage, or answered one: ``failed``), and the replica can
    answer, ``run()`` with every read on the replica. Returns the answer and whether the
    replica stood in (the caller marks the answer stale)."""
    if not health.configured or standing_in():
        return await run(), standing_in()
    if not health.primary_down:
        try:
            result = await run()
        except Exception as exc:
            if not (availability.is_unavailable(exc) and health.can_stand_in and await primary_away(exc)):
                raise
            health.primary_unreachable(exc)
        else:
            if not (failed(result) and health.can_stand_in and await primary_away(None)):
                return result, False
            health.primary_unreachable(None)
    with stale_reads_allowed():
        return await run(), standing_in()


def attach(config: dict, max_lag: float) -> None:
    """Open the replica's connection (``config``: api.db.replica_connection) beside the ORM's
    and install the router. The connection is made under its alias but left out of Tortoise's
    configured databases: with two of those, every ``in_transaction()`` would have to name one."""
    handler = get_connections()
    handler.db_config[REPLICA] = config
    try:
        handler.get(REPLICA)  # created and kept under the alias (as Tortoise.init keeps its own)
    finally:
        del handler.db_config[REPLICA]
    router.init_routers([ReplicaRouter])
    health.configure(True, max_lag)


async def detach() -> None:
    if not health.configured:
        return
    health.configure(False)
    router.init_routers([])
    client = get_connections().discard(REPLICA)
    if client is not None:
        await client.close()


class ReplicaRouter:
    """Tortoise's router (config "routers"): asked per query, answers per request."""

    def db_for_read(self, model: type) -> str | None:
        return REPLICA if uses_replica() else None

    def db_for_write(self, model: type) -> str | None:
        return None  # the model's default connection: the primary


class ReplicaClient(PostgresClient):
    """The replica's connection (engine ``api.db.replica``): counts its statements, and runs a
    statement the replica could not answer (unreachable, timed out) on the primary instead."""

    async def execute_query(self, query: str, values: list | None = None) -> Any:
        return await self._or_primary("execute_query", query, values)

    async def execute_query_dict(self, query: str, values: list | None = None) -> Any:
        return await self._or_primary("execute_query_dict", query, values)

    async def execute_unrouted(self, query: str) -> Any:
        """On the replica or not at all (its lag check)."""
        return await PostgresClient.execute_query(self, query)

    async def _or_primary(self, method: str, query: str, values: list | None) -> Any:
        try:
            result = await getattr(PostgresClient, method)(self, query, values)
        except Exception as exc:
            if availability.is_unavailable(exc):
                health.mark_down(exc)
            elif not _recovery_conflict(exc):
                raise
            health.counts["statements_rerun_on_primary"] += 1
            return await getattr(connections.get(PRIMARY), method)(query, values)
        health.counts["replica_statements"] += 1
        return result


def _recovery_conflict(exc: BaseException | None) -> bool:
    """A standby cancels a read whose rows its replay must remove ("canceling statement due to
    conflict with recovery"): the replica is fine, that statement is read on the primary."""
    for _ in range(12):
        if exc is None:
            return False
        if "conflict with recovery" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


client_class = ReplicaClient
