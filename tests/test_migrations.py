"""The migrations are the models: upgrading gives exactly the schema the models declare,
and every migration goes down and up again, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import inspect

from storage import migrate
from storage.db import create_engine
from tests.conftest import _drop_postgres
from tests.conftest import _postgres_url
from tests.conftest import _prepare_postgres


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_migrations_match_the_models_and_go_down_and_up_again(
    backend: str, tmp_path: Path
) -> None:
    schema: str | None = None
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'schema.sqlite3'}"
    else:
        url = _postgres_url() or pytest.skip("PostgreSQL not configured")
        schema = f"kt_mig_{uuid.uuid4().hex[:8]}"
        await _prepare_postgres(url, schema)
    engine = create_engine(url, schema=schema, pooled=False)

    async def tables() -> set[str]:
        async with engine.connect() as connection:
            return set(await connection.run_sync(
                lambda sync: inspect(sync).get_table_names()))

    try:
        await migrate.upgrade(engine)
        assert await migrate.schema_differences(engine) == []
        assert {"participant", "checkin", "outbound_message", "staff"} <= await tables()
        await migrate.downgrade(engine, "base")
        assert await tables() <= {"alembic_version"}
        await migrate.upgrade(engine)
        assert await migrate.schema_differences(engine) == []
        assert await migrate.is_up_to_date(engine)
    finally:
        await engine.dispose()
        if schema is not None:
            await _drop_postgres(url, schema)
