"""What every benchmark shares: sizes, results, scratch databases, the bot's settings.

Nothing here measures anything by itself; the benchmark modules do.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import statistics
import time
import uuid
from collections.abc import AsyncIterator
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock

from sqlalchemy import insert
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import bot.app
from bench.outbox_template import BENCH_TEMPLATE
from bench.processes import TOKEN
from bot.runtime.config import Settings
from storage import migrate
from storage.db import SessionMaker
from storage.db import create_engine
from storage.db import session_maker
from storage.models import OutboundMessage
from storage.models import OutboxStatus


# ---- sizes ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sizes:
    """How big each benchmark runs; `smoke` only proves the benchmarks still work."""

    label: str
    dispatch_rows: int
    dispatch_chats: int
    ceiling_rows: int
    ceiling_chats: int
    lateness_rows: int
    lateness_chats: int
    lateness_rate: float
    """Rows falling due per second in the lateness run (within the 30/s cap)."""
    updates: int
    update_block: int
    startup_rows: int
    startup_runs: int
    soak_seconds: float
    soak_sample_every: float
    stats_participants: int
    stats_checkins: int
    stats_repeats: int
    poll_interval: float | None = None
    """Override of `dispatch_interval_seconds` (smoke only; None = the production default)."""


SIZES: dict[str, Sizes] = {
    "smoke": Sizes(
        label="smoke", dispatch_rows=24, dispatch_chats=24, ceiling_rows=40, ceiling_chats=10,
        lateness_rows=20, lateness_chats=20, lateness_rate=20.0, updates=12, update_block=4,
        startup_rows=1_000, startup_runs=1, soak_seconds=3.0, soak_sample_every=0.5,
        stats_participants=300, stats_checkins=2_000, stats_repeats=3, poll_interval=0.3,
    ),
    "default": Sizes(
        label="default", dispatch_rows=1_200, dispatch_chats=300, ceiling_rows=3_000,
        ceiling_chats=600, lateness_rows=1_200, lateness_chats=300, lateness_rate=27.0,
        updates=1_000, update_block=50, startup_rows=100_000, startup_runs=5,
        soak_seconds=60.0, soak_sample_every=3.0, stats_participants=10_000,
        stats_checkins=100_000, stats_repeats=40,
    ),
    "full": Sizes(
        label="full", dispatch_rows=10_000, dispatch_chats=2_000, ceiling_rows=10_000,
        ceiling_chats=2_000, lateness_rows=10_000, lateness_chats=2_000, lateness_rate=27.0,
        updates=5_000, update_block=100, startup_rows=100_000, startup_runs=5,
        soak_seconds=60.0, soak_sample_every=5.0, stats_participants=100_000,
        stats_checkins=1_000_000, stats_repeats=40,
    ),
}


@dataclass(frozen=True)
class Options:
    sizes: Sizes
    workdir: Path
    postgres_url: str | None = None
    seed: int = 8

    @property
    def backends(self) -> list[str]:
        return ["sqlite", "postgresql"] if self.postgres_url else ["sqlite"]


# ---- results ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    text: str
    measured: str
    met: bool


@dataclass
class Table:
    header: Sequence[str]
    rows: list[Sequence[Any]] = field(default_factory=list)


@dataclass
class Result:
    """What one benchmark found. `correctness` counters must all be 0."""

    name: str
    title: str
    figures: dict[str, float] = field(default_factory=dict)
    correctness: dict[str, int] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    todo: str | None = None
    """Set when the benchmark could not run (e.g. the code it measures does not exist yet)."""
    load: tuple[float, float] | None = None
    """The machine's 1-minute load average before and after the benchmark ran."""

    def count(self, name: str, value: int) -> None:
        self.correctness[name] = self.correctness.get(name, 0) + int(value)


# ---- small statistics -------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) with linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def mib(kib: float) -> str:
    return f"{kib / 1024:.0f} MiB"


# ---- databases --------------------------------------------------------------------------
@dataclass
class BenchDatabase:
    backend: str
    url: str
    schema: str | None
    engine: AsyncEngine
    sessions: SessionMaker


