"""Async engine and sessions for SQLite (aiosqlite, WAL) and PostgreSQL (asyncpg)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.validation import check_flush
from storage.validation import refuse_unstorable_parameters

SessionMaker = async_sessionmaker[AsyncSession]


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def is_postgresql(session: AsyncSession) -> bool:
    """Whether the session's database is PostgreSQL (for the few dialect-specific statements)."""
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers work while the dispatcher writes; busy_timeout waits for a lock
    # instead of failing at once; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A row that INSERT OR REPLACE deletes fires the delete triggers only with this on
    # (the check-in tallies' triggers, storage/models.py "derived tables").
    cursor.execute("PRAGMA recursive_triggers=ON")
    cursor.close()


def create_engine(url: str, *, schema: str | None = None, pooled: bool = True,
                  statement_timeout_seconds: float | None = None) -> AsyncEngine:
    """Build the engine; `schema` pins PostgreSQL's search_path (tests isolate by schema).

    `hide_parameters`: a failed statement's exception text (and so any log of it) never
    carries the values, which are names, notes and places. `statement_timeout_seconds`
    (PostgreSQL): a runaway query or a lock held too long fails instead of stalling a
    connection; migrations and copies pass None.
    """
    kwargs: dict[str, Any] = {"hide_parameters": True}
    if not pooled:
        kwargs["poolclass"] = NullPool
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return _refusing_unstorable(engine)
    server_settings: dict[str, str] = {}
    if schema:
        server_settings["search_path"] = schema
    if statement_timeout_seconds:
        server_settings["statement_timeout"] = str(int(statement_timeout_seconds * 1000))
    if server_settings:
        kwargs["connect_args"] = {"server_settings": server_settings}
    return _refusing_unstorable(create_async_engine(url, pool_pre_ping=True, **kwargs))


def _refusing_unstorable(engine: AsyncEngine) -> AsyncEngine:
    event.listen(engine.sync_engine, "before_cursor_execute", refuse_unstorable_parameters,
                 retval=True)
    return engine


def session_maker(engine: AsyncEngine) -> SessionMaker:
    """Sessions on `engine` whose every write passes the one input check (control
    characters, dates: `storage.validation.check_flush`) before it is flushed.

    The check listens on a Session class of this maker's own, not on SQLAlchemy's global
    `Session`: importing storage changes no other code's sessions.
    """
    checked = type("CheckedSession", (AsyncSession.sync_session_class,), {})
    event.listen(checked, "before_flush", check_flush)
    return async_sessionmaker(engine, class_=AsyncSession, sync_session_class=checked,
                              expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: SessionMaker) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit on success, roll back on any error (nothing half-written)."""
    async with sessions() as session, session.begin():
        yield session
