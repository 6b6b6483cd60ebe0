"""`wenming serve` in its own process, as production runs it (uvicorn with the limits'
options), on a fresh SQLite file. A test that could hang the server (a regression in a
limit) fails on its client's timeout and the process is killed, never the suite."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.live_support import free_socket

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Server:
    url: str
    host: str
    port: int
    process: subprocess.Popen

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used (Linux /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def wenming_serve(tmp: Path, **settings: object) -> Iterator[Server]:
    """`settings` become WENMING_* environment variables (max_body_bytes=1024 ...)."""
    with free_socket() as s:
        port = s.getsockname()[1]
    env = os.environ | {"WENMING_DATABASE_URL": f"sqlite://{tmp / 'served.sqlite3'}", "WENMING_GRAPHIQL": "false"}
    env |= {f"WENMING_{k.upper()}": str(v) for k, v in settings.items()}
    env.pop("WENMING_REDIS_URL", None)
    command = [str(Path(sys.executable).with_name("wenming")), "serve", "--port", str(port)]
    process = subprocess.Popen(command, cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, "wenming serve exited at start"
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, "wenming serve did not answer /health"
            time.sleep(0.1)
        yield Server(url, "127.0.0.1", port, process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
