"""Copy every table from one database to another (moving from SQLite to PostgreSQL).

The target must be migrated to the same revision and empty. Rows are copied in
dependency order and in chunks; PostgreSQL's id sequences are moved past the copied ids.
Derived tables (the check-in day tallies) are not copied: the target's triggers fill
them as the check-ins arrive, as they do for every other writer.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import storage.models  # noqa: F401 - registers the tables
from storage import migrate

CHUNK = 1000


class CopyRefused(Exception):
    """The copy cannot start; the message says why."""


async def copy_database(source: AsyncEngine, target: AsyncEngine,
                        progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    head = migrate.head_revision()
    for name, engine in (("source", source), ("target", target)):
        if await migrate.current_revision(engine) != head:
            raise CopyRefused(f"the {name} database is not at revision {head}: "
                              "run `koordinator db upgrade` on it first")
    tables = [table for table in SQLModel.metadata.sorted_tables
              if not table.info.get("derived")]
    async with target.connect() as connection:
        for table in tables:
            if (await connection.execute(select(func.count()).select_from(table))).scalar():
                raise CopyRefused(f"the target database is not empty (table {table.name})")
    copied: dict[str, int] = {}
    async with source.connect() as reader, target.begin() as writer:
        for table in tables:
            count = 0
            result = await reader.stream(select(table).order_by(*table.primary_key.columns))
            async for chunk in result.mappings().partitions(CHUNK):
                await writer.execute(table.insert(), [dict(row) for row in chunk])
                count += len(chunk)
            copied[table.name] = count
            if progress is not None:
                progress(table.name, count)
        if target.dialect.name == "postgresql":
            for table in tables:
                if "id" in table.columns:
                    await writer.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 0) + 1, false)"))
    return copied
