"""The outbox dispatcher: claim due rows, pace them per chat, send, and record the result.

Telegram's limits: about 30 messages/s overall (the bot's rate limiter,
`bot.outbox.ratelimit.TelegramRateLimiter`) and at most one message per second to one chat
(paced here, where waiting costs nothing: a row whose chat is not yet free goes back to
the outbox with `send_at` = the moment it is, instead of holding a place while it
sleeps). Deliveries run side by side and the next rows are claimed as places free up,
so the rate limiter always has work queued. On `RetryAfter` the row waits as long as
Telegram asks; timeouts and 5xx are retried with exponential backoff for as long as
the message is useful (`useful_until`: a reminder until its appointment, anything else
a day), then it is `expired` and, for a message to a participant, the coordinator is
told; 403 means the person blocked the bot: the participant is marked unreachable,
their reminders stop and the coordinator is told.

Whom a row goes to is decided when it is sent (`Route`), not when it was queued: a
participant's chat as it is now (they may have re-joined from a new account), a staff
member's delegate while they are away, and once they are deactivated their delegate or
the leads over the participant. Pacing per chat follows that chat.

A claimed row is sent only through the fence (`storage.outbox.fence`): still ours, lease
not run out, lease renewed. Rows waiting in memory have their leases renewed every
third of a lease, so a row waiting for its chat, a place or a slow Telegram is never
taken over and sent a second time by another dispatcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.error import Forbidden
from telegram.error import NetworkError
from telegram.error import RetryAfter
from telegram.error import TelegramError

from bot.outbox.leader import Leadership
from bot.outbox.ratelimit import TelegramRateLimiter
from bot.outbox.templates import PARTICIPANT_TEMPLATES
from bot.outbox.templates import Outgoing
from bot.outbox.templates import Rendered
from bot.outbox.templates import Template
from bot.outbox.templates import fit_message
from bot.runtime.services import Services
from bot.text.i18n import SafeHtml
from bot.text.i18n import Translator
from storage import outbox
from storage.db import transaction
from storage.models import FollowUp
from storage.models import OutboundMessage
from storage.models import OutboxTemplate
from storage.models import OutcomeFollowUp
from storage.models import Participant
from storage.models import Staff
from storage.participants import stop_messages
from storage.staff import notice_recipients

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=5)
"""The longest wait between two attempts: a message is at most this late after an outage."""
NOTICE_USEFUL = timedelta(days=1)
"""How long a message other than a reminder is retried after it first failed."""
HOLD_SECONDS = 10.0
"""A claimed row waits in memory for its chat at most this long; longer, it is given back."""
HELD_BATCHES = 4
"""Claimed rows (waiting for their chat or for a place) are at most this many batches."""
RECHECK_SECONDS = 0.2


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    postponed: int = 0
    """Rows given back because their chat had a message less than a second ago."""
    expired: int = 0
    lost: int = 0
    """Rows this dispatcher no longer held when it came to send them (not sent by it)."""
    by_status: dict[str, int] = field(default_factory=dict)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True, slots=True)
class Route:
    """Where a row goes, decided just before it is sent."""

    chat_id: int
    language: str
    on_behalf_of: Staff | None = None
    """The staff member it was meant for, when someone else gets it."""
    copies: tuple[Staff, ...] = ()
    """Further staff who get a copy (the leads, when a deactivated member had several)."""


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … capped: transient faults get room to clear."""
    return min(timedelta(seconds=5 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


class Dispatcher:
    def __init__(self, bot: Bot, services: Services, templates: Mapping[str, Template], *,
                 worker: str | None = None) -> None:
        self.bot = bot
        self.services = services
        self.templates = templates
        """Kind → renderer (`bot.outbox.catalog.outbox_templates()`, given by the
        composition root)."""
        self.worker = worker or worker_name()
        self._lock = asyncio.Lock()
        # Per chat: when (monotonic) the last send to it was answered.
        self._last_sent: dict[int, float] = {}
        # Per chat: this dispatcher's rows under way (waiting or sending), and the last of
        # them (the next one waits for it). `_waiting`: how many wait for their chat.
        self._queued: dict[int, int] = {}
        self._tail: dict[int, asyncio.Task[None]] = {}
        self._waiting = 0
        self._slots = asyncio.Semaphore(services.settings.dispatch_concurrency)
        # SQLite has one writer at a time and its busy handler is not fair: with many
        # deliveries marking rows at once, one could wait out the whole busy_timeout
        # ("database is locked"). The dispatcher's own writes take turns here instead.
        self._sqlite_writes = asyncio.Lock()
        self._stopping = False
        self._stop_requested = asyncio.Event()
        # Claimed rows not yet finished (their leases are renewed while they wait), and
        # where each goes (decided at the claim, a moment before it is sent).
        self._held: dict[int, OutboundMessage] = {}
        self._routes: dict[int, Route | None] = {}
        self._renewed_at = 0.0
        self._handing_over: asyncio.Task[None] | None = None
        bind = services.sessions.kw.get("bind")
        self.leadership = Leadership(bind if isinstance(bind, AsyncEngine) else None,
                                     settle=services.settings.per_chat_interval_seconds)

    def request_stop(self) -> None:
        """Finish the messages being sent, give the rest of the claim back (SIGTERM), and
        hand the dispatcher lock over (a standby takes over at its next poll)."""
        self._stopping = True
        self._stop_requested.set()
        with contextlib.suppress(RuntimeError):  # no running loop: nothing to hand over
            self._handing_over = asyncio.get_running_loop().create_task(
                self.leadership.release())

    @property
    def stopping(self) -> bool:
        return self._stopping

    @property
    def settings(self):
        return self.services.settings

    async def startup(self) -> list[OutboundMessage]:
        """After downtime: rows overdue beyond the grace period are skipped, coordinators told."""
        now = self.services.clock.now()
        before = now - timedelta(hours=self.settings.dispatch_grace_hours)
        async with self._writing() as session:
            stale = await outbox.skip_stale(session, before=before, now=now)
            for row in stale:
                if row.template in PARTICIPANT_TEMPLATES and row.participant_id is not None:
                    await self._notify_coordinator(session, row.participant_id, "skipped", now,
                                                   dedupe=f"skipped:{row.id}")
        if stale:
            log.warning("skipped %d outbox rows that were overdue at start-up", len(stale))
        return stale

    async def run_once(self) -> DispatchReport:
        """Deliver every row due now; safe to call from several processes.

        Claims a batch, starts delivering it and claims more whenever no more than half a
        batch is ready to go, until a claim finds nothing due: the rate limiter always has
        work queued, and a row waiting for its chat holds up nothing else. At most
        `dispatch_concurrency` rows are being sent at once, so a crash repeats at most
        those (the rest of a claim comes back unsent when its lease runs out).
        """
        async with self._lock:
            report = DispatchReport()
            if self._stopping:
                return report
            batch = self.settings.dispatch_batch_size
            deliveries: set[asyncio.Task[None]] = set()
            unsent: list[OutboundMessage] = []
            more = True
            try:
                while True:
                    ready = len(deliveries) - self._waiting
                    if (more and not self._stopping and ready <= batch // 2
                            and len(deliveries) < HELD_BATCHES * batch):
                        rows = await self._claim(batch - ready)
                        report.claimed += len(rows)
                        more = bool(rows)
                        deliveries |= await self._start(rows, report, unsent)
                        continue
                    if not deliveries:
                        break
                    await self._renew_if_due()
                    # Woken by a finished delivery, or soon anyway: rows that went to wait
                    # for their chat make room for a claim without finishing.
                    done, deliveries = await asyncio.wait(
                        deliveries, timeout=RECHECK_SECONDS, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        if not task.cancelled() and task.exception() is not None:
                            # E.g. the database went away mid-send: the row stays claimed
                            # and comes back when its lease runs out; the others go on.
                            log.error("outbox delivery failed", exc_info=task.exception())
            finally:
                # Cancelled (the loop is closing) or failed: let what was started finish
                # or fail on its own; a row left unmarked comes back when its lease ends.
                if deliveries:
                    await asyncio.gather(*deliveries, return_exceptions=True)
                if unsent:
                    await self._release(unsent)
            return report

    async def drain(self, *, max_rounds: int = 1000) -> DispatchReport:
        """Run until nothing is due (tests and the sandbox)."""
        total = DispatchReport()
        for _ in range(max_rounds):
            report = await self.run_once()
            if report.claimed == 0:
                break
            for name in ("claimed", "sent", "retried", "failed", "skipped", "postponed",
                         "expired", "lost"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
        return total

    @property
    def _lease(self) -> timedelta:
        return timedelta(seconds=self.settings.dispatch_lease_seconds)

    async def _claim(self, limit: int) -> list[OutboundMessage]:
        now = self.services.clock.now()
        async with self._writing() as session:
            rows = await outbox.claim_due(session, now=now, worker=self.worker, limit=limit,
                                          lease=self._lease)
            for row in rows:
                assert row.id is not None
                self._routes[row.id] = await self._route(session, row, now)
        if not self._held:
            self._renewed_at = time.monotonic()
        return rows

    async def _renew_if_due(self) -> None:
        """Renew the leases of the rows held here; a row no longer ours is not sent."""
        if time.monotonic() - self._renewed_at < self.settings.dispatch_lease_seconds / 3:
            return
        self._renewed_at = time.monotonic()
        held = list(self._held)
        async with self._writing() as session:
            kept = await outbox.fence(session, held, self.worker, lease=self._lease)
        if len(kept) < len(held):
            log.warning("outbox: %d held rows were no longer ours", len(held) - len(kept))

    def _hold_limit(self) -> float:
        """The longest a claimed row may wait in memory for its chat (well within its lease)."""
        return min(HOLD_SECONDS, self.settings.dispatch_lease_seconds / 4)

    async def _start(self, rows: list[OutboundMessage], report: DispatchReport,
                     unsent: list[OutboundMessage]) -> set[asyncio.Task[None]]:
        """Start a delivery for each row; a row whose chat is not free waits without a place.

        Rows of one chat go one after the other, each at least `per_chat_interval_seconds`
        after the previous message to the chat was answered. A row that would have to
        wait longer than `_hold_limit()` goes back to the outbox instead, due at the
        moment its chat is free (so a long queue for one chat never outlives its lease).
        """
        interval = self.settings.per_chat_interval_seconds
        if len(self._last_sent) > 10_000:  # only chats served within the interval matter
            recent = time.monotonic() - interval
            self._last_sent = {c: at for c, at in self._last_sent.items() if at > recent}
        tasks: set[asyncio.Task[None]] = set()
        later: list[tuple[OutboundMessage, float]] = []
        given_back: dict[int, int] = {}
        for row in rows:
            assert row.id is not None
            route = self._routes.get(row.id)
            chat = route.chat_id if route is not None else row.chat_id
            ahead = self._queued.get(chat, 0)
            if interval > 0:
                # Rows ahead of it, kept or given back, each take an interval: the times
                # given back keep the chat's order.
                wait = (max(self._wait_for_chat(chat, interval), 0.0)
                        + (ahead + given_back.get(chat, 0)) * interval)
                if wait > self._hold_limit() or chat in given_back:
                    given_back[chat] = given_back.get(chat, 0) + 1
                    later.append((row, wait))
                    self._routes.pop(row.id, None)
                    continue
            self._held[row.id] = row
            task = asyncio.create_task(
                self._deliver_in_turn(row, chat, self._tail.get(chat), report, unsent))
            self._tail[chat] = task
            self._queued[chat] = ahead + 1
            tasks.add(task)
        if later:
            await self._postpone(later)
            report.postponed += len(later)
        return tasks

    def _wait_for_chat(self, chat: int, interval: float) -> float:
        """Seconds until `chat` may get its next message (≤ 0: now)."""
        last = self._last_sent.get(chat)
        limiter = getattr(self.bot, "rate_limiter", None)
        if isinstance(limiter, TelegramRateLimiter):  # it also saw the handlers' replies
            seen = limiter.last_sent(chat)
            if seen is not None and (last is None or seen > last):
                last = seen
        return -1.0 if last is None else last + interval - time.monotonic()

    async def _deliver_in_turn(self, row: OutboundMessage, chat: int,
                               before: asyncio.Task[None] | None,
                               report: DispatchReport, unsent: list[OutboundMessage]) -> None:
        try:
            interval = self.settings.per_chat_interval_seconds
            wait = self._wait_for_chat(chat, interval) if interval > 0 else 0.0
            if before is not None or wait > 0:
                self._waiting += 1
                try:
                    if before is not None:
                        await asyncio.wait([before])
                    if interval > 0:
                        await self._pause(self._wait_for_chat(chat, interval))
                finally:
                    self._waiting -= 1
            async with self._slots:
                if self._stopping:
                    unsent.append(row)
                    return
                await self._deliver(row, chat, report)
        finally:
            assert row.id is not None
            self._held.pop(row.id, None)
            self._routes.pop(row.id, None)
            left = self._queued.get(chat, 1) - 1
            if left:
                self._queued[chat] = left
            else:
                self._queued.pop(chat, None)
            if self._tail.get(chat) is asyncio.current_task():
                del self._tail[chat]

    async def _pause(self, seconds: float) -> None:
        """Sleep `seconds`, or less if a stop is requested (the row is then given back)."""
        if seconds > 0 and not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_requested.wait(), seconds)

    @contextlib.asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncSession]:
        """A write transaction; on SQLite the dispatcher's writes take turns (see __init__)."""
        bind = self.services.sessions.kw.get("bind")
        sqlite = bind is not None and bind.dialect.name == "sqlite"
        async with self._sqlite_writes if sqlite else contextlib.nullcontext():
            async with transaction(self.services.sessions) as session:
                yield session

    async def _postpone(self, rows: list[tuple[OutboundMessage, float]]) -> None:
        now = self.services.clock.now()
        async with self._writing() as session:
            for row, wait in rows:
                assert row.id is not None
                await outbox.postpone(session, row.id, self.worker,
                                      send_at=now + timedelta(seconds=wait))

    async def _release(self, rows: list[OutboundMessage]) -> None:
        async with self._writing() as session:
            released = await outbox.release(session, [r.id for r in rows if r.id], self.worker)
        log.info("shutting down: gave back %d claimed rows", released)

    async def _deliver(self, row: OutboundMessage, chat: int, report: DispatchReport) -> None:
        assert row.id is not None
        now = self.services.clock.now()
        route = self._routes.get(row.id)
        if row.useful_until is not None and now >= row.useful_until:
            await self._expire(row, report, "no longer useful")
            return
        rendered = None
        tr = Translator(route.language if route else row.language, self.settings.tz)
        if route is not None:
            async with transaction(self.services.sessions) as session:
                rendered = await self._render(session, Outgoing(row, tr, now))
        if route is None or rendered is None:
            async with self._writing() as session:
                await outbox.mark_skipped(
                    session, row.id, self.worker,
                    reason="no longer relevant" if route else "nobody to send it to")
            report.skipped += 1
            return
        text = rendered.text
        away = route.on_behalf_of
        if away is not None and away.active:
            text = tr._("%(text)s\n\n<i>For %(name)s, who is away until %(date)s.</i>",
                        text=SafeHtml(text), name=away.name,
                        date=tr.date(away.away_until or now.date()))
        elif away is not None:
            text = tr._("%(text)s\n\n<i>For %(name)s, who no longer works in the project.</i>",
                        text=SafeHtml(text), name=away.name)
        text = fit_message(text)
        async with self._writing() as session:
            # The fence: another dispatcher may have taken the row over while it waited.
            if not await outbox.fence(session, [row.id], self.worker, lease=self._lease):
                report.lost += 1
                log.warning("outbox row %s is no longer ours: not sending it", row.id)
                return
            for staff in route.copies:
                await self._copy(session, row, staff, now)
        try:
            await self._retire(rendered)
            sent = await self.bot.send_message(chat, text, parse_mode=ParseMode.HTML,
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
            await self._retry(row, report, wait=backoff(row.attempts).total_seconds(),
                              error=str(exc))
        else:
            async with self._writing() as session:
                await outbox.mark_sent(session, row.id, self.worker,
                                       now=self.services.clock.now(),
                                       message_id=sent.message_id)
            report.sent += 1
            log.info("sent outbox row %s (%s)", row.id, row.template)
        finally:
            # Stamped when Telegram has answered, not when the send began: a message that
            # waited in the rate limiter must not shorten the gap to the next one.
            self._last_sent[chat] = time.monotonic()

    async def _render(self, session: AsyncSession, outgoing: Outgoing) -> Rendered | None:
        template = self.templates.get(outgoing.row.template)
        if template is None:
            raise LookupError(f"unknown outbox template {outgoing.row.template!r}")
        return await template(session, outgoing)

    async def _retire(self, rendered: Rendered) -> None:
        """Remove the answer buttons of earlier messages (their follow-up changed).

        A message Telegram no longer lets us edit (deleted, too old, already without
        buttons) counts as retired: a tap on it is refused anyway (its stamp is old).
        """
        if not rendered.retire:
            return
        done: list[int] = []
        for message in rendered.retire:
            try:
                await self.bot.edit_message_reply_markup(
                    chat_id=message.chat_id, message_id=message.message_id, reply_markup=None)
            except BadRequest as exc:
                log.info("outbox row %s: buttons not retired: %s", message.row_id, exc)
            done.append(message.row_id)
        async with self._writing() as session:
            await outbox.mark_buttons_retired(session, done, now=self.services.clock.now())

    async def _route(self, session: AsyncSession, row: OutboundMessage,
                     now: datetime) -> Route | None:
        """Chat and language as they are now (None: nobody to send it to any more).

        A participant's current chat (they may have re-joined from a new account); a
        staff member's as `notice_recipients` decides (delegate, leads).
        """
        if row.participant_id is not None and row.staff_id is None:
            participant = await session.get(Participant, row.participant_id)
            if participant is None or participant.chat_id is None:
                return None
            return Route(participant.chat_id, participant.language)
        if row.staff_id is not None:
            staff = await session.get(Staff, row.staff_id)
            if staff is not None:
                today = now.astimezone(self.settings.tz).date()
                subject = await _subject(session, row)
                recipients = await notice_recipients(session, staff, today=today,
                                                     participant=subject)
                if not recipients:
                    return None
                first = recipients[0]
                language = first.language or self.settings.default_language
                return Route(first.telegram_user_id, language,
                             staff if first.id != staff.id else None, tuple(recipients[1:]))
        return Route(row.chat_id, row.language)

    async def _copy(self, session: AsyncSession, row: OutboundMessage, staff: Staff,
                    now: datetime) -> None:
        """Queue `row` once more for `staff` (a further lead over a deactivated member's
        participant); the copy is routed like any row meant for them."""
        assert row.id is not None
        await outbox.enqueue_for_staff(
            session, staff, default_language=self.settings.default_language,
            template=row.template, send_at=now, params=json.loads(row.params or "{}"),
            participant_id=row.participant_id, followup_id=row.followup_id,
            dedupe_key=f"copy:{row.id}:{staff.id}", now=now)

    async def _retry(self, row: OutboundMessage, report: DispatchReport, *, wait: float,
                     error: str, count_attempt: bool = True) -> None:
        """Try again after `wait`, unless the message is no longer useful by then: expired."""
        assert row.id is not None
        now = self.services.clock.now()
        async with self._writing() as session:
            deadline = row.useful_until or await useful_until(session, row)
            send_at = min(now + timedelta(seconds=wait), deadline)
            if send_at <= now:
                await self._expire(row, report, error, session=session)
                return
            await outbox.mark_retry(session, row.id, self.worker, send_at=send_at, error=error,
                                    useful_until=deadline, count_attempt=count_attempt)
        report.retried += 1
        log.warning("outbox row %s retry in %.0fs: %s", row.id, wait, error)

    async def _expire(self, row: OutboundMessage, report: DispatchReport, error: str, *,
                      session: AsyncSession | None = None) -> None:
        """Mark `row` expired; for a message to a participant, tell their coordinator."""
        assert row.id is not None
        async with (contextlib.nullcontext(session) if session is not None
                    else self._writing()) as writing:
            assert writing is not None
            now = self.services.clock.now()
            if await outbox.mark_expired(writing, row.id, self.worker,
                                         error=f"expired: {error}"):
                report.expired += 1
                if row.participant_id is not None and row.staff_id is None:
                    # One notice per appointment, not one per reminder of it.
                    about = (f"followup:{row.followup_id}" if row.followup_id is not None
                             else f"row:{row.id}")
                    await self._notify_coordinator(writing, row.participant_id, "expired", now,
                                                   dedupe=f"expired:{about}")
        log.error("outbox row %s expired: %s", row.id, error)

    async def _fail(self, row: OutboundMessage, error: str) -> None:
        assert row.id is not None
        async with self._writing() as session:
            await outbox.mark_failed(session, row.id, self.worker, error=error)
        log.error("outbox row %s failed: %s", row.id, error)

    async def _unreachable(self, row: OutboundMessage, error: str) -> None:
        assert row.id is not None
        now = self.services.clock.now()
        async with self._writing() as session:
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
        if coordinator is None:
            return  # (a deactivated coordinator's notice is routed when it is sent)
        await outbox.enqueue_for_staff(
            session, coordinator, default_language=self.settings.default_language,
            template=OutboxTemplate.PARTICIPANT_NOTICE, send_at=now,
            params={"participant_id": participant_id, "event": event}, dedupe_key=dedupe,
            now=now)


async def useful_until(session: AsyncSession, row: OutboundMessage) -> datetime:
    """Until when `row` is worth retrying: a reminder until its appointment, anything
    else a day after it was due."""
    if row.template in PARTICIPANT_TEMPLATES and row.followup_id is not None:
        followup = await session.get(FollowUp, row.followup_id)
        if followup is not None:
            return followup.due_at
    return row.send_at + NOTICE_USEFUL


async def _subject(session: AsyncSession, row: OutboundMessage) -> Participant | None:
    """The participant a notice is about (whose scope decides which leads get it)."""
    participant_id = row.participant_id
    params = json.loads(row.params or "{}")
    if participant_id is None and isinstance(params.get("participant_id"), int):
        participant_id = params["participant_id"]
    if participant_id is None and row.followup_id is not None:
        followup = await session.get(FollowUp, row.followup_id)
        participant_id = followup.participant_id if followup is not None else None
    if participant_id is None and isinstance(params.get("followup"), int):
        outcome = await session.get(OutcomeFollowUp, params["followup"])
        participant_id = outcome.participant_id if outcome is not None else None
    return await session.get(Participant, participant_id) if participant_id else None


def _seconds(value: object) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)  # type: ignore[arg-type]
