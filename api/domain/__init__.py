"""Domain rules with no HTTP or GraphQL in them."""
