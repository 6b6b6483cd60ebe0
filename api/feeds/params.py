"""Query parameters of a feed: the window, kind and platform filters, subtree.

Every mistake becomes a 400 that names the parameter. Unknown parameters are ignored
(calendar apps and proxies add their own, such as cache busters).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from starlette.datastructures import QueryParams

from api.domain import clock, validation
from api.domain.errors import DomainError
from api.domain.occurrences import MAX_WINDOW_DAYS
from api.feeds.errors import bad_parameter
from api.models.events import EventKind
from api.models.platforms import Platform

DEFAULT_DAYS_BACK = 90
DEFAULT_DAYS_AHEAD = 365
MAX_DAYS_BACK = 366
MAX_DAYS_AHEAD = 366
# Any window (days_back/days_ahead, or from/to) is at most the domain's MAX_WINDOW_DAYS long,
# the limit of the one occurrence query (checked here first, to name the parameter), and
# ends no later than MAX_DAYS_AHEAD days after today (the occurrences table is materialised
# ahead far enough to cover that).
assert MAX_DAYS_BACK + 1 + MAX_DAYS_AHEAD <= MAX_WINDOW_DAYS, "the widest feed window must fit one occurrence query"
# A big scope's default window: when a request names no window and the default one would hold
# more than BIG_FEED_COMPONENTS VEVENTs (800-940 bytes each in the demo city: at most ~0.94 MB,
# under the ~1 MB Google Calendar accepts), the default narrows to a week back and 90 days ahead. Nothing is dropped
# from the window served (X-Feed-Window says which); days_back/days_ahead/from/to still get
# exactly what they ask for. See docs/feeds.md, "Big scopes".
BIG_FEED_COMPONENTS = 1_000
BIG_FEED_DAYS_BACK = 7
BIG_FEED_DAYS_AHEAD = 90
WINDOW_PARAMETERS = ("days_back", "days_ahead", "from", "to")
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime  # exclusive


@dataclass(frozen=True)
class FeedParams:
    window: Window
    kinds: tuple[EventKind, ...] = ()
    platform_ids: tuple[int, ...] = ()
    platform_names: tuple[str, ...] = ()
    subtree: bool = False
    default_window: bool = False  # the request named no window: a big scope may get the narrow default


def _values(params: QueryParams, name: str) -> list[str]:
    """A repeatable parameter, also accepting comma lists: ?kind=LECTURE&kind=ACTIVITY or ?kind=LECTURE,ACTIVITY."""
    out: list[str] = []
    for raw in params.getlist(name):
        out.extend(v.strip() for v in raw.split(",") if v.strip())
    return out


def _single(params: QueryParams, name: str) -> str | None:
    values = params.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise bad_parameter(name, f"{name} was given {len(values)} times; give it once")
    return values[0].strip()


def parse_subtree(params: QueryParams) -> bool:
    value = _single(params, "subtree")
    if value is None:
        return False
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise bad_parameter("subtree", f"subtree must be 1 or 0 (true or false), got {value!r}")


def _days(params: QueryParams, name: str, default: int, low: int, high: int) -> int:
    value = _single(params, name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        message = f"{name} must be a whole number of days from {low} to {high}, got {value!r}"
        raise bad_parameter(name, message) from None
    if not low <= number <= high:
        raise bad_parameter(name, f"{name} must be from {low} to {high} days, got {number}")
    return number


def _moment(params: QueryParams, name: str) -> datetime | None:
    """An ISO date (local midnight, Asia/Shanghai) or date-time (with an offset; none = Shanghai time)."""
    value = _single(params, name)
    if value is None or value == "":
        return None
    # A '+' in a query string arrives as a space unless it was encoded: 09:00:00 08:00.
    text = value.replace(" ", "+")
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            validation.calendar_date(day, name)
            return clock.day_start(day)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        validation.calendar_date(moment, name)  # before the zone shift, which could overflow
        return clock.local(moment)
    except DomainError as exc:
        raise bad_parameter(name, exc.message, exc.code) from None
    except (ValueError, OverflowError):
        raise bad_parameter(
            name, f"{name} must be an ISO date (2026-03-01) or date-time (2026-03-01T09:00:00+08:00), got {value[:40]!r}"
        ) from None


def parse_window(params: QueryParams, today: date | None = None) -> Window:
    """from/to if given, else days_back/days_ahead around today (whole local days).

    The default window is anchored to the start of today, so it moves once a day and a
    feed that did not change keeps its ETag all day.
    """
    today = today or clock.local_date(clock.now())
    midnight = clock.day_start(today)
    back = _days(params, "days_back", DEFAULT_DAYS_BACK, 0, MAX_DAYS_BACK)
    ahead = _days(params, "days_ahead", DEFAULT_DAYS_AHEAD, 0, MAX_DAYS_AHEAD)
    start = _moment(params, "from") or midnight - timedelta(days=back)
    end = _moment(params, "to") or midnight + timedelta(days=ahead + 1)
    if end <= start:
        raise bad_parameter("to", f"to ({end.isoformat()}) must be after from ({start.isoformat()})", "BAD_WINDOW")
    if end - start > timedelta(days=MAX_WINDOW_DAYS):
        raise bad_parameter(
            "to",
            f"the window from {start.isoformat()} to {end.isoformat()} is longer than {MAX_WINDOW_DAYS} days; "
            "ask for a shorter one",
            "BAD_WINDOW",
        )
    latest = midnight + timedelta(days=MAX_DAYS_AHEAD + 1)
    if end > latest:
        raise bad_parameter(
            "to",
            f"to ({end.isoformat()}) is more than {MAX_DAYS_AHEAD} days ahead; "
            f"the latest allowed is {latest.isoformat()}",
            "BAD_WINDOW",
        )
    return Window(start, end)


def parse_kinds(params: QueryParams) -> tuple[EventKind, ...]:
    kinds = []
    for value in _values(params, "kind"):
        try:
            kind = EventKind(value.upper())
        except ValueError:
            allowed = " or ".join(k.value for k in EventKind)
            raise bad_parameter("kind", f"kind must be {allowed}, got {value!r}") from None
        if kind not in kinds:
            kinds.append(kind)
    return tuple(sorted(kinds))


async def parse_platforms(params: QueryParams) -> tuple[tuple[int, ...], tuple[str, ...]]:
    codes = list(dict.fromkeys(_values(params, "platform")))
    if not codes:
        return (), ()
    rows = await Platform.filter(code__in=codes, deleted_at__isnull=True).order_by("sort_order", "id")
    found = {p.code for p in rows}
    if missing := [c for c in codes if c not in found]:
        raise bad_parameter("platform", f"unknown platform code(s): {', '.join(missing)}", "UNKNOWN_PLATFORM")
    return tuple(p.id for p in rows), tuple(p.name for p in rows)


async def parse(params: QueryParams, today: date | None = None) -> FeedParams:
    subtree = parse_subtree(params)
    window = parse_window(params, today)
    kinds = parse_kinds(params)
    platform_ids, platform_names = await parse_platforms(params)
    default = not any((params.get(name) or "").strip() for name in WINDOW_PARAMETERS)
    return FeedParams(window, kinds, platform_ids, platform_names, subtree, default)


def narrow_default(parsed: FeedParams, today: date | None = None) -> FeedParams:
    """The big-scope default window (BIG_FEED_DAYS_BACK/AHEAD) in place of the default one."""
    today = today or clock.local_date(clock.now())
    midnight = clock.day_start(today)
    window = Window(midnight - timedelta(days=BIG_FEED_DAYS_BACK), midnight + timedelta(days=BIG_FEED_DAYS_AHEAD + 1))
    return replace(parsed, window=window, default_window=False)


def kind_label(kinds: Sequence[EventKind]) -> str:
    labels = {EventKind.LECTURE: "宣讲", EventKind.ACTIVITY: "活动"}
    return "、".join(labels[k] for k in kinds)
