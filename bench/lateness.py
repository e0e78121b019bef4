"""5. Lateness: how late reminders go out when they fall due within the rate cap.

The machinery of benchmark 1 (same emulator limits, same production settings, same
shuffled chats), but the rows fall due one after the other at a rate below the cap
instead of all at once, so what is measured is the delay the dispatcher adds, not a
queue that the cap makes inevitable. Lateness = arrival at the emulator − `send_at`.
Beside it: the same with the old 5-second poll interval (how much of it is the
poller's), and with PTB's `AIORateLimiter` in place of the bot's limiter (its bursts
draw 429s, each sending its row back to wait).
"""

from __future__ import annotations

from typing import Any

from bench.common import TOKEN
from bench.common import Options
from bench.common import Result
from bench.common import Table
from bench.common import Target
from bench.common import percentile
from bench.dispatch import aiolimiter
from bench.dispatch import count_correctness
from bench.dispatch import dispatch_run
from bench.emulator_process import RemoteTelegram
from bench.emulator_process import emulator_process

NAME = "lateness"
TITLE = "5. Lateness of reminders due within the rate cap"


async def run(options: Options) -> Result:
    async with emulator_process(token=TOKEN, enforce=True) as remote:
        return await measure(options, remote)


async def measure(options: Options, remote: RemoteTelegram) -> Result:
    sizes = options.sizes
    result = Result(NAME, TITLE)
    table = Table(["SQLite, limits enforced", "rows → chats", "due at", "p50", "p99", "max",
                   "lost / dup / 429s"])
    variants: list[tuple[str, str, dict[str, Any]]]
    if sizes.poll_interval is not None:  # smoke: the poll interval is already short
        variants = [("the bot", "", {}),
                    ("PTB's AIORateLimiter in place of the bot's", "aiolimiter.",
                     {"rate_limiter": aiolimiter()})]
    else:
        variants = [
            ("the bot, production defaults", "", {}),
            ("the bot, dispatch_interval_seconds=5 (the old default)", "interval_5s.",
             {"dispatch_interval_seconds": 5.0}),
            ("the bot with PTB's AIORateLimiter in place of its own", "aiolimiter.",
             {"rate_limiter": aiolimiter()}),
        ]
    p99 = float("nan")
    for label, prefix, overrides in variants:
        paced = await dispatch_run(options, remote, "sqlite", name="lateness",
                                   rows=sizes.lateness_rows, chats=sizes.lateness_chats,
                                   enforce=True, due_rate=sizes.lateness_rate, **overrides)
        count_correctness(result, paced, prefix)
        if prefix == "aiolimiter.":  # the comparison: PTB's limiter bursts, so a figure
            result.figures[f"{prefix}violations"] = paced.limits.violations
        else:
            result.count(f"{prefix}limit_violations", paced.limits.violations)
        if not prefix:
            p99 = percentile(paced.lateness, 99)
            label += f" (poll every {paced.settings['dispatch_interval_seconds']:g} s)"
        late = paced.lateness
        result.figures.update({f"{prefix}p50_s": percentile(late, 50),
                               f"{prefix}p99_s": percentile(late, 99),
                               f"{prefix}max_s": max(late, default=float("nan"))})
        table.rows.append([label, f"{paced.rows:,} → {paced.chats:,}",
                           f"{sizes.lateness_rate:g}/s", f"{percentile(late, 50):.2f} s",
                           f"{percentile(late, 99):.2f} s", f"{max(late, default=0):.2f} s",
                           f"{paced.lost} / {paced.duplicates} / {paced.limits.violations}"])
    result.tables.append(table)
    result.targets.append(Target("p99 ≤ 5 s within the rate cap", f"{p99:.2f} s", p99 <= 5))
    return result
