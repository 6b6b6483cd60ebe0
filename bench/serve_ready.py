"""How long `wenming serve --demo` takes, from a fresh SQLite file to answering GraphQL.

    .venv/bin/python bench/serve_ready.py [--port 8765]

Prints the seconds until /health answers and until the first GraphQL query answers, and the
size of the demo network it loaded. Not a test: figures go in the notes and docs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

QUERY = "{ sites(first: 1) { totalCount } occurrences(from: \"2026-01-01T00:00:00+08:00\", to: \"2026-12-31T00:00:00+08:00\", first: 1) { totalCount } }"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    wenming = Path(sys.executable).with_name("wenming")
    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {"WENMING_DATABASE_URL": f"sqlite://{tmp}/bench.sqlite3"}
        started = time.perf_counter()
        proc = subprocess.Popen([str(wenming), "serve", "--demo", "--port", str(args.port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        base = f"http://127.0.0.1:{args.port}"
        try:
            while True:
                if proc.poll() is not None:
                    sys.exit(f"wenming serve exited early:\n{proc.stderr.read()}")
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.perf_counter() - started > 300:
                    sys.exit("not ready after 300 s")
                time.sleep(0.1)
            ready = time.perf_counter() - started
            body = httpx.post(f"{base}/graphql", json={"query": QUERY}, timeout=30).json()
            answered = time.perf_counter() - started
        finally:
            proc.terminate()
            proc.wait(10)
    print(f"ready (health 200) after {ready:.1f} s; first GraphQL answer after {answered:.1f} s")
    print(f"demo network: {body['data']['sites']['totalCount']} sites, "
          f"{body['data']['occurrences']['totalCount']} occurrences in 2026")


if __name__ == "__main__":
    main()
