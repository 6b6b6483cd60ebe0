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
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.demo_support import WENMING, clean_env, fresh_demo, stop

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
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


# Blocks another test compares with what the server does, by page, language and the start of
# their first line (the test must name the page; this file does not run them). Their fences stay bare: those
# tests find them by them.
COMPARED_ELSEWHERE = {
    "calendar.md": {("", "mutation WorkingDays("): "tests/test_calendar_series.py",
                    ("", '{"input": {"kind": "ACTIVITY", "title": "每个工作日'): "tests/test_calendar_series.py",
                    ("json", '{"data": {"createEvent": {"event": {"rrule"'): "tests/test_calendar_series.py",
                    ("", "mutation LanternRiddles("): "tests/test_yearly_events.py",
                    ("", '{"input": {"kind": "ACTIVITY", "title": "元宵灯谜会"'): "tests/test_yearly_events.py",
                    ("json", '{"data": {"createEvent": {"event": {"startsAt"'): "tests/test_yearly_events.py"},
    # Run in order on the test network and on a fresh demo (operations and their JSON), and the
    # refusals' shapes (FORBIDDEN, CONFLICT).
    "editing.md": {("text", "mutation "): "tests/test_editing_docs.py", ("text", "query "): "tests/test_editing_docs.py",
                   ("json", '{"input"'): "tests/test_editing_docs.py", ("json", '{"within"'): "tests/test_editing_docs.py",
                   ("json", '{"data": {'): "tests/test_editing_docs.py"},
    "operations.md": {("http", "POST /graphql"): "tests/test_idempotency.py",
                      ("bash", "export WENMING_DATABASE_URL='postgres://wenming:secret@pgbouncer"): "tests/test_deployment_docs.py"},
    "orders.md": {("graphql", "subscription Desk("): "tests/test_orders.py"},
    "sheets.md": {("csv", "名称,层级"): "tests/test_sheets_import.py",
                  # an upload, a WebSocket: run with a sheet of 600 stations by their own test
                  ("graphql", "# start:"): "tests/test_sheets_jobs.py", ("graphql", "# follow:"): "tests/test_sheets_jobs.py",
                  ("graphql", "# poll:"): "tests/test_sheets_jobs.py"},
    "quickstart.md": {("text", "Serving on http://127.0.0.1:8000"): "tests/test_docs.py"},
}

def compared_elsewhere(page: str, block: re.Match) -> str | None:
    """The test that compares this block, if another test does."""
    first = block["body"].lstrip().splitlines()[0] if block["body"].strip() else ""
    return next((test for (lang, start), test in COMPARED_ELSEWHERE.get(page, {}).items()
                 if block["lang"] == lang and first.startswith(start)), None)


def examples(*, writing: bool = False) -> list[tuple[str, str, dict, dict | None]]:
    """(page#n, query, variables, the answer shown or None) for every ```graphql block that reads
    (or, with writing, every ```graphql example:CALLER block: (page#n, caller, query, ...))."""
    found = []
    for page in PAGES:
        blocks = list(BLOCK.finditer(page.read_text(encoding="utf-8")))
        n = 0
        for i, block in enumerate(blocks):
            if (block["lang"] != "graphql" or block["other"] or bool(block["caller"]) != writing
                    or compared_elsewhere(page.name, block)):
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
def test_example_answers_on_the_demo_as_shown(demo_server, where, query, variables, answer):
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
def test_a_writing_page_answers_as_shown_on_a_fresh_demo(tmp_path, demo_database, page):
    """The reader's way: `wenming serve --demo`, the page's commands for the tokens, then the
    page's requests in order, as the callers they name."""
    server = fresh_demo(tmp_path, demo_database)
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

# Every page's transcripts run as shown here, in order, in one folder per page, and exit as
# expected: quickstart.md's in an empty folder (each shows a mistake refused before anything
# starts: exit status 2); calendar.md's in an empty folder too (the sync's counts follow the
# holidays package: upgrading it means updating the page); editing.md's in the folder of a demo
# (`wenming demo`, as `wenming serve --demo` leaves it), where "…" stands for the fresh token.
TRANSCRIPT_PAGES = {"quickstart.md": ("empty", 2), "calendar.md": ("empty", 0), "editing.md": ("demo", 0)}
BOX = re.compile(r"[│╭╮╰╯─┃┏┓┗┛━┳╇┡┩╋┻]")


