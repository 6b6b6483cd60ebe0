"""Every figure kept on write (issue 18), rebuilt from the base tables at once: after a bulk
load that bypassed the domain's writes, a restored backup or a hand edit (``wenming reindex``)."""

from __future__ import annotations

from api.domain import day_stats, site_counts


async def rebuild(conn=None) -> dict[str, int]:
    """Rebuild each table; returns its row count by table name. Inside a transaction, what it
    gathered for these tables to write at COMMIT (api/db/at_commit.py) is dropped by each
    table's rebuild: the rebuild reads its writes from the base tables, and the gathered
    changes applied on top would count them twice."""
    return {"site_subtree_count": await site_counts.rebuild(conn), "site_day_stats": await day_stats.rebuild(conn)}
