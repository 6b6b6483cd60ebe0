"""Which cached answers a write made stale: scoped freshness for feeds and boards.

A cached answer (a feed's state, a board) records what it depends on (``Dependencies``):
the rows it shows (events, sites and their ancestors, venues, teams, platforms, campaigns,
lecturers) and the scope that decides which events belong in it (a site, a subtree, a team,
a lecturer, a platform, a campaign, an event). A ``ChangeTracker`` (one per cache, per
process) learns from the database what changed, and an answer is stale only when a change
touched what it depends on: a write in one township leaves every other township's boards and
feeds in their caches.

How the tracker learns, with nothing but the database (so every worker process sharing it is
right on its own, with no message to miss):

1. ``sync()`` reads one cheap statement, the watermark: per table MAX(id), MAX(updated_at)
   (every write through the domain moves ``updated_at``; ``Record.updated_at`` is indexed for
   this) and, for link tables whose rows are deleted outright, their newest deletion mark
   (written by triggers, migration 0023). Unchanged: nothing to do.
2. When it moved, it reads the rows that changed, only in the tables whose part moved: rows
   with ``updated_at`` from a little before the previous sync (``OVERLAP``: a transaction that
   set its timestamp earlier but committed later is still caught), new occurrence rows (the
   horizon job adds them without touching their event) and new lecturer links. Row versions
   already seen are skipped. Each change becomes a ``Change``, numbered by a generation.
3. A movement it cannot attribute to rows (a lecturer link or an override deleted with no
   other trace, a clock far behind) is an EVERYTHING change: every answer is stale. So the
   tracker can be coarse, never wrong.

An answer remembers the generation it was checked at; ``unchanged(deps, since)`` looks only
at the changes after it. Answers computed before the oldest change still kept are stale.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tortoise import connections

from api.db import replica
from api.domain.clock import SHANGHAI
from api.models.events import Campaign, Event, EventLecturer, EventOverride, Occurrence
from api.models.freshness import DeletionMark
from api.models.people import Person
from api.models.platforms import Platform
from api.models.sites import Site, Venue
from api.models.teams import Membership, Team

Key = tuple[str, int]

# A row whose updated_at is this much older than the previous sync is still read: covers a
# transaction that committed after a newer one, and small clock differences between servers.
OVERLAP = timedelta(seconds=10)
LOG_SIZE = 50_000  # changes kept; an answer checked before the oldest of them is stale

# The newest deletion mark of a table (migration 0023's triggers write one per delete): one
# index step, where COUNT(*) read every row and grew with the network.
DELETES = "deletes"
# For a watermark read without the tracker's OVERLAP (a cache kept per watermark, api/feeds/marked.py):
# every insert, delete and versioned edit moves these when it commits, whatever it stamped and
# whichever id it drew (MAX(updated_at) and MAX(id) miss a transaction that drew them before a
# newer one but committed after it). Costs a read of the table's rows: for small tables.
COMMITTED = ("COUNT(*)", "SUM(version)")
# Tables a public answer reads, and what the watermark reads of each. MAX(id) catches inserts,
# MAX(updated_at) edits and soft deletes, DELETES hard deletes of link rows.
WATERMARK_TABLES: dict[str, tuple[str, ...]] = {
    "site": ("MAX(id)", "MAX(updated_at)"),
    "venue": ("MAX(id)", "MAX(updated_at)"),
    "platform": ("MAX(id)", "MAX(updated_at)"),
    "team": ("MAX(id)", "MAX(updated_at)"),
    "membership": ("MAX(id)", "MAX(updated_at)", DELETES),
    "person": ("MAX(id)", "MAX(updated_at)"),
    "campaign": ("MAX(id)", "MAX(updated_at)"),
    "event": ("MAX(id)", "MAX(updated_at)"),
    "event_lecturer": ("MAX(id)", DELETES),
    "event_override": ("MAX(id)", "MAX(updated_at)", DELETES),
    "occurrence": ("MAX(id)",),
    # China's calendar: an ADMIN's correction or a sync (a revert deletes its row outright;
    # SUM(version) catches an edit within the same timestamp).
    "holiday_day": ("MAX(id)", "MAX(updated_at)", *COMMITTED),
    "holiday_year": ("MAX(updated_at)", *COMMITTED),
}


# The tables whose hard deletes the watermark reads from their deletion marks.
DELETE_MARKED = tuple(table for table, aggs in WATERMARK_TABLES.items() if DELETES in aggs)


def _watermark_part(table: str, agg: str) -> str:
    if agg == DELETES:
        return f"(SELECT MAX(id) FROM deletion_mark WHERE table_name = '{table}')"
    return f"(SELECT {agg} FROM {table})"


def watermark_sql(tables: dict[str, tuple[str, ...]]) -> str:
    """One statement reading these parts of these tables (a smaller watermark for an answer that
    reads a few tables only: the holiday and report feeds)."""
    return "SELECT " + ", ".join(_watermark_part(table, agg) for table, aggs in tables.items() for agg in aggs)


WATERMARK_SQL = watermark_sql(WATERMARK_TABLES)
_SLICES: dict[str, slice] = {}
_at = 0
for _table, _aggs in WATERMARK_TABLES.items():
    _SLICES[_table] = slice(_at, _at + len(_aggs))
    _at += len(_aggs)

# Rows with updated_at, read as (id, updated_at) when their part of the watermark moved.
ROW_MODELS = {"site": Site, "venue": Venue, "platform": Platform, "team": Team, "person": Person,
              "campaign": Campaign, "membership": Membership}


async def watermark(sql: str = WATERMARK_SQL) -> tuple:
    """Compared, never interpreted: equal watermarks mean no public data changed. Always the
    primary's: it says what has been written (the read replica may be behind). With a replica,
    the same statement reads where the primary's WAL was (``_positions``)."""
    if not replica.health.configured:
        with replica.primary():
            _, rows = await connections.get("default").execute_query(sql)
        return _mark(rows)
    with replica.primary():
        _, rows = await connections.get("default").execute_query(sql + PRIMARY_POSITION)
    *parts, database, lsn = rows[0]
    mark = _mark([parts])
    known = _positions.pop(mark, None)
    _positions[mark] = (database, lsn if known is None or known[0] != database else min(lsn, known[1]))
    while len(_positions) > POSITIONS_KEPT:
        _positions.popitem(last=False)
    return mark


