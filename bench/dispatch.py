"""1. Reminder dispatch throughput near Telegram's cap, and the dispatcher's own ceiling.

N due outbox rows (the bench-only `bench_ping` template: a reminder-sized text that needs
no database work to render) go to M chats, in a shuffled chat order, through the real
`Application` and its production poller (`start_services`: the JobQueue tick that
drains the outbox) to the Bot API emulator. With limits on, the emulator enforces 30 msg/s
overall and 1 msg/s per chat and answers 429 + retry_after to anything over (see
`bench.telegram_limits`). The same run with the two changes proposed for `bot/` (a
sliding-window limiter, per-chat pacing from completed sends; patched in here, see the
end of this module) goes beside it. With limits lifted, PTB's limiter is switched off,
per-chat pacing is 0 and the concurrency is high: what remains is the dispatcher's own
ceiling, on each backend.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any
from unittest import mock

from telegram.ext import BaseRateLimiter

import bot.app
from bench.common import (
    OUTBOX,
    TOKEN,
    Options,
    Result,
    Table,
    Target,
    bot_settings,
    bulk_insert,
    migrated_database,
    outbox_due_times,
    outbox_row,
    outbox_statuses,
    percentile,
    poll_until,
    telegram_rate_limit_lifted,
)
from bench.emulator_process import RemoteTelegram, emulator_process
from bench.telegram_limits import (
    Delivery,
    TelegramLimits,
    busiest_second,
    closest_gap_per_chat,
)
from bot.app import build_application, start_services
from bot.dispatch import Dispatcher
from bot.scheduler import DISPATCHER_KEY

NAME = "dispatch"
TITLE = "1. Reminder dispatch near Telegram's cap"
CHAT_BASE = 600_000_000
CEILING_SETTINGS: dict[str, Any] = {"per_chat_interval_seconds": 0.0,
                                    "dispatch_concurrency": 100, "dispatch_batch_size": 200}


@dataclass
class DispatchRun:
    backend: str
    rows: int
    chats: int
    limits: TelegramLimits
    due: dict[int, datetime]
    started: float
    statuses: dict[str, int]
    settings: dict[str, Any]

    @cached_property
    def first_deliveries(self) -> list[Delivery]:
        """Each row's first delivery, in arrival order."""
        seen: set[int] = set()
        first = []
        for delivery in sorted(self.limits.row_deliveries(), key=lambda d: d.at):
            if delivery.row_id not in seen:
                seen.add(delivery.row_id)  # type: ignore[arg-type]
                first.append(delivery)
        return first

    @property
    def lost(self) -> int:
        return len(set(self.due) - {d.row_id for d in self.limits.row_deliveries()})

    @property
    def duplicates(self) -> int:
        deliveries = self.limits.row_deliveries()
        return len(deliveries) - len({d.row_id for d in deliveries})

    @property
    def unsent_in_database(self) -> int:
        return self.rows - self.statuses.get("sent", 0)

    @property
    def sustained_rate(self) -> float:
        """Messages per second between the 5th and the 95th percentile delivery."""
        times = [d.at for d in self.first_deliveries]
        if len(times) < 2:
            return math.nan
        low, high = int(0.05 * len(times)), math.ceil(0.95 * len(times)) - 1
        if high - low < 2:
            low, high = 0, len(times) - 1
        span = times[high] - times[low]
        return (high - low) / span if span > 0 else math.inf

    @property
    def makespan(self) -> float:
        """From the poller's start to the last first delivery."""
        times = [d.at for d in self.first_deliveries]
        return max(times) - self.started if times else math.nan

    @cached_property
    def lateness(self) -> list[float]:
        """Arrival at the emulator minus the row's send_at, per row (seconds)."""
        return [d.at - self.due[d.row_id].timestamp() for d in self.first_deliveries
                if d.row_id in self.due]


