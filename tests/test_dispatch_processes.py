"""Three real `koordinator run` processes on one PostgreSQL database, one with its clock
130 s ahead (libfaketime), Telegram answering slowly and enforcing its flood limits:
one process dispatches at a time, no row is sent twice, and when the active process is
killed with -9 mid-batch, a standby takes over: nothing lost, at most the rows in flight
repeated, and never a limit broken (issue 21, points 3 and 4)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from datetime import UTC
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from bench.telegram_limits import TelegramLimits
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.emulator import Fault
from bot.sandbox.server import serving
from storage import outbox
from storage.db import transaction
from tests.conftest import Database
from tests.conftest import People
from tests.harness import TOKEN
from tests.steps import register_in_db
from tests.test_crash_safety import sent_count
from tests.test_crash_safety import wait_for
from tests.test_runner import free_port

CHATS = 90
TWICE = 30
"""The first chats get two messages each: per-chat pacing is tested across processes."""
CONCURRENCY = 4


LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
HAVE_LIBFAKETIME = LIBFAKETIME.exists()


async def start_bot(env: dict[str, str], cwd: Path, *, ahead: bool = False
                    ) -> tuple[asyncio.subprocess.Process, int]:
    port = free_port()
    env = {**env, "LISTEN_PORT": str(port)}
    if ahead:
        # The process's wall clock 130 s ahead of the others' and the database's. The
        # library is preloaded into the bot itself, not through the `faketime` wrapper,
        # which forks: a signal to the wrapper would never reach the bot.
        env |= {"LD_PRELOAD": str(LIBFAKETIME), "FAKETIME": "+130s",
                "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    return process, port


async def stop(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, then SIGKILL: a bot left running would dispatch the next test's rows."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), 20)
    except TimeoutError:
        process.kill()
        await process.wait()


async def dispatcher_state(port: int) -> str | None:
    try:
        async with httpx.AsyncClient() as client:
            body = (await client.get(f"http://127.0.0.1:{port}/healthz", timeout=2)).json()
    except (httpx.HTTPError, ValueError):
        return None
    return body.get("dispatcher")


async def test_three_processes_one_dispatching_no_duplicates_no_loss_no_limit_broken(
    db: Database, people: People, tmp_path: Path
) -> None:
    if db.backend != "postgresql":
        pytest.skip("several processes share a PostgreSQL database (SQLite serves one)")
    if not HAVE_LIBFAKETIME:
        pytest.fail("libfaketime is needed (apt-get install faketime)")
    now = datetime.now(UTC)
    chats = [810_000 + index for index in range(CHATS)] + [810_000 + i for i in range(TWICE)]
    async with transaction(db.sessions) as session:
        participant = await register_in_db(session, people.anna.staff, "Processes", now=now)
        for chat in chats:
            await outbox.enqueue(session, chat_id=chat, template="participant_joined",
                                 language="sv", send_at=now,
                                 params={"participant_id": participant.id}, now=now)
    limits = TelegramLimits()
    api = BotApiEmulator(token=TOKEN)

    def slow_and_strict(method: str, params: dict) -> Fault | None:
        # Telegram judges the limits on arrival, then takes its time to answer.
        refused = limits(method, params)
        return refused or (Fault(200, delay=0.15) if method == "sendMessage" else None)

    api.fault = slow_and_strict
    processes: list[asyncio.subprocess.Process] = []
    async with serving(api.asgi_app()) as api_port:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_URL": db.url,
               "DATABASE_SCHEMA": db.schema or "",
               "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{api_port}/bot",
               "POLLING_TIMEOUT_SECONDS": "1", "DISPATCH_INTERVAL_SECONDS": "0.2",
               "DISPATCH_BATCH_SIZE": "8", "DISPATCH_CONCURRENCY": str(CONCURRENCY),
               "DISPATCH_LEASE_SECONDS": "3", "PER_CHAT_INTERVAL_SECONDS": "1.0"}
        try:
            first, first_port = await start_bot(env, tmp_path)
            processes.append(first)

            async def first_dispatches() -> bool:
                return await dispatcher_state(first_port) == "active"

            await wait_for(first_dispatches, 60)
            ahead, ahead_port = await start_bot(env, tmp_path, ahead=True)
            third, third_port = await start_bot(env, tmp_path)
            processes += [ahead, third]

            async def all_up() -> bool:
                states = [await dispatcher_state(p) for p in (ahead_port, third_port)]
                return states == ["standby", "standby"]

            await wait_for(all_up, 60)

            async def some_delivered() -> bool:
                return len(limits.deliveries) >= 40

            await wait_for(some_delivered, 60)
            first.send_signal(signal.SIGKILL)
            await first.wait()
            delivered_by_first = len(limits.deliveries)
            assert delivered_by_first < len(chats), "the kill must land mid-dispatch"

            async def all_sent() -> bool:
                return await sent_count(db) == len(chats)

            # A standby takes over at once; the dead process's claims come back when
            # their lease (3 s) runs out.
            await wait_for(all_sent, 90)
            states = [await dispatcher_state(p) for p in (ahead_port, third_port)]
            assert sorted(states) == ["active", "standby"], states
        finally:
            await asyncio.gather(*(stop(process) for process in processes))
    expected = Counter(chats)
    delivered = Counter(d.chat_id for d in limits.deliveries)
    assert not expected - delivered, "nothing lost"
    duplicates = sum((delivered - expected).values())
    assert duplicates <= CONCURRENCY, f"{duplicates} repeated, more than were in flight"
    assert limits.violations == 0, (limits.over_global, limits.over_chat)
