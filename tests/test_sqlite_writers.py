"""Two processes writing one SQLite file (`wenming serve` and a CLI import, say) take turns
instead of failing with "database is locked" (issue 10): write transactions start with
BEGIN IMMEDIATE, so the busy timeout applies (api/db/sqlite.py)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap

from api import db

WRITER = textwrap.dedent("""
    import asyncio, sys
    from tortoise.transactions import in_transaction
    from api import db
    from api.domain import sites
    from api.models.sites import Site, SiteKind

    async def main(url, name, count):
        failures = 0
        async with db.connected(url):
            for i in range(count):
                try:
                    async with in_transaction():
                        # Read first, then write: with a deferred BEGIN the other process may
                        # take the write lock in between, and this one can no longer wait for it.
                        await Site.filter(kind=SiteKind.CENTER).count()
                        await asyncio.sleep(0.02)
                        await sites.create_site(kind=SiteKind.CENTER, name=f"{name}{i}", region_code="350504")
                except Exception as exc:
                    failures += 1
                    print("failed:", exc, file=sys.stderr)
        print(failures)

    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
""")
WRITES = 25


def test_two_processes_writing_one_sqlite_file_take_turns(tmp_path):
    url = f"sqlite://{tmp_path / 'shared.sqlite3'}"
    env = os.environ | {"WENMING_DATABASE_URL": url}
    asyncio.run(db.migrate(url))
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, url, name, str(WRITES)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for name in ("serve-", "cli-")]
    results = [w.communicate(timeout=120) for w in writers]
    assert [w.returncode for w in writers] == [0, 0], results
    assert [out.strip() for out, _ in results] == ["0", "0"], [err[-2000:] for _, err in results]

    async def count() -> int:
        from api.models.sites import Site

        async with db.connected(url, global_fallback=False):
            return await Site.all().count()

    assert asyncio.run(count()) == 2 * WRITES
