"""Every GraphQL example in docs/ and the README runs against `wenming serve --demo`, as a reader
runs it, and answers what the page shows.

An example is a ```graphql block, then its variables (a ```json block), then, when the page
shows the answer, a ```json block holding {"data": ...}. The answer shown may be abridged: "…"
stands for any value, a string ending in "…" for any string starting so, and a list ending in
"…" shows only its first items. The examples ask about the demo's showcase month (March 2026 in
鲤城区, api/demo/showcase.py), which is the same whatever day the demo is loaded.

A page that writes (```graphql example:CALLER blocks) is run in order on a fresh demo of its
own, each request with the token of the caller it names: the page's ```bash block makes them
(`wenming admin create ...  # admin`, `wenming token create ...  # editor`), as a reader would;
callers it does not make (`anyone`, `resident`) send no token. A value the page abridges
("ord_…", "RXZlbnQ6…") stands, in the variables of the examples after it, for what the server
answered in its place.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.demo_support import WENMING, clean_env, demo_server, start, stop  # noqa: F401 (a fixture)

DOCS = Path(__file__).parent.parent / "docs"
PAGES = [*sorted(DOCS.glob("*.md")), DOCS.parent / "README.md"]
BLOCK = re.compile(r"^ *```(?P<lang>\w*)(?: example:(?P<caller>\w+)| (?P<other>\w+))?\n(?P<body>.*?)^ *```",
                   re.DOTALL | re.MULTILINE)
CALLER_COMMAND = re.compile(r"^(?P<command>wenming .+?) +# (?P<caller>\w+)$", re.MULTILINE)
ANY = "…"
# Pages whose answers are those of the small test network, checked there by their own test:
# on the demo their examples must run and answer something, but answer other things. (None
# today: search.md's examples ask the demo's showcase and are compared here.)
ANSWERS_ON_THE_TEST_NETWORK: dict[str, str] = {}
# Pages that write whose examples are still the test network's (run there in order by their test).
# (None today: volunteers.md signs up and checks in on the demo's daily duty, api/demo/duty.py.)
WRITES_ON_THE_TEST_NETWORK: dict[str, str] = {}
README_URL = "http://127.0.0.1:8000"  # where `wenming serve --demo` listens


def examples(*, writing: bool = False) -> list[tuple[str, str, dict, dict | None]]:
    """(page#n, query, variables, the answer shown or None) for every ```graphql block that reads
    (or, with writing, every ```graphql example:CALLER block: (page#n, caller, query, ...))."""
    found = []
    for page in PAGES:
        blocks = list(BLOCK.finditer(page.read_text(encoding="utf-8")))
        n = 0
        for i, block in enumerate(blocks):
            if block["lang"] != "graphql" or block["other"] or bool(block["caller"]) != writing:
                continue
            n += 1
            following = []
            for after in blocks[i + 1:i + 3]:
                if after["lang"] != "json":
                    break
                following.append(json.loads(after["body"]))
            variables = following.pop(0) if following and "data" not in following[0] else {}
            answer = following[0] if following and "data" in following[0] else None
            caller = (block["caller"],) if writing else ()
            found.append((f"{page.name}#{n}", *caller, block["body"], variables, answer))
    return found


def writing_pages() -> list[str]:
    return sorted({where.split("#")[0] for where, *_ in examples(writing=True)})


def caller_commands(page: str) -> dict[str, str]:
    """The page's own commands that make its callers' tokens, by caller."""
    text = next(p for p in PAGES if p.name == page).read_text(encoding="utf-8")
    return {m["caller"]: m["command"] for b in BLOCK.finditer(text) if b["lang"] == "bash"
            for m in CALLER_COMMAND.finditer(b["body"])}


def differences(shown, actual, path: str = "") -> list[str]:
    """Where the actual answer differs from what the page shows ("…" matches anything)."""
    if shown == ANY:
        return []
    if isinstance(shown, str) and shown.endswith(ANY):
        return [] if isinstance(actual, str) and actual.startswith(shown[:-1]) else [f"{path}: shown {shown!r}, got {actual!r}"]
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
    assert differences({"t": "ord_…"}, {"t": "ord_x1"}) == []
    assert differences({"t": "ord_…"}, {"t": "wm_x1"}) == [".t: shown 'ord_…', got 'wm_x1'"]


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


def abridged_values(shown, actual) -> dict[str, str]:
    """What the server answered where the page abridges a value ("ord_…" -> "ord_8Xq...")."""
    if isinstance(shown, dict) and isinstance(actual, dict):
        return {k: v for key in shown.keys() & actual.keys() for k, v in abridged_values(shown[key], actual[key]).items()}
    if isinstance(shown, list) and isinstance(actual, list):
        return {k: v for s, a in zip(shown, actual) for k, v in abridged_values(s, a).items()}
    if isinstance(shown, str) and shown.endswith(ANY) and shown != ANY and isinstance(actual, str):
        return {shown: actual}
    return {}


def filled(variables, values: dict[str, str]):
    if isinstance(variables, dict):
        return {k: filled(v, values) for k, v in variables.items()}
    if isinstance(variables, list):
        return [filled(v, values) for v in variables]
    return values.get(variables, variables) if isinstance(variables, str) else variables


def test_every_writing_page_runs_on_the_demo_or_says_where_it_runs():
    pages = writing_pages()
    assert "orders.md" in pages
    for page in pages:
        assert page in WRITES_ON_THE_TEST_NETWORK or caller_commands(page), page
    assert abridged_values({"a": [{"t": "ord_…", "at": ANY}]}, {"a": [{"t": "ord_1", "at": "x"}]}) == {"ord_…": "ord_1"}
    assert filled({"input": {"token": "ord_…", "n": 1}}, {"ord_…": "ord_1"}) == {"input": {"token": "ord_1", "n": 1}}


@pytest.mark.parametrize("page", [p for p in writing_pages() if p not in WRITES_ON_THE_TEST_NETWORK])
def test_a_writing_page_answers_as_shown_on_a_fresh_demo(tmp_path, page):
    """The reader's way: `wenming serve --demo`, the page's commands for the tokens, then the
    page's requests in order, as the callers they name."""
    server = start(tmp_path, "--demo")
    try:
        tokens = {}
        for caller, command in caller_commands(page).items():
            made = server.wenming(*shlex.split(command)[1:])
            assert made.returncode == 0, (command, made.stderr)
            tokens[caller] = made.stdout.strip().splitlines()[-1]
        values: dict[str, str] = {}
        for where, caller, query, variables, answer in [e for e in examples(writing=True) if e[0].startswith(f"{page}#")]:
            headers = {"Authorization": f"Bearer {tokens[caller]}"} if caller in tokens else {}
            body = httpx.post(f"{server.url}/graphql", json={"query": query, "variables": filled(variables, values)},
                              headers=headers, timeout=60).json()
            assert answer is not None, f"{where} shows no answer"
            assert differences(answer, body) == [], (where, json.dumps(body, ensure_ascii=False))
            values |= abridged_values(answer, body)
    finally:
        stop(server)


# --- command lines: `$ command` in a ```text block, then what it prints ----------------------

# Pages whose transcripts run as shown here (in an empty folder: each shows a mistake refused
# before anything starts). editing.md's print fresh tokens; calendar.md's sync counts follow the
# holidays package (tests/test_china_calendar.py checks the sync).
TRANSCRIPT_PAGES = ["quickstart.md"]
BOX = re.compile(r"[│╭╮╰╯─┃┏┓┗┛━]")


def transcripts(page: str) -> list[tuple[str, list[str]]]:
    """(command, the lines the page shows it printing) for every `$ ` line of the page's text blocks."""
    text = next(p for p in PAGES if p.name == page).read_text(encoding="utf-8")
    found = []
    for block in BLOCK.finditer(text):
        if block["lang"] != "text":
            continue
        for line in block["body"].splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            elif found and line.strip():
                found[-1][1].append(line)
    return found


def squeezed(text: str) -> str:
    """Output as a reader compares it: no box drawing, whitespace and line breaks as one space."""
    return " ".join(BOX.sub(" ", text).split())


@pytest.mark.parametrize("page", TRANSCRIPT_PAGES)
def test_a_pages_command_lines_print_what_it_shows(tmp_path, page):
    shown = transcripts(page)
    assert shown, f"{page} shows no command line"
    for command, lines in shown:
        words = shlex.split(command)
        env = dict(w.split("=", 1) for w in words if "=" in w and w.split("=", 1)[0].isupper())
        args = words[words.index("wenming") + 1:]
        done = subprocess.run([WENMING, *args], cwd=tmp_path, env=clean_env(**env), capture_output=True, text=True,
                              timeout=120)
        printed = squeezed(done.stdout + done.stderr)
        assert done.returncode == 2, (command, done.returncode, printed)  # the page: "exit status 2"
        for line in lines:
            assert squeezed(line) in printed, (command, line, printed)
