"""From `git clone` to the first GraphQL answer, as the README has a newcomer do it.

    python3 bench/clone_to_first_answer.py [--repo /work/main] [--port 8000]

Clones the repository into a fresh temporary folder, then runs the README's first command
there exactly (`python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/wenming
serve --demo`; with --port, `--port N` is added to the serve command), and posts the README's
example query until it answers. Prints the seconds of each step and the total. pip uses
whatever package cache and index the machine has, as a newcomer's would. Not a test: the
figures go in the notes and the README. Uses nothing outside the standard library, so it runs
before anything is installed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

README_QUERY = "{ sites(kind: [CENTER], first: 2) { totalCount edges { node { name subtreeCounts { kind count } } } } }"


def timed(label: str, command: str, cwd: Path, marks: list[tuple[str, float]]) -> None:
    started = time.perf_counter()
    subprocess.run(command, shell=True, cwd=cwd, check=True)
    marks.append((label, time.perf_counter() - started))


def first_answer(url: str, proc: subprocess.Popen, limit: float = 600) -> dict:
    request = json.dumps({"query": README_QUERY}).encode()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"wenming serve exited with {proc.returncode}")
        try:
            post = urllib.request.Request(url, request, {"Content-Type": "application/json"})
            with urllib.request.urlopen(post, timeout=5) as response:
                return json.loads(response.read())
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    sys.exit(f"no answer within {limit} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", default="/work/main")
    parser.add_argument("--port", type=int, default=None, help="add --port N to the serve command")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="wenming-clone-"))
    marks: list[tuple[str, float]] = []
    try:
        timed("git clone", f"git clone -q {args.repo} wenming", folder, marks)
        checkout = folder / "wenming"
        timed("python3 -m venv .venv", "python3 -m venv .venv", checkout, marks)
        timed("pip install -q -e .", ".venv/bin/pip install -q -e .", checkout, marks)
        port = args.port or 8000
        serve = [str(checkout / ".venv/bin/wenming"), "serve", "--demo"] + (["--port", str(port)] if args.port else [])
        started = time.perf_counter()
        proc = subprocess.Popen(serve, cwd=checkout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            body = first_answer(f"http://127.0.0.1:{port}/graphql", proc)
        finally:
            proc.terminate()
            proc.wait(30)
        marks.append(("wenming serve --demo to first answer", time.perf_counter() - started))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for label, seconds in marks:
        print(f"{seconds:6.1f} s  {label}")
    print(f"{sum(s for _, s in marks):6.1f} s  total, git clone to the first GraphQL answer")
    print(f"answer: {body['data']['sites']['totalCount']} centres, first {body['data']['sites']['edges'][0]['node']['name']}")


if __name__ == "__main__":
    main()
