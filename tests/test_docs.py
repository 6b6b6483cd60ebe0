"""Every GraphQL example in docs/ and the README runs against `wenming serve --demo`, as a reader
runs it, and answers what the page shows.

An example is a ```graphql block, then its variables (a ```json block), then, when the page
shows the answer, a ```json block holding {"data": ...}. The answer shown may be abridged: "…"
stands for any value, and a list ending in "…" shows only its first items. The examples ask
about the demo's showcase month (March 2026 in 鲤城区, api/demo/showcase.py), which is the same
whatever day the demo is loaded.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from tests.demo_support import demo_server  # noqa: F401 (a fixture)

DOCS = Path(__file__).parent.parent / "docs"
PAGES = [*sorted(DOCS.glob("*.md")), DOCS.parent / "README.md"]
BLOCK = re.compile(r"^ *```(?P<lang>\w*)\n(?P<body>.*?)^ *```", re.DOTALL | re.MULTILINE)
ANY = "…"
# Pages whose answers are those of the small test network, checked there by their own test:
# on the demo their examples must run and answer something, but answer other things.
ANSWERS_ON_THE_TEST_NETWORK = {"search.md": "tests/test_search.py"}
README_URL = "http://127.0.0.1:8000"  # where `wenming serve --demo` listens


def examples() -> list[tuple[str, str, dict, dict | None]]:
    """(page#n, query, variables, the answer shown or None) for every ```graphql block."""
    found = []
    for page in PAGES:
        blocks = [(m["lang"], m["body"]) for m in BLOCK.finditer(page.read_text(encoding="utf-8"))]
        n = 0
        for i, (lang, body) in enumerate(blocks):
            if lang != "graphql":
                continue
            n += 1
            following = []
            for next_lang, next_body in blocks[i + 1:i + 3]:
                if next_lang != "json":
                    break
                following.append(json.loads(next_body))
            variables = following.pop(0) if following and "data" not in following[0] else {}
            answer = following[0] if following and "data" in following[0] else None
            found.append((f"{page.name}#{n}", body, variables, answer))
    return found


def differences(shown, actual, path: str = "") -> list[str]:
    """Where the actual answer differs from what the page shows ("…" matches anything)."""
    if shown == ANY:
        return []
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            return [f"{path}: shown an object, got {actual!r}"]
        return [d for key, value in shown.items()
                for d in (differences(value, actual[key], f"{path}.{key}") if key in actual else [f"{path}.{key}: missing"])]
    if isinstance(shown, list):
        if not isinstance(actual, list):
            return [f"{path}: shown a list, got {actual!r}"]
        abridged = bool(shown) and shown[-1] == ANY
        items = shown[:-1] if abridged else shown
        if len(actual) < len(items) or (not abridged and len(actual) != len(items)):
            return [f"{path}: shown {len(items)} items{' or more' if abridged else ''}, got {len(actual)}"]
        return [d for k, (s, a) in enumerate(zip(items, actual)) for d in differences(s, a, f"{path}[{k}]")]
    return [] if shown == actual else [f"{path}: shown {shown!r}, got {actual!r}"]


def test_the_docs_have_examples_and_show_their_answers():
    found = examples()
    assert len(found) >= 10
    assert sum(answer is not None for *_, answer in found) >= 6


def test_abridged_answers_match_as_a_reader_reads_them():
    assert differences({"a": [1, 2, ANY], "b": ANY}, {"a": [1, 2, 3], "b": {"x": 1}, "c": 0}) == []
    assert differences({"a": [1, 2]}, {"a": [1, 2, 3]}) == [".a: shown 2 items, got 3"]
    assert differences({"a": [1, ANY]}, {"a": [2]}) == [".a[0]: shown 1, got 2"]
    assert differences({"a": {"b": 1}}, {}) == [".a: missing"]


@pytest.mark.parametrize(("where", "query", "variables", "answer"), examples(), ids=[e[0] for e in examples()])
def test_example_answers_on_the_demo_as_shown(demo_server, where, query, variables, answer):  # noqa: F811
    response = httpx.post(f"{demo_server.url}/graphql", json={"query": query, "variables": variables}, timeout=60)
    # The pages show the README's address; the test's demo serves on a port of its own.
    served = response.text.replace(demo_server.url, README_URL).replace(
        f"127.0.0.1%3A{demo_server.port}", "127.0.0.1%3A8000").replace(f"127.0.0.1:{demo_server.port}", "127.0.0.1:8000")
    body = json.loads(served)
    assert "errors" not in body, (where, body.get("errors"))
    assert any(v for v in body["data"].values()), f"{where} returned nothing: {body}"
    if answer is not None and where.split("#")[0] not in ANSWERS_ON_THE_TEST_NETWORK:
        assert differences(answer, body) == [], (where, json.dumps(body, ensure_ascii=False))
