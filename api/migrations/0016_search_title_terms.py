"""Search on PostgreSQL reads a page in index order (issue 16): search_title_term, one row per
(title token, index entry), a btree on (term, doc_id), so the first page of a common two-character
word (宣讲, in a third of all titles) is an index range scan that stops at the page, as SQLite's
FTS5 doclists already are. The GIN index over every token stays for descriptions and initials.

Kept in step with search_doc by a trigger (in the write's transaction, like SQLite's FTS5
triggers, TRUNCATE included); the entry's last_end and title_len ride along in the index, so
"upcoming first" and "the title is the query" are read from it without visiting the entry.
Only PostgreSQL: SQLite needs nothing new."""

from tortoise import migrations
from tortoise.migrations import operations as ops

TERMS = "SELECT DISTINCT t, r.id, r.last_end, r.title_len FROM {rows} r, unnest(string_to_array(r.title_tokens, ' ')) AS t WHERE t <> ''"
# Inserts per statement, from the transition table: a bulk insert of 500 entries (wenming
# reindex) is one INSERT ... SELECT. Deletes per row, by the primary key (term = ANY(its
# tokens), doc_id): a join against a transition table has no statistics, and the planner
# hashed the whole table for it (2.4 s to delete 2,700 entries at 50,000 events, and as long
# for one entry).
POSTGRES = f"""
CREATE TABLE IF NOT EXISTS search_title_term (
    term TEXT NOT NULL,
    doc_id INT NOT NULL,
    last_end TIMESTAMPTZ,
    title_len INT NOT NULL,
    PRIMARY KEY (term, doc_id) INCLUDE (last_end, title_len)
);
CREATE OR REPLACE FUNCTION search_title_term_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_title_term (term, doc_id, last_end, title_len) {TERMS.format(rows="added")};
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION search_title_term_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM search_title_term WHERE term = ANY(string_to_array(OLD.title_tokens, ' ')) AND doc_id = OLD.id;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO search_title_term (term, doc_id, last_end, title_len)
        SELECT DISTINCT t, NEW.id, NEW.last_end, NEW.title_len FROM unnest(string_to_array(NEW.title_tokens, ' ')) AS t
        WHERE t <> '';
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION search_title_term_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE search_title_term;
    RETURN NULL;
END $$;
CREATE TRIGGER search_doc_title_terms_at AFTER TRUNCATE ON search_doc
    FOR EACH STATEMENT EXECUTE FUNCTION search_title_term_emptied();
CREATE TRIGGER search_doc_title_terms_ai AFTER INSERT ON search_doc
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION search_title_term_added();
CREATE TRIGGER search_doc_title_terms_ad AFTER DELETE OR UPDATE ON search_doc
    FOR EACH ROW EXECUTE FUNCTION search_title_term_removed();
INSERT INTO search_title_term (term, doc_id, last_end, title_len) {TERMS.format(rows="search_doc")} ON CONFLICT DO NOTHING;
"""


async def _create(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "postgres":
        await schema_editor.client.execute_script(POSTGRES)


async def _drop(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "postgres":
        await schema_editor.client.execute_script(
            "DROP TRIGGER IF EXISTS search_doc_title_terms_ai ON search_doc; "
            "DROP TRIGGER IF EXISTS search_doc_title_terms_ad ON search_doc; "
            "DROP TRIGGER IF EXISTS search_doc_title_terms_at ON search_doc; "
            "DROP FUNCTION IF EXISTS search_title_term_added(), search_title_term_removed(), "
            "search_title_term_emptied(); "
            "DROP TABLE IF EXISTS search_title_term;"
        )


class Migration(migrations.Migration):
    dependencies = [("wenming", "0015_yearly_events")]

    operations = [ops.RunPython(_create, _drop)]
