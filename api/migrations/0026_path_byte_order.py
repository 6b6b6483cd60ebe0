"""PostgreSQL only: the materialised paths compare in byte order (COLLATE "C"), so a subtree is
a plain range ``path >= $1 AND path < $2`` that a btree index serves with its bounds unknown at
plan time (api.domain.sites.subtree). The prefix ``LIKE $1`` of migration 0002 needed its
varchar_pattern_ops indexes, which serve it only when the pattern is known: once asyncpg's
prepared statement switched to PostgreSQL's generic plan, a subtree read became a sequential
scan of the table (38.7 ms against 3.1 ms at ``--scale 10 --history-years 12``). Paths hold
digits and '/' only, so byte order changes no subtree and no result. The pattern indexes give
way to plain ones (the columns without a plain index get one). SQLite compares in binary order
already; nothing changes there."""

from tortoise import migrations
from tortoise.migrations import operations as ops

# Every copy of a site's path: (table, column).
PATH_COLUMNS = [
    ("site", "path"),
    *((table, "site_path") for table in (
        "occurrence", "site_day_stats", "search_doc", "report", "service_order", "audit_entry", "service_hours",
        "points_entry", "points_rule", "reward", "signup", "volunteer_attendance")),
]
# The varchar_pattern_ops indexes (0002, 0004, 0005, 0008, 0022) and what replaces each: None
# where the column's plain index (db_index) is there already.
PATTERN_INDEXES = {
    "site_path_prefix_idx": ("site", '"path" varchar_pattern_ops', None),
    "occurrence_site_path_prefix_idx": ("occurrence", '"site_path" varchar_pattern_ops', None),
    "service_order_site_path_prefix_idx": ("service_order", '"site_path" varchar_pattern_ops', None),
    "report_site_path_prefix_idx": ("report", '"site_path" varchar_pattern_ops', None),
    "search_doc_site_path_prefix_idx": ("search_doc", '"site_path" varchar_pattern_ops', '"site_path"'),
    "idx_site_day_stats_path_day": ("site_day_stats", '"site_path" varchar_pattern_ops, "day"', '"site_path", "day"'),
}
REPLACED = {"search_doc_site_path_prefix_idx": "idx_search_doc_site_path",
            "idx_site_day_stats_path_day": "idx_site_day_stats_path_day"}


async def _collate(client, collation: str) -> None:
    await client.execute_script("".join(
        f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE varchar(255) COLLATE "{collation}";'
        for table, column in PATH_COLUMNS))


async def _byte_order(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect != "postgres":
        return
    await client.execute_script("".join(f'DROP INDEX IF EXISTS "{name}";' for name in PATTERN_INDEXES))
    await _collate(client, "C")
    for name, (table, _, plain) in PATTERN_INDEXES.items():
        if plain:
            await client.execute_script(f'CREATE INDEX IF NOT EXISTS "{REPLACED[name]}" ON "{table}" ({plain})')


async def _pattern_ops(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect != "postgres":
        return
    await client.execute_script("".join(f'DROP INDEX IF EXISTS "{name}";' for name in REPLACED.values()))
    await _collate(client, "default")
    for name, (table, pattern, _) in PATTERN_INDEXES.items():
        await client.execute_script(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({pattern})')


class Migration(migrations.Migration):
    dependencies = [("wenming", "0025_finished_series")]

    initial = False

    operations = [ops.RunPython(_byte_order, _pattern_ops)]