def transcripts(page: str) -> list[tuple[str, list[str]]]:
    """(command, the lines the page shows it printing) for every `$ ` line of the page's text blocks."""
    text = next(p for p in PAGES if p.name == page).read_text(encoding="utf-8")
    found = []
    for block in BLOCK.finditer(text):
        if block["lang"] != "text":
            continue
        printing = None  # the lines of the block's latest command; none before its first
        for line in block["body"].splitlines():
            if line.startswith("$ "):
                found.append((line[2:], printing := []))
            elif printing is not None and line.strip():
                printing.append(line)
    return found


def squeezed(text: str) -> str:
    """Output as a reader compares it: no box drawing, whitespace and line breaks as one space."""
    return " ".join(BOX.sub(" ", text).split())


def shows(line: str, printed: str) -> bool:
    """Whether what was printed shows the page's line, "…" standing for anything (a fresh token)."""
    at = 0
    for part in (p.strip() for p in squeezed(line).split(ANY)):
        found = printed.find(part, at)
        if found < 0:
            return False
        at = found + len(part)
    return True


def test_abridged_lines_match_as_a_reader_reads_them():
    assert shows("Token 2 临江街道大屏 created", "x Token 2 临江街道大屏 created y")
    assert shows("│ 1 │ zhang.wei (CLI) │ wm_… │ account zhang.wei │", "1 zhang.wei (CLI) wm_x8Yz account zhang.wei 2")
    assert not shows("1 zhang.wei wm_…", "zhang.wei 1 wm_x")


@pytest.mark.parametrize("page", TRANSCRIPT_PAGES)
def test_a_pages_command_lines_print_what_it_shows(tmp_path, request, page):
    folder, status = TRANSCRIPT_PAGES[page]
    shown = transcripts(page)
    assert shown, f"{page} shows no command line"
    if folder == "demo":
        shutil.copy(request.getfixturevalue("demo_database"), tmp_path)
    for command, lines in shown:
        words = shlex.split(command)
        env = dict(w.split("=", 1) for w in words if "=" in w and w.split("=", 1)[0].isupper())
        args = words[words.index("wenming") + 1:]
        done = subprocess.run([WENMING, *args], cwd=tmp_path, env=clean_env(**env), capture_output=True, text=True,
                              timeout=300)
        printed = squeezed(done.stdout + done.stderr)
        assert done.returncode == status, (command, done.returncode, printed)
        for line in lines:
            assert shows(line, printed), (command, line, printed)


# --- every block is compared, or says it is illustrative -------------------------------------

ILLUSTRATIVE = "illustrative"  # ```js illustrative: client code, configuration, a command to adapt; not run


def compared_here(page: str, blocks: list[re.Match]) -> set[int]:
    """The blocks this file runs: GraphQL examples with their variables and answers (as
    examples() pairs them), the commands making a writing page's callers, transcripts."""
    compared = set()
    for i, block in enumerate(blocks):
        if block["lang"] == "graphql" and not block["other"] and not compared_elsewhere(page, block):
            compared.add(i)
            for k, j in enumerate(range(i + 1, min(i + 3, len(blocks)))):
                if blocks[j]["lang"] != "json":
                    break
                answer = "data" in json.loads(blocks[j]["body"])
                if k == 0 or answer:  # the variables, the answer
                    compared.add(j)
                if answer:
                    break
        elif block["lang"] == "bash" and CALLER_COMMAND.search(block["body"]) and page in writing_pages():
            compared.add(i)
        elif block["lang"] == "text" and page in TRANSCRIPT_PAGES and any(
                line.startswith("$ ") for line in block["body"].splitlines()):
            compared.add(i)
    return compared


def unaccounted_blocks() -> list[str]:
    """Blocks neither compared by a test nor marked illustrative, as page:line."""
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        blocks = list(BLOCK.finditer(text))
        here = compared_here(page.name, blocks)
        for i, block in enumerate(blocks):
            if i in here or block["other"] == ILLUSTRATIVE:
                continue
            if (test := compared_elsewhere(page.name, block)) and page.name in (ROOT / test).read_text(encoding="utf-8"):
                continue
            found.append(f"{page.name}:{text[:block.start()].count(chr(10)) + 1}")
    return found


def test_every_block_of_every_page_is_compared_or_marked_illustrative():
    assert unaccounted_blocks() == [], "compare these blocks in a test, or mark them ```LANG illustrative"


def test_serve_prints_the_start_up_lines_quickstart_shows(demo_server):
    text = (DOCS / "quickstart.md").read_text(encoding="utf-8")
    (block,) = [b["body"] for b in BLOCK.finditer(text) if b["body"].startswith("Serving on ")]
    for line in block.strip().splitlines():
        assert line.replace("127.0.0.1:8000", f"127.0.0.1:{demo_server.port}") in demo_server.output(), line
