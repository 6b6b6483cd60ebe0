"""The calendar in GraphQL: events, their occurrences, and editing them (series included)."""
