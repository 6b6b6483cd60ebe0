"""Chinese search over sites, teams, lecturers and events (issue 16).

One tokenizer in Python (tokens.py) feeds both databases: SQLite's FTS5 and PostgreSQL's
tsvector index the same token strings (index.py), written in the same transaction as the row
they describe; query.py ranks and pages the hits, snippets.py marks where they matched.
"""
