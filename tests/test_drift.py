"""Numbers the schema's descriptions and the docs state are the numbers the code enforces.

Each claim names a constant and the phrases that state it; every occurrence of a phrase in the
SDL, the README and docs/ must carry the constant's value, and each phrase must occur at least
once (so a rewording that drops it is noticed, instead of the check quietly checking nothing).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.domain import availability, board, idempotency, recurrence, stats
from api.domain.occurrences import HORIZON_BATCH, MAX_WINDOW_DAYS
from api.feeds import CACHE_CONTROL as FEED_CACHE_CONTROL
from api.feeds import params
from api.feeds.service import MAX_FEED_COMPONENTS
from api.search.tokens import POLYPHONE_SPELLINGS
from api.settings import Settings
from schema.core import pagination, persisted, protection, query_cost
from schema.schema import sdl

ROOT = Path(__file__).resolve().parents[1]
NUMBER = r"(\d[\d,]*)"


def sources() -> dict[str, str]:
    texts = {"schema (SDL)": sdl(), "README.md": (ROOT / "README.md").read_text(encoding="utf-8")}
    for page in sorted((ROOT / "docs").glob("*.md")):
        texts[f"docs/{page.name}"] = page.read_text(encoding="utf-8")
    return texts


# (what, the values in order, a phrase with one NUMBER group per value)
CLAIMS = [
    ("occurrence window", (MAX_WINDOW_DAYS,), rf"window (?:may be|is|the) at most {NUMBER} days"),
    ("occurrence window", (MAX_WINDOW_DAYS,), rf"at most {NUMBER} days \(the same limit"),
    ("occurrence window", (MAX_WINDOW_DAYS,), rf"at most {NUMBER} days long"),
    ("widest feed window", (params.MAX_DAYS_BACK, params.MAX_DAYS_AHEAD), rf"{NUMBER} days back, today, {NUMBER} ahead"),
    ("default feed window", (params.DEFAULT_DAYS_BACK, params.DEFAULT_DAYS_AHEAD), rf"\({NUMBER} days back, {NUMBER} ahead\)"),
    ("page size", (pagination.MAX_PAGE_SIZE, pagination.DEFAULT_PAGE_SIZE), rf"0-{NUMBER},? \(?default {NUMBER}"),
    ("page size", (pagination.MAX_PAGE_SIZE,), rf"at most {NUMBER} per page"),
    ("feed size cap", (MAX_FEED_COMPONENTS,), rf"at most \*\*{NUMBER} VEVENTs"),
    ("horizon job batch", (HORIZON_BATCH,), rf"horizon job works in batches of {NUMBER} events"),
    ("series cap", (recurrence.MAX_INSTANCES,), rf"more than {NUMBER} occurrences up to the horizon"),
    ("longest event", (recurrence.MAX_DURATION_DAYS,), rf"lasting over {NUMBER} days"),
    ("longest event", (recurrence.MAX_DURATION_DAYS,), rf"lasts at most {NUMBER} days"),
    ("horizon default", (Settings.model_fields["occurrence_horizon_days"].default,),
     rf"HORIZON_DAYS`? (?:ahead )?\(default {NUMBER}\)"),
    ("all-day service hours", (stats.ALL_DAY_HOURS_PER_DAY,), rf"all-day one counts {NUMBER} hours a day"),
    ("next on a board", (board.WEEK_AHEAD_DAYS + 1,), rf"nothing starts in the next {NUMBER} days"),
    ("board cache", (persisted.MAX_AGE_SECONDS,), rf"public, max-age={NUMBER}` \(less"),
    ("feed cache", (int(FEED_CACHE_CONTROL.rsplit("=", 1)[1]),), rf"`public, max-age={NUMBER}`: shared caches"),
    ("query limits", (protection.MAX_DEPTH, protection.MAX_ALIASES, protection.MAX_TOKENS),
     rf"depth {NUMBER}, {NUMBER} aliases, {NUMBER} tokens"),
    ("document limits", (protection.MAX_DEPTH, protection.MAX_ALIASES, protection.MAX_FIELDS, query_cost.MAX_LIST_ITEMS),
     rf"included\) \| {NUMBER} \| fixed \| `QUERY_TOO_DEEP`.*?again\) \| {NUMBER} \|.*?expanded \| {NUMBER} \|"
     rf".*?input lists\) \| {NUMBER} \| fixed \| `TOO_MANY_ITEMS`"),
    *[(f"{name} default", (value,), rf"\| {NUMBER}{unit} \| `WENMING_{name.upper()}`")
      for name, value, unit in [
          ("max_query_cost", Settings.model_fields["max_query_cost"].default, ""),
          ("query_timeout_seconds", Settings.model_fields["query_timeout_seconds"].default, " s"),
          ("max_body_bytes", Settings.model_fields["max_body_bytes"].default // 1024, " KiB"),
          ("body_timeout_seconds", Settings.model_fields["body_timeout_seconds"].default, " s"),
          ("header_timeout_seconds", Settings.model_fields["header_timeout_seconds"].default, " s"),
          ("rate_limit_per_minute", Settings.model_fields["rate_limit_per_minute"].default, ""),
          ("feed_rate_limit_per_minute", Settings.model_fields["feed_rate_limit_per_minute"].default, ""),
          ("max_connections", Settings.model_fields["max_connections"].default, ""),
          ("db_connect_timeout_seconds", int(Settings.model_fields["db_connect_timeout_seconds"].default), " s"),
          ("db_pool_timeout_seconds", int(Settings.model_fields["db_pool_timeout_seconds"].default), " s"),
          ("db_statement_timeout_seconds", int(Settings.model_fields["db_statement_timeout_seconds"].default), " s"),
          ("max_upload_bytes", Settings.model_fields["max_upload_bytes"].default // 2**20, " MiB"),
          ("max_image_pixels", Settings.model_fields["max_image_pixels"].default, ""),
          ("upload_timeout_seconds", int(Settings.model_fields["upload_timeout_seconds"].default), " s"),
      ]],
    ("polyphone spellings", (POLYPHONE_SPELLINGS,), rf"keeps its {NUMBER}\s+likeliest spellings"),
    ("retry after an outage", (availability.RETRY_AFTER_SECONDS,), rf"`Retry-After: {NUMBER}`"),
    ("idempotency keys kept", (idempotency.KEEP_HOURS,), rf"kept \*\*{NUMBER} hours\*\*"),
    ("idempotency key length", (idempotency.MAX_KEY_LENGTH,), rf"longer than {NUMBER} characters or"),
    ("websocket caps", (Settings.model_fields["max_websockets_per_client"].default,
                        Settings.model_fields["max_websockets"].default),
     rf"\| {NUMBER} / {NUMBER} \| `WENMING_MAX_WEBSOCKETS_PER_CLIENT`"),
]


@pytest.mark.parametrize(("what", "values", "phrase"), CLAIMS, ids=[f"{c[0]}: {c[2][:30]}" for c in CLAIMS])
def test_stated_numbers_are_the_enforced_ones(what, values, phrase):
    found = []
    for where, text in sources().items():
        for m in re.finditer(phrase, text, re.DOTALL):
            stated = tuple(int(g.replace(",", "")) for g in m.groups())
            found.append((where, m.group(0), stated))
    assert found, f"no text states the {what} any more ({phrase!r}): update this check with the new wording"
    wrong = [(where, said) for where, said, stated in found if stated != tuple(values)]
    assert wrong == [], f"{what} is {values} in the code, but: {wrong}"


def test_numbers_spelled_out_agree_too():
    # "the next eight days" in docs/screens.md: the board's horizon for `next`.
    words = {8: "eight", 7: "seven"}
    assert f"the next {words[board.WEEK_AHEAD_DAYS + 1]} days" in (ROOT / "docs" / "screens.md").read_text(encoding="utf-8")
    assert f"The {words[board.WEEK_AHEAD_DAYS]} days after today" in sdl()