async def dispatch_run(
    options: Options, remote: RemoteTelegram, backend: str, *, name: str, rows: int,
    chats: int, enforce: bool, lifted: bool = False, proposed: bool = False,
    due_rate: float | None = None, **overrides: Any,
) -> DispatchRun:
    """Queue `rows` rows for `chats` chats, run the bot until all arrived, count everything.

    `due_rate=None`: everything is due at once (a burst). Otherwise the rows fall due
    one after the other at `due_rate` per second, starting shortly after the bot.
    `proposed=True` tries the two changes BENCHMARKS.md proposes for `bot/` (below).
    """
    if options.sizes.poll_interval is not None:
        overrides.setdefault("dispatch_interval_seconds", options.sizes.poll_interval)
    rng = random.Random(options.seed)
    assignment = [CHAT_BASE + index % chats for index in range(rows)]
    rng.shuffle(assignment)
    await remote.reset(enforce=enforce)
    async with migrated_database(options, backend, name) as db:
        now = datetime.now(UTC)
        if due_rate is None:
            times = [now - timedelta(seconds=1)] * rows
        else:
            lead = 2.0 if options.sizes.poll_interval is None else 0.5
            times = [now + timedelta(seconds=lead + k / due_rate) for k in range(rows)]
        await bulk_insert(db.engine, OUTBOX, [outbox_row(chat, at, now)
                                              for chat, at in zip(assignment, times, strict=True)])
        due = await outbox_due_times(db.engine)
        settings = bot_settings(remote.base_url, db.url, **overrides)
        with contextlib.ExitStack() as patches:  # only while the Application is built
            if lifted:
                patches.enter_context(telegram_rate_limit_lifted())
            if proposed:
                patches.enter_context(sliding_window_limiter())
            app = build_application(settings, db.sessions, with_updater=False)
        if proposed:
            pace_from_completed_sends(app.bot_data[DISPATCHER_KEY])
        async with app:
            await app.start()
            await start_services(app)  # command menus first, then the outbox poller
            started = time.time()
            spread = rows / due_rate if due_rate else 0.0

            async def all_arrived() -> bool:
                return (await remote.state())["rows"] >= rows

            await poll_until(all_arrived, timeout=spread + rows / (20 if enforce else 50) + 60)
            await asyncio.sleep(0.3)  # a late duplicate would arrive here
            app.bot_data[DISPATCHER_KEY].request_stop()
            await app.stop()
        limits = await remote.limits()
        statuses = await outbox_statuses(db.engine)
    used = {key: getattr(settings, key) for key in (
        "per_chat_interval_seconds", "dispatch_concurrency", "dispatch_batch_size",
        "dispatch_interval_seconds")}
    return DispatchRun(backend, rows, chats, limits, due, started, statuses, used)


# ---- the two changes proposed for bot/ (BENCHMARKS.md), tried here without editing it ----
class SlidingWindowLimiter(BaseRateLimiter[int]):
    """At most `per_second` requests reach Telegram in any one-second window, provably.

    PTB's `AIORateLimiter()` is a leaky bucket that holds 30: after an idle moment it lets
    30 requests go at once and then 30/s, so one second can carry ~59 (Telegram answers
    the rest with 429). Counting requests when they *start* is not enough either: a
    stalled event loop or a slow network bunches them up on the way. This limiter starts
    a request only while fewer than `per_second` are in flight or finished within the
    last second; a request arrives before it finishes, so any one-second window of
    arrivals holds at most `per_second`. getUpdates (a long poll) is not counted.
    RetryAfter still reaches the caller (no retries here), as with `max_retries=0`.
    """

    def __init__(self, per_second: int = 30) -> None:
        self.per_second = per_second
        self._in_flight = 0
        self._finished: deque[float] = deque()
        self._changed = asyncio.Condition()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(self, callback: Any, args: Any, kwargs: dict[str, Any],
                              endpoint: str, data: dict[str, Any],
                              rate_limit_args: int | None) -> Any:
        if endpoint == "getUpdates":
            return await callback(*args, **kwargs)
        async with self._changed:
            while True:
                now = time.monotonic()
                while self._finished and self._finished[0] <= now - 1.0:
                    self._finished.popleft()
                if self._in_flight + len(self._finished) < self.per_second:
                    break
                wait = self._finished[0] + 1.0 - now if self._finished else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), wait)
            self._in_flight += 1
        try:
            return await callback(*args, **kwargs)
        finally:
            async with self._changed:
                self._in_flight -= 1
                self._finished.append(time.monotonic())
                self._changed.notify_all()


@contextlib.contextmanager
def sliding_window_limiter() -> Iterator[None]:
    """Build the Application with `SlidingWindowLimiter` instead of `AIORateLimiter()`."""

    def window(*, max_retries: int = 0) -> SlidingWindowLimiter:
        return SlidingWindowLimiter()

    with mock.patch.object(bot.app, "AIORateLimiter", window):
        yield


def pace_from_completed_sends(dispatcher: Dispatcher) -> None:
    """Per-chat pacing counted from when the previous send to the chat returned.

    `Dispatcher._pace` stamps a chat before the row is rendered and queued behind the
    global limiter, so a first message held up there can arrive less than a second
    before the next one. This stamps again once a delivery is done (this instance only).
    """
    deliver = dispatcher._deliver

    async def deliver_then_stamp(row: Any, report: Any) -> None:
        await deliver(row, report)
        dispatcher._last_sent[row.chat_id] = time.monotonic()

    dispatcher._deliver = deliver_then_stamp  # type: ignore[method-assign]


def count_correctness(result: Result, run: DispatchRun, prefix: str) -> None:
    result.count(f"{prefix}lost", run.lost)
    result.count(f"{prefix}duplicates", run.duplicates)
    result.count(f"{prefix}unsent_in_database", run.unsent_in_database)


