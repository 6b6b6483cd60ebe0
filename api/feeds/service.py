"""Selecting, fingerprinting, rendering and assembling a feed.

A feed request runs in two steps:

1. ``state()``: the cheap part, no rendering; a 304 ends here.
   - The change tracker reads one watermark statement (api/domain/freshness.py) and, when
     it moved, which rows changed. The state is reused from memory while no change since it
     was computed touched what the feed shows or its scope (a write in another township
     leaves it alone), and for at most MEMO_MAX_AGE seconds.
   - Otherwise the events with an occurrence in the scope and window are selected through
     ``OccurrenceFilter.queryset()`` (the query GraphQL's ``occurrences`` uses), together with
     their version and updated_at and those of the rows their text shows (site, venue, team,
     platform, campaign), and two small queries add their overrides' and lecturers' stamps.
     Each event's key is its id and these stamps; the ETag hashes the calendar head and every
     key.
2. ``body()``: every event whose rendered block is cached under its key is reused as is; the
   rest are loaded and rendered with icalendar in a worker thread, then the blocks are
   concatenated in event-id order.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import pickle
import time
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from tortoise.queryset import ValuesListQuery

from api.db import replica
from api.domain import compression, occurrences
from api.domain.freshness import ChangeTracker, Dependencies, ancestors, reads_no_older_than
from api.domain.occurrences import OccurrenceFilter
from api.feeds import render
from api.feeds.cache import BlockCache, ChangeClock, WeightedLRU
from api.feeds.errors import FeedError
from api.feeds.params import FeedParams, kind_label
from api.feeds.scopes import Scope
from api.models.events import Event, EventLecturer, EventOverride
from api.settings import Settings
from api.shared_cache import digest, shared_cache

# A feed's state is reused from memory while no change touched it, but never longer than
# this: a write that left no trace the tracker reads (a raw UPDATE that skipped updated_at, a
# clock far behind) shows within a minute. Bounded by the number of event keys held.
MEMO_MAX_AGE = 60.0
MEMO_MAX_WEIGHT = 1_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# A feed may hold at most this many VEVENTs (series and single events, plus one per changed
# occurrence). Larger ones are refused with 422 and a message saying how to narrow them,
# never cut short.
MAX_FEED_COMPONENTS = 20_000
ID_CHUNK = 2_000  # ids per IN (...) list: far below SQLite's and PostgreSQL's parameter limits


def _chunks(ids: Sequence[int], size: int = ID_CHUNK) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


STAMP_FIELDS = (
    "event_id", "event__version", "event__updated_at", "event__status", "event__site__updated_at",
    "event__venue__updated_at", "event__team__updated_at", "event__platform__updated_at",
    "event__campaign__updated_at",
    # The rows the text shows, by id: what the feed depends on (api/domain/freshness.py).
    "site_id", "site_path", "event__venue_id", "team_id", "platform_id", "campaign_id",
    "event__lineage_id",  # a split series: its other parts are linked (RELATED-TO)
)
IDS = slice(9, 15)  # site_id ... campaign_id in a stamps row
LINEAGE = 15
OVERRIDE_STAMPS = (
    "SELECT o.event_id, o.id, o.version, o.updated_at, v.updated_at, o.venue_id FROM event_override o "
    "LEFT JOIN venue v ON v.id = o.venue_id WHERE o.event_id {ids} ORDER BY o.event_id, o.id"
)
LINEAGE_STAMPS = (
    "SELECT lineage_id, id, status, deleted_at, updated_at FROM event WHERE lineage_id {ids} ORDER BY lineage_id, id"
)
LECTURER_STAMPS = (
    "SELECT l.event_id, l.person_id, l.position, p.updated_at FROM event_lecturer l "
    "JOIN person p ON p.id = l.person_id WHERE l.event_id {ids} ORDER BY l.event_id, l.position, l.id"
)


async def _by_event_ids(sql: str, ids: Sequence[int]) -> list:
    """Run ``sql`` for these event ids, passed as ONE parameter whatever their number (an
    array on PostgreSQL, JSON on SQLite): no long IN lists to build or parse."""
    if not ids:
        return []
    conn = replica.reading()
    if conn.capabilities.dialect == "postgres":
        _, rows = await conn.execute_query(sql.format(ids="= ANY($1::int[])"), [list(ids)])
    else:
        _, rows = await conn.execute_query(
            sql.format(ids="IN (SELECT value FROM json_each(?))"), [json.dumps(list(ids))]
        )
    return [tuple(row) for row in rows]


async def _raw(query: ValuesListQuery) -> list[tuple]:
    """Rows of a values_list query as the driver returns them, skipping Tortoise's per-value
    conversion (parsing 10,000 timestamps costs more than the query)."""
    query._choose_db_if_not_chosen()
    query._make_query()
    _, rows = await query._db.execute_query(*query.query.get_parameterized_sql())
    return [tuple(row) for row in rows]  # sqlite3.Row and asyncpg Record: columns in select order


def _digest(*parts: object) -> str:
    # pickle (a fixed protocol) is a fast, deterministic encoding of ints, strings, None and
    # datetimes: the same data gives the same ETag in every worker process.
    return hashlib.blake2b(pickle.dumps(parts, protocol=5), digest_size=12).hexdigest()


def occurrence_filter(scope: Scope, params: FeedParams) -> OccurrenceFilter:
    """The scope and window as the OccurrenceFilter GraphQL's ``occurrences`` would build."""
    args = dict(scope.filter_args)
    if params.kinds:
        args["kinds"] = params.kinds
    if params.platform_ids:
        wanted = set(params.platform_ids)
        if "platform_ids" in args:  # a platform's feed, narrowed by ?platform=: both must hold
            wanted &= set(args["platform_ids"])
            wanted = wanted or {-1}
        args["platform_ids"] = tuple(sorted(wanted))
    return OccurrenceFilter(start=params.window.start, end=params.window.end, **args)


