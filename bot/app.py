"""The composition root: build the PTB Application and register every handler module."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Mapping
from typing import Any
from typing import Literal

from sqlalchemy.exc import InterfaceError
from sqlalchemy.exc import OperationalError
from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application
from telegram.ext import ApplicationBuilder
from telegram.ext import ApplicationHandlerStop
from telegram.ext import BaseRateLimiter
from telegram.ext import TypeHandler

from bot.interaction import menus
from bot.outbox import scheduler
from bot.outbox.catalog import outbox_templates
from bot.outbox.ratelimit import TelegramRateLimiter
from bot.outbox.templates import Template
from bot.runtime.clock import Clock
from bot.runtime.clock import SystemClock
from bot.runtime.config import Settings
from bot.runtime.services import SERVICES_KEY
from bot.runtime.services import Services
from bot.runtime.services import services_of
from bot.runtime.update_order import PerPersonUpdateProcessor
from bot.text.render import error_text
from handlers import ask
from handlers import attendance
from handlers import charts
from handlers import checkins
from handlers import conversation
from handlers import entry
from handlers import exports
from handlers import followups
from handlers import gdpr
from handlers import importing
from handlers import language
from handlers import onboarding
from handlers import outcome_followups
from handlers import participants
from handlers import preview
from handlers import reports
from handlers import staff
from handlers import start
from handlers import stats
from handlers.kit.base import Context
from handlers.kit.base import translator_for
from storage.db import SessionMaker
from storage.db import transaction
from storage.errors import DomainError
from storage.models import set_dropout_reasons
from storage.staff import active_staff

log = logging.getLogger(__name__)

HANDLER_MODULES = (
    start, participants, checkins, followups, onboarding, preview, staff, language, gdpr,
    stats, charts, exports, entry, outcome_followups, reports, attendance, importing, ask,
    conversation,
)


def file_base_url(api_base_url: str) -> str:
    """`…/bot` → `…/file/bot`: Telegram's (and our emulator's) file download prefix."""
    root, _, last = api_base_url.rstrip("/").rpartition("/")
    return f"{root}/file/{last}"


def build_application(
    settings: Settings,
    sessions: SessionMaker,
    *,
    clock: Clock | None = None,
    with_updater: bool = True,
    rate_limiter: BaseRateLimiter[Any] | Literal["default"] | None = "default",
    templates: Mapping[str, Template] | None = None,
) -> Application:
    """The bot, ready for `async with app` / `app.start()`.

    `rate_limiter`: Telegram's flood limits (`bot.outbox.ratelimit.TelegramRateLimiter` by
    default); benchmarks pass another one, or None to send unthrottled. `templates`: what
    the outbox dispatcher can render (`bot.outbox.catalog.outbox_templates()` by default;
    benchmarks add their own).
    """
    # PTB 22 opt-in, read when RetryAfter.retry_after is used: a timedelta (the int form
    # is deprecated). Set here, by the composition root, not as an import side effect.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    if rate_limiter == "default":
        rate_limiter = TelegramRateLimiter()
    builder: ApplicationBuilder = (
        Application.builder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(file_base_url(settings.telegram_api_base_url))
        .connect_timeout(settings.telegram_timeout_seconds)
        .read_timeout(settings.telegram_timeout_seconds)
        .write_timeout(settings.telegram_timeout_seconds)
        # Different people concurrently, one person's updates (guided-flow steps) in order.
        .concurrent_updates(PerPersonUpdateProcessor(settings.update_concurrency))
    )
    if rate_limiter is not None:
        # It lets RetryAfter reach our code, where the outbox row is rescheduled.
        builder = builder.rate_limiter(rate_limiter)
    if not with_updater:
        builder = builder.updater(None)
    app = builder.build()
    # Which end reasons are dropouts is the project's setting, counted alike by every figure.
    set_dropout_reasons(settings.dropouts)
    # Edits and channel posts are not commands: an edited "/end P-1 moved" must not run
    # twice. One gate, before every handler.
    app.add_handler(TypeHandler(Update, ignore_edits_and_channels), group=-1)
    app.bot_data[SERVICES_KEY] = Services(settings, sessions, clock or SystemClock(),
                                          wake=lambda: scheduler.wake(app))
    scheduler.attach(app, outbox_templates() if templates is None else templates)
    for module in HANDLER_MODULES:
        module.register(app)
    start.register_fallbacks(app)
    app.add_error_handler(on_error)
    return app


async def start_services(app: Application) -> None:
    """After `app.start()`: command menus, then the outbox dispatcher and its poller."""
    services = services_of(app.bot_data)
    settings = services.settings
    await menus.publish_public_menus(app.bot, settings.tz, settings.default_language)
    async with transaction(services.sessions) as session:
        members = await active_staff(session)
    for member in members:
        await menus.publish_staff_menu(app.bot, member, settings.tz, settings.default_language)
    await scheduler.start(app)


async def ignore_edits_and_channels(update: Update, _context: Context) -> None:
    if update.edited_message or update.channel_post or update.edited_channel_post:
        raise ApplicationHandlerStop


def database_unreachable(error: BaseException | None) -> bool:
    return isinstance(error, OperationalError | InterfaceError | OSError | TimeoutError)


async def on_error(update: object, context: Context) -> None:
    """Log with context; tell the person a short localized apology, never a traceback."""
    update_id = update.update_id if isinstance(update, Update) else None
    user_id = (update.effective_user.id if isinstance(update, Update) and update.effective_user
               else None)
    if isinstance(context.error, DomainError):
        # Refused input outside a guarded handler (e.g. a control character caught by
        # storage's flush check): say what was wrong, log the code only.
        log.info("refused update %s from user %s: %s", update_id, user_id, context.error.code)
        if isinstance(update, Update) and update.effective_chat is not None:
            tr = translator_for(services_of(context.bot_data), update)
            with contextlib.suppress(Exception):
                await context.bot.send_message(update.effective_chat.id,
                                               error_text(tr, context.error),
                                               parse_mode=ParseMode.HTML)
        return
    log.error("unhandled error for update %s from user %s", update_id, user_id,
              exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    # No database lookup here: the database may be what failed.
    tr = translator_for(services_of(context.bot_data), update)
    if database_unreachable(context.error):
        # TRANSLATORS: participant
        text = tr._("I can't reach my database right now. Nothing was saved; please try "
                    "again in a few minutes.")
    else:
        # TRANSLATORS: participant
        text = tr._("Sorry, something went wrong on my side. Nothing was saved; "
                    "please try again in a moment.")
    try:
        await context.bot.send_message(update.effective_chat.id, text, parse_mode=ParseMode.HTML)
    except Exception:  # the apology itself may fail (e.g. network); it is logged above
        log.warning("could not send the apology for update %s", update_id)