async def run(options: Options) -> Result:
    async with emulator_process(token=TOKEN, enforce=True) as remote:
        return await measure(options, remote, Result(NAME, TITLE))


async def measure(options: Options, remote: RemoteTelegram, result: Result) -> Result:
    sizes = options.sizes
    runs: dict[str, DispatchRun] = {}
    for variant, proposed in (("current", False), ("proposed", True)):
        limited = await dispatch_run(options, remote, "sqlite", name=f"dispatch-{variant}",
                                     rows=sizes.dispatch_rows, chats=sizes.dispatch_chats,
                                     enforce=True, proposed=proposed)
        runs[variant] = limited
        prefix = "" if variant == "current" else "proposed."
        count_correctness(result, limited, prefix)
        result.count(f"{prefix}limit_violations", limited.limits.violations)
        late = limited.lateness
        result.figures.update({
            f"{variant}.msg_per_s": limited.sustained_rate,
            f"{variant}.makespan_s": limited.makespan,
            f"{variant}.over_global": limited.limits.over_global,
            f"{variant}.over_chat": limited.limits.over_chat,
            f"{variant}.busiest_second": busiest_second([d.at for d in limited.first_deliveries]),
            f"{variant}.closest_chat_gap_s": closest_gap_per_chat(limited.first_deliveries),
            f"{variant}.queueing_p50_s": percentile(late, 50),
            f"{variant}.queueing_p99_s": percentile(late, 99),
        })
    current = runs["current"]
    table = Table([f"SQLite, {current.rows:,} rows → {current.chats:,} chats, limits enforced",
                   "current code", "with the proposed fixes (bench-only patch)"])
    rows_of = {
        "sustained msg/s (5th–95th percentile delivery)":
            lambda r: f"{r.sustained_rate:.1f}",
        "poller start → last delivery": lambda r: f"{r.makespan:.1f} s",
        "lost / duplicates / unsent in DB":
            lambda r: f"{r.lost} / {r.duplicates} / {r.unsent_in_database}",
        "limit violations = 429s answered (overall + per chat)":
            lambda r: f"{r.limits.violations} ({r.limits.over_global} + {r.limits.over_chat})",
        "busiest 1-s window / closest per-chat gap, as delivered":
            lambda r: (f"{busiest_second([d.at for d in r.first_deliveries])} / "
                       f"{closest_gap_per_chat(r.first_deliveries):.2f} s"),
        "queueing delay in this burst p50 / p99 (all rows due at once)":
            lambda r: f"{percentile(r.lateness, 50):.1f} s / {percentile(r.lateness, 99):.1f} s",
    }
    table.rows = [[label, show(runs["current"]), show(runs["proposed"])]
                  for label, show in rows_of.items()]
    result.tables.append(table)
    result.notes += [
        f"Settings (production defaults): {_settings_text(current.settings)}.",
        "The emulator accepts at most 30 messages in any sliding one-second window and one "
        "per second per chat, on arrival; anything over gets 429 + retry_after and is not "
        "delivered (bench/telegram_limits.py).",
    ]
    ceiling_table = Table(["limits lifted", "rows → chats", "msg/s sustained",
                           "poller start → last", "lost / dup"])
    for backend in options.backends:
        ceiling = await dispatch_run(options, remote, backend,
                                     name=f"dispatch-ceiling-{backend}",
                                     rows=sizes.ceiling_rows, chats=sizes.ceiling_chats,
                                     enforce=False, lifted=True, **CEILING_SETTINGS)
        count_correctness(result, ceiling, f"{backend}.ceiling.")
        result.figures[f"{backend}.ceiling.msg_per_s"] = ceiling.sustained_rate
        ceiling_table.rows.append([backend, f"{ceiling.rows:,} → {ceiling.chats:,}",
                                   f"{ceiling.sustained_rate:.0f}", f"{ceiling.makespan:.1f} s",
                                   f"{ceiling.lost} / {ceiling.duplicates}"])
    result.tables.append(ceiling_table)
    result.notes.append(f"Ceiling: {_settings_text(CEILING_SETTINGS)}, PTB's AIORateLimiter "
                        "switched off, the emulator answering at once from its own process.")
    rate = current.sustained_rate
    result.targets += [
        Target("≥ 28 msg/s sustained with limits", f"{rate:.1f} msg/s", rate >= 28),
        Target("0 lost, 0 duplicates", f"{current.lost} lost, {current.duplicates} duplicates",
               current.lost == 0 and current.duplicates == 0),
        Target("0 limit violations", f"{current.limits.violations}",
               current.limits.violations == 0),
    ]
    return result


def _settings_text(settings: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in settings.items())
