"""A year of lectures and activities per centre: planned first (pure), then written through
``create_event`` / ``change_occurrence`` so every event meets the domain's rules."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from api.demo import catalogue as cat
from api.demo.campaigns import ACTIVITY_DAY, CampaignIndex
from api.demo.network import Centre, Node
from api.demo.teams import CentreTeams, LectureTeam
from api.demo.writer import DirectWriter
from api.domain.clock import SHANGHAI, day_start
from api.domain.recurrence import first_instances
from api.models.events import EventKind, EventStatus
from api.models.sites import SiteKind
from api.models.teams import Team

K = SiteKind
START_TIMES = ((9, 0), (9, 30), (14, 30), (19, 30), (8, 30), (15, 0))
START_WEIGHTS = (3, 3, 3, 2, 1, 1)
DAYS_BEFORE, DAYS_AFTER = 91, 274  # about three months back, nine months ahead
# Which kinds of site an event lands on, and how often.
SITE_GROUPS = ("station", "institute", "point", "centre", "sub", "base")
SITE_WEIGHTS = (5, 3, 1, 1, 1, 1)
STATION_SERIES = tuple(s for s in cat.WEEKLY_SERIES if s[-1] == "station" and "INTERVAL" not in s[2])


@dataclass
class Plan:
    fields: dict  # keyword arguments for create_event
    changes: list[tuple[datetime, dict]] = field(default_factory=list)  # change_occurrence(recurrence_id, **kw)


@dataclass
class ProgrammeCounts:
    events: int = 0
    overrides: int = 0


def event_window(today: date) -> tuple[date, date]:
    """The first and last day events are planned on."""
    return today - timedelta(days=DAYS_BEFORE), today + timedelta(days=DAYS_AFTER)


def at(day: date, hm: tuple[int, int]) -> datetime:
    return datetime.combine(day, time(*hm), tzinfo=SHANGHAI)


class Programme:
    def __init__(
        self, rng: random.Random, today: date, platforms: dict[str, int], campaigns: CampaignIndex,
        *, station_series: bool = False,
    ) -> None:
        """``station_series``: every station also runs two regular activities of its own, one
        weekly and one fortnightly, as a province's stations do (about 1.5 a week each)."""
        self.rng, self.today, self.platforms, self.campaigns = rng, today, platforms, campaigns
        self.station_series = station_series
        self.first, self.last = event_window(today)
        self.counts = ProgrammeCounts()

    # -- small choices -------------------------------------------------------------------

    def _day(self, weekend_bias: float) -> date:
        r = self.rng
        day = self.first + timedelta(days=r.randrange((self.last - self.first).days + 1))
        if day.weekday() < 5 and r.random() < weekend_bias:
            day += timedelta(days=5 - day.weekday())  # the coming Saturday
        return min(day, self.last)

    def _times(self, day: date, minutes: tuple[int, ...] = (60, 90, 120, 180)) -> tuple[datetime, datetime]:
        start = at(day, self.rng.choices(START_TIMES, START_WEIGHTS)[0])
        return start, start + timedelta(minutes=self.rng.choice(minutes))

    def _node(self, centre: Centre, group: str | None = None) -> Node:
        r = self.rng
        group = group or r.choices(SITE_GROUPS, SITE_WEIGHTS)[0]
        pools = {
            "station": centre.stations, "institute": centre.institutes, "point": centre.points,
            "centre": [centre.node], "sub": centre.sub_centres, "base": centre.bases,
        }
        return r.choice(pools[group] or centre.stations)

    def _venue(self, node: Node) -> int | None:
        return self.rng.choice(node.venue_ids) if node.venue_ids and self.rng.random() < 0.85 else None

    def _status(self, day: date) -> EventStatus:
        roll = self.rng.random()
        if day > self.today and roll < 0.015:
            return EventStatus.DRAFT
        if roll > 0.994:
            return EventStatus.CANCELLED
        return EventStatus.PUBLISHED

    def _audience(self, node: Node) -> str:
        kind, name = node.site.kind, node.site.name
        if kind == K.POINT:
            for word, audience in (("学", "中小学生"), ("有限公司", "企业职工"), ("渔船", "渔民群众"), ("卫生院", "老年人"), ("敬老院", "老年人")):
                if word in name:
                    return audience
            return "村民群众"
        if kind == K.STATION:
            return "社区居民" if node.urban else "村民群众"
        return self.rng.choice(("党员干部", "居民群众", "青少年", "企业职工"))

    def _theme(self, day: date, p: float = 0.25) -> int | None:
        theme = self.campaigns.theme_of(day)
        return theme.id if theme and self.rng.random() < p else None

    def _team_for(self, platform: str, node: Node, teams: CentreTeams) -> Team:
        r = self.rng
        categories = cat.PLATFORM_CATEGORIES[platform]
        if node.site.kind == K.STATION and r.random() < 0.5:
            return teams.village_team[node.site.id]
        institute = node if node.site.kind == K.INSTITUTE else node.institute
        if institute is not None:
            squads = [s for s in teams.squads.get(institute.site.id, []) if s.category in categories]
            if squads and r.random() < 0.7:
                return r.choice(squads)
            if r.random() < 0.5:
                return teams.institute_detachment[institute.site.id]
        candidates = [t for c in categories for t in teams.by_category.get(c, [])]
        return r.choice(candidates) if candidates else teams.corps

    def _finish(self, kind: EventKind, fields: dict, status: EventStatus) -> dict:
        """Status, and for past published one-off events how many people came."""
        fields["status"] = status
        if status == EventStatus.CANCELLED:
            fields["description"] = self.rng.choice(cat.CANCEL_REASONS)
        if status == EventStatus.PUBLISHED and not fields.get("rrule") and fields["ends_at"] < day_start(self.today):
            capacity = fields.get("capacity")
            reached = self.rng.randint(capacity // 2, capacity) if capacity else self.rng.randint(20, 400)
            fields["attendance" if kind == EventKind.LECTURE else "beneficiaries"] = reached
        return fields

    # -- one-off lectures and activities ---------------------------------------------------

    def _lecture(self, centre: Centre, teams: CentreTeams, lt: LectureTeam) -> Plan:
        r = self.rng
        if lt.scope is centre.node:
            node = self._node(centre)
        else:
            local = [n for n in [*centre.stations, *centre.points] if n.institute is lt.scope]
            node = r.choice([lt.scope, *local])
        day = self._day(0.2)
        starts_at, ends_at = self._times(day, (60, 90, 120))
        fmt = r.choices(list(cat.FORMAT_WEIGHTS), list(cat.FORMAT_WEIGHTS.values()))[0]
        topic = r.choice(lt.topics)
        audience = self._audience(node)
        word = cat.FORMAT_WORDS[fmt]
        roll = r.random()
        if topic in cat.BIG_TOPICS and roll < 0.3:
            title = f"学习贯彻{topic}{word}"
        elif audience in cat.SIX_INTO and roll < 0.55:
            title = f"“六进”宣讲进{cat.SIX_INTO[audience]}｜{topic}"
        elif roll < 0.8:
            title = f"{lt.team.name}{word}：{topic}"
        else:
            title = f"{topic}{word}走进{node.place}"
        fields = dict(
            kind=EventKind.LECTURE, title=title, platform_id=self.platforms["THEORY"], site_id=node.site.id,
            venue_id=self._venue(node), starts_at=starts_at, ends_at=ends_at, team_id=lt.team.id, topic=topic,
            format=fmt, audience=audience, lecturer_ids=r.sample(lt.lecturer_ids, 1 if r.random() < 0.7 else 2),
            summary=f"{lt.team.name}以{word}形式宣讲{topic}。", campaign_id=self._theme(day),
            description=f"用群众听得懂的语言讲清{topic}，面向{audience}，欢迎参加。",
        )
        return Plan(self._finish(EventKind.LECTURE, fields, self._status(day)))

    def _activity(self, centre: Centre, teams: CentreTeams, platform: str, title_tpl: str, fillers, audience: str,
                  node: Node, day: date, campaign_id: int | None, hm: tuple[int, int] | None = None) -> Plan:
        r = self.rng
        title = title_tpl.format(x=r.choice(fillers) if fillers else "", place=node.place)
        if hm is None:
            starts_at, ends_at = self._times(day)
        else:
            starts_at = at(day, hm)
            ends_at = starts_at + timedelta(minutes=r.choice((90, 120, 150)))
        team = self._team_for(platform, node, teams)
        capacity = r.choice((None, 30, 40, 50, 60, 80, 100, 150, 200))
        fields = dict(
            kind=EventKind.ACTIVITY, title=title, platform_id=self.platforms[platform], site_id=node.site.id,
            venue_id=self._venue(node), starts_at=starts_at, ends_at=ends_at, team_id=team.id,
            capacity=capacity, audience=audience, campaign_id=campaign_id,
            summary=f"{team.name}组织开展“{title}”活动。",
            description=f"活动面向{audience}" + (f"，名额{capacity}人，先到先得。" if capacity else "，欢迎群众参与。"),
        )
        return Plan(self._finish(EventKind.ACTIVITY, fields, self._status(day)))

    def _random_activity(self, centre: Centre, teams: CentreTeams) -> Plan:
        r = self.rng
        platform = r.choices(list(cat.PLATFORM_WEIGHTS), list(cat.PLATFORM_WEIGHTS.values()))[0]
        tpl, fillers, audience = r.choice(cat.ACTIVITIES[platform])
        day = self._day(0.4)
        return self._activity(centre, teams, platform, tpl, fillers, audience, self._node(centre), day, self._theme(day))

    def _festivals(self, centre: Centre, teams: CentreTeams) -> list[Plan]:
        r, plans = self.rng, []
        for fest, campaign in self.campaigns.festivals:
            days = [fest.starts_on + timedelta(days=i) for i in range((fest.ends_on - fest.starts_on).days + 1)]
            days = [d for d in days if self.first <= d <= self.last]
            if not days:
                continue
            options = cat.FESTIVAL_ACTIVITIES[fest.key]
            for title, platform, audience in r.sample(options, min(len(options), r.randint(2, 3))):
                day = fest.day if fest.day in days and r.random() < 0.5 else r.choice(days)
                node = self._node(centre, r.choice(("station", "station", "institute", "centre")))
                plans.append(self._activity(centre, teams, platform, title, (), audience, node, day, campaign.id))
            if fest.key in cat.FESTIVAL_EXHIBITIONS and fest.day in days:
                title, platform, length = cat.FESTIVAL_EXHIBITIONS[fest.key]
                start = max(fest.starts_on, fest.day - timedelta(days=length // 2))
                node = r.choice([centre.node, *centre.sub_centres])
                fields = dict(
                    kind=EventKind.ACTIVITY, title=f"{centre.district.name}{title}", platform_id=self.platforms[platform],
                    site_id=node.site.id, venue_id=self._venue(node), starts_at=day_start(start),
                    ends_at=day_start(start + timedelta(days=length)), all_day=True, campaign_id=campaign.id,
                    team_id=teams.corps.id, audience="市民群众", summary=f"{fest.name}期间全天开放，免费参观。",
                )
                plans.append(Plan(self._finish(EventKind.ACTIVITY, fields, EventStatus.PUBLISHED)))
        return plans

    def _activity_days(self, centre: Centre, teams: CentreTeams) -> list[Plan]:
        r, plans = self.rng, []
        for day, campaign in sorted(self.campaigns.activity_days.items()):
            if not self.first <= day <= self.last:
                continue
            for title, platform, audience in r.sample(cat.ACTIVITY_DAY_TITLES, r.randint(1, 2)):
                node = self._node(centre, r.choice(("station", "institute")))
                plans.append(self._activity(centre, teams, platform, title, (), audience, node, day, campaign.id, (8, 30)))
        return plans

    # -- recurring series ----------------------------------------------------------------

    def _rule_end(self) -> str:
        r = self.rng
        roll = r.random()
        if roll < 0.35:
            return ""
        if roll < 0.7:
            # UNTIL the end of a month five to nine months ahead, as a UTC date-time (RFC 5545).
            y, m = self.today.year, self.today.month + r.randint(5, 9)
            y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
            month_end = date(y + (m == 12), m % 12 + 1, 1)  # the day after the month's last day
            return ";UNTIL=" + day_start(month_end).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return f";COUNT={r.randint(8, 30)}"

    def _series(self, title: str, rule: str, hm: tuple[int, int], minutes: int, node: Node, fields: dict) -> Plan:
        r = self.rng
        rule += self._rule_end()
        provisional = at(self.first + timedelta(days=r.randint(0, 60)), hm)
        starts_at = first_instances(rule, provisional, False, 1)[0]  # the rule's first date on or after
        exdates: list[str] = []
        if r.random() < 0.4:
            instances = first_instances(rule, starts_at, False, 40)[3:]
            in_holidays = [i for i in instances if (f := self.campaigns.festival_on(i.date())) and f[0].key in ("SPRING", "NATIONAL_DAY")]
            picks = in_holidays[:2] or r.sample(instances, min(len(instances), r.randint(1, 2)))
            exdates = sorted(i.isoformat() for i in picks)
        fields.update(
            title=f"{title}（{node.place}）", site_id=node.site.id, venue_id=self._venue(node), starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes), rrule=rule, exdates=exdates, status=EventStatus.PUBLISHED,
        )
        return Plan(fields)

    def _series_plans(self, centre: Centre, teams: CentreTeams) -> list[Plan]:
        r, plans = self.rng, []
        chosen = r.sample(cat.WEEKLY_SERIES, r.randint(7, 9)) + r.sample(cat.MONTHLY_SERIES, r.randint(3, 5))
        for title, platform, rule, hm, minutes, audience, where in chosen:
            node = self._node(centre, where)
            team = self._team_for(platform, node, teams)
            fields = dict(
                kind=EventKind.ACTIVITY, platform_id=self.platforms[platform], team_id=team.id, audience=audience,
                capacity=r.choice((None, 20, 30, 50)), summary=f"{team.name}常态化开展的志愿服务项目。",
                description="一月一主题、每周有活动，风雨无阻，节假日另行通知。",
            )
            plans.append(self._series(title, rule, hm, minutes, node, fields))
        lt = r.choice(teams.lecture_teams[1:])
        stations = [n for n in centre.stations if n.institute is lt.scope]
        node = r.choice(stations or [lt.scope])
        title, fmt, rule, hm, minutes = cat.LECTURE_SERIES[2 if r.random() < 0.3 else (1 if node.urban else 0)]
        topic = r.choice(lt.topics)
        fields = dict(
            kind=EventKind.LECTURE, platform_id=self.platforms["THEORY"], team_id=lt.team.id, topic=topic,
            format=fmt, lecturer_ids=lt.lecturer_ids[:2], audience=self._audience(node),
            summary=f"{lt.team.name}固定宣讲阵地，本期主题：{topic}。",
        )
        plans.append(self._series(title, rule, hm, minutes, node, fields))
        self._overrides(plans)
        # One all-day series: the monthly concentrated activity day, at the centre.
        first_day = next(d for d in sorted(self.campaigns.activity_days) if d >= self.first)
        plans.append(Plan(dict(
            kind=EventKind.ACTIVITY, title=f"{centre.district.name}新时代文明实践集中活动日",
            platform_id=self.platforms["THEORY"], site_id=centre.node.site.id, starts_at=day_start(first_day),
            ends_at=day_start(first_day + timedelta(days=1)), all_day=True,
            rrule=f"FREQ=MONTHLY;BYMONTHDAY={ACTIVITY_DAY};COUNT=12",  # the activity days' series
            team_id=teams.corps.id, status=EventStatus.PUBLISHED, audience="全体志愿者",
            summary="每月5日，中心、所、站同步开展文明实践志愿服务。",
        )))
        return plans

    def _overrides(self, series: list[Plan]) -> None:
        """Move one future occurrence of one series and cancel one of another."""
        todo = ["move", "cancel"]
        for plan in series:
            if not todo:
                return
            f = plan.fields
            removed = set(f["exdates"])
            future = [
                i for i in first_instances(f["rrule"], f["starts_at"], False, 60)
                if i.date() > self.today and i.isoformat() not in removed
            ]
            if not future:
                continue
            instance = future[self.rng.randint(0, min(5, len(future) - 1))]
            if todo.pop(0) == "move":
                new_start = instance + timedelta(days=1)
                plan.changes.append((instance, dict(
                    starts_at=new_start, ends_at=new_start + (f["ends_at"] - f["starts_at"]),
                    title=f"{f['title']}（本期顺延一天）",
                )))
            else:
                plan.changes.append((instance, dict(cancelled=True)))

    def _station_plans(self, centre: Centre, teams: CentreTeams) -> list[Plan]:
        """A weekly and a fortnightly activity at every station, run by its village team (or a
        squad of the right category), until the end of the event window."""
        r = self.rng
        until = ";UNTIL=" + day_start(self.last + timedelta(days=1)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        plans = []
        for node in centre.stations:
            for second, (title, platform, rule, hm, minutes, audience, _) in enumerate(r.sample(STATION_SERIES, 2)):
                rule += (";INTERVAL=2" if second else "") + until
                starts_at = first_instances(rule, at(self.first + timedelta(days=r.randint(0, 13)), hm), False, 1)[0]
                team = self._team_for(platform, node, teams)
                plans.append(Plan(dict(
                    kind=EventKind.ACTIVITY, title=f"{title}（{node.place}）", platform_id=self.platforms[platform],
                    site_id=node.site.id, venue_id=self._venue(node), starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=minutes), rrule=rule, team_id=team.id, audience=audience,
                    status=EventStatus.PUBLISHED, summary=f"{team.name}常态化开展的志愿服务项目。",
                )))
        return plans

    # -- putting it together -------------------------------------------------------------

    def plan(self, centre: Centre, teams: CentreTeams) -> list[Plan]:
        r = self.rng
        weights = [2] + [1] * (len(teams.lecture_teams) - 1)
        plans = [self._lecture(centre, teams, r.choices(teams.lecture_teams, weights)[0]) for _ in range(r.randint(170, 190))]
        plans += [self._random_activity(centre, teams) for _ in range(r.randint(240, 260))]
        plans += self._festivals(centre, teams)
        plans += self._activity_days(centre, teams)
        plans.sort(key=lambda p: p.fields["starts_at"])  # stable: ties keep their planned order
        plans += self._series_plans(centre, teams)
        return plans + self._station_plans(centre, teams) if self.station_series else plans

    async def write(self, plans: list[Plan], tick: Callable[[int], None], writer: DirectWriter) -> None:
        for plan in plans:
            await writer.event(plan.fields, plan.changes)
            self.counts.overrides += len(plan.changes)
            self.counts.events += 1
            tick(1)

