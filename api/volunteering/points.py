"""Points (积分): a centre's rules turn the hours ledger into points; rewards (礼遇) spend them.

Points follow the hours ledger entry by entry: each entry (a check-out, a correction) earns,
under every rule of a site above or at the occurrence's site that matches its platform and
campaign, `per_hour` x its hours (to the nearest point; a correction's negative minutes take
points back) plus, for a check-out, `per_occurrence`. The points ledger is append-only too."""

from __future__ import annotations

from tortoise.expressions import Q
from tortoise.functions import Sum

from api.domain import audit, validation
from api.domain.errors import DomainError
from api.domain.permissions import Actor
from api.domain.sites import ancestor_ids, subtree
from api.domain.writes import Write
from api.models.accounts import Role
from api.models.events import Event
from api.models.sites import Site
from api.models.volunteering import HoursEntry, HoursKind, PointsEntry, PointsKind, PointsRule, Reward, Volunteer

MAX_POINTS = 10_000


async def rules_for(entry: HoursEntry) -> list[PointsRule]:
    event = await Event.get(id=entry.event_id)
    site = await Site.get(id=event.site_id)
    sites = [*ancestor_ids(site.path), site.id]
    matching = Q(platform_id__isnull=True) | Q(platform_id=event.platform_id)
    campaign = Q(campaign_id__isnull=True) | Q(campaign_id=event.campaign_id) if event.campaign_id else Q(campaign_id__isnull=True)
    return list(await PointsRule.filter(matching, campaign, site_id__in=sites, deleted_at__isnull=True).order_by("id"))


def earned(rule: PointsRule, entry: HoursEntry) -> int:
    points = round(rule.per_hour * entry.minutes / 60)
    if entry.kind == HoursKind.RECORDED:
        points += rule.per_occurrence
    return points


async def award(entry: HoursEntry) -> list[PointsEntry]:
    """The points an hours entry earns under each matching rule (call in the same transaction)."""
    made = []
    for rule in await rules_for(entry):
        if points := earned(rule, entry):
            made.append(await PointsEntry.create(
                volunteer_id=entry.volunteer_id, points=points, kind=PointsKind.EARNED, site_path=entry.site_path,
                rule_id=rule.id, hours_entry_id=entry.id, note=rule.name))
    return made


async def balance(volunteer_id: int) -> int:
    return sum(await PointsEntry.filter(volunteer_id=volunteer_id).values_list("points", flat=True))


def check_rule(values: dict) -> dict:
    values["name"] = validation.text(values.get("name"), "name", max_length=100)
    for name, field in (("per_hour", "perHour"), ("per_occurrence", "perOccurrence")):
        values[name] = values.get(name) or 0
        validation.in_range(values[name], field, 0, MAX_POINTS)
    if not values["per_hour"] and not values["per_occurrence"]:
        raise DomainError("a rule gives points per hour, per occurrence, or both", field="perHour", code="REQUIRED")
    return values


async def create_rule(write: Write, site: Site, values: dict) -> PointsRule:
    write.actor.require(Role.EDITOR, site.path, where=f"the points rules of {site.name}", field="siteId")
    rule = await PointsRule.create(site_id=site.id, site_path=site.path, **check_rule(values))
    await write.audit("CREATE", rule, site_path=site.path)
    return rule


async def create_reward(write: Write, site: Site, name: str, description: str, cost: int) -> Reward:
    write.actor.require(Role.EDITOR, site.path, where=f"the rewards of {site.name}", field="siteId")
    validation.in_range(cost, "cost", 1, 1_000_000)
    reward = await Reward.create(site_id=site.id, site_path=site.path, cost=cost,
                                 name=validation.text(name, "name", max_length=100),
                                 description=validation.text(description, "description", max_length=1000, required=False))
    await write.audit("CREATE", reward, site_path=site.path)
    return reward


async def redeem(write: Write, volunteer: Volunteer, reward: Reward, actor_label: str) -> PointsEntry:
    """Spend points on a reward (礼遇), if the balance covers it; one spender at a time."""
    await Volunteer.filter(id=volunteer.id).update(version=volunteer.version)  # lock: no double spending
    have = await balance(volunteer.id)
    if have < reward.cost:
        raise DomainError(f"{reward.name} costs {reward.cost} points; the balance is {have}", field="rewardId",
                          code="NOT_ENOUGH_POINTS")
    entry = await PointsEntry.create(volunteer_id=volunteer.id, points=-reward.cost, kind=PointsKind.REDEEMED,
                                     site_path=reward.site_path, reward_id=reward.id, note=reward.name)
    await audit.record(write.actor if write.actor.authenticated else Actor(label=actor_label), "REDEEM", "PointsEntry",
                       entry.id, site_path=reward.site_path, after=audit.snapshot(entry))
    return entry


async def leaderboard(site_path: str, limit: int) -> list[tuple[Volunteer, int]]:
    """Volunteers who agreed to be shown, by points earned in the subtree, most first."""
    rows = await (PointsEntry.filter(subtree(site_path, "site_path"), kind=PointsKind.EARNED,
                                     volunteer__show_on_leaderboard=True, volunteer__deleted_at__isnull=True)
                  .annotate(total=Sum("points")).group_by("volunteer_id").values("volunteer_id", "total"))
    ranked = sorted(((r["volunteer_id"], int(r["total"] or 0)) for r in rows), key=lambda r: (-r[1], r[0]))[:limit]
    people = {v.id: v for v in await Volunteer.filter(id__in=[v for v, _ in ranked]).select_related("person")}
    return [(people[v], total) for v, total in ranked if total > 0]
