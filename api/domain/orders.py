"""The service-order loop (点单 - 派单 - 接单 - 评单): one table of allowed steps, who may take
each, and what each step does. No HTTP here: the GraphQL layer calls `place` and `step`.

    ORDERED --dispatch--> DISPATCHED --accept--> ACCEPTED --schedule--> SCHEDULED --complete--> DONE --rate--> RATED
                          DISPATCHED --decline-> DECLINED --dispatch--> DISPATCHED (again)
    ORDERED / DISPATCHED / ACCEPTED / DECLINED / SCHEDULED --cancel--> CANCELLED (the resident)
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from api.domain import attendance, audit, series, validation
from api.domain.accounts import hash_token
from api.domain.clock import local, now
from api.domain.errors import DomainError
from api.domain.events import create_event
from api.domain.permissions import Actor
from api.domain.scope import require_team_link
from api.domain.sites import ancestor_ids
from api.domain.writes import Write, check_version, save_versioned
from api.models.accounts import Role
from api.models.events import Event, EventKind, EventStatus
from api.models.orders import Order, OrderStatus, OrderTransition, Party, ServiceItem, ServiceItemSite, ServiceItemTeam
from api.models.sites import Site
from api.models.teams import Team

S = OrderStatus
TOKEN_PREFIX = "ord_"
PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,28}[0-9]$")


@dataclass(frozen=True)
class Step:
    action: str  # dispatch, accept, ... (the mutation is <action>Order)
    source: OrderStatus
    target: OrderStatus
    party: Party


# THE rule: every allowed step of the loop, with who may take it. Anything else is refused.
STEPS: tuple[Step, ...] = (
    Step("dispatch", S.ORDERED, S.DISPATCHED, Party.STAFF),
    Step("dispatch", S.DECLINED, S.DISPATCHED, Party.STAFF),
    Step("accept", S.DISPATCHED, S.ACCEPTED, Party.TEAM),
    Step("decline", S.DISPATCHED, S.DECLINED, Party.TEAM),
    Step("schedule", S.ACCEPTED, S.SCHEDULED, Party.TEAM),
    Step("complete", S.SCHEDULED, S.DONE, Party.TEAM),
    Step("rate", S.DONE, S.RATED, Party.RESIDENT),
    *(Step("cancel", s, S.CANCELLED, Party.RESIDENT) for s in (S.ORDERED, S.DISPATCHED, S.ACCEPTED, S.DECLINED, S.SCHEDULED)),
)
ACTIONS = sorted({s.action for s in STEPS})


def steps_from(status: OrderStatus) -> list[Step]:
    return [s for s in STEPS if s.source == status]


def find_step(action: str, status: OrderStatus, order_id: int) -> Step:
    for step in STEPS:
        if step.action == action and step.source == status:
            return step
    allowed = ", ".join(f"{s.action} (to {s.target.value}, by {s.party.value.lower()})" for s in steps_from(status))
    # Residents name their order by its token, everyone else by its id.
    field = "token" if all(s.party == Party.RESIDENT for s in STEPS if s.action == action) else "id"
    raise DomainError(
        f"order {order_id} is {status.value}, so it cannot take the step {action!r}; "
        + (f"from {status.value} the allowed steps are: {allowed}" if allowed else f"{status.value} is final: no step leads on"),
        field=field,
        code="TRANSITION_NOT_ALLOWED",
    )


def new_token() -> str:
    """The resident's private order token: shown once, stored as its SHA-256 like API tokens."""
    return TOKEN_PREFIX + secrets.token_urlsafe(24)


async def by_token(token: str | None, field: str = "token") -> Order:
    token = (token or "").strip()
    if not token.startswith(TOKEN_PREFIX):
        raise DomainError(f"{field} must be the order token you got when ordering (it starts with {TOKEN_PREFIX})",
                          field=field, code="INVALID")
    order = await Order.get_or_none(token_hash=hash_token(token), deleted_at__isnull=True)
    if order is None:
        raise DomainError("no order has this token", field=field, code="NOT_FOUND")
    return order


def who(actor: Actor) -> str:
    """How the history and the audit name the caller: a resident has no account."""
    return actor.label if actor.authenticated else "resident"


def private_snapshot(order: Order) -> dict[str, Any]:
    # The audit keeps the resident's data (staff read it) but never the token hash.
    return {k: v for k, v in audit.snapshot(order).items() if k != "token_hash"}


async def _record(write: Write, order: Order, step_from: OrderStatus | None, party: Party, note: str,
                  action: str, before: dict | None) -> None:
    await OrderTransition.create(order_id=order.id, from_status=step_from, to_status=order.status, party=party,
                                 actor=who(write.actor), at=now(), note=note)
    await audit.record(write.actor if write.actor.authenticated else Actor(label="resident"), action, "Order",
                       order.id, site_path=order.site_path, before=before, after=private_snapshot(order))


# --- the menu --------------------------------------------------------------------------------


def menu_site_ids(site: Site) -> list[int]:
    """An item offered at a site is on the menu of every site below it."""
    return [*ancestor_ids(site.path), site.id]