@dataclass
class _Memo:
    checked: int  # the change tracker's generation it is known fresh at
    at: float
    result: FeedState | FeedError
    deps: Dependencies


def scope_dependencies(scope: Scope, params: FeedParams) -> Dependencies:
    """Which events belong in this feed, and what its head shows (the calendar's name)."""
    args = scope.filter_args
    keys: set = set()
    trees: tuple[str, ...] = ()
    if scope.event_id is not None:
        keys |= {("event", pk) for pk in scope.event_ids or (scope.event_id,)}
    elif args.get("within_path"):
        trees = (args["within_path"],)
        keys.add(("site", int(scope.key)))
    else:
        for arg, table in (("site_id", "site"), ("team_id", "team"), ("lecturer_id", "person"),
                           ("campaign_id", "campaign")):
            if args.get(arg) is not None:
                keys.add((table, args[arg]))
        keys |= {("platform", pk) for pk in args.get("platform_ids", ())}
    shown = {("platform", pk) for pk in params.platform_ids}  # their names are in the calendar's name
    scope_keys = frozenset(k for k in keys if k[0] != "site" or not trees)
    return Dependencies(shows=frozenset(keys | shown), scope=scope_keys, trees=trees)


def _shown(rows: list[tuple], overrides: dict[int, list], lecturers: dict[int, list]) -> frozenset:
    shows: set = set()
    for row in rows:
        site_id, path, venue_id, team_id, platform_id, campaign_id = row[IDS]
        shows.add(("event", row[0]))
        shows.update(ancestors(path))
        shows.update(k for k in (("site", site_id), ("venue", venue_id), ("team", team_id),
                                 ("platform", platform_id), ("campaign", campaign_id)) if k[1] is not None)
    shows.update(("venue", o[-1]) for items in overrides.values() for o in items if o[-1] is not None)
    shows.update(("person", lecturer[0]) for items in lecturers.values() for lecturer in items)
    return frozenset(shows)


