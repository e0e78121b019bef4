"""`koordinator demo`: the real bot against the in-process Bot API emulator, plus a web chat.

One starlette app on 127.0.0.1 serves both the emulator (the real PTB Updater long-polls
it, exactly as it would poll Telegram) and the chat page where a person picks who they
are. A synthetic project (storage.demo_data) fills a SQLite file under `data_dir`; it is
kept between runs and rebuilt with `--fresh` or when its schema is out of date.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
from collections.abc import AsyncIterator
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp
from starlette.types import Message
from starlette.types import Receive
from starlette.types import Scope
from starlette.types import Send

from bot.app import build_application
from bot.app import start_services
from bot.outbox.reminders import plan_reminders
from bot.runtime.clock import Clock
from bot.runtime.config import Settings
from bot.sandbox.emulator import BotApiEmulator
from bot.sandbox.server import serving
from bot.sandbox.web import sandbox_routes
from storage import migrate
from storage.db import SessionMaker
from storage.db import create_engine
from storage.db import session_maker
from storage.db import transaction
from storage.demo_data import DEMO_PERSONAS
from storage.demo_data import DemoPersona
from storage.demo_data import database_is_empty
from storage.demo_data import seed_demo_project
from storage.followups import upcoming_followups_with_participants

log = logging.getLogger(__name__)

HOST = "127.0.0.1"  # the sandbox is for the person at this computer only
DEMO_TOKEN = "demo:sandbox"
DATABASE_FILE = "demo.sqlite3"
POLL_TIMEOUT = timedelta(seconds=10)

QUIET_LOGGERS = ("httpx", "alembic", "apscheduler", "telegram.ext")

class PortUnavailable(Exception):
    """The page's port cannot be used; the message says so in one line."""


@dataclass(frozen=True)
class RunningSandbox:
    url: str
    port: int
    emulator: BotApiEmulator
    sessions: SessionMaker
    database_url: str
    personas: tuple[DemoPersona, ...]


async def run_demo(
    settings: Settings, *, port: int, fresh: bool, stop: Callable[[], Awaitable[None]],
    clock: Clock | None = None,
) -> None:
    """Run the sandbox until `stop()` returns (the CLI passes "wait for Ctrl+C")."""
    with _quiet_library_logs():
        async with sandbox(settings, port=port, fresh=fresh, clock=clock) as running:
            print(f"Koordinator sandbox: open {running.url} (Ctrl+C stops it)", flush=True)
            await stop()


@contextlib.contextmanager
def _quiet_library_logs() -> Iterator[None]:
    """Keep the console to the URL line, warnings and errors while the sandbox runs.

    httpx logs every request at INFO (the bot long-polls every 10 s); alembic, APScheduler
    and PTB announce start-up steps that mean nothing to someone trying the demo.
    """
    loggers = [logging.getLogger(name) for name in QUIET_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@contextlib.asynccontextmanager
async def sandbox(
    settings: Settings, *, port: int = 0, fresh: bool = False, now: datetime | None = None,
    clock: Clock | None = None,
) -> AsyncIterator[RunningSandbox]:
    """Database, emulator, page and the running bot; everything stops when the block ends.

    `port=0` takes any free port (tests). `now` dates the seeded project (default: now).
    """
    database_url = await prepare_database(settings.data_dir / DATABASE_FILE, fresh=fresh)
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine)
        sessions = session_maker(engine)
        emulator = BotApiEmulator(token=DEMO_TOKEN)
        web = _EndableRequests(Starlette(
            routes=[*emulator.routes(), *sandbox_routes(emulator, DEMO_PERSONAS)],
            # A web site the browser visits could resolve its own name to 127.0.0.1
            # (DNS rebinding); requests must name this host to reach the sandbox.
            middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=[HOST, "localhost"])],
        ))
        async with contextlib.AsyncExitStack() as stack:
            # Listen before seeding: a taken port is reported at once, not after the wait.
            bound = await _listen(stack, web, port)
            stack.callback(web.end_all)  # runs after the bot stopped, before the server does
            await _seed_if_empty(sessions, settings, now or (clock.now() if clock else datetime.now(
                settings.tz)))
            await _start_bot(stack, settings, sessions, database_url, bound, clock)
            yield RunningSandbox(
                url=f"http://{HOST}:{bound}/", port=bound, emulator=emulator,
                sessions=sessions, database_url=database_url, personas=DEMO_PERSONAS,
            )
    finally:
        await engine.dispose()


