"""4. Start-up: time to ready and peak RSS of a fresh process with many pending reminders.

The outbox is filled beforehand with N pending rows due in the next 30 days (bulk
insert). Then `bench/startup_probe.py` runs as a separate process, timed from spawn to
its "ready" line: imports, `build_application` against the emulator (its own process),
initialize (getMe), `Dispatcher.startup()` and one claim round. Its peak RSS is its own
VmHWM at that moment (not `ru_maxrss`, which Linux carries over the exec from the forking
benchmark process, nor RUSAGE_CHILDREN, which is the largest child's). The same probe on
an empty outbox runs beside it, so the cost of the rows shows as a difference measured in
the same run.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from bench.common import OUTBOX
from bench.common import TOKEN
from bench.common import BenchDatabase
from bench.common import Options
from bench.common import Result
from bench.common import Table
from bench.common import Target
from bench.common import bulk_insert
from bench.common import median
from bench.common import mib
from bench.common import migrated_database
from bench.common import outbox_row
from bench.emulator_process import emulator_process
from bench.processes import start_child
from bench.processes import stop_process

NAME = "startup"
TITLE = "4. Start-up with many pending reminders"
TIME_TARGET_S = 3.0
RSS_TARGET_KIB = 200 * 1024


async def fill_outbox(options: Options, db: BenchDatabase, rows: int) -> None:
    rng = random.Random(options.seed)
    now = datetime.now(UTC)
    await bulk_insert(db.engine, OUTBOX, [
        outbox_row(700_000_000 + rng.randrange(rows // 5 + 1),
                   now + timedelta(seconds=rng.randrange(3600, 30 * 86400)), now)
        for _ in range(rows)])


async def probe(db: BenchDatabase, api: str) -> dict[str, Any]:
    arguments = ["--database-url", db.url, "--api", api] + (
        ["--schema", db.schema] if db.schema else [])
    began = time.perf_counter()
    process = await start_child("bench.startup_probe", *arguments,
                                stderr=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 120)
        wall = time.perf_counter() - began
        if not line:
            assert process.stderr is not None
            error = (await process.stderr.read()).decode(errors="replace")
            raise RuntimeError(f"startup probe failed:\n{error[-2000:]}")
        marks = json.loads(line)
        marks["wall_s"] = wall
        await asyncio.wait_for(process.wait(), 60)
        return marks
    finally:
        await stop_process(process)


async def run(options: Options) -> Result:
    sizes = options.sizes
    result = Result(NAME, TITLE)
    table = Table(["backend", "pending rows", "time to ready (median)", "imports",
                   "build", "getMe", "startup()", "claim round", "peak RSS"])
    worst_time, worst_rss = 0.0, 0
    smoke = sizes.poll_interval is not None
    # Smoke runs: one probe (each costs a whole interpreter start); SQLite only.
    backends = ["sqlite"] if smoke else options.backends
    async with emulator_process(token=TOKEN, enforce=False) as tg:
        for backend in backends:
            # The empty outbox beside it shows what the rows cost.
            baseline = [] if smoke else [0]
            for rows in [*baseline, sizes.startup_rows]:
                async with migrated_database(options, backend, f"startup-{rows}") as db:
                    if rows:
                        await fill_outbox(options, db, rows)
                    runs = [await probe(db, tg.base_url) for _ in range(sizes.startup_runs)]
                wall = median([r["wall_s"] for r in runs])
                rss = max(int(r["peak_rss_kib"]) for r in runs)
                result.count(f"{backend}.rows_{rows}.claimed_future_rows",
                             sum(int(r["claimed"]) for r in runs))
                result.count(f"{backend}.rows_{rows}.skipped_future_rows",
                             sum(int(r["skipped"]) for r in runs))
                key = f"{backend}.rows_{rows}"
                result.figures.update({f"{key}.ready_s": wall, f"{key}.peak_rss_kib": rss})
                table.rows.append([backend, f"{rows:,}", f"{wall:.2f} s"] + [
                    f"{median([r[name] for r in runs]) * 1000:.0f} ms"
                    for name in ("imports_s", "build_s", "initialize_s", "startup_s",
                                 "claim_s")] + [mib(rss)])
                if rows:
                    worst_time, worst_rss = max(worst_time, wall), max(worst_rss, rss)
    result.tables.append(table)
    result.notes.append(f"Median of {sizes.startup_runs} fresh processes per line; peak RSS is "
                        "the largest of them. Time to ready is measured by the parent from "
                        "spawn to the probe's line (interpreter start included).")
    result.targets += [
        Target(f"ready < {TIME_TARGET_S:g} s with {sizes.startup_rows:,} pending",
               f"{worst_time:.2f} s", worst_time < TIME_TARGET_S),
        Target("peak RSS < 200 MB", mib(worst_rss), worst_rss < RSS_TARGET_KIB),
    ]
    return result
