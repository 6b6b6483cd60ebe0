"""docs/editing.md stays true: its write examples run, in order, on the test network, and
answer with the shape and the error codes the page shows; on a fresh `wenming serve --demo`, as
a reader runs them, they answer with the very IDs the page shows; its table lists every error
code."""

from __future__ import annotations

import json
import re
from pathlib import Path

from api.models.teams import Team
import httpx

from tests.auth_support import make_callers, post
from tests.demo_support import fresh_demo, stop
from tests.network import build, gid

ROOT = Path(__file__).parent.parent
DOC = ROOT / "docs" / "editing.md"
BLOCK = re.compile(r"^ *```(?P<lang>\w*)[^\n]*\n(?P<body>.*?)^ *```", re.DOTALL | re.MULTILINE)  # ```lang and any words after it
OPERATION = re.compile(r"^(mutation|query) (?P<name>\w+)(?P<args>\()?")
# Who runs each example on the test network (default: the institute's EDITOR).
CALLER = {"KioskToken": "admin", "WhoAmI": "admin", "AuditTrail": "admin"}
# Codes raised only by queries and feeds (as top-level errors), not in a payload's errors.
QUERY_ONLY = {"BAD_CURSOR", "BAD_PAGE_SIZE", "BAD_WINDOW", "BAD_PERIOD", "BOARD_TOO_LARGE", "NO_LIVE",
              "BAD_USER_INPUT"}  # top-level errors (docs/graphql.md), never a payload's UserError


def blocks() -> list[tuple[str, str]]:
    return [(m["lang"], m["body"]) for m in BLOCK.finditer(DOC.read_text(encoding="utf-8"))]


def operations() -> list[tuple[str, str, dict, dict]]:
    """(name, text, variables, expected answer) for every runnable text block."""
    found, items = [], blocks()
    for i, (lang, body) in enumerate(items):
        if lang != "text" or not (m := OPERATION.match(body)):
            continue
        following = [json.loads(b) for _, b in items[i + 1:i + 3] if _ == "json"]
        variables = following.pop(0) if m["args"] else {}
        found.append((m["name"], body, variables, following[0]))
    return found


def answer_with(word: str) -> dict:
    """The page's standalone answer that shows `word` (the kiosk refusal, the conflict)."""
    (body,) = [b for lang, b in blocks() if lang == "json" and f'"{word}"' in b]
    return json.loads(body)


def shape(value):
    """What a client relies on: keys, nesting, nulls, and the error codes and fields."""
    if isinstance(value, dict):
        if {"field", "code", "message"} <= value.keys():
            return ("error", tuple(value["field"] or ()), value["code"])
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return None if value is None else type(value).__name__


def learn_ids(documented, actual, ids: dict[str, str]) -> None:
    """Map the page's IDs onto the test network's, from answers with the same shape."""
    if isinstance(documented, dict) and isinstance(actual, dict):
        for key, value in documented.items():
            if key == "id" and isinstance(value, str) and isinstance(actual.get(key), str):
                ids[value] = actual[key]
            else:
                learn_ids(value, actual.get(key), ids)
    elif isinstance(documented, list) and isinstance(actual, list):
        for d, a in zip(documented, actual):
            learn_ids(d, a, ids)


def substitute(variables: dict, ids: dict[str, str]) -> dict:
    text = json.dumps(variables, ensure_ascii=False)
    for documented, actual in ids.items():
        text = text.replace(f'"{documented}"', f'"{actual}"')
    return json.loads(text)


def test_the_page_has_its_write_examples():
    names = [name for name, *_ in operations()]
    assert {"EditOpeningHours", "NewSquad", "AddVolunteer", "JoinTeam", "Leave", "Undo", "AuditTrail"} <= set(names)


async def test_every_write_example_answers_as_documented(client):
    net = await build()
    callers = await make_callers(net)
    corps = await Team.get(kind="CORPS", home_site_id=net.centre.id)
    # The page's IDs are the demo city's; the first ones name the test network's counterparts.
    ids = {"U2l0ZToz": gid("Site", net.institute.id), "VGVhbToxNw==": gid("Team", corps.id)}
    for name, text, variables, expected in operations():
        variables = substitute(variables, ids)
        response = await post(client, getattr(callers, CALLER.get(name, "editor")), text, **variables)
        actual = response.json()
        assert shape(actual) == shape(expected), (name, actual)
        learn_ids(expected, actual, ids)
        if name == "EditOpeningHours":
            # The same request again, with the version now stale; and from the kiosk token.
            again = (await post(client, callers.editor, text, **variables)).json()
            assert shape(again) == shape(answer_with("CONFLICT")), again
            kiosk = (await post(client, callers.viewer, text, **variables)).json()
            assert shape(kiosk) == shape(answer_with("FORBIDDEN")), kiosk


def test_the_page_lists_every_error_code():
    raised = set()
    for path in [*ROOT.glob("api/**/*.py"), *ROOT.glob("schema/**/*.py")]:
        raised |= set(re.findall(r'code="([A-Z_]+)"', path.read_text(encoding="utf-8")))
    listed = set(re.findall(r"^\| `([A-Z_]+)`(?: / `([A-Z_]+)`)?", DOC.read_text(encoding="utf-8"), re.MULTILINE))
    listed = {code for pair in listed for code in pair if code}
    assert sorted(raised - QUERY_ONLY - {"UNAUTHENTICATED"} - listed) == []


def ids_differ(shown, actual, path: str = "") -> list[str]:
    """The IDs the page shows that the answer does not carry at the same place."""
    if isinstance(shown, dict) and isinstance(actual, dict):
        return [d for key, value in shown.items() for d in (
            ([f"{path}.{key}: shown {value}, got {actual.get(key)}"] if value != actual.get(key) else [])
            if key in ("id", "objectId") and isinstance(value, str) else ids_differ(value, actual.get(key), f"{path}.{key}"))]
    if isinstance(shown, list) and isinstance(actual, list):
        return [d for k, (s, a) in enumerate(zip(shown, actual)) for d in ids_differ(s, a, f"{path}[{k}]")]
    return []


def test_on_a_fresh_demo_the_write_examples_answer_with_the_ids_shown(tmp_path, demo_database):
    """The reader's way: `wenming serve --demo`, `wenming admin create zhang.wei --site 1`, then
    the page's requests in order, with the page's IDs as they are."""
    server = fresh_demo(tmp_path, demo_database)
    try:
        made = server.wenming("admin", "create", "zhang.wei", "--site", "1", "--display-name", "张伟")
        assert made.returncode == 0, made.stderr
        token = made.stdout.strip().splitlines()[-1]
        for name, text, variables, expected in operations():
            actual = httpx.post(f"{server.url}/graphql", json={"query": text, "variables": variables},
                                headers={"Authorization": f"Bearer {token}"}, timeout=60).json()
            assert shape(actual) == shape(expected), (name, actual)
            assert ids_differ(expected, actual) == [], (name, actual)
    finally:
        stop(server)
