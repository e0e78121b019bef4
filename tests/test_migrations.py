"""The migrations are the models: upgrading gives exactly the schema the models declare,
and every migration goes down and up again, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from storage import migrate
from tests.conftest import BACKENDS
from tests.conftest import fresh_database


@pytest.mark.parametrize("backend", BACKENDS)
async def test_migrations_match_the_models_and_go_down_and_up_again(
    backend: str, tmp_path: Path
) -> None:
    async with fresh_database(backend, tmp_path / "schema.sqlite3") as engine:

        async def tables() -> set[str]:
            async with engine.connect() as connection:
                return set(await connection.run_sync(
                    lambda sync: inspect(sync).get_table_names()))

        await migrate.upgrade(engine)
        assert await migrate.schema_differences(engine) == []
        assert {"participant", "checkin", "outbound_message", "staff"} <= await tables()
        await migrate.downgrade(engine, "base")
        assert await tables() <= {"alembic_version"}
        await migrate.upgrade(engine)
        assert await migrate.schema_differences(engine) == []
        assert await migrate.is_up_to_date(engine)
