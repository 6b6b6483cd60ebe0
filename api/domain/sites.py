"""The site tree: which kind may sit under which, materialised paths, subtree filters."""

from __future__ import annotations

from collections.abc import Iterable

from tortoise import connections
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from api.domain import site_counts, validation
from api.domain.errors import DomainError
from api.domain.event_locks import lock_events
from api.domain.writes import check_version, save_versioned
from api.models.events import Event
from api.models.sites import Site, SiteKind

K = SiteKind
# The one rule for the shape of the network: allowed parent kinds per kind (None = a root).
# The tiers above the county are optional: a county-only deployment has CENTER roots, a city's
# has a CITY root, a province's a PROVINCE root; each tier may also stand alone.
ALLOWED_PARENTS: dict[SiteKind, frozenset[SiteKind | None]] = {
    K.PROVINCE: frozenset({None}),
    K.CITY: frozenset({K.PROVINCE, None}),
    K.CENTER: frozenset({K.CITY, None}),
    K.SUB_CENTER: frozenset({K.CENTER}),
    K.INSTITUTE: frozenset({K.CENTER}),
    K.STATION: frozenset({K.INSTITUTE}),
    K.POINT: frozenset({K.CENTER, K.INSTITUTE, K.STATION}),
    # Provinces and cities name demonstration bases of their own (省级 / 市级示范基地).
    K.BASE: frozenset({K.PROVINCE, K.CITY, K.CENTER, K.INSTITUTE, K.STATION}),
}


def subtree(path: str, field: str = "path") -> Q:
    """Filter for a site and everything below it: a range of the materialised path in byte
    order, [path, path_upper_bound(path)), which the path's btree index serves on each database
    with its bounds as parameters. SQLite compares in binary order; PostgreSQL's path columns are
    COLLATE "C" (migration 0026). Tortoise's ``startswith`` (``LIKE $1``) is served by no index
    on SQLite, and on PostgreSQL not in a generic plan, where the prefix is unknown."""
    if not path:
        return Q()
    low, high = subtree_bounds(path)
    return Q(**{f"{field}__gte": low, f"{field}__lt": high})


def subtree_bounds(path: str) -> tuple[str, str]:
    """The range of paths in ``path``'s subtree: from itself (included) to the bound (excluded)."""
    return path, path_upper_bound(path)


def range_sql(column: str, low: str, high: str) -> str:
    """SQL: ``column`` within [low, high), the subtree range of ``subtree_bounds``."""
    return f"{column} >= {low} AND {column} < {high}"


def subtree_sql(dialect: str, column: str, path: str, first_mark: int = 1) -> tuple[str, list[str]]:
    """``subtree`` for hand-written SQL: the condition and its parameters (PostgreSQL
    placeholders numbered from ``first_mark``)."""
    marks = (f"${first_mark}", f"${first_mark + 1}") if dialect == "postgres" else ("?", "?")
    return range_sql(column, *marks), list(subtree_bounds(path))


def path_upper_bound(path: str) -> str:
    """The least string above every string starting with ``path`` (in binary order): its last
    character plus one. ``/1/5/`` -> ``/1/50``: every path below /1/5/ sorts before it."""
    return path[:-1] + chr(ord(path[-1]) + 1)


def ancestor_ids(path: str) -> list[int]:
    """Ids on the path from the root down to (excluding) the site itself."""
    return [int(p) for p in path.strip("/").split("/")[:-1]]


async def hold_paths(site_ids: Iterable[int]) -> dict[int, str]:
    """The paths of these sites, held until the transaction ends (call inside one): whoever
    writes a copy of a site's path (a child site, occurrences, through them the held figures)
    reads it here. On PostgreSQL a shared row lock, in id order: a move of one of these sites
    waits for this transaction, and this read waits for a move in progress and returns the
    path it wrote (without it, a write racing a move kept the old path, until a reindex for
    the figures and for good for the occurrences). SQLite has one writer at a time: a read."""
    ids = sorted(set(site_ids))
    if not ids:
        return {}
    conn = connections.get("default")
    if conn.capabilities.dialect != "postgres":
        return dict(await Site.filter(id__in=ids).values_list("id", "path"))
    _, rows = await conn.execute_query("SELECT id, path FROM site WHERE id = ANY($1) ORDER BY id FOR SHARE", [ids])
    return {row["id"]: row["path"] for row in rows}


