"""The order loop for tests: a menu on tests/network.py, callers for each party, orders put in
any status through the domain, and the examples of docs/orders.md."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from tortoise.transactions import in_transaction
from websockets.asyncio.client import connect

from api.domain import accounts
from api.domain import orders as rules
from api.domain.clock import now
from api.domain.writes import Write
from api.models.accounts import Role
from api.models.orders import Order, OrderStatus, ServiceItem
from api.models.teams import Team, TeamCategory, TeamKind
from tests.auth_support import Callers, make_callers
from tests.live_support import GraphQLSocket
from tests.network import Network, build

DOC = Path(__file__).parent.parent / "docs" / "orders.md"


@dataclass
class Loop:
    net: Network
    callers: Callers
    team_desk: str  # EDITOR on the station: the lecture team's own desk
    corps: Team  # based at the centre (county-wide)
    team: Team  # the lecture team, based at the station
    item: ServiceItem | None  # offered at the centre, so on every menu of the county


async def loop_setup(*, with_item: bool = True) -> Loop:
    net = await build()
    callers = await make_callers(net)
    corps = await Team.get(kind=TeamKind.CORPS)
    team = await Team.get(category=TeamCategory.THEORY)
    team_desk = (await accounts.create_token("洛地有声 desk", site=net.station, role=Role.EDITOR))[1]
    item = None
    if with_item:
        item = await ServiceItem.create(platform=net.theory, name="党的二十大精神宣讲进村", typical_minutes=60, published=True)
        await rules.offer(item, sites=[net.centre], teams=[team])
    return Loop(net, callers, team_desk, corps, team, item)


async def actor_for(secret: str):
    return await accounts.authenticate(f"Bearer {secret}")


# The path to each status, as steps after placing (admin covers the whole county).
PATHS: dict[OrderStatus, list[str]] = {
    OrderStatus.ORDERED: [],
    OrderStatus.DISPATCHED: ["dispatch"],
    OrderStatus.DECLINED: ["dispatch", "decline"],
    OrderStatus.ACCEPTED: ["dispatch", "accept"],
    OrderStatus.SCHEDULED: ["dispatch", "accept", "schedule"],
    OrderStatus.DONE: ["dispatch", "accept", "schedule", "complete"],
    OrderStatus.RATED: ["dispatch", "accept", "schedule", "complete", "rate"],
    OrderStatus.CANCELLED: ["cancel"],
}


async def order_in(loop: Loop, status: OrderStatus, *, site=None) -> tuple[Order, str]:
    """A new order walked to `status` through the domain rules; returns it with its token."""
    admin = await actor_for(loop.callers.admin)
    async with in_transaction():
        order, token = await rules.place(Write(admin), item=loop.item, site=site or loop.net.station,
                                         resident_name="张阿姨", resident_phone="13812345678")
    for action in PATHS[status]:
        given = rules.StepInput(
            team=loop.team, reason="人手不够", attendance=30, rating=5,
            # An order that will be completed is scheduled in the past: attendance needs a held activity.
            starts_at=now() + (timedelta(hours=-3) if "complete" in PATHS[status] else timedelta(days=3)),
            token=token,
        )
        async with in_transaction():
            order = await rules.step(Write(admin), await Order.get(id=order.id), action, given)
    return order, token


@contextlib.asynccontextmanager
async def desk_socket(url: str, *, init: dict | None = None, headers: dict | None = None) -> AsyncIterator[GraphQLSocket]:
    """A graphql-transport-ws client that authenticates in connection_init (as a browser must)."""
    async with connect(url, subprotocols=["graphql-transport-ws"], additional_headers=headers) as conn:
        client = GraphQLSocket(conn)
        await conn.send(json.dumps({"type": "connection_init", "payload": init or {}}))
        assert (await client.receive())["type"] == "connection_ack"
        yield client


# --- docs/orders.md --------------------------------------------------------------------------

EXAMPLE = re.compile(
    r"```graphql example:(?P<caller>\w+)\n(?P<query>.*?)```\s*"
    r"(?:Variables:\s*```json\n(?P<variables>.*?)```\s*)?"
    r"Answer:\s*```json\n(?P<answer>.*?)```",
    re.DOTALL,
)
SUBSCRIPTION = re.compile(r"```graphql subscription\n(?P<query>.*?)```", re.DOTALL)


@dataclass
class Example:
    caller: str
    query: str
    variables: dict
    answer: dict


def doc_examples() -> list[Example]:
    text = DOC.read_text(encoding="utf-8")
    return [
        Example(m["caller"], m["query"], json.loads(m["variables"] or "{}"), json.loads(m["answer"]))
        for m in EXAMPLE.finditer(text)
    ]


def doc_subscription() -> str:
    return SUBSCRIPTION.search(DOC.read_text(encoding="utf-8"))["query"]


def matches(expected, actual, where: str = "") -> None:
    """The docs' answer, where a string ending in "…" stands for any string starting so."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and expected.keys() == actual.keys(), (where, expected, actual)
        for k in expected:
            matches(expected[k], actual[k], f"{where}.{k}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(expected) == len(actual), (where, expected, actual)
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            matches(e, a, f"{where}[{i}]")
    elif isinstance(expected, str) and expected.endswith("…"):
        assert isinstance(actual, str) and actual.startswith(expected[:-1]), (where, expected, actual)
    else:
        assert expected == actual, (where, expected, actual)


