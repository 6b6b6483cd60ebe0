"""What a query will cost before it runs, and the caps on list arguments.

The price of a query is about the number of objects it makes the server resolve, with the
expensive fields priced by what they really cost (measured by bench/bench_hostile.py):

- an object field costs 1, a scalar field nothing;
- a list multiplies what is below it by its length: a connection's page size (`first`, or
  the default page), `nodes(ids:)` its number of ids, any other list an estimate (LIST_ESTIMATE);
- `occurrences` adds one unit per day of its window (the range the database scans and
  sorts), `totalCount` a COUNT, `stats`, `orderStats` and `board` their aggregate statements.

The walk is linear in the document: each fragment is priced once per page size it is spread
under (memoised). It needs the request's variables (`first: $n`, `from: $from`), so it runs
per request after validation (protection.CostLimiter) rather than as a cached validation rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    is_composite_type,
    value_from_ast_untyped,
)
from graphql.pyutils import Undefined

from api.domain.occurrences import MAX_WINDOW_DAYS
from schema.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

MAX_COST = 5000
MAX_LIST_ITEMS = 100  # items in any list argument or variable (nodes(ids:) included)
LIST_ESTIMATE = 5  # a list with no page size: a site's children, an occurrence's lecturers
TOTAL_COUNT_PRICE = 10
INTROSPECTION_PRICE = 200  # the whole schema described: bounded by the schema, not the query
# Fields whose resolver runs aggregate statements over a whole subtree, priced as objects.
FIELD_PRICES = {("Query", "stats"): 400, ("Query", "orderStats"): 200, ("Query", "board"): 100}
WINDOWED = {("Query", "occurrences")}  # plus one unit per day of their from/to window
DAY_LISTS = {("Query", "calendarDays")}  # a list with one item per day of its from/to window


class Refusal(Exception):
    def __init__(self, message: str, code: str, **extensions: Any) -> None:
        super().__init__(message)
        self.error = GraphQLError(message, extensions={"code": code, **extensions})


def check(schema: GraphQLSchema, operation: OperationDefinitionNode,
          fragments: Mapping[str, FragmentDefinitionNode], variables: Mapping[str, Any] | None,
          max_cost: int = MAX_COST) -> GraphQLError | None:
    """The error refusing this operation (too many list items, too costly), or None."""
    values = _with_defaults(operation, variables or {})
    try:
        root = schema.get_root_type(operation.operation)
        cost = Pricer(schema, fragments, values).selection(operation.selection_set, root, None)
    except Refusal as refusal:
        return refusal.error
    if cost > max_cost:
        return Refusal(
            f"This query would cost {cost} points; at most {max_cost} are allowed. Ask for smaller pages "
            "(first), shorter windows (from/to), fewer aliases of stats or occurrences, or split it",
            "QUERY_TOO_COSTLY", cost=cost, limit=max_cost,
        ).error
    return None


def _with_defaults(operation: OperationDefinitionNode, variables: Mapping[str, Any]) -> dict[str, Any]:
    values = dict(variables) if isinstance(variables, Mapping) else {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in values and definition.default_value is not None:
            values[name] = value_from_ast_untyped(definition.default_value)
    return values


class Pricer:
    def __init__(self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode],
                 variables: dict[str, Any]) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.memo: dict[tuple[str, int | None], int] = {}
        self.visiting: set[str] = set()

    def selection(self, selection_set: SelectionSetNode | None, parent: Any, page: int | None) -> int:
        """`page` is the page size of the connection whose fields these are (for its `edges`)."""
        if selection_set is None:
            return 0
        total = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                total += self.field(node, parent, page)
            elif isinstance(node, InlineFragmentNode):
                on = self.schema.get_type(node.type_condition.name.value) if node.type_condition else parent
                total += self.selection(node.selection_set, on or parent, page)
            elif isinstance(node, FragmentSpreadNode):
                total += self.fragment(node.name.value, page)
        return total

    def fragment(self, name: str, page: int | None) -> int:
        key = (name, page)
        if key not in self.memo:
            definition = self.fragments.get(name)
            if definition is None or name in self.visiting:  # unknown or a cycle: validation reports it
                return 0
            self.visiting.add(name)
            on = self.schema.get_type(definition.type_condition.name.value)
            self.memo[key] = self.selection(definition.selection_set, on, page)
            self.visiting.discard(name)
        return self.memo[key]

    def field(self, node: FieldNode, parent: Any, page: int | None) -> int:
        name = node.name.value
        if name.startswith("__"):
            return INTROSPECTION_PRICE if name in ("__schema", "__type") else 0
        definition = getattr(parent, "fields", {}).get(name)
        if definition is None:
            return 0
        args = self.arguments(node, definition, name)
        returns = definition.type
        if isinstance(returns, GraphQLNonNull):
            returns = returns.of_type
        is_list = isinstance(returns, GraphQLList)
        while isinstance(returns, (GraphQLList, GraphQLNonNull)):
            returns = returns.of_type
        key = (parent.name, name)
        price = FIELD_PRICES.get(key, 0) + (TOTAL_COUNT_PRICE if name == "totalCount" else 0)
        if key in WINDOWED:
            price += _window_days(args.get("from"), args.get("to"))
        if not is_composite_type(returns):
            return price
        own_page = _page_size(args["first"], definition.args["first"].default_value) if "first" in definition.args else None
        if not is_list:  # a connection hands its page size to its edges
            return price + 1 + self.selection(node.selection_set, returns, own_page)
        if isinstance(args.get("ids"), list):
            count = len(args["ids"])
        elif key in DAY_LISTS:
            count = _window_days(args.get("from"), args.get("to"))
        elif own_page is not None:
            count = own_page
        else:
            count = page if page is not None else LIST_ESTIMATE
        return price + count * (1 + self.selection(node.selection_set, returns, None))

    def arguments(self, node: FieldNode, definition: Any, field: str) -> dict[str, Any]:
        given = {a.name.value: a.value for a in node.arguments or ()}
        args: dict[str, Any] = {}
        for name in definition.args:
            value = value_from_ast_untyped(given[name], self.variables) if name in given else Undefined
            _check_lengths(value, f"{field}({name}:)")
            args[name] = value
        return args


def _check_lengths(value: Any, where: str) -> None:
    """Refuse a list over MAX_LIST_ITEMS anywhere in an argument, before graphql-core coerces
    (and the resolver loads) every item. Iterative: a deeply nested value cannot recurse."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            if len(item) > MAX_LIST_ITEMS:
                raise Refusal(f"{where} has {len(item)} items; a list may hold at most {MAX_LIST_ITEMS}",
                              "TOO_MANY_ITEMS", argument=where, limit=MAX_LIST_ITEMS)
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())


def _page_size(value: Any, default: Any) -> int:
    if value is Undefined or value is None:
        value = default if isinstance(default, int) else DEFAULT_PAGE_SIZE
    if not isinstance(value, int) or isinstance(value, bool):
        return MAX_PAGE_SIZE  # refused later by the resolver; priced at the most it could be
    return max(0, min(value, MAX_PAGE_SIZE))


def _window_days(start: Any, end: Any) -> int:
    """Days between two DateTime/Date argument values; the widest allowed window when they
    cannot be read (the resolver refuses those with its own message)."""
    try:
        first, last = _moment(start), _moment(end)
        days = (last - first).days + 1
    except (TypeError, ValueError, OverflowError):
        return MAX_WINDOW_DAYS
    return max(1, min(days, MAX_WINDOW_DAYS))


def _moment(value: Any) -> datetime:
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    raise TypeError(value)
