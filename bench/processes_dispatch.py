"""9. Several bot processes, one Telegram bot: the outbox across processes (issue 21).

Three real bot processes (`python -m bench.dispatch_bot`, i.e. `koordinator run`) share
one PostgreSQL database and one bot token; N due `bench_ping` rows go to M chats through
the emulator in its own process, which enforces 30 msg/s overall and 1 msg/s per chat on
arrival and answers 429 to anything over. Telegram's limits hold per bot: the processes
elect one dispatcher (a PostgreSQL advisory lock, bot/outbox/leader.py) and the others
stand by, so together they stay within the limits while going at the cap. Needs
PostgreSQL (`--postgres`): SQLite serves one process.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from bench.common import OUTBOX
from bench.common import TOKEN
from bench.common import Options
from bench.common import Result
from bench.common import Table
from bench.common import Target
from bench.common import bulk_insert
from bench.common import migrated_database
from bench.common import outbox_due_times
from bench.common import outbox_row
from bench.common import outbox_statuses
from bench.common import percentile
from bench.common import poll_until
from bench.dispatch import CHAT_BASE
from bench.dispatch import DispatchRun
from bench.emulator_process import emulator_process
from bench.processes import child_environment
from bench.processes import start_child
from bench.processes import stop_process
from bench.telegram_limits import busiest_second
from bench.telegram_limits import closest_gap_per_chat

NAME = "processes"
TITLE = "9. Dispatch from three bot processes (one bot, one database)"
PROCESSES = 3


async def run(options: Options) -> Result:
    result = Result(NAME, TITLE)
    if options.postgres_url is None:
        result.todo = "needs PostgreSQL (--postgres URL): several processes share one database"
        return result
    sizes = options.sizes
    rows, chats = sizes.dispatch_rows, sizes.dispatch_chats
    assignment = [CHAT_BASE + index % chats for index in range(rows)]
    random.Random(options.seed).shuffle(assignment)
    async with emulator_process(token=TOKEN, enforce=True) as remote, \
            migrated_database(options, "postgresql", "processes") as db:
        await remote.reset(enforce=True)
        now = datetime.now(UTC)
        await bulk_insert(db.engine, OUTBOX, [outbox_row(chat, now - timedelta(seconds=1), now)
                                              for chat in assignment])
        due = await outbox_due_times(db.engine)
        env = {**child_environment(), "TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_URL": db.url,
               "DATABASE_SCHEMA": db.schema or "", "TELEGRAM_API_BASE_URL": remote.base_url,
               "LISTEN_PORT": "0", "POLLING_TIMEOUT_SECONDS": "1", "LOG_LEVEL": "WARNING"}
        if sizes.poll_interval is not None:
            env["DISPATCH_INTERVAL_SECONDS"] = str(sizes.poll_interval)
        started = time.time()
        processes = [await start_child("bench.dispatch_bot", env=env,
                                       stdout=asyncio.subprocess.DEVNULL,
                                       stderr=asyncio.subprocess.DEVNULL)
                     for _ in range(PROCESSES)]
        try:
            async def all_arrived() -> bool:
                return (await remote.state())["rows"] >= rows

            await poll_until(all_arrived, timeout=rows / 20 + 90)
            await asyncio.sleep(0.5)  # a late duplicate would arrive here
        finally:
            for process in processes:
                await stop_process(process)
        limits = await remote.limits()
        statuses = await outbox_statuses(db.engine)
    run_ = DispatchRun("postgresql", rows, chats, limits, due, started, statuses, {})
    result.count("lost", run_.lost)
    result.count("duplicates", run_.duplicates)
    result.count("unsent_in_database", run_.unsent_in_database)
    result.count("limit_violations", limits.violations)
    firsts = run_.first_deliveries
    result.figures.update({
        "msg_per_s": run_.sustained_rate, "makespan_s": run_.makespan,
        "over_global": limits.over_global, "over_chat": limits.over_chat,
        "busiest_second": busiest_second([d.at for d in firsts]),
        "closest_chat_gap_s": closest_gap_per_chat(firsts),
        "queueing_p99_s": percentile(run_.lateness, 99),
    })
    table = Table([f"PostgreSQL, {PROCESSES} processes, {rows:,} rows → {chats:,} chats, "
                   "limits enforced", "together"])
    table.rows = [
        ["sustained msg/s (5th–95th percentile delivery)", f"{run_.sustained_rate:.1f}"],
        ["processes start → last delivery", f"{run_.makespan:.1f} s"],
        ["lost / duplicates / unsent in DB",
         f"{run_.lost} / {run_.duplicates} / {run_.unsent_in_database}"],
        ["limit violations = 429s answered (overall + per chat)",
         f"{limits.violations} ({limits.over_global} + {limits.over_chat})"],
        ["busiest 1-s window / closest per-chat gap, as delivered",
         f"{busiest_second([d.at for d in firsts])} / {closest_gap_per_chat(firsts):.2f} s"],
    ]
    result.tables.append(table)
    result.notes.append(
        "Production settings. One process holds the advisory lock and dispatches; the "
        "other two stand by (they would take over within a poll, see "
        "tests/test_dispatch_processes.py for a kill -9). The makespan includes the three "
        "processes' start-up.")
    rate = run_.sustained_rate
    result.targets += [
        Target("≥ 28 msg/s together", f"{rate:.1f} msg/s", rate >= 28),
        Target("0 limit violations", f"{limits.violations}", limits.violations == 0),
        Target("0 lost, 0 duplicates", f"{run_.lost} lost, {run_.duplicates} duplicates",
               run_.lost == 0 and run_.duplicates == 0),
    ]
    return result
