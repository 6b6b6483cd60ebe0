"""The demo city round-trips: every kind exported and imported back (dry run) changes nothing.
Real data finds what a small network does not (coordinates, exhibitions over several days)."""

from __future__ import annotations

import pytest

from api.sheets.columns import SHEETS


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_demo_city_round_trips(demo_server, fmt):
    for kind in SHEETS:
        out = demo_server.folder / f"{kind}.{fmt}"
        exported = demo_server.wenming("export", kind, "--format", fmt, "-o", str(out))
        assert exported.returncode == 0, exported.stderr
        checked = demo_server.wenming("import", kind, str(out), "--dry-run")
        assert checked.returncode == 0, (kind, checked.stderr)
        summary = " ".join(checked.stderr.split())
        assert "0 would be created, 0 would be changed" in summary, (kind, summary)
