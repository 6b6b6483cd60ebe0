"""Depth, aliases and size of a GraphQL document, measured in time linear in its text.

strawberry's QueryDepthLimiter and MaxAliasesLimiter walk every fragment spread again at
each place it is spread: a 1.3 KB chain of fragments that each spread the next one twice
costs 2^30 visits. Here each fragment is measured once (memoised by name) and its figures are
reused wherever it is spread, so a document costs what its text costs however its fragments
nest. The figures are those of the document as execution would expand it: `fields` counts
every field after expanding spreads (the fragment-expansion cap), `aliases` every alias.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
)


@dataclass(frozen=True)
class Shape:
    depth: int = 0  # levels of fields with a selection set, as strawberry's depth limiter counts them
    aliases: int = 0
    fields: int = 0  # fields after every fragment spread is expanded


EMPTY = Shape()


def measure(selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode],
            memo: dict[str, Shape], visiting: set[str]) -> Shape:
    """The shape of a selection set; `memo` holds each fragment's shape once it is known.

    A fragment met again while it is being measured (a cycle) counts as empty here:
    graphql-core's NoFragmentCyclesRule reports the cycle itself.
    """
    if selection_set is None:
        return EMPTY
    depth = aliases = fields = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                # Introspection: bounded by the schema, not by the document (and GraphiQL's
                # own query nests `ofType` deeper than any data query may).
                fields += 1
                aliases += selection.alias is not None
                continue
            inner = measure(selection.selection_set, fragments, memo, visiting)
            depth = max(depth, inner.depth + 1 if selection.selection_set else 0)
            aliases += inner.aliases + (selection.alias is not None)
            fields += inner.fields + 1
            continue
        if isinstance(selection, InlineFragmentNode):
            inner = measure(selection.selection_set, fragments, memo, visiting)
        elif isinstance(selection, FragmentSpreadNode):
            inner = fragment_shape(selection.name.value, fragments, memo, visiting)
        else:  # pragma: no cover - the grammar has no other selections
            continue
        depth = max(depth, inner.depth)
        aliases += inner.aliases
        fields += inner.fields
    return Shape(depth, aliases, fields)


def fragment_shape(name: str, fragments: dict[str, FragmentDefinitionNode], memo: dict[str, Shape],
                   visiting: set[str]) -> Shape:
    if name in memo:
        return memo[name]
    definition = fragments.get(name)
    if definition is None or name in visiting:  # unknown: KnownFragmentNamesRule reports it
        return EMPTY
    visiting.add(name)
    memo[name] = measure(definition.selection_set, fragments, memo, visiting)
    visiting.discard(name)
    return memo[name]


def refusals(document: DocumentNode, *, max_depth: int, max_aliases: int, max_fields: int) -> list[GraphQLError]:
    """Every operation of the document over a limit, as coded errors; [] when all are within."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    memo: dict[str, Shape] = {}
    return [error for d in document.definitions if isinstance(d, OperationDefinitionNode)
            for error in operation_refusals(d, fragments, memo, max_depth, max_aliases, max_fields)]


def operation_refusals(node: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode],
                       memo: dict[str, Shape], max_depth: int, max_aliases: int, max_fields: int) -> list[GraphQLError]:
    shape = measure(node.selection_set, fragments, memo, set())
    name = node.name.value if node.name else "anonymous"
    found = []
    if shape.depth > max_depth:
        found.append((f"'{name}' exceeds maximum operation depth of {max_depth} "
                      f"(it is {shape.depth} levels deep, fragments included)", "QUERY_TOO_DEEP"))
    if shape.aliases > max_aliases:
        found.append((f"{shape.aliases} aliases found. Allowed: {max_aliases} "
                      "(each spread of a fragment counts its aliases again)", "TOO_MANY_ALIASES"))
    if shape.fields > max_fields:
        found.append((f"'{name}' selects {shape.fields} fields once its fragments are expanded; "
                      f"at most {max_fields} are allowed", "QUERY_TOO_LARGE"))
    return [GraphQLError(message, node, extensions={"code": code}) for message, code in found]


def shape_rule(*, max_depth: int, max_aliases: int, max_fields: int) -> type[ASTValidationRule]:
    """A validation rule class with the limits baked in; build it once (the validation cache
    keys on the rule classes, so a class per request would miss it every time)."""

    class DocumentShapeRule(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.fragments = {
                d.name.value: d for d in context.document.definitions if isinstance(d, FragmentDefinitionNode)
            }
            self.memo: dict[str, Shape] = {}

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: object) -> bool:
            for error in operation_refusals(node, self.fragments, self.memo, max_depth, max_aliases, max_fields):
                self.report_error(error)
            return False  # nothing below the operation needs this rule

    return DocumentShapeRule
