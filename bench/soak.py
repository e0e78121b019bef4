"""6. Memory under soak: RSS of a real bot process under mixed traffic at a bounded rate.

`bench/soak_bot.py` runs the bot as production does (`bot.runner.run_bot`: long polling,
the outbox poller, /healthz) in its own process against the emulator in another. For
the whole duration this process feeds it, at fixed rates, commands from coordinators
and a lead (`/log` with and without a note, `/mine`, `/participant`, `/find`, `/today`,
`/stats`) and due outbox rows, and samples the bot's RSS from /proc every few seconds.
Default 60 s; the issue's 30-minute soak is `python -m bench --only soak --soak-minutes 30`.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Iterator
from datetime import UTC
from datetime import date
from datetime import datetime

from bench.common import OUTBOX
from bench.common import TOKEN
from bench.common import BenchDatabase
from bench.common import Options
from bench.common import Result
from bench.common import Table
from bench.common import Target
from bench.common import bulk_insert
from bench.common import mib
from bench.common import migrated_database
from bench.common import outbox_row
from bench.common import poll_until
from bench.emulator_process import RemoteTelegram
from bench.emulator_process import emulator_process
from bench.processes import rss_kib
from bench.processes import start_child
from bench.processes import stop_process
from bot.sandbox.emulator import FakeUser
from storage.access import Viewer
from storage.db import transaction
from storage.models import Gender
from storage.models import Role
from storage.participants import register_participant
from storage.staff import add_staff

NAME = "soak"
TITLE = "6. Memory under soak"
UPDATES_PER_SECOND = 8.0
OUTBOX_ROWS_PER_SECOND = 3.0
GROWTH_TARGET = 10.0
CHAT_BASE = 900_000_000


async def seed(db: BenchDatabase, coordinators: int, per_coordinator: int
               ) -> tuple[list[FakeUser], FakeUser, dict[int, list[str]]]:
    now = datetime.now(UTC)
    staff_users = [FakeUser(2_100 + i, f"Coordinator{i}", "en") for i in range(coordinators)]
    lead = FakeUser(2_099, "Lead", "en")
    caseloads: dict[int, list[str]] = {}
    async with transaction(db.sessions) as session:
        await add_staff(session, telegram_user_id=lead.id, name="Lena Lead", role=Role.LEAD,
                        municipality=None, now=now, language="en")
        for user in staff_users:
            staff = await add_staff(session, telegram_user_id=user.id, name=user.first_name,
                                    role=Role.COORDINATOR, municipality=None, now=now,
                                    language="en")
            caseloads[user.id] = [
                (await register_participant(
                    session, Viewer.of(staff), display_name=f"Person {user.id}-{k}",
                    municipality="Växjö", gender=Gender.WOMAN, language="ar",
                    enrolled_on=date(2026, 1, 15), now=now)).code
                for k in range(per_coordinator)]
    return staff_users, lead, caseloads


def commands(staff: list[FakeUser], lead: FakeUser, caseloads: dict[int, list[str]]
             ) -> Iterator[tuple[FakeUser, str]]:
    """An endless, repeating mix of (user, text)."""
    for k in itertools.count():
        user = staff[k % len(staff)]
        code = caseloads[user.id][(k // len(staff)) % len(caseloads[user.id])]
        yield from [
            (user, f"/log {code} phone Soak note {k}"),
            (user, "/mine"),
            (user, f"/participant {code}"),
            (user, f"/log {code} meeting"),
            (user, "/find Person"),
            (user, "/today"),
        ]
        if k % 4 == 0:
            yield (lead, "/stats")


async def run(options: Options) -> Result:
    sizes = options.sizes
    result = Result(NAME, TITLE)
    smoke = sizes.poll_interval is not None
    async with (migrated_database(options, "sqlite", "soak") as db,
                emulator_process(token=TOKEN, enforce=False) as remote):
        arguments = ["--database-url", db.url, "--api", remote.base_url]
        if smoke:
            arguments += ["--poll-interval", str(sizes.poll_interval)]
        process = await start_child("bench.soak_bot", *arguments)
        try:
            # The bot imports while the project is seeded; then it may start.
            staff, lead, caseloads = await seed(db, 3 if smoke else 10, 5 if smoke else 20)
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(b"go\n")
            await process.stdin.drain()
            ready = await asyncio.wait_for(process.stdout.readline(), 60)
            if not ready.startswith(b"READY"):
                raise RuntimeError("the soak bot did not start (see its stderr above)")
            before = (await remote.state())["deliveries"]  # command menus are no replies
            traffic = await drive(remote, db, process.pid, sizes.soak_seconds,
                                  sizes.soak_sample_every, commands(staff, lead, caseloads))

            async def settled() -> bool:
                state = await remote.state()
                replies = state["deliveries"] - state["row_deliveries"] - before
                return replies >= traffic.updates and state["rows"] >= traffic.rows

            await poll_until(settled, timeout=30, every=0.2)
            final_rss = rss_kib(process.pid)
        finally:
            await stop_process(process)
        state = await remote.state()
        errors = await remote.count("something went wrong")
    replies = state["deliveries"] - state["row_deliveries"] - before
    result.count("updates_unanswered", max(0, traffic.updates - replies))
    result.count("error_replies", errors)
    result.count("outbox_lost", traffic.rows - state["rows"])
    result.count("outbox_duplicates", state["row_deliveries"] - state["rows"])
    report(result, traffic, final_rss, sizes.soak_seconds)
    return result


class Traffic:
    def __init__(self) -> None:
        self.updates = 0
        self.rows = 0
        self.samples: list[tuple[float, int]] = []


async def drive(remote: RemoteTelegram, db: BenchDatabase, pid: int, seconds: float,
                sample_every: float, mix: Iterator[tuple[FakeUser, str]]) -> Traffic:
    """Send updates and queue outbox rows at fixed rates for `seconds`; sample RSS."""
    traffic = Traffic()
    began = time.monotonic()
    next_update = next_row = next_sample = began
    while (now := time.monotonic()) < began + seconds:
        if now >= next_sample:
            traffic.samples.append((now - began, rss_kib(pid)))
            next_sample += sample_every
        if now >= next_update:
            user, text = next(mix)
            await remote.send(user, text)
            traffic.updates += 1
            next_update += 1 / UPDATES_PER_SECOND
        if now >= next_row:
            moment = datetime.now(UTC)
            await bulk_insert(db.engine, OUTBOX,
                              [outbox_row(CHAT_BASE + traffic.rows % 50, moment, moment)])
            traffic.rows += 1
            next_row += 1 / OUTBOX_ROWS_PER_SECOND
        await asyncio.sleep(max(0.0, min(next_update, next_row, next_sample) - time.monotonic()))
    traffic.samples.append((time.monotonic() - began, rss_kib(pid)))
    return traffic


def report(result: Result, traffic: Traffic, final_rss: int, seconds: float) -> None:
    samples = traffic.samples
    warmup = max(min(30.0, seconds * 0.1), samples[1][0] if len(samples) > 1 else 0.0)
    steady = [(t, rss) for t, rss in samples if t >= warmup] or samples
    first, last = steady[0][1], steady[-1][1]
    peak = max(rss for _, rss in samples)
    growth = (last - first) / first * 100
    slope = _slope(steady) * 60 / 1024  # MiB per minute
    result.figures.update({"first_rss_kib": first, "last_rss_kib": last, "max_rss_kib": peak,
                           "growth_percent": growth, "slope_mib_per_min": slope,
                           "updates": traffic.updates, "outbox_rows": traffic.rows})
    result.tables.append(Table(["soak", "value"], [
        ["duration / traffic", f"{seconds:g} s: {traffic.updates:,} updates "
         f"({UPDATES_PER_SECOND:g}/s) and {traffic.rows:,} outbox rows "
         f"({OUTBOX_ROWS_PER_SECOND:g}/s), SQLite"],
        ["RSS at start of traffic", mib(samples[0][1])],
        [f"RSS first after warm-up ({warmup:.0f} s) / last / max",
         f"{mib(first)} / {mib(last)} / {mib(peak)}"],
        ["growth after warm-up", f"{growth:+.1f} %"],
        ["trend (least squares, after warm-up)", f"{slope:+.2f} MiB/min"],
        ["RSS after the traffic drained", mib(final_rss)],
        ["samples", f"{len(samples)} (every {samples[1][0] - samples[0][0]:.1f} s)"
         if len(samples) > 1 else "1"],
    ]))
    result.targets.append(Target(f"RSS growth ≤ {GROWTH_TARGET:g} % ({seconds / 60:g} min)",
                                 f"{growth:+.1f} %", growth <= GROWTH_TARGET))


def _slope(points: list[tuple[float, int]]) -> float:
    if len(points) < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / len(points)
    mean_v = sum(v for _, v in points) / len(points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if math.isclose(spread, 0.0):
        return 0.0
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / spread
