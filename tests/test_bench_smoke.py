"""The benchmark suite (`python -m bench`) in smoke mode, so the benchmarks never rot.

Every benchmark runs with tiny sizes (all at once, to take seconds) and must return its
figures with every correctness counter at 0: no reminder lost or sent twice, no request
over Telegram's limits, no update unanswered, no statistic that disagrees with the
hand-written SQL. Timings are never asserted: the machines are shared and noisy.
PostgreSQL joins in when KOORDINATOR_TEST_POSTGRES_URL is set, as in the other tests.
The suite runs once, in one test (a module fixture would run once per xdist worker).
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest

from bench.__main__ import SUITE
from bench.__main__ import postgres_url
from bench.__main__ import run_suite
from bench.common import SIZES
from bench.common import Options
from bench.common import Result
from tests.conftest import _postgres_url

FIGURES = {
    "dispatch": ["current.msg_per_s", "current.over_global", "current.over_chat",
                 "aiolimiter.msg_per_s", "sqlite.ceiling.msg_per_s"],
    "updates": ["sqlite.koordinator_ms", "sqlite.echo_ms", "sqlite.floor_ms", "sqlite.log_floor_ms",
                "sqlite.ratio"],
    "stats": ["sqlite.project_figures.p95_ms", "sqlite.breakdown.p95_ms",
              "sqlite.project_figures.ratio", "sqlite.breakdown.ratio"],
    "startup": ["sqlite.rows_1000.ready_s", "sqlite.rows_1000.peak_rss_kib"],
    "lateness": ["p50_s", "p99_s", "max_s"],
    "soak": ["first_rss_kib", "last_rss_kib", "max_rss_kib", "growth_percent"],
    "questions": ["p50_ms", "p95_ms", "max_ms"],
    "head_of_line": ["sqlite.concurrent.help_p95_ms", "sqlite.serial.help_p95_ms",
                     "sqlite.concurrent.export_s"],
    "processes": ["msg_per_s", "over_global", "over_chat"],
    "import": ["sqlite.total_s", "sqlite.again_s"],
}
COUNTERS = {
    "dispatch": ["lost", "duplicates", "limit_violations", "unsent_in_database",
                 "aiolimiter.lost", "aiolimiter.duplicates"],
    "updates": ["sqlite.checkins_not_saved", "sqlite.updates_unanswered"],
    "stats": ["sqlite.figures_mismatch", "sqlite.breakdown_mismatch"],
    "startup": ["sqlite.rows_1000.claimed_future_rows"],
    "lateness": ["lost", "duplicates", "limit_violations", "aiolimiter.lost"],
    "soak": ["updates_unanswered", "error_replies", "outbox_lost", "outbox_duplicates"],
    "questions": [],
    "head_of_line": ["sqlite.concurrent.help_unanswered", "sqlite.serial.help_unanswered"],
    "processes": ["lost", "duplicates", "limit_violations", "unsent_in_database"],
    "import": ["sqlite.row_errors", "sqlite.rows_missing", "sqlite.second_import_added"],
}


def run_smoke_suite(workdir: Path) -> dict[str, Result]:
    options = Options(sizes=SIZES["smoke"], workdir=workdir,
                      postgres_url=postgres_url(_postgres_url()))
    found = asyncio.run(run_suite(options, SUITE, concurrently=True))
    return {result.name: result for result in found}


def test_the_smoke_test_covers_every_benchmark() -> None:
    assert [module.NAME for module in SUITE] == list(FIGURES) == list(COUNTERS)


def test_every_benchmark_reports_its_figures_and_counts_nothing_wrong(
    tmp_path: Path, subtests: pytest.Subtests
) -> None:
    """One test running the suite once (pytest -n 2 would otherwise run it per worker)."""
    results = run_smoke_suite(tmp_path)
    for name in FIGURES:
        if name == "processes" and _postgres_url() is None:
            continue  # several processes need PostgreSQL
        with subtests.test(msg=f"{name}: figures"):
            result = results[name]
            assert result.todo is None, result.todo
            missing = [key for key in FIGURES[name] if key not in result.figures]
            assert not missing, f"{name} did not report {missing}"
            assert all(isinstance(result.figures[key], int | float) and not math.isnan(
                result.figures[key]) for key in FIGURES[name]), result.figures
            assert result.tables and result.targets
        with subtests.test(msg=f"{name}: correctness counters"):
            counters = results[name].correctness
            assert set(COUNTERS[name]) <= set(counters), f"{name} counts {sorted(counters)}"
            assert {key: value for key, value in counters.items() if value} == {}
    if _postgres_url() is not None:
        for name, key in (("dispatch", "postgresql.ceiling.msg_per_s"),
                          ("updates", "postgresql.ratio"),
                          ("stats", "postgresql.project_figures.p95_ms")):
            with subtests.test(msg=f"{name}: PostgreSQL"):
                assert key in results[name].figures, f"{name} did not measure PostgreSQL"
