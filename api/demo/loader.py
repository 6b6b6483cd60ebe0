"""``load_demo``: one deterministic demo city, written in one transaction."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date

from tortoise.transactions import in_transaction

from api.demo.campaigns import create_campaigns
from api.demo.names import Namer
from api.demo.network import NetworkBuilder
from api.demo.platforms import DEFAULT_PLATFORMS
from api.demo.programme import Programme, event_window
from api.demo.showcase import create_showcase
from api.demo.teams import TeamBuilder
from api.domain import clock
from api.models.events import Campaign, Occurrence
from api.models.platforms import Platform
from api.models.sites import Site
from api.search.index import reindex

Progress = Callable[[str, int, int], None]
CENTRES_PER_SCALE = 4
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
) -> dict[str, int]:
    """Load a demo network (``scale`` x 4 district centres and all below them) into an empty
    database and return how many of each thing it created; ``{"skipped": 1}`` if any site exists.

    Deterministic for a given ``seed`` and ``today`` (default: today in Asia/Shanghai): the same
    names, tree, teams, people and event times every time. ``progress(stage, done, total)`` is
    called as stages advance; a stage's total may be an estimate until its last call.
    """
    if scale < 1:
        raise ValueError(f"scale must be at least 1, got {scale}")
    if await Site.all().exists():
        return {"skipped": 1}
    today = today or clock.now().date()
    rng = random.Random(seed)
    namer = Namer(rng)
    n_centres = CENTRES_PER_SCALE * scale
    async with in_transaction():
        stage = _Stage(progress, "platforms", len(DEFAULT_PLATFORMS))
        platform_ids, platforms_created = await _platforms()
        stage.tick(len(DEFAULT_PLATFORMS))
        stage.finish()

        stage = _Stage(progress, "sites", n_centres * SITES_PER_CENTRE)
        network = NetworkBuilder(rng, namer, stage.tick)
        centres = [await network.centre(i, namer.district(i)) for i in range(n_centres)]
        venues = await network.save_venues(centres)
        stage.finish()

        stage = _Stage(progress, "teams", n_centres * TEAMS_PER_CENTRE)
        builder = TeamBuilder(rng, namer, today, stage.tick)
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

        programme = Programme(rng, today, platform_ids, campaigns)

        plans = [plan for centre, centre_teams in zip(centres, teams) for plan in programme.plan(centre, centre_teams)]
        stage = _Stage(progress, "events", len(plans))
        await programme.write(plans, stage.tick)
        showcase_events, showcase_overrides = await create_showcase(platform_ids)
        stage.finish()

        # Written straight through the domain (no audited writes), so the index is built once here.
        stage = _Stage(progress, "search index", 4)
        await reindex(lambda kind, done, total: None)
        stage.tick(4)
        stage.finish()

        counts = {
            "platforms": platforms_created,
            "sites": sum(len(c.nodes) for c in centres),
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
