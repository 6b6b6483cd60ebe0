"""Operators upgrade (issue 12): `wenming migrate` takes a database that older releases filled
to the head, on SQLite and PostgreSQL, without hanging, losing rows or leaving a new column
without its default, and the server then answers on those rows.

The database is built by tests/upgrade_support.py: every committed migration but the last is
applied in order, and after each one every empty table gets a row, so each migration
(a new one included, with no change here) runs on tables holding rows written before it.
Session 23 shipped a migration that failed on such a database and left `wenming migrate`
hanging; every step here runs with a time limit.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import POSTGRES_URL
from tests.demo_support import WENMING, clean_env, start, stop
from tests.outage_support import database
from tests.upgrade_support import MIGRATIONS

ROOT = Path(__file__).resolve().parents[1]
WALK_TIMEOUT = 600  # seconds, for every step but the last on a busy 2-core machine (about 30 s idle)
MIGRATE_TIMEOUT = 180
UPGRADE_DATABASE = f"wenming_upgrade_{os.getpid()}"


@pytest.fixture(params=["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"])
def old_database(request, tmp_path) -> Iterator[str]:
    """An empty database (the walk fills it): its URL."""
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'old.sqlite3'}"
    else:
        with database(POSTGRES_URL, UPGRADE_DATABASE) as url:
            yield url


def support(command: str, url: str, stdin: str = "", timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tests.upgrade_support", command, url], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=timeout)


def test_migrate_upgrades_a_database_holding_rows_from_every_release(old_database, tmp_path):
    walked = support("walk", old_database, timeout=WALK_TIMEOUT)
    assert walked.returncode == 0, walked.stderr[-3000:]
    written = json.loads(walked.stdout)
    # Rows in the tables every release has had, the ones later migrations change included.
    assert {"site", "event", "occurrence", "person", "team", "search_doc", "signup", "service_order"} <= written.keys()

    upgraded = subprocess.run([WENMING, "migrate"], cwd=tmp_path, env=clean_env(WENMING_DATABASE_URL=old_database),
                              capture_output=True, text=True, timeout=MIGRATE_TIMEOUT)
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert f"applied {MIGRATIONS[-1]}" in upgraded.stdout + upgraded.stderr

    checked = support("check", old_database, stdin=walked.stdout)
    assert checked.returncode == 0, checked.stdout + checked.stderr[-3000:]

    server = start(tmp_path, WENMING_DATABASE_URL=old_database)
    try:
        body = httpx.post(f"{server.url}/graphql", timeout=60, json={
            "query": "{ sites(first: 5) { totalCount edges { node { name kind } } } }"}).json()
    finally:
        stop(server)
    assert body.get("errors") is None, body
    assert body["data"]["sites"]["totalCount"] == written["site"]["rows"]
    assert body["data"]["sites"]["edges"][0]["node"]["name"] == "旧name"  # the row written at the first step


def test_a_migration_that_fails_ends_the_command_instead_of_hanging(tmp_path):
    """A database the migrations cannot apply to (here a table of that name already there):
    `wenming migrate` says why and exits; it used to hang after the error (SQLite's
    connection thread kept the process alive)."""
    path = tmp_path / "wenming.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE platform (id INTEGER PRIMARY KEY)")
    done = subprocess.run([WENMING, "migrate"], cwd=tmp_path, env=clean_env(WENMING_DATABASE_URL=f"sqlite://{path}"),
                          capture_output=True, text=True, timeout=MIGRATE_TIMEOUT)
    assert done.returncode != 0 and 'table "platform" already exists' in done.stdout + done.stderr