async def offered_at(item: ServiceItem) -> list[Site]:
    return list(await Site.filter(service_item_links__item_id=item.id).order_by("id"))


async def offer(item: ServiceItem, *, sites: list[Site] | None = None, teams: list[Team] | None = None) -> None:
    """Replace where the item is offered and by which teams (None leaves that part alone)."""
    if sites is not None:
        await ServiceItemSite.filter(item_id=item.id).delete()
        await ServiceItemSite.bulk_create([ServiceItemSite(item_id=item.id, site_id=s.id) for s in sites])
    if teams is not None:
        await ServiceItemTeam.filter(item_id=item.id).delete()
        await ServiceItemTeam.bulk_create([ServiceItemTeam(item_id=item.id, team_id=t.id) for t in teams])


async def check_item_fields(values: dict) -> dict:
    if "name" in values:
        values["name"] = validation.text(values["name"], "name", max_length=100)
    if "description" in values:
        values["description"] = validation.text(values["description"], "description", max_length=2000, required=False)
    if values.get("typical_minutes") is not None:
        validation.in_range(values["typical_minutes"], "typicalMinutes", 10, 24 * 60)
    elif "typical_minutes" in values:
        del values["typical_minutes"]
    if "published" in values and values["published"] is None:
        del values["published"]
    return values


# --- placing an order ------------------------------------------------------------------------


async def place(write: Write, *, item: ServiceItem, site: Site, resident_name: str, resident_phone: str,
                preferred_times: str = "", note: str = "") -> tuple[Order, str]:
    """A resident's order; returns it with its token (the only time the token is seen)."""
    if not item.published:
        raise DomainError(f"{item.name} is not on the menu (not published)", field="itemId", code="NOT_ON_MENU")
    if not await ServiceItemSite.filter(item_id=item.id, site_id__in=menu_site_ids(site)).exists():
        raise DomainError(f"{item.name} cannot be ordered at {site.name}: it is not on that site's menu",
                          field="itemId", code="NOT_ON_MENU")
    name = validation.text(resident_name, "residentName", max_length=50)
    phone = (resident_phone or "").strip()
    if not phone:
        raise DomainError("residentPhone must not be empty: the team needs to reach you", field="residentPhone", code="REQUIRED")
    if not PHONE.match(phone):
        raise DomainError(f"residentPhone {phone!r} is not a phone number (digits, optionally +, spaces or -)",
                          field="residentPhone", code="INVALID")
    token = new_token()
    order = await Order.create(
        item_id=item.id, platform_id=item.platform_id, site_id=site.id, site_path=site.path,
        preferred_times=validation.text(preferred_times, "preferredTimes", max_length=200, required=False),
        note=validation.text(note, "note", max_length=1000, required=False),
        resident_name=name, resident_phone=phone, token_hash=hash_token(token), status=S.ORDERED,
    )
    await _record(write, order, None, Party.RESIDENT, "", "PLACE", None)
    return order, token


# --- the steps -------------------------------------------------------------------------------


async def _team(order: Order) -> Team:
    return await Team.get(id=order.team_id).select_related("home_site")


def party_of(action: str) -> Party:
    """Who takes this kind of step (each action belongs to one party, whatever the status)."""
    (party,) = {s.party for s in STEPS if s.action == action}
    return party


def resident_reads(party: Party, to_status: OrderStatus) -> bool:
    """THE rule for the notes of an order's history: the resident reads the notes they wrote (a
    rating comment, a cancel reason) and the reason a team declined (also in declineReason).
    Dispatch, accept, scheduling and completion notes are between staff and the team; the
    resident sees those steps and their times with the note left empty."""
    return party == Party.RESIDENT or to_status == S.DECLINED


async def authorise(actor: Actor, action: str, order: Order, token: str | None = None) -> None:
    """May the caller take this kind of step on this order at all? Checked BEFORE the order's
    status, and the refusal names neither the status nor the order's site or team: a caller
    without the right learns nothing about the order. Staff: EDITOR on the order's site. The
    team: EDITOR covering the assigned team's home site (before dispatch there is no team, and
    only the order's staff may ask). The resident: the order token."""
    party = party_of(action)
    where = f"{action} order {order.id}"
    if party == Party.STAFF or (party == Party.TEAM and order.team_id is None):
        actor.require(Role.EDITOR, order.site_path, where=where, field="id")
    elif party == Party.TEAM:
        team = await _team(order)
        actor.require(Role.EDITOR, team.home_site.path, where=where, field="id")
    elif token is None or order.token_hash != hash_token(token.strip()):
        raise DomainError(f"only the resident who placed the order may {action} it, with its order token",
                          field="token", code="FORBIDDEN")


@dataclass
class StepInput:
    """What a step may carry; each step reads what it needs."""

    version: int | None = None
    note: str = ""
    team: Team | None = None
    reason: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    venue_id: int | None = None
    title: str | None = None
    attendance: int | None = None
    rating: int | None = None
    token: str | None = None


