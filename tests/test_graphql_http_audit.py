"""The GraphQL-over-HTTP conformance audit (the npm package graphql-http) against a real uvicorn
server of Wenming: every audit passes, none warns (issue 11: D586, 5E5B warned before).

Needs node; the package is installed into bench/audit/ on first use (npm install), and the
test is skipped when node or npm is missing or the install fails (no network).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from api.app import create_app
from tests.live_support import serving

AUDIT_DIR = Path(__file__).resolve().parent.parent / "bench" / "audit"


def audit_tool() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed for the graphql-http audit")
    if not (AUDIT_DIR / "node_modules" / "graphql-http").is_dir():
        try:
            subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=AUDIT_DIR, check=True,
                           capture_output=True, timeout=180)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            pytest.skip(f"could not install graphql-http: {exc}")
    return AUDIT_DIR / "audit.mjs"


async def run_audit(url: str) -> list[dict]:
    script = audit_tool()
    process = await asyncio.create_subprocess_exec(
        "node", str(script), url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    return json.loads(out)


async def test_the_graphql_over_http_audit_passes_without_warnings(db, settings):
    async with serving(create_app(settings, manage_db=False)) as server:
        results = await run_audit(f"{server.url}/graphql")
    assert len(results) > 50  # the whole audit ran
    not_ok = [(r["id"], r["status"], r["name"], r["reason"]) for r in results if r["status"] != "ok"]
    assert not_ok == []
