"""The layout of the GraphQL face (docs/design.md, "Layout"), checked from the source.

Every import statement counts: at the top of a module, under TYPE_CHECKING or inside a
function. A type that returns a node of an area above its own names it with
``strawberry.lazy`` (a string, resolved when the schema is assembled), not with an import.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_MAY_IMPORT = ("api.models", "api.domain", "api.settings", "api.live", "api.search", "api.volunteering",
                     "api.content", "api.china_calendar", "api.sheets",
                     "api.shared_cache",  # the Redis-shared render cache persisted documents use
                     "api.db.replica")  # which database a request's reads may use (stale allowed or not)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(package: str) -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((ROOT / package).rglob("*.py"))}


def _imports(path: Path, name: str) -> set[str]:
    """Every module this file imports (``from a import b`` counts as a.b when that is a module)."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _graph(package: str) -> dict[str, set[str]]:
    modules = _modules(package)
    return {name: {m for m in _imports(path, name) if m in modules and m != name} for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the list of modules around it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def _area(module: str) -> str:
    """schema.network.types -> schema.network; the root modules (schema.schema, schema.http) stay."""
    parts = module.split(".")
    return ".".join(parts[:2])


def test_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_between_modules_of_schema():
    graph = _graph("schema")
    assert "schema.network.types" in graph and "schema.core.context" in graph
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_areas_import_each_other_one_way():
    areas: dict[str, set[str]] = {}
    for module, imported in _graph("schema").items():
        areas.setdefault(_area(module), set()).update(_area(m) for m in imported if _area(m) != _area(module))
    assert _cycle(areas) is None, " -> ".join(_cycle(areas) or [])


def test_core_uses_no_area():
    graph = _graph("schema")
    wrong = {
        (module, imported)
        for module, targets in graph.items() if module.startswith("schema.core")
        for imported in targets if not imported.startswith("schema.core")
    }
    assert not wrong, f"schema/core must not import an area or the root: {sorted(wrong)}"


def _imports_of(package: str, top: str) -> set[tuple[str, str]]:
    """(module, what it imports) for every import of a ``top`` package's module under ``package``."""
    return {
        (name, imported)
        for name, path in _modules(package).items()
        for imported in _imports(path, name)
        if imported.split(".")[0] == top and imported != top
    }


def test_schema_uses_the_domain_not_the_feeds_or_the_app():
    wrong = {(name, imported) for name, imported in _imports_of("schema", "api") if not imported.startswith(SCHEMA_MAY_IMPORT)}
    assert not wrong, f"schema may import only {', '.join(SCHEMA_MAY_IMPORT)} from api: {sorted(wrong)}"


def test_feeds_never_import_graphql():
    wrong = _imports_of("api/feeds", "schema")
    assert not wrong, f"api/feeds and schema share the domain, not each other: {sorted(wrong)}"


def test_content_rules_know_no_graphql():
    wrong = _imports_of("api/content", "schema")
    assert not wrong, f"api/content holds rules and storage, no GraphQL: {sorted(wrong)}"


def test_sheets_never_import_graphql():
    wrong = _imports_of("api/sheets", "schema")
    assert not wrong, f"api/sheets holds rules; its GraphQL face is schema/sheets: {sorted(wrong)}"
