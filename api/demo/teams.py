"""Teams (corps > detachments > squads > village teams, lecture teams), lecturers, volunteers."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from api.demo.names import (
    CATEGORY_DETACHMENTS,
    COASTAL_TOPICS,
    EMERGENCY_DETACHMENTS,
    LECTURE_TEAM_NAMES,
    LECTURER_ROLES,
    LECTURER_STYLES,
    SQUADS,
    THEMATIC_DETACHMENTS,
    TOPICS,
    VILLAGE_TEAM_CATEGORIES,
    Namer,
)
from api.demo.network import Centre, Node
from api.demo.writer import DirectWriter
from api.models.people import Person
from api.models.teams import MemberRole, Membership, Team, TeamCategory, TeamKind

C = TeamCategory


@dataclass
class LectureTeam:
    team: Team
    scope: Node  # the centre or the institute whose sites it lectures in
    lecturer_ids: list[int] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)


@dataclass
class CentreTeams:
    corps: Team
    by_category: dict[TeamCategory, list[Team]] = field(default_factory=dict)  # centre-level detachments
    institute_detachment: dict[int, Team] = field(default_factory=dict)  # by institute site id
    squads: dict[int, list[Team]] = field(default_factory=dict)  # by institute site id
    village_team: dict[int, Team] = field(default_factory=dict)  # by station site id
    lecture_teams: list[LectureTeam] = field(default_factory=list)
    # (team, site the members live near) for membership assignment
    staffed: list[tuple[Team, Node | None]] = field(default_factory=list)


@dataclass
class PeopleCounts:
    teams: int = 0
    people: int = 0
    lecturers: int = 0
    memberships: int = 0


class TeamBuilder:
    def __init__(
        self, rng: random.Random, namer: Namer, today: date, progress: Callable[[int], None], writer: DirectWriter
    ) -> None:
        self.rng, self.namer, self.today, self.tick, self.writer = rng, namer, today, progress, writer
        self.counts = PeopleCounts()
        self._lecture_names = list(LECTURE_TEAM_NAMES)
        self._volunteer_seq = 0

    def _founded(self, years_back: tuple[int, int]) -> date:
        return date(self.today.year - self.rng.randint(*years_back), self.rng.randint(1, 12), self.rng.randint(1, 28))

    async def _team(self, staffed_near: Node | None, teams: CentreTeams | None, **kwargs) -> Team:
        team = await self.writer.team(**kwargs)
        self.counts.teams += 1
        if teams is not None:
            teams.staffed.append((team, staffed_near))
        self.tick(1)
        return team

    def _lecture_name(self, coastal: bool, prefer_sea: bool) -> str:
        """A lecture team name, unused until the pool runs out; the fishing-boat one only by the sea."""
        sea = "“海上船声筒”宣讲团"
        if coastal and prefer_sea and sea in self._lecture_names:
            self._lecture_names.remove(sea)
            return sea
        names = [n for n in self._lecture_names if coastal or n != sea]
        if not names:
            self._lecture_names = list(LECTURE_TEAM_NAMES)
            names = [n for n in self._lecture_names if coastal or n != sea]
        name = names[self.rng.randrange(len(names))]
        self._lecture_names.remove(name)
        return name

    async def teams_for(self, centre: Centre) -> CentreTeams:
        r, d, site = self.rng, centre.district, centre.node.site
        level = d.name[-1]
        corps = await self._team(
            centre.node, None, kind=TeamKind.CORPS, category=C.GENERAL, name=f"{d.name}新时代文明实践志愿服务总队",
            home_site=site, founded_on=self._founded((5, 7)), description=f"由{level}长任总队长，统筹全{level}志愿服务力量。",
        )
        teams = CentreTeams(corps)
        teams.staffed.append((corps, centre.node))
        detachments = [(name, cat, "") for name, cat in CATEGORY_DETACHMENTS]
        detachments += [(name, cat, "") for name, cat in r.sample(EMERGENCY_DETACHMENTS, 2)]
        detachments += list(THEMATIC_DETACHMENTS)
        for suffix, category, label in detachments:
            team = await self._team(
                centre.node, teams, kind=TeamKind.DETACHMENT, category=C(category), category_label=label,
                name=f"{d.name}{suffix}", home_site=site, parent=corps, founded_on=self._founded((3, 6)),
            )
            teams.by_category.setdefault(C(category), []).append(team)
        theory = teams.by_category[C.THEORY][0]
        for institute in centre.institutes:
            det = await self._team(
                institute, teams, kind=TeamKind.DETACHMENT, category=C.GENERAL, name=f"{institute.place}志愿服务支队",
                home_site=institute.site, parent=corps, founded_on=self._founded((2, 6)),
                description=f"{institute.place}党（工）委书记任支队长。",
            )
            teams.institute_detachment[institute.site.id] = det
            for suffix, category, label in r.sample(SQUADS, r.randint(1, 3)):
                squad = await self._team(
                    institute, teams, kind=TeamKind.SQUAD, category=C(category), category_label=label,
                    name=f"{institute.place}{suffix}", home_site=institute.site, parent=det,
                    founded_on=self._founded((1, 5)),
                )
                teams.squads.setdefault(institute.site.id, []).append(squad)
            for station in centre.stations_of(institute):
                teams.village_team[station.site.id] = await self._team(
                    station, teams, kind=TeamKind.TEAM, category=C(r.choice(VILLAGE_TEAM_CATEGORIES)),
                    name=f"{station.place}志愿服务队", home_site=station.site, parent=det,
                    founded_on=self._founded((1, 6)), description=f"{station.place}党组织书记任队长。",
                )
        # Lecture teams: one for the whole district, and some townships have their own.
        lecture = await self._team(
            centre.node, None, kind=TeamKind.SQUAD, category=C.THEORY, is_lecture_team=True,
            name=f"{d.name}{self._lecture_name(d.coastal, True)}", home_site=site, parent=theory,
            founded_on=self._founded((3, 7)), description="由党校教师、道德模范、“五老”人员等组成，开展“六进”宣讲。",
        )
        teams.lecture_teams.append(LectureTeam(lecture, centre.node))
        chosen = r.sample(centre.institutes, max(2, round(len(centre.institutes) * 0.4)))
        for institute in sorted(chosen, key=lambda n: n.site.id):
            team = await self._team(
                institute, None, kind=TeamKind.TEAM, category=C.THEORY, is_lecture_team=True,
                name=f"{institute.place}{self._lecture_name(d.coastal, r.random() < 0.5)}",
                home_site=institute.site, parent=theory, founded_on=self._founded((1, 5)),
                description="用群众听得懂的语言、喜闻乐见的形式宣讲党的创新理论。",
            )
            teams.lecture_teams.append(LectureTeam(team, institute))
        return teams

    async def people_for(self, centre: Centre, teams: CentreTeams) -> None:
        r = self.rng
        memberships: list[Membership] = []
        # Lecturers: each lecture team has its own, the district team borrows a few.
        local_teams = teams.lecture_teams[1:]
        district_team = teams.lecture_teams[0]
        for lt in [*local_teams, district_team]:
            for _ in range(r.randint(2, 4) if lt is not district_team else r.randint(4, 5)):
                lt.lecturer_ids.append(await self._lecturer(centre, lt))
        for lt in r.sample(local_teams, min(2, len(local_teams))):
            district_team.lecturer_ids.append(lt.lecturer_ids[0])
        for lt in teams.lecture_teams:
            lt.topics = sorted(set(lt.topics))
            for i, pid in enumerate(lt.lecturer_ids):
                role = MemberRole.LEADER if i == 0 else MemberRole.MEMBER
                memberships.append(self.writer.row(Membership, team_id=lt.team.id, person_id=pid, role=role, joined_on=lt.team.founded_on))
        # Volunteers live near a station; teams recruit near their home site.
        volunteers: list[Person] = []
        homes: list[Node] = []
        for _ in range(r.randint(100, 130)):
            home = r.choice(centre.stations)
            self._volunteer_seq += 1
            volunteers.append(self.writer.row(
                Person, name=self.namer.person(), home_site_id=home.site.id, phone=self.namer.phone(),
                volunteer_number=f"{centre.node.site.region_code}{self._volunteer_seq:06d}",
            ))
            homes.append(home)
        everyone = await self.writer.people(volunteers)
        by_institute: dict[int, list[int]] = {}
        for person_id, home in zip(everyone, homes):
            by_institute.setdefault(home.institute.site.id, []).append(person_id)
        for team, near in teams.staffed:
            if near is None or near is centre.node:
                pool = everyone
            else:
                pool = by_institute.get((near.institute or near).site.id) or everyone
            size = {TeamKind.CORPS: 4, TeamKind.DETACHMENT: 3}.get(team.kind, r.randint(3, 5))
            for i, pid in enumerate(r.sample(pool, min(size, len(pool)))):
                memberships.append(self.writer.row(
                    Membership,
                    team_id=team.id, person_id=pid, role=MemberRole.LEADER if i == 0 else MemberRole.MEMBER,
                    joined_on=self._joined(team.founded_on),
                ))
        await self.writer.memberships(memberships)
        self.counts.people += len(volunteers)
        self.counts.memberships += len(memberships)
        self.tick(len(volunteers))

    def _joined(self, founded: date | None) -> date:
        start = founded or date(self.today.year - 3, 1, 1)
        span = max((self.today - start).days, 1)
        # One draw whatever the span: randrange(span) takes more or fewer random bits as the
        # span (the load day) changes, and everything built after it would differ by load day.
        return date.fromordinal(start.toordinal() + int(self.rng.random() * span))

    async def _lecturer(self, centre: Centre, lt: LectureTeam) -> int:
        r = self.rng
        town = lt.scope.place if lt.scope is not centre.node else r.choice(centre.institutes).place
        village = r.choice(centre.stations_of(lt.scope) or centre.stations).place
        role = r.choice(LECTURER_ROLES).format(town=town, district=centre.district.name, village=village)
        pool = TOPICS + (COASTAL_TOPICS if centre.district.coastal else ())
        topics = r.sample(pool, r.randint(2, 4))
        lt.topics.extend(topics)
        mentor = r.random() < 0.2
        person_id = await self.writer.person(
            name=self.namer.person(), is_lecturer=True, title="新时代宣讲指导师" if mentor else "新时代宣讲员",
            bio=f"{role}，{r.randint(3, 12)}年来坚持开展基层宣讲，{r.choice(LECTURER_STYLES)}，"
            f"累计宣讲{r.randint(30, 400)}场。",
            topics=topics, home_site_id=lt.scope.site.id, phone=self.namer.phone(),
        )
        self.counts.people += 1
        self.counts.lecturers += 1
        self.tick(1)
        return person_id
