"""`wenming serve --demo`, as the README has a reader run it: a real process in a folder of its
own, on a free port, shared by the tests that read what a newcomer would see (the start-up
lines, the landing page, the docs' examples against the demo city)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.live_support import free_socket

WENMING = str(Path(sys.executable).with_name("wenming"))
START_TIMEOUT = 180  # seconds: migrations and the demo load on a busy 2-core machine


@dataclass
class DemoServer:
    url: str
    port: int
    folder: Path
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wenming(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        """Another `wenming` command in the server's folder (its database), as a reader types it."""
        return subprocess.run([WENMING, *args], cwd=self.folder, env=clean_env(**env), capture_output=True,
                              text=True, timeout=120)


def clean_env(**extra: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("WENMING_")}
    environment.update(extra, COLUMNS="200")
    return environment


def start(folder: Path, *args: str, **env: str) -> DemoServer:
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()  # the server binds it again (a race with other processes is unlikely on 127.0.0.1)
    log = folder / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen([WENMING, "serve", *args, "--port", str(port)], cwd=folder,
                                   env=clean_env(**env), stdout=out, stderr=subprocess.STDOUT)
    server = DemoServer(f"http://127.0.0.1:{port}", port, folder, process, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"wenming serve exited with {process.returncode}:\n{server.output()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop(server)
    raise AssertionError(f"wenming serve did not answer within {START_TIMEOUT} s:\n{server.output()}")


def stop(server: DemoServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory) -> Iterator[DemoServer]:
    """The README's serve command (with --port), once per test run."""
    server = start(tmp_path_factory.mktemp("demo"), "--demo")
    try:
        yield server
    finally:
        stop(server)


DATABASE = "wenming.sqlite3"  # the default WENMING_DATABASE_URL's file, in the server's folder


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> Path:
    """The demo city loaded once by `wenming demo` (what `wenming serve --demo` loads): the tests
    that write need a fresh demo each, and loading one costs ~10 s of CPU."""
    folder = tmp_path_factory.mktemp("demo-database")
    loaded = subprocess.run([WENMING, "demo"], cwd=folder, env=clean_env(), capture_output=True, text=True,
                            timeout=START_TIMEOUT)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    return folder / DATABASE


def fresh_demo(folder: Path, demo_database: Path) -> DemoServer:
    """`wenming serve --demo` in ``folder`` on a copy of the loaded demo (it sees the demo there
    and serves it as loaded): a demo no other test has written to."""
    for part in (demo_database, demo_database.with_name(f"{DATABASE}-wal")):  # the -wal if any
        if part.exists():
            shutil.copy(part, folder / part.name)
    return start(folder, "--demo")