@dataclass(frozen=True)
class FeedState:
    """What a feed's body will be, known without rendering it."""

    head: bytes
    # One cache key per event, in id order: (event id, its stamps, its overrides', its lecturers').
    events: tuple[tuple, ...]
    components: int
    etag: str  # quoted, strong
    last_modified: datetime
    weak_date: bool = False  # last_modified is shared with an earlier body (cache.ChangeClock.weak)


class FeedService:
    def __init__(self, settings: Settings, *, cache_bytes: int = 64 * 1024 * 1024) -> None:
        public_url = settings.links_base
        # With Redis, rendered events and assembled feeds are shared by every worker: N workers
        # cost one render. Both are content-addressed (stamps, ETag), so never stale.
        self.shared = shared_cache(settings, "feeds")
        self.site = render.Site(host=urlsplit(public_url).hostname or "localhost", public_url=public_url)
        self.blocks = BlockCache(cache_bytes)  # rendered events, shared by every feed that holds them
        self.bodies = BlockCache(cache_bytes)  # assembled feeds, by ETag: a repeated request is one lookup
        self.gzipped = BlockCache(cache_bytes // 4)  # the same, gzipped once (feeds compress ~10x)
        self.compressions = 0  # bodies gzipped, for tests and the benchmark
        self.changes = ChangeClock()
        self._inflight: dict[Hashable, asyncio.Future[bytes]] = {}
        self._memo = WeightedLRU(MEMO_MAX_WEIGHT)
        self.tracker = ChangeTracker()  # what changed in the database, and so which states are stale
        self.renders = 0  # events rendered (cache misses), for tests and the benchmark
        self.memo_hits = 0
        self.computes = 0  # states computed (memo misses), for tests and the benchmark

    def clear(self) -> None:
        """Forget every rendered event and feed state (the benchmark's cold start)."""
        self.blocks.clear()
        self.bodies.clear()
        self.gzipped.clear()
        self._memo.clear()

    # -- the head -------------------------------------------------------------------------

    def head(self, scope: Scope, params: FeedParams) -> bytes:
        name = scope.name
        if params.kinds and len(params.kinds) == 1:
            name += f" · {kind_label(params.kinds)}"
        if params.platform_names:
            name += f" · {'、'.join(params.platform_names)}"
        what = kind_label(params.kinds) if params.kinds and len(params.kinds) == 1 else "宣讲和活动"
        description = f"新时代文明实践{what}日程：{name}"
        uid = f"feed-{scope.kind.value}-{scope.key}{'-subtree' if params.subtree else ''}@{self.site.host}"
        return _head(name, description, uid)

    # -- step 1: the state, from cheap queries --------------------------------------------

    async def _stamps(self, scope: Scope, params: FeedParams) -> list[tuple]:
        """(event id, version, updated_at, status, and the updated_at of its site, venue, team,
        platform and campaign) for every event with an occurrence in the scope and window,
        selected by the OccurrenceFilter query itself, in event-id order."""
        if scope.event_id is not None:  # an event's feed: the whole event and its lineage, whatever the window
            qs = occurrences.of_events(scope.event_ids or (scope.event_id,))
        else:
            qs = occurrence_filter(scope, params).queryset()
        return await _raw(qs.order_by("event_id").distinct().values_list(*STAMP_FIELDS))

    async def event_ids(self, scope: Scope, params: FeedParams) -> list[int]:
        return [row[0] for row in await self._stamps(scope, params)]

    async def state(
        self, scope: Scope, params: FeedParams, feed_key: Hashable, *, revalidate: bool = False
    ) -> FeedState:
        """The feed's state. Reused from memory while no change since it was computed touched
        what it shows or the scope that selects its events (api/domain/freshness.py), and for
        at most MEMO_MAX_AGE seconds; ``revalidate`` (a request's Cache-Control: no-cache)
        always reads the database."""
        tracker = self.tracker
        await tracker.sync()  # every write committed before this request is in the tracker's log
        now = time.monotonic()
        memo = self._memo.get(feed_key)
        if (memo is not None and not revalidate and now - memo.at < MEMO_MAX_AGE
                and tracker.unchanged(memo.deps, memo.checked)):
            self.memo_hits += 1
            memo.checked = tracker.generation
            result = memo.result
        else:
            since = tracker.generation  # read first: a write racing the work below is a later change
            try:
                async with reads_no_older_than(tracker.mark):
                    result, deps = await self._compute(scope, params)
            except FeedError as exc:  # a feed too large stays too large until something changes
                result, deps = exc, Dependencies.unknown()
            self._memo.put(feed_key, _Memo(since, now, result, deps), weight=1 + len(getattr(result, "events", ())))
        if isinstance(result, FeedError):
            raise result
        last_modified = self.changes.since(feed_key, result.etag)
        return replace(result, last_modified=last_modified, weak_date=self.changes.weak(feed_key, result.etag))

    async def _compute(self, scope: Scope, params: FeedParams) -> tuple[FeedState, Dependencies]:
        self.computes += 1
        head = self.head(scope, params)
        # Three queries, read raw: the stamps are only compared, never converted.
        events = await self._stamps(scope, params)
        ids = [row[0] for row in events]
        overrides: dict[int, list] = {}
        for row in await _by_event_ids(OVERRIDE_STAMPS, ids):
            overrides.setdefault(row[0], []).append(tuple(row[1:]))
        lecturers: dict[int, list] = {}
        for row in await _by_event_ids(LECTURER_STAMPS, ids):
            lecturers.setdefault(row[0], []).append(tuple(row[1:]))
        lineages: dict[int, list] = {}
        for row in await _by_event_ids(LINEAGE_STAMPS, sorted({r[LINEAGE] for r in events if r[LINEAGE] is not None})):
            lineages.setdefault(row[0], []).append(tuple(row[1:]))
        keys = tuple(
            (row[0], row[1:], tuple(overrides.get(row[0], ())), tuple(lecturers.get(row[0], ())),
             tuple(lineages.get(row[LINEAGE], ())))
            for row in events
        )
        components = len(keys) + sum(len(v) for v in overrides.values())
        if components > MAX_FEED_COMPONENTS:
            raise FeedError(
                422,
                "FEED_TOO_LARGE",
                f"this feed would hold {components} events and changed occurrences for its window, more than "
                f"the {MAX_FEED_COMPONENTS} a feed may carry; nothing was left out, narrow it instead: a shorter "
                "window (days_back, days_ahead, or from and to), kind=LECTURE or kind=ACTIVITY, "
                "platform=CODE, or a smaller scope (one site without subtree=1, a team, a lecturer)",
                parameter="days_ahead",
            )
        etag = '"' + _digest(render.RENDER_VERSION, self.site, head, keys) + '"'
        deps = scope_dependencies(scope, params)
        siblings = {("event", member[0]) for members in lineages.values() for member in members}
        deps = Dependencies(deps.shows | _shown(events, overrides, lecturers) | siblings, deps.scope, deps.trees)
        return FeedState(head, keys, components, etag, EPOCH), deps

    # -- step 2: the body ------------------------------------------------------------------

    async def body(self, state: FeedState) -> bytes:
        """The feed's bytes; concurrent requests for the same cold feed render it once."""
        cached = self.bodies.get(state.etag)
        if cached is not None:
            return cached
        pending = self._inflight.get(state.etag)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._inflight[state.etag] = future
        try:
            shared_key = digest("body", state.etag)
            body = await self.shared.get(shared_key) if self.shared else None
            if body is None:
                body = await self._build(state)
                if self.shared:
                    await self.shared.put(shared_key, body)
            self.bodies.put(state.etag, body)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        else:
            future.set_result(body)
            return body
        finally:
            del self._inflight[state.etag]

    async def gzipped_body(self, state: FeedState) -> bytes:
        """The feed's bytes gzipped: compressed once per body (in a worker thread), then served
        from memory to every client that accepts gzip."""
        key = ("gzip", state.etag)
        cached = self.gzipped.get(state.etag)
        if cached is not None:
            return cached
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            packed = await run_in_threadpool(compression.compress, await self.body(state))
            self.compressions += 1
            self.gzipped.put(state.etag, packed)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()
            raise
        else:
            future.set_result(packed)
            return packed
        finally:
            del self._inflight[key]

    async def _build(self, state: FeedState) -> bytes:
        blocks: dict[int, bytes] = {}
        missing: list[int] = []
        keys = {key[0]: (self.site, key) for key in state.events}
        for event_id, key in keys.items():
            block = self.blocks.get(key)
            if block is None:
                missing.append(event_id)
            else:
                blocks[event_id] = block
        if missing and self.shared:  # rendered by another worker?
            shared_keys = [digest("event", render.RENDER_VERSION, keys[event_id]) for event_id in missing]
            for event_id, block in zip(missing, await self.shared.get_many(shared_keys), strict=True):
                if block is not None:
                    blocks[event_id] = block
                    self.blocks.put(keys[event_id], block)
            missing = [event_id for event_id in missing if event_id not in blocks]
        if missing:
            # Rendered blocks are cached under the stamps the state read, so they are read from the
            # primary, never older than those stamps: a replica that replayed to the state's mark
            # but not a write after it gave the old event under the new version's key, served with
            # 304s until the event changed again. (The primary may be newer: a newer block under an
            # older key is replaced at the next state.) While the replica stands in for an
            # unreachable primary, the state was read there too, so the replica is as new.
            with replica.newest_copy():
                data = await load_events(missing)
            rendered = await run_in_threadpool(render.render_events, data, self.site)
            self.renders += len(data)
            for item, block in zip(data, rendered, strict=True):
                blocks[item.id] = block
                self.blocks.put(keys[item.id], block)
            if self.shared:
                await self.shared.put_many({digest("event", render.RENDER_VERSION, keys[item.id]): blocks[item.id] for item in data})
        return render.assemble(state.head, [blocks[key[0]] for key in state.events if key[0] in blocks])


@lru_cache(maxsize=4096)
def _head(name: str, description: str, uid: str) -> bytes:
    return render.render_head(name, description, uid)


EVENT_FIELDS = (
    "id", "kind", "title", "summary", "description", "topic", "format", "status", "starts_at", "ends_at",
    "all_day", "rrule", "exdates", "version", "updated_at", "capacity", "audience", "site__name",
    "site__address", "site__latitude", "site__longitude", "venue__name", "venue__deleted_at", "team__name",
    "team__deleted_at", "platform__name", "campaign__name", "campaign__deleted_at", "created_at", "lineage_id",
    # When the rows the VEVENT shows last changed: its revision moves with them (render.revision).
    "site__updated_at", "venue__updated_at", "team__updated_at", "platform__updated_at", "campaign__updated_at",
    "calendar_exdates", "calendar_rdates",  # China's calendar: EXDATE and RDATE (render.EventData)
)
OVERRIDE_FIELDS = (
    "event_id", "recurrence_id", "cancelled", "starts_at", "ends_at", "title", "venue__name", "venue__deleted_at",
    "updated_at", "venue__updated_at",
)


def _datetime(value):
    """A driver's timestamp: asyncpg gives datetimes, SQLite the ISO text Tortoise stored."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _texts(value) -> tuple[str, ...]:
    """A JSON list column as the driver returns it (SQLite: text)."""
    return tuple(json.loads(value) if isinstance(value, str) else value or ())


def _live(name, deleted_at):
    return name if name is not None and deleted_at is None else None


def _newest(*values) -> datetime:
    return max(_datetime(v) for v in values if v is not None)


async def load_events(ids: Sequence[int]) -> list[render.EventData]:
    """Everything the VEVENT text shows, for these events: four queries per 2,000 events,
    read raw (Tortoise's per-value conversion would cost more than rendering)."""
    out: list[render.EventData] = []
    for chunk in _chunks(sorted(ids)):
        events = await _raw(Event.filter(id__in=chunk).order_by("id").values_list(*EVENT_FIELDS))
        overrides: dict[int, list[render.OverrideData]] = {}
        shown_changes: dict[int, list] = {}  # updated_at of rows shown beyond the event's own fields
        for event_id, rid, cancelled, start, end, title, venue, venue_deleted, updated, venue_updated in await _raw(
            EventOverride.filter(event_id__in=chunk)
            .order_by("event_id", "recurrence_id", "id")
            .values_list(*OVERRIDE_FIELDS)
        ):
            overrides.setdefault(event_id, []).append(
                render.OverrideData(
                    recurrence_id=_datetime(rid), cancelled=bool(cancelled), starts_at=_datetime(start),
                    ends_at=_datetime(end), title=title, venue_name=_live(venue, venue_deleted),
                    updated_at=_datetime(updated),
                )
            )
            shown_changes.setdefault(event_id, []).extend((updated, venue_updated))
        lecturers: dict[int, list[tuple[str, str]]] = {}
        # Deleted lecturers too: they leave the text, and their updated_at says when.
        for event_id, name, title, deleted, updated in await _raw(
            EventLecturer.filter(event_id__in=chunk)
            .order_by("event_id", "position", "id")
            .values_list("event_id", "person__name", "person__title", "person__deleted_at", "person__updated_at")
        ):
            if deleted is None:
                lecturers.setdefault(event_id, []).append((name, title or ""))
            shown_changes.setdefault(event_id, []).append(updated)
        public_parts: dict[int, list[int]] = {}  # per lineage: the parts a subscriber sees
        part_changes: dict[int, list] = {}  # per lineage: when each part last changed
        for lineage_id, member, status, deleted, updated in await _by_event_ids(
            LINEAGE_STAMPS, sorted({row[29] for row in events if row[29] is not None})
        ):
            if status != "DRAFT" and deleted is None:
                public_parts.setdefault(lineage_id, []).append(member)
            part_changes.setdefault(lineage_id, []).append(updated)
        for (
            event_id, kind, title, summary, description, topic, format_, status, starts_at, ends_at, all_day, rrule,
            exdates, version, updated_at, capacity, audience, site_name, address, latitude, longitude, venue,
            venue_deleted, team, team_deleted, platform, campaign, campaign_deleted, created_at, lineage_id,
            *related_updated, calendar_exdates, calendar_rdates,
        ) in events:
            changed = [updated_at, *related_updated, *shown_changes.get(event_id, ()), *part_changes.get(lineage_id, ())]
            out.append(
                render.EventData(
                    id=event_id, kind=kind, title=title, summary=summary or "", description=description or "",
                    topic=topic or "", format=format_, status=status, starts_at=_datetime(starts_at),
                    ends_at=_datetime(ends_at), all_day=bool(all_day), rrule=rrule,
                    exdates=_texts(exdates),
                    version=version, updated_at=_datetime(updated_at), capacity=capacity, audience=audience or "",
                    site_name=site_name, site_address=address or "", latitude=latitude, longitude=longitude,
                    venue_name=_live(venue, venue_deleted), team_name=_live(team, team_deleted),
                    platform_name=platform or "", campaign_name=_live(campaign, campaign_deleted),
                    lecturers=tuple(lecturers.get(event_id, ())), overrides=tuple(overrides.get(event_id, ())),
                    created_at=_datetime(created_at), revised_at=_newest(*changed),
                    related=tuple(m for m in public_parts.get(lineage_id, ()) if m != event_id),
                    calendar_exdates=_texts(calendar_exdates), calendar_rdates=_texts(calendar_rdates),
                )
            )
    return out
