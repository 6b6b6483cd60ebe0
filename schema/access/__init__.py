"""Access in GraphQL: who is asking (me), accounts, API tokens, grants and the audit log."""
