"""Reports with pictures (活动报道): types, queries, mutations, live updates."""
