"""Search (搜索): one ranked, paginated list over sites, teams, lecturers and events."""
