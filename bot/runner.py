"""Run the bot for real: long polling or webhook, a /healthz endpoint, graceful stop.

PTB's `run_polling`/`run_webhook` own the event loop; next to our own HTTP server we
drive the Application ourselves (`updater(None)` for webhooks, see PITFALLS.md).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.app import start_services
from bot.outbox.scheduler import DISPATCHER_KEY
from bot.outbox.templates import Template
from bot.runtime.clock import Clock
from bot.runtime.config import Settings
from bot.runtime.services import services_of
from bot.sandbox.server import serving
from storage import outbox
from storage.db import SessionMaker

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def http_routes(app: Application, settings: Settings) -> list[Route]:
    async def health_endpoint(_request: Request) -> Response:
        return await healthz(app)

    async def webhook_endpoint(request: Request) -> Response:
        return await webhook(app, settings, request)

    routes = [Route("/healthz", health_endpoint, methods=["GET"])]
    if settings.webhook_url:
        routes.append(Route(WEBHOOK_PATH, webhook_endpoint, methods=["POST"]))
    return routes


async def healthz(app: Application) -> Response:
    """200 when the database answers and the scheduler runs; 503 otherwise.

    The body also says whether this process is the active dispatcher or stands by, and
    counts the outbox: rows due, how late the oldest is, and rows that failed or expired
    (in all, and in the last day: a rise means messages are being lost).
    """
    services = services_of(app.bot_data)
    body: dict[str, Any] = {"scheduler": bool(app.job_queue and app.job_queue.scheduler.running),
                            "dispatcher": ("active" if app.bot_data[DISPATCHER_KEY].leadership
                                           .leading else "standby")}
    try:
        async with services.sessions() as session:
            await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            body["outbox"] = await outbox.health_counts(session, now=services.clock.now())
        body["database"] = True
    except Exception as exc:  # any failure to reach the database is "unhealthy"
        body["database"] = False
        body["error"] = type(exc).__name__
    healthy = body["database"] and body["scheduler"]
    return JSONResponse({"status": "ok" if healthy else "unhealthy", **body},
                        status_code=200 if healthy else 503)


async def webhook(app: Application, settings: Settings, request: Request) -> Response:
    """Accept an update from Telegram only with the right secret header."""
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), settings.webhook_secret.encode()):
        log.warning("webhook request with a wrong secret from %s", request.client)
        return Response(status_code=403)
    try:
        update = Update.de_json(await request.json(), app.bot)
    except ValueError:
        return Response(status_code=400)
    await app.update_queue.put(update)
    return Response(status_code=200)


async def run_bot(settings: Settings, sessions: SessionMaker, *,
                  stop: Callable[[], Awaitable[None]], clock: Clock | None = None,
                  on_ready: Callable[[int], None] | None = None,
                  templates: Mapping[str, Template] | None = None) -> None:
    """Serve until `stop()` returns; then finish in-flight sends and leave the rest pending.

    `templates`: the outbox's (see `build_application`; benchmarks add their own)."""
    app = build_application(settings, sessions, clock=clock,
                            with_updater=not settings.webhook_url, templates=templates)
    async with app, serving(Starlette(routes=http_routes(app, settings)),
                            settings.listen_host, settings.listen_port) as port:
        await app.start()
        await start_services(app)
        if settings.webhook_url:
            await app.bot.set_webhook(settings.webhook_url, secret_token=settings.webhook_secret,
                                      allowed_updates=Update.ALL_TYPES)
            log.info("webhook mode: %s (health on port %s)", settings.webhook_url, port)
        else:
            assert app.updater is not None
            await app.bot.delete_webhook()
            await app.updater.start_polling(allowed_updates=Update.ALL_TYPES,
                                            timeout=settings.polling_timeout_seconds)
            log.info("long polling (health on port %s)", port)
        if on_ready is not None:
            on_ready(port)
        await stop()
        log.info("stopping: finishing in-flight messages")
        dispatcher = app.bot_data[DISPATCHER_KEY]
        dispatcher.request_stop()
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        await app.stop()
        await dispatcher.leadership.release()
    await asyncio.sleep(0)
