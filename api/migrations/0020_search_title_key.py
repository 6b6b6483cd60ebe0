"""The exact-title key (issue 16): search_doc.title_key, the folded title without spaces and
punctuation, with a btree index, so "the title is the query" (score 8, four characters or
more) is one index probe instead of a check of every entry holding all the query's pairs
(130 ms for 宣讲进社 at 200,000 events on SQLite). Nullable: entries written before this
migration have none, and `wenming serve` / `wenming migrate` reindex once when they meet one
(as they do for a database with no index at all). The index is (title_key, id): the key's
entries in entry order, so the exact tier's page is read from it without a sort (with no such
index PostgreSQL walked the primary key, filtering: 585 ms at 200,000 entries for a key nobody
has). title_len's description said it broke ties; it never did, and nothing reads it now: only
the description changes (no table rebuild)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from api.db.migration_ops import AlterFieldDescription


INDEX = "CREATE INDEX IF NOT EXISTS search_doc_title_key_idx ON search_doc (title_key, id)"


async def _create_index(apps, schema_editor) -> None:
    await schema_editor.client.execute_script(INDEX)


async def _drop_index(apps, schema_editor) -> None:
    await schema_editor.client.execute_script("DROP INDEX IF EXISTS search_doc_title_key_idx")


class Migration(migrations.Migration):
    dependencies = [("wenming", "0019_search_kind_report")]

    operations = [
        ops.AddField(
            model_name="SearchDoc",
            name="title_key",
            field=fields.CharField(
                max_length=120, null=True,
                description="The folded title without spaces and punctuation: a query with this key is the title itself. "
                "Null: indexed before this column existed (wenming reindex fills it)",
            ),
        ),
        ops.RunPython(_create_index, _drop_index),
        AlterFieldDescription(
            model_name="SearchDoc",
            name="title_len",
            field=fields.IntField(description="Length of the folded title in characters (not read by search since title_key)"),
        ),
    ]