async def step(write: Write, order: Order, action: str, given: StepInput) -> Order:
    """Take one step of the loop for the caller, or refuse with the reason."""
    await authorise(write.actor, action, order, given.token)
    current = order.status
    rule = find_step(action, current, order.id)
    # Staff and teams send the version they read; a resident acts on the order as it is.
    version = order.version if given.version is None else given.version
    check_version(order, version, f"order {order.id}")
    before = private_snapshot(order)
    changes = await _EFFECTS[action](write, order, given)
    changes["status"] = rule.target
    await save_versioned(order, version, changes, f"order {order.id}")
    await _record(write, order, current, rule.party, given.note or given.reason, action.upper(), before)
    return order


async def _dispatch(write: Write, order: Order, given: StepInput) -> dict:
    team = given.team
    if team is None:
        raise DomainError("dispatching needs a team (teamId)", field="teamId", code="REQUIRED")
    # A township institute dispatches to its township's teams; a centre to any team of its county.
    await require_team_link(write.actor, team, field="teamId", what="dispatching to")
    moment = now()
    changes: dict[str, Any] = {"team_id": team.id, "dispatched_at": moment, "decline_reason": ""}
    if order.seconds_to_dispatch is None:
        changes["seconds_to_dispatch"] = int((moment - order.created_at).total_seconds())
    return changes


async def _accept(write: Write, order: Order, given: StepInput) -> dict:
    seconds = int((now() - order.dispatched_at).total_seconds()) if order.dispatched_at else None
    return {"seconds_to_accept": seconds}


async def _decline(write: Write, order: Order, given: StepInput) -> dict:
    reason = validation.text(given.reason, "reason", max_length=200)
    return {"decline_reason": reason}


async def _schedule(write: Write, order: Order, given: StepInput) -> dict:
    if given.starts_at is None:
        raise DomainError("scheduling needs a date and time (startsAt)", field="startsAt", code="REQUIRED")
    item = await ServiceItem.get(id=order.item_id)
    ends_at = given.ends_at or given.starts_at + timedelta(minutes=item.typical_minutes)
    # The public activity carries the service, never the resident's name, phone or note.
    # The event rules check the times and that the venue is one of the order's site.
    event = await create_event(
        kind=EventKind.ACTIVITY, title=given.title or item.name, platform_id=order.platform_id, site_id=order.site_id,
        team_id=order.team_id, venue_id=given.venue_id, starts_at=given.starts_at, ends_at=ends_at,
        summary=f"群众点单服务: {item.name}", status=EventStatus.PUBLISHED, changes=write.occurrence_changes,
    )
    await write.audit("CREATE", event, site_path=order.site_path)
    return {"event_id": event.id}


async def _complete(write: Write, order: Order, given: StepInput) -> dict:
    if given.attendance is None:
        raise DomainError("completing needs the attendance (how many people took part)", field="attendance", code="REQUIRED")
    validation.in_range(given.attendance, "attendance", 0, 100_000)
    if order.event_id is not None and (event := await Event.get_or_none(id=order.event_id)) is not None:
        attendance.require_held(event, field="id")  # the rule recordAttendance follows too
        before = audit.snapshot(event)
        await attendance.save(event, event.version, {"attendance": given.attendance}, f"event {event.title}")
        await write.audit("UPDATE", event, site_path=order.site_path, before=before)
    return {"attendance": given.attendance}


async def _rate(write: Write, order: Order, given: StepInput) -> dict:
    if given.rating is None or not 1 <= given.rating <= 5:
        raise DomainError(f"rating must be 1 to 5 stars, got {given.rating}", field="rating", code="OUT_OF_RANGE")
    return {"rating": given.rating,
            "rating_comment": validation.text(given.note, "comment", max_length=500, required=False)}


async def _cancel(write: Write, order: Order, given: StepInput) -> dict:
    validation.text(given.reason, "reason", max_length=200, required=False)
    event = await Event.get_or_none(id=order.event_id) if order.event_id is not None else None
    if event is not None and event.status != EventStatus.CANCELLED:
        # The activity stays listed, marked cancelled, so nobody turns up for nothing.
        before = audit.snapshot(event)
        await series.set_status(event, event.version, EventStatus.CANCELLED, write.occurrence_changes)
        await write.audit("UPDATE", event, site_path=order.site_path, before=before)
    return {}


_EFFECTS: dict[str, Callable[[Write, Order, StepInput], Awaitable[dict]]] = {
    "dispatch": _dispatch, "accept": _accept, "decline": _decline, "schedule": _schedule,
    "complete": _complete, "rate": _rate, "cancel": _cancel,
}
assert set(_EFFECTS) == set(ACTIONS)


def order_message(order: Order, previous: OrderStatus | None) -> dict:
    """What the "orders" channel of the live bus carries for one change (no personal data)."""
    return {
        "order_id": order.id, "status": order.status.value,
        "previous_status": previous.value if previous else None,
        "site_path": order.site_path, "team_id": order.team_id, "at": local(now()).isoformat(),
    }
