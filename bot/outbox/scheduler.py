"""JobQueue bridge: APScheduler only wakes the dispatcher; the outbox rows are the truth.

One repeating job polls the outbox; `wake()` adds a one-off run right away. Of several
processes of one bot, only the elected one (bot.outbox.leader) plans and dispatches. The
morning agenda is planned as outbox rows too (deduplicated per coordinator and day),
so a restart neither loses nor doubles it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date
from datetime import timedelta

from telegram.ext import Application
from telegram.ext import ContextTypes

from bot.outbox.digest import plan_digests
from bot.outbox.dispatch import Dispatcher
from bot.outbox.hours_reminder import plan_hours_reminders
from bot.outbox.outcome_questions import plan_outcome_followups
from bot.outbox.templates import Template
from bot.outbox.timing import next_weekday_at
from bot.runtime.services import Services
from bot.runtime.services import services_of
from storage import drafts
from storage import gdpr
from storage import outbox
from storage import relay
from storage.db import transaction
from storage.models import OutboxTemplate
from storage.staff import active_staff

log = logging.getLogger(__name__)

DISPATCHER_KEY = "koordinator.dispatcher"
# Explicit: APScheduler's defaults (1 s misfire grace) skip runs when the loop stalls.
JOB_KWARGS = {"misfire_grace_time": 60, "coalesce": True, "max_instances": 1}


class DailyPlanner:
    """Once per local day: queue each staff member's next morning agenda, the leads'
    weekly digest, the outcome follow-up questions due and (early in a month) the hours
    reminders, and anonymise participants past the retention period."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._planned_on: date | None = None

    async def plan(self) -> int:
        settings = self.services.settings
        now = self.services.clock.now()
        today = now.astimezone(settings.tz).date()
        if self._planned_on == today:
            return 0
        send_at = next_weekday_at(now, settings.agenda_time, settings.tz)
        day = send_at.astimezone(settings.tz).date()
        async with transaction(self.services.sessions) as session:
            members = await active_staff(session)
            for member in members:
                await outbox.enqueue_for_staff(
                    session, member, default_language=settings.default_language,
                    template=OutboxTemplate.AGENDA, send_at=send_at,
                    params={"date": day.isoformat()},
                    dedupe_key=f"agenda:{member.id}:{day.isoformat()}", now=now)
            await plan_digests(session, settings, now)
            await plan_outcome_followups(session, settings, now)
            await plan_hours_reminders(session, settings, now)
            anonymised = await gdpr.apply_retention(
                session, today=today, keep=timedelta(days=settings.retention_days), now=now)
            await relay.purge(session,
                              before=now - timedelta(days=settings.relay_retention_days))
            await drafts.purge(session, now=now)
        if anonymised:
            log.info("retention: anonymised %d participants", len(anonymised))
        self._planned_on = today
        return len(members)


async def _tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    dispatcher: Dispatcher = context.bot_data[DISPATCHER_KEY]
    planner: DailyPlanner = context.bot_data[DISPATCHER_KEY + ".agenda"]
    try:
        # Several processes of one bot: only the elected one plans and sends (Telegram's
        # limits hold per bot); the others stand by (bot.outbox.leader).
        if dispatcher.stopping or not await dispatcher.leadership.lead():
            return
        await planner.plan()
        while (await dispatcher.run_once()).claimed:
            pass
    except Exception:  # a database outage must not kill the poller; it retries next tick
        log.exception("dispatcher tick failed; retrying at the next tick")


def attach(app: Application, templates: Mapping[str, Template]) -> Dispatcher:
    """Create the dispatcher for `app`, rendering with `templates` (no jobs yet: `start()`
    runs them)."""
    services = services_of(app.bot_data)
    dispatcher = Dispatcher(app.bot, services, templates)
    app.bot_data[DISPATCHER_KEY] = dispatcher
    app.bot_data[DISPATCHER_KEY + ".agenda"] = DailyPlanner(services)
    return dispatcher


def wake(app: Application) -> None:
    if app.job_queue is not None and app.running:
        app.job_queue.run_once(_tick, when=0, name="outbox-wake", job_kwargs=JOB_KWARGS)


async def start(app: Application) -> None:
    """Call after `app.start()`: skip what went stale while down, then poll the outbox."""
    dispatcher: Dispatcher = app.bot_data[DISPATCHER_KEY]
    await dispatcher.startup()
    assert app.job_queue is not None
    interval = services_of(app.bot_data).settings.dispatch_interval_seconds
    app.job_queue.run_repeating(_tick, interval=interval, first=0.1, name="outbox",
                                job_kwargs=JOB_KWARGS)
