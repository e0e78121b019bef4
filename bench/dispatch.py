"""1. Reminder dispatch throughput near Telegram's cap, and the dispatcher's own ceiling.

N due outbox rows (the bench-only `bench_ping` template: a reminder-sized text that needs
no database work to render) go to M chats, in a shuffled chat order, through the real
`Application` and its production poller (`start_services`: the JobQueue tick that
drains the outbox) to the Bot API emulator. With limits on, the emulator enforces 30 msg/s
overall and 1 msg/s per chat and answers 429 + retry_after to anything over (see
`bench.telegram_limits`). Beside it, the same run with PTB's `AIORateLimiter(max_retries=0)`
(what the bot used before issue 8) in place of the bot's own limiter, passed to
`build_application(rate_limiter=…)`: what the limiter alone is worth. With limits lifted,
there is no rate limiter, per-chat pacing is 0 and the concurrency is high: what remains
is the dispatcher's own ceiling, on each backend.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from functools import cached_property
from typing import Any
from typing import Literal

from telegram.ext import AIORateLimiter
from telegram.ext import BaseRateLimiter

from bench.common import OUTBOX
from bench.common import TOKEN
from bench.common import Options
from bench.common import Result
from bench.common import Table
from bench.common import Target
from bench.common import bot_settings
from bench.common import bulk_insert
from bench.common import migrated_database
from bench.common import outbox_due_times
from bench.common import outbox_row
from bench.common import outbox_statuses
from bench.common import percentile
from bench.common import poll_until
from bench.emulator_process import RemoteTelegram
from bench.emulator_process import emulator_process
from bench.outbox_template import bench_templates
from bench.telegram_limits import Delivery
from bench.telegram_limits import TelegramLimits
from bench.telegram_limits import busiest_second
from bench.telegram_limits import closest_gap_per_chat
from bot.app import build_application
from bot.app import start_services
from bot.outbox.scheduler import DISPATCHER_KEY

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
    chats: int, enforce: bool, lifted: bool = False,
    rate_limiter: BaseRateLimiter[Any] | Literal["default"] = "default",
    due_rate: float | None = None, **overrides: Any,
) -> DispatchRun:
    """Queue `rows` rows for `chats` chats, run the bot until all arrived, count everything.

    `due_rate=None`: everything is due at once (a burst). Otherwise the rows fall due
    one after the other at `due_rate` per second, starting shortly after the bot.
    `lifted=True`: no rate limiter at all; otherwise `rate_limiter` (the bot's own by
    default).
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
        app = build_application(settings, db.sessions, with_updater=False,
                                rate_limiter=None if lifted else rate_limiter,
                                templates=bench_templates())
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


def aiolimiter() -> BaseRateLimiter[Any]:
    """PTB's own limiter, as the bot used it before issue 8 (for the side-by-side column)."""
    return AIORateLimiter(max_retries=0)


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
    for variant, limiter in (("current", "default"), ("aiolimiter", aiolimiter())):
        limited = await dispatch_run(options, remote, "sqlite", name=f"dispatch-{variant}",
                                     rows=sizes.dispatch_rows, chats=sizes.dispatch_chats,
                                     enforce=True, rate_limiter=limiter)
        runs[variant] = limited
        if variant == "current":
            count_correctness(result, limited, "")
            result.count("limit_violations", limited.limits.violations)
        else:  # the comparison: PTB's limiter is known to burst, so its 429s are a figure
            count_correctness(result, limited, f"{variant}.")
            result.figures[f"{variant}.violations"] = limited.limits.violations
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
                   "the bot (its own limiter)", "PTB's AIORateLimiter in its place"])
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
    table.rows = [[label, show(runs["current"]), show(runs["aiolimiter"])]
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
    result.notes.append(f"Ceiling: {_settings_text(CEILING_SETTINGS)}, no rate limiter "
                        "(`rate_limiter=None`), the emulator answering at once from its own "
                        "process.")
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
