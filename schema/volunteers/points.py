"""Points (积分) in GraphQL: a centre's rules and rewards (礼遇), redeeming, the leaderboard."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry
from strawberry import relay

from api.domain.clock import local
from api.domain.errors import DomainError
from api.domain.sites import ancestor_ids
from api.domain.writes import Write
from api.models.events import Campaign as CampaignRow
from api.models.platforms import Platform as PlatformRow
from api.models.sites import Site as SiteRow
from api.models.volunteering import PointsEntry as PointsEntryRow
from api.models.volunteering import PointsKind
from api.models.volunteering import PointsRule as PointsRuleRow
from api.models.volunteering import Reward as RewardRow
from api.volunteering import points as rules
from api.volunteering import volunteers
from schema.core.context import Info, node_pk
from schema.core.enums import graphql_enum
from schema.core.inputs import load
from schema.core.mutation import payload, perform
from schema.network.types import Campaign, Platform

PointsKindEnum = graphql_enum(PointsKind, "What moved a volunteer's points.", {
    "EARNED": "积分获得: earned by the rules for hours in the ledger (a correction may take points back)",
    "REDEEMED": "积分兑换: spent on a reward (礼遇)",
})


@strawberry.type(description="A points rule (积分规则) of a centre or any site: for occurrences in its subtree, "
                 "optionally only of one platform or campaign.")
class PointsRule:
    id: relay.GlobalID = strawberry.field(description="The rule's id")
    name: str = strawberry.field(description="Name, e.g. 志愿服务每小时积分")
    per_hour: int = strawberry.field(description="Points per hour served (pro rata by the minute, rounded)")
    per_occurrence: int = strawberry.field(description="Points per occurrence served, once, at check-out")
    _row: strawberry.Private[PointsRuleRow]

    @classmethod
    def of(cls, row: PointsRuleRow) -> Self:
        return cls(id=relay.GlobalID("PointsRule", str(row.id)), name=row.name, per_hour=row.per_hour,
                   per_occurrence=row.per_occurrence, _row=row)

    @strawberry.field(description="Only for events of this platform (null: any)")
    async def platform(self, info: Info) -> Platform | None:
        pid = self._row.platform_id
        return Platform.from_optional(await info.context.loaders.platform.load(pid)) if pid else None

    @strawberry.field(description="Only for events of this campaign, e.g. 学雷锋日 (null: any)")
    async def campaign(self) -> Campaign | None:
        cid = self._row.campaign_id
        return Campaign.from_row(await CampaignRow.get(id=cid)) if cid else None


@strawberry.type(description="A reward (礼遇) points can buy, offered by a site.")
class Reward:
    id: relay.GlobalID = strawberry.field(description="The reward's id (redeemReward takes it)")
    name: str = strawberry.field(description="Name, e.g. 免费体检一次")
    description: str = strawberry.field(description="What it is, where to collect it")
    cost: int = strawberry.field(description="Points it costs")

    @classmethod
    def of(cls, row: RewardRow) -> Self:
        return cls(id=relay.GlobalID("Reward", str(row.id)), name=row.name, description=row.description, cost=row.cost)


@strawberry.type(description="One entry of a volunteer's points history (积分明细).")
class PointsEntry:
    points: int = strawberry.field(description="Points added, or spent (negative)")
    kind: PointsKindEnum = strawberry.field(description="Earned or redeemed")
    note: str = strawberry.field(description="The rule or the reward")
    created_at: datetime = strawberry.field(description="When")

    @classmethod
    def of(cls, row: PointsEntryRow) -> Self:
        return cls(points=row.points, kind=row.kind, note=row.note, created_at=local(row.created_at))


@strawberry.type(description="A volunteer's points: the balance and the history, newest first (the latest 100).")
class VolunteerPoints:
    balance: int = strawberry.field(description="Points now: earned minus spent")
    entries: list[PointsEntry] = strawberry.field(description="The history")


@strawberry.type(description="A line of a points leaderboard (积分榜).")
class LeaderboardLine:
    rank: int = strawberry.field(description="1 for the most points")
    name: str = strawberry.field(description="The volunteer's name: only volunteers who agreed to be shown are listed")
    points: int = strawberry.field(description="Points earned in the subtree")


async def volunteer_points(volunteer_id: int) -> VolunteerPoints:
    rows = await PointsEntryRow.filter(volunteer_id=volunteer_id).order_by("-id").limit(100)
    return VolunteerPoints(balance=await rules.balance(volunteer_id), entries=[PointsEntry.of(r) for r in rows])


async def _site(info: Info, gid: relay.GlobalID, field: str) -> SiteRow:
    site = await info.context.loaders.site.load(node_pk(gid, "Site", field))
    if site is None:
        raise DomainError(f"site {gid.node_id} does not exist", field=field, code="NOT_FOUND")
    return site


@strawberry.type(description="Points (积分): rules, rewards and the leaderboard.")
class PointsQuery:
    @strawberry.field(description="The points rules that apply at a site: its own and those of the sites above it. Public")
    async def points_rules(
        self, info: Info, site: Annotated[relay.GlobalID, strawberry.argument(description="A site")]
    ) -> list[PointsRule]:
        row = await _site(info, site, "site")
        found = await PointsRuleRow.filter(site_id__in=[*ancestor_ids(row.path), row.id], deleted_at__isnull=True)
        return [PointsRule.of(r) for r in found]

    @strawberry.field(description="The rewards (礼遇) a volunteer of a site can redeem: its own and those of the sites "
                      "above it. Public")
    async def rewards(
        self, info: Info, site: Annotated[relay.GlobalID, strawberry.argument(description="A site")]
    ) -> list[Reward]:
        row = await _site(info, site, "site")
        found = await RewardRow.filter(site_id__in=[*ancestor_ids(row.path), row.id], deleted_at__isnull=True)
        return [Reward.of(r) for r in found]

    @strawberry.field(description="积分榜 for a big screen: volunteers by points earned in a site's subtree, most "
                      "first. Only volunteers who agreed to be shown (showOnLeaderboard) are listed. Public")
    async def points_leaderboard(
        self,
        info: Info,
        within: Annotated[relay.GlobalID, strawberry.argument(description="A site: its whole subtree")],
        first: Annotated[int, strawberry.argument(description="How many lines, 1-100")] = 10,
    ) -> list[LeaderboardLine]:
        if not 1 <= first <= 100:
            raise DomainError(f"first must be 1 to 100, got {first}", field="first", code="OUT_OF_RANGE")
        row = await _site(info, within, "within")
        lines = await rules.leaderboard(row.path, first)
        return [LeaderboardLine(rank=i + 1, name=v.person.name, points=p) for i, (v, p) in enumerate(lines)]


PointsRulePayload = payload("PointsRulePayload", "rule", PointsRule, "points rule")
RewardPayload = payload("RewardPayload", "reward", Reward, "reward")
RedeemPayload = payload("RedeemPayload", "points", VolunteerPoints, "volunteer's points")


@strawberry.input(description="A points rule (积分规则) for the occurrences in a site's subtree.")
class CreatePointsRuleInput:
    site_id: relay.GlobalID = strawberry.field(description="The site (a centre for a county-wide scheme); EDITOR there")
    name: str = strawberry.field(description="Name, up to 100 characters")
    per_hour: int | None = strawberry.field(default=0, description="Points per hour served, 0-10000")
    per_occurrence: int | None = strawberry.field(default=0, description="Points per occurrence served, 0-10000")
    platform_id: relay.GlobalID | None = strawberry.field(default=None, description="Only events of this platform")
    campaign_id: relay.GlobalID | None = strawberry.field(default=None, description="Only events of this campaign")


@strawberry.input(description="A reward (礼遇) points can buy.")
class CreateRewardInput:
    site_id: relay.GlobalID = strawberry.field(description="The site offering it; EDITOR there")
    name: str = strawberry.field(description="Name, up to 100 characters")
    cost: int = strawberry.field(description="Points it costs, at least 1")
    description: str | None = strawberry.field(default="", description="What it is, where to collect it")


@strawberry.input(description="A volunteer spends points on a reward, with their token.")
class RedeemRewardInput:
    reward_id: relay.GlobalID = strawberry.field(description="The reward")
    volunteer_token: str = strawberry.field(description="The volunteer's token (vol_...)")


async def _rule(info: Info, write: Write, input: CreatePointsRuleInput) -> PointsRuleRow:
    site = await _site(info, input.site_id, "siteId")
    values = {"name": input.name, "per_hour": input.per_hour, "per_occurrence": input.per_occurrence}
    if input.platform_id is not None:
        values["platform_id"] = (await load(PlatformRow, input.platform_id, "Platform", "platformId")).id
    if input.campaign_id is not None:
        values["campaign_id"] = (await load(CampaignRow, input.campaign_id, "Campaign", "campaignId")).id
    return await rules.create_rule(write, site, values)


async def _redeem(write: Write, input: RedeemRewardInput) -> VolunteerPoints:
    volunteer = await volunteers.by_token(input.volunteer_token)
    reward = await RewardRow.get_or_none(id=node_pk(input.reward_id, "Reward", "rewardId"), deleted_at__isnull=True)
    if reward is None:
        raise DomainError(f"reward {input.reward_id.node_id} does not exist", field="rewardId", code="NOT_FOUND")
    await rules.redeem(write, volunteer, reward, volunteers.label(volunteer))
    return await volunteer_points(volunteer.id)


@strawberry.type(description="Points (积分): rules and rewards (staff), redeeming (the volunteer).")
class PointsMutation:
    @strawberry.mutation(description="Add a points rule (积分规则) for a site's subtree (EDITOR on the site); it "
                         "applies to hours recorded from now on")
    async def create_points_rule(self, info: Info, input: CreatePointsRuleInput) -> PointsRulePayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _rule(info, w, input))
        return PointsRulePayload(rule=PointsRule.of(row) if row else None, errors=errors)

    @strawberry.mutation(description="Offer a reward (礼遇) points can buy (EDITOR on the site)")
    async def create_reward(self, info: Info, input: CreateRewardInput) -> RewardPayload:  # type: ignore[valid-type]
        async def work(write: Write) -> RewardRow:
            site = await _site(info, input.site_id, "siteId")
            return await rules.create_reward(write, site, input.name, input.description or "", input.cost)

        row, errors = await perform(info, work)
        return RewardPayload(reward=Reward.of(row) if row else None, errors=errors)

    @strawberry.mutation(description="积分兑换: the volunteer spends points on a reward, with their token (no account); "
                         "refused with NOT_ENOUGH_POINTS when the balance does not cover it")
    async def redeem_reward(self, info: Info, input: RedeemRewardInput) -> RedeemPayload:  # type: ignore[valid-type]
        result, errors = await perform(info, lambda w: _redeem(w, input), anonymous=True)
        return RedeemPayload(points=result, errors=errors)
