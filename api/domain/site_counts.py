"""Subtree counts kept on write (issue 18): how many live sites of each kind are below each
site, in ``site_subtree_count``. Reading them is one indexed lookup per site on a page instead
of a join of each site with its whole subtree (1.3 s for a province's page on SQLite).

The rule, in one place: a site counts once for each of its ancestors. ``created`` and
``moved`` apply that rule as increments (an upsert adds, so two writers at once both count;
a transaction's increments are summed and written before it commits, in one order);
sites are never deleted (only soft-deleted rows would leave, and nothing writes them).
``rebuild`` recomputes every count from the site table (the migration, a bulk load,
``wenming reindex``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from tortoise import connections

from api.db import at_commit, replica
from api.domain import sites as tree  # a module import: sites.py calls back into this one
from api.models.sites import Site, SiteKind

TABLE = "site_subtree_count"
UPSERT_BATCH = 500


def _marks(dialect: str, n: int, start: int = 1) -> list[str]:
    return [f"${i}" if dialect == "postgres" else "?" for i in range(start, start + n)]


async def _add(counts: Counter[tuple[int, str]]) -> None:
    """Add each (site id, kind) -> n to the stored counts (negative n subtracts). In a
    PostgreSQL transaction the changes are summed and written once, just before it commits
    (api/db/at_commit.py), rows in (site id, kind) order: two transactions that each create or
    move several sites (two site imports) then lock the shared ancestors' rows in one order,
    where writing as they went they could each hold a row the other wanted next."""
    conn = connections.get("default")
    later = at_commit.gather(conn, TABLE, Counter, _write)
    if later is not None:
        later.update(counts)  # adds, negatives too
        return
    await _write(conn, counts)


async def _write(conn, counts: Counter[tuple[int, str]]) -> None:
    dialect = conn.capabilities.dialect
    items = [(site_id, kind, n) for (site_id, kind), n in sorted(counts.items()) if n]
    for i in range(0, len(items), UPSERT_BATCH):
        chunk = items[i:i + UPSERT_BATCH]
        marks = _marks(dialect, 3 * len(chunk))
        values = ", ".join(f"({marks[3 * j]}, {marks[3 * j + 1]}, {marks[3 * j + 2]})" for j in range(len(chunk)))
        await conn.execute_query(
            f"INSERT INTO site_subtree_count (site_id, kind, n) VALUES {values} "
            "ON CONFLICT (site_id, kind) DO UPDATE SET n = site_subtree_count.n + excluded.n",
            [v for row in chunk for v in row],
        )


def _per_ancestor(path: str, kinds: Counter[str], sign: int) -> Counter[tuple[int, str]]:
    return Counter({(a, kind): sign * n for a in tree.ancestor_ids(path) for kind, n in kinds.items()})


async def created(site: Site) -> None:
    """A new site counts below each of its ancestors (call inside the creating transaction)."""
    await _add(_per_ancestor(site.path, Counter({SiteKind(site.kind).value: 1}), 1))


async def moved(old_path: str, new_path: str) -> None:
    """A subtree moved from ``old_path`` to ``new_path`` (call inside the move's transaction,
    after the paths changed): its sites leave the old ancestors' counts and join the new ones'."""
    rows = await Site.filter(tree.subtree(new_path), deleted_at__isnull=True).values_list("kind", flat=True)
    kinds = Counter(SiteKind(k).value for k in rows)
    change = _per_ancestor(old_path, kinds, -1)
    change.update(_per_ancestor(new_path, kinds, 1))  # update adds (a shared ancestor nets to 0)
    await _add(change)


async def below(site_ids: Sequence[int]) -> list[dict[str, int]]:
    """The counts below each site, kinds with none left out, in one statement."""
    if not site_ids:
        return []
    await at_commit.settle(connections.get("default"), TABLE)  # this transaction's own changes first
    conn = replica.reading()
    marks = ", ".join(_marks(conn.capabilities.dialect, len(site_ids)))
    _, rows = await conn.execute_query(
        f"SELECT site_id, kind, n FROM site_subtree_count WHERE site_id IN ({marks}) AND n > 0", list(site_ids)
    )
    found: dict[int, dict[str, int]] = {i: {} for i in site_ids}
    for row in rows:
        site_id, kind, n = _values(row)
        found[site_id][kind] = n
    return [found[i] for i in site_ids]


async def rebuild(conn=None) -> int:
    """Recompute every count from the site table; returns how many rows it keeps. Counted in
    Python from the paths (a site counts once for each ancestor): a join of every site with its
    subtree took over 10 s on PostgreSQL at 20,000 sites before ANALYZE."""
    conn = conn or connections.get("default")
    at_commit.discard(conn, TABLE)  # this transaction's gathered changes: its sites are counted below
    _, rows = await conn.execute_query("SELECT path, kind FROM site WHERE deleted_at IS NULL")
    counts: Counter[tuple[int, str]] = Counter()
    for path, kind in (_values(r) for r in rows):
        counts.update(_per_ancestor(path, Counter({str(kind): 1}), 1))
    await conn.execute_query("DELETE FROM site_subtree_count")
    await _write(conn, counts)
    return len(counts)


def _values(row: Iterable) -> list:
    return list(row.values()) if hasattr(row, "values") else list(row)
