"""Shared plumbing of the GraphQL face: every area uses it; it uses no area."""
