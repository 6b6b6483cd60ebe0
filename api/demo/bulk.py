"""``BulkWriter``: the demo's rows written in batches, for networks of tens of thousands of sites.

The normal path (``api.demo.writer.DirectWriter``) costs a few round trips per row: 51 sites/s
and 520 occurrences/s at province size. This writer gives every row its id in memory (ids
continue after the highest stored, in the order the builders make them, which is the order the
normal path would store them in), keeps the rows, and writes each table in large batches at
the end (``finish``): COPY on PostgreSQL, executemany on SQLite. Occurrences are made by
``occurrences.instances`` and ``occurrence_fields``, the rule every edit's rewrite uses, and the
search index rows by ``search.index.entries``, as a reindex makes them (``index``).

What it checks: the rules that need no database (site parents, names, a team's rank and area,
categories, event titles and times). What the builders guarantee instead of a query: a venue
belongs to the event's site, lecturers are lecturers, every override is an instance of its
series (they pick them from the series' own instances). ``tests/test_demo_bulk.py`` compares a
bulk-loaded demo with the normal path's, row for row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from functools import cache
from operator import attrgetter
from types import SimpleNamespace
from typing import Any

from tortoise import timezone
from tortoise.fields import JSONField
from tortoise.fields.data import CharEnumFieldInstance
from tortoise.models import Model
from tortoise.transactions import in_transaction

from api.db.deferred_indexes import deferred_indexes
from api.domain import occurrences, validation
from api.domain.clock import local
from api.domain.errors import DomainError
from api.domain.sites import check_fields as check_site_fields
from api.domain.sites import check_parent as check_site_parent
from api.domain.teams import RANK, check_category
from api.domain.teams import check_fields as check_team_fields
from api.domain.recurrence import Adjusted, Change
from api.models.events import Event, EventLecturer, EventOverride, Occurrence
from api.models.search import SearchDoc
from api.search.index import MODELS, bulk_indexing, entries, follow, is_public, texts
from api.search.parallel import Tokenising
from api.models.people import Person
from api.models.sites import Site, SiteKind, Venue
from api.models.teams import Membership, Team

from api.demo.writer import Changes

Progress = Callable[[str, int, int], None]
BATCH = 5000  # rows per executemany
OCCURRENCE_BATCH = 20_000  # occurrence rows per insert
# Tables in the order their foreign keys allow, and whether ids are given here.
TABLES: tuple[tuple[type[Model], bool], ...] = (
    (Site, True), (Venue, True), (Team, True), (Person, True), (Membership, False),
    (Event, True), (EventLecturer, False), (EventOverride, False),
)


class BulkWriter:
    def __init__(self) -> None:
        self.rows: dict[type[Model], list[Model]] = {model: [] for model, _ in TABLES}
        self._next: dict[type[Model], int] = {}
        self._paths: dict[int, str] = {}  # site id -> path, for teams' area rule
        self._team_homes: dict[int, int] = {}  # team id -> home site id
        self._last_ends: dict[int, datetime] = {}  # event id -> end of its last occurrence
        self.occurrence_count = 0
        self._tokenising: Tokenising | None = None

    @classmethod
    async def start(cls) -> BulkWriter:
        """A writer whose ids follow the highest stored ones."""
        writer = cls()
        for model, given in TABLES:
            if given:
                last = await model.all().order_by("-id").limit(1).values_list("id", flat=True)
                writer._next[model] = (last[0] if last else 0) + 1
        return writer

    def _add(self, row: Any, model: type[Model] | None = None) -> Any:
        model = model or type(row)
        if model in self._next:
            row.id = self._next[model]
            self._next[model] += 1
        self.rows[model].append(row)
        return row

    # -- the builders' side: the same methods as DirectWriter ------------------------------

    def row(self, model: type[Model], **fields) -> SimpleNamespace:
        """A plain row, not a model instance (a Tortoise instance costs ~60 us to make)."""
        return _row(model, **fields)

    async def site(self, *, kind: SiteKind, parent: Site | None = None, **fields) -> Site:
        check_site_parent(kind, parent)
        check_site_fields(fields)
        site = self._add(_row(Site, kind=kind, parent_id=parent.id if parent else None, depth=parent.depth + 1 if parent else 0, **fields), Site)
        site.path = f"{parent.path if parent else '/'}{site.id}/"
        self._paths[site.id] = site.path
        return site

    async def venues(self, venues: list[Venue]) -> list[int]:
        return [self._add(v, Venue).id for v in venues]

    async def team(self, *, kind, category, name: str, home_site: Site, parent: Team | None = None, **fields) -> Team:
        fields = check_team_fields({"name": name, **fields})
        check_category(category, fields.get("category_label", ""))
        if parent is not None:
            if RANK[parent.kind] >= RANK[kind]:
                raise DomainError(f"a {kind.value} cannot be placed under a {parent.kind.value}", field="parentId", code="BAD_PARENT")
            if not home_site.path.startswith(self._paths[self._team_homes[parent.id]]):
                raise DomainError(f"{home_site.name} is not in the area of {parent.name}", field="homeSiteId", code="BAD_PARENT")
        team = self._add(_row(Team, kind=kind, category=category, home_site_id=home_site.id, parent_id=parent.id if parent else None, **fields), Team)
        self._team_homes[team.id] = home_site.id
        return team

    async def person(self, **fields) -> int:
        return self._add(_row(Person, **fields), Person).id

    async def people(self, people: list[Person]) -> list[int]:
        return [self._add(p, Person).id for p in people]

    async def memberships(self, rows: list[Membership]) -> None:
        self.rows[Membership].extend(rows)

    async def event(self, fields: dict, changes: Changes) -> None:
        fields = dict(fields)
        lecturer_ids = fields.pop("lecturer_ids", ())
        # What check_event normalises (its database lookups are the builders' guarantees).
        fields["title"] = validation.text(fields["title"], "title", max_length=120)
        fields["summary"] = validation.text(fields.get("summary", ""), "summary", max_length=300, required=False)
        fields["starts_at"], fields["ends_at"] = local(fields["starts_at"]), local(fields["ends_at"])
        if fields["ends_at"] <= fields["starts_at"]:
            raise DomainError("endsAt must be after startsAt", field="endsAt", code="END_BEFORE_START")
        fields["rrule"] = fields.get("rrule") or None
        fields["exdates"] = list(fields.get("exdates", ()))
        # change_occurrence bumps the event's version once per change, and saves the override twice.
        # finish() writes its occurrences up to today's horizon, as occurrences.refresh would.
        row = _row(Event, **{**fields, "version": 1 + len(changes), "materialised_until": occurrences.horizon_end()})
        row.materialised_complete = occurrences.complete(row, row.materialised_until)
        event = self._add(row, Event)
        for position, person_id in enumerate(lecturer_ids):
            self.rows[EventLecturer].append(_row(EventLecturer, event_id=event.id, person_id=person_id, position=position))
        for recurrence_id, change in changes:
            self.rows[EventOverride].append(_row(EventOverride,
                event_id=event.id, recurrence_id=local(recurrence_id), cancelled=change.get("cancelled", False),
                starts_at=local(change["starts_at"]) if change.get("starts_at") else None,
                ends_at=local(change["ends_at"]) if change.get("ends_at") else None,
                title=change.get("title"), venue_id=change.get("venue_id"), version=2,
            ))

    def _tokenise(self) -> Tokenising:
        """Every distinct title and body the index will hold, sent to be tokenised."""
        public = [(kind, row) for kind, model in MODELS.items() for row in self.rows.get(model, ()) if is_public(kind, row)]
        return Tokenising((texts(kind, row)[0] for kind, row in public), (texts(kind, row)[1] for kind, row in public))

    def close(self) -> None:
        """Stop the tokenising workers, if the load failed before ``index`` collected them."""
        if self._tokenising is not None:
            self._tokenising.close()

    # -- writing ---------------------------------------------------------------------------

    async def finish(self, progress: Progress | None = None) -> None:
        """Write every kept row, then the events' occurrences. Call inside the load's transaction."""
        report = progress or (lambda stage, done, total: None)
        self._tokenising = self._tokenise()  # in worker processes, while the rows are written
        total, done = sum(len(rows) for rows in self.rows.values()), 0
        report("writing rows", 0, total)
        async with deferred_indexes([model._meta.db_table for model in (*self.rows, Occurrence)], report):
            for model, _ in TABLES:
                rows = self.rows[model]
                columns, values = _converter(model)
                for i in range(0, len(rows), BATCH):
                    chunk = rows[i:i + BATCH]
                    await _insert(model, columns, [values(r) for r in chunk])
                    done += len(chunk)
                    report("writing rows", done, total)
            await _advance_sequences([model for model, given in TABLES if given])
            self._last_ends = await self._occurrences(report)

    async def _occurrences(self, report: Progress) -> dict[int, datetime]:
        """Materialise every event's instances up to the horizon by the rule the edits use
        (``occurrences.instances``, ``occurrence_fields``, ``keep_adjustments``), so the rows are
        those ``occurrences.refresh`` writes (tests/test_demo_bulk.py holds the two to the same
        rows); the end of each event's last one, for the search index."""
        until = occurrences.horizon_end()
        changes: dict[int, dict[datetime, Change]] = defaultdict(dict)
        for o in self.rows[EventOverride]:
            changes[o.event_id][o.recurrence_id] = Change(o.cancelled, o.starts_at, o.ends_at, o.title, o.venue_id)
        events = self.rows[Event]
        days = await occurrences.calendar_days(events, until)
        columns, values = _converter(Occurrence, from_dict=True)
        rows: list[list] = []
        last_ends: dict[int, datetime] = {}
        adjusted: dict[int, Adjusted] = {}
        written = 0
        report("occurrences", 0, len(events))
        for n, e in enumerate(events, start=1):
            found, adjusted[e.id] = occurrences.instances(e, changes.get(e.id), days, until)
            path = self._paths[e.site_id]
            for i in found:
                rows.append(values(occurrences.occurrence_fields(e, i, path)))
            if found:
                last_ends[e.id] = max(i.ends_at for i in found)
            if len(rows) >= OCCURRENCE_BATCH or n == len(events):
                await _insert(Occurrence, columns, rows)
                written += len(rows)
                rows = []
                report("occurrences", n, len(events))
        await occurrences.keep_adjustments(events, adjusted)  # China's calendar: none in the demo today
        self.occurrence_count = written
        return last_ends

    async def index(self, progress: Progress | None = None) -> None:
        """The search index of every kept row (what ``reindex`` would build, in its order, by
        ``search.index.entries``), then of the events stored another way since (the showcase),
        which come last in it too."""
        report = progress or (lambda stage, done, total: None)
        total = sum(len(self.rows.get(model, ())) for model in MODELS.values())
        report("search index", 0, total)
        memo = await (self._tokenising or self._tokenise()).memo()
        self._tokenising = None
        done = 0
        columns, values = _converter(SearchDoc, from_dict=True)
        async with bulk_indexing(new_network=True), deferred_indexes([SearchDoc._meta.db_table], report, "search index: indexes"):
            for kind, model in MODELS.items():
                rows = self.rows.get(model, ())  # the demo writes no reports
                for i in range(0, len(rows), BATCH):
                    chunk = rows[i:i + BATCH]
                    await _insert(SearchDoc, columns, [values(e) for e in entries(kind, chunk, self._paths, self._last_ends, memo)])
                    done += len(chunk)
                    report("search index", done, total)
        for event in await Event.filter(id__gte=self._next[Event]).order_by("id"):
            await follow(event)
        # ANALYZE comes after the load: `wenming demo` runs it (api.db.statistics), on a
        # connection without the statement timeout, once the rows are committed.
        self.rows = {model: [] for model, _ in TABLES}


