"""People and team memberships in GraphQL: the editing view of anyone, volunteers included."""
