"""The committed migrations describe the models exactly: nothing is left for makemigrations.

A model change without its migration works in tests (they build the schema from the
migrations, so they would fail there) only by luck; this names the missing operations.
"""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from api.db import tortoise_config


async def test_no_model_change_lacks_a_migration(tmp_path):
    config = tortoise_config(f"sqlite://{tmp_path / 'models.sqlite3'}")
    await Tortoise.init(config=config, _enable_global_fallback=False)
    try:
        writers = await MigrationAutodetector(Tortoise.apps, config["apps"]).changes()
    finally:
        await Tortoise.close_connections()
    missing = [op.describe() for w in writers for op in w.operations]
    assert not missing, "models changed without a migration (run `tortoise makemigrations`):\n" + "\n".join(missing)
