"""The volunteers' showcase: a daily duty at 宝堡社区 that started half an hour to an hour
before the demo was loaded (on the hour or the half hour).

Signing up needs an occurrence that has not started, checking in one that is running now, so
docs/volunteers.md cannot ask about the showcase month's fixed dates. This series runs every
day at the time of day the demo was loaded, starting 30 to 59 minutes before it: right after
`wenming serve --demo` today's occurrence takes check-ins and tomorrow's takes sign-ups. The
page finds it by its title (search) and its occurrences by `Event.upcomingOccurrences`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from api.domain.clock import local
from api.domain.events import create_event
from api.models.events import EventKind, EventStatus
from api.models.sites import Site
from api.models.teams import Team

TITLE = "宝堡社区助老送餐志愿服务"
DAYS = 14
STARTED_BEFORE_LOAD = timedelta(minutes=30)
LENGTH = timedelta(hours=3)


async def create_volunteer_duty(platforms: dict[str, int], station: Site, team: Team, loaded_at: datetime) -> None:
    """Write the duty series at the showcase's station, run by its village team."""
    loaded = local(loaded_at)
    starts_at = loaded.replace(minute=loaded.minute // 30 * 30, second=0, microsecond=0) - STARTED_BEFORE_LOAD
    await create_event(
        kind=EventKind.ACTIVITY, title=TITLE, platform_id=platforms["CULTURE"], site_id=station.id,
        team_id=team.id, starts_at=starts_at, ends_at=starts_at + LENGTH, rrule=f"FREQ=DAILY;COUNT={DAYS}",
        summary="志愿者每天为社区独居老人送餐上门、陪伴聊天。", status=EventStatus.PUBLISHED,
    )
