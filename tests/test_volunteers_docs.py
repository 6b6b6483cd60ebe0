"""docs/volunteers.md shows the whole volunteer loop. Its examples run on a fresh demo, in order,
as the callers they name, and answer as shown: tests/test_docs.py."""

from __future__ import annotations

import re

from tests.test_docs import examples


def test_the_volunteers_page_shows_signing_up_checking_in_hours_and_points():
    shown = [query for where, _caller, query, *_ in examples(writing=True) if where.startswith("volunteers.md#")]
    assert len(shown) >= 15
    fields = {f for q in shown for f in re.findall(r"(\w+)\(", q)}
    assert {"registerVolunteer", "setSignupSettings", "signUp", "cancelSignup", "checkinCode", "checkIn", "checkOut",
            "staffCheckOut", "correctHours", "serviceHours", "createPointsRule", "redeemReward",
            "pointsLeaderboard"} <= fields
