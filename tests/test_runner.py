"""`koordinator run` modes in-process: long polling, webhook with its secret, /healthz."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from bot.runner import SECRET_HEADER
from bot.runner import WEBHOOK_PATH
from bot.runner import run_bot
from bot.runtime.config import Settings
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.server import serving
from tests.conftest import Database
from tests.conftest import People
from tests.harness import TOKEN

SECRET = "s3cret-s3cret-s3cret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def running(db: Database, **overrides: Any) -> AsyncIterator[tuple[BotApiEmulator, int]]:
    api = BotApiEmulator(token=TOKEN)
    async with serving(api.asgi_app()) as api_port:
        settings = Settings(telegram_bot_token=TOKEN, database_url=db.url,
                            telegram_api_base_url=f"http://127.0.0.1:{api_port}/bot",
                            listen_port=overrides.pop("listen_port", 0),
                            polling_timeout_seconds=1, **overrides)
        stop = asyncio.Event()
        ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(run_bot(settings, db.sessions, stop=stop.wait,
                                           on_ready=ready.set_result))
        try:
            port = await asyncio.wait_for(ready, 15)
            yield api, port
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)


async def test_long_polling_answers_and_health_is_ok(db: Database, people: People) -> None:
    async with running(db) as (api, port):
        api.user_sends(people.bo.user, "/help")
        [reply] = await api.wait_for_bot_messages(people.bo.id, 1)
        assert "/add" in reply.text
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 200
        body = health.json()
        assert body["database"] is True and body["scheduler"] is True
        assert body["outbox"]["due"] == 0
        assert any(name == "setMyCommands" for name, _ in api.calls)


async def test_webhook_accepts_only_the_right_secret(db: Database, people: People) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    async with running(db, listen_port=port, webhook_url=url, webhook_secret=SECRET) as (api, _):
        assert api.webhook_url == url and api.webhook_secret == SECRET
        api.user_sends(people.bo.user, "/help")  # the emulator posts it with the secret
        [reply] = await api.wait_for_bot_messages(people.bo.id, 1)
        assert "/add" in reply.text
        forged = {"update_id": 999, "message": {
            "message_id": 1, "date": 0, "text": "/help",
            "chat": {"id": people.anna.id, "type": "private"},
            "from": {"id": people.anna.id, "is_bot": False, "first_name": "Anna"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}
        async with httpx.AsyncClient() as client:
            wrong = await client.post(url, json=forged, headers={SECRET_HEADER: "wrong"})
            missing = await client.post(url, json=forged)
            right = await client.post(url, json=forged, headers={SECRET_HEADER: SECRET})
        assert (wrong.status_code, missing.status_code, right.status_code) == (403, 403, 200)
        [only] = await api.wait_for_bot_messages(people.anna.id, 1)
        await asyncio.sleep(0.3)
        assert len(api.bot_messages(people.anna.id)) == 1, "only the signed update was handled"
        assert "/add" in only.text


async def test_health_reports_unreachable_database(db: Database, people: People) -> None:
    from storage.db import create_engine

    async with running(db) as (_api, port):
        # Point the running bot at a database server that refuses connections.
        unreachable = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/none",
                                    pooled=False)
        db.sessions.configure(bind=unreachable)
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 503
        assert health.json()["database"] is False and health.json()["status"] == "unhealthy"
        db.sessions.configure(bind=db.engine)
        await unreachable.dispose()


async def test_stop_finishes_the_message_in_flight_and_gives_back_the_rest(
    db: Database, people: People
) -> None:
    from datetime import datetime

    from sqlmodel import select

    from storage import outbox
    from storage.db import transaction
    from storage.models import OutboundMessage
    from storage.models import OutboxStatus
    from tests.conftest import STOCKHOLM
    from tests.harness import running_bot

    now = datetime(2026, 11, 24, 10, 0, tzinfo=STOCKHOLM)
    async with running_bot(db.url, db.sessions, now=now, per_chat_interval_seconds=0.3) as bot:
        async with transaction(db.sessions) as session:
            for _ in range(5):
                await outbox.enqueue(session, chat_id=people.anna.id, template="agenda",
                                     language="sv", send_at=now, staff_id=people.anna.staff.id,
                                     params={"date": "2026-11-24"}, now=now)
        code = (await bot.send(people.anna.user, "/ny A | Växjö | kvinna | sv"))[0]
        assert code
        await bot.send(people.anna.user, "/followup P-0001 today 15:00 phone")
        dispatch = asyncio.create_task(bot.dispatcher.run_once())
        await asyncio.sleep(0.45)  # the first one or two are sent, then SIGTERM arrives
        bot.dispatcher.request_stop()
        report = await dispatch
        assert 1 <= report.sent < 5
        async with transaction(db.sessions) as session:
            statuses = [r.status for r in (await session.exec(
                select(OutboundMessage).where(OutboundMessage.template == "agenda"))).all()]
        assert statuses.count(OutboxStatus.SENT) == report.sent
        assert statuses.count(OutboxStatus.PENDING) == 5 - report.sent
        assert OutboxStatus.SENDING not in statuses


async def test_real_process_stops_cleanly_on_sigterm(db: Database, tmp_path: Any) -> None:
    import os
    import signal
    import sys

    if db.backend != "sqlite":
        pytest.skip("one real process is enough: the SQLite file is what `run` uses by "
                    "default (PostgreSQL processes: test_crash_safety)")
    api = BotApiEmulator(token=TOKEN)
    port = free_port()
    async with serving(api.asgi_app()) as api_port:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_URL": db.url,
               "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{api_port}/bot",
               "LISTEN_PORT": str(port), "POLLING_TIMEOUT_SECONDS": "1", "LOG_FORMAT": "json"}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            async with httpx.AsyncClient() as client:
                for _ in range(100):
                    try:
                        if (await client.get(f"http://127.0.0.1:{port}/healthz")
                                ).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    raise AssertionError("the bot process never became healthy")
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
        finally:
            if process.returncode is None:  # a failed assertion must not leak the child
                process.kill()
                await process.wait()
    assert process.returncode == 0, stderr.decode()[-2000:]
    lines = [line for line in stderr.decode().splitlines() if line.startswith("{")]
    assert any('"stopping: finishing in-flight messages"' in line for line in lines)
    assert TOKEN not in stderr.decode(), "the token never reaches the logs"
