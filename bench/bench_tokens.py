"""CPU of the search tokenizer on the demo's texts, and the fixture that pins its output.

    python3 bench/bench_tokens.py                 # CPU to tokenise every demo text (cold caches)
    python3 bench/bench_tokens.py --load          # + CPU of load_demo(scale=10, bulk=True) on SQLite
    python3 bench/bench_tokens.py --write-fixture # tests/fixtures/search_tokens.json from this code

The texts are every site, team, lecturer and event title and body a demo (scale 1, fixed day)
generates. Timings are process CPU (time.process_time), not wall clock.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api import db as api_db  # noqa: E402
from api.demo import load_demo  # noqa: E402
from api.search import index  # noqa: E402

TODAY = date(2026, 3, 2)
FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "search_tokens.json"


async def demo_texts(scale: int = 1) -> tuple[list[str], list[str]]:
    """The distinct titles and bodies the demo indexes, in a stable order."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{tmp}/demo.sqlite3"
        await api_db.migrate(url)
        async with api_db.connected(url):
            await load_demo(scale=scale, today=TODAY, bulk=True)
            titles: dict[str, None] = {}
            bodies: dict[str, None] = {}
            for kind, model in index.MODELS.items():
                for row in await model.filter(**index.PUBLIC.get(kind, {})):
                    f = index.fields_of(kind, row)
                    titles[f.title] = None
                    bodies[" ".join(t for t in f.body if t)] = None
    return sorted(titles), sorted(bodies)


def tokenise(titles: list[str], bodies: list[str]) -> None:
    """CPU to give every text its index columns, as api/search/index.py does, caches cold."""
    from api.search.tokens import fold_chars, initials_tokens, text_tokens, title_key

    start = time.process_time()
    for t in titles:
        title_key(t), text_tokens(t), initials_tokens(t), fold_chars(t)
    for b in bodies:
        text_tokens(b)
    cpu = time.process_time() - start
    print(f"tokenise {len(titles)} titles + {len(bodies)} bodies: {cpu * 1000:.0f} ms CPU")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--load", action="store_true", help="also time load_demo(scale=10, bulk=True)")
    parser.add_argument("--write-fixture", action="store_true")
    parser.add_argument("--tokenise", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tokenise:
        return tokenise(*json.loads(Path(args.tokenise).read_text()))
    titles, bodies = asyncio.run(demo_texts())
    if args.write_fixture:
        import tests.test_search_tokens as pinned

        FIXTURE.parent.mkdir(exist_ok=True)
        # Every title; every sixth body (bodies are long and made from the same few templates).
        FIXTURE.write_text(pinned.dumps(pinned.expected(titles, bodies[::6])))
        print(f"wrote {FIXTURE} ({len(titles)} titles, {len(bodies[::6])} bodies)")
        return
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump([titles, bodies], f, ensure_ascii=False)
        f.flush()
        # In a fresh process: the demo load above warmed the tokenizer's caches.
        subprocess.run([sys.executable, __file__, "--tokenise", f.name], check=True)
    if args.load:
        async def load() -> float:
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite://{tmp}/load.sqlite3"
                await api_db.migrate(url)
                async with api_db.connected(url):
                    start = time.process_time()
                    await load_demo(scale=10, today=TODAY, bulk=True)
                    return time.process_time() - start
        print(f"load_demo(scale=10, bulk=True) on SQLite: {asyncio.run(load()):.1f} s CPU")


if __name__ == "__main__":
    main()
