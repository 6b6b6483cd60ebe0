"""``load_demo``: one deterministic demo city, written in one transaction."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from tortoise.transactions import in_transaction

from api.demo.bulk import BulkWriter
from api.demo.campaigns import create_campaigns
from api.demo.names import Namer
from api.demo.network import CITY_SHAPE, PROVINCE_SHAPE, NetworkBuilder, Shape
from api.demo.platforms import DEFAULT_PLATFORMS
from api.demo.programme import Programme, event_window
from api.demo.showcase import create_showcase
from api.demo.teams import TeamBuilder
from api.demo.writer import DirectWriter
from api.domain import clock, kept_figures
from api.models.events import Campaign, Occurrence
from api.models.platforms import Platform
from api.models.sites import Site

Progress = Callable[[str, int, int], None]
CENTRES_PER_SCALE = 4
CENTRES_PER_CITY = 10  # Quanzhou has 13 county centres, most cities about ten
# Rough sizes per centre, for progress totals until a stage knows its own (its last call has done == total).
SITES_PER_CENTRE, TEAMS_PER_CENTRE, PEOPLE_PER_CENTRE = 110, 95, 125


class _Stage:
    """Reports one stage's progress, at most about a hundred times."""

    def __init__(self, progress: Progress | None, name: str, total: int) -> None:
        self.progress, self.name, self.total, self.done = progress, name, max(total, 1), 0
        self._step, self._next = max(self.total // 100, 1), 0
        self._report()

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.name, self.done, self.total)

    def tick(self, n: int = 1) -> None:
        self.done += n
        self.total = max(self.total, self.done + 1)
        if self.done >= self._next:
            self._next = self.done + self._step
            self._report()

    def finish(self) -> None:
        self.total = self.done
        self._report()


async def _platforms() -> tuple[dict[str, int], int]:
    """The default platforms by code; ones a deployment already has are kept as they are."""
    existing = dict(await Platform.all().values_list("code", "id"))
    created = 0
    for order, spec in enumerate(DEFAULT_PLATFORMS):
        if spec["code"] not in existing:
            existing[spec["code"]] = (await Platform.create(sort_order=order, **spec)).id
            created += 1
    return existing, created


async def load_demo(
    *,
    scale: int = 1,
    seed: int = 2026,
    today: date | None = None,
    progress: Progress | None = None,
    bulk: bool = False,
    province: bool = False,
    centres_per_city: int = CENTRES_PER_CITY,
    shape: Shape | None = None,
) -> dict[str, int]:
    """Load a demo network (``scale`` x 4 district centres and all below them) into an empty
    database and return how many of each thing it created; ``{"skipped": 1}`` if any site exists.

    ``province``: a province (PROVINCE > CITY > CENTER > ...) of ``scale`` cities, each of
    ``centres_per_city`` county centres of the province ``shape`` (bigger than the city demo's),
    and every station running two regular activities of its own (about 1.5 a week).

    Deterministic for a given ``seed`` and ``today`` (default: today in Asia/Shanghai): the same
    names, tree, teams, people and event times every time. ``progress(stage, done, total)`` is
    called as stages advance; a stage's total may be an estimate until its last call.

    ``bulk`` writes the same rows in batches (api/demo/bulk.py) instead of one by one through
    the domain: minutes instead of hours for a province.
    """
    if scale < 1:
        raise ValueError(f"scale must be at least 1, got {scale}")
    if await Site.all().exists():
        return {"skipped": 1}
    # The volunteers' duty starts just before the load (api/demo/duty.py); with ``today`` given
    # it starts at that day's noon instead, so two loads for one day match to the second.
    loaded_at = clock.now() if today is None else clock.day_start(today) + timedelta(hours=12)
    today = today or clock.now().date()
    rng = random.Random(seed)
    namer = Namer(rng)
    n_centres = centres_per_city * scale if province else CENTRES_PER_SCALE * scale
    shape = shape or (PROVINCE_SHAPE if province else CITY_SHAPE)
    async with in_transaction():
        writer = await BulkWriter.start() if bulk else DirectWriter()
        stage = _Stage(progress, "platforms", len(DEFAULT_PLATFORMS))
        platform_ids, platforms_created = await _platforms()
        stage.tick(len(DEFAULT_PLATFORMS))
        stage.finish()

        stage = _Stage(progress, "sites", n_centres * SITES_PER_CENTRE)
        network = NetworkBuilder(rng, namer, stage.tick, writer, shape)
        tiers: list = []  # the province and its cities, when there are
        if province:
            tiers.append(await network.province())
            centres = []
            for c in range(scale):
                city = await network.city_site(tiers[0], c, centres_per_city)
                tiers.append(city)
                for d in range(centres_per_city):
                    k = len(centres)
                    centres.append(await network.centre(k, namer.district(k), city, f"35{c + 1:02d}{d + 1:02d}"))
        else:
            centres = [await network.centre(i, namer.district(i)) for i in range(n_centres)]
        venues = await network.save_venues(centres)
        stage.finish()

        stage = _Stage(progress, "teams", n_centres * TEAMS_PER_CENTRE)
        builder = TeamBuilder(rng, namer, today, stage.tick, writer)
        teams = [await builder.teams_for(c) for c in centres]
        stage.finish()

        stage = _Stage(progress, "people", n_centres * PEOPLE_PER_CENTRE)
        builder.tick = stage.tick
        for centre, centre_teams in zip(centres, teams):
            await builder.people_for(centre, centre_teams)
        stage.finish()

        stage = _Stage(progress, "campaigns", 1)
        campaigns = await create_campaigns(today, *event_window(today))
        stage.tick()
        stage.finish()

        programme = Programme(rng, today, platform_ids, campaigns, station_series=province)

        stage = _Stage(progress, "planning events", n_centres)
        plans = []
        for centre, centre_teams in zip(centres, teams):
            plans += programme.plan(centre, centre_teams)
            stage.tick()
        stage.finish()
        stage = _Stage(progress, "events", len(plans))
        await programme.write(plans, stage.tick, writer)
        stage.finish()
        try:
            await writer.finish(progress)
            stage = _Stage(progress, "figures kept on write", 1)
            if bulk:  # the bulk writer bypasses the domain's writes, which keep these
                await kept_figures.rebuild()
            stage.tick()
            stage.finish()
            showcase_events, showcase_overrides = await create_showcase(platform_ids, loaded_at)

            await writer.index(progress)  # reports its own stage
        finally:
            writer.close()

        counts = {
            "platforms": platforms_created,
            "sites": len(tiers) + sum(len(c.nodes) for c in centres),
            "venues": venues,
            "teams": builder.counts.teams,
            "people": builder.counts.people,
            "lecturers": builder.counts.lecturers,
            "memberships": builder.counts.memberships,
            "campaigns": await Campaign.all().count(),
            "events": programme.counts.events + showcase_events,
            "overrides": programme.counts.overrides + showcase_overrides,
            "occurrences": await Occurrence.all().count(),
        }
    return counts