def row_locks() -> bool:
    """Whether writers lock rows (PostgreSQL), or the whole database is one writer's (SQLite)."""
    return connections.get("default").capabilities.dialect == "postgres"


async def lock_sites(site_ids: Iterable[int], *, moving: Iterable[int] = ()) -> None:
    """The one lock order of site writes (call inside the transaction, before it locks anything
    else): the events of the ``moving`` sites' subtrees, then these sites and those subtrees'
    sites, each in id order. A move holds its subtree's events while their occurrences' paths
    change (api/domain/event_locks.py: the horizon job takes events, then their sites' paths),
    and the sites FOR NO KEY UPDATE: a write holding one of their paths (hold_paths) finishes
    first, one that comes later waits for the new paths. (A sites import locks row by row: two
    that cross are rolled back by PostgreSQL and run again, api/domain/retry.py.) A move committed
    between the reading of a subtree and its locks is seen by a second look, under the locks.
    SQLite has one writer at a time: nothing to do."""
    if not row_locks():
        return
    conn = connections.get("default")
    wanted, moving = set(site_ids), set(moving)
    held_sites: set[int] = set()
    held_events: set[int] = set()
    while True:
        paths = await Site.filter(id__in=moving).values_list("path", flat=True) if moving else []
        below = set(await Site.filter(Q(*map(subtree, paths), join_type="OR")).values_list("id", flat=True)) if paths else set()
        events = set(await Event.filter(site_id__in=below).values_list("id", flat=True)) if below else set()
        sites = wanted | below | moving
        if sites <= held_sites and events <= held_events:
            return
        await lock_events(events - held_events)
        held_events |= events
        await conn.execute_query("SELECT id FROM site WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE",
                                 [sorted(sites - held_sites)])
        held_sites |= sites


def check_parent(kind: SiteKind, parent: Site | None) -> None:
    allowed = ALLOWED_PARENTS[kind]
    parent_kind = parent.kind if parent else None
    if parent_kind in allowed:
        return
    if parent is None:
        names = ", ".join(sorted(k.value for k in allowed if k))
        raise DomainError(f"a {kind.value} needs a parent ({names})", field="parentId", code="BAD_PARENT")
    if allowed == {None}:
        raise DomainError(f"a {kind.value} is a root site and takes no parent", field="parentId", code="BAD_PARENT")
    names = ", ".join(sorted(k.value for k in allowed if k)) + (" or none" if None in allowed else "")
    raise DomainError(
        f"a {kind.value} cannot be placed under a {parent.kind.value} ({parent.name}); allowed parents: {names}",
        field="parentId",
        code="BAD_PARENT",
    )


# Optional text columns and their names in the API: their length is checked before the write
# (the database layer would refuse it only as an internal error).
_OPTIONAL_TEXT = {"address": "address", "opening_hours": "openingHours", "contact_name": "contactName",
                  "contact_phone": "contactPhone"}


def check_fields(fields: dict) -> None:
    if "name" in fields:
        fields["name"] = validation.text(fields["name"], "name", max_length=100)
    for column, name in _OPTIONAL_TEXT.items():
        if fields.get(column) is not None:
            limit = Site._meta.fields_map[column].max_length
            fields[column] = validation.text(fields[column], name, max_length=limit, required=False)
    validation.in_range(fields.get("star_rating"), "starRating", 1, 5)
    validation.in_range(fields.get("latitude"), "latitude", -90, 90)
    validation.in_range(fields.get("longitude"), "longitude", -180, 180)
    code = fields.get("region_code")
    if code is not None and not (code.isdigit() and 6 <= len(code) <= 12):
        raise DomainError(f"regionCode must be 6 to 12 digits, got {code!r}", field="regionCode")