def _mark(rows: list) -> tuple:
    return tuple(str(v) for v in rows[0])  # str: SQLite gives text, PostgreSQL datetimes


# Where the primary's WAL was when a watermark was read (read in the same statement, after its
# snapshot: every write that watermark shows is before it), by watermark, the newest few. A
# replica that replayed that far holds at least what the watermark shows. A "replica" that is
# not in recovery is taken for the primary itself, as the replica check takes it (its lag is 0);
# the database's name tells the tests' empty database apart from it.
PRIMARY_POSITION = ", current_database(), pg_current_wal_lsn() - '0/0'::pg_lsn"
REPLICA_POSITION = (", current_database(), CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
                    "ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn")
POSITIONS_KEPT = 256
_positions: OrderedDict[tuple, tuple[str, object]] = OrderedDict()


async def _replica_holds(mark: tuple, sql: str) -> tuple | None:
    """While the replica stands in: the replica's own watermark if it holds everything ``mark``
    shows (equal, or replayed past where the primary was when ``mark`` was read), else None."""
    position = _positions.get(mark)
    _, rows = await replica.reading().execute_query(sql + REPLICA_POSITION)
    *parts, database, lsn = rows[0]
    own = _mark([parts])
    if own == mark or (position is not None and position[0] == database and lsn >= position[1]):
        return own
    return None


async def trim_deletion_marks() -> int:
    """Delete every deletion mark but the newest of each table (the daily trims, api/app.py);
    returns how many. The watermark reads only each table's newest mark, so a trim leaves it
    as it was, and the kept marks hold the highest id, so the next delete's mark is higher
    still (a sequence on PostgreSQL, MAX(rowid) + 1 on SQLite): a delete always moves the
    watermark forwards, a trim never moves it. Marks written meanwhile are newer: kept."""
    trimmed = 0
    for table in DELETE_MARKED:
        newest = await DeletionMark.filter(table_name=table).order_by("-id").first().values_list("id", flat=True)
        if newest is not None:
            trimmed += await DeletionMark.filter(table_name=table, id__lt=newest).delete()
    return trimmed


