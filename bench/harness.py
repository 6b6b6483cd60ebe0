"""What the benchmarks share: a server in its own process, and timing one request."""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(client: httpx.Client, url: str, **kwargs) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = client.get(url, **kwargs)
    response.read()
    return time.perf_counter() - started, response


@contextlib.contextmanager
def serving(script: str, *args: str) -> Iterator[httpx.Client]:
    """Run `script --serve DATABASE_URL PORT [more args]` in a child process (so the measuring
    client shares nothing with the server) and yield a client once /health answers."""
    port = free_port()
    command = [sys.executable, script, "--serve", args[0], str(port), *args[1:]]
    server = subprocess.Popen(command, cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)})
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            deadline = time.perf_counter() + 60
            while True:
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.perf_counter() > deadline:
                    sys.exit("the server did not start")
                time.sleep(0.1)
            client.server_process = server  # type: ignore[attr-defined]  # for its pid (CPU time)
            yield client
    finally:
        server.terminate()
        server.wait(10)


def measured_app(url: str, **settings):
    """The app as a benchmark serves it: no horizon task running under the figures, and the
    database connected for the server's lifetime."""
    from api import db
    from api.app import create_app
    from api.settings import Settings

    app = create_app(Settings(database_url=url, public_url="https://wenming.example.org", **settings),
                     manage_db=False)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        async with db.connected(url):
            yield

    app.router.lifespan_context = lifespan
    return app
