"""Kill -9 a real `koordinator run` mid-dispatch, restart it: nothing lost, and no more
duplicates than the batch that was in flight."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import func
from sqlmodel import select

from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.emulator import Fault
from bot.sandbox.server import serving
from storage import outbox
from storage.db import transaction
from storage.models import OutboundMessage
from storage.models import OutboxStatus
from tests.conftest import Database
from tests.conftest import People
from tests.harness import TOKEN
from tests.steps import register_in_db

ROWS = 80
BATCH = 8


async def start_bot(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


async def sent_count(db: Database) -> int:
    async with transaction(db.sessions) as session:
        return (await session.exec(select(func.count()).select_from(OutboundMessage).where(
            OutboundMessage.status == OutboxStatus.SENT))).one()


async def wait_for(condition: Any, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.1)


async def test_kill_minus_nine_mid_dispatch_loses_nothing(
    db: Database, people: People, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    async with transaction(db.sessions) as session:
        participant = await register_in_db(session, people.anna.staff, "Crash Test", now=now)
        for index in range(ROWS):
            await outbox.enqueue(session, chat_id=800_000 + index, template="participant_joined",
                                 language="sv", send_at=now,
                                 params={"participant_id": participant.id}, now=now)
    api = BotApiEmulator(token=TOKEN)
    # Each send takes a little while, so the kill lands in the middle of a batch.
    api.fault = lambda method, _params: Fault(200, delay=0.05) if method == "sendMessage" else None
    async with serving(api.asgi_app()) as api_port:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_URL": db.url,
               "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{api_port}/bot", "LISTEN_PORT": "0",
               "POLLING_TIMEOUT_SECONDS": "1", "DISPATCH_INTERVAL_SECONDS": "0.2",
               "DISPATCH_BATCH_SIZE": str(BATCH), "DISPATCH_CONCURRENCY": "2",
               "DISPATCH_LEASE_SECONDS": "10", "PER_CHAT_INTERVAL_SECONDS": "0"}
        if db.schema:
            env["DATABASE_SCHEMA"] = db.schema
        first = await start_bot(env, tmp_path)

        async def some_delivered() -> bool:
            return sum(1 for c in range(800_000, 800_000 + ROWS) if api.bot_messages(c)) >= 20

        await wait_for(some_delivered, 60)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        delivered_before_restart = sum(len(api.bot_messages(c))
                                       for c in range(800_000, 800_000 + ROWS))
        assert delivered_before_restart < ROWS, "the kill must land mid-dispatch"

        second = await start_bot(env, tmp_path)
        try:
            async def all_sent() -> bool:
                return await sent_count(db) == ROWS

            # The dead process's claims come back once their lease (10 s) runs out.
            await wait_for(all_sent, 90)
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 30)
    per_chat = Counter({c: len(api.bot_messages(c)) for c in range(800_000, 800_000 + ROWS)})
    assert min(per_chat.values()) >= 1, "nothing lost"
    duplicates = sum(per_chat.values()) - ROWS
    assert 0 <= duplicates <= BATCH, f"{duplicates} duplicates for an in-flight batch of {BATCH}"