@asynccontextmanager
async def reads_no_older_than(mark: tuple | None, sql: str = WATERMARK_SQL) -> AsyncIterator[tuple | None]:
    """The block computes an answer that will be cached and given an ETag as of ``mark`` (the
    primary's watermark, read by ``sql``): its reads go to the replica only if the replica's
    watermark is that one, so a cached answer never holds older data than its generation says
    and an ETag never goes back (api/db/replica.py). Equal or not is all that is asked: a
    replica ahead of the mark (a write since) is not used either, which costs a primary read,
    never a wrong answer. Yields the watermark the block's reads are as of: ``mark``, or the
    replica's own when it stands in ahead of ``mark`` (what to keep the answer under).

    While the replica stands in for an unreachable primary, ``mark`` is the last watermark this
    process read from the primary (None: it read none, so it served nothing the replica could
    be behind); a replica that holds it, or more (it replayed writes this process never read),
    answers; one without it raises ``replica.ReplicaBehind``, an outage."""
    if replica.standing_in():
        if mark is not None:
            own = await _replica_holds(mark, sql)
            if own is None:
                replica.health.counts["stand_in_behind_watermark"] += 1
                raise replica.ReplicaBehind("the primary database is unreachable and the read replica has not "
                                            "replayed what this server last read from it")
            if own != mark:
                replica.health.counts["stand_in_ahead_of_watermark"] += 1
            mark = own
        yield mark
        return
    if replica.uses_replica():
        _, rows = await replica.reading().execute_query(sql)
        if mark is None or _mark(rows) != mark:
            replica.health.counts["primary_behind_watermark"] += 1
            with replica.primary():
                yield mark
            return
    yield mark


def ancestors(path: str | None) -> list[Key]:
    """``/1/5/12/`` -> the sites 1, 5 and 12: a change to any of them changes how 12 shows."""
    return [("site", int(p)) for p in (path or "").split("/") if p.isdigit()]


@dataclass(frozen=True)
class Dependencies:
    """What a cached answer shows and which events belong in it."""

    shows: frozenset[Key] = frozenset()  # rows whose text appears in the answer
    scope: frozenset[Key] = frozenset()  # an event carrying any of these keys belongs in it
    trees: tuple[str, ...] = ()  # an event or site under any of these paths belongs in it
    everything: bool = False  # unknown: any change at all makes it stale

    @classmethod
    def unknown(cls) -> Dependencies:
        return cls(everything=True)

    def __or__(self, other: Dependencies) -> Dependencies:
        return Dependencies(self.shows | other.shows, self.scope | other.scope, tuple({*self.trees, *other.trees}),
                            self.everything or other.everything)


@dataclass(frozen=True)
class Change:
    changed: frozenset[Key] = frozenset()  # rows whose content changed
    belongs: frozenset[Key] = frozenset()  # the scope keys the changed row now carries
    path: str | None = None  # where in the site tree it now is
    everything: bool = False

    def touches(self, deps: Dependencies) -> bool:
        if self.everything or deps.everything:
            return True
        if not self.changed.isdisjoint(deps.shows) or not self.belongs.isdisjoint(deps.scope):
            return True
        return self.path is not None and any(self.path.startswith(tree) for tree in deps.trees)


EVERYTHING = Change(everything=True)
# The holiday table as an answer shows it (a board's calendarDay): any change to the table is
# one change of this key. Series that follow the calendar change through their event rows.
HOLIDAY_TABLE: Key = ("holiday_table", 0)
HOLIDAYS_CHANGED = Change(changed=frozenset({HOLIDAY_TABLE}))


def event_change(event_id: int, site_id: int | None, path: str | None, *, team_id=None, platform_id=None,
                 campaign_id=None, lecturers: Iterable[int] = ()) -> Change:
    belongs = {("event", event_id), ("site", site_id), ("team", team_id), ("platform", platform_id),
               ("campaign", campaign_id), *(("person", p) for p in lecturers)}
    return Change(frozenset({("event", event_id)}), frozenset(k for k in belongs if k[1] is not None), path)


