"""docs/reports.md shows the whole review loop. Its examples run on a fresh demo, in order, as
the callers they name, and answer as shown: tests/test_docs.py."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_docs import examples

DOC = Path(__file__).resolve().parents[1] / "docs" / "reports.md"


def test_the_reports_page_shows_writing_submitting_and_approving():
    shown = [query for where, _caller, query, *_ in examples(writing=True) if where.startswith("reports.md#")]
    assert len(shown) >= 6
    assert {"createReport", "submitReport", "approveReport"} <= {m for q in shown for m in re.findall(r"(\w+Report)\(", q)}
