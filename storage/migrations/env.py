"""Alembic environment that runs on a connection handed over by `storage.migrate`.

The async template calls `asyncio.run()`, which cannot run inside the bot's loop;
sharing a connection works from the CLI, the bot and the tests alike.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import storage.models  # noqa: F401 - registers the tables on the metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through `koordinator db upgrade`.")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
