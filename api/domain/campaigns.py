"""Campaigns (节日活动, 月度主题, 集中活动日): network-wide date ranges that events join."""

from __future__ import annotations

from datetime import date
from typing import Any

from api.domain import validation
from api.domain.errors import DomainError
from api.domain.writes import check_version, save_versioned
from api.models.events import Campaign, CampaignKind


def check_fields(fields: dict[str, Any]) -> dict[str, Any]:
    if "name" in fields:
        fields["name"] = validation.text(fields["name"], "name", max_length=100)
    if "description" in fields:
        fields["description"] = validation.text(fields["description"], "description", max_length=5000, required=False)
    return fields


def check_dates(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise DomainError(
            f"endsOn ({ends_on}) is before startsOn ({starts_on}); a one-day campaign ends on the day it starts",
            field="endsOn",
            code="END_BEFORE_START",
        )


async def create_campaign(*, kind: CampaignKind, name: str, starts_on: date, ends_on: date, **fields: Any) -> Campaign:
    fields = check_fields({"name": name, **fields})
    check_dates(starts_on, ends_on)
    return await Campaign.create(kind=kind, starts_on=starts_on, ends_on=ends_on, **fields)


async def update_campaign(campaign: Campaign, version: int, changes: dict[str, Any]) -> Campaign:
    what = f"campaign {campaign.name}"
    check_version(campaign, version, what)
    changes = check_fields(changes)
    check_dates(changes.get("starts_on", campaign.starts_on), changes.get("ends_on", campaign.ends_on))
    return await save_versioned(campaign, version, changes, what)