@dataclass
class ChangeTracker:
    """What changed in the database, as numbered changes (see the module docstring)."""

    generation: int = 0
    syncs: int = 0  # watermark reads, for tests and the benchmark
    _log: deque[tuple[int, Change]] = field(default_factory=lambda: deque(maxlen=LOG_SIZE))
    _mark: tuple | None = None
    _last_sync: datetime | None = None  # wall clock at the previous sync that found changes
    _synced_at: float = float("-inf")  # monotonic time the last sync started
    _seen: dict[tuple[str, int], str] = field(default_factory=dict)  # row -> updated_at already handled
    _pending: asyncio.Task | None = None
    _pending_started: float = 0.0

    async def sync(self, max_age: float = 0.0) -> int:
        """Bring the change log up to date with every write committed before this call (or
        before a sync started at most ``max_age`` seconds ago); returns the generation.
        Concurrent callers share one read, as long as it started after they arrived. While the
        replica stands in for an unreachable primary there is nothing to read: the log stays as
        the primary last left it (answers it vouches for are as of that watermark)."""
        if replica.standing_in():
            return self.generation
        arrived = time.monotonic()
        while True:
            pending = self._pending
            if pending is not None and pending.done():
                pending = None
            if pending is None:
                if arrived - self._synced_at < max_age:
                    return self.generation
                self._pending_started = time.monotonic()
                self._pending = pending = asyncio.ensure_future(self._read())
                await asyncio.shield(pending)
                return self.generation
            started = self._pending_started
            await asyncio.shield(pending)
            if started >= arrived:
                return self.generation  # that read started after we arrived: it saw what we must see
            # it started before we arrived: read again (or join a read started since)

    def unchanged(self, deps: Dependencies, since: int) -> bool:
        """No change after generation ``since`` touched these dependencies."""
        if since >= self.generation:
            return True
        if not self._log or self._log[0][0] > since + 1:
            return False  # changes after `since` were forgotten: assume the worst
        for generation, change in reversed(self._log):
            if generation <= since:
                return True
            if change.touches(deps):
                return False
        return True

    def _record(self, changes: list[Change]) -> None:
        for change in changes:
            self.generation += 1
            self._log.append((self.generation, change))

    @property
    def mark(self) -> tuple | None:
        """The watermark of the last sync (the primary's)."""
        return self._mark

    async def _read(self) -> None:
        with replica.primary():  # what changed is what the primary holds; a request may allow the replica
            await self._read_primary()

    async def _read_primary(self) -> None:
        started = time.monotonic()
        mark = await watermark()
        self.syncs += 1
        self._synced_at = started
        previous = self._mark
        if mark == previous:
            return
        self._mark = mark
        wall = datetime.now(SHANGHAI)  # the real clock (tests may move the domain's)
        if previous is None:  # the first read: nothing cached can predate it
            # Note the row versions of the overlap as seen, so the next read does not report them.
            await self._changes(set(_SLICES), mark, mark, wall - OVERLAP)
            self._last_sync = wall
            self._record([EVERYTHING])
            return
        moved = {t for t, part in _SLICES.items() if mark[part] != previous[part]}
        floor = (self._last_sync or wall) - OVERLAP
        changes = await self._changes(moved, previous, mark, floor)
        self._last_sync = wall
        if len(self._seen) > 100_000:  # a bound; forgetting only costs a change reported twice
            self._seen.clear()
        self._record(changes or [EVERYTHING])  # moved, but no row says why: assume the worst

    def _fresh(self, table: str, pk: int, stamp: object) -> bool:
        """Whether this row version is news (and remember it)."""
        key, text = (table, pk), str(stamp)
        if self._seen.get(key) == text:
            return False
        self._seen[key] = text
        return True

    async def _changes(self, moved: set[str], previous: tuple, mark: tuple, floor: datetime) -> list[Change]:
        changes: list[Change] = []
        event_ids: set[int] = set()
        unexplained = False

        if "event" in moved or "event_override" in moved or "occurrence" in moved or "event_lecturer" in moved:
            for pk, stamp in await Event.filter(updated_at__gte=floor).values_list("id", "updated_at"):
                if self._fresh("event", pk, stamp):
                    event_ids.add(pk)
        if "event_override" in moved:
            found = False
            for event_id, pk, stamp in await EventOverride.filter(updated_at__gte=floor).values_list(
                "event_id", "id", "updated_at"
            ):
                if self._fresh("event_override", pk, stamp):
                    event_ids.add(event_id)
                    found = True
            ids, deletes = _SLICES["event_override"].start, _SLICES["event_override"].start + 2
            if not found and mark[ids] == previous[ids] and mark[deletes] != previous[deletes]:
                unexplained = True  # an override deleted outright with no trace on its event
        if "occurrence" in moved:
            last = _int(previous[_SLICES["occurrence"].start])
            new = Occurrence.filter(id__gt=last).order_by("event_id").distinct()
            event_ids |= set(await new.values_list("event_id", flat=True))
        if "event_lecturer" in moved:
            part = _SLICES["event_lecturer"]
            last = _int(previous[part.start])
            added = set(await EventLecturer.filter(id__gt=last).values_list("event_id", flat=True))
            event_ids |= added
            if not added and not event_ids:
                unexplained = True  # links deleted outright, and their event not saved
        if event_ids:
            changes += await _event_changes(event_ids)

        for table, model in ROW_MODELS.items():
            if table not in moved:
                continue
            fields = ("id", "updated_at", "path") if table == "site" else ("id", "updated_at")
            rows = await model.filter(updated_at__gte=floor).values_list(*fields)
            fresh = [row for row in rows if self._fresh(table, row[0], row[1])]
            part = _SLICES[table]
            if not fresh and mark[part.start] != previous[part.start]:  # new rows stamped before the overlap
                fresh = list(await model.filter(id__gt=_int(previous[part.start])).values_list(*fields))
            if not fresh and table != "membership":
                unexplained = True
            for row in fresh:
                changes.append(await _row_change(table, row))
        if "holiday_day" in moved or "holiday_year" in moved:
            changes.append(HOLIDAYS_CHANGED)
        if unexplained:
            changes.append(EVERYTHING)
        return changes


