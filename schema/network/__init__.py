"""The network in GraphQL: sites, venues, platforms, teams, lecturers and campaigns."""
