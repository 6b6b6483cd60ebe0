"""Search on PostgreSQL walks the title range of a query's rarest token (api/search/query.py
`_rarest`), rarest as the planner's statistics of search_title_term.term know it. With the
default statistics target they name the 100 most common terms (down to ~0.16% of the rows on
the 238,259-event bench network), so most tokens of a three- or four-character query tie and
the first one is walked: 义诊进龙 walked 义诊 (4,256 titles), 23 ms. A target of 1,000 names the
1,000 most common (down to ~0.013%) and the same query walks 进龙: 2.2 ms; the slowest of 20
four-character queries went from 23.2 to 5.1 ms (ANALYZE of the table: 2.5 s at 7.5 million
rows). Only PostgreSQL: SQLite's FTS5 reads every tier in rowid order and needs no choice."""

from tortoise import migrations
from tortoise.migrations import operations as ops

TARGET = 1000


async def _raise(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "postgres":
        await schema_editor.client.execute_script(
            f"ALTER TABLE search_title_term ALTER COLUMN term SET STATISTICS {TARGET}; ANALYZE search_title_term")


async def _lower(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "postgres":
        await schema_editor.client.execute_script("ALTER TABLE search_title_term ALTER COLUMN term SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("wenming", "0023_deletion_marks")]

    initial = False

    operations = [ops.RunPython(_raise, _lower)]