async def create_site(*, kind: SiteKind, parent: Site | None = None, **fields) -> Site:
    check_parent(kind, parent)
    check_fields(fields)
    async with in_transaction():
        parent_path = (await hold_paths([parent.id]))[parent.id] if parent else "/"
        site = await Site.create(kind=kind, parent=parent, path="", depth=(parent.depth + 1) if parent else 0, **fields)
        site.path = f"{parent_path}{site.id}/"
        await site.save(update_fields=["path"])
        await site_counts.created(site)
    return site


def _check_move(site: Site, new_parent: Site | None) -> None:
    # The cycle is named first: it is the more telling reason when both rules are broken.
    if new_parent is not None and new_parent.path.startswith(site.path):
        raise DomainError(
            f"cannot move {site.name} under {new_parent.name}: that is inside its own subtree",
            field="parentId",
            code="CYCLE",
        )
    check_parent(site.kind, new_parent)


# Tables holding a copy of their site's path (site_path), for subtree scope and filters: a move
# rewrites them with the site's. Not audit_entry: it says where a change was made at the time.
PATH_COPIES = ("occurrence", "search_doc", "site_day_stats", "report", "service_order", "signup",
               "volunteer_attendance", "service_hours", "points_rule", "reward", "points_entry")


async def move_site(site: Site, new_parent: Site | None) -> Site:
    """Re-parent a site; its whole subtree (and its occurrences) follow."""
    _check_move(site, new_parent)
    async with in_transaction() as conn:
        await lock_sites([new_parent.id] if new_parent else [], moving=[site.id])
        # The paths this move builds on, read under those locks: another move may have committed
        # since the caller read them (the new parent's centre moved), and it is checked again.
        for fresh in await Site.filter(id__in=[site.id, *([new_parent.id] if new_parent else [])]):
            if fresh.id == site.id:  # a colleague's edit since the caller read it is not overwritten
                check_version(fresh, site.version, f"site {site.name}")
            target = site if fresh.id == site.id else new_parent
            target.path, target.depth, target.parent_id = fresh.path, fresh.depth, fresh.parent_id  # type: ignore[union-attr]
        _check_move(site, new_parent)
        old_path = site.path
        new_path = f"{new_parent.path if new_parent else '/'}{site.id}/"
        depth_change = (new_parent.depth + 1 if new_parent else 0) - site.depth
        site.parent = new_parent
        site.version += 1
        await site.save(update_fields=["parent_id", "version", "updated_at"])
        await _rewrite_prefix(conn, "site", "path", old_path, new_path, depth_change)
        for table in PATH_COPIES:
            await _rewrite_prefix(conn, table, "site_path", old_path, new_path, None)
        await site_counts.moved(old_path, new_path)
    await site.refresh_from_db()
    return site


async def update_site(site: Site, version: int, changes: dict, *, parent: Site | None | object = ...) -> Site:
    """Edit a site's fields and, when `parent` is given, move it (with its subtree)."""
    check_version(site, version, f"site {site.name}")
    check_fields(changes)
    async with in_transaction():
        if parent is not ... and getattr(parent, "id", None) != site.parent_id:
            await move_site(site, parent)  # type: ignore[arg-type]
            version = site.version
        return await save_versioned(site, version, changes, f"site {site.name}")


async def _rewrite_prefix(conn, table: str, column: str, old: str, new: str, depth_change: int | None) -> None:
    dialect = conn.capabilities.dialect
    marks = ["$1", "$2"] if dialect == "postgres" else ["?", "?"]
    in_subtree, params = subtree_sql(dialect, column, old, first_mark=3)
    depth_sql = f", depth = depth + {int(depth_change)}" if depth_change is not None else ""
    await conn.execute_query(
        f"UPDATE {table} SET {column} = {marks[0]} || substr({column}, {marks[1]}){depth_sql} WHERE {in_subtree}",
        [new, len(old) + 1, *params],
    )

