"""The search index (issue 16): the search_doc table, and per database the index over its
token columns: SQLite an FTS5 table kept in step by triggers (external content, so it never
holds a row search_doc does not); PostgreSQL a generated tsvector column with a GIN index.
Run `wenming reindex` after this migration to index what is already there."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from api.models.search import SearchKind

COLUMNS = "title_tokens, body_tokens, initials_tokens"
SQLITE = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
    {COLUMNS}, content='search_doc', content_rowid='id',
    tokenize='unicode61 remove_diacritics 0', detail='column');
CREATE TRIGGER IF NOT EXISTS search_doc_ai AFTER INSERT ON search_doc BEGIN
    INSERT INTO search_fts(rowid, {COLUMNS}) VALUES (new.id, new.title_tokens, new.body_tokens, new.initials_tokens);
END;
CREATE TRIGGER IF NOT EXISTS search_doc_ad AFTER DELETE ON search_doc BEGIN
    INSERT INTO search_fts(search_fts, rowid, {COLUMNS})
    VALUES ('delete', old.id, old.title_tokens, old.body_tokens, old.initials_tokens);
END;
CREATE TRIGGER IF NOT EXISTS search_doc_au AFTER UPDATE ON search_doc BEGIN
    INSERT INTO search_fts(search_fts, rowid, {COLUMNS})
    VALUES ('delete', old.id, old.title_tokens, old.body_tokens, old.initials_tokens);
    INSERT INTO search_fts(rowid, {COLUMNS}) VALUES (new.id, new.title_tokens, new.body_tokens, new.initials_tokens);
END;
"""
# Title and body tokens as they are; initials marked with ^ so `xjt` typed as initials never
# meets a Latin word `xjt`. array_to_tsvector keeps each token verbatim (no parser, no stemming).
POSTGRES = r"""
ALTER TABLE search_doc ADD COLUMN IF NOT EXISTS tsv tsvector GENERATED ALWAYS AS (
    array_to_tsvector(
        array_remove(string_to_array(title_tokens || ' ' || body_tokens, ' '), '')
        || array_remove(string_to_array(regexp_replace(initials_tokens, '(\S+)', '^\1', 'g'), ' '), '')
    )
) STORED;
CREATE INDEX IF NOT EXISTS search_doc_tsv_idx ON search_doc USING GIN (tsv);
CREATE INDEX IF NOT EXISTS search_doc_site_path_prefix_idx ON search_doc (site_path varchar_pattern_ops);
"""


async def _create(apps, schema_editor) -> None:
    postgres = schema_editor.client.capabilities.dialect == "postgres"
    await schema_editor.client.execute_script(POSTGRES if postgres else SQLITE)


async def _drop(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "postgres":
        await schema_editor.client.execute_script("ALTER TABLE search_doc DROP COLUMN IF EXISTS tsv")
    else:
        await schema_editor.client.execute_script(
            "DROP TRIGGER IF EXISTS search_doc_ai; DROP TRIGGER IF EXISTS search_doc_ad; "
            "DROP TRIGGER IF EXISTS search_doc_au; DROP TABLE IF EXISTS search_fts;"
        )


class Migration(migrations.Migration):
    dependencies = [("wenming", "0004_orders")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SearchDoc",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("kind", fields.CharEnumField(description="SITE: SITE\nTEAM: TEAM\nLECTURER: LECTURER\nEVENT: EVENT", enum_type=SearchKind, max_length=12)),
                ("object_id", fields.IntField()),
                ("site_path", fields.CharField(null=True, description="For `within`: the site the object belongs to", max_length=255)),
                ("title_len", fields.IntField(description="Length of the title: among equal scores the shorter (closer) name first")),
                ("last_end", fields.DatetimeField(null=True, description="Events: end of the last occurrence, null for an open series", auto_now=False, auto_now_add=False)),
                ("title_tokens", fields.TextField(description="Tokens of the title or name", unique=False)),
                ("body_tokens", fields.TextField(description="Tokens of the description and other public text", unique=False)),
                ("initials_tokens", fields.TextField(description="Pinyin initials of the title's Chinese runs", unique=False)),
            ],
            options={"table": "search_doc", "app": "wenming", "unique_together": (("kind", "object_id"),), "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.RunPython(_create, _drop),
    ]
