"""Indexes for a province-sized network (issue 18), each matching a query that reads it.

SQLite never got the ``db_index`` indexes of the early models (0001 created none for these
tables, and 0003's AlterField made the ``updated_at`` ones on PostgreSQL only), so the
watermark read by every feed and kiosk scanned nine tables. Both databases lacked the
composite index of the occurrence window: a site's board is ``site_id = ? AND starts_at in
the window``, a subtree's listing the same for each site id of the subtree.
Every statement is ``IF NOT EXISTS``: an index a database already has under another name is
only listed for the other one.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

BOTH = "both"
SQLITE = "sqlite"

# name: (dialects, table, columns as SQL)
INDEXES: dict[str, tuple[str, str, str]] = {
    # Watermarks (api/domain/freshness.py): MAX(updated_at) from the end of an index.
    **{
        f"idx_{table}_updated_at": (SQLITE, table, '"updated_at"')
        for table in ("site", "venue", "platform", "team", "membership", "person", "campaign", "event", "event_override")
    },
    # Subtree filters on SQLite are a range on the path (api.domain.sites.subtree); PostgreSQL
    # has its varchar_pattern_ops index (0002).
    "idx_site_path": (SQLITE, "site", '"path"'),
    "idx_site_parent_id": (BOTH, "site", '"parent_id"'),
    "idx_event_site_id": (BOTH, "event", '"site_id"'),
    "idx_event_override_event_id": (SQLITE, "event_override", '"event_id"'),
    "idx_membership_team_id": (SQLITE, "membership", '"team_id"'),
    # The occurrence window (api.domain.occurrences.OccurrenceFilter): bounded on both sides of
    # starts_at, read per site (a board) or per site of a subtree (site_id IN the subtree's ids).
    "idx_occurrence_site_starts": (BOTH, "occurrence", '"site_id", "starts_at"'),
    # stats: the hours recorded for a held occurrence.
    "idx_service_hours_occurrence": (BOTH, "service_hours", '"event_id", "recurrence_id"'),
}


def _applies(dialects: str, dialect: str) -> bool:
    return dialects == BOTH or dialects == dialect


async def _create(apps, schema_editor) -> None:
    dialect = schema_editor.client.capabilities.dialect
    for name, (dialects, table, columns) in INDEXES.items():
        if _applies(dialects, dialect):
            await schema_editor.client.execute_script(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({columns})')


async def _drop(apps, schema_editor) -> None:
    for name in INDEXES:
        await schema_editor.client.execute_script(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("wenming", "0012_external_keys")]

    initial = False

    operations = [ops.RunPython(_create, _drop)]