def _int(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0  # "None": the table was empty


async def _event_changes(event_ids: set[int]) -> list[Change]:
    lecturers: dict[int, list[int]] = {}
    ids = sorted(event_ids)
    for event_id, person_id in await EventLecturer.filter(event_id__in=ids).values_list("event_id", "person_id"):
        lecturers.setdefault(event_id, []).append(person_id)
    rows = await Event.filter(id__in=ids).values_list("id", "site_id", "site__path", "team_id", "platform_id",
                                                      "campaign_id")
    return [
        event_change(pk, site_id, path, team_id=team_id, platform_id=platform_id, campaign_id=campaign_id,
                     lecturers=lecturers.get(pk, ()))
        for pk, site_id, path, team_id, platform_id, campaign_id in rows
    ]


async def _row_change(table: str, row: tuple) -> Change:
    pk = row[0]
    key = (table, pk)
    if table == "site":
        return Change(frozenset({key}), frozenset({key}), row[2])
    if table == "person":
        # A lecturer's name shows in the events they give: those events changed too.
        events = await EventLecturer.filter(person_id=pk).values_list("event_id", flat=True)
        return Change(frozenset({key, *(("event", e) for e in events)}), frozenset({key}))
    if table == "membership":
        return Change(frozenset({key}))  # members show in no feed or board: only unknown answers
    return Change(frozenset({key}), frozenset({key}))


def occurrence_dependencies(rows: Iterable, *, site_id: int | None = None, within_path: str | None = None) -> Dependencies:
    """What an answer listing these occurrences (Occurrence rows) of one site, or of a
    subtree, depends on: the events and the rows their lines show, and the scope."""
    shows: set[Key] = set()
    for o in rows:
        shows.add(("event", o.event_id))
        shows.update(ancestors(o.site_path))
        shows.update(k for k in (("venue", o.venue_id), ("team", o.team_id), ("platform", o.platform_id))
                     if k[1] is not None)
    if within_path is not None:
        shows.update(ancestors(within_path))
        return Dependencies(frozenset(shows), trees=(within_path,))
    shows.add(("site", site_id))
    return Dependencies(frozenset(shows), scope=frozenset({("site", site_id)}))
