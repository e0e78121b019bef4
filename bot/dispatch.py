"""The outbox dispatcher: claim due rows, pace them per chat, send, and record the result.

Telegram's limits: about 30 messages/s overall (PTB's AIORateLimiter) and at most one
message per second to one chat (paced here, since the rate limiter does not). On
`RetryAfter` the row waits as long as Telegram asks; timeouts and 5xx are retried with
exponential backoff up to a limit; 403 means the person blocked the bot: the
participant is marked unreachable, their reminders stop and the coordinator is told.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.i18n import SafeHtml, Translator
from bot.messages import PARTICIPANT_TEMPLATES, Outgoing, render
from bot.runtime import Services
from storage import outbox
from storage.db import transaction
from storage.models import OutboundMessage, Participant, Staff
from storage.participants import stop_messages
from storage.staff import notice_recipient

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=30)


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … capped: transient faults get room to clear."""
    return min(timedelta(seconds=5 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


class Dispatcher:
    def __init__(self, bot: Bot, services: Services, *, worker: str | None = None) -> None:
        self.bot = bot
        self.services = services
        self.worker = worker or worker_name()
        self._lock = asyncio.Lock()
        self._last_sent: dict[int, float] = {}
        self._chat_slots = asyncio.Semaphore(services.settings.dispatch_concurrency)
        self._stopping = False

    def request_stop(self) -> None:
        """Finish the message being sent, give the rest of the batch back (SIGTERM)."""
        self._stopping = True

    @property
    def settings(self):
        return self.services.settings

    async def startup(self) -> list[OutboundMessage]:
        """After downtime: rows overdue beyond the grace period are skipped, coordinators told."""
        now = self.services.clock.now()
        before = now - timedelta(hours=self.settings.dispatch_grace_hours)
        async with transaction(self.services.sessions) as session:
            stale = await outbox.skip_stale(session, before=before, now=now)
            for row in stale:
                if row.template in PARTICIPANT_TEMPLATES and row.participant_id is not None:
                    await self._notify_coordinator(session, row.participant_id, "skipped", now,
                                                   dedupe=f"skipped:{row.id}")
        if stale:
            log.warning("skipped %d outbox rows that were overdue at start-up", len(stale))
        return stale

    async def run_once(self) -> DispatchReport:
        """Claim one batch of due rows and deliver it. Safe to call from several processes."""
        async with self._lock:
            if self._stopping:
                return DispatchReport()
            now = self.services.clock.now()
            async with transaction(self.services.sessions) as session:
                rows = await outbox.claim_due(
                    session, now=now, worker=self.worker, limit=self.settings.dispatch_batch_size,
                    lease=timedelta(seconds=self.settings.dispatch_lease_seconds))
            report = DispatchReport(claimed=len(rows))
            by_chat: dict[int, list[OutboundMessage]] = defaultdict(list)
            for row in rows:
                by_chat[row.chat_id].append(row)
            await asyncio.gather(*(self._deliver_chat(chat_rows, report)
                                   for chat_rows in by_chat.values()))
            return report

    async def drain(self, *, max_rounds: int = 1000) -> DispatchReport:
        """Run until nothing is due (tests and the sandbox)."""
        total = DispatchReport()
        for _ in range(max_rounds):
            report = await self.run_once()
            if report.claimed == 0:
                break
            for name in ("claimed", "sent", "retried", "failed", "skipped"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
        return total

    async def _deliver_chat(self, rows: list[OutboundMessage], report: DispatchReport) -> None:
        async with self._chat_slots:
            for index, row in enumerate(rows):
                if self._stopping:
                    await self._release(rows[index:])
                    return
                await self._pace(row.chat_id)
                await self._deliver(row, report)

    async def _release(self, rows: list[OutboundMessage]) -> None:
        async with transaction(self.services.sessions) as session:
            released = await outbox.release(session, [r.id for r in rows if r.id], self.worker)
        log.info("shutting down: gave back %d claimed rows", released)

    async def _pace(self, chat_id: int) -> None:
        interval = self.settings.per_chat_interval_seconds
        last = self._last_sent.get(chat_id)
        if last is not None:
            wait = last + interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        self._last_sent[chat_id] = time.monotonic()

    async def _deliver(self, row: OutboundMessage, report: DispatchReport) -> None:
        assert row.id is not None
        now = self.services.clock.now()
        async with transaction(self.services.sessions) as session:
            chat_id, language, away = await self._recipient(session, row, now)
            tr = Translator(language, self.settings.tz)
            rendered = await render(session, Outgoing(row, tr, now))
            if rendered is None:
                await outbox.mark_skipped(session, row.id, self.worker, reason="no longer relevant")
                report.skipped += 1
                return
        text = rendered.text
        if away is not None:
            text = tr._("%(text)s\n\n<i>For %(name)s, who is away until %(date)s.</i>",
                        text=SafeHtml(text), name=away.name,
                        date=tr.date(away.away_until or now.date()))
        try:
            await self.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML,
                                        reply_markup=rendered.keyboard)
        except RetryAfter as exc:
            await self._retry(row, report, wait=_seconds(exc.retry_after), error=str(exc),
                              count_attempt=False)
        except Forbidden as exc:
            await self._unreachable(row, str(exc))
            report.failed += 1
        except BadRequest as exc:
            await self._fail(row, f"bad request: {exc}")
            report.failed += 1
        except (NetworkError, TelegramError) as exc:  # timeouts and 5xx are NetworkErrors
            if row.attempts >= self.settings.dispatch_max_attempts:
                await self._fail(row, f"gave up after {row.attempts} attempts: {exc}")
                report.failed += 1
            else:
                await self._retry(row, report, wait=backoff(row.attempts).total_seconds(),
                                  error=str(exc))
        else:
            async with transaction(self.services.sessions) as session:
                await outbox.mark_sent(session, row.id, self.worker,
                                       now=self.services.clock.now())
            report.sent += 1
            log.info("sent outbox row %s (%s)", row.id, row.template)

    async def _recipient(self, session: AsyncSession, row: OutboundMessage,
                         now: datetime) -> tuple[int, str, Staff | None]:
        """Chat and language as they are now; a notice for an away colleague goes to their
        delegate (returned third, so the text can say on whose behalf)."""
        if row.participant_id is not None:
            participant = await session.get(Participant, row.participant_id)
            if participant is not None:
                return row.chat_id, participant.language, None
        if row.staff_id is not None:
            staff = await session.get(Staff, row.staff_id)
            if staff is not None:
                today = now.astimezone(self.settings.tz).date()
                recipient = await notice_recipient(session, staff, today=today)
                language = recipient.language or self.settings.default_language
                away = staff if recipient.id != staff.id else None
                return recipient.telegram_user_id, language, away
        return row.chat_id, row.language, None

    async def _retry(self, row: OutboundMessage, report: DispatchReport, *, wait: float,
                     error: str, count_attempt: bool = True) -> None:
        assert row.id is not None
        send_at = self.services.clock.now() + timedelta(seconds=wait)
        async with transaction(self.services.sessions) as session:
            await outbox.mark_retry(session, row.id, self.worker, send_at=send_at, error=error,
                                    count_attempt=count_attempt)
        report.retried += 1
        log.warning("outbox row %s retry in %.0fs: %s", row.id, wait, error)

    async def _fail(self, row: OutboundMessage, error: str) -> None:
        assert row.id is not None
        async with transaction(self.services.sessions) as session:
            await outbox.mark_failed(session, row.id, self.worker, error=error)
        log.error("outbox row %s failed: %s", row.id, error)

    async def _unreachable(self, row: OutboundMessage, error: str) -> None:
        assert row.id is not None
        now = self.services.clock.now()
        async with transaction(self.services.sessions) as session:
            await outbox.mark_failed(session, row.id, self.worker, error=f"forbidden: {error}")
            if row.participant_id is not None:
                changed = await stop_messages(session, row.participant_id, now=now,
                                              reason="unreachable")
                if changed is not None:
                    await self._notify_coordinator(session, row.participant_id, "unreachable",
                                                   now, dedupe=f"unreachable:{row.id}")
        log.warning("outbox row %s: recipient unreachable", row.id)

    async def _notify_coordinator(self, session, participant_id: int, event: str,
                                  now: datetime, *, dedupe: str) -> None:
        participant = await session.get(Participant, participant_id)
        coordinator = await session.get(Staff, participant.coordinator_id) if participant else None
        if coordinator is None or not coordinator.active:
            return
        await outbox.enqueue(
            session, chat_id=coordinator.telegram_user_id, template="participant_notice",
            language=coordinator.language or self.settings.default_language, send_at=now,
            params={"participant_id": participant_id, "event": event}, staff_id=coordinator.id,
            dedupe_key=dedupe, now=now)


def _seconds(value: object) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)  # type: ignore[arg-type]
