"""Every figure kept on write (issue 18), rebuilt from the base tables at once: after a bulk
load that bypassed the domain's writes, a restored backup or a hand edit (``wenming reindex``)."""

from __future__ import annotations

from api.domain import day_stats, site_counts


async def rebuild(conn=None) -> dict[str, int]:
    """Rebuild each table; returns its row count by table name."""
    return {"site_subtree_count": await site_counts.rebuild(conn), "site_day_stats": await day_stats.rebuild(conn)}
