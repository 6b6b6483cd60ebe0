"""Exporting records in their sheet's columns, so export, edit, import is a round trip that
changes nothing when nothing was edited. Rows stream to xlsxwriter (constant memory) or csv."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import xlsxwriter

from api.domain.clock import day_start, local
from api.domain.errors import DomainError
from api.domain.people import sees_private
from api.domain.permissions import NETWORK, Actor
from api.domain.sites import subtree
from api.models.events import Event, EventLecturer, EventStatus
from api.models.people import Person
from api.models.platforms import Platform
from api.models.sites import Site, Venue
from api.models.teams import Membership, Team
from api.sheets import labels
from api.sheets.columns import SHEETS, Sheet
from api.sheets.lookup import SiteIndex
from api.sheets.phrases import recurrence_words, span_words
from api.sheets.template import XLSX

PRIVATE_KINDS = {"people", "memberships"}  # names of volunteers: never public
CSV = "text/csv; charset=utf-8"
BATCH = 2000


def _yes(value: bool) -> str:
    return "是" if value else "否"


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


async def _batches(query) -> AsyncIterator[list]:
    """Keyset pages by id: memory stays flat however many rows there are."""
    last = 0
    while True:
        rows = await query.filter(id__gt=last).order_by("id").limit(BATCH)
        if not rows:
            return
        yield rows
        last = rows[-1].id


class Export:
    def __init__(self, kind: str, actor: Actor, within: Site | None, start: date | None = None, end: date | None = None) -> None:
        self.sheet: Sheet = SHEETS[kind]
        self.kind, self.actor, self.within = kind, actor, within
        self.start, self.end = start, end
        self.path = within.path if within else "/"
        scope = within.path if within else NETWORK
        if kind in PRIVATE_KINDS and not sees_private(actor, scope):
            where = within.name if within else "the whole network"
            raise DomainError(f"{kind} hold personal data: exporting them needs a token with VIEWER (or more) on {where}",
                              field="token", code="FORBIDDEN")
        # Personal columns only for those who may read them for the whole export.
        self.private = sees_private(actor, scope)
        self.columns = [c for c in self.sheet.columns if self.private or not c.private]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    async def rows(self) -> AsyncIterator[list[Any]]:
        self.sites = SiteIndex()
        produce = getattr(self, f"_{self.kind}")
        keys = [c.key for c in self.columns]
        async for record in produce():
            yield [_cell(record.get(k)) for k in keys]

    def _names(self, site_id: int | None) -> str:
        """A site's path of names; its page's sites were loaded first (_page)."""
        ref = self.sites.known(site_id)
        return self.sites.names_known(ref) if ref else ""

    async def _page(self, query, *site_ids_of) -> AsyncIterator[list]:
        """Keyset pages, each with the sites its rows name at hand."""
        async for batch in _batches(query):
            await self.sites.load(i for row in batch for of in site_ids_of for i in of(row))
            yield batch

    async def _sites(self):
        # Parents before children (by depth), so the sheet imports in order.
        for depth in range(0, 8):
            query = Site.filter(subtree(self.path), deleted_at__isnull=True, depth=depth)
            async for batch in self._page(query, lambda s: [s.parent_id]):
                for s in batch:
                    yield {
                        "external_key": s.external_key, "parent": self._names(s.parent_id), "name": s.name,
                        "kind": labels.word(labels.SITE_KIND, s.kind), "region_code": s.region_code, "address": s.address,
                        "latitude": s.latitude, "longitude": s.longitude, "opening_hours": s.opening_hours,
                        "description": s.description, "has_venue": _yes(s.has_venue), "has_team": _yes(s.has_team),
                        "has_activities": _yes(s.has_activities), "has_projects": _yes(s.has_projects),
                        "has_mechanism": _yes(s.has_mechanism), "star_rating": s.star_rating,
                        "pilot_level": labels.word(labels.PILOT_LEVEL, s.pilot_level), "pilot_date": s.pilot_date,
                        "contact_name": s.contact_name, "contact_phone": s.contact_phone,
                    }

    async def _venues(self):
        query = Venue.filter(subtree(self.path, "site__path"), deleted_at__isnull=True, site__deleted_at__isnull=True)
        async for batch in self._page(query, lambda v: [v.site_id]):
            for v in batch:
                yield {
                    "site": self._names(v.site_id), "name": v.name, "kind": labels.word(labels.VENUE_KIND, v.kind),
                    "capacity": v.capacity, "description": v.description,
                }

    async def _teams(self):
        names = dict(await Team.all().values_list("id", "name"))
        query = Team.filter(subtree(self.path, "home_site__path"), deleted_at__isnull=True)
        for kind in labels.TEAM_KIND.values():  # corps first: a parent before its children
            async for batch in self._page(query.filter(kind=kind), lambda t: [t.home_site_id]):
                for t in batch:
                    yield {
                        "external_key": t.external_key, "name": t.name, "kind": labels.word(labels.TEAM_KIND, t.kind),
                        "category": labels.word(labels.TEAM_CATEGORY, t.category), "category_label": t.category_label,
                        "home_site": self._names(t.home_site_id), "parent": names.get(t.parent_id, ""),
                        "is_lecture_team": _yes(t.is_lecture_team), "founded_on": t.founded_on, "description": t.description,
                    }

    async def _people(self):
        query = Person.filter(deleted_at__isnull=True)
        if self.within:
            query = query.filter(subtree(self.path, "home_site__path"))
        async for batch in self._page(query, lambda p: [p.home_site_id]):
            for p in batch:
                yield {
                    "external_key": p.external_key, "name": p.name, "is_lecturer": _yes(p.is_lecturer), "title": p.title,
                    "home_site": self._names(p.home_site_id), "volunteer_number": p.volunteer_number,
                    "phone": p.phone, "topics": "、".join(p.topics or []), "bio": p.bio,
                }

    async def _memberships(self):
        query = Membership.filter(subtree(self.path, "team__home_site__path"), deleted_at__isnull=True,
                                  team__deleted_at__isnull=True, person__deleted_at__isnull=True)
        async for batch in self._page(query.prefetch_related("team", "person"),
                                      lambda m: [m.team.home_site_id, m.person.home_site_id]):
            for m in batch:
                yield {
                    "team_site": self._names(m.team.home_site_id), "team": m.team.name, "name": m.person.name,
                    "volunteer_number": m.person.volunteer_number, "person_site": self._names(m.person.home_site_id),
                    "role": labels.word(labels.MEMBER_ROLE, m.role), "joined_on": m.joined_on,
                }

    async def _events(self):
        platforms = dict(await Platform.all().values_list("id", "name"))
        teams = dict(await Team.all().values_list("id", "name"))
        query = Event.filter(subtree(self.path, "site__path"), deleted_at__isnull=True)
        if not self.private:
            query = query.exclude(status=EventStatus.DRAFT)
        if self.start:
            query = query.filter(starts_at__gte=day_start(self.start))
        if self.end:
            query = query.filter(starts_at__lt=day_start(self.end + timedelta(days=1)))  # --to is inclusive
        async for batch in self._page(query, lambda e: [e.site_id]):
            ids = [e.id for e in batch]
            venues = dict(await Venue.filter(id__in=[e.venue_id for e in batch if e.venue_id]).values_list("id", "name"))
            lecturers: dict[int, list[str]] = {}
            for link in await EventLecturer.filter(event_id__in=ids).order_by("position", "id").prefetch_related("person"):
                lecturers.setdefault(link.event_id, []).append(link.person.name)
            for e in batch:
                start = local(e.starts_at)
                times, last = ("", (local(e.ends_at) - timedelta(days=1)).date()) if e.all_day else span_words(e.starts_at, e.ends_at)
                yield {
                    "external_key": e.external_key, "kind": labels.word(labels.EVENT_KIND, e.kind), "title": e.title,
                    "platform": platforms.get(e.platform_id, ""), "site": self._names(e.site_id),
                    "venue": venues.get(e.venue_id, ""), "team": teams.get(e.team_id, ""), "date": start.date(),
                    "times": times,
                    "end_date": last if last != start.date() else None, "recurrence": recurrence_words(e.rrule),
                    "skip_holidays": _yes(e.skip_holidays), "on_makeup_workdays": _yes(e.on_makeup_workdays),
                    "format": labels.word(labels.LECTURE_FORMAT, e.format), "lecturers": "、".join(lecturers.get(e.id, [])),
                    "topic": e.topic, "summary": e.summary, "audience": e.audience, "capacity": e.capacity,
                    "status": labels.word(labels.EVENT_STATUS, e.status),
                }


async def write_xlsx(export: Export) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "constant_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet(export.sheet.title)
    bold = book.add_format({"bold": True, "bg_color": "#FDE9D9", "border": 1})
    sheet.write_row(0, 0, export.headers, bold)
    for i, header in enumerate(export.headers):
        sheet.set_column(i, i, max(10, len(header) * 2 + 4))
    number = 1
    async for row in export.rows():
        for i, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(number, i, value)  # never turned into a number or a formula
            else:
                sheet.write(number, i, value)
        number += 1
    book.close()
    return out.getvalue()


async def write_csv(export: Export) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(export.headers)
    async for row in export.rows():
        writer.writerow(row)
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read it as UTF-8


FORMATS = {"xlsx": (write_xlsx, XLSX), "csv": (write_csv, CSV)}