async def prepare_database(path: Path, *, fresh: bool) -> str:
    """The demo database's URL; its file is removed first if asked or if it is out of date.

    The demo data is disposable, so an old schema is rebuilt rather than migrated.
    """
    url = _sqlite_url(path)
    if fresh or not await _schema_is_current(url):
        _remove_database_files(path)
    return url


def _sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path.resolve()}"


def _remove_database_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


async def _schema_is_current(url: str) -> bool:
    engine = create_engine(url)
    try:
        return await migrate.is_up_to_date(engine)
    except SQLAlchemyError:  # not a database we can read: rebuilt from scratch
        return False
    finally:
        await engine.dispose()


async def _plan_demo_reminders(sessions: SessionMaker, settings: Settings,
                               now: datetime) -> None:
    """Queue the joined participants' reminders, exactly as booking in the bot does."""
    async with transaction(sessions) as session:
        for followup, participant in await upcoming_followups_with_participants(session, now):
            await plan_reminders(session, settings, followup, participant, now=now)


async def _seed_if_empty(sessions: SessionMaker, settings: Settings, now: datetime) -> None:
    async with transaction(sessions) as session:
        empty = await database_is_empty(session)
    if empty:
        log.info("creating the demo project (first start only, a few seconds)")
        await seed_demo_project(sessions, now=now)
        await _plan_demo_reminders(sessions, settings, now)


async def _listen(stack: contextlib.AsyncExitStack, app: ASGIApp, port: int) -> int:
    try:
        return await stack.enter_async_context(serving(app, HOST, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortUnavailable(
                f"port {port} on {HOST} is already in use; choose another with --port"
            ) from None
        raise PortUnavailable(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}") from None


async def _start_bot(
    stack: contextlib.AsyncExitStack, settings: Settings, sessions: SessionMaker,
    database_url: str, port: int, clock: Clock | None,
) -> None:
    """The real Application with the real Updater, long-polling the emulator."""
    bot_settings = settings.model_copy(update={
        "telegram_bot_token": DEMO_TOKEN,
        "telegram_api_base_url": f"http://{HOST}:{port}/bot",
        "database_url": database_url,
    })
    app = build_application(bot_settings, sessions, clock=clock)
    assert app.updater is not None
    await stack.enter_async_context(app)
    await app.start()
    stack.push_async_callback(app.stop)
    # Menus and the outbox dispatcher, exactly as `koordinator run` starts them.
    await start_services(app)
    await app.updater.start_polling(poll_interval=0, timeout=POLL_TIMEOUT)
    stack.push_async_callback(app.updater.stop)


class _EndableRequests:
    """ASGI wrapper that can end the requests still parked in a long poll.

    The emulator's getUpdates and the page's message poll wait up to 10–20 s, and uvicorn
    lets every open request finish before it stops: without this, Ctrl+C would hang
    that long. Ended (and later) requests get a 503.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._running: set[asyncio.Future[None]] = set()
        self._closing = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._closing:
            await _unavailable(send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        inner = asyncio.ensure_future(self.app(scope, receive, tracking_send))
        self._running.add(inner)
        try:
            await inner
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # we are being cancelled ourselves, not ended by end_all()
            if not started:
                await _unavailable(send)
        finally:
            self._running.discard(inner)

    def end_all(self) -> None:
        self._closing = True
        for request in list(self._running):
            request.cancel()


async def _unavailable(send: Send) -> None:
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
    await send({"type": "http.response.body", "body": b"The sandbox is stopping."})
