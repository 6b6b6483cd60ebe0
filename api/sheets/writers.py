"""One writer per sheet: find the record a row names (外部编号 or the natural key), check the
caller's role, and create or update it through the domain functions, with its audit entry."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta
from typing import Any

from tortoise.models import Model

from api.domain import audit, events as event_rules, people as people_rules, series
from api.domain import sites as site_rules, teams as team_rules, validation
from api.domain.clock import day_start
from api.domain.errors import DomainError
from api.domain.permissions import NETWORK
from api.domain.scope import require_team_link
from api.domain.writes import Write, save_versioned
from api.models.accounts import Role
from api.models.events import Event, EventLecturer, EventStatus
from api.models.people import Person
from api.models.platforms import Platform
from api.models.sites import Site, SiteKind, Venue
from api.models.teams import Membership, MemberRole, Team
from api.sheets import columns
from api.sheets.imports import CREATE, UNCHANGED, UPDATE, Outcome, RowProblem, cell
from api.sheets.lookup import SiteIndex, SiteRef, pick_nearest
from api.sheets.phrases import CellError, event_span, parse_recurrence



def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _same(old: Any, new: Any) -> bool:
    # A workbook keeps 15-16 significant digits of a float (a coordinate read back is a hair off).
    if isinstance(old, float) and isinstance(new, float):
        return math.isclose(old, new, rel_tol=1e-12, abs_tol=1e-9)
    return old == new


class Writer:
    sheet: columns.Sheet
    model: type[Model]
    # Input names the domain rules use in their errors, for columns that are not named alike.
    fields_to_headers: dict[str, str] = {}

    def __init__(self, write: Write, within: str) -> None:
        self.write, self.actor, self.within = write, write.actor, within
        self.headers = {_camel(c.key): c.header for c in self.sheet.columns} | self.fields_to_headers
        self.keys = {c.header: c.key for c in self.sheet.columns}

    async def prepare(self) -> None:
        self.sites = SiteIndex()

    def header_for(self, field: str | None) -> str | None:
        return self.headers.get((field or "").split(".")[0])

    def key_for(self, header: str) -> str:
        return self.keys[header]

    async def site(self, header: str, names: tuple[str, ...]) -> SiteRef:
        try:
            return await self.sites.find(names)
        except CellError as exc:
            raise RowProblem(header, exc.message, "/".join(names)) from None

    async def nearest(self, header: str, candidates: list, site: SiteRef, what: str, name: str) -> Any:
        """Among records of one name, the one whose home site is nearest above `site`."""
        homes = {}
        for c in candidates if len(candidates) > 1 else ():  # one candidate is the one, wherever it lives
            homes[c.home_site_id] = await self.sites.ref(c.home_site_id)

        def path_of(c) -> str:
            return homes[c.home_site_id].path if homes.get(c.home_site_id) else ""

        return cell(header, lambda: pick_nearest(candidates, site.path, path_of, what, name), name)

    def require(self, path: str | None, where: str, header: str | None, value: Any = "") -> None:
        """EDITOR on the path, and the path inside --within."""
        if path is not NETWORK and not path.startswith(self.within):
            raise RowProblem(header, f"{where} is outside the site this import is limited to (--within)", value)
        if path is NETWORK and self.within != "/":
            raise RowProblem(header, f"{where} belongs to the whole network, outside --within", value)
        try:
            self.actor.require(Role.EDITOR, path, where=where)
        except DomainError as exc:
            raise RowProblem(header, exc.message, value, exc.code) from None

    def fields(self, values: dict[str, Any], *names: str) -> dict[str, Any]:
        """The given columns' values, a blank cell as the field's empty value."""
        out = {}
        for name in names:
            if name in values:
                value = values[name]
                meta = self.model._meta.fields_map[name]
                if value is None and not meta.null:
                    value = meta.default() if callable(meta.default) else meta.default
                out[name] = value
        return out

    def changes(self, obj: Model, new: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in new.items() if not _same(getattr(obj, k), v)}

    def changed_headers(self, changes: dict[str, Any]) -> list[str]:
        return [self.headers.get(_camel(k.removesuffix("_id")), self.headers.get(_camel(k), k)) for k in changes]

    async def keyed(self, values: dict[str, Any]) -> Model | None:
        key = values.get("external_key")
        if key:
            # Oldest first: the same record every time, should two share a key.
            return await self.model.filter(external_key=key, deleted_at__isnull=True).order_by("id").first()
        return None


class SiteWriter(Writer):
    sheet = columns.SITES
    model = Site
    fields_to_headers = {"parentId": "上级"}
    EDITABLE = ("name", "region_code", "address", "latitude", "longitude", "opening_hours", "description",
                "has_venue", "has_team", "has_activities", "has_projects", "has_mechanism", "star_rating",
                "pilot_level", "pilot_date", "contact_name", "contact_phone")

    async def apply(self, number: int, values: dict[str, Any]) -> Outcome:
        site = await self.keyed(values)
        parent_given = "parent" in values
        if site is None and not parent_given:
            raise RowProblem("上级", "the sheet has no 上级 column: a row without 外部编号 is found by 上级 + 名称")
        parent = await self.site("上级", values["parent"]) if values.get("parent") else None
        names = (tuple(values["parent"]) if parent else ()) + (values["name"],)
        if site is None:
            site = await self.sites.child(parent, values["name"])
        fields = self.fields(values, *self.EDITABLE)
        if values.get("external_key"):
            fields["external_key"] = values["external_key"]
        label = "/".join(names)
        if site is None:
            where = f"a site under {parent.name}" if parent else "a new centre"
            self.require(parent.path if parent else NETWORK, where, "上级", values.get("parent") and "/".join(values["parent"]))
            parent_row = await Site.get(id=parent.id) if parent else None
            site = await site_rules.create_site(kind=values["kind"], parent=parent_row, **fields)
            await self.write.audit("CREATE", site, site_path=site.path)
            self.sites.add(SiteRef(site.id, site.name, site.path, site.parent_id))
            return Outcome(number, CREATE, label)
        self.require(site.path, f"site {site.name}", "名称", site.name)
        if values["kind"] != site.kind:
            raise RowProblem("类型", f"{site.name} is a {site.kind.value}; a sheet cannot change a site's kind", values["kind"].value)
        changes = self.changes(site, fields)
        move = parent_given and (parent.id if parent else None) != site.parent_id
        if not changes and not move:
            return Outcome(number, UNCHANGED, label)
        before = audit.snapshot(site)
        new_parent: Any = ...
        if move:
            self.require(parent.path if parent else NETWORK, f"moving {site.name}", "上级", "/".join(values["parent"] or ()))
            new_parent = await Site.get(id=parent.id) if parent else None
        site = await site_rules.update_site(site, site.version, changes, parent=new_parent)
        await self.write.audit("UPDATE", site, site_path=site.path, before=before)
        if move or "name" in changes:
            self.sites.forget()  # paths of the whole subtree moved
        return Outcome(number, UPDATE, label, self.changed_headers(changes) + (["上级"] if move else []))


class VenueWriter(Writer):
    sheet = columns.VENUES
    model = Venue

    async def apply(self, number: int, values: dict[str, Any]) -> Outcome:
        site = await self.site("阵地", values["site"])
        self.require(site.path, f"site {site.name}", "阵地", "/".join(values["site"]))
        fields = self.fields(values, "kind", "capacity", "description")
        fields["description"] = validation.text(fields.get("description"), "description", max_length=5000, required=False)
        label = f"{'/'.join(values['site'])} {values['name']}"
        venue = await Venue.filter(site_id=site.id, name=values["name"], deleted_at__isnull=True).first()
        if venue is None:
            venue = await Venue.create(site_id=site.id, name=values["name"], **fields)
            await self.write.audit("CREATE", venue, site_path=site.path)
            return Outcome(number, CREATE, label)
        changes = self.changes(venue, fields)
        if not changes:
            return Outcome(number, UNCHANGED, label)
        before = audit.snapshot(venue)
        venue = await save_versioned(venue, venue.version, changes, f"venue {venue.name}")
        await self.write.audit("UPDATE", venue, site_path=site.path, before=before)
        return Outcome(number, UPDATE, label, self.changed_headers(changes))


class TeamWriter(Writer):
    sheet = columns.TEAMS
    model = Team
    fields_to_headers = {"parentId": "上级队伍", "homeSiteId": "所属阵地"}
    EDITABLE = ("name", "kind", "category", "category_label", "is_lecture_team", "founded_on", "description")

    async def prepare(self) -> None:
        await super().prepare()
        self.by_name: dict[str, list[Team]] = defaultdict(list)
        for team in await Team.filter(deleted_at__isnull=True):
            self.by_name[team.name].append(team)

    async def apply(self, number: int, values: dict[str, Any]) -> Outcome:
        home = await self.site("所属阵地", values["home_site"])
        team = await self.keyed(values)
        if team is None:
            team = next((t for t in self.by_name.get(values["name"], []) if t.home_site_id == home.id), None)
        parent: Any = team_rules.KEEP
        if "parent" in values:
            parent = None
            if values["parent"]:
                candidates = [t for t in self.by_name.get(values["parent"], []) if team is None or t.id != team.id]
                parent = await self.nearest("上级队伍", candidates, home, "队伍", values["parent"])
        fields = self.fields(values, *self.EDITABLE)
        if values.get("external_key"):
            fields["external_key"] = values["external_key"]
        label = f"{'/'.join(values['home_site'])} {values['name']}"
        self.require(home.path, f"site {home.name}", "所属阵地", "/".join(values["home_site"]))
        home_row = await Site.get(id=home.id)
        if team is None:
            team = await team_rules.create_team(home_site=home_row, parent=parent if parent is not team_rules.KEEP else None, **fields)
            await self.write.audit("CREATE", team, site_path=home.path)
            self.by_name[team.name].append(team)
            return Outcome(number, CREATE, label)
        old_home = await self.sites.ref(team.home_site_id)
        self.require(old_home.path, f"team {team.name}", "名称", team.name)
        changes = self.changes(team, fields)
        moves_home = home.id != team.home_site_id
        new_parent = parent is not team_rules.KEEP and (parent.id if parent else None) != team.parent_id
        if not changes and not moves_home and not new_parent:
            return Outcome(number, UNCHANGED, label)
        before, old_name = audit.snapshot(team), team.name
        team = await team_rules.update_team(
            team, team.version, changes, parent=parent if new_parent else team_rules.KEEP,
            home_site=home_row if moves_home else team_rules.KEEP,
        )
        await self.write.audit("UPDATE", team, site_path=home.path, before=before)
        if old_name != team.name:
            self.by_name[old_name] = [t for t in self.by_name[old_name] if t.id != team.id]
            self.by_name[team.name].append(team)
        extra = (["所属阵地"] if moves_home else []) + (["上级队伍"] if new_parent else [])
        return Outcome(number, UPDATE, label, self.changed_headers(changes) + extra)


class PersonWriter(Writer):
    sheet = columns.PEOPLE
    model = Person
    fields_to_headers = {"homeSiteId": "所属阵地"}
    EDITABLE = ("name", "is_lecturer", "title", "volunteer_number", "phone", "topics", "bio")

    async def apply(self, number: int, values: dict[str, Any]) -> Outcome:
        home = await self.site("所属阵地", values["home_site"]) if values.get("home_site") else None
        person = await self.keyed(values)
        if person is None and values.get("volunteer_number"):
            person = await Person.filter(volunteer_number=values["volunteer_number"], deleted_at__isnull=True).first()
        if person is None and not values.get("volunteer_number"):
            person = await Person.filter(name=values["name"], home_site_id=home.id if home else None, deleted_at__isnull=True).first()
        fields = self.fields(values, *self.EDITABLE)
        if fields.get("volunteer_number") == "":
            fields["volunteer_number"] = None
        if "home_site" in values:
            fields["home_site_id"] = home.id if home else None
        if values.get("external_key"):
            fields["external_key"] = values["external_key"]
        path = home.path if home else NETWORK
        label = values["name"]
        self.require(path, f"site {home.name}" if home else "a person with no home site (network-wide)", "所属阵地",
                     "/".join(values.get("home_site") or ()))
        if person is None:
            person = await people_rules.create_person(**fields)
            await self.write.audit("CREATE", person, site_path=path)
            return Outcome(number, CREATE, label)
        old = await self.sites.ref(person.home_site_id)
        self.require(old.path if old else NETWORK, f"person {person.name}", "姓名", person.name)
        changes = self.changes(person, fields)
        if not changes:
            return Outcome(number, UNCHANGED, label)
        before = audit.snapshot(person)
        person = await people_rules.update_person(person, person.version, changes)
        await self.write.audit("UPDATE", person, site_path=path, before=before)
        return Outcome(number, UPDATE, label, self.changed_headers(changes))


class MembershipWriter(Writer):
    sheet = columns.MEMBERSHIPS
    model = Membership

    async def apply(self, number: int, values: dict[str, Any]) -> Outcome:
        site = await self.site("队伍所属阵地", values["team_site"])
        team = await Team.filter(home_site_id=site.id, name=values["team"], deleted_at__isnull=True).first()
        if team is None:
            raise RowProblem("队伍", f"{'/'.join(values['team_site'])} 没有名为“{values['team']}”的队伍", values["team"])
        self.require(site.path, f"team {team.name}", "队伍", values["team"])
        person = await self._person(values, site)
        label = f"{team.name} {person.name}"
        role = values.get("role") or MemberRole.MEMBER
        membership = await Membership.get_or_none(team_id=team.id, person_id=person.id)
        if membership is None:
            membership = await team_rules.add_member(team, person, role=role, joined_on=values.get("joined_on"))
            await self.write.audit("CREATE", membership, site_path=site.path)
            return Outcome(number, CREATE, label)
        if membership.deleted_at is not None:
            raise RowProblem("姓名", f"{person.name} was a member of {team.name} and was removed; restore the membership first", person.name)
        fields = {"role": role} | ({"joined_on": values["joined_on"]} if "joined_on" in values else {})
        changes = self.changes(membership, fields)
        if not changes:
            return Outcome(number, UNCHANGED, label)
        before = audit.snapshot(membership)
        membership = await save_versioned(membership, membership.version, changes, "the membership")
        await self.write.audit("UPDATE", membership, site_path=site.path, before=before)
        return Outcome(number, UPDATE, label, self.changed_headers(changes))

    async def _person(self, values: dict[str, Any], team_site: SiteRef) -> Person:
        if values.get("volunteer_number"):
            person = await Person.filter(volunteer_number=values["volunteer_number"], deleted_at__isnull=True).first()
            if person is None:
                raise RowProblem("志愿者编号", "没有这个志愿者编号的人员（先导入人员表）", values["volunteer_number"])
        else:
            found = Person.filter(name=values["name"], deleted_at__isnull=True)
            if values.get("person_site"):
                found = found.filter(home_site_id=(await self.site("人员所属阵地", values["person_site"])).id)
            people = await found
            if len(people) > 1:
                people = [p for p in people if p.home_site_id == team_site.id] or people
            if len(people) != 1:
                problem = "没有名为“{}”的人员（先导入人员表）" if not people else "有 {n} 个人叫“{}”；请写志愿者编号或人员所属阵地"
                raise RowProblem("姓名", problem.format(values["name"], n=len(people)), values["name"])
            person = people[0]
        home = await self.sites.ref(person.home_site_id)
        if not people_rules.sees_person(self.actor, person.is_lecturer, home.path if home else NETWORK):
            raise RowProblem("姓名", "that person is outside your scope", values["name"], "OUT_OF_SCOPE")
        if values["name"] != person.name:
            raise RowProblem("姓名", f"志愿者编号 {values['volunteer_number']} 是 {person.name}，不是 {values['name']}", values["name"])
        return person


class EventWriter(Writer):
    sheet = columns.EVENTS
    model = Event
    fields_to_headers = {
        "startsAt": "日期", "endsAt": "时间", "rrule": "重复", "siteId": "阵地", "venueId": "场所", "teamId": "队伍",
        "lecturerIds": "讲师", "platformId": "平台", "exdates": "重复", "onMakeUpWorkdays": "调休上班日照常",
    }
    PLAIN = ("kind", "title", "topic", "summary", "audience", "capacity", "skip_holidays", "on_makeup_workdays")

    async def prepare(self) -> None:
        await super().prepare()
        self.platforms: dict[str, Platform] = {}
        for p in await Platform.filter(deleted_at__isnull=True):
            self.platforms.setdefault(p.name, p)
            self.platforms.setdefault(p.code, p)
        self.teams: dict[str, list[Team]] = defaultdict(list)
        for team in await Team.filter(deleted_at__isnull=True):
            self.teams[team.name].append(team)
        self.rows_by_key: dict[tuple, int] = {}  # the row that named each event, to refuse a second

    def _once(self, number: int, values: dict[str, Any], site: SiteRef, starts_at) -> None:
        """One row per event: a second row with the same 外部编号, or without one the same
        阵地 + 标题 + 日期 + 开始时刻, would silently overwrite the first."""
        if key := values.get("external_key"):
            found, header, what = ("外部编号", key), "外部编号", f"外部编号 {key}"
        else:
            found, header, what = (site.id, values["title"], starts_at), "标题", "阵地、标题、日期和开始时刻"
        if (first := self.rows_by_key.setdefault(found, number)) != number:
            raise RowProblem(header, f"与第 {first} 行是同一个活动（{what}相同）；一个活动只写一行，"
                                     "同名同时的不同活动请写不同的外部编号", values.get("external_key") or values["title"])

    async def apply(self, number: int, values: dict[str, Any]) -> Outcome:
        site = await self.site("阵地", values["site"])
        platform = self.platforms.get(values["platform"])
        if platform is None:
            raise RowProblem("平台", f"没有平台“{values['platform']}”；可选：{'、'.join(p.name for p in set(self.platforms.values()))}", values["platform"])
        times = values.get("times")
        all_day = times is None
        last = values.get("end_date") or values["date"]
        if last < values["date"]:
            raise RowProblem("结束日期", f"结束日期 {last} 早于日期 {values['date']}", last.isoformat())
        if all_day:
            starts_at, ends_at = day_start(values["date"]), day_start(last + timedelta(days=1))
        else:
            try:
                starts_at, ends_at = event_span(values["date"], last, times)
            except CellError as error:
                raise RowProblem("时间", error.message, f"{times[0]:%H:%M}-{times[1]:%H:%M}") from None
        rrule = cell("重复", lambda: parse_recurrence(values.get("recurrence"), all_day=all_day), values.get("recurrence"))
        fields = self.fields(values, *self.PLAIN) | {
            "platform_id": platform.id, "site_id": site.id, "starts_at": starts_at, "ends_at": ends_at,
            "all_day": all_day, "rrule": rrule,
        }
        if "format" in values:
            fields["format"] = values["format"]
        if "venue" in values:
            fields["venue_id"] = await self._venue(values["venue"], site)
        if "team" in values:
            fields["team_id"] = await self._team(values["team"], site)
        lecturers = await self._lecturers(values["lecturers"], site) if "lecturers" in values else None
        status = values.get("status") or EventStatus.PUBLISHED
        if values.get("external_key"):
            fields["external_key"] = values["external_key"]
        label = f"{values['date']:%Y-%m-%d} {values['title']}"
        self._once(number, values, site, starts_at)  # after the row's own problems, which are reported first
        self.require(site.path, f"events at {site.name}", "阵地", "/".join(values["site"]))
        event = await self.keyed(values)
        if event is None:
            event = await Event.filter(site_id=site.id, title=values["title"], starts_at=starts_at,
                                       deleted_at__isnull=True).order_by("id").first()
        if event is None:
            if fields.get("team_id"):
                await require_team_link(self.actor, await Team.get(id=fields["team_id"]), field="teamId")
            kind, title = fields.pop("kind"), fields.pop("title")
            event = await event_rules.create_event(
                kind=kind, title=title, lecturer_ids=lecturers or (), status=status,
                changes=self.write.occurrence_changes, **fields,
            )
            await self.write.audit("CREATE", event, site_path=site.path)
            return Outcome(number, CREATE, label)
        old = await self.sites.ref(event.site_id)
        self.require(old.path if old else "", f"event {event.title}", "标题", event.title)
        changes = self.changes(event, fields)
        current = list(await EventLecturer.filter(event_id=event.id).order_by("position").values_list("person_id", flat=True))
        lecturers_change = lecturers is not None and lecturers != current
        status_change = status != event.status
        if not changes and not lecturers_change and not status_change:
            return Outcome(number, UNCHANGED, label)
        if changes.get("team_id"):
            await require_team_link(self.actor, await Team.get(id=changes["team_id"]), field="teamId")
        before = audit.snapshot(event)
        if changes or lecturers_change:
            event = await series.update_series(event, event.version, changes, lecturers if lecturers_change else None,
                                               self.write.occurrence_changes)
        if status_change:
            event = await series.set_status(event, event.version, status, self.write.occurrence_changes)
        await self.write.audit("UPDATE", event, site_path=site.path, before=before)
        extra = (["讲师"] if lecturers_change else []) + (["状态"] if status_change else [])
        return Outcome(number, UPDATE, label, self.changed_headers(changes) + extra)

    async def _venue(self, name: str | None, site: SiteRef) -> int | None:
        if not name:
            return None
        venue = await Venue.filter(site_id=site.id, name=name, deleted_at__isnull=True).first()
        if venue is None:
            raise RowProblem("场所", f"{site.name} 没有名为“{name}”的场所", name)
        return venue.id

    async def _team(self, name: str | None, site: SiteRef) -> int | None:
        if not name:
            return None
        return (await self.nearest("队伍", self.teams.get(name, []), site, "队伍", name)).id

    async def _lecturers(self, names: list[str] | None, site: SiteRef) -> list[int]:
        found: dict[str, list[Person]] = defaultdict(list)
        for person in await Person.filter(name__in=names or [], is_lecturer=True, deleted_at__isnull=True):
            found[person.name].append(person)
        return [(await self.nearest("讲师", found.get(n, []), site, "讲师", n)).id for n in names or []]


WRITERS: dict[str, type[Writer]] = {
    "sites": SiteWriter, "venues": VenueWriter, "teams": TeamWriter, "people": PersonWriter, "memberships": MembershipWriter, "events": EventWriter,
}