@contextlib.asynccontextmanager
async def migrated_database(
    options: Options, backend: str, name: str, *, keep_file: bool = False
) -> AsyncIterator[BenchDatabase]:
    """A fresh, migrated database: a SQLite file in the work dir or a PostgreSQL schema."""
    schema: str | None = None
    path = options.workdir / f"{name}.sqlite3"
    if backend == "sqlite":
        _remove_sqlite(path)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        assert options.postgres_url is not None
        url = options.postgres_url
        schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
        await _postgres(url, f'CREATE SCHEMA "{schema}"')
    engine = create_engine(url, schema=schema)
    try:
        async with _migrations():
            await migrate.upgrade(engine)
        yield BenchDatabase(backend, url, schema, engine, session_maker(engine))
    finally:
        await engine.dispose()
        if schema is not None:
            await _postgres(url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        elif not keep_file:
            _remove_sqlite(path)


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


_MIGRATION_LOCKS: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}


def _migrations() -> asyncio.Lock:
    """Alembic's `op`/`context` are process-wide: one migration at a time per process."""
    loop = asyncio.get_running_loop()
    return _MIGRATION_LOCKS.setdefault(loop, asyncio.Lock())


async def _postgres(url: str, statement: str) -> None:
    admin = create_engine(url, pooled=False)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(statement))
    finally:
        await admin.dispose()


async def bulk_insert(engine: AsyncEngine, table: Any, rows: Iterable[dict[str, Any]],
                      *, chunk: int = 20_000) -> int:
    """executemany in chunks, one transaction per chunk (generated data only); → rows."""
    inserted = 0
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, chunk)):
        async with engine.begin() as connection:
            await connection.execute(insert(table), batch)
        inserted += len(batch)
    return inserted


def outbox_row(chat_id: int, send_at: datetime, now: datetime) -> dict[str, Any]:
    return {"chat_id": chat_id, "template": BENCH_TEMPLATE, "language": "en",
            "send_at": send_at, "params": "{}", "status": OutboxStatus.PENDING.value,
            "attempts": 0, "created_at": now}


OUTBOX = OutboundMessage.__table__  # type: ignore[attr-defined]


async def outbox_due_times(engine: AsyncEngine) -> dict[int, datetime]:
    """Row id → send_at as stored (read before dispatching: a 429 moves send_at)."""
    async with engine.connect() as connection:
        result = await connection.execute(OUTBOX.select().with_only_columns(
            OUTBOX.c.id, OUTBOX.c.send_at))
        return {row_id: _aware(send_at) for row_id, send_at in result.all()}


async def outbox_statuses(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:
        result = await connection.execute(text(
            "SELECT status, COUNT(*) FROM outbound_message GROUP BY status"))
        return {status: count for status, count in result.all()}


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# ---- the bot ------------------------------------------------------------------------------
def bot_settings(base_url: str, database_url: str, **overrides: Any) -> Settings:
    """Production defaults except where a benchmark says otherwise (no `.env` is read)."""
    return Settings(_env_file=None, telegram_bot_token=TOKEN,  # type: ignore[call-arg]
                    telegram_api_base_url=base_url, database_url=database_url, **overrides)


@contextlib.contextmanager
def telegram_rate_limit_lifted() -> Iterator[None]:
    """Build the Application with no rate limiter (for code that cannot pass one).

    Prefer `build_application(..., rate_limiter=None)`; this swaps the default limiter's
    class while the Application is built, for callers written before that argument.
    """
    with mock.patch.object(bot.app, "TelegramRateLimiter", lambda: None):
        yield


def configure_logging() -> None:
    """Warnings and errors only; 429 retries are counted by the benchmarks, not logged."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bot.outbox.dispatch").setLevel(logging.ERROR)
    # PTB logs every 429 with a traceback; APScheduler warns when a tick is still draining.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    logging.getLogger("httpx").setLevel(logging.WARNING)


async def poll_until(check: Callable[[], Awaitable[bool]], *, timeout: float,
                     every: float = 0.1) -> bool:
    """Call `check` every `every` seconds until it is true (True) or `timeout` passed (False)."""
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(every)
