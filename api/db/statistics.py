"""Planner statistics after a bulk load.

Neither database gathers them on its own soon enough after a bulk insert: PostgreSQL's
autovacuum analyses later, SQLite never. Without them PostgreSQL chose a nested loop over
every occurrence for ``stats`` (11.4 s at 50,000 sites, issue 18) and SQLite may pick the
wrong one of two indexes. Run after loading demo or imported data, on a connection without
a statement timeout (``Timeouts(statement=None)``): at province size it takes longer than
the 10 s requests get.
"""

from __future__ import annotations

from tortoise import connections


async def analyze() -> None:
    """Refresh the query planner's statistics for every table (ANALYZE on both databases)."""
    await connections.get("default").execute_script("ANALYZE")
