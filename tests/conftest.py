"""Fixtures: a migrated database per backend (SQLite file, PostgreSQL schema), the bot, people.

PostgreSQL runs when KOORDINATOR_TEST_POSTGRES_URL is set (`.ci/run` sets it). If it is
set and the server cannot be reached, the tests fail: they never skip silently.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from collections.abc import Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.sandbox.emulator import FakeUser
from storage import migrate
from storage.db import SessionMaker
from storage.db import create_engine
from storage.db import session_maker
from storage.db import transaction
from storage.models import Role
from storage.models import SQLModel
from storage.models import Staff
from storage.staff import add_staff
from tests.harness import BotHarness
from tests.harness import running_bot

if TYPE_CHECKING:
    from tests.projects import SmallProject

POSTGRES_URL_VARIABLE = "KOORDINATOR_TEST_POSTGRES_URL"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
# A Tuesday morning in Stockholm: the tests' "now" unless a test moves the clock.
TEST_NOW = datetime(2026, 11, 24, 10, 0, tzinfo=STOCKHOLM)

BACKENDS = ["sqlite", "postgresql"]


@dataclass(frozen=True)
class MigratedDatabase:
    backend: str
    url: str
    schema: str | None

    def engine(self) -> AsyncEngine:
        return create_engine(self.url, schema=self.schema, pooled=False)


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _postgres_url() -> str | None:
    url = os.environ.get(POSTGRES_URL_VARIABLE, "").strip()
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    return url or None


async def _prepare_postgres(url: str, schema: str) -> None:
    admin = create_engine(url, pooled=False)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OSError as exc:
        pytest.fail(f"{POSTGRES_URL_VARIABLE} is set but PostgreSQL is unreachable: {exc}")
    finally:
        await admin.dispose()


async def _drop_postgres(url: str, schema: str) -> None:
    admin = create_engine(url, pooled=False)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await admin.dispose()


async def _upgrade(database: MigratedDatabase) -> None:
    engine = database.engine()
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MigratedDatabase]:
    """One migrated database per backend and test worker, reused (and emptied) per test."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / f"koordinator-{_worker()}.sqlite3"
        database = MigratedDatabase("sqlite", f"sqlite+aiosqlite:///{path}", None)
        asyncio.run(_upgrade(database))
        yield database
        return
    url = _postgres_url()
    if url is None:
        pytest.skip(f"PostgreSQL not configured: set {POSTGRES_URL_VARIABLE} (.ci/run does)")
    schema = f"kt_{_worker()}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_prepare_postgres(url, schema))
    database = MigratedDatabase("postgresql", url, schema)
    try:
        asyncio.run(_upgrade(database))
        yield database
    finally:
        asyncio.run(_drop_postgres(url, schema))


async def _empty_all_tables(engine: AsyncEngine, backend: str) -> None:
    # Derived tables last: on SQLite deleting check-ins fires the tally triggers.
    tables = sorted((t.name for t in reversed(SQLModel.metadata.sorted_tables)),
                    key=lambda name: bool(SQLModel.metadata.tables[name].info.get("derived")))
    for attempt in range(5):
        try:
            async with engine.begin() as connection:
                if backend == "postgresql":
                    names = ", ".join(f'"{name}"' for name in tables)
                    await connection.execute(
                        text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                else:
                    for name in tables:
                        await connection.execute(text(f'DELETE FROM "{name}"'))
            return
        except DBAPIError as exc:
            # A connection the previous test left finishing (a stopped bot's last write)
            # can deadlock with TRUNCATE; PostgreSQL aborts us, we wait and try again.
            if "deadlock" not in str(exc) or attempt == 4:
                raise
            await asyncio.sleep(0.5)


@asynccontextmanager
async def fresh_database(backend: str, sqlite_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on a database no migration has touched yet, for tests that migrate it
    themselves: a SQLite file at `sqlite_path`, or a PostgreSQL schema of its own
    (skipped when PostgreSQL is not configured) that is dropped afterwards."""
    schema: str | None = None
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{sqlite_path}"
    else:
        url = _postgres_url() or pytest.skip("PostgreSQL not configured")
        schema = f"kt_fresh_{uuid.uuid4().hex[:8]}"
        await _prepare_postgres(url, schema)
    engine = create_engine(url, schema=schema, pooled=False)
    try:
        yield engine
    finally:
        await engine.dispose()
        if schema is not None:
            await _drop_postgres(url, schema)


@dataclass
class Database:
    backend: str
    url: str
    engine: AsyncEngine
    sessions: SessionMaker
    schema: str | None = None


@pytest.fixture
async def db(migrated_database: MigratedDatabase) -> AsyncIterator[Database]:
    engine = migrated_database.engine()
    await _empty_all_tables(engine, migrated_database.backend)
    try:
        yield Database(migrated_database.backend, migrated_database.url, engine,
                       session_maker(engine), migrated_database.schema)
    finally:
        await engine.dispose()


# ---- people --------------------------------------------------------------------------
@dataclass
class Person:
    user: FakeUser
    staff: Staff | None = None

    @property
    def id(self) -> int:
        return self.user.id


@dataclass
class People:
    admin: Person
    lead: Person
    lead_alvesta: Person
    anna: Person  # coordinator, Swedish
    bo: Person  # coordinator, English
    stranger: Person


@pytest.fixture
async def people(db: Database) -> People:
    specs = [
        ("admin", 1001, "Ada Admin", Role.ADMIN, None, "en"),
        ("lead", 1002, "Lena Lead", Role.LEAD, None, "en"),
        ("lead_alvesta", 1003, "Lars Alvesta", Role.LEAD, "Alvesta", "en"),
        ("anna", 1004, "Anna Andersson", Role.COORDINATOR, None, "sv"),
        ("bo", 1005, "Bo Berg", Role.COORDINATOR, None, "en"),
    ]
    built: dict[str, Person] = {}
    async with transaction(db.sessions) as session:
        for key, telegram_id, name, role, municipality, language in specs:
            staff = await add_staff(session, telegram_user_id=telegram_id, name=name, role=role,
                                    municipality=municipality, now=TEST_NOW,
                                    language=language)
            built[key] = Person(FakeUser(telegram_id, name.split()[0], language), staff)
    return People(**built, stranger=Person(FakeUser(9999, "Stina", "sv")))


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[BotHarness]:
    async with running_bot(db.url, db.sessions, now=TEST_NOW) as harness:
        yield harness


@pytest.fixture
async def project(db: Database, people: People) -> SmallProject:
    """The hand-counted project of `tests.projects.small_project`, written straight into
    the tables (after the bot, when a test asks for the bot first)."""
    from tests.projects import small_project  # tests.projects builds on this module

    return await small_project(db, people)
