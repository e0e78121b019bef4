"""3. Statistics latency: `project_figures` and `breakdown` beside one hand-written query.

A generated project (participants over 12 municipalities and 40 coordinators, about 45 %
ended with an outcome, check-ins spread over each participant's time in the project) is
bulk-inserted and ANALYZEd (VACUUM ANALYZE on PostgreSQL). A lead who sees the whole
project, and a coordinator who sees their own caseload, ask for the calendar year 2025.
Each round calls, in rotating order and each in a fresh session as a handler would, for
each of them: `storage.stats.project_figures`, the hand-written figures query,
`breakdown` by municipality and the hand-written grouped query. The hand-written answers
are compared with the module's, figure by figure (a mismatch is a correctness failure).
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time as clock_time
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date
from sqlalchemy import Integer
from sqlalchemy import bindparam
from sqlalchemy import text

from bench.common import BenchDatabase
from bench.common import Options
from bench.common import Result
from bench.common import Table
from bench.common import Target
from bench.common import bulk_insert
from bench.common import migrated_database
from bench.common import percentile
from storage.access import Viewer
from storage.models import CHANGEABLE_STATUSES
from storage.models import CheckIn
from storage.models import Gender
from storage.models import Outcome
from storage.models import OutcomeCategory
from storage.models import Participant
from storage.models import Role
from storage.models import Staff
from storage.models import Status

NAME = "stats"
TITLE = "3. Statistics latency beside hand-written SQL"
P95_TARGET_S = 0.100
RATIO_TARGET = 1.5
MUNICIPALITIES = ("Växjö", "Alvesta", "Ljungby", "Älmhult", "Tingsryd", "Uppvidinge",
                  "Lessebo", "Markaryd", "Kalmar", "Jönköping", "Värnamo", "Karlskrona")
COORDINATORS = 40
LEAD_ID = COORDINATORS + 1
TODAY = date(2026, 11, 24)
FIRST_ENROLMENT = date(2023, 1, 1)
PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
STOCKHOLM = ZoneInfo("Europe/Stockholm")

# ---- the generated project -------------------------------------------------------------


def staff_rows(now: datetime) -> list[dict[str, Any]]:
    rows = [{"id": i, "telegram_user_id": 3_000 + i, "name": f"Coordinator {i:02d}",
             "role": Role.COORDINATOR.value, "municipality": MUNICIPALITIES[i % 12],
             "language": "sv", "active": True, "created_at": now}
            for i in range(1, COORDINATORS + 1)]
    rows.append({"id": LEAD_ID, "telegram_user_id": 3_000 + LEAD_ID, "name": "Lena Lead",
                 "role": Role.LEAD.value, "municipality": None, "language": "sv",
                 "active": True, "created_at": now})
    return rows


def participant_rows(rng: random.Random, count: int, now: datetime) -> list[dict[str, Any]]:
    span = (TODAY - FIRST_ENROLMENT).days
    outcomes = list(Outcome)
    rows = []
    for index in range(1, count + 1):
        enrolled = FIRST_ENROLMENT + timedelta(days=rng.randrange(span))
        ended = enrolled + timedelta(days=rng.randrange(30, 700))
        has_ended = rng.random() < 0.45 and ended <= TODAY
        rows.append({
            "id": index, "code": f"P-{index:04d}", "display_name": f"Person {index}",
            "municipality": rng.choice(MUNICIPALITIES),
            "gender": rng.choices(list(Gender), weights=(48, 48, 2, 2))[0].value,
            "language": rng.choice(("ar", "so", "ti", "uk", "fa", "sv")),
            "coordinator_id": rng.randrange(1, COORDINATORS + 1), "enrolled_on": enrolled,
            "status": Status.ENDED.value if has_ended else rng.choice(CHANGEABLE_STATUSES).value,
            "ended_on": ended if has_ended else None,
            # 5 % ended without a recorded outcome: counted as unknown.
            "outcome": rng.choice(outcomes).value if has_ended and rng.random() < 0.95 else None,
            "created_at": now, "updated_at": now,
        })
    return rows


def checkin_rows(rng: random.Random, participants: list[dict[str, Any]], count: int,
                 now: datetime) -> Iterator[dict[str, Any]]:
    for _ in range(count):
        person = rng.choice(participants)
        last = person["ended_on"] or TODAY
        day = person["enrolled_on"] + timedelta(days=rng.randrange((last - person[
            "enrolled_on"]).days + 1))
        moment = datetime.combine(day, clock_time(rng.randrange(7, 18), rng.randrange(60)),
                                  tzinfo=STOCKHOLM).astimezone(UTC)
        yield {"participant_id": person["id"], "author_id": person["coordinator_id"],
               "happened_at": moment, "channel": rng.choice(("meeting", "phone", "message",
                                                              "visit")),
               "note": "", "status_change": None, "created_at": now}


async def generate(options: Options, db: BenchDatabase) -> None:
    rng = random.Random(options.seed)
    now = datetime.now(UTC)
    await bulk_insert(db.engine, Staff.__table__, staff_rows(now))  # type: ignore[attr-defined]
    participants = participant_rows(rng, options.sizes.stats_participants, now)
    await bulk_insert(db.engine, Participant.__table__, participants)  # type: ignore[attr-defined]
    await bulk_insert(db.engine, CheckIn.__table__,  # type: ignore[attr-defined]
                      checkin_rows(rng, participants, options.sizes.stats_checkins, now))
    if db.backend == "postgresql":
        # The state autovacuum brings a table to soon after a bulk load (PostgreSQL >= 13
        # vacuums after inserts too): with the visibility map set, a count can read an
        # index alone. Measuring straight after the load instead measured heap visits no
        # running bot would see (finding 5). Our tables only, never the whole database.
        async with db.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text(
                "VACUUM ANALYZE staff, participant, checkin, checkin_tally_municipality, "
                "checkin_tally_coordinator"))
    else:
        async with db.engine.begin() as connection:
            await connection.execute(text("ANALYZE"))


# ---- the hand-written queries ----------------------------------------------------------------
# Outcome codes by category, written out as DESIGN.md lists them.
CATEGORY_SQL = {
    "work": "p.outcome IN ('employed', 'self_employed')",
    "subsidised_work": "p.outcome = 'subsidised'",
    "studies": "p.outcome = 'studies'",
    "other": "p.outcome IN ('other_education', 'labour_market_programme', 'job_seeking', "
             "'other')",
    "dropout": "p.outcome IN ('parental_leave', 'moved', 'illness', 'dropout_other')",
    "unknown": "(p.outcome = 'unknown' OR p.outcome IS NULL)",
}
DURING = "p.enrolled_on <= :end AND (p.ended_on IS NULL OR p.ended_on >= :start)"
ENDED = "p.ended_on BETWEEN :start AND :end"
REACHED = ("p.outcome IN ('employed', 'self_employed', 'subsidised', 'studies')")
COUNTS = ",\n".join([
    f"COUNT(*) FILTER (WHERE {DURING})",
    "COUNT(*) FILTER (WHERE p.enrolled_on BETWEEN :start AND :end)",
    "COUNT(*) FILTER (WHERE p.status <> 'ended')",
    f"COUNT(*) FILTER (WHERE {ENDED})",
    *(f"COUNT(*) FILTER (WHERE {ENDED} AND {CATEGORY_SQL[c.value]})"
      for c in OutcomeCategory),
    *(f"COUNT(*) FILTER (WHERE p.gender = '{g}' AND {condition})"
      for g in ("woman", "man")
      for condition in (DURING, ENDED, f"{ENDED} AND {REACHED}")),
])
# The reference is the fastest single query found for the answer (BENCHMARKS.md finding 5),
# so the ratio measures the module, not a slow reference. For a lead who sees the whole
# project the check-in total needs no join (every check-in has a participant), and the
# grouped count joins per-participant counts, not each check-in, to the participants. A
# breakdown joins two grouped results (the counts per group, the check-ins per group):
# joining the check-ins' groups to every participant row made SQLite scan all 100,000
# participants in municipality order even for one coordinator's caseload (4× slower).
# (Before finding 5's changes the reference joined every check-in to its participant.)
IN_PERIOD = "c.happened_at >= :low AND c.happened_at < :high"
FIGURES_SQL = (f"SELECT {COUNTS},\n(SELECT COUNT(*) FROM checkin c WHERE {IN_PERIOD})\n"
               "FROM participant p")
GROUPS = "SELECT p.municipality AS key, {counts} FROM participant p {where} GROUP BY p.municipality"
# The whole project's check-ins per municipality: whole UTC days from the day tallies the
# triggers keep, the partial UTC days at the period's ends (local midnight is 23:00 UTC in
# winter) counted live. The fastest form found once the tallies exist (finding 5).
EDGE = ("SELECT cp.municipality AS key, COUNT(*) AS n FROM checkin c JOIN participant cp "
        "ON cp.id = c.participant_id WHERE c.happened_at >= {low} AND c.happened_at < {high} "
        "GROUP BY cp.municipality")
BREAKDOWN_SQL = ("SELECT g.*, COALESCE(ci.n, 0) "
                 f"FROM ({GROUPS.format(counts=COUNTS, where='')}) g\n"
                 "LEFT JOIN (SELECT key, CAST(SUM(n) AS BIGINT) AS n FROM ("
                 "SELECT municipality AS key, checkins AS n FROM checkin_tally_municipality "
                 "WHERE day >= :first_day AND day < :last_day "
                 f"UNION ALL {EDGE.format(low=':low', high=':first_at')} "
                 f"UNION ALL {EDGE.format(low=':last_at', high=':high')}) t GROUP BY key) ci "
                 "ON ci.key = g.key")
# The same without the tallies: every check-in of the period, counted per participant
# first (the reference before the tallies; shown for comparison, no target).
LIVE_BREAKDOWN_SQL = (
    "SELECT g.*, COALESCE(ci.n, 0) "
    f"FROM ({GROUPS.format(counts=COUNTS, where='')}) g\n"
    "LEFT JOIN (SELECT cp.municipality AS key, SUM(pc.n) AS n "
    "FROM (SELECT c.participant_id, COUNT(*) AS n FROM checkin c "
    f"WHERE {IN_PERIOD} GROUP BY c.participant_id) pc "
    "JOIN participant cp ON cp.id = pc.participant_id GROUP BY cp.municipality) ci "
    "ON ci.key = g.key")
LIVE_BREAKDOWN = "hand-written breakdown, every check-in (no tallies)"
# A coordinator sees their own caseload: every count is narrowed to it, and the check-ins
# are found through their participants.
MINE = "p.coordinator_id = :coordinator"
SCOPED_CHECKINS = ("FROM checkin c JOIN participant cp ON cp.id = c.participant_id "
                   f"WHERE cp.coordinator_id = :coordinator AND {IN_PERIOD}")
SCOPED_FIGURES_SQL = (f"SELECT {COUNTS},\n(SELECT COUNT(*) {SCOPED_CHECKINS})\n"
                      f"FROM participant p WHERE {MINE}")
SCOPED_BREAKDOWN_SQL = ("SELECT g.*, COALESCE(ci.n, 0) "
                        f"FROM ({GROUPS.format(counts=COUNTS, where='WHERE ' + MINE)}) g\n"
                        "LEFT JOIN (SELECT cp.municipality AS key, "
                        f"COUNT(*) AS n {SCOPED_CHECKINS} GROUP BY cp.municipality) ci "
                        "ON ci.key = g.key")
COORDINATOR_ID = 1


def hand_written(sql: str) -> Any:
    moment = CheckIn.__table__.c.happened_at.type  # type: ignore[attr-defined]
    query = text(sql).bindparams(bindparam("start", type_=Date), bindparam("end", type_=Date),
                                 bindparam("low", type_=moment), bindparam("high", type_=moment))
    if ":first_day" in sql:
        query = query.bindparams(
            bindparam("first_day", type_=Date), bindparam("last_day", type_=Date),
            bindparam("first_at", type_=moment), bindparam("last_at", type_=moment))
    return query.bindparams(bindparam("coordinator", type_=Integer)) if ":coordinator" in sql \
        else query


def figures_tuple(figures: Any) -> tuple[int, ...]:
    """The module's Figures in the hand-written query's column order."""
    return (figures.participants, figures.enrolled, figures.active, figures.ended,
            *(figures.outcome(c) for c in OutcomeCategory),
            figures.women.participants, figures.women.ended, figures.women.to_work_or_studies,
            figures.men.participants, figures.men.ended, figures.men.to_work_or_studies,
            figures.checkins)


# ---- the measurement ---------------------------------------------------------------------------
@dataclass(frozen=True)
class View:
    """Who asks, and the hand-written queries that answer the same for them."""

    label: str  # "" for the lead (the figures), else appended to the query names
    viewer: Viewer
    figures_sql: str
    breakdown_sql: str

    def name(self, query: str) -> str:
        return f"{query}, {self.label}" if self.label else query


VIEWS = (View("", Viewer(staff_id=LEAD_ID, role=Role.LEAD), FIGURES_SQL, BREAKDOWN_SQL),
         View("coordinator", Viewer(staff_id=COORDINATOR_ID, role=Role.COORDINATOR),
              SCOPED_FIGURES_SQL, SCOPED_BREAKDOWN_SQL))
PAIRS = (("project_figures", "hand-written figures"),
         ("breakdown(municipality)", "hand-written breakdown"))


async def measure(options: Options, db: BenchDatabase, result: Result) -> dict[str, list[float]]:
    from storage.stats import StatsFilter
    from storage.stats import breakdown
    from storage.stats import project_figures

    flt = StatsFilter(tz=STOCKHOLM, start=PERIOD[0], end=PERIOD[1])
    low, high = flt.moments()
    assert low is not None and high is not None
    first_at = datetime.combine(low.date() + timedelta(days=1), clock_time(0), tzinfo=UTC)
    last_at = datetime.combine(high.date(), clock_time(0), tzinfo=UTC)
    params = {"start": PERIOD[0], "end": PERIOD[1], "low": low, "high": high,
              "coordinator": COORDINATOR_ID, "first_at": first_at, "last_at": last_at,
              "first_day": first_at.date(), "last_day": last_at.date()}
    answers: dict[str, Any] = {}
    calls: dict[str, Callable[[], Awaitable[None]]] = {}

    def add_calls(view: View) -> None:
        figures_query = hand_written(view.figures_sql)
        breakdown_query = hand_written(view.breakdown_sql)
        names = [view.name(name) for pair in PAIRS for name in pair]

        async def orm_figures() -> None:
            async with db.sessions() as session:
                answers[names[0]] = figures_tuple(
                    await project_figures(session, view.viewer, flt))

        async def sql_figures() -> None:
            async with db.sessions() as session:
                connection = await session.connection()
                answers[names[1]] = tuple((await connection.execute(figures_query,
                                                                    params)).one())

        async def orm_breakdown() -> None:
            async with db.sessions() as session:
                found = await breakdown(session, view.viewer, flt, "municipality")
            answers[names[2]] = ({row.key: figures_tuple(row.figures) for row in found.rows},
                                 figures_tuple(found.total))

        calls.update(zip(names, (orm_figures, sql_figures, orm_breakdown,
                                 sql_breakdown(breakdown_query, names[3])), strict=True))

    def sql_breakdown(query: Any, name: str) -> Callable[[], Awaitable[None]]:
        async def call() -> None:
            async with db.sessions() as session:
                connection = await session.connection()
                rows = (await connection.execute(query, params)).all()
            groups = {str(row[0]): tuple(row[1:]) for row in rows}
            total = tuple(sum(column) for column in zip(*groups.values(), strict=True))
            answers[name] = ({key: counts for key, counts in groups.items()
                              if counts[0] or counts[2] or counts[-1]}, total)
        return call

    for view in VIEWS:
        add_calls(view)
    calls[LIVE_BREAKDOWN] = sql_breakdown(hand_written(LIVE_BREAKDOWN_SQL), LIVE_BREAKDOWN)
    timings: dict[str, list[float]] = {name: [] for name in calls}
    names = list(calls)
    for round_index in range(options.sizes.stats_repeats + 2):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            began = time.perf_counter()
            await calls[name]()
            if round_index >= 2:  # two warm-up rounds
                timings[name].append(time.perf_counter() - began)
    for view in VIEWS:
        prefix = f"{db.backend}.{view.label}." if view.label else f"{db.backend}."
        for (name, reference), counter in zip(PAIRS, ("figures_mismatch", "breakdown_mismatch"),
                                              strict=True):
            result.count(prefix + counter,
                         int(answers[view.name(name)] != answers[view.name(reference)]))
    result.count(f"{db.backend}.live_breakdown_mismatch",
                 int(answers[LIVE_BREAKDOWN] != answers["hand-written breakdown"]))
    result.figures[f"{db.backend}.participants_in_period"] = answers["hand-written figures"][0]
    return timings


def stats_module_ready() -> str | None:
    """Why the benchmark cannot run yet, or None."""
    try:
        from storage import stats
    except ImportError as exc:
        return f"storage/stats.py cannot be imported ({exc})"
    missing = [name for name in ("project_figures", "breakdown", "StatsFilter")
               if not hasattr(stats, name)]
    return f"storage.stats lacks {', '.join(missing)}" if missing else None


async def run(options: Options) -> Result:
    sizes = options.sizes
    result = Result(NAME, TITLE)
    if (reason := stats_module_ready()) is not None:
        result.todo = f"{reason}: benchmark 3 runs once it exists."
        return result
    table = Table(["backend", "query", "p50", "p95", "p95 ÷ hand-written p95"])
    for backend in options.backends:
        async with migrated_database(options, backend, "stats") as db:
            began = time.perf_counter()
            await generate(options, db)
            loaded = time.perf_counter() - began
            timings = await measure(options, db, result)
        result.notes.append(f"{backend}: generated and loaded in {loaded:.0f} s.")
        for view in VIEWS:
            for name, reference in ((view.name(n), view.name(r)) for n, r in PAIRS):
                samples, base = timings[name], timings[reference]
                p95, reference_p95 = percentile(samples, 95), percentile(base, 95)
                ratio = p95 / reference_p95
                scope = f"{view.label}." if view.label else ""
                key = f"{backend}.{scope}{name.split('(')[0]}"
                result.figures.update({f"{key}.p50_ms": percentile(samples, 50) * 1000,
                                       f"{key}.p95_ms": p95 * 1000, f"{key}.ratio": ratio})
                for label, shown_samples, shown in ((name, samples, f"{ratio:.2f}×"),
                                                    (reference, base, "")):
                    table.rows.append([backend, label,
                                       f"{percentile(shown_samples, 50) * 1000:.1f} ms",
                                       f"{percentile(shown_samples, 95) * 1000:.1f} ms", shown])
                result.targets += [
                    Target(f"{name} p95 < 100 ms ({backend})", f"{p95 * 1000:.1f} ms",
                           p95 < P95_TARGET_S),
                    Target(f"{name} ≤ 1.5× hand-written ({backend})", f"{ratio:.2f}×",
                           ratio <= RATIO_TARGET),
                ]
        live = timings[LIVE_BREAKDOWN]
        table.rows.append([backend, LIVE_BREAKDOWN, f"{percentile(live, 50) * 1000:.1f} ms",
                           f"{percentile(live, 95) * 1000:.1f} ms", ""])
    result.tables.insert(0, Table(["data", "value"], [
        ["participants / check-ins", f"{sizes.stats_participants:,} / {sizes.stats_checkins:,}"],
        ["viewers / period", "a lead (whole project) and a coordinator (own caseload, ~1/40 "
                             "of it) / 2025-01-01 – 2025-12-31 (Europe/Stockholm)"],
        ["rounds (after 2 warm-up rounds)", f"{sizes.stats_repeats}"],
    ]))
    result.tables.append(table)
    return result