def _row(model: type[Model], **values) -> SimpleNamespace:
    """A row to be written, with the model's defaults: far cheaper than a model instance, and
    the builders only read its attributes (id, kind, path, name ...)."""
    fixed, made = _defaults(model)
    row = SimpleNamespace(**fixed)
    for name, make in made:  # default=list and the like: a new value for each row
        if name not in values:
            setattr(row, name, make())
    row.__dict__.update(values)
    return row


@cache
def _defaults(model: type[Model]) -> tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...]]:
    """The model's plain defaults, and its defaults made by calling."""
    defaults = {name: model._meta.fields_map[name].default for name in model._meta.fields_db_projection}
    return ({n: d for n, d in defaults.items() if not callable(d)},
            tuple((n, d) for n, d in defaults.items() if callable(d)))


def _converter(model: type[Model], from_dict: bool = False) -> tuple[list[str], Callable[[Any], list]]:
    """The columns a bulk insert writes (the id too when the writer gives it), and a function
    from a row (model instance or ``_row``; with ``from_dict``, a dict of fields) to their
    database values."""
    given = dict(TABLES).get(model, False)
    now = timezone.now()
    names, columns, converts = [], [], []
    for name, column in model._meta.fields_db_projection.items():
        if name == "id" and not given:
            continue
        field = model._meta.fields_map[name]
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            convert = lambda v, now=now: v or now  # noqa: E731 - created_at/updated_at: now, as on save
        elif isinstance(field, JSONField):  # what to_db_value gives, without its checks of a str
            convert = lambda v, dumps=field.encoder, empty=field.encoder([]): (  # noqa: E731 - most are []
                v if v is None or isinstance(v, str) else empty if v == [] else dumps(v))
        elif isinstance(field, CharEnumFieldInstance):
            convert = lambda v: None if v is None else str(v)  # noqa: E731 - the enum's value
        else:
            convert = None
        names.append(name)
        columns.append(column)
        converts.append(convert)
    fixes = [(i, c) for i, c in enumerate(converts) if c is not None]
    get = attrgetter(*names)

    def values(row: Any) -> list:
        out = list(get(row))
        for i, convert in fixes:
            out[i] = convert(out[i])
        return out

    def dict_values(row: dict) -> list:
        out = list(map(row.get, names))
        for i, convert in fixes:
            out[i] = convert(out[i])
        return out

    return columns, dict_values if from_dict else values


async def _insert(model: type[Model], columns: list[str], values: list) -> None:
    """One batch of rows: COPY on PostgreSQL, executemany on SQLite."""
    if not values:
        return
    table = model._meta.db_table
    async with in_transaction() as conn:
        if conn.capabilities.dialect == "postgres":
            await conn._connection.copy_records_to_table(table, records=values, columns=columns)
        else:
            marks = ", ".join("?" for _ in columns)
            await conn.execute_many(f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})', values)


async def _advance_sequences(models: list[type[Model]]) -> None:
    """PostgreSQL hands out ids from a sequence that rows inserted with their own ids do not
    move: move it past them, or the next ordinary insert collides. SQLite needs nothing."""
    async with in_transaction() as conn:
        if conn.capabilities.dialect != "postgres":
            return
        for model in models:
            table = model._meta.db_table
            await conn.execute_query(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            )
